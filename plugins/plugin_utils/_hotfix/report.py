# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hotfix compliance in the shared findings format, and the fleet table.

One finding per host x required update (``rule_id`` ``hotfix-kb5009555``, scope the
product) plus one for Defender's signatures (``defender-signatures-fresh``). MSRC
severities map onto the findings' scale: Critical -> high, Important -> medium,
Moderate and Low -> low.

The fleet table has one row per host, in the spirit of HFNetChk's report: compliant or
not, patch level, missing updates, the worst severity, exploited CVEs still open, days
behind and the age of the antivirus signatures; as JSON rows, CSV and console lines.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.compliance import HostCompliance, Outcome
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._report_text import csv_text

FINDING_SEVERITY = {"critical": "high", "important": "medium", "moderate": "low", "low": "low"}
_STATUS = {"installed": "pass", "missing": "fail", "deferred": "excepted"}
TABLE_COLUMNS = (
    "host",
    "compliant",
    "build",
    "patch_level",
    "missing",
    "highest_severity",
    "exploited_open",
    "days_behind",
    "defender",
    "signature_age_days",
    "missing_kbs",
)


def _update_finding(compliance: HostCompliance, outcome: Outcome) -> Finding:
    requirement = outcome.requirement
    build = requirement.fixed_build
    exception = None
    if outcome.deferral is not None:
        exception = {**outcome.deferral.as_dict(), "rule": f"hotfix-{requirement.kb.casefold()}", "scope": requirement.product.name}
    return Finding(
        host=compliance.host,
        rule_id=f"hotfix-{requirement.kb.casefold()}",
        title=f"{requirement.document.id} {requirement.subtype or 'update'} {requirement.kb} for {requirement.product.name} is installed",
        references={"cve": list(requirement.cves), "msrc": [requirement.document.id], "kb": [requirement.kb]},
        severity=FINDING_SEVERITY.get((requirement.severity or "").casefold(), "medium"),
        status=_STATUS[outcome.status],
        scope=requirement.product.name,
        evidence=Evidence(
            file="os.current_build, os.ubr, updates",
            actual=outcome.evidence,
            expected=(f"build ≥ {build[0]}.{build[1]} or " if build else "") + f"{requirement.kb} or a KB that supersedes it",
        ),
        remediation=f"Install {requirement.kb} or a later update that supersedes it ({_cve_list(requirement.cves)})",
        exception=exception,
    )


def _cve_list(cves: list[str], shown: int = 5) -> str:
    return ", ".join(cves[:shown]) + (f" and {len(cves) - shown} more" if len(cves) > shown else "")


def _defender_finding(compliance: HostCompliance, limit: float | None) -> Finding:
    status = {"fresh": "pass", "stale": "fail", "disabled": "fail", "unknown": "fail", "not_required": "not_applicable"}[compliance.defender_status]
    age = compliance.signature_age_days
    actual = {
        "fresh": f"signatures {age} days old",
        "stale": f"signatures {age} days old" if age is not None else "signature date unknown",
        "disabled": "Defender antivirus is disabled",
        "unknown": "Defender status was not gathered (not installed, or gather_updates off)",
        "not_required": "not required by the policy",
    }[compliance.defender_status]
    return Finding(
        host=compliance.host,
        rule_id="defender-signatures-fresh",
        title="Microsoft Defender antivirus runs with recent signatures",
        references={},
        severity="medium",
        status=status,
        scope="server",
        evidence=Evidence(file="defender", actual=actual, expected=f"enabled, signatures at most {limit} days old" if limit is not None else "enabled"),
        remediation="Update the signatures (Update-MpSignature, or the patches role with patches_update_defender) and check why they are not updating",
    )


def compliance_findings(compliance: HostCompliance, max_signature_age_days: float | None) -> list[Finding]:
    """The host's findings: one per required update, and one for Defender's signatures."""
    findings = [_update_finding(compliance, o) for o in compliance.outcomes]
    findings.append(_defender_finding(compliance, max_signature_age_days))
    return findings


# The keys of a hotfix_compliance result the table reads.
RESULT_KEYS = (
    "host",
    "compliant",
    "build",
    "patch_level",
    "missing",
    "highest_severity",
    "exploited_open",
    "days_behind",
    "defender",
    "defender_signature_age_days",
)


def table_row(result: dict[str, Any]) -> dict[str, Any]:
    """The fleet table row of one host's hotfix_compliance result."""
    return {
        "host": result["host"],
        "compliant": result["compliant"],
        "build": result["build"],
        "patch_level": result["patch_level"],
        "missing": len(result["missing"]),
        "highest_severity": result["highest_severity"],
        "exploited_open": len(result["exploited_open"]),
        "days_behind": result["days_behind"],
        "defender": result["defender"],
        "signature_age_days": result["defender_signature_age_days"],
        "missing_kbs": sorted({m["kb"] for m in result["missing"]}),
    }


def fleet_table(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per host, the non-compliant first, then by days behind."""
    rows = [table_row(r) for r in results]
    return sorted(rows, key=lambda r: (r["compliant"], -r["days_behind"], r["host"]))


def fleet_csv(rows: list[dict[str, Any]]) -> str:
    """The fleet table as CSV, text cells safe for spreadsheets."""
    return csv_text(list(TABLE_COLUMNS), ([" ".join(r["missing_kbs"]) if c == "missing_kbs" else r.get(c, "") for c in TABLE_COLUMNS] for r in rows))


def fleet_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A console summary: a line per host, then the fleet."""
    lines = [
        f"{r['host']}: {'COMPLIANT' if r['compliant'] else 'NOT COMPLIANT'} build {r['build']}, patch level {r['patch_level'] or 'none'}, "
        f"{r['missing']} missing ({r['highest_severity'] or 'none'}; {r['exploited_open']} exploited CVEs open), {r['days_behind']} days behind, "
        f"Defender {r['defender']}"
        + (f" ({r['signature_age_days']} days)" if r["signature_age_days"] is not None else "")
        + (f": {' '.join(r['missing_kbs'])}" if r["missing_kbs"] else "")
        for r in rows
    ]
    compliant = sum(1 for r in rows if r["compliant"])
    lines.append(f"fleet: {compliant} of {len(rows)} hosts compliant")
    return lines
