# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible-playbook killed during a harden, and the playbook after it: end to end on a copy of the lab."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from .conftest import tree_digest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
INTENT = Path(".hardened-iis-backups") / "hardened-iis-intent.json"
WAIT = 240.0
"""Seconds a step of these tests waits for ansible-playbook at most (a limit for a broken run, not a measurement)."""


def lab(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of web01 and an inventory that reaches it as a snapshot."""
    snapshot = tmp_path / "web01"
    shutil.copytree(ROOT / "inventories" / "lab" / "snapshots" / "web01", snapshot)
    inventory = tmp_path / "hosts.yml"
    host = {"hardened_iis_snapshot": str(snapshot), "hardened_iis_integrity_rebaseline": False}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"web01": host}, "vars": {"hardened_iis_report_dir": str(tmp_path / "reports")}}}), encoding="utf-8")
    return snapshot, inventory


def environment(**extra: str) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), **extra)


def playbook(inventory: Path, name: str, **extra: str) -> subprocess.Popen[str]:
    command = [PLAYBOOK, "-i", str(inventory), f"playbooks/{name}"]
    return subprocess.Popen(command, cwd=ROOT, env=environment(**extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ended(pid: int) -> bool:
    """Whether a process (not a child of this one) has ended: gone, or a zombie nobody reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


def wait_for(condition: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        assert time.monotonic() < deadline, f"gave up waiting for {condition}"
        time.sleep(0.1)


def test_killing_ansible_playbook_stops_the_apply_and_undoes_it(tmp_path: Path) -> None:
    snapshot, inventory = lab(tmp_path)
    before = tree_digest(snapshot)
    pause = tmp_path / "pause"
    pause.mkdir()
    run = playbook(inventory, "harden.yml", HARDENED_IIS_TEST_CRASH_AT="write:2", HARDENED_IIS_TEST_PAUSE_DIR=str(pause))
    try:
        wait_for("the apply to reach its second file", lambda: (pause / "paused").is_file() or run.poll() is not None)
        assert run.poll() is None, run.communicate()[0]
        paused = json.loads((pause / "paused").read_text(encoding="utf-8"))
        assert paused["ansible_pid"] == run.pid  # the apply runs in a worker process of this ansible-playbook
        assert tree_digest(snapshot) != before and (snapshot / INTENT).is_file()  # half applied

        run.send_signal(signal.SIGKILL)
        run.wait()
        (pause / "resume").touch()
        wait_for("the orphaned worker to end", lambda: ended(paused["pid"]))
    finally:
        if run.poll() is None:
            run.kill()
        run.communicate()

    # The worker saw ansible-playbook gone and undid what it had written, instead of finishing on its own.
    assert tree_digest(snapshot) == before
    assert not (snapshot / INTENT).exists()


def test_a_harden_killed_mid_apply_is_restored_by_the_next_playbook_which_says_so(tmp_path: Path) -> None:
    snapshot, inventory = lab(tmp_path)
    before = tree_digest(snapshot)

    killed = playbook(inventory, "harden.yml", HARDENED_IIS_TEST_CRASH_AT="state")
    output = killed.communicate(timeout=WAIT)[0]
    assert killed.returncode != 0, output
    assert tree_digest(snapshot) != before and (snapshot / INTENT).is_file(), "the crash point was not reached"

    audit = playbook(inventory, "audit.yml")
    output = audit.communicate(timeout=WAIT)[0]

    assert audit.returncode == 0, output
    assert "[WARNING]: web01: an apply that never finished" in output.replace("\n", " ")
    assert "restored from that backup before anything else" in " ".join(output.split())
    assert tree_digest(snapshot) == before and not (snapshot / INTENT).exists()
