# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.harden and hardened.iis.audit return no secret of the host, unless the person turns redaction off."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden

from .conftest import LAB, Runner

SHOP = "C:\\inetpub\\shop\\web.config"
LAB_SECRET = "Spring2019!"
REDACTED_USER = '<user name="shopadmin" password="[redacted]" />'
RAW_USER = f'<user name="shopadmin" password="{LAB_SECRET}" />'
SESSION_KEYS = re.findall(
    r'sessionKey="([^"]+)"', (LAB / "web01" / "files" / "C" / "Windows" / "System32" / "inetsrv" / "config" / "applicationHost.config").read_text("utf-8")
)
SECRET_RULE = {
    "id": "t-shopadmin-password-empty",
    "title": "The shop administrator has no stored password",
    "severity": "high",
    "scope": "application",
    "references": {"cis_iis10": ["2.8"]},
    "check": {
        "config": {
            "section": "system.web/authentication",
            "element": "forms/credentials/user[@name='shopadmin']",
            "attribute": "password",
            "expect": {"equals": ""},
        }
    },
    "remediation": {"manual": {"guidance": "remove the stored password"}},
}


@pytest.fixture
def web01(tmp_path: Path) -> Path:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    return snapshot


def harden(snapshot: Path, args: dict[str, Any] | None = None, **host_vars: Any) -> dict[str, Any]:
    result = Runner(None).run(Harden, args or {}, check_mode=True, diff=True, hardened_iis_snapshot=str(snapshot), **host_vars)
    assert not result.get("failed"), result.get("msg")
    return result


def shop_diff(result: dict[str, Any]) -> dict[str, str]:
    return next(d for d in result["diff"] if d.get("before_header") == SHOP)


def test_a_check_diff_shows_the_shop_password_line_redacted_on_both_sides(web01: Path) -> None:
    result = harden(web01)
    diff = shop_diff(result)
    assert REDACTED_USER in diff["before"] and REDACTED_USER in diff["after"]
    planned = next(f for f in result["plan"]["files"] if f["path"] == SHOP)
    context = [line for line in planned["diff"].splitlines() if line.startswith(" ") and line.strip() == REDACTED_USER]
    assert context, "the unchanged context line is there, redacted"
    assert LAB_SECRET not in json.dumps(result)
    apphost = next(d for d in result["diff"] if str(d.get("before_header")).endswith("applicationHost.config"))
    assert 'sessionKey="[redacted]"' in apphost["before"] and 'sessionKey="[redacted]"' in apphost["after"]
    assert SESSION_KEYS and all(key not in json.dumps(result) for key in SESSION_KEYS)


@pytest.mark.parametrize("switch", ["true", True, "yes"])
def test_the_host_variable_shows_the_raw_diff(web01: Path, switch: object) -> None:
    result = harden(web01, hardened_iis_show_secrets=switch)
    assert RAW_USER in shop_diff(result)["after"]
    assert RAW_USER in next(f for f in result["plan"]["files"] if f["path"] == SHOP)["diff"]


def test_the_option_wins_over_the_host_variable(web01: Path) -> None:
    assert LAB_SECRET not in json.dumps(harden(web01, {"show_secrets": False}, hardened_iis_show_secrets=True))
    assert RAW_USER in shop_diff(harden(web01, {"show_secrets": True}))["before"]


def test_audit_evidence_of_a_secret_is_redacted_unless_asked(web01: Path, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(yaml.safe_dump([SECRET_RULE]), encoding="utf-8")

    def actual(**host_vars: Any) -> Any:
        result = Runner(None).run(Audit, {"catalog": str(catalog)}, hardened_iis_snapshot=str(web01), **host_vars)
        assert not result.get("failed"), result.get("msg")
        return next(f["evidence"]["actual"] for f in result["findings"] if f["scope"] == "Default Web Site/shop")

    assert actual() == "[redacted]"
    assert actual(hardened_iis_show_secrets="true") == LAB_SECRET
