# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan on the controller, apply to a snapshot: effect, idempotence, minimal edits, and every fault."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden import apply as apply_module
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS, ApplyError, apply_to_snapshot, restore_backup
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import FileChange, plan_host

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
RULES = load_catalog().rules
ALL_DISRUPTIVE = frozenset(r.id for r in RULES if r.disruptive)
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"


def copy_of(host: str, tmp_path: Path) -> Path:
    target = tmp_path / host
    shutil.copytree(LAB / host, target)
    return target


def digest(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file() and BACKUPS not in p.parts}


def automated(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


@pytest.mark.parametrize("host", ["web01", "web02"])
def test_harden_fixes_every_rule_with_automated_remediation_and_a_second_run_changes_nothing(host: str, tmp_path: Path) -> None:
    """With every disruptive remediation opted in, every automated rule is fixed."""
    snapshot = copy_of(host, tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES, allow_disruptive=ALL_DISRUPTIVE)
    assert plan.files and plan.registry
    assert plan.held_back == []
    result = apply_to_snapshot(snapshot, plan)
    assert result.changed and result.backup
    after = Evaluator(load_snapshot(snapshot)).evaluate(RULES)
    still_failing = sorted({f.rule_id for f in after if f.status == "fail"})
    assert [r for r in still_failing if automated(r).automated_remediation] == []
    assert sorted({f.rule_id for f in plan.remaining}) == still_failing
    second = plan_host(load_snapshot(snapshot), RULES, allow_disruptive=ALL_DISRUPTIVE)
    assert second.empty
    assert not apply_to_snapshot(snapshot, second).changed


@pytest.mark.parametrize("host", ["web01", "web02"])
def test_by_default_harden_leaves_exactly_the_unsafe_disruptive_fixes_to_a_person(host: str, tmp_path: Path) -> None:
    """Without an opt-in, what still fails after harden is the held-back remediations, each saying why; a second run changes nothing."""
    snapshot = copy_of(host, tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)
    apply_to_snapshot(snapshot, plan)
    after = Evaluator(load_snapshot(snapshot)).evaluate(RULES)
    still_failing = {(f.rule_id, f.scope) for f in after if f.status == "fail" and automated(f.rule_id).automated_remediation}
    assert still_failing == {(h.rule, h.scope) for h in plan.held_back}
    assert all(automated(h.rule).disruptive and "breaks-if-in-use" in h.reason for h in plan.held_back)
    assert all(f.impact != "breaks-if-in-use" or automated(f.rule).precondition for f in plan.fixes)
    advice = [f.remediation for f in plan.expected if (f.rule_id, f.scope) in still_failing]
    assert advice and all("hardened_iis_allow_disruptive" in text for text in advice)
    assert plan_host(load_snapshot(snapshot), RULES).empty


def test_the_hardened_host_needs_no_change() -> None:
    assert plan_host(load_snapshot(LAB / "web03"), RULES).empty


def test_a_harden_touches_only_the_nodes_the_plan_names(tmp_path: Path) -> None:
    """Every line of the original applicationHost.config that the plan does not edit is still there, in order."""
    snapshot = copy_of("web02", tmp_path)
    before = (snapshot / "files/C/Windows/System32/inetsrv/config/applicationHost.config").read_text(encoding="utf-8")
    plan = plan_host(load_snapshot(snapshot), RULES)
    apply_to_snapshot(snapshot, plan)
    after = (snapshot / "files/C/Windows/System32/inetsrv/config/applicationHost.config").read_text(encoding="utf-8")
    removed = [line.strip() for line in before.splitlines() if line not in after.splitlines()]
    assert removed == [
        '<logFile logFormat="W3C" directory="%SystemDrive%\\inetpub\\logs\\LogFiles" />',
        '<add name="X-Powered-By" value="ASP.NET" />',
        "<requestFiltering>",
    ]
    kept = [line for line in before.splitlines() if line.strip() not in removed]
    after_lines = iter(after.splitlines())
    assert all(any(line == candidate for candidate in after_lines) for line in kept), "original lines lost or reordered"


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    before = digest(snapshot)
    result = apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), RULES), check_mode=True)
    assert result.changed
    assert digest(snapshot) == before
    assert not (snapshot / BACKUPS).exists()


