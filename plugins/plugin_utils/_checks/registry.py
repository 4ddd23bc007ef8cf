# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``registry`` check: one registry value, evaluated once per host.

Remediation ``registry: {value, type}`` writes the value, ``registry: {state: absent}`` deletes
it (the backup records its data, so a rollback puts it back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import MARKER, secret_name
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import substitute
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, Workbench

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule


class RegistryCheck(CheckKind):
    """``registry: {path, name, expect, default?}`` (``default``: the value Windows uses when it is not set)."""

    name = "registry"
    required = ("path", "name", "expect")
    fix = "registry"
    host_wide = True

    def summary(self, spec: dict[str, Any]) -> str:
        return f"registry `{spec['path']}\\{spec['name']}`"

    def evaluate(self, at: Evaluation) -> Finding:
        spec = at.spec
        present, value = at.state.registry_value(str(spec["path"]), str(spec["name"]))
        actual = str(value) if present else (str(spec["default"]) if "default" in spec else None)
        expectation = at.expectation
        where = f"registry {spec['path']}\\{spec['name']}" + ("" if present else " (not set: Windows default)" if "default" in spec else " (not set)")
        evidence = Evidence(file=where, actual=actual, expected=expectation.describe(at.params))
        if actual and secret_name(str(spec["name"])):
            evidence.redacted = MARKER
        return at.finding(at.verdict(expectation, actual), evidence)

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        check = rule.check.spec
        return f"set {check.get('path')}\\{check.get('name')} = {fields.get('value')!r} ({fields.get('type', 'dword')})"

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        spec = rule.check.spec
        value = None if str(fields.get("state", "present")) == "absent" else substitute(fields.get("value"), params)
        return bench.set_registry(str(spec["path"]), str(spec["name"]), value, str(fields.get("type", "dword")), rule.id)
