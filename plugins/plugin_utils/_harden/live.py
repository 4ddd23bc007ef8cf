# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Harden a live host in a handful of module calls: gather, apply, verify (plus feature changes).

The decisions are the same as for a snapshot (``plan_host``); only reading and writing go
to the host, through ``execute(module_name, module_args) -> result``, which the action
plugin binds to Ansible's module execution.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.catalog import Rule
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import audit_findings
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.findings import Finding, RuleException
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.hoststate import state_from_gather

from .apply import ApplyError
from .plan import Plan, plan_host

Execute = Callable[[str, dict[str, Any]], dict[str, Any]]
GATHER = "hardened.iis.iis_host_state"
APPLY = "hardened.iis.iis_apply"
FEATURE = "ansible.windows.win_feature"


@dataclass
class LiveOutcome:
    plan: Plan
    after: list[Finding]
    """The findings the verifying gather gives (in check mode, or with nothing to do, those the plan expects)."""
    calls: int
    backup: str | None = None
    reboot_required: bool = False
    originals: dict[str, bytes | None] = field(default_factory=dict)


def _call(execute: Execute, module: str, args: dict[str, Any], host: str) -> dict[str, Any]:
    result = execute(module, args)
    if result.get("failed"):
        raise ApplyError(f"{host}: {module} failed: {result.get('msg', 'no message')}", restored=bool(result.get("restored")), backup=result.get("backup"))
    return result


def apply_arguments(plan: Plan, retention: int) -> dict[str, Any]:
    """The arguments of hardened.iis.iis_apply for a plan."""
    return {
        "files": [{"path": c.path, "before_sha256": c.before_sha256, "content": base64.b64encode(c.after).decode("ascii")} for c in plan.files],
        "registry": [
            {"path": r.path, "name": r.name, "state": "absent"} if r.delete else {"path": r.path, "name": r.name, "type": r.type, "value": r.value}
            for r in plan.registry
        ],
        "backup_retention": retention,
    }


def harden_live(
    execute: Execute,
    host: str,
    rules: tuple[Rule, ...],
    params: dict[str, dict[str, Any]],
    exceptions: list[RuleException],
    today: datetime.date,
    check_mode: bool,
    retention: int = 5,
) -> LiveOutcome:
    calls = 1
    state = state_from_gather(_call(execute, GATHER, {}, host), host)
    plan = plan_host(state, rules, params, exceptions, today)
    outcome = LiveOutcome(plan, plan.expected, calls, originals={c.path: state.files.read(c.path) for c in plan.files})
    if plan.empty or check_mode:
        return outcome
    if plan.files or plan.registry:
        applied = _call(execute, APPLY, apply_arguments(plan, retention), host)
        outcome.backup = applied.get("backup")
        outcome.calls += 1
    for feature in plan.features:
        changed = _call(execute, FEATURE, {"name": feature.name, "state": feature.state}, host)
        outcome.reboot_required = outcome.reboot_required or bool(changed.get("reboot_required"))
        outcome.calls += 1
    outcome.reboot_required = outcome.reboot_required or any("SCHANNEL" in r.path.upper() for r in plan.registry)
    verified = state_from_gather(_call(execute, GATHER, {}, host), host)
    outcome.calls += 1
    outcome.after = audit_findings(verified, rules, params, exceptions, today)
    return outcome