def test_a_file_changed_after_the_plan_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)
    shop = snapshot / "files/C/inetpub/shop/web.config"
    shop.write_bytes(shop.read_bytes() + b"\n<!-- edited by someone else -->\n")
    before = digest(snapshot)
    with pytest.raises(ApplyError, match="changed since the plan was made") as caught:
        apply_to_snapshot(snapshot, plan)
    assert not caught.value.restored
    assert digest(snapshot) == before
    assert not (snapshot / BACKUPS).exists()


def test_a_plan_that_would_break_a_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """The apply validates the planned state before its backup (check mode too); a failure writes nothing and needs no restore."""
    snapshot = copy_of("web01", tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)
    broken = [FileChange(c.path, c.before_sha256, c.after.replace(b"</configuration>", b"")) if c.path == APPHOST else c for c in plan.files]
    plan.files = broken
    before = digest(snapshot)
    for check_mode in (True, False):
        with pytest.raises(ApplyError, match=r"would make it invalid.*nothing was changed") as caught:
            apply_to_snapshot(snapshot, plan, check_mode=check_mode)
        assert not caught.value.restored and caught.value.backup is None
    assert digest(snapshot) == before


def test_a_failure_in_the_middle_of_the_plan_restores_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = copy_of("web01", tmp_path)
    plan = plan_host(load_snapshot(snapshot), RULES)
    assert len(plan.files) >= 3
    writes: list[Path] = []
    real_write = apply_module._write_file

    def failing_write(path: Path, data: bytes, step: str = "") -> None:
        writes.append(path)
        if len(writes) == 3:
            raise OSError(28, "No space left on device")
        real_write(path, data, step)

    monkeypatch.setattr(apply_module, "_write_file", failing_write)
    before = digest(snapshot)
    with pytest.raises(ApplyError, match="No space left on device"):
        apply_to_snapshot(snapshot, plan)
    assert len(writes) == 3
    assert digest(snapshot) == before


def test_backups_are_kept_up_to_the_retention_limit(tmp_path: Path) -> None:
    snapshot = copy_of("web02", tmp_path)
    for _round in range(3):
        state = load_snapshot(snapshot)
        plan = plan_host(state, RULES)
        if plan.empty:
            (snapshot / "files/C/inetpub/wwwroot/web.config").write_bytes(
                b'<configuration><system.webServer><directoryBrowse enabled="true" /></system.webServer></configuration>'
            )
            plan = plan_host(load_snapshot(snapshot), RULES)
        apply_to_snapshot(snapshot, plan, retention=2)
    assert len(list((snapshot / BACKUPS).iterdir())) == 2


def test_an_excepted_finding_is_left_alone_and_an_expired_exception_is_not(tmp_path: Path) -> None:
    import datetime

    from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import RuleException

    state = load_snapshot(LAB / "web01")
    keep = RuleException.parse(
        {"rule": "iis-directory-browsing-off", "scope": "Default Web Site/shop/uploads", "reason": "public index", "expires": "2999-01-01"}, "e"
    )
    plan = plan_host(state, RULES, exceptions=[keep], today=datetime.date(2026, 11, 22))
    assert not any(c.path.endswith("uploads\\web.config") for c in plan.files)
    assert any(c.path.endswith("shop\\web.config") for c in plan.files)
    expired = RuleException.parse(
        {"rule": "iis-directory-browsing-off", "scope": "Default Web Site/shop/uploads", "reason": "was public", "expires": "2020-01-01"}, "e"
    )
    plan = plan_host(state, RULES, exceptions=[expired], today=datetime.date(2026, 11, 22))
    assert any(c.path.endswith("uploads\\web.config") and b'enabled="false"' in c.after for c in plan.files)


