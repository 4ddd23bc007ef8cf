# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An apply on a snapshot cut short at every step: by SIGKILL, by an exception, by a full disk; and the run after it."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._files import TEMPORARY_MARK
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden import apply as apply_module
from ansible_collections.hardened.iis.plugins.plugin_utils._harden import intent as intent_module
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS, ApplyError, apply_to_snapshot, crash_points, restore_backup
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.intent import CRASH_ENV, INTENT, ControllerGone
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import Plan, plan_host
from ansible_collections.hardened.iis.plugins.plugin_utils._target import FOUND, RECOVERED, SnapshotTarget

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
RULES = load_catalog().rules
PLAN = plan_host(load_snapshot(LAB / "web01"), RULES)
STEPS = crash_points(PLAN)
BEFORE_INTENT = ("backup", "replace:manifest", "replace:intent")
HOLDER = {"controller": "ctl-test", "user": "ops", "pid": 4242, "purpose": "hardened.iis.harden of web01", "since": "2026-12-06T04:15:00Z"}


def digest(tree: Path) -> dict[str, str]:
    """Every file of the snapshot but its backups folder, with its SHA-256."""
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file() and BACKUPS not in p.parts}


def copy_of(tmp_path: Path) -> Path:
    target = tmp_path / "web01"
    shutil.copytree(LAB / "web01", target)
    return target


def applied_digest(tmp_path: Path) -> dict[str, str]:
    """The snapshot as the plan leaves it, applied without interruption on another copy."""
    other = tmp_path / "applied"
    shutil.copytree(LAB / "web01", other)
    apply_to_snapshot(other, PLAN)
    return digest(other)


def leftovers(tree: Path) -> list[str]:
    """Temporary files a killed write left anywhere in the snapshot (its backups folder too)."""
    return sorted(str(p.relative_to(tree)) for p in tree.rglob("*") if TEMPORARY_MARK in p.name)


def backups(snapshot: Path) -> list[Path]:
    folder = snapshot / BACKUPS
    return sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def killed_at(step: str, snapshot: Path, plan: Plan) -> int:
    """Run the apply in a child process that is SIGKILLed at ``step``; its wait status."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.environ[CRASH_ENV] = step
            apply_to_snapshot(snapshot, plan, holder=HOLDER)
        finally:
            os._exit(3)  # reached only when nothing killed it
    _pid, status = os.waitpid(pid, 0)
    return status


class Notices:
    """What a target tells its action about an interrupted apply."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, Any], str]] = []

    def __call__(self, key: str, found: dict[str, Any], message: str) -> None:
        self.seen.append((key, found, message))


def target_of(snapshot: Path, *, check_mode: bool = False) -> tuple[SnapshotTarget, Notices]:
    target = SnapshotTarget("web01", snapshot)
    notices = Notices()
    target.notify = notices
    target.check_mode = check_mode
    target.lock_timeout = 0
    return target, notices


def test_the_plan_has_crash_points_in_every_step() -> None:
    assert len(PLAN.files) == 5 and PLAN.registry and PLAN.features
    assert STEPS[:4] == ["backup", "replace:manifest", "replace:intent", "intent"]
    assert STEPS[-4:] == ["replace:state", "state", "validated", "finished"]
    assert len(STEPS) == 4 + 2 * 5 + 4


