# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A finding whose evidence is a secret carries it redacted, unless the person asks for it raw."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding, findings_json, junit_xml
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot

ROOT = Path(__file__).resolve().parents[5]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"
WINLOGON = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon"
SHOP = "Default Web Site/shop"


def rule(rule_id: str, check: dict[str, Any], scope: str = "application") -> dict[str, Any]:
    return {
        "id": rule_id,
        "title": rule_id,
        "severity": "high",
        "scope": scope,
        "references": {"cis_iis10": ["0.0"]},
        "check": check,
        "remediation": {"manual": {"guidance": "by hand"}},
    }


RULES = catalog_from_data(
    [
        rule(
            "t-shopadmin-password-empty",
            {
                "config": {
                    "section": "system.web/authentication",
                    "element": "forms/credentials/user[@name='shopadmin']",
                    "attribute": "password",
                    "expect": {"equals": ""},
                }
            },
        ),
        rule(
            "t-every-user-password-empty",
            {
                "config_collection": {
                    "section": "system.web/authentication",
                    "element": "forms/credentials",
                    "every": {"attribute": "password", "expect": {"equals": ""}},
                }
            },
        ),
        rule(
            "t-password-format-hashed",
            {
                "config": {
                    "section": "system.web/authentication",
                    "element": "forms/credentials",
                    "attribute": "passwordFormat",
                    "expect": {"not_equals": "Clear"},
                }
            },
        ),
        rule("t-no-autologon-password", {"registry": {"path": WINLOGON, "name": "DefaultPassword", "expect": {"equals": ""}}}, scope="server"),
        rule("t-autologon-user", {"registry": {"path": WINLOGON, "name": "DefaultUserName", "expect": {"equals": ""}}}, scope="server"),
    ],
    "test rules",
).rules


@pytest.fixture(scope="module")
def findings() -> dict[tuple[str, str], Finding]:
    lab: HostState = load_snapshot(WEB01)
    state = dataclasses.replace(lab, registry={**lab.registry, WINLOGON: {"DefaultUserName": "kiosk", "DefaultPassword": "Autologon36"}})
    return {(f.rule_id, f.scope): f for f in Evaluator(state).evaluate(RULES)}


@pytest.mark.parametrize(
    ("key", "raw", "shown"),
    [
        (("t-shopadmin-password-empty", SHOP), "Spring2019!", "[redacted]"),
        (("t-every-user-password-empty", SHOP), "shopadmin: 'Spring2019!'", "shopadmin: '[redacted]'"),
        (("t-no-autologon-password", "server"), "Autologon36", "[redacted]"),
    ],
)
def test_secret_evidence_is_redacted_in_the_finding_and_raw_on_request(
    findings: dict[tuple[str, str], Finding], key: tuple[str, str], raw: str, shown: str
) -> None:
    finding = findings[key]
    assert finding.status == "fail"
    assert finding.evidence.actual == raw  # the verdict used the real value
    assert finding.as_dict()["evidence"]["actual"] == shown
    assert finding.as_dict(show_secrets=True)["evidence"]["actual"] == raw
    assert finding.evidence.file == "C:\\inetpub\\shop\\web.config" or key[1] == "server"


def test_evidence_that_is_no_secret_is_shown_as_it_is(findings: dict[tuple[str, str], Finding]) -> None:
    assert findings[("t-password-format-hashed", SHOP)].as_dict()["evidence"]["actual"] == "Clear"
    assert findings[("t-autologon-user", "server")].as_dict()["evidence"]["actual"] == "kiosk"


def test_reports_written_from_findings_hold_no_secret(findings: dict[tuple[str, str], Finding]) -> None:
    rows = [f.as_dict() for f in findings.values()]
    for report in (findings_json(rows, "2026-11-20T00:00:00+00:00"), junit_xml(rows).decode("utf-8")):
        assert "Spring2019!" not in report and "Autologon36" not in report
        assert "[redacted]" in report
