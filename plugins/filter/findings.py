# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.findings import findings_json, junit_xml, summary_lines

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


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"findings_to_json": findings_to_json, "findings_to_junit": findings_to_junit, "findings_summary": findings_summary}