@pytest.mark.parametrize("step", STEPS)
def test_a_kill_at_any_step_leaves_the_snapshot_old_or_new_and_the_next_run_restores_it_and_says_so(step: str, tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    after = applied_digest(tmp_path)

    status = killed_at(step, snapshot, PLAN)

    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, f"the apply was not killed at {step} (status {status})"
    # Every file is whole: as before, or as the plan writes it (never torn).
    now = digest(snapshot)
    assert all(now.get(path) in (before.get(path), after.get(path)) for path in set(now) | set(before) if TEMPORARY_MARK not in path)
    intent_left = (snapshot / BACKUPS / INTENT).is_file()
    assert intent_left == (step not in (*BEFORE_INTENT, "finished"))

    target, notices = target_of(snapshot)
    with target.session():  # the next run, as a harden begins
        state = target.gather()

    if step == "finished":
        assert digest(snapshot) == after and notices.seen == []
        return
    assert digest(snapshot) == before
    assert state.registry == load_snapshot(LAB / "web01").registry  # what the run after it plans from
    assert not (snapshot / BACKUPS / INTENT).exists() and leftovers(snapshot) == []
    assert all((folder / "backup.json").is_file() for folder in backups(snapshot)), "an incomplete backup folder was left"
    if step in BEFORE_INTENT:
        assert notices.seen == []  # nothing had been changed
        return
    [(key, found, message)] = notices.seen
    assert key == RECOVERED and found["completed"] and found["backup"] == backups(snapshot)[-1].name
    assert found["holder"] == HOLDER and found["files"] == [c.path for c in PLAN.files]
    assert "never finished" in message and "ops on ctl-test" in message and "restored from that backup before anything else" in message


@pytest.mark.parametrize("step", STEPS[:-1])
@pytest.mark.parametrize("interruption", [RuntimeError("injected"), KeyboardInterrupt()], ids=["exception", "keyboard-interrupt"])
def test_an_exception_at_any_step_is_undone_at_once(step: str, interruption: BaseException, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)

    def interrupt(at: str) -> None:
        if at == step:
            raise interruption

    monkeypatch.setattr(apply_module, "checkpoint", interrupt)
    monkeypatch.setattr(intent_module, "checkpoint", interrupt)
    expected: type[BaseException] = ApplyError if isinstance(interruption, Exception) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        apply_to_snapshot(snapshot, PLAN)

    assert digest(snapshot) == before and leftovers(snapshot) == []
    assert not (snapshot / BACKUPS / INTENT).exists()
    if step in BEFORE_INTENT:  # nothing was changed yet: the backup is gone too
        assert backups(snapshot) == []
    elif isinstance(caught.value, ApplyError):
        assert caught.value.restored and "restored from backup" in str(caught.value)


def test_an_apply_stops_and_undoes_itself_when_ansible_playbook_has_ended(tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    steps: list[int] = []

    def watch() -> None:
        steps.append(1)
        if len(steps) == 3:  # after the second file: ansible-playbook is gone
            raise ControllerGone("the process that started this run (pid 4240, ansible-playbook) has ended")

    with pytest.raises(ApplyError, match=r"the apply stopped because the process that started this run \(pid 4240, ansible-playbook\) has ended") as caught:
        apply_to_snapshot(snapshot, PLAN, watch=watch)
    assert caught.value.restored and len(steps) == 3
    assert digest(snapshot) == before and not (snapshot / BACKUPS / INTENT).exists()


@pytest.mark.parametrize("entry", ["gather", "apply", "restore", "collect", "check-mode-gather"])
def test_every_entry_point_finds_an_interrupted_apply_first(entry: str, tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    killed_at("write:3", snapshot, PLAN)
    half = digest(snapshot)
    assert half != before
    crashed = backups(snapshot)[-1].name
    target, notices = target_of(snapshot, check_mode=entry.startswith("check-mode"))

    if entry in ("gather", "check-mode-gather"):
        target.gather()
    elif entry == "apply":
        plan = plan_host(load_snapshot(LAB / "web01"), RULES)  # planned from the host as it was before the crash
        assert target.apply(plan, check_mode=False).changed
    elif entry == "restore":
        target.restore(crashed, check_mode=False)
    else:
        target.collect()

    [(key, found, message)] = notices.seen
    assert found["backup"] == crashed
    if entry in ("collect", "check-mode-gather"):  # reported, left as it is
        assert key == FOUND and not found["completed"] and "was not restored now" in message
        assert digest(snapshot) == half and (snapshot / BACKUPS / INTENT).is_file()
        return
    assert key == RECOVERED and found["completed"] and not (snapshot / BACKUPS / INTENT).exists()
    if entry == "apply":
        assert digest(snapshot) == applied_digest(tmp_path)
    else:
        assert digest(snapshot) == before


def test_a_recovery_cut_short_is_simply_done_again(tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    killed_at("state", snapshot, PLAN)
    crashed = backups(snapshot)[-1].name
    restore_backup(snapshot, crashed)  # as far as a recovery gets before it too is killed: the record is still there
    assert (snapshot / BACKUPS / INTENT).is_file()

    target, notices = target_of(snapshot)
    target.gather()

    assert digest(snapshot) == before and not (snapshot / BACKUPS / INTENT).exists()
    [(key, found, _message)] = notices.seen
    assert key == RECOVERED and found["restored"] == [] and found["removed"] == []


def test_an_intent_record_whose_backup_is_gone_is_refused_and_left_for_a_person(tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    killed_at("write:1", snapshot, PLAN)
    shutil.rmtree(backups(snapshot)[-1])
    target, _notices = target_of(snapshot)

    with pytest.raises(Exception, match=r"never finished|cannot be restored") as caught:
        target.gather()
    assert "check the host, then remove" in str(caught.value)
    assert (snapshot / BACKUPS / INTENT).is_file()


def test_a_tampered_intent_record_never_names_a_path(tmp_path: Path) -> None:
    snapshot = copy_of(tmp_path)
    killed_at("write:1", snapshot, PLAN)
    record = json.loads((snapshot / BACKUPS / INTENT).read_text(encoding="utf-8"))
    record["backup"] = "../../etc"
    (snapshot / BACKUPS / INTENT).write_text(json.dumps(record), encoding="utf-8")
    target, _notices = target_of(snapshot)

    with pytest.raises(Exception, match="'backup' must be a backup id"):
        target.gather()


def _full_disk_after(count: int, real: Any) -> Any:
    calls: list[int] = []

    def write(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) > count:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    return write


@pytest.mark.parametrize("where", ["copies", "manifest"])
def test_a_full_disk_while_backing_up_is_named_and_leaves_nothing_behind(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    if where == "copies":
        monkeypatch.setattr(apply_module, "_copy_durably", _full_disk_after(1, apply_module._copy_durably))
    else:
        monkeypatch.setattr(apply_module, "write_atomically", _full_disk_after(0, apply_module.write_atomically))

    with pytest.raises(ApplyError) as caught:
        apply_to_snapshot(snapshot, PLAN)

    message = str(caught.value)
    assert f"backing up to {snapshot / BACKUPS}" in message and "failed: the disk is full (No space left on device" in message
    assert "bytes free on that file system" in message and "the incomplete backup folder was removed and nothing was changed" in message
    assert not caught.value.restored
    assert digest(snapshot) == before and backups(snapshot) == [] and leftovers(snapshot) == []
    assert not (snapshot / BACKUPS / INTENT).exists()


def test_a_full_disk_while_writing_the_intent_record_removes_the_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = copy_of(tmp_path)
    before = digest(snapshot)
    monkeypatch.setattr(intent_module, "write_atomically", _full_disk_after(0, intent_module.write_atomically))

    with pytest.raises(ApplyError, match=r"writing the intent record into .* failed: the disk is full .*the backup was removed and nothing was changed"):
        apply_to_snapshot(snapshot, PLAN)
    assert digest(snapshot) == before and backups(snapshot) == [] and leftovers(snapshot) == []
