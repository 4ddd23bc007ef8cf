# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.harden: plan on the controller, apply in one step, audit again."""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import document_text
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import audit_findings
from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import (
    BASELINE_ARGUMENTS,
    allowed_disruptive_of,
    check_variable_names,
    organisation_values,
    rule_exceptions,
    score_summary,
    show_secrets_of,
    site_roles_of,
    waiver_window_of,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import DEFAULT_CATALOG, Rule, catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import RuleException, waiver_warnings
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import ApplyError
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.lock import DEFAULT_TIMEOUT
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import ManagementSafetyError, Plan, plan_host, shown_registry_value
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.validate import validate_plan
from ansible_collections.hardened.iis.plugins.plugin_utils._target import SnapshotTarget, probes_of

ARGUMENT_SPEC: dict[str, Any] = {
    **BASELINE_ARGUMENTS,
    "rule_tags": {"type": "list", "elements": "str"},
    "backup_retention": {"type": "int", "default": 5},
    "extra_rules": {"type": "list", "elements": "dict", "default": []},
    "lock_timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
    "allow_disruptive": {"type": "list", "elements": "str"},
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"harden of {host}"

    def failure(self, error: HardenedIisError, args: dict[str, Any], host: str) -> dict[str, Any]:
        """A refused plan says nothing was changed; a failed apply says whether it was restored, and from which backup."""
        if isinstance(error, ManagementSafetyError):
            return {"msg": f"{self.subject(args, host)}: refused: {error}; nothing was changed"}
        if isinstance(error, ApplyError):
            return {**super().failure(error, args, host), "restored": error.restored, "backup": error.backup}
        return super().failure(error, args, host)

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        show_secrets = show_secrets_of(args, task_vars, self._templar)
        check_variable_names(task_vars)
        rules, exceptions, known, values = self._rules(args)
        allowed = allowed_disruptive_of(args, task_vars, self._templar, known)
        site_roles = site_roles_of(args, task_vars, self._templar)
        window = waiver_window_of(args, task_vars, self._templar)
        today = datetime.date.today()
        target = self.target(args, task_vars, host)
        check_mode = bool(self._task.check_mode)
        # One writer at a time, from this gather to the verification (a snapshot's lock; a live host locks in iis_apply).
        with target.session():
            state = target.gather(updates=False, probes=probes_of(rules))
            state.site_roles = site_roles
            plan = plan_host(state, rules, values, exceptions, today, allow_disruptive=allowed)
            originals = {c.path: state.files.read(c.path) for c in plan.files}
            if target.kind != SnapshotTarget.kind:
                # The live host validates again after writing; the controller validates the planned state first, in
                # check mode too (a snapshot's apply does so itself, before its backup).
                validate_plan(state, plan)
            # Check mode runs the apply too: it compares every file with the plan's pre-image, validates the planned state and writes nothing.
            applied = target.apply(plan, check_mode=check_mode, retention=args["backup_retention"])
            after = plan.expected
            if applied.changed and not check_mode:
                verified = target.gather(updates=False, probes=probes_of(rules))
                verified.site_roles = site_roles
                after = audit_findings(verified, rules, values, exceptions, today)
        result.update(
            changed=not plan.empty,
            plan=plan.as_dict(originals, show_secrets=show_secrets),
            backup=applied.backup,
            score_before=score_summary(plan.before),
            score_after=score_summary(after),
            findings=[f.as_dict(show_secrets=show_secrets) for f in after],
            target=target.kind,
            remote_calls=target.calls,
            reboot_required=applied.reboot_required,
            skipped_files=[f.as_dict() for f in plan.skipped_files],
            held_back=[h.as_dict() for h in plan.held_back],
        )
        if plan.held_back:
            held = ", ".join(sorted({h.rule for h in plan.held_back}))
            result.setdefault("warnings", []).append(
                f"harden of {host}: left {len(plan.held_back)} remediation(s) that can break a running application to a person "
                f"({held}; see held_back, or opt in with hardened_iis_allow_disruptive)"
            )
        for warning in [*waiver_warnings(exceptions, today, window), *reverted_waivers(plan, exceptions)]:
            result.setdefault("warnings", []).append(f"harden of {host}: {warning}")
        for skipped in plan.skipped_files:
            result.setdefault("warnings", []).append(f"harden of {host}: left {skipped.path} alone: {skipped.reason}")
        if self._task.diff and not plan.empty:
            result["diff"] = self._diff(plan, originals, show_secrets=show_secrets)
        return result

    @staticmethod
    def _rules(args: dict[str, Any]) -> tuple[tuple[Rule, ...], list[RuleException], set[str], dict[str, dict[str, Any]]]:
        """The rules to make pass (the catalog's chosen by id and tag, and ``extra_rules``), the exceptions to them, every
        known rule id, and the organisation's values checked against the rules' parameters."""
        catalog = load_catalog(args["catalog"] or DEFAULT_CATALOG)
        rules = catalog.select(args["rules"], args["skip_rules"])
        if args["rule_tags"]:
            known = {t for r in catalog.rules for t in r.tags}
            unknown = sorted(set(args["rule_tags"]) - known)
            if unknown:
                raise CatalogError(f"rule_tags: unknown tag(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
            rules = tuple(r for r in rules if set(r.tags) & set(args["rule_tags"]))
        if args["extra_rules"]:
            extra = catalog_from_data(list(args["extra_rules"]), "extra_rules").rules
            clash = sorted({r.id for r in extra} & {r.id for r in catalog.rules})
            if clash:
                raise CatalogError(f"extra_rules: id(s) already in the catalog: {', '.join(clash)}")
            rules = rules + extra
        known = {r.id for r in catalog.rules} | {r.id for r in rules}
        values = organisation_values(args, {r.id: r for r in (*catalog.rules, *rules)}.values())
        return rules, rule_exceptions(args, known), known, values

    @staticmethod
    def _diff(plan: Plan, originals: dict[str, bytes | None], *, show_secrets: bool = False) -> list[dict[str, str]]:
        """Ansible's diffs: each file whole before and after (secrets redacted, context lines too, unless ``show_secrets``), then registry and features."""
        diffs: list[dict[str, str]] = [{"prepared": impact_summary(plan)}]
        diffs += [
            {
                "before_header": change.path,
                "after_header": change.path,
                "before": document_text(originals.get(change.path), change.path, show_secrets=show_secrets),
                "after": document_text(change.after, change.path, show_secrets=show_secrets),
            }
            for change in plan.files
        ]
        if plan.registry or plan.features:
            shown = [
                (r, shown_registry_value(r.name, r.before, show_secrets=show_secrets), shown_registry_value(r.name, r.value, show_secrets=show_secrets))
                for r in plan.registry
            ]
            before = "".join(f"{r.path}\\{r.name} = {old!r}\n" for r, old, _new in shown) + "".join(f"feature {f.name}: {f.before}\n" for f in plan.features)
            after = "".join(f"{r.path}\\{r.name} deleted\n" if r.delete else f"{r.path}\\{r.name} = {new!r} ({r.type})\n" for r, _old, new in shown) + "".join(
                f"feature {f.name}: {f.state}\n" for f in plan.features
            )
            diffs.append({"before_header": "registry and features", "after_header": "registry and features", "before": before, "after": after})
        return diffs


def impact_summary(plan: Plan) -> str:
    """What the plan does to a running server, most disruptive first (the first entry of ``--diff``)."""
    lines = ["Changes by impact, most disruptive first:"]
    for impact in ("breaks-if-in-use", "restart", "none"):
        fixes = [f for f in plan.fixes if f.impact == impact]
        if fixes:
            lines.append(f"  {impact}: " + ", ".join(f"{f.rule} @ {f.scope}" for f in fixes))
    if plan.held_back:
        lines.append("Left to a person (breaks-if-in-use, precondition not met, no opt-in):")
        lines.extend(f"  {h.rule} @ {h.scope}: {h.reason}" for h in plan.held_back)
    return "\n".join(lines) + "\n"


def reverted_waivers(plan: Plan, exceptions: list[RuleException]) -> list[str]:
    """Each fix the plan makes (in check mode too) where an expired exception accepted the deviation, naming the exception."""
    fixed = {(f.rule, f.scope) for f in plan.fixes}
    reverted = []
    for finding in plan.before:
        if finding.exception is None or not finding.exception.get("expired") or (finding.rule_id, finding.scope) not in fixed:
            continue
        exception = next((e for e in exceptions if e.matches(finding)), None)
        if exception is not None:
            reverted.append(f"reverting the deviation of {finding.rule_id} @ {finding.scope}: {exception.describe()} expired on {exception.expires}")
    return reverted
