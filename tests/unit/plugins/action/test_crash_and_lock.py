# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two operators at once, a host locked by another run, an apply that died, and a full disk: through the actions."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from standin import modules as standin_modules
from standin.host import WindowsHost

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden
from ansible_collections.hardened.iis.plugins.action.rollback import ActionModule as Rollback
from ansible_collections.hardened.iis.plugins.plugin_utils._harden import lock as lock_module
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.intent import INTENT
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.lock import exclusive

from .conftest import LAB, Runner

Standin = Callable[[str], tuple[Runner, Path]]
GATHER, APPLY, RESTORE = "hardened.iis.iis_host_state", "hardened.iis.iis_apply", "hardened.iis.iis_restore"
HOLDER = {"controller": "ctl-test", "user": "ops", "pid": 4242, "ansible_pid": 4240, "purpose": "hardened.iis.harden of web01", "since": "2026-12-06T04:15:00Z"}
# Two operators' changes to the same files: applicationHost.config and the registry (state.yml on a snapshot).
OPERATOR_A = ["iis-x-powered-by-removed", "tls-1-0-server-disabled"]
OPERATOR_B = ["iis-server-header-removed", "ssl-3-0-server-disabled"]
TRIES = 15
LIVE_BACKUPS = "C:\\ProgramData\\hardened.iis\\backups"


def digest(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file() and BACKUPS not in p.parts}


def snapshot_copy(tmp_path: Path, name: str = "web01") -> Path:
    target = tmp_path / name
    shutil.copytree(LAB / "web01", target)
    return target


def passing(snapshot: Path, rules: list[str]) -> set[str]:
    audit = Runner(None).run(Audit, {"rules": rules}, hardened_iis_snapshot=str(snapshot))
    assert not audit.get("failed"), audit.get("msg")
    return {f["rule_id"] for f in audit["findings"] if f["status"] == "pass"}


def test_two_hardens_of_one_snapshot_at_the_same_instant_lose_no_change(tmp_path: Path) -> None:
    losses, waits = [], 0
    for attempt in range(TRIES):
        snapshot = snapshot_copy(tmp_path, f"try-{attempt}")
        assert not passing(snapshot, OPERATOR_A + OPERATOR_B)
        start = threading.Barrier(2)
        results: dict[str, dict[str, Any]] = {}

        def harden(name: str, rules: list[str], snapshot: Path, start: threading.Barrier, results: dict[str, Any]) -> None:
            start.wait()
            results[name] = Runner(None).run(Harden, {"rules": rules, "lock_timeout": 120}, hardened_iis_snapshot=str(snapshot))

        threads = [threading.Thread(target=harden, args=(name, rules, snapshot, start, results)) for name, rules in (("a", OPERATOR_A), ("b", OPERATOR_B))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        passed = passing(snapshot, OPERATOR_A + OPERATOR_B)
        for name, rules in (("a", OPERATOR_A), ("b", OPERATOR_B)):
            result = results[name]
            if result.get("failed"):  # a refusal must name the holder; never a silent loss
                assert "is being changed by another run" in result["msg"], result["msg"]
                continue
            assert result["changed"], result
            if not set(rules) <= passed:
                losses.append((attempt, name, sorted(set(rules) - passed)))
        # The second run planned from the first one's result: its compare and swap never failed.
        assert not any("changed since the plan was made" in r.get("msg", "") for r in results.values())
        waits += all(not r.get("failed") for r in results.values())
    assert losses == [], f"changes lost in {len(losses)} of {TRIES} tries: {losses}"
    assert waits == TRIES  # with lock_timeout 120 s the second run always waited and then applied


def test_a_run_refused_by_a_held_lock_names_the_holder_and_changes_nothing(tmp_path: Path) -> None:
    snapshot = snapshot_copy(tmp_path)
    before = digest(snapshot)
    with exclusive(snapshot / BACKUPS, HOLDER, 0):
        harden = Runner(None).run(Harden, {"lock_timeout": 0}, hardened_iis_snapshot=str(snapshot))
        rollback = Runner(None).run(Rollback, {"backup": "20000101T000000000000Z", "lock_timeout": 0}, hardened_iis_snapshot=str(snapshot))
    for result in (harden, rollback):
        assert result["failed"]
        assert "is being changed by another run: hardened.iis.harden of web01 by ops on ctl-test (pid 4242, ansible-playbook pid 4240)" in result["msg"]
        assert "since 2026-12-06T04:15:00Z; waited 0 s for it (lock_timeout) and changed nothing" in result["msg"]
    assert digest(snapshot) == before


def test_a_waiting_run_goes_on_once_the_holder_lets_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = snapshot_copy(tmp_path)
    waiting = threading.Event()
    real_sleep = lock_module.time.sleep

    def sleep(seconds: float) -> None:
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(lock_module.time, "sleep", sleep)
    results: list[dict[str, Any]] = []
    with exclusive(snapshot / BACKUPS, HOLDER, 0):
        thread = threading.Thread(target=lambda: results.append(Runner(None).run(Harden, {"lock_timeout": 300}, hardened_iis_snapshot=str(snapshot))))
        thread.start()
        assert waiting.wait(60), "the second run did not wait for the lock"
        assert not results
    thread.join()
    assert results[0]["changed"] and not results[0].get("failed"), results[0].get("msg")


def test_a_killed_holder_never_blocks_the_next_run(tmp_path: Path) -> None:
    snapshot = snapshot_copy(tmp_path)
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a run that takes the lock and is killed while it holds it
        try:
            with exclusive(snapshot / BACKUPS, HOLDER, 0):
                os.write(ready_write, b"x")
                os.kill(os.getpid(), signal.SIGKILL)
        finally:
            os._exit(3)
    assert os.read(ready_read, 1) == b"x"
    _pid, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status)
    assert lock_module.holder_of(snapshot / BACKUPS) == HOLDER  # the file still names it, but nothing holds it

    result = Runner(None).run(Harden, {"lock_timeout": 0}, hardened_iis_snapshot=str(snapshot))

    assert result["changed"] and not result.get("failed"), result.get("msg")


