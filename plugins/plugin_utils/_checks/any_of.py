# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``any_of`` check: a rule a benchmark lets a host meet in more than one way.

``any_of`` lists alternatives; each is one check of another kind, or ``all_of`` a list of them
(every one must pass). The rule passes at a scope when one alternative passes there; an
alternative whose check is not applicable (a keyed entry the host does not have, such as a
custom header nobody added) simply does not pass. CIS 7.1 is met by native HSTS or by a
``Strict-Transport-Security`` custom header. Remediation: ``manual`` (which mechanism to use is
the site owner's choice).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Check


def _alternatives(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Each alternative as the list of checks that must all pass."""
    return [list(item["all_of"]) if "all_of" in item else [item] for item in spec["alternatives"]]


class AnyOfCheck(CheckKind):
    """``any_of: {alternatives: [check | {all_of: [check, ..]}, ..]}``."""

    name = "any_of"
    required = ("alternatives",)

    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        super().parse(spec, where)
        alternatives = spec["alternatives"]
        if not isinstance(alternatives, list) or len(alternatives) < 2:
            raise CatalogError(f"{where}: check 'any_of' needs a list of at least two alternatives")
        for number, item in enumerate(alternatives):
            place = f"{where}.alternatives[{number}]"
            checks = item.get("all_of") if isinstance(item, dict) and set(item) == {"all_of"} else [item]
            if not isinstance(checks, list) or not checks:
                raise CatalogError(f"{place}: all_of must be a non-empty list of checks")
            for inner, check in enumerate(checks):
                self._sub_check(check, f"{place}[{inner}]")
        return None

    @staticmethod
    def _sub_check(data: Any, where: str) -> Check:
        from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Check

        from . import KINDS

        if not isinstance(data, dict) or len(data) != 1:
            raise CatalogError(f"{where}: an alternative is one check (a mapping with one kind) or all_of")
        kind, spec = next(iter(data.items()))
        if kind not in KINDS or kind in ("any_of", "manual") or KINDS[kind].host_wide:
            usable = ", ".join(k for k, v in KINDS.items() if k not in ("any_of", "manual") and not v.host_wide)
            raise CatalogError(f"{where}: {kind!r} cannot be an alternative (use one of {usable})")
        if not isinstance(spec, dict):
            raise CatalogError(f"{where}: check {kind!r} must be a mapping")
        return Check(kind, dict(spec), KINDS[kind].parse(spec, f"{where}.{kind}"))

    def summary(self, spec: dict[str, Any]) -> str:
        from . import KINDS

        def one(check: dict[str, Any]) -> str:
            kind, inner = next(iter(check.items()))
            return KINDS[kind].summary(inner)

        return "one of: " + "; ".join(" and ".join(one(c) for c in checks) for checks in _alternatives(spec))

    def evaluate(self, at: Evaluation) -> Finding:
        tried: list[str] = []
        first: Evidence | None = None
        for checks in _alternatives(at.spec):
            findings = [self._evaluate_one(check, at) for check in checks]
            if all(f.status == "pass" for f in findings):
                return at.finding("pass", dataclasses.replace(findings[0].evidence, expected=self._expected(at)))
            first = first or findings[0].evidence
            tried.append(" and ".join(f"{f.evidence.actual} ({f.status})" for f in findings))
        evidence = first or Evidence()
        return at.finding(
            "fail", Evidence(evidence.file, evidence.line, evidence.location_path, "no alternative passes: " + " | ".join(tried), self._expected(at))
        )

    def _evaluate_one(self, data: dict[str, Any], at: Evaluation) -> Finding:
        check = self._sub_check(data, at.rule.id)
        from . import KINDS

        kind = KINDS[check.kind]
        rule = dataclasses.replace(at.rule, check=check)
        return kind.evaluate(Evaluation(at.state, rule, kind, at.params, at.scope, at.site, at.path))

    def _expected(self, at: Evaluation) -> str:
        return self.summary(at.spec).replace("`", "")
