# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``app_pools`` check: one attribute of every application pool, evaluated once per host.

A pool that does not set the attribute has ``applicationPoolDefaults``' value, and that the
schema's default. Remediation ``config: {value}`` sets it in ``applicationPoolDefaults`` and on
every pool that sets it otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import APPHOST_CONFIG, expand
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import substitute
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, Workbench, from_provenance, secret_shown, with_redaction
from .config import describe_set_value

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule

POOLS = "system.applicationHost/applicationPools"


class AppPoolsCheck(CheckKind):
    """``app_pools: {attribute, expect}`` (``attribute`` on the pool, or below it: ``processModel/identityType``)."""

    name = "app_pools"
    required = ("attribute", "expect")
    fix = "config"
    host_wide = True

    def summary(self, spec: dict[str, Any]) -> str:
        return f"every application pool `{spec['attribute']}`"

    def evaluate(self, at: Evaluation) -> Finding:
        spec = at.spec
        expectation = at.expectation
        pools = at.state.configuration.server().section(POOLS)
        defaults = pools.child("applicationPoolDefaults")
        element, _slash, attribute = str(spec["attribute"]).rpartition("/")
        offending = []
        for entry in pools.entries:
            value = entry.element.element(element).get(attribute)
            if value.is_default:
                value = defaults.element(element).get(attribute)
            if not expectation.holds(value.value, at.params, at.state.system_drive):
                offending.append((entry, value.value))
        expected = f"every application pool: {spec['attribute']} {expectation.describe(at.params)}"
        if offending:
            entry = offending[0][0]
            names = ", ".join(f"{e.element.value('name')}={a}" for e, a in offending)
            shown = ", ".join(f"{e.element.value('name')}={secret_shown(attribute, a)}" for e, a in offending)
            return at.finding("fail", with_redaction(from_provenance(entry.provenance, names, expected), shown))
        return at.finding("pass", Evidence(file=POOLS, actual=f"{len(pools.entries)} pools comply", expected=expected))

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        return describe_set_value(rule, fields, scope)

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        """Set the value in applicationPoolDefaults and on every pool that sets it otherwise."""
        value = str(substitute(fields.get("value"), params))
        element, _slash, attribute = str(rule.check.spec["attribute"]).rpartition("/")
        path = expand(APPHOST_CONFIG, bench.state.environment)
        editor = bench.edit(path)
        changed = editor.set_attribute(POOLS, attribute, value, element="/".join(p for p in ("applicationPoolDefaults", element) if p)).changed
        pools = bench.planned_state().configuration.server().section(POOLS)
        for entry in pools.entries:
            own = entry.element.element(element).get(attribute)
            name = entry.element.value("name") or ""
            if not own.is_default and own.value != value:
                quoted = f'"{name}"' if "'" in name else f"'{name}'"
                target = "/".join(p for p in (f"add[@name={quoted}]", element) if p)
                changed |= editor.set_attribute(POOLS, attribute, value, element=target).changed
        if changed:
            bench.store(path, editor)
        return changed
