# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/discover.yml against real web servers on loopback addresses."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def servers() -> Iterator[int]:
    """The same port on 127.0.0.2 (web01, in the inventory) and 127.0.0.3 (in no inventory), served by
    the Molecule discovery scenario's own server script in a process of its own."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(ROOT / "molecule" / "discovery" / "serve.py"), str(port), "127.0.0.2", "127.0.0.3"])
    try:
        deadline = time.monotonic() + 10
        for address in ("127.0.0.2", "127.0.0.3"):
            while True:
                try:
                    socket.create_connection((address, port), timeout=0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    web01: {ansible_host: 127.0.0.2}\n    web09: {ansible_host: 127.0.0.9}\n    db01: {ansible_host: 10.255.0.1}\n",
        encoding="utf-8",
    )
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(inventory), "-c", "local", "-e", f"ansible_python_interpreter={sys.executable}", "playbooks/discover.yml", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_discovery_tells_managed_rogue_and_missing(tmp_path: Path, servers: int) -> None:
    variables = {
        "discovery_scope": ["127.0.0.2-9"],
        "discovery_ports": [servers],
        "discovery_timeout": 0.5,
        "hardened_iis_report_dir": str(tmp_path / "reports"),
    }
    result = run(tmp_path, "-e", json.dumps(variables))
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads((tmp_path / "reports" / "discovery_findings.json").read_text(encoding="utf-8"))
    jsonschema.validate(findings, json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8")))
    verdicts = sorted((f["rule_id"], f["host"], f["scope"], f["status"]) for f in findings["findings"])
    assert verdicts == [
        ("discovery-host-missing", "web09", "server", "fail"),
        ("discovery-rogue-web-server", "127.0.0.3", f"127.0.0.3:{servers}", "fail"),
        ("discovery-web-server-managed", "web01", f"127.0.0.2:{servers}", "pass"),
    ]
    csv = (tmp_path / "reports" / "discovery.csv").read_text(encoding="utf-8").splitlines()
    assert csv[0].startswith("address,port,tls,status,server,product")
    assert sorted(line.split(",")[:6] for line in csv[1:]) == [
        ["127.0.0.2", str(servers), "False", "200", "Microsoft-IIS/10.0", "IIS"],
        ["127.0.0.3", str(servers), "False", "200", "Microsoft-IIS/10.0", "IIS"],
    ]
    assert "managed 1, rogue 1, missing 1, unapproved 0" in result.stdout


def test_an_unbounded_scope_is_refused_and_nothing_is_scanned(tmp_path: Path) -> None:
    result = run(tmp_path, "-e", '{"discovery_scope": ["0.0.0.0/0"]}')
    assert result.returncode != 0
    assert "the whole address space is never scanned" in result.stdout
    missing = run(tmp_path)
    assert missing.returncode != 0
    assert "discovery_scope is not set" in missing.stdout


def test_a_wrong_setting_is_named_and_nothing_is_scanned(tmp_path: Path) -> None:
    variables = {"discovery_scope": ["127.0.0.2"], "discovery_retries": -1, "hardened_iis_report_dir": str(tmp_path / "reports")}
    result = run(tmp_path, "-e", json.dumps(variables))
    assert result.returncode != 0
    assert "retries: -1 is below 0" in result.stdout
    assert not (tmp_path / "reports").exists()
