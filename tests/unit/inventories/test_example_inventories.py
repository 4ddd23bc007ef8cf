# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The example inventories: test mirrors production, connections are secure, no secret is in a file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
INVENTORY = shutil.which("ansible-inventory", path=str(Path(sys.executable).parent)) or "ansible-inventory"
SOURCES = [ROOT / "inventories" / "example", *sorted(p for p in (ROOT / "inventories" / "customers").iterdir() if p.is_dir())]
VAULT_REFERENCE = re.compile(r"^\{\{ *vault_\w+ *\}\}$")


def inventory(source: Path) -> dict[str, Any]:
    listed = subprocess.run([INVENTORY, "-i", str(source), "--list"], capture_output=True, text=True, check=True, cwd=ROOT)
    data: dict[str, Any] = json.loads(listed.stdout)
    return data


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_test_and_production_are_managed_alike(source: Path) -> None:
    data = inventory(source)
    test, production = data["test"]["hosts"], data["production"]["hosts"]
    assert test and production and not set(test) & set(production)
    hostvars = data["_meta"]["hostvars"]

    def baseline(host: str) -> dict[str, Any]:
        return {name: value for name, value in hostvars[host].items() if not name.startswith("rollout_")}

    assert all(baseline(host) == baseline(test[0]) for host in test + production)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_host_connects_over_https_with_certificate_validation_and_vaulted_credentials(source: Path) -> None:
    hostvars = inventory(source)["_meta"]["hostvars"]
    for host, variables in hostvars.items():
        assert variables["ansible_connection"] == "winrm", host
        assert variables["ansible_port"] == 5986 and variables["ansible_winrm_scheme"] == "https", host
        assert variables["ansible_winrm_server_cert_validation"] == "validate", host
        assert variables["ansible_winrm_message_encryption"] == "always", host
        assert variables["ansible_winrm_transport"] in {"kerberos", "ntlm", "credssp"}, host
        assert VAULT_REFERENCE.match(variables["ansible_password"]), host
        assert VAULT_REFERENCE.match(variables["ansible_user"]), host


def test_no_inventory_file_holds_a_secret() -> None:
    secret = re.compile(r"^\s*(\w*(password|secret|token|key))\s*:\s*(?P<value>.+)$", re.IGNORECASE)
    for path in [*(ROOT / "inventories" / "example").rglob("*"), *(ROOT / "inventories" / "customers").rglob("*")]:
        if not path.is_file() or path.name.endswith(".example"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = secret.match(line)
            if match and not match["value"].strip().startswith(("'{{", '"{{', "{{")) and not match["value"].strip().startswith("/"):
                pytest.fail(f"{path.relative_to(ROOT)}:{number}: a secret in plain text ({match[1]})")
