# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.audit: evaluate the rule catalog on the controller.

The host is read through its target (``_target.py``): a snapshot, a gather result, or a live
host gathered here in one hardened.iis.iis_host_state call.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import audit_findings
from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import (
    BASELINE_ARGUMENTS,
    check_variable_names,
    organisation_values,
    rule_exceptions,
    score_summary,
    show_secrets_of,
    site_roles_of,
    today_of,
    waiver_window_of,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import DEFAULT_CATALOG, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import waiver_warnings
from ansible_collections.hardened.iis.plugins.plugin_utils._target import probes_of

ARGUMENT_SPEC: dict[str, Any] = {**BASELINE_ARGUMENTS, "host_state": {"type": "dict"}, "today": {"type": "str"}}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"audit of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        check_variable_names(task_vars)
        target = self.target(args, task_vars, host)
        catalog = load_catalog(args["catalog"] or DEFAULT_CATALOG)
        rules = catalog.select(args["rules"], args["skip_rules"])
        values = organisation_values(args, catalog.rules)
        exceptions = rule_exceptions(args, {r.id for r in catalog.rules})
        today = today_of(args)
        window = waiver_window_of(args, task_vars, self._templar)
        site_roles = site_roles_of(args, task_vars, self._templar)
        state = target.gather(updates=False, probes=probes_of(rules))
        state.site_roles = site_roles
        findings = audit_findings(state, rules, values, exceptions, today)
        show_secrets = show_secrets_of(args, task_vars, self._templar)
        rows = [f.as_dict(show_secrets=show_secrets) for f in findings]
        result.update(changed=False, findings=rows, score=score_summary(findings), target=target.kind, remote_calls=target.calls)
        if state.reported_name and state.reported_name.casefold() != host.casefold():
            result["reported_name"] = state.reported_name
        for warning in waiver_warnings(exceptions, today, window):
            result.setdefault("warnings", []).append(f"audit of {host}: {warning}")
        return result