@pytest.mark.parametrize(
    ("remediation", "message"),
    [
        (("HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Server", "Enabled", 0), "would disable TLS 1.2"),
        (("HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WinRM\\Service", "AllowUnencryptedTraffic", 0), "the management connection"),
    ],
)
def test_a_plan_that_would_cut_management_is_refused(remediation: tuple[str, str, int], message: str) -> None:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import parse_catalog
    from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import ManagementSafetyError

    path, name, value = remediation
    catalog = parse_catalog(
        f"""- id: bad-rule
  title: A rule that would cut the connection
  severity: high
  scope: server
  references: {{}}
  check: {{registry: {{path: '{path}', name: {name}, expect: {{equals: {value}}}}}}}
  remediation: {{registry: {{value: {value}, type: dword}}}}
""",
        "bad.yml",
    )
    with pytest.raises(ManagementSafetyError, match=message) as caught:
        plan_host(load_snapshot(LAB / "web02"), catalog.rules)
    assert "rule bad-rule" in str(caught.value)


def test_the_catalog_never_cuts_management() -> None:
    for host in ("web01", "web02"):
        plan_host(load_snapshot(LAB / host), RULES)


def test_emergency_deny_rules_are_pushed_and_removed_again(tmp_path: Path) -> None:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data
    from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import emergency_rules

    snapshot = copy_of("web02", tmp_path)
    push = {"id": "cve-2026-0001", "reason": "traversal in the shop", "deny_url_sequences": ["..%2f"], "deny_verbs": ["PROPFIND"]}
    rules = catalog_from_data(emergency_rules([push]), "extra_rules").rules
    assert [r.id for r in rules] == ["emergency-cve-2026-0001-deny-url-sequences-1", "emergency-cve-2026-0001-deny-verbs-1"]
    apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), rules))
    apphost = (snapshot / "files/C/Windows/System32/inetsrv/config/applicationHost.config").read_text(encoding="utf-8")
    assert '<add sequence="..%2f" />' in apphost
    assert '<add verb="PROPFIND" allowed="false" />' in apphost
    assert {f.status for f in Evaluator(load_snapshot(snapshot)).evaluate(rules)} == {"pass"}
    removal = catalog_from_data(emergency_rules([dict(push, state="absent")]), "extra_rules").rules
    apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), removal))
    apphost = (snapshot / "files/C/Windows/System32/inetsrv/config/applicationHost.config").read_text(encoding="utf-8")
    assert 'sequence="..%2f"' not in apphost
    assert 'verb="PROPFIND"' not in apphost


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"id": "x1", "reason": "r"}, "give at least one of"),
        ({"id": "Bad Id", "reason": "r", "deny_verbs": ["TRACE"]}, "'id' must be lowercase"),
        ({"id": "x1", "deny_verbs": ["TRACE"]}, "'reason' is required"),
        ({"id": "x1", "reason": "r", "deny_verb": ["TRACE"]}, "unknown key(s) deny_verb"),
        ({"id": "x1", "reason": "r", "deny_verbs": "TRACE"}, "deny_verbs must be a list"),
    ],
)
def test_bad_emergency_rules_are_named(item: dict[str, object], message: str) -> None:
    from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import emergency_rules

    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        emergency_rules([item])
    assert "urlscan_emergency_rules[0]" in str(caught.value)


@pytest.mark.parametrize("host", ["web01", "web02"])
def test_a_backup_puts_the_snapshot_back_byte_for_byte(host: str, tmp_path: Path) -> None:
    snapshot = copy_of(host, tmp_path)
    before = digest(snapshot)
    applied = apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), RULES))
    assert applied.backup and digest(snapshot) != before

    preview = restore_backup(snapshot, applied.backup, check_mode=True)
    assert preview.restored and digest(snapshot) != before  # check mode writes nothing

    restored = restore_backup(snapshot, applied.backup)
    assert digest(snapshot) == before
    assert restored.restored == preview.restored and restored.removed == preview.removed
    again = restore_backup(snapshot, applied.backup)
    assert not again.restored and not again.removed


