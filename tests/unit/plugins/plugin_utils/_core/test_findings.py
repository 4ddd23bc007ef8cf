# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exceptions, scores and the reports of the findings format."""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import (
    Evidence,
    Finding,
    RuleException,
    apply_exceptions,
    findings_json,
    junit_xml,
    score,
    summary_lines,
)

ROOT = Path(__file__).resolve().parents[5]
TODAY = datetime.date(2026, 11, 22)


def finding(rule: str, status: str, scope: str = "Default Web Site/shop", host: str = "web01") -> Finding:
    return Finding(host, f"rule-{rule}", rule.title(), {"cis_iis10": ["1.3"]}, "medium", status, scope, Evidence("f", 3, None, "true", "equals 'false'"), "fix")


def test_an_unexpired_exception_excepts_and_an_expired_one_does_not() -> None:
    findings = [finding("a", "fail"), finding("b", "fail"), finding("c", "fail", scope="Other"), finding("a", "pass", scope="x")]
    exceptions = [
        RuleException.parse({"rule": "rule-a", "scope": "default web site/*", "reason": "approved", "expires": "2026-12-31"}, "e[0]"),
        RuleException.parse({"rule": "rule-b", "reason": "was approved", "expires": "2026-11-21"}, "e[1]"),
    ]
    apply_exceptions(findings, exceptions, TODAY)
    assert [f.status for f in findings] == ["excepted", "fail", "fail", "pass"]
    expected = {"rule": "rule-a", "scope": "default web site/*", "reason": "approved", "expires": "2026-12-31", "expired": False, "owner": None}
    assert findings[0].exception == expected
    assert findings[1].exception is not None and findings[1].exception["expired"] is True
    assert findings[2].exception is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rule": "a"}, "needs 'rule' and 'reason'"),
        ({"rule": "a", "reason": "r", "expires": "31/12/2026"}, "expires must be a date"),
        ({"rule": "a", "reason": "r", "until": "2026-01-01"}, "unknown key(s) until"),
    ],
)
def test_bad_exceptions_are_named(data: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", "\\(").replace(")", "\\)")):
        RuleException.parse(data, "hardened_iis_exceptions[0]")


def test_score_and_summary() -> None:
    rows = [f.as_dict() for f in [finding("a", "pass"), finding("b", "fail"), finding("c", "manual"), finding("d", "pass", host="web02")]]
    rows.append(finding("e", "not_applicable", host="web02").as_dict())
    assert score([r for r in rows if r["host"] == "web01"]).value == 0.5
    assert score(rows).value == 0.6667
    assert summary_lines(rows) == [
        "host   score    pass  fail  manual  excepted  error  n/a",
        "web01   50.0%     1     1       1         0      0    0",
        "web02  100.0%     1     0       0         0      0    1",
        "fleet   66.7%     2     1       1         0      0    1",
    ]


def test_json_document_validates_against_the_shipped_schema() -> None:
    rows = [finding("a", "fail").as_dict()]
    schema = json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads(findings_json(rows, "2026-11-22T00:00:00+00:00")), schema)
    broken = dict(rows[0], status="broken")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(findings_json([broken], "x")), schema)


def test_junit_has_one_case_per_host_and_rule() -> None:
    rows = [f.as_dict() for f in [finding("a", "fail"), finding("a", "pass", scope="s2"), finding("b", "manual"), finding("c", "pass")]]
    suites = ET.fromstring(junit_xml(rows))
    suite = suites.find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("web01", "3", "1", "1")
    cases = suite.findall("testcase")
    failure = cases[0].find("failure")
    assert failure is not None and "Default Web Site/shop: 'true' (equals 'false') at f:3" in (failure.text or "")
    assert cases[1].find("skipped") is not None
    assert len(list(cases[2])) == 0
