# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The discovery_reconcile filter: services from probes and Zeek, names from certificates, findings."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.filter.discovery import discovery_reconcile

DISCOVERY = {
    "services": [
        {
            "address": "127.0.0.2",
            "port": 443,
            "product": "IIS",
            "certificate": {"subject_cn": "web01.example.org", "san_dns": ["web01.example.org"]},
            "tls_versions": {"TLSv1.0": "accepted", "TLSv1.1": "refused", "TLSv1.2": "accepted", "TLSv1.3": "accepted"},
        },
    ],
    "passive": [{"address": "10.0.0.7", "port": 80, "product": "IIS", "sni": [], "certificates": [], "tls_versions": []}],
}


def test_names_from_certificates_match_the_inventory_and_legacy_tls_is_a_finding() -> None:
    inventory = [{"name": "web01.example.org", "addresses": ["192.0.2.10"]}, {"name": "web02", "addresses": ["127.0.0.3"]}]
    report = discovery_reconcile(DISCOVERY, inventory, ["127.0.0.2-3", "10.0.0.0/29"])
    assert list(report["managed"]) == ["web01.example.org"]
    assert [(s["address"], s["source"]) for s in report["rogue"]] == [("10.0.0.7", "passive")]
    assert report["missing"] == ["web02"]
    verdicts = sorted((f["rule_id"], f["host"], f["status"]) for f in report["findings"])
    assert verdicts == [
        ("discovery-host-missing", "web02", "fail"),
        ("discovery-legacy-tls-accepted", "web01.example.org", "fail"),
        ("discovery-rogue-web-server", "10.0.0.7", "fail"),
        ("discovery-web-server-managed", "web01.example.org", "pass"),
    ]
    assert report["table"][-1] == "managed 1, rogue 1, missing 1, unapproved 0"


def test_bad_input_is_named() -> None:
    with pytest.raises(AnsibleFilterError, match=r"expects the result of hardened\.iis\.web_discovery"):
        discovery_reconcile({"x": 1}, [], ["127.0.0.1"])
    with pytest.raises(AnsibleFilterError, match="the whole address space is never scanned"):
        discovery_reconcile(DISCOVERY, [], ["0.0.0.0/0"])


def test_inventory_addresses_are_compared_by_number_and_ambiguous_ones_are_refused() -> None:
    inventory = [{"name": "web01.example.org", "addresses": ["::FFFF:127.0.0.2"]}, {"name": "web02", "addresses": ["::ffff:127.0.0.3%eth0"]}]
    report = discovery_reconcile(DISCOVERY, inventory, ["127.0.0.2-3"], exclude=["::ffff:10.0.0.7"])
    assert list(report["managed"]) == ["web01.example.org"]
    assert report["missing"] == ["web02"]
    with pytest.raises(AnsibleFilterError, match=r"inventory host 'web03': .*'010\.0\.0\.1' is not an IPv4 address written as four decimal numbers"):
        discovery_reconcile(DISCOVERY, [{"name": "web03", "addresses": ["010.0.0.1"]}], ["127.0.0.2-3"])
