# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``service`` check: a Windows service's state or start mode, evaluated once per host (no automated fix)."""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation


class ServiceCheck(CheckKind):
    """``service: {name, expect, field?}`` (``field: start_mode`` checks the start mode instead of the state)."""

    name = "service"
    required = ("name", "expect")
    host_wide = True

    def evaluate(self, at: Evaluation) -> Finding:
        spec = at.spec
        service = at.state.service(str(spec["name"]))
        expectation = at.expectation
        actual = service.get(str(spec.get("field", "state"))) if service is not None else "absent"
        return at.finding(at.verdict(expectation, actual), Evidence(file=f"service {spec['name']}", actual=actual, expected=expectation.describe(at.params)))
