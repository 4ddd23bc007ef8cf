# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``feature`` check: a Windows feature installed or absent, evaluated once per host.

Remediation ``feature: {state}`` installs or removes it (``ansible.windows.win_feature`` on a
live host, one call per feature).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, Workbench

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule


class FeatureCheck(CheckKind):
    """``feature: {name, expect}`` (``{equals: installed}`` or ``{equals: absent}``)."""

    name = "feature"
    required = ("name", "expect")
    fix = "feature"
    host_wide = True

    def evaluate(self, at: Evaluation) -> Finding:
        name = str(at.spec["name"])
        actual = at.state.feature(name)
        expectation = at.expectation
        expected = expectation.describe(at.params)
        if actual is None:
            return at.finding("error", Evidence(file="features", actual=f"the host state does not list feature {name}", expected=expected))
        return at.finding(at.verdict(expectation, actual), Evidence(file=f"feature {name}", actual=actual, expected=expected))

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        return f"make Windows feature {rule.check.spec.get('name')} {fields.get('state', 'absent')}"

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        wanted = "absent" if str(fields.get("state", "absent")) == "absent" else "installed"
        return bench.set_feature(str(rule.check.spec["name"]), wanted, rule.id)
