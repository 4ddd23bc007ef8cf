# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.hotfix_compliance: which security updates a host is missing.

The decision is made on the controller from the MSRC documents and the host's facts:
its snapshot, a gather result, evidence files (systeminfo, wmic qfe), or, for a live
host, one call of hardened.iis.iis_host_state.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.compliance import ComplianceChecker, Policy
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.evidence import parse_qfe, parse_systeminfo
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFacts, HostFactsError
from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import score_summary, today_of
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState
from ansible_collections.hardened.iis.plugins.plugin_utils._hotfix.report import compliance_findings

DEFAULT_CACHE = "~/.cache/hardened.iis/cvrf"
ARGUMENT_SPEC: dict[str, Any] = {
    "cvrf_dir": {"type": "path", "required": True},
    "cache_dir": {"type": "path", "default": DEFAULT_CACHE},
    "policy": {
        "type": "dict",
        "default": {},
        "options": {
            "min_age_days": {"type": "int", "default": 0},
            "months": {"type": "list", "elements": "str"},
            "severities": {"type": "list", "elements": "str"},
            "max_signature_age_days": {"type": "float", "default": 7},
            "require_defender": {"type": "bool", "default": False},
        },
    },
    "deferrals": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {"kb": {"type": "str", "required": True}, "reason": {"type": "str", "required": True}, "expires": {"type": "str"}},
    },
    "snapshot": {"type": "path"},
    "host_state": {"type": "dict"},
    "evidence": {"type": "dict", "options": {"systeminfo": {"type": "path", "required": True}, "qfe": {"type": "path"}}},
    "hotpatch_enrolled": {"type": "bool"},
    "today": {"type": "str"},
    "fail_on_noncompliant": {"type": "bool", "default": False},
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"hotfix compliance of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        result["remote_calls"] = 0
        policy = Policy.parse(args["policy"], args["deferrals"])
        today = today_of(args)
        catalog = load_catalog(args["cvrf_dir"], args["cache_dir"] or None)
        checker = ComplianceChecker(catalog, policy, today)
        facts, remote_calls = self._facts(args, task_vars, host)
        result["remote_calls"] = remote_calls
        if args["hotpatch_enrolled"] is not None:
            facts = dataclasses.replace(facts, hotpatch_enrolled=args["hotpatch_enrolled"])
        compliance = checker.check(host, facts, _now(args["today"]))
        findings = compliance_findings(compliance, policy.max_signature_age_days)
        result.update(
            changed=False,
            **compliance.as_dict(),
            findings=[f.as_dict() for f in findings],
            score=score_summary(findings),
            documents=catalog.summary(),
            remote_calls=remote_calls,
        )
        if args["fail_on_noncompliant"] and not compliance.compliant:
            missing = len(compliance.missing)
            result.update(failed=True, msg=f"{host} is not compliant: {missing} required update(s) missing, Defender {compliance.defender_status}")
        return result

    def _facts(self, args: dict[str, Any], task_vars: dict[str, Any], host: str) -> tuple[HostFacts, int]:
        """The host's facts and the number of remote calls it took to read them."""
        if args["evidence"]:
            return _evidence_facts(args["evidence"]), 0
        target = self.target(args, task_vars, host)
        return _state_facts(target.gather(updates=True, web_configs=False)), target.calls


def _now(today: str | None) -> datetime.datetime:
    """Noon UTC of the given day (reproducible reports), else the current time."""
    if today:
        return datetime.datetime.combine(datetime.date.fromisoformat(today), datetime.time(12), tzinfo=datetime.UTC)
    return datetime.datetime.now(datetime.UTC)


def _state_facts(state: HostState) -> HostFacts:
    return HostFacts.from_state(state.os, state.updates, state.defender, state.source)


def _evidence_facts(evidence: dict[str, Any]) -> HostFacts:
    """Facts from systeminfo output, with the updates of a wmic qfe listing added."""
    systeminfo = Path(evidence["systeminfo"])
    try:
        facts = parse_systeminfo(systeminfo.read_bytes(), str(systeminfo))
        if evidence.get("qfe"):
            qfe = Path(evidence["qfe"])
            known = facts.installed_kbs
            extra = tuple(u for u in parse_qfe(qfe.read_bytes(), str(qfe)) if u.kb not in known)
            facts = dataclasses.replace(facts, updates=facts.updates + extra)
    except OSError as exc:
        raise HostFactsError(f"{exc.filename}: cannot be read ({exc.strerror})") from None
    return facts
