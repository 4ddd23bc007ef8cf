# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""No secret of the lab reaches any output, log or report of a full run at -vvv with --diff.

A scratch copy of the lab gets more secrets beside the ones it has (the shop's forms password,
the AES session keys of applicationHost.config): a connection string, an appSettings API key,
machine keys and an application pool's password, each on or next to a line the hardening
changes. Then the lab is audited, hardened with ``--check --diff`` and with ``--diff``,
its effective credentials and keys are listed, it is collected, its evidence is collected and
its dashboard is written, every play with ``-vvv`` and an Ansible log. Every secret, as text
and as base64, is looked for in every play's output, in the log and in every file written under
the report directory, but the copies of the hosts' files that collecting and evidence keep on
purpose (``snapshot/`` trees, the collected snapshots). One more ``--check --diff`` with
``hardened_iis_show_secrets=true`` must show the secrets, so the search would find a leak.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
SHOP = Path("snapshots", "web01", "files", "C", "inetpub", "shop", "web.config")
APPHOST = Path("snapshots", "web01", "files", "C", "Windows", "System32", "inetsrv", "config", "applicationHost.config")
PLANTED = {
    SHOP: (
        (
            "<configuration>\n",
            '<configuration>\n  <appSettings>\n    <add key="Payment.ApiKey" value="Planted-ApiKey-5519" />\n  </appSettings>\n',
        ),
        (
            "  </system.web>\n  <system.webServer>\n",
            "  </system.web>\n  <connectionStrings>\n"
            '    <add name="ShopDb" connectionString="Server=db01;Database=shop;User Id=shop;Password=Planted-Conn-7731" />\n'
            "  </connectionStrings>\n  <system.webServer>\n",
        ),
        ('<machineKey validation="MD5"', '<machineKey validationKey="Planted-ValKey-2287" decryptionKey="Planted-DecKey-9904" validation="MD5"'),
    ),
    APPHOST: (
        ('<processModel identityType="LocalSystem"', '<processModel identityType="SpecificUser" userName="CORP\\svc-shop" password="Planted-Pool-4410"'),
    ),
}
SECRET_ATTRIBUTE = re.compile(r'\b(?:password|connectionString|validationKey|decryptionKey|sessionKey)="([^"]+)"|key="[^"]*Key" value="([^"]+)"')
CONNECTION_PASSWORD = re.compile(r"\b(?:password|pwd)=([^;\"]+)", re.IGNORECASE)
IN_THE_RAW_DIFF = ("Spring2019!", "Planted-ApiKey-5519", "Planted-Conn-7731", "Planted-ValKey-2287", "Planted-DecKey-9904", "Planted-Pool-4410")
EFFECTIVE = """---
- name: List the effective settings that hold secrets
  hosts: web01
  gather_facts: false
  tasks:
    - name: Print the forms credentials, machine key, appSettings and connection strings of every scope
      ansible.builtin.debug:
        msg: "{{ secret_rows | hardened.iis.effective_report }}"
      vars:
        secret_rows: "{{ query('hardened.iis.effective_config', hardened_iis_snapshot, host=inventory_hostname, settings=secret_settings) }}"
        secret_settings:
          - {section: system.web/authentication, element: forms/credentials, show: [name, password]}
          - {section: system.web/machineKey, attribute: validationKey}
          - {section: system.web/machineKey, attribute: decryptionKey}
          - {section: appSettings, show: [key, value]}
          - {section: connectionStrings, show: [name, connectionString]}
"""


@dataclass
class LabRun:
    lab: Path
    secrets: set[str]
    """Every secret of the lab, read before the first play."""
    reports: Path
    outputs: dict[str, str]
    """Each play's stdout and stderr, by what it did."""
    log: Path
    raw: str
    """The output of the check with hardened_iis_show_secrets=true."""


def plant_secrets(lab: Path) -> None:
    for relative, edits in PLANTED.items():
        path = lab / relative
        text = path.read_text(encoding="utf-8")
        for anchor, replacement in edits:
            assert text.count(anchor) == 1, (relative, anchor)
            text = text.replace(anchor, replacement)
        path.write_text(text, encoding="utf-8")


