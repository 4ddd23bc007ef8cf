# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scan scope never grows beyond what was given; reconciliation sorts what was seen."""

from __future__ import annotations

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._discovery.reconcile import InventoryHost, Service, reconcile
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import ScopeError, expand_scope


def names(table: dict[str, list[str]]) -> object:
    return lambda name: table.get(name, [])


def test_networks_ranges_addresses_and_names_expand_exactly() -> None:
    scope = expand_scope(
        ["127.0.0.0/30", "10.1.0.10-12", "192.168.5.7", "web01.example.org"],
        exclude=["10.1.0.11"],
        resolve=names({"web01.example.org": ["192.168.5.20"]}),  # type: ignore[arg-type]
    )
    assert tuple(scope.addresses) == ("10.1.0.10", "10.1.0.12", "127.0.0.1", "127.0.0.2", "192.168.5.7", "192.168.5.20")  # in numeric order
    assert scope.names == {"192.168.5.20": "web01.example.org"}
    assert tuple(expand_scope(["10.0.0.5/32"]).addresses) == ("10.0.0.5",)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([], "the scope is empty"),
        (["0.0.0.0/0"], "the whole address space is never scanned"),
        (["::/0"], "the whole address space is never scanned"),
        (["10.0.0.0/8"], "the scope holds 16777216 addresses, more than the limit of 65536"),
        (["10.1.0.40-10"], "the range ends before it starts"),
        (["no-such-host.invalid"], "the name does not resolve"),
    ],
)
def test_forbidden_or_malformed_scopes_are_refused(entries: list[str], message: str) -> None:
    with pytest.raises(ScopeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        expand_scope(entries, resolve=names({}))  # type: ignore[arg-type]


def test_a_larger_scope_needs_the_limit_raised_on_purpose() -> None:
    assert len(expand_scope(["10.0.0.0/15"], max_addresses=1 << 17).addresses) == (1 << 17) - 2


def test_reconciliation_tells_managed_rogue_missing_and_unapproved() -> None:
    inventory = [
        InventoryHost("web01", {"127.0.0.2"}, allowed_ports=[80, 443]),
        InventoryHost("web02.example.org", {"10.9.9.9"}),  # its address moved; its certificate still names it
        InventoryHost("web03", {"127.0.0.4"}),
        InventoryHost("db01", {"172.16.0.1"}),
    ]
    services = [
        Service("127.0.0.2", 443, ("web01",)),
        Service("127.0.0.2", 8080),
        Service("127.0.0.3", 80, ("WEB02.example.org.",), product="IIS"),
        Service("127.0.0.5", 80, product="IIS"),
    ]
    result = reconcile(services, inventory, scanned={"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}).as_dict()
    assert sorted(result["managed"]) == ["web01", "web02.example.org"]
    assert [(s["address"], s["port"]) for s in result["rogue"]] == [("127.0.0.5", 80)]
    assert result["missing"] == ["web03"]
    assert [(u["host"], u["port"]) for u in result["unapproved_service"]] == [("web01", 8080)]
    assert result["not_in_scope"] == ["db01"]
