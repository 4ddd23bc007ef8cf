# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The argument spec the baseline actions share (documented by the hardened.iis.baseline doc fragment)."""

from __future__ import annotations

import datetime
from typing import Any, Protocol

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import ArgumentError, CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding, RuleException, score

SHOW_SECRETS_VARIABLE = "hardened_iis_show_secrets"
"""The host variable that turns redaction of secrets off (``show_secrets``'s default)."""

BASELINE_ARGUMENTS: dict[str, Any] = {
    "snapshot": {"type": "path"},
    "show_secrets": {"type": "bool"},
    "catalog": {"type": "path"},
    "rules": {"type": "list", "elements": "str"},
    "skip_rules": {"type": "list", "elements": "str"},
    "params": {"type": "dict", "default": {}},
    "exceptions": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "rule": {"type": "str", "required": True},
            "scope": {"type": "str", "default": "*"},
            "reason": {"type": "str", "required": True},
            "expires": {"type": "str"},
        },
    },
}


class Templar(Protocol):
    def template(self, variable: Any) -> Any: ...


def snapshot_of(args: dict[str, Any], task_vars: dict[str, Any], templar: Templar) -> str | None:
    """The host's snapshot: the option, else the host variable (templated: host variables reach actions raw)."""
    if args.get("snapshot"):
        return str(args["snapshot"])
    if task_vars.get("hardened_iis_snapshot"):
        return str(templar.template(task_vars["hardened_iis_snapshot"]))
    return None


def show_secrets_of(args: dict[str, Any], task_vars: dict[str, Any], templar: Templar) -> bool:
    """Whether secrets are shown raw: the option, else the host variable (templated), else false (redacted)."""
    if args.get("show_secrets") is not None:
        return bool(args["show_secrets"])
    if SHOW_SECRETS_VARIABLE not in task_vars:
        return False
    return bool(boolean(templar.template(task_vars[SHOW_SECRETS_VARIABLE]), strict=False))


def today_of(args: dict[str, Any]) -> datetime.date:
    """The day the option ``today`` names (YYYY-MM-DD, for reproducible reports), else the current date."""
    if not args.get("today"):
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(args["today"])
    except ValueError as exc:
        raise ArgumentError(f"today: {exc}") from None


def rule_exceptions(args: dict[str, Any], known_rules: set[str]) -> list[RuleException]:
    """The parsed ``exceptions``, once ``params`` and ``exceptions`` are found to name only known rules."""
    unknown = sorted(set(args["params"]) - known_rules)
    if unknown:
        raise CatalogError(f"params: unknown rule id(s) {', '.join(unknown)}")
    exceptions = [RuleException.parse(e, f"exceptions[{i}]") for i, e in enumerate(args["exceptions"])]
    unknown = sorted({e.rule for e in exceptions} - known_rules)
    if unknown:
        raise CatalogError(f"exceptions: unknown rule id(s) {', '.join(unknown)}")
    return exceptions


def score_summary(findings: list[Finding]) -> dict[str, Any]:
    """The score the baseline actions return: the count of each status and the share of checks that pass."""
    totals = score(findings)
    return {
        "passed": totals.passed,
        "failed": totals.failed,
        "manual": totals.manual,
        "excepted": totals.excepted,
        "errors": totals.errors,
        "not_applicable": totals.not_applicable,
        "score": totals.value,
    }
