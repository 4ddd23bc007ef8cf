# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compliance gate of playbooks/build_image.yml, run on copies of the lab's snapshots.

The stages before the gate need a Windows host; the gate runs from its first task on the lab:
web03 passes every rule with automated remediation and is patch-compliant, web01 has never
been hardened, so the gate must fail it and only it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not (Path(CORPUS) / "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
GATE_START = "Read the image's state in one call"


def run_gate(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [
        PLAYBOOK,
        "-i",
        str(lab / "hosts.yml"),
        "playbooks/build_image.yml",
        "--start-at-task",
        GATE_START,
        "-e",
        f"build_image_report_dir={tmp_path / 'reports'}",
        "-e",
        f"hardened_iis_cvrf_cache_dir={tmp_path / 'cache'}",
        "-e",
        "hardened_iis_patch_today=2026-11-22",
        *extra,
    ]
    (tmp_path / "reports").mkdir()
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=600)


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP's counters per host."""
    hosts: dict[str, dict[str, int]] = {}
    lines = output.split("PLAY RECAP", 1)[1].splitlines()[1:]
    for line in lines:
        if ":" not in line:
            continue
        host, counters = line.split(":", 1)
        hosts[host.strip()] = {key: int(value) for key, value in (item.split("=") for item in counters.split())}
    return hosts


def test_the_gate_passes_a_compliant_image_and_fails_an_unhardened_one(tmp_path: Path) -> None:
    result = run_gate(tmp_path, "--limit", "web01,web03")
    output = " ".join((result.stdout + result.stderr).split())  # messages wrap in the YAML output
    assert result.returncode != 0, output
    counters = recap(result.stdout)
    assert counters["web03"]["failed"] == 0, output
    assert counters["web01"]["failed"] == 1, output
    assert "rules with automated remediation fail on web01" in output
    assert "web03: patch-compliant at build" in output
    # The evidence of both is written before the gate decides.
    for host in ("web01", "web03"):
        findings = json.loads((tmp_path / "reports" / f"{host}-findings.json").read_text(encoding="utf-8"))
        rules = {finding["rule_id"] for finding in findings["findings"]}
        assert "iis-directory-browsing-off" in rules
        assert any(rule.startswith("hotfix-kb") for rule in rules)


def test_exceptions_clear_the_rule_gate_but_not_the_patch_gate(tmp_path: Path) -> None:
    first = run_gate(tmp_path / "first", "--limit", "web01")
    assert first.returncode != 0
    catalog = yaml.safe_load((ROOT / "rules" / "iis10.yml").read_text(encoding="utf-8"))
    manual = {rule["id"] for rule in catalog if "manual" in rule.get("remediation", {})}
    findings = json.loads((tmp_path / "first" / "reports" / "web01-findings.json").read_text(encoding="utf-8"))["findings"]
    failing = sorted({f["rule_id"] for f in findings if f["status"] == "fail" and f["rule_id"] in {r["id"] for r in catalog}} - manual)
    assert failing
    exceptions = [{"rule": rule, "reason": "accepted for this test", "expires": "2099-12-31"} for rule in failing]
    second = run_gate(tmp_path / "second", "--limit", "web01", "-e", json.dumps({"hardened_iis_exceptions": exceptions}))
    # The rules are excepted now, but web01 still misses required updates: the gate still fails, on that.
    said = " ".join(second.stdout.split())  # messages wrap in the YAML output
    assert second.returncode != 0
    assert "every rule with automated remediation passes, is excepted or does not apply" in said, second.stdout
    assert "web01 is not patch-compliant" in said
    assert "rules with automated remediation fail" not in said
