# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/audit.yml end to end on the lab: reports, schema, check mode, bad input."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CATALOG = ROOT / "tests" / "unit" / "plugins" / "plugin_utils" / "_audit" / "fixtures" / "catalog.yml"
LAB = ROOT / "inventories" / "lab" / "snapshots"


def run(*extra: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(ROOT / "inventories" / "lab" / "hosts.yml"), "playbooks/audit.yml", "-e", f"hardened_iis_catalog={CATALOG}", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def lab_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(LAB.rglob("*")):
        if path.is_file():
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


def test_audit_writes_valid_reports_and_changes_nothing(tmp_path: Path) -> None:
    before = lab_digest()
    result = run("-e", f"hardened_iis_report_dir={tmp_path}")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8")))
    hosts = {f["host"] for f in document["findings"]}
    assert hosts == {"web01", "web02", "web03"}
    assert (tmp_path / "findings.junit.xml").read_text(encoding="utf-8").startswith("<?xml")
    assert "fleet" in result.stdout
    assert "web01 | SUCCESS" not in result.stdout
    recap = next(line for line in result.stdout.splitlines() if line.startswith("web01 "))
    assert "changed=0" in recap
    assert lab_digest() == before


def test_check_mode_writes_no_report(tmp_path: Path) -> None:
    result = run("--check", "-e", f"hardened_iis_report_dir={tmp_path / 'reports'}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / "reports").exists()


def test_unknown_rule_and_exception_ids_are_named(tmp_path: Path) -> None:
    result = run("-e", f"hardened_iis_report_dir={tmp_path}", "-e", '{"hardened_iis_skip_rules": ["no-such-rule"]}')
    assert result.returncode != 0
    assert "unknown rule id(s): no-such-rule" in result.stdout
    result = run("-e", f"hardened_iis_report_dir={tmp_path}", "-e", '{"hardened_iis_exceptions": [{"rule": "t-debug-off"}]}')
    assert result.returncode != 0
    assert "missing required arguments: reason" in result.stdout or "needs 'rule' and 'reason'" in result.stdout


def test_exceptions_are_honoured_and_reported(tmp_path: Path) -> None:
    exceptions = '{"hardened_iis_exceptions": [{"rule": "t-debug-off", "scope": "Default Web Site/shop", "reason": "staging", "expires": "2999-01-01"}]}'
    result = run("-e", f"hardened_iis_report_dir={tmp_path}", "-e", exceptions)
    assert result.returncode == 0, result.stdout + result.stderr
    findings = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))["findings"]
    debug = [f for f in findings if f["rule_id"] == "t-debug-off" and f["scope"] == "Default Web Site/shop"]
    assert [(f["status"], f["exception"]["reason"]) for f in debug] == [("excepted", "staging")]
