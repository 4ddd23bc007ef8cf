# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The isolation's firewall rules: the management path stays open, everything else is blocked."""

from __future__ import annotations

import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.isolation import LOOPBACK, RULE_NAMES, complement, isolation_rules, parse_addresses


def covered(ranges: str, address: str) -> bool:
    wanted = ipaddress.ip_address(address)
    for part in ranges.split(","):
        first, _dash, last = part.partition("-")
        low, high = ipaddress.ip_address(first), ipaddress.ip_address(last or first)
        if low.version == wanted.version and low <= wanted <= high:
            return True
    return False


def test_the_rules_keep_winrm_from_the_management_addresses_and_block_the_rest() -> None:
    rules = {r["name"].removeprefix("hardened-iis-isolation-"): r for r in isolation_rules(["10.20.0.0/24", "2001:db8::5"])}
    assert list(rules) == ["allow-management-in", "block-management-other-tcp-in", "block-management-udp-in", "block-in", "block-out"]
    allow = rules["allow-management-in"]
    assert (allow["direction"], allow["action"], allow["protocol"], allow["localport"], allow["remoteip"]) == (
        "in",
        "allow",
        "tcp",
        "5986",
        "10.20.0.0/24,2001:db8::5",
    )
    assert rules["block-management-other-tcp-in"]["localport"] == "1-5985,5987-65535"
    blocked = rules["block-in"]["remoteip"]
    for outside in ("0.0.0.0", "10.19.255.255", "10.20.1.0", "203.0.113.7", "255.255.255.255", "2001:db8::4", "2001:db8::6", "::"):
        assert covered(blocked, outside), outside
    for inside in ("10.20.0.0", "10.20.0.255", "2001:db8::5", "127.0.0.1", "::1"):
        assert not covered(blocked, inside), inside
    assert rules["block-out"]["remoteip"] == blocked
    assert all(r["group"] == "hardened.iis isolation" and r["profiles"] == ["domain", "private", "public"] for r in rules.values())


def test_outbound_addresses_get_an_allow_rule_and_leave_the_outbound_block() -> None:
    rules = {r["name"].removeprefix("hardened-iis-isolation-"): r for r in isolation_rules(["10.20.0.10"], ["10.0.0.53", "10.0.0.54"], port=5985)}
    assert rules["allow-out"]["remoteip"] == "10.0.0.53,10.0.0.54"
    assert rules["allow-management-in"]["localport"] == "5985"
    assert not covered(rules["block-out"]["remoteip"], "10.0.0.53")
    assert covered(rules["block-in"]["remoteip"], "10.0.0.53")  # reachable outbound, not a manager
    assert [r["name"] for r in isolation_rules(["10.20.0.10"], ["10.0.0.53"])] == list(RULE_NAMES)


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ([], "isolate_management_addresses is required"),
        (None, "isolate_management_addresses is required"),
        (["10.20.0.1/24"], "has host bits set (did you mean 10.20.0.0/24?)"),
        (["0.0.0.0/0"], "the whole address space"),
        (["web01.example.com"], "is not an IP address or CIDR network"),
        ({"a": 1}, "must be a list"),
    ],
)
def test_bad_management_addresses_are_refused(addresses: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        isolation_rules(addresses)


def test_a_bad_port_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a TCP port"):
        isolation_rules(["10.0.0.1"], port=70000)


NETWORKS = st.builds(lambda a, p: ipaddress.ip_network(f"{ipaddress.IPv4Address(a)}/{p}", strict=False), st.integers(0, 2**32 - 1), st.integers(1, 32))


@given(st.lists(NETWORKS, max_size=6))
def test_the_complement_covers_every_address_exactly_once_outside_the_networks(networks: list[ipaddress.IPv4Network]) -> None:
    ranges = [r for r in complement(list(networks)) if ":" not in r]
    spans = []
    for part in ranges:
        first, _dash, last = part.partition("-")
        spans.append((int(ipaddress.IPv4Address(first)), int(ipaddress.IPv4Address(last or first))))
    inside = sorted((int(n.network_address), int(n.broadcast_address)) for n in ipaddress.collapse_addresses(networks))
    total = sum(high - low + 1 for low, high in spans) + sum(high - low + 1 for low, high in inside)
    assert total == 2**32
    for low, high in spans:
        assert not any(low <= b and high >= a for a, b in inside)
    assert spans == sorted(spans)


def test_loopback_is_never_blocked() -> None:
    assert [str(n) for n in LOOPBACK] == ["127.0.0.0/8", "::1/128"]
    assert parse_addresses("10.0.0.1", "x") == [ipaddress.ip_network("10.0.0.1/32")]
