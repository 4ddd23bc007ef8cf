# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/discover.yml against real web servers on loopback addresses."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"


class IisLike(http.server.BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""

    def do_GET(self) -> None:
        body = b"<html><head><title>IIS Windows Server</title></head><body><img src='iisstart.png'></body></html>"
        self.send_response(200)
        self.send_header("X-Powered-By", "ASP.NET")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.2", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def servers() -> Iterator[int]:
    """The same port on 127.0.0.2 (web01, in the inventory) and 127.0.0.3 (in no inventory)."""
    port = free_port()
    running = [http.server.ThreadingHTTPServer((address, port), IisLike) for address in ("127.0.0.2", "127.0.0.3")]
    for server in running:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield port
    for server in running:
        server.shutdown()
        server.server_close()


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
