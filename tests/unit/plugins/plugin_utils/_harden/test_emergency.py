# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emergency mitigations on copies of the lab: denied headers, SCHANNEL, stopped sites and pools, and taking them back."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS, apply_to_snapshot, restore_backup
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import emergency_rules, mitigation_rules, reversal_rules, rollback_method
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import plan_host
from ansible_collections.hardened.iis.plugins.plugin_utils._target import apply_arguments

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
APPHOST = "files/C/Windows/System32/inetsrv/config/applicationHost.config"
TLS10 = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server"
MITIGATION = {
    "id": "cve-2026-0001",
    "reason": "path traversal in the shop",
    "deny_url_sequences": ["..%2f"],
    "deny_verbs": ["PROPFIND", "TRACE"],
    "deny_headers": ["X-Evil-Header"],
    "disable_protocols": ["TLS 1.0"],
    "disable_ciphers": ["RC4 128/128"],
    "stop_app_pools": ["ShopPool"],
    "stop_sites": ["Shop"],
}


def copy_of(host: str, tmp_path: Path) -> Path:
    target = tmp_path / host
    shutil.copytree(LAB / host, target)
    return target


def digest(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file() and BACKUPS not in p.parts}


def rules_of(data: list[dict[str, Any]]) -> tuple[Any, ...]:
    return catalog_from_data(data, "extra_rules").rules


def apply(snapshot: Path, data: list[dict[str, Any]]) -> tuple[Any, str | None]:
    plan = plan_host(load_snapshot(snapshot), rules_of(data))
    return plan, apply_to_snapshot(snapshot, plan).backup


def record_of(plan: Any, backup: str | None, snapshot: Path, before: dict[str, str]) -> dict[str, Any]:
    """What playbooks/tasks/emergency_host.yml records for one host."""
    files = [{k: v for k, v in f.items() if k != "diff"} for f in plan.as_dict({})["files"]]
    return {
        "mitigation": MITIGATION,
        "changed": not plan.empty,
        "backup": backup,
        "changed_rules": plan.rules,
        "plan": {"files": files, "registry": plan.as_dict({})["registry"]},
        "snapshot": True,
        "tree_sha256_after": hashlib.sha256(repr(digest(snapshot)).encode()).hexdigest(),
        "tree_sha256_before": hashlib.sha256(repr(before).encode()).hexdigest(),
    }


def test_a_denied_header_is_a_header_limit_of_size_zero_and_is_removed_again(tmp_path: Path) -> None:
    snapshot = copy_of("web02", tmp_path)
    push = {"id": "cve-2026-0002", "reason": "header smuggling", "deny_headers": ["X-Forwarded-Host"]}
    rules = rules_of(emergency_rules([push]))
    assert [r.id for r in rules] == ["emergency-cve-2026-0002-deny-headers-1"]
    apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), rules))
    apphost = (snapshot / APPHOST).read_text(encoding="utf-8")
    assert re.search(r'<requestLimits>\s*<headerLimits>\s*<add header="X-Forwarded-Host" sizeLimit="0" />', apphost)
    assert {f.status for f in Evaluator(load_snapshot(snapshot)).evaluate(rules)} == {"pass"}
    removal = rules_of(emergency_rules([dict(push, state="absent")]))
    apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), removal))
    assert "X-Forwarded-Host" not in (snapshot / APPHOST).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"deny_headers": ["X Evil"]}, "deny_headers: 'X Evil' is not an HTTP header name"),
        ({"deny_verbs": ["GET /"]}, "is not an HTTP method"),
        ({"deny_headers": ["X-A", "x-a"]}, "deny_headers names a value twice"),
    ],
)
def test_bad_header_and_verb_names_are_refused(item: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        emergency_rules([{"id": "x1", "reason": "r", **item}])


def test_a_mitigation_makes_request_filtering_schannel_and_stop_rules() -> None:
    ids = [r["id"] for r in mitigation_rules(MITIGATION)]
    assert ids == [
        "emergency-cve-2026-0001-deny-url-sequences-1",
        "emergency-cve-2026-0001-deny-verbs-1",
        "emergency-cve-2026-0001-deny-verbs-2",
        "emergency-cve-2026-0001-deny-headers-1",
        "emergency-cve-2026-0001-disable-protocols-1-enabled",
        "emergency-cve-2026-0001-disable-protocols-1-disabled-by-default",
        "emergency-cve-2026-0001-disable-ciphers-1",
        "emergency-cve-2026-0001-stop-sites-1",
        "emergency-cve-2026-0001-stop-app-pools-1",
    ]
    registry = [r["check"]["registry"] for r in mitigation_rules(MITIGATION) if "registry" in r["check"]]
    assert [(r["path"].rsplit("\\", 2)[-2:], r["name"], r["expect"]) for r in registry] == [
        (["TLS 1.0", "Server"], "Enabled", {"equals": 0}),
        (["TLS 1.0", "Server"], "DisabledByDefault", {"equals": 1}),
        (["Ciphers", "RC4 128/128"], "Enabled", {"equals": 0}),
    ]
    rules_of(mitigation_rules(MITIGATION))  # valid catalog rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"disable_protocols": ["TLS 1.2"]}, "TLS 1.2 is refused"),
        ({"disable_protocols": ["TLS 9"]}, "unknown protocol 'TLS 9'"),
        ({"disable_ciphers": ["AES 128/128", "AES 256/256"]}, "disabling both AES ciphers is refused"),
        ({"disable_ciphers": ["ROT13"]}, "unknown cipher 'ROT13'"),
        ({"stop_sites": ['it\'s "odd"']}, "holds both kinds of quote"),
        ({"state": "absent", "deny_verbs": ["X"]}, "unknown key(s) state"),
        ({}, "give at least one of"),
    ],
)
def test_a_dangerous_or_malformed_mitigation_is_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        mitigation_rules({"id": "x1", "reason": "r", **change})


