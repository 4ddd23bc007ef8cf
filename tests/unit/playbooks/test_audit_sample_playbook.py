# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Random audits with playbooks/audit.yml on the lab: audit_sample_percent and audit_sample_seed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.filter.sample_hosts import sample_hosts

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CATALOG = ROOT / "tests" / "unit" / "plugins" / "plugin_utils" / "_audit" / "fixtures" / "catalog.yml"
LAB_HOSTS = ["web01", "web02", "web03"]


def run(report_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(ROOT / "inventories" / "lab" / "hosts.yml"), "playbooks/audit.yml", "-e", f"hardened_iis_catalog={CATALOG}"]
    command += ["-e", f"hardened_iis_report_dir={report_dir}", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def audited(report_dir: Path) -> set[str]:
    document = json.loads((report_dir / "findings.json").read_text(encoding="utf-8"))
    return {finding["host"] for finding in document["findings"]}


def test_a_sample_audits_the_hosts_the_seed_chooses_and_says_so(tmp_path: Path) -> None:
    result = run(tmp_path, "-e", "audit_sample_percent=50", "-e", "audit_sample_seed=abc")
    assert result.returncode == 0, result.stdout + result.stderr
    expected = sample_hosts(LAB_HOSTS, 50, "abc")
    assert len(expected) == 2
    assert audited(tmp_path) == set(expected)
    assert f"Random audit: 2 of 3 hosts (50 %, audit_sample_seed=abc): {', '.join(expected)}" in result.stdout
    again = run(tmp_path / "again", "-e", '{"audit_sample_percent": 50, "audit_sample_seed": "abc"}')
    assert again.returncode == 0, again.stdout + again.stderr
    assert audited(tmp_path / "again") == set(expected)


def test_a_small_share_still_audits_one_host_and_the_seed_defaults_to_the_date(tmp_path: Path) -> None:
    result = run(tmp_path, "-e", "audit_sample_percent=1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(audited(tmp_path)) == 1
    assert "Random audit: 1 of 3 hosts (1 %, audit_sample_seed=20" in result.stdout


@pytest.mark.parametrize("extra", ["audit_sample_percent=0", "audit_sample_percent=ten", "audit_sample_percent=150", "audit_sample_seed=abc"])
def test_a_bad_or_missing_percentage_stops_before_any_audit(tmp_path: Path, extra: str) -> None:
    result = run(tmp_path, "-e", extra)
    assert result.returncode != 0
    assert "audit_sample_percent must be a number greater than 0 and at most 100" in result.stdout
    assert not (tmp_path / "findings.json").exists()
