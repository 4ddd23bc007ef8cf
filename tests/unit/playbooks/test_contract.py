# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The contract suite (tests/contract/contract.yml) passes on the stand-in, and fails on a stand-in broken on purpose."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"


def run_contract(tmp_path: Path, fault: str = "") -> subprocess.CompletedProcess[str]:
    shutil.copytree(ROOT / "inventories" / "lab" / "snapshots" / "web01", tmp_path / "web01")
    inventory = tmp_path / "hosts.yml"
    host = {"ansible_connection": "hardened_iis_standin", "hardened_iis_standin_root": str(tmp_path / "web01")}
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"web01": host}}}), encoding="utf-8")
    environment = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
        ANSIBLE_CONNECTION_PLUGINS=str(ROOT / "tests" / "standin" / "connection_plugins"),
        HARDENED_IIS_STANDIN_FAULT=fault,
    )
    command = [PLAYBOOK, "-i", str(inventory), "tests/contract/contract.yml"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_the_stand_in_keeps_the_contract(tmp_path: Path) -> None:
    result = run_contract(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failed=0" in result.stdout


def test_a_restore_that_loses_registry_types_fails_the_contract(tmp_path: Path) -> None:
    result = run_contract(tmp_path, fault="restore-keeps-current-type")
    assert result.returncode != 0
    assert "contract_value_restored.type == 'REG_SZ'" in result.stdout, result.stdout