def test_a_site_or_pool_the_host_does_not_have_is_not_applicable_and_nothing_is_created(tmp_path: Path) -> None:
    snapshot = copy_of("web02", tmp_path)
    rules = rules_of(mitigation_rules({"id": "x1", "reason": "r", "stop_sites": ["Shop"], "stop_app_pools": ["ShopPool"]}))
    findings = Evaluator(load_snapshot(snapshot)).evaluate(rules)
    assert {f.status for f in findings} == {"not_applicable"}
    assert "no site with name='Shop'" in str(findings[0].evidence.actual)
    assert plan_host(load_snapshot(snapshot), rules).empty


def test_a_mitigation_stops_the_pool_disables_schannel_and_a_restore_puts_it_back_byte_for_byte(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    before = digest(snapshot)
    plan, backup = apply(snapshot, mitigation_rules(MITIGATION))
    apphost = (snapshot / APPHOST).read_text(encoding="utf-8")
    assert '<add name="ShopPool" managedRuntimeVersion="v4.0" autoStart="false">' in apphost
    state = load_snapshot(snapshot)
    assert state.registry_value(TLS10, "Enabled") == (True, 0)
    assert state.registry_value(TLS10, "DisabledByDefault") == (True, 1)
    # TRACE was already denied on web01: not the mitigation's change, so not taken back
    assert "emergency-cve-2026-0001-deny-verbs-2" not in plan.rules
    assert "emergency-cve-2026-0001-deny-verbs-1" in plan.rules
    record = record_of(plan, backup, snapshot, before)
    current = {"backup_exists": True, "tree_sha256": record["tree_sha256_after"]}
    assert rollback_method(record, current)["method"] == "restore"
    restore_backup(snapshot, str(backup))
    assert digest(snapshot) == before


def test_entries_are_taken_back_exactly_and_later_changes_are_kept(tmp_path: Path) -> None:
    snapshot = copy_of("web02", tmp_path)
    before_state = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
    plan, backup = apply(snapshot, mitigation_rules(MITIGATION))
    record = record_of(plan, backup, snapshot, {})
    # a later change: another deny rule, and the header check of the catalog
    apply(snapshot, emergency_rules([{"id": "later", "reason": "another", "deny_extensions": [".bak"]}]))
    decision = rollback_method(record, {"backup_exists": True, "tree_sha256": "something else"})
    assert decision["method"] == "entries"
    reversal = reversal_rules(record)
    assert [r["id"] for r in reversal] == [
        "emergency-cve-2026-0001-revert-deny-headers-1",
        "emergency-cve-2026-0001-revert-deny-url-sequences-1",
        "emergency-cve-2026-0001-revert-deny-verbs-1",
        "emergency-cve-2026-0001-revert-registry-1",
        "emergency-cve-2026-0001-revert-registry-2",
        "emergency-cve-2026-0001-revert-registry-3",
    ]
    apply(snapshot, reversal)
    apphost = (snapshot / APPHOST).read_text(encoding="utf-8")
    for gone in ('sequence="..%2f"', 'verb="PROPFIND"', "X-Evil-Header"):
        assert gone not in apphost
    assert '<add verb="TRACE" allowed="false" />' in apphost  # denied before the mitigation: not its entry, kept
    assert '<add fileExtension=".bak" allowed="false" />' in apphost  # the later change is kept
    # the SCHANNEL values did not exist on web02: they are deleted again, the rest of state.yml is as it was
    after_state = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
    assert after_state == before_state
    assert {f.status for f in Evaluator(load_snapshot(snapshot)).evaluate(rules_of(reversal))} == {"pass"}


def test_a_registry_value_changed_since_the_mitigation_is_left_alone(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    mitigation = {"id": "x1", "reason": "r", "disable_protocols": ["TLS 1.0"]}
    plan = plan_host(load_snapshot(snapshot), rules_of(mitigation_rules(mitigation)))
    backup = apply_to_snapshot(snapshot, plan).backup
    record = {**record_of(plan, backup, snapshot, {}), "mitigation": mitigation}
    # someone sets Enabled to 0xffffffff by hand afterwards: the compare-and-swap keeps it
    document = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
    document["registry"][TLS10]["Enabled"] = 4294967295
    (snapshot / "state.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    apply(snapshot, reversal_rules(record))
    state = load_snapshot(snapshot)
    assert state.registry_value(TLS10, "Enabled") == (True, 4294967295)
    assert state.registry_value(TLS10, "DisabledByDefault") == (True, 0)  # web01's value before the mitigation


def test_a_registry_deletion_goes_to_the_live_apply_as_state_absent(tmp_path: Path) -> None:
    snapshot = copy_of("web02", tmp_path)
    mitigation = {"id": "x1", "reason": "r", "disable_ciphers": ["RC4 128/128"]}
    plan, backup = apply(snapshot, mitigation_rules(mitigation))
    record = {**record_of(plan, backup, snapshot, {}), "mitigation": mitigation}
    reversal = plan_host(load_snapshot(snapshot), rules_of(reversal_rules(record)))
    assert [r.delete for r in reversal.registry] == [True]
    assert apply_arguments(reversal, 5)["registry"] == [
        {"path": "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\RC4 128/128", "name": "Enabled", "state": "absent"}
    ]


def live_record() -> dict[str, Any]:
    return {
        "mitigation": MITIGATION,
        "changed": True,
        "backup": "C:\\ProgramData\\hardened.iis\\backups\\20261120T101500000Z",
        "snapshot": False,
        "changed_rules": [],
        "plan": {
            "files": [{"path": "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config", "after_sha256": "a" * 64}],
            "registry": [{"path": TLS10, "name": "Enabled", "value": 0, "before": None}],
        },
    }


def test_a_live_host_is_restored_only_when_every_file_and_value_is_as_the_mitigation_left_it() -> None:
    record = live_record()
    stats = [{"item": {"path": "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"}, "stat": {"exists": True, "checksum": "a" * 64}}]
    values = [{"item": {"path": TLS10, "name": "Enabled"}, "exists": True, "value": 0}]
    assert rollback_method(record, {"backup_exists": True, "files": stats, "registry": values})["method"] == "restore"
    edited = [{**stats[0], "stat": {"exists": True, "checksum": "b" * 64}}]
    decision = rollback_method(record, {"backup_exists": True, "files": edited, "registry": values})
    assert decision["method"] == "entries"
    assert "applicationHost.config (SHA-256 bbbb" in decision["changed_since"][0]
    changed_value = [{**values[0], "value": 1}]
    assert rollback_method(record, {"backup_exists": True, "files": stats, "registry": changed_value})["method"] == "entries"
    assert rollback_method(record, {"backup_exists": False, "files": stats, "registry": values})["method"] == "entries"
    assert rollback_method(record, {"backup_exists": True, "files": stats, "registry": values}, "entries")["method"] == "entries"
    with pytest.raises(ValueError, match="would also undo what changed since"):
        rollback_method(record, {"backup_exists": True, "files": edited, "registry": values}, "restore")
    with pytest.raises(ValueError, match="is gone"):
        rollback_method(record, {"backup_exists": False, "files": stats, "registry": values}, "restore")
    assert rollback_method({**record, "changed": False}, {})["method"] == "none"


def test_a_record_naming_a_rule_the_mitigation_does_not_make_is_refused() -> None:
    with pytest.raises(ValueError, match="does not make"):
        reversal_rules({**live_record(), "changed_rules": ["emergency-cve-2026-0001-deny-verbs-9"]})
