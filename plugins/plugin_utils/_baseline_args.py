# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The argument spec the baseline actions share (documented by the hardened.iis.baseline doc fragment)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any, Protocol

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import ArgumentError, CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding, RuleException, score
from ansible_collections.hardened.iis.plugins.plugin_utils._core.params import checked_overrides, nearest

SHOW_SECRETS_VARIABLE = "hardened_iis_show_secrets"
"""The host variable that turns redaction of secrets off (``show_secrets``'s default)."""

SITE_ROLES_VARIABLE = "hardened_iis_site_roles"
"""The host variable stating each site's role (``site_roles``'s default)."""
ALLOW_DISRUPTIVE_VARIABLE = "hardened_iis_allow_disruptive"
"""The host variable naming rules whose disruptive remediation harden may make (``allow_disruptive``'s default)."""

KNOWN_VARIABLES = frozenset(
    {
        # policy and targets (README, docs/host-state.md, docs/rules-format.md)
        "hardened_iis_params",
        "hardened_iis_exceptions",
        "hardened_iis_skip_rules",
        "hardened_iis_catalog",
        "hardened_iis_site_roles",
        "hardened_iis_allow_disruptive",
        "hardened_iis_show_secrets",
        "hardened_iis_waiver_warning_days",
        "hardened_iis_snapshot",
        "hardened_iis_report_dir",
        "hardened_iis_collect_dir",
        "hardened_iis_hotpatch_enrolled",
        # which hosts a playbook runs on
        "hardened_iis_audit_hosts",
        "hardened_iis_harden_hosts",
        "hardened_iis_patch_hosts",
        "hardened_iis_integrity_hosts",
        "hardened_iis_collect_hosts",
        # patches, approvals, integrity (docs/hotfix-compliance.md, docs/rollout.md, docs/integrity.md)
        "hardened_iis_cvrf_dir",
        "hardened_iis_cvrf_cache_dir",
        "hardened_iis_patch_policy",
        "hardened_iis_patch_deferrals",
        "hardened_iis_patch_today",
        "hardened_iis_approved_manifest",
        "hardened_iis_approval_group",
        "hardened_iis_approval_path",
        "hardened_iis_approval_compliance",
        "hardened_iis_integrity_rebaseline",
        "hardened_iis_integrity_reason",
        # set by the collection's playbooks (registered results and facts)
        "hardened_iis_audit",
        "hardened_iis_audit_sample",
        "hardened_iis_harden",
        "hardened_iis_combined",
        "hardened_iis_patch",
        "hardened_iis_patch_table",
        "hardened_iis_patch_summary",
        "hardened_iis_patch_csv",
        # the Windows stand-in of the tests (docs/testing.md)
        "hardened_iis_standin",
        "hardened_iis_standin_root",
        "hardened_iis_standin_unreachable",
    }
)
"""Every ``hardened_iis_*`` variable the collection reads or sets: any other is a misspelling (``check_variable_names``)."""

BASELINE_ARGUMENTS: dict[str, Any] = {
    "snapshot": {"type": "path"},
    "site_roles": {"type": "dict"},
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
            "owner": {"type": "str"},
        },
    },
    "waiver_warning_days": {"type": "int"},
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


def check_variable_names(task_vars: dict[str, Any]) -> None:
    """Refuse a ``hardened_iis_*`` variable the collection does not know (``excepttions`` for ``exceptions``): it would be
    silently ignored, and the policy it meant to state with it. The error names the nearest known variable."""
    unknown = sorted(name for name in task_vars if name.startswith("hardened_iis_") and name not in KNOWN_VARIABLES)
    if unknown:
        named = "; ".join(f"{name}{nearest(name, sorted(KNOWN_VARIABLES))}" for name in unknown)
        raise ArgumentError(f"unknown variable(s): {named}; a hardened_iis_ variable the collection does not read would be ignored, so it is refused")


def waiver_window_of(args: dict[str, Any], task_vars: dict[str, Any], templar: Templar) -> int:
    """Days ahead to warn about an exception's expiry: the option, else ``hardened_iis_waiver_warning_days``, else 30."""
    if args.get("waiver_warning_days") is not None:
        days: Any = args["waiver_warning_days"]
    else:
        days = templar.template(task_vars.get("hardened_iis_waiver_warning_days", 30))
    if isinstance(days, bool) or not str(days).strip().isdigit():
        raise ArgumentError(f"waiver_warning_days (hardened_iis_waiver_warning_days): a whole number of days, not {days!r}")
    return int(str(days).strip())


def site_roles_of(args: dict[str, Any], task_vars: dict[str, Any], templar: Templar) -> dict[str, str]:
    """Each site's role (name or glob -> role): the option, else the host variable (templated), else none stated."""
    roles = args.get("site_roles")
    where = "site_roles"
    if roles is None and SITE_ROLES_VARIABLE in task_vars:
        roles, where = templar.template(task_vars[SITE_ROLES_VARIABLE]), SITE_ROLES_VARIABLE
    if roles is None:
        return {}
    if not isinstance(roles, dict) or not all(isinstance(v, str) and v.strip() for v in roles.values()):
        raise ArgumentError(f"{where}: must map a site name (or glob) to its role, e.g. {{Shop: private}}; got {roles!r}")
    return {str(site): str(role).strip() for site, role in roles.items()}


def allowed_disruptive_of(args: dict[str, Any], task_vars: dict[str, Any], templar: Templar, known_rules: set[str]) -> frozenset[str]:
    """The rules whose ``breaks-if-in-use`` remediation harden may make wherever it fails: the option, else the host variable."""
    chosen = args.get("allow_disruptive")
    where = "allow_disruptive"
    if chosen is None and ALLOW_DISRUPTIVE_VARIABLE in task_vars:
        chosen, where = templar.template(task_vars[ALLOW_DISRUPTIVE_VARIABLE]), ALLOW_DISRUPTIVE_VARIABLE
    if chosen is None:
        return frozenset()
    if not isinstance(chosen, list) or not all(isinstance(r, str) for r in chosen):
        raise ArgumentError(f"{where}: must be a list of rule ids; got {chosen!r}")
    unknown = sorted(set(chosen) - known_rules)
    if unknown:
        raise CatalogError(f"{where}: unknown rule id(s) {', '.join(unknown)}")
    return frozenset(chosen)


def today_of(args: dict[str, Any]) -> datetime.date:
    """The day the option ``today`` names (YYYY-MM-DD, for reproducible reports), else the current date."""
    if not args.get("today"):
        return datetime.date.today()
    try:
        return datetime.date.fromisoformat(args["today"])
    except ValueError as exc:
        raise ArgumentError(f"today: {exc}") from None


def rule_exceptions(args: dict[str, Any], known_rules: set[str]) -> list[RuleException]:
    """The parsed ``exceptions``, once they are found to name only known rules."""
    exceptions = [RuleException.parse(e, f"exceptions[{i}]") for i, e in enumerate(args["exceptions"])]
    unknown = sorted({e.rule for e in exceptions} - known_rules)
    if unknown:
        raise CatalogError(f"exceptions: unknown rule id(s) {', '.join(unknown)}")
    return exceptions


def organisation_values(args: dict[str, Any], rules: Iterable[Rule]) -> dict[str, dict[str, Any]]:
    """``params`` (the organisation's values, ``hardened_iis_params``) checked against each rule's declared
    parameters and converted (``"2048"`` -> 2048); anything else stops the task before any host changes."""
    return checked_overrides(args.get("params"), {rule.id: rule.param_specs for rule in rules}, "params (hardened_iis_params)")


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
