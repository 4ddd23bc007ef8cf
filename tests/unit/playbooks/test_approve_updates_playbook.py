# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/approve_updates.yml end to end on a scratch copy of the lab and the real MSRC documents.

web03 is patched (the November 2025 cumulative update and the January 2024 .NET update), web02
lacks the .NET update: with web03 as the test group the change set is approved, with web02 in
it the approval is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not (Path(CORPUS) / "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")

ENTRIES: list[dict[str, Any]] = [
    {
        "kb": "5068787",
        "title": "2025-11 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "products": ["Windows Server 2022"],
        "file": "2025-11/windows10.0-kb5068787-x64.msu",
        "sha256": "9F2C6A1E8B7D4C3A9E5F1B2D6C8A0E4F7B3D9C1A5E2F8B4D6A0C3E7F9B1D5A2C",
        "approved_on": "2025-11-14",
        "tested_in": ["test"],
    },
    {
        "kb": "KB5034272",
        "title": "2024-01 Cumulative Update for .NET Framework 3.5 and 4.8 for Microsoft server operating system version 21H2 — ünïcode",
        "products": ["Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"],
        "file": "https://patches.example.org/dotnet/windows10.0-kb5034272-x64-ndp48.msu",
        "sha256": "3b7a0c9d2e4f6a8b1c3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b",
        "approved_on": "2024-01-12",
        "tested_in": [],
    },
]


def expected_sha256() -> str:
    """The canonical JSON written down independently: normalised entries sorted by KB, promoted_on left out."""
    canonical = [
        {**entry, "kb": "KB" + entry["kb"].removeprefix("KB"), "sha256": entry["sha256"].lower()}
        for entry in sorted(ENTRIES, key=lambda e: "KB" + e["kb"].removeprefix("KB"))
    ]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode("ascii")).hexdigest()


def write_manifest(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"updates": entries}, allow_unicode=True), encoding="utf-8")
    return path


def run(tmp_path: Path, test_hosts: list[str], *extra: str, entries: list[dict[str, Any]] | None = None) -> subprocess.CompletedProcess[str]:
    lab = tmp_path / "lab"
    if not lab.exists():
        shutil.copytree(ROOT / "inventories" / "lab", lab)
    groups = tmp_path / "test_group.yml"
    groups.write_text(yaml.safe_dump({"all": {"children": {"test": {"hosts": dict.fromkeys(test_hosts)}}}}), encoding="utf-8")
    manifest = write_manifest(tmp_path / "manifest.yml", ENTRIES if entries is None else entries)
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [
        PLAYBOOK,
        "-i",
        str(lab / "hosts.yml"),
        "-i",
        str(groups),
        "playbooks/approve_updates.yml",
        "-e",
        f"hardened_iis_approved_manifest={manifest}",
        "-e",
        f"hardened_iis_report_dir={tmp_path / 'reports'}",
        "-e",
        f"hardened_iis_cvrf_cache_dir={tmp_path / 'cache'}",
        "-e",
        "hardened_iis_patch_today=2026-11-22",
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_a_patched_test_host_approves_the_change_set_and_the_record_names_it(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in (ROOT / "inventories" / "lab").rglob("*") if p.is_file()}
    result = run(tmp_path, ["web03"])
    assert result.returncode == 0, result.stdout + result.stderr
    sha = expected_sha256()
    record_path = tmp_path / "reports" / "approvals" / f"{sha}.json"
    assert [p.name for p in (tmp_path / "reports" / "approvals").iterdir()] == [record_path.name]
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["change_set_sha256"] == sha
    assert hashlib.sha256(json.dumps(record["change_set"], sort_keys=True, separators=(",", ":")).encode()).hexdigest() == sha
    assert record["kbs"] == ["KB5034272", "KB5068787"]
    assert (record["stage"], record["group"], record["hosts"]) == ("test", "test", ["web03"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["approved_at"])
    summary = record["compliance"]["web03"]
    assert (summary["compliant"], summary["build"], summary["patch_level"], summary["missing"]) == (True, "20348.4405", "2025-Nov", [])
    assert summary["documents"] == ["2018-Dec", "2022-Jan", "2024-Jan", "2025-Nov"]
    assert f"change set {sha} (KB5034272, KB5068787) passed the test stage on web03" in result.stdout
    assert {p: p.read_bytes() for p in (ROOT / "inventories" / "lab").rglob("*") if p.is_file()} == before


def test_promotion_does_not_change_the_identity_of_the_change_set(tmp_path: Path) -> None:
    promoted = [{**ENTRIES[0], "promoted_on": "2025-11-21"}, ENTRIES[1]]
    result = run(tmp_path, ["web03"], entries=promoted)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "reports" / "approvals" / f"{expected_sha256()}.json").is_file()


def test_a_test_host_missing_an_update_of_the_set_refuses_the_approval(tmp_path: Path) -> None:
    result = run(tmp_path, ["web02", "web03"])
    assert result.returncode != 0
    assert f"change set {expected_sha256()} (KB5034272, KB5068787) is not approved, because web02: still misses KB5034272" in result.stdout
    assert not (tmp_path / "reports" / "approvals").exists()


def test_a_test_host_left_out_by_limit_or_failing_its_judgement_refuses_the_approval(tmp_path: Path) -> None:
    result = run(tmp_path, ["web02", "web03"], "--limit", "web03,localhost")
    assert result.returncode != 0
    assert "web02: hotfix compliance was not judged: the host did not run it" in result.stdout
    result = run(tmp_path, ["web03"], "-e", f"hardened_iis_snapshot={tmp_path / 'missing'}")
    assert result.returncode != 0
    assert f"web03: hotfix compliance was not judged: hotfix compliance of web03: {tmp_path / 'missing'}: not a host snapshot" in result.stdout
    assert not (tmp_path / "reports" / "approvals").exists()


def test_the_record_path_can_be_chosen_and_check_mode_writes_nothing(tmp_path: Path) -> None:
    chosen = tmp_path / "records" / "november.json"
    result = run(tmp_path, ["web03"], "--check", "-e", f"hardened_iis_approval_path={chosen}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not chosen.exists()
    result = run(tmp_path, ["web03"], "-e", f"hardened_iis_approval_path={chosen}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(chosen.read_text(encoding="utf-8"))["change_set_sha256"] == expected_sha256()


def test_an_empty_test_group_or_an_invalid_manifest_is_named(tmp_path: Path) -> None:
    result = run(tmp_path, ["web03"], "-e", "hardened_iis_approval_group=staging")
    assert result.returncode != 0
    assert 'a non-empty inventory group \\"staging\\" of test hosts (hardened_iis_approval_group)' in result.stdout
    result = run(tmp_path, ["web03"], entries=[{**ENTRIES[0], "sha256": "not-a-digest"}])
    assert result.returncode != 0
    assert "approved_updates: entry 0 (sha256): 'not-a-digest' is not a SHA-256 digest" in result.stdout