def test_files_the_plan_created_are_removed_by_a_restore(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    before = digest(snapshot)
    plan = plan_host(load_snapshot(snapshot), RULES)
    created = FileChange(path="C:\\inetpub\\wwwroot\\new\\web.config", before_sha256=None, after=b"<configuration />")
    plan = dataclasses.replace(plan, files=(*plan.files, created))
    applied = apply_to_snapshot(snapshot, plan)
    new_file = apply_module.local_path(snapshot, created.path)
    assert applied.backup and new_file.is_file()

    restored = restore_backup(snapshot, applied.backup)

    assert new_file.relative_to(snapshot).as_posix() in restored.removed
    assert not new_file.exists()
    assert digest(snapshot) == before


def test_a_missing_or_incomplete_backup_restores_nothing(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    applied = apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), RULES))
    assert applied.backup
    changed = digest(snapshot)
    with pytest.raises(ApplyError, match="cannot be read"):
        restore_backup(snapshot, "20000101T000000000000Z")
    with pytest.raises(ApplyError, match="not a backup id"):
        restore_backup(snapshot, "../web02")
    next((snapshot / BACKUPS / applied.backup / "files").glob("*.bak")).unlink()
    with pytest.raises(ApplyError, match="incomplete"):
        restore_backup(snapshot, applied.backup)
    assert digest(snapshot) == changed


def test_a_symbolic_link_inside_a_snapshot_is_never_read_nor_written_through(tmp_path: Path) -> None:
    """A hostile snapshot links a site's folder outside: the audit does not read it, harden and rollback do not write there."""
    snapshot = copy_of("web01", tmp_path)
    outside = tmp_path / "outside"
    shutil.move(str(snapshot / "files" / "C" / "inetpub" / "shop"), outside)
    (outside / "web.config").write_bytes(b'<configuration><appSettings><add key="leak" value="SECRET-OUTSIDE" /></appSettings></configuration>')
    (snapshot / "files" / "C" / "inetpub" / "shop").symlink_to(outside, target_is_directory=True)
    before = digest(outside)

    state = load_snapshot(snapshot)
    assert state.files.read("C:\\inetpub\\shop\\web.config") is None
    plan = plan_host(state, RULES)
    assert all("SECRET-OUTSIDE" not in str(f.as_dict()) for f in plan.before)
    assert not any(c.path.casefold().startswith("c:\\inetpub\\shop\\") for c in plan.files)
    applied = apply_to_snapshot(snapshot, plan)
    assert applied.backup
    created = FileChange(path="C:\\inetpub\\shop\\new\\web.config", before_sha256=None, after=b"<configuration />")
    with pytest.raises(ApplyError, match="symbolic link"):
        apply_to_snapshot(snapshot, dataclasses.replace(plan_host(load_snapshot(snapshot), RULES), files=(created,)))
    restore_backup(snapshot, applied.backup)
    assert digest(outside) == before


@pytest.mark.parametrize(
    "entry",
    [
        {"path": "C:\\x/../../../../outside/owned.txt", "existed": True, "sha256": "0" * 64, "copy": "files/0.bak"},
        {"path": "C:\\inetpub\\web.config", "existed": True, "sha256": "0" * 64, "copy": "../../../outside/owned.txt"},
    ],
)
def test_a_tampered_backup_cannot_reach_outside_the_snapshot(tmp_path: Path, entry: dict[str, object]) -> None:
    snapshot = copy_of("web02", tmp_path)
    applied = apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), RULES))
    assert applied.backup
    manifest = snapshot / BACKUPS / applied.backup / "backup.json"
    document = json.loads(manifest.read_text(encoding="utf-8"))
    document["files"] = [entry]
    manifest.write_text(json.dumps(document), encoding="utf-8")
    (tmp_path / "outside").mkdir()
    before = digest(snapshot)

    with pytest.raises(ApplyError, match=r"refused|not inside the backup folder|cannot be read"):
        restore_backup(snapshot, applied.backup)

    assert list((tmp_path / "outside").iterdir()) == [] and digest(snapshot) == before
