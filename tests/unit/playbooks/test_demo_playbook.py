# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo playbook end to end through ansible-playbook, and its errors on bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"


def run(*extra: str, lab: Path) -> subprocess.CompletedProcess[str]:
    """The demo on a scratch copy of the lab (it hardens the hosts it audits)."""
    if not lab.exists():
        shutil.copytree(ROOT / "inventories" / "lab", lab)
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(lab / "hosts.yml"), "playbooks/demo.yml", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_demo_prints_scores_worst_failures_and_effective_settings(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in (ROOT / "inventories" / "lab").rglob("*") if p.is_file()}
    result = run("-e", f"hardened_iis_report_dir={tmp_path}", lab=tmp_path / "lab")
    assert result.returncode == 0, result.stdout + result.stderr
    assert {p: p.read_bytes() for p in (ROOT / "inventories" / "lab").rglob("*") if p.is_file()} == before
    assert "web01   16.8%    25   124      29         0      0    3" in result.stdout
    assert "web01   73.8%   110    39      29         0      0    3" in result.stdout
    assert "fleet" in result.stdout
    assert "== web01: " in result.stdout and "most severe:" in result.stdout
    assert (tmp_path / "findings.json").is_file()
    assert "== web01: Default Web Site/shop (differs from server-wide)" in result.stdout
    assert "system.web/compilation@debug" in result.stdout
    assert "C:\\inetpub\\shop\\web.config:4" in result.stdout
    assert "[locked-section] section system.webServer/asp is locked" in result.stdout


def test_a_missing_snapshot_fails_and_names_it(tmp_path: Path) -> None:
    result = run("-e", f"hardened_iis_snapshot={tmp_path / 'missing'}", "-e", f"hardened_iis_report_dir={tmp_path}", lab=tmp_path / "lab")
    assert result.returncode != 0
    assert f"{tmp_path / 'missing'}: not a host snapshot" in result.stdout + result.stderr


def test_a_malformed_web_config_fails_with_file_and_line(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(WEB01, snapshot)
    broken = snapshot / "files" / "C" / "inetpub" / "shop" / "web.config"
    broken.write_text("<configuration>\n  <system.web>\n    <compilation debug='true'>\n</configuration>\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in snapshot.rglob("*") if p.is_file()}
    result = run("-e", f"hardened_iis_snapshot={snapshot}", "-e", f"hardened_iis_report_dir={tmp_path / 'reports'}", lab=tmp_path / "lab")
    assert result.returncode != 0
    assert "C:\\inetpub\\shop\\web.config:4:3: not well-formed XML: mismatched tag" in result.stdout + result.stderr
    assert {p: p.read_bytes() for p in snapshot.rglob("*") if p.is_file()} == before
