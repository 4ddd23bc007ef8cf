# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The playbooks on hosts that are not snapshots: a real WinRM connection, the stand-in, and host identity."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .conftest import closed_port

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
LAB = ROOT / "inventories" / "lab" / "snapshots"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")


def run(inventory: Path, playbook: str, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
        ANSIBLE_CONNECTION_PLUGINS=str(ROOT / "tests" / "standin" / "connection_plugins"),
    )
    command = [PLAYBOOK, "-i", str(inventory), playbook, *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def write_inventory(path: Path, hosts: dict[str, dict[str, object]]) -> Path:
    path.write_text(yaml.safe_dump({"all": {"hosts": hosts}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("connection", ["winrm", "psrp"])
def test_audit_of_a_windows_host_tries_the_transport_and_reports_it_unreachable(tmp_path: Path, connection: str) -> None:
    port = closed_port()
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {
            "web01": {
                "ansible_connection": connection,
                "ansible_host": "127.0.0.1",
                "ansible_port": port,
                "ansible_user": "auditor",
                "ansible_password": "not-a-real-password",
                "ansible_winrm_transport": "ntlm",
                "ansible_winrm_server_cert_validation": "validate",
                "ansible_psrp_auth": "ntlm",
            }
        },
    )

    result = run(inventory, "playbooks/audit.yml", "-e", f"hardened_iis_report_dir={tmp_path / 'reports'}")

    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "UNREACHABLE" in output, output
    assert "nothing to audit" not in output
    assert "not-a-real-password" not in output
    assert str(port) in output  # the transport's own error names where it tried


def test_an_unreachable_stand_in_is_unreachable_and_the_rest_of_the_fleet_is_audited(tmp_path: Path) -> None:
    for host in ("web01", "web02"):
        shutil.copytree(LAB / host, tmp_path / host)
    inventory = write_inventory(
        tmp_path / "hosts.yml",
        {
            "web01": {"ansible_connection": "hardened_iis_standin", "hardened_iis_standin_root": str(tmp_path / "web01")},
            "web02": {
                "ansible_connection": "hardened_iis_standin",
                "hardened_iis_standin_root": str(tmp_path / "web02"),
                "hardened_iis_standin_unreachable": True,
            },
        },
    )

    result = run(inventory, "playbooks/audit.yml", "-e", f"hardened_iis_report_dir={tmp_path / 'reports'}")

    assert "fatal: [web02]: UNREACHABLE!" in result.stdout, result.stdout
    assert "does not answer" in result.stdout
    findings = json.loads((tmp_path / "reports" / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert {f["host"] for f in findings} == {"web01"}


def test_two_inventory_hosts_on_one_snapshot_are_two_rows_everywhere(tmp_path: Path) -> None:
    """Identity is the inventory name: the snapshot's own 'host: web01' never merges the two."""
    shutil.copytree(LAB / "web01", tmp_path / "web01")
    local = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "hardened_iis_snapshot": str(tmp_path / "web01")}
    inventory = write_inventory(tmp_path / "hosts.yml", {"shop-blue": dict(local), "shop-green": dict(local)})
    reports = tmp_path / "reports"

    audited = run(inventory, "playbooks/audit.yml", "-e", f"hardened_iis_report_dir={reports}")
    assert audited.returncode == 0, audited.stdout + audited.stderr
    findings = json.loads((reports / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert {f["host"] for f in findings} == {"shop-blue", "shop-green"}

    if CORPUS and Path(CORPUS, "cvrf").is_dir():
        patched = run(
            inventory,
            "playbooks/patch_compliance.yml",
            "-e",
            f"hardened_iis_report_dir={reports}",
            "-e",
            f"hardened_iis_cvrf_dir={Path(CORPUS, 'cvrf')}",
            "-e",
            f"hardened_iis_cvrf_cache_dir={tmp_path / 'cache'}",
        )
        assert patched.returncode == 0, patched.stdout + patched.stderr
        with (reports / "patch_compliance.csv").open(encoding="utf-8") as stream:
            assert sorted(row["host"] for row in csv.DictReader(stream)) == ["shop-blue", "shop-green"]

    key = tmp_path / "signing.pem"
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    integrity = ["-e", f"hardened_iis_report_dir={reports}", "-e", f"integrity_store={tmp_path / 'store'}", "-e", f"integrity_signing_key={key}"]
    integrity += ["-e", json.dumps({"integrity_roots": [str(tmp_path / "web01" / "files")], "integrity_exclude": []})]
    captured = run(inventory, "playbooks/integrity_capture.yml", *integrity)
    assert captured.returncode == 0, captured.stdout + captured.stderr
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["shop-blue", "shop-green"]
    verified = run(inventory, "playbooks/integrity_verify.yml", *integrity)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "shop-blue" in verified.stdout and "shop-green" in verified.stdout

    dashboard = run(inventory, "playbooks/dashboard.yml", "-e", f"hardened_iis_report_dir={reports}")
    assert dashboard.returncode == 0, dashboard.stdout + dashboard.stderr
    with (reports / "dashboard.csv").open(encoding="utf-8") as stream:
        assert sorted(row["host"] for row in csv.DictReader(stream)) == ["shop-blue", "shop-green"]


def test_every_step_the_playbooks_and_roles_take_on_a_host_is_a_module_with_a_contract() -> None:
    """No inline PowerShell or command: each step has documented options and RETURN the stand-in answers by."""
    inline = ("ansible.windows.win_powershell", "ansible.windows.win_shell", "ansible.windows.win_command", "ansible.builtin.raw")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("playbooks", "roles")
        for path in sorted((ROOT / folder).rglob("*.yml"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if line.strip().rstrip(":").lstrip("- ") in inline
    ]
    assert found == []