def lab_secrets(lab: Path) -> set[str]:
    """Every secret value in the lab's snapshots, found by attribute name (independently of the redaction under test)."""
    found: set[str] = set()
    for path in sorted((lab / "snapshots").rglob("*")):
        if path.is_file() and path.suffix.casefold() == ".config":
            text = path.read_text("utf-8", "replace")
            found.update(value for match in SECRET_ATTRIBUTE.finditer(text) for value in match.groups() if value)
    found.update(password for value in list(found) for password in CONNECTION_PASSWORD.findall(value))
    return found


def base64_cores(secret: str) -> list[str]:
    """What any base64 of a text holding the secret contains, whatever the secret's offset (three alignments)."""
    data = secret.encode("utf-8")
    cores = [base64.b64encode(data[shift:]).decode("ascii")[: 4 * ((len(data) - shift) // 3)] for shift in range(3)]
    return [core for core in cores if len(core) >= 8]


def play(lab: Path, log: Path, playbook: str | Path, *options: str) -> str:
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), ANSIBLE_LOG_PATH=str(log))
    reports = lab.parent / "reports"
    command = [PLAYBOOK, "-i", str(lab / "hosts.yml"), str(playbook), "-vvv", "-e", f"hardened_iis_report_dir={reports}", *options]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> LabRun:
    root = tmp_path_factory.mktemp("secrets")
    lab = root / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    plant_secrets(lab)
    secrets = lab_secrets(lab)
    effective = root / "effective.yml"
    effective.write_text(EFFECTIVE, encoding="utf-8")
    log = root / "ansible.log"
    outputs = {
        "audit": play(lab, log, "playbooks/audit.yml"),
        "effective settings": play(lab, log, effective),
        "harden --check --diff": play(lab, log, "playbooks/harden.yml", "--check", "--diff"),
    }
    raw = play(lab, root / "raw.log", "playbooks/harden.yml", "--check", "--diff", "-l", "web01", "-e", "hardened_iis_show_secrets=true")
    outputs["harden --diff"] = play(lab, log, "playbooks/harden.yml", "--diff")
    outputs["audit after"] = play(lab, log, "playbooks/audit.yml")
    outputs["collect"] = play(lab, log, "playbooks/collect.yml", "-e", f"hardened_iis_collect_dir={root / 'reports' / 'collected'}")
    outputs["collect evidence"] = play(lab, log, "playbooks/collect_evidence.yml")
    outputs["dashboard"] = play(lab, log, "playbooks/dashboard.yml")
    return LabRun(lab, secrets, root / "reports", outputs, log, raw)


def report_files(reports: Path) -> list[Path]:
    """Every file written under the report directory but the copies of the hosts' files kept on purpose."""
    kept_raw = ("collected", "snapshot")
    return [path for path in sorted(reports.rglob("*")) if path.is_file() and not set(path.relative_to(reports).parts[:-1]) & set(kept_raw)]


def test_no_secret_of_the_lab_is_in_any_output_log_or_report(lab_run: LabRun) -> None:
    secrets = lab_run.secrets
    assert {"Spring2019!", *IN_THE_RAW_DIFF} <= secrets and len(secrets) >= len(IN_THE_RAW_DIFF) + 2  # and the session keys
    places = {f"output of {name}": text.encode("utf-8") for name, text in lab_run.outputs.items()}
    places["the Ansible log"] = lab_run.log.read_bytes()
    files = report_files(lab_run.reports)
    assert {"findings.json", "findings.junit.xml", "dashboard.html", "evidence.json", "manifest.sha256"} <= {p.name for p in files}
    places.update({str(path.relative_to(lab_run.reports)): path.read_bytes() for path in files})
    leaks = [
        f"{secret!r} in {place}"
        for secret in sorted(secrets)
        for place, data in places.items()
        for form in [secret, *base64_cores(secret)]
        if form.encode("utf-8") in data
    ]
    assert leaks == []
    assert 'password="[redacted]"' in lab_run.outputs["harden --check --diff"]
    assert 'connectionString="[redacted]"' in lab_run.outputs["harden --diff"]
    assert "shopadmin=[redacted]" in lab_run.outputs["effective settings"]


def test_the_switch_shows_the_raw_diff(lab_run: LabRun) -> None:
    for secret in IN_THE_RAW_DIFF:
        assert secret in lab_run.raw, secret
    assert '<user name="shopadmin" password="Spring2019!" />' in lab_run.raw
