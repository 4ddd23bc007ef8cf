# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import findings_json, junit_xml, summary_lines

REQUIRED = ("host", "rule_id", "title", "references", "severity", "status", "scope", "evidence", "remediation")


def _checked(findings: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(findings, list):
        raise AnsibleFilterError(f"{name} expects a list of findings, not {type(findings).__name__}")
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict):
            raise AnsibleFilterError(f"{name}: finding {index} is not a mapping")
        missing = [k for k in REQUIRED if k not in finding]
        if missing:
            raise AnsibleFilterError(f"{name}: finding {index} lacks {', '.join(missing)}")
    return findings


def findings_to_json(findings: Any, generated_at: str = "") -> str:
    return findings_json(_checked(findings, "findings_to_json"), generated_at)


def findings_to_junit(findings: Any) -> str:
    return junit_xml(_checked(findings, "findings_to_junit")).decode("utf-8")


def findings_summary(findings: Any) -> str:
    return "\n".join(summary_lines(_checked(findings, "findings_summary")))


SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


def findings_top(findings: Any, count: int = 5) -> str:
    """The worst failures of each host, with evidence, one block per host."""
    rows = _checked(findings, "findings_top")
    lines: list[str] = []
    for host in sorted({str(f["host"]) for f in rows}):
        failing = [f for f in rows if f["host"] == host and f["status"] == "fail"]
        failing.sort(key=lambda f: (SEVERITY_ORDER.get(str(f["severity"]), 3), str(f["rule_id"]), str(f["scope"])))
        lines.append(f"== {host}: {len(failing)} failing finding(s), the {min(count, len(failing))} most severe:")
        for finding in failing[:count]:
            evidence = finding["evidence"]
            where = str(evidence.get("file") or "")
            if evidence.get("line"):
                where += f":{evidence['line']}"
            if evidence.get("location_path"):
                where += f" <location path='{evidence['location_path']}'>"
            references = ", ".join(f"{k} {' '.join(v)}" for k, v in finding["references"].items() if k in ("cis_iis10", "stig") and v)
            lines.append(f"  [{finding['severity']}] {finding['rule_id']} @ {finding['scope']} ({references})")
            lines.append(f"      found {evidence.get('actual')!r}, expected {evidence.get('expected')}")
            lines.append(f"      at {where}")
            lines.append(f"      fix: {finding['remediation']}")
    return "\n".join(lines)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "findings_to_json": findings_to_json,
            "findings_to_junit": findings_to_junit,
            "findings_summary": findings_summary,
            "findings_top": findings_top,
        }
