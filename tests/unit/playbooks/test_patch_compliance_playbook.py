# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/patch_compliance.yml end to end on the lab and the real MSRC documents."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not (Path(CORPUS) / "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    inventory = [] if "-i" in extra else ["-i", str(ROOT / "inventories" / "lab" / "hosts.yml")]
    command = [
        PLAYBOOK,
        *inventory,
        "playbooks/patch_compliance.yml",
        "-e",
        f"hardened_iis_report_dir={tmp_path / 'reports'}",
        "-e",
        f"hardened_iis_cvrf_cache_dir={tmp_path / 'cache'}",
        "-e",
        "hardened_iis_patch_today=2026-11-22",
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_the_lab_has_one_patched_host_one_behind_and_one_missing_dotnet(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    reports = tmp_path / "reports"
    table = {row["host"]: row for row in json.loads((reports / "patch_compliance.json").read_text(encoding="utf-8"))}
    assert table["web03"]["compliant"] is True
    assert (table["web03"]["patch_level"], table["web03"]["missing_kbs"]) == ("2025-Nov", [])
    assert table["web02"]["compliant"] is False
    assert table["web02"]["missing_kbs"] == ["KB5034272"]  # January 2024 .NET Framework 3.5 and 4.8 on Windows Server 2022
    assert table["web02"]["highest_severity"] == "Important"
    assert table["web01"]["compliant"] is False
    assert table["web01"]["missing_kbs"] == ["KB5066586", "KB5068791"]  # November 2025 for Windows Server 2019
    assert (table["web01"]["patch_level"], table["web01"]["days_behind"], table["web01"]["defender"]) == ("2024-Jan", 376, "stale")
    assert [row["host"] for row in json.loads((reports / "patch_compliance.json").read_text(encoding="utf-8"))] == ["web02", "web01", "web03"]

    with (reports / "patch_compliance.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [(r["host"], r["compliant"]) for r in rows] == [("web02", "False"), ("web01", "False"), ("web03", "True")]

    findings = json.loads((reports / "patch_findings.json").read_text(encoding="utf-8"))
    jsonschema.validate(findings, json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8")))
    failing = sorted((f["host"], f["rule_id"]) for f in findings["findings"] if f["status"] == "fail")
    assert failing == [
        ("web01", "defender-signatures-fresh"),
        ("web01", "hotfix-kb5066586"),
        ("web01", "hotfix-kb5068791"),
        ("web02", "hotfix-kb5034272"),
    ]
    assert "web03: COMPLIANT build 20348.4405, patch level 2025-Nov" in result.stdout
    assert "fleet: 1 of 3 hosts compliant" in result.stdout


def test_a_deferral_makes_the_missing_dotnet_update_excepted(tmp_path: Path) -> None:
    deferral = '{"hardened_iis_patch_deferrals": [{"kb": "KB5034272", "reason": "vendor sign-off pending", "expires": "2026-12-31"}]}'
    result = run(tmp_path, "--limit", "web02,localhost", "-e", deferral)
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads((tmp_path / "reports" / "patch_findings.json").read_text(encoding="utf-8"))["findings"]
    dotnet = [f for f in findings if f["rule_id"] == "hotfix-kb5034272"]
    assert [(f["status"], f["exception"]["reason"]) for f in dotnet] == [("excepted", "vendor sign-off pending")]
    assert "web02: COMPLIANT" in result.stdout


def test_a_missing_document_directory_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    result = run(tmp_path, "-e", f"hardened_iis_cvrf_dir={tmp_path / 'nowhere'}")
    assert result.returncode != 0
    assert f"{tmp_path / 'nowhere'}: the security update directory does not exist" in result.stdout
    assert not (tmp_path / "reports" / "patch_compliance.csv").exists()


def test_hotpatch_enrollment_set_from_the_inventory_counts_the_hotpatch(tmp_path: Path) -> None:
    # A copy of the lab where web02 took November 2025's hotpatch (KB5068840, UBR 4346) instead of
    # the cumulative update (KB5068787, UBR 4405).
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    state = lab / "snapshots" / "web02" / "state.yml"
    state.write_text(state.read_text(encoding="utf-8").replace("ubr: 4405", "ubr: 4346"), encoding="utf-8")
    inventory = ("-i", str(lab / "hosts.yml"), "--limit", "web02,localhost")

    def missing_kbs(*extra: str) -> list[str]:
        result = run(tmp_path, *inventory, *extra)
        assert result.returncode == 0, result.stdout + result.stderr
        rows = json.loads((tmp_path / "reports" / "patch_compliance.json").read_text(encoding="utf-8"))
        return [kb for row in rows for kb in row["missing_kbs"]]

    assert "KB5068787" in missing_kbs()
    assert "KB5068787" not in missing_kbs("-e", '{"hardened_iis_hotpatch_enrolled": true}')
