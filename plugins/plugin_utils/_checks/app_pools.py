# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``app_pools`` check: one attribute of every application pool, evaluated once per host.

A pool that does not set the attribute has ``applicationPoolDefaults``' value, and that the
schema's default. Remediation ``config: {value}`` sets it in ``applicationPoolDefaults`` and on
every pool that sets it otherwise.

``any_of`` instead of ``attribute`` and ``expect``: a pool passes when one of the conditions holds,
each ``{attribute, expect}`` or ``{entries: element}`` (the pool's collection there has an entry,
``recycling/periodicRestart/schedule``). Such a check has no automated remediation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import APPHOST_CONFIG, expand
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation, substitute
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, Workbench, from_provenance, secret_shown, with_redaction
from .config import describe_set_value

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveElement
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule

POOLS = "system.applicationHost/applicationPools"


class AppPoolsCheck(CheckKind):
    """``app_pools: {attribute, expect}`` (``attribute`` on the pool, or below it: ``processModel/identityType``), or ``app_pools: {any_of}``."""

    name = "app_pools"
    required = ()
    fix = "config"
    host_wide = True

    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        if "any_of" not in spec:
            missing = [name for name in ("attribute", "expect") if name not in spec]
            if missing:
                raise CatalogError(f"{where}: check {self.name!r} lacks {', '.join(missing)}")
            return super().parse(spec, where)
        conditions = spec["any_of"]
        if "attribute" in spec or "expect" in spec or not isinstance(conditions, list) or not conditions:
            raise CatalogError(f"{where}: check {self.name!r} takes either 'attribute' and 'expect' or a non-empty list 'any_of'")
        for number, condition in enumerate(conditions):
            if isinstance(condition, dict) and set(condition) == {"entries"}:
                continue
            if not isinstance(condition, dict) or set(condition) != {"attribute", "expect"}:
                raise CatalogError(f"{where}.any_of[{number}]: a condition is {{attribute, expect}} or {{entries}}, got {condition!r}")
            Expectation.parse(condition["expect"], f"{where}.any_of[{number}]")
        return None

    def summary(self, spec: dict[str, Any]) -> str:
        if "any_of" in spec:
            return "every application pool: one of " + ", ".join(f"`{c.get('attribute', c.get('entries'))}`" for c in spec["any_of"])
        return f"every application pool `{spec['attribute']}`"

    def evaluate(self, at: Evaluation) -> Finding:
        if "any_of" in at.spec:
            return self._evaluate_any(at)
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

    def _evaluate_any(self, at: Evaluation) -> Finding:
        pools = at.state.configuration.server().section(POOLS)
        defaults = pools.child("applicationPoolDefaults")
        conditions = [dict(c) for c in at.spec["any_of"]]
        described = [
            f"{c['entries']} has an entry" if "entries" in c else f"{c['attribute']} {Expectation.parse(c['expect'], at.rule.id).describe(at.params)}"
            for c in conditions
        ]
        expected = "every application pool: one of " + "; ".join(described)
        offending = [entry for entry in pools.entries if not any(self._holds(c, entry.element, defaults, at) for c in conditions)]
        if offending:
            names = ", ".join(str(e.element.value("name")) for e in offending)
            return at.finding("fail", from_provenance(offending[0].provenance, f"no condition holds: {names}", expected))
        return at.finding("pass", Evidence(file=POOLS, actual=f"{len(pools.entries)} pools comply", expected=expected))

    @staticmethod
    def _holds(condition: dict[str, Any], pool: EffectiveElement, defaults: EffectiveElement, at: Evaluation) -> bool:
        if "entries" in condition:
            own = pool.element(str(condition["entries"]))
            if own.entries or own.cleared_at is not None:
                return bool(own.entries)
            return bool(defaults.element(str(condition["entries"])).entries)
        element, _slash, attribute = str(condition["attribute"]).rpartition("/")
        value = pool.element(element).get(attribute)
        if value.is_default:
            value = defaults.element(element).get(attribute)
        return Expectation.parse(condition["expect"], at.rule.id).holds(value.value, at.params, at.state.system_drive)

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        return describe_set_value(rule, fields, scope)

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        """Set the value in applicationPoolDefaults and on every pool that sets it otherwise.

        A ``breaks-if-in-use`` rule's ``pool`` preconditions are tested pool by pool (unless the
        organisation opted in): a pool where one fails keeps its value, and so do the defaults when
        they fail one (a pool that inherits them would change too); each is held back, named.
        """
        value = str(substitute(fields.get("value"), params))
        element, _slash, attribute = str(rule.check.spec["attribute"]).rpartition("/")
        path = expand(APPHOST_CONFIG, bench.state.environment)
        editor = bench.edit(path)
        pools = bench.planned_state().configuration.server().section(POOLS)
        defaults = pools.child("applicationPoolDefaults")
        unsafe = self._unsafe_pools(bench, rule, pools.entries, defaults, params)
        changed = False
        if "applicationPoolDefaults" not in unsafe:
            changed = editor.set_attribute(POOLS, attribute, value, element="/".join(p for p in ("applicationPoolDefaults", element) if p)).changed
        for entry in pools.entries:
            own = entry.element.element(element).get(attribute)
            name = entry.element.value("name") or ""
            if not own.is_default and own.value != value and name not in unsafe:
                quoted = f'"{name}"' if "'" in name else f"'{name}'"
                target = "/".join(p for p in (f"add[@name={quoted}]", element) if p)
                changed |= editor.set_attribute(POOLS, attribute, value, element=target).changed
        if changed:
            bench.store(path, editor)
        return changed

    def _unsafe_pools(self, bench: Workbench, rule: Rule, entries: list[Any], defaults: EffectiveElement, params: dict[str, Any]) -> set[str]:
        """Pools (and ``applicationPoolDefaults``) a disruptive fix must leave alone: a ``pool`` precondition fails there."""
        conditions = [c for c in rule.precondition if c.kind == "pool"]
        if not rule.disruptive or not conditions or bench.opted_in(rule.id):
            return set()
        at = Evaluation(bench.state, rule, self, params, "server")
        unsafe: dict[str, str] = {}
        for name, pool in [("applicationPoolDefaults", defaults)] + [(str(e.element.value("name")), e.element) for e in entries]:
            for condition in conditions:
                holds, found = condition.test_pool(pool, defaults, at)
                if not holds:
                    unsafe[name] = f"{found} (needs: {condition.describe(params)})"
                    break
        if unsafe:
            named = "; ".join(f"{name}: {why}" for name, why in unsafe.items())
            bench.hold_back(rule.id, "server", f"its impact is breaks-if-in-use and these pools do not meet its precondition: {named}")
        return set(unsafe)