def harden_killed_at(step: str, snapshot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A harden of the snapshot in a child process, SIGKILLed at ``step`` of its apply."""
    monkeypatch.setenv("HARDENED_IIS_TEST_CRASH_AT", step)
    pid = os.fork()
    if pid == 0:
        try:
            Runner(None).run(Harden, {}, hardened_iis_snapshot=str(snapshot))
        finally:
            os._exit(3)
    _pid, status = os.waitpid(pid, 0)
    monkeypatch.delenv("HARDENED_IIS_TEST_CRASH_AT")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_an_audit_completes_an_interrupted_snapshot_apply_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = snapshot_copy(tmp_path)
    before = digest(snapshot)
    harden_killed_at("write:2", snapshot, monkeypatch)
    assert digest(snapshot) != before

    audit = Runner(None).run(Audit, {}, hardened_iis_snapshot=str(snapshot))

    assert not audit.get("failed"), audit.get("msg")
    found = audit["recovered_interrupted_apply"]
    assert found["completed"] and found["holder"]["purpose"] == "harden of web01"
    assert [w for w in audit["warnings"] if "never finished" in w and "restored from that backup before anything else" in w]
    assert digest(snapshot) == before and not (snapshot / BACKUPS / INTENT).exists()
    again = Runner(None).run(Audit, {}, hardened_iis_snapshot=str(snapshot))
    assert "recovered_interrupted_apply" not in again and not again.get("warnings")


def test_a_check_mode_harden_reports_an_interrupted_apply_once_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = snapshot_copy(tmp_path)
    harden_killed_at("state", snapshot, monkeypatch)
    half = digest(snapshot)

    preview = Runner(None).run(Harden, {}, check_mode=True, hardened_iis_snapshot=str(snapshot))

    assert preview["interrupted_apply"]["completed"] is False
    assert len([w for w in preview["warnings"] if "never finished" in w]) == 1
    assert digest(snapshot) == half and (snapshot / BACKUPS / INTENT).is_file()


def test_a_harden_after_a_killed_one_restores_first_then_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = snapshot_copy(tmp_path)
    harden_killed_at("validated", snapshot, monkeypatch)

    result = Runner(None).run(Harden, {}, hardened_iis_snapshot=str(snapshot))

    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert result["recovered_interrupted_apply"]["backup"] != result["backup"]
    pristine = Runner(None).run(Audit, {"snapshot": str(LAB / "web01")})
    assert result["score_before"] == pristine["score"]  # planned from the host as it was, not as the killed run left it


# --- live hosts, through the stand-in ---------------------------------------------------------------


def host_view(root: Path) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
    """A stand-in host's configuration: its files but the backups, its registry values (empty keys left out) and features."""
    files = {k: v for k, v in digest(root).items() if "hardened.iis" not in k and not k.endswith((".yml",))}
    state = yaml.safe_load((root / "state.yml").read_text(encoding="utf-8"))
    return files, {k: v for k, v in (state.get("registry") or {}).items() if v}, dict(state.get("features") or {})


def live_backups(root: Path) -> list[Path]:
    folder = WindowsHost(root).local(LIVE_BACKUPS)
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


@pytest.mark.parametrize("step", ["backup", "intent", "write:1", "write:3", "registry", "validated"])
def test_a_live_apply_that_died_is_restored_by_the_next_run_first(step: str, standin: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, root = standin("web01")
    before = host_view(root)
    monkeypatch.setattr(standin_modules, "FAULT", f"apply-dies-at:{step}")
    died = runner.run(Harden, {})
    monkeypatch.setattr(standin_modules, "FAULT", "")
    assert died["failed"] and "MODULE FAILURE" in died["msg"]
    intent_left = WindowsHost(root).read(f"{LIVE_BACKUPS}\\{INTENT}") is not None
    assert intent_left == (step != "backup")
    runner.calls.clear()

    audit = runner.run(Audit, {})

    assert not audit.get("failed"), audit.get("msg")
    if step == "backup":  # nothing had changed: nothing to restore, and the incomplete backup is removed by the next apply
        assert runner.calls == [GATHER] and "recovered_interrupted_apply" not in audit
        assert host_view(root) == before
        assert runner.run(Harden, {})["changed"]
        assert all((folder / "backup.json").is_file() for folder in live_backups(root))
        return
    assert runner.calls == [GATHER, RESTORE, GATHER]  # found, restored under the host's lock, read again
    found = audit["recovered_interrupted_apply"]
    assert found["completed"] and found["holder"]["purpose"] == "harden of web01" and found["holder"]["host_pid"]
    assert any("never finished" in w for w in audit["warnings"])
    assert host_view(root) == before
    assert WindowsHost(root).read(f"{LIVE_BACKUPS}\\{INTENT}") is None


def test_two_hardens_of_one_live_host_at_the_same_instant_never_lose_a_change_silently(tmp_path: Path) -> None:
    losses = []
    for attempt in range(TRIES):
        root = Path(shutil.copytree(LAB / "web01", tmp_path / f"host-{attempt}"))
        start = threading.Barrier(2)
        results: dict[str, dict[str, Any]] = {}

        def harden(name: str, rules: list[str], root: Path, start: threading.Barrier, results: dict[str, Any]) -> None:
            start.wait()
            results[name] = Runner(root).run(Harden, {"rules": rules, "lock_timeout": 120})

        threads = [threading.Thread(target=harden, args=(name, rules, root, start, results)) for name, rules in (("a", OPERATOR_A), ("b", OPERATOR_B))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        audit = Runner(root).run(Audit, {"rules": OPERATOR_A + OPERATOR_B})
        passed = {f["rule_id"] for f in audit["findings"] if f["status"] == "pass"}
        assert not all(r.get("failed") for r in results.values()), results
        for name, rules in (("a", OPERATOR_A), ("b", OPERATOR_B)):
            result = results[name]
            if result.get("failed"):  # refused by compare and swap under the host's lock (the other run wrote the file first)
                assert "changed since the plan was made" in result["msg"] and "nothing was written" in result["msg"], result["msg"]
            elif not set(rules) <= passed:
                losses.append((attempt, name, sorted(set(rules) - passed)))
    assert losses == [], f"changes lost in {len(losses)} of {TRIES} tries: {losses}"


def test_a_check_mode_run_reports_an_interrupted_live_apply_and_leaves_it(standin: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, root = standin("web01")
    monkeypatch.setattr(standin_modules, "FAULT", "apply-dies-at:write:2")
    runner.run(Harden, {})
    monkeypatch.setattr(standin_modules, "FAULT", "")
    half = host_view(root)
    runner.calls.clear()

    audit = runner.run(Audit, {}, check_mode=True)

    assert runner.calls == [GATHER]
    assert not audit["interrupted_apply"]["completed"] and any("was not restored now" in w for w in audit["warnings"])
    assert host_view(root) == half


def test_a_live_apply_and_a_rollback_complete_an_interrupted_apply_first(standin: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, root = standin("web02")
    before = host_view(root)
    first = runner.run(Harden, {"rules": OPERATOR_A})
    assert first["changed"], first.get("msg")
    monkeypatch.setattr(standin_modules, "FAULT", "apply-dies-at:write:1")
    runner.run(Harden, {"rules": OPERATOR_B})
    monkeypatch.setattr(standin_modules, "FAULT", "")

    rollback = runner.run(Rollback, {"backup": first["backup"]})

    assert rollback["recovered_interrupted_apply"]["completed"] and rollback["changed"]
    assert host_view(root) == before


def test_a_live_host_locked_by_another_call_is_refused_naming_the_holder(standin: Standin) -> None:
    runner, root = standin("web01")
    before = host_view(root)
    host = WindowsHost(root)
    with standin_modules._host_lock(host, LIVE_BACKUPS, HOLDER, 0):
        result = runner.run(Harden, {"lock_timeout": 0})
    assert result["failed"]
    assert "The host is being changed by another hardened.iis call: hardened.iis.harden of web01 by ops on ctl-test (host process" in result["msg"]
    assert "(lock_timeout) and changed nothing" in result["msg"]
    assert host_view(root) == before
    assert not host.local(f"{LIVE_BACKUPS}\\hardened-iis.lock").exists()  # deleted as its holder let go


def test_a_live_run_that_waited_and_is_refused_names_the_run_it_waited_for(standin: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, root = standin("web01")
    host = WindowsHost(root)
    apphost = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
    waiting = threading.Event()
    real_sleep = standin_modules.time.sleep

    def sleep(seconds: float) -> None:
        waiting.set()
        real_sleep(seconds)

    monkeypatch.setattr(standin_modules.time, "sleep", sleep)
    results: list[dict[str, Any]] = []
    with standin_modules._host_lock(host, LIVE_BACKUPS, HOLDER, 0):
        thread = threading.Thread(target=lambda: results.append(runner.run(Harden, {"lock_timeout": 300})))
        thread.start()
        assert waiting.wait(60), "the apply did not wait for the host's lock"
        host.write(apphost, (host.read(apphost) or b"") + b"<!-- written by the holder -->")  # what the holder changed meanwhile
    thread.join()

    [result] = results
    assert result["failed"] and "changed since the plan was made" in result["msg"] and "nothing was written" in result["msg"]
    assert "this call first waited for another one that held the host: hardened.iis.harden of web01 by ops on ctl-test" in result["msg"]


def test_a_full_disk_while_a_live_host_backs_up_leaves_nothing_behind(standin: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    runner, root = standin("web01")
    before = host_view(root)
    monkeypatch.setattr(standin_modules, "FAULT", "backup-disk-full")

    result = runner.run(Harden, {})

    assert result["failed"] and not result["restored"]
    assert f"Backing up to '{LIVE_BACKUPS}\\" in result["msg"] and "There is not enough space on the disk" in result["msg"]
    assert "bytes free on C:\\" in result["msg"] and "the incomplete backup folder was removed and nothing was changed" in result["msg"]
    assert live_backups(root) == [] and host_view(root) == before


def test_a_full_disk_while_a_snapshot_backs_up_is_a_clear_failure_of_the_action(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ansible_collections.hardened.iis.plugins.plugin_utils._harden import apply as apply_module

    snapshot = snapshot_copy(tmp_path)
    before = digest(snapshot)

    def full(source: Path, copy: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(apply_module, "_copy_durably", full)
    result = Runner(None).run(Harden, {}, hardened_iis_snapshot=str(snapshot))

    assert result["failed"] and not result["restored"]
    assert f"harden of web01: backing up to {snapshot / BACKUPS}" in result["msg"] and "the disk is full" in result["msg"]
    assert digest(snapshot) == before and not [p for p in (snapshot / BACKUPS).iterdir() if p.is_dir()]
