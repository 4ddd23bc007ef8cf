# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.snapshot_write and hardened.iis.evidence_bundle on a live host: they read it themselves, through its target."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.evidence_bundle import ActionModule as EvidenceBundle
from ansible_collections.hardened.iis.plugins.action.snapshot_write import ActionModule as SnapshotWrite

from .conftest import LAB, Runner

Standin = Callable[[str], tuple[Runner, Path]]


def test_a_collected_live_host_audits_offline_as_it_did_live(standin: Standin, tmp_path: Path) -> None:
    runner, _root = standin("web01")
    written = runner.run(SnapshotWrite, {"dest": str(tmp_path / "collected")})
    live = runner.run(Audit, {"today": "2026-11-22"})
    offline = Runner(None).run(Audit, {"today": "2026-11-22", "snapshot": str(tmp_path / "collected")})

    assert written["changed"] and written["target"] == "live" and written["remote_calls"] == 1
    state = yaml.safe_load((tmp_path / "collected" / "state.yml").read_text(encoding="utf-8"))
    assert "C:\\Windows\\web\\printers" in state["present_paths"]  # probed, kept, not read
    assert [(f["rule_id"], f["scope"], f["status"]) for f in offline["findings"]] == [(f["rule_id"], f["scope"], f["status"]) for f in live["findings"]]


def test_an_evidence_bundle_of_a_live_host_fetches_the_logs_of_the_window(standin: Standin, tmp_path: Path) -> None:
    runner, root = standin("web02")
    args = {"dest": str(tmp_path / "bundle"), "window_start": "2026-11-19T08:00:00Z", "window_end": "2026-11-19T09:00:00Z"}

    result = runner.run(EvidenceBundle, args, host="web02")

    assert not result.get("failed"), result.get("msg")
    assert runner.calls[:3] == ["hardened.iis.iis_host_state", "hardened.iis.host_processes", "ansible.windows.win_find"]
    assert runner.calls[3:] == ["fetch C:\\inetpub\\logs\\LogFiles\\W3SVC1\\u_ex261119.log"]
    fetched = tmp_path / "bundle" / "logs" / "C" / "inetpub" / "logs" / "LogFiles" / "W3SVC1" / "u_ex261119.log"
    assert fetched.read_bytes() == (root / "files/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log").read_bytes()
    evidence = json.loads((tmp_path / "bundle" / "evidence.json").read_text(encoding="utf-8"))
    assert evidence["source"] == "live" and evidence["host"] == "web02"
    manifest = dict(reversed(line.split("  ", 1)) for line in (tmp_path / "bundle" / "manifest.sha256").read_text(encoding="utf-8").splitlines())
    assert manifest["processes.json"] == hashlib.sha256((tmp_path / "bundle" / "processes.json").read_bytes()).hexdigest()


def test_collecting_a_snapshot_host_copies_no_file_through_a_link(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    (tmp_path / "secret.txt").write_bytes(b"SECRET-OUTSIDE")
    (snapshot / "files" / "C" / "inetpub" / "linked.txt").symlink_to(tmp_path / "secret.txt")

    result = Runner(None).run(SnapshotWrite, {"dest": str(tmp_path / "copy")}, hardened_iis_snapshot=str(snapshot))

    assert result["target"] == "snapshot" and not result.get("failed"), result.get("msg")
    assert not (tmp_path / "copy" / "files" / "C" / "inetpub" / "linked.txt").exists()
    assert all(b"SECRET-OUTSIDE" not in p.read_bytes() for p in (tmp_path / "copy").rglob("*") if p.is_file())
