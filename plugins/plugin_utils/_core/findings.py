# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The findings format shared by every feature, and its reports.

One finding per host x rule x scope (schema: ``schemas/findings.schema.json``). The
same list is written as ``findings.json``, as JUnit XML (one test case per host x rule,
failing when any scope fails) and summarised per host and for the fleet with a score
of passed / (passed + failed).
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from .errors import CatalogError

STATUSES = ("pass", "fail", "manual", "not_applicable", "excepted", "error")


@dataclass
class Evidence:
    file: str | None = None
    line: int | None = None
    location_path: str | None = None
    actual: str | None = None
    expected: str | None = None
    redacted: str | None = None
    """``actual`` with the secrets in it replaced by the marker, when it holds any (``_iisconfig/secrets.py``)."""

    def as_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The evidence as findings carry it: ``actual`` redacted when it holds a secret, unless ``show_secrets``."""
        actual = self.actual if show_secrets or self.redacted is None else self.redacted
        return {"file": self.file, "line": self.line, "location_path": self.location_path, "actual": actual, "expected": self.expected}


@dataclass
class Finding:
    host: str
    rule_id: str
    title: str
    references: dict[str, list[str]]
    severity: str
    status: str
    scope: str
    evidence: Evidence = field(default_factory=Evidence)
    remediation: str = ""
    exception: dict[str, Any] | None = None

    def as_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        found = {
            "host": self.host,
            "rule_id": self.rule_id,
            "title": self.title,
            "references": self.references,
            "severity": self.severity,
            "status": self.status,
            "scope": self.scope,
            "evidence": self.evidence.as_dict(show_secrets=show_secrets),
            "remediation": self.remediation,
        }
        if self.exception is not None:
            found["exception"] = self.exception
        return found


@dataclass(frozen=True)
class RuleException:
    """An accepted deviation: ``{rule, scope, reason, expires, owner}`` (scope may use * globs); one that cannot be used is a CatalogError."""

    rule: str
    scope: str
    reason: str
    expires: datetime.date | None
    owner: str | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> RuleException:
        if not isinstance(data, dict) or not {"rule", "reason"} <= set(data):
            raise CatalogError(f"{where}: an exception needs 'rule' and 'reason' (and may have 'scope', 'expires', 'owner')")
        unknown = set(data) - {"rule", "scope", "reason", "expires", "owner"}
        if unknown:
            raise CatalogError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        expires = data.get("expires")
        if isinstance(expires, str):
            try:
                expires = datetime.date.fromisoformat(expires)
            except ValueError:
                raise CatalogError(f"{where}: expires must be a date (YYYY-MM-DD), not {data['expires']!r}") from None
        elif expires is not None and not isinstance(expires, datetime.date):
            raise CatalogError(f"{where}: expires must be a date (YYYY-MM-DD)")
        owner = data.get("owner")
        return cls(str(data["rule"]), str(data.get("scope") or "*"), str(data["reason"]), expires, str(owner) if owner else None)

    def matches(self, finding: Finding) -> bool:
        return finding.rule_id == self.rule and fnmatch.fnmatchcase(finding.scope.casefold(), self.scope.casefold())

    def as_dict(self, today: datetime.date) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "scope": self.scope,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "expired": self.expires is not None and self.expires < today,
            "owner": self.owner,
        }

    def describe(self) -> str:
        """The exception in a warning: rule, scope, owner, reason."""
        owner = f", owner {self.owner}" if self.owner else ""
        return f"the exception for {self.rule} @ {self.scope} ({self.reason!r}{owner})"


def waiver_warnings(exceptions: list[RuleException], today: datetime.date, window: int) -> list[str]:
    """A warning for each exception that has expired (its findings fail again) or expires within ``window`` days."""
    warnings = []
    for exception in exceptions:
        if exception.expires is None:
            continue
        left = (exception.expires - today).days
        if left < 0:
            warnings.append(f"{exception.describe()} expired on {exception.expires.isoformat()}: its findings fail again")
        elif left <= window:
            warnings.append(f"{exception.describe()} expires on {exception.expires.isoformat()}, in {left} day(s)")
    return warnings


def apply_exceptions(findings: list[Finding], exceptions: list[RuleException], today: datetime.date) -> None:
    """Mark failing findings covered by an unexpired exception as excepted; show expired ones."""
    for finding in findings:
        if finding.status != "fail":
            continue
        for exception in exceptions:
            if not exception.matches(finding):
                continue
            finding.exception = exception.as_dict(today)
            if not finding.exception["expired"]:
                finding.status = "excepted"
            break


@dataclass(frozen=True)
class Score:
    passed: int
    failed: int
    manual: int
    excepted: int
    errors: int
    not_applicable: int

    @property
    def value(self) -> float | None:
        total = self.passed + self.failed
        return round(self.passed / total, 4) if total else None


def score(findings: list[dict[str, Any]] | list[Finding]) -> Score:
    statuses = [f.status if isinstance(f, Finding) else f["status"] for f in findings]
    return Score(
        passed=statuses.count("pass"),
        failed=statuses.count("fail"),
        manual=statuses.count("manual"),
        excepted=statuses.count("excepted"),
        errors=statuses.count("error"),
        not_applicable=statuses.count("not_applicable"),
    )


def summary_lines(findings: list[dict[str, Any]]) -> list[str]:
    """A console summary: the score per host, then the fleet; ``n/a`` counts findings of rules that do not apply (left out of the score)."""
    hosts = sorted({f["host"] for f in findings})
    width = max([len(h) for h in hosts] + [5])
    lines = [f"{'host'.ljust(width)}  score    pass  fail  manual  excepted  error  n/a"]
    for host in hosts:
        result = score([f for f in findings if f["host"] == host])
        lines.append(_score_line(host.ljust(width), result))
    lines.append(_score_line("fleet".ljust(width), score(findings)))
    return lines


def _score_line(label: str, result: Score) -> str:
    value = f"{result.value * 100:5.1f}%" if result.value is not None else "   n/a"
    return f"{label}  {value}  {result.passed:4}  {result.failed:4}  {result.manual:6}  {result.excepted:8}  {result.errors:5}  {result.not_applicable:3}"


def junit_xml(findings: list[dict[str, Any]]) -> bytes:
    """JUnit XML: a test suite per host, a test case per rule (failing if any scope fails)."""
    suites = ET.Element("testsuites", name="hardened.iis audit")
    for host in sorted({f["host"] for f in findings}):
        mine = [f for f in findings if f["host"] == host]
        rules: dict[str, list[dict[str, Any]]] = {}
        for finding in mine:
            rules.setdefault(finding["rule_id"], []).append(finding)
        failures = sum(1 for items in rules.values() if any(i["status"] == "fail" for i in items))
        errors = sum(1 for items in rules.values() if any(i["status"] == "error" for i in items) and not any(i["status"] == "fail" for i in items))
        skipped = sum(1 for items in rules.values() if all(i["status"] in ("manual", "not_applicable", "excepted") for i in items))
        suite = ET.SubElement(suites, "testsuite", name=host, tests=str(len(rules)), failures=str(failures), errors=str(errors), skipped=str(skipped))
        for rule_id, items in rules.items():
            case = ET.SubElement(suite, "testcase", classname=host, name=f"{rule_id}: {items[0]['title']}")
            failing = [i for i in items if i["status"] == "fail"]
            if failing:
                text = "\n".join(_failure_line(i) for i in failing)
                ET.SubElement(case, "failure", message=f"{len(failing)} scope(s) fail").text = text
            elif any(i["status"] == "error" for i in items):
                ET.SubElement(case, "error", message="the rule could not be evaluated").text = "\n".join(
                    str(i["evidence"].get("actual")) for i in items if i["status"] == "error"
                )
            elif all(i["status"] in ("manual", "not_applicable", "excepted") for i in items):
                ET.SubElement(case, "skipped", message=", ".join(sorted({i["status"] for i in items})))
    return bytes(ET.tostring(suites, encoding="utf-8", xml_declaration=True))


def _failure_line(finding: dict[str, Any]) -> str:
    evidence = finding["evidence"]
    return f"{finding['scope']}: {evidence.get('actual')!r} ({evidence.get('expected')}) at {evidence.get('file')}:{evidence.get('line')}"


def findings_json(findings: list[dict[str, Any]], generated_at: str) -> str:
    document = {"format": "hardened.iis/findings/v1", "generated_at": generated_at, "findings": findings}
    return json.dumps(document, indent=2, sort_keys=False) + "\n"
