# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rule catalog: rules as data (``rules/iis10.yml``), loaded and checked.

The format is documented in docs/rules-format.md. Loading refuses anything it would
not know how to evaluate, naming the file, the rule and the field; each rule's ``check`` is
read by its kind (``plugins/plugin_utils/_checks``), which also says which remediations it takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._checks import KINDS, MANUAL, REMEDIATIONS, kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import Condition, parse_conditions

from .errors import CatalogError
from .expect import Expectation
from .params import Param, parse_params

SEVERITIES = ("low", "medium", "high")
SCOPES = ("server", "site", "application")
IMPACTS = ("none", "restart", "breaks-if-in-use")
"""What an automated remediation can do to a running server (docs/rules-format.md, "Impact"):
``none`` takes effect as any configuration edit does; ``restart`` takes effect after, or causes, a
restart (a reboot, a pool recycle, every application of the server); ``breaks-if-in-use`` stops an
application that uses what it changes, so it is planned only where its ``precondition`` holds or
the organisation opts in (``hardened_iis_allow_disruptive``)."""
DISRUPTIVE = "breaks-if-in-use"
RULE_FIELDS = ("id", "title", "severity", "level", "scope", "references", "params", "applies_when", "check", "remediation", "impact", "precondition", "tags")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
DEFAULT_CATALOG = Path(__file__).resolve().parents[3] / "rules" / "iis10.yml"
"""The collection's own catalog (``rules/iis10.yml`` at the collection root)."""


@dataclass(frozen=True)
class Check:
    kind: str
    spec: dict[str, Any]
    expect: Expectation | None = None
    """The main expectation (``every`` and ``expect_count`` carry their own)."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    scope: str
    check: Check
    references: dict[str, list[str]] = field(default_factory=dict)
    level: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    remediation: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    param_specs: dict[str, Param] = field(default_factory=dict)
    """Each parameter's declaration (type, bounds, choices): what an organisation's value is checked against."""
    applies_when: tuple[Condition, ...] = ()
    """Where the rule applies: every condition holds at the scope (elsewhere: ``not_applicable``)."""
    impact: str | None = None
    """The automated remediation's impact class (one of IMPACTS); None for a manual remediation."""
    precondition: tuple[Condition, ...] = ()
    """Where a ``breaks-if-in-use`` remediation may be planned without an opt-in (none: only with one)."""

    @property
    def disruptive(self) -> bool:
        return self.impact == DISRUPTIVE

    @property
    def automated(self) -> bool:
        return kind_of(self.check.kind).automated

    @property
    def automated_remediation(self) -> bool:
        return bool(self.remediation) and MANUAL not in self.remediation

    def params_with(self, overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The rule's parameters with the user's overrides for this rule on top."""
        return {**self.params, **overrides.get(self.id, {})}


def _parse_check(data: Any, where: str) -> Check:
    known = ", ".join(KINDS)
    if not isinstance(data, dict) or len(data) != 1:
        raise CatalogError(f"{where}: 'check' must hold exactly one of {known}")
    kind, spec = next(iter(data.items()))
    if kind not in KINDS:
        raise CatalogError(f"{where}: unknown check {kind!r} (known: {known})")
    if not isinstance(spec, dict):
        raise CatalogError(f"{where}: check {kind!r} must be a mapping")
    return Check(kind, dict(spec), KINDS[kind].parse(spec, where))


def _check_remediation_fits(remediation: dict[str, Any], check: Check, where: str) -> None:
    """A remediation the rule's check can plan, or ``manual``."""
    takes = kind_of(check.kind).remediations()
    kind = next(iter(remediation))
    if kind not in takes:
        raise CatalogError(f"{where}: remediation {kind!r} does not fit check {check.kind!r} (it takes {' or '.join(takes)})")


def _parse_rule(data: Any, where: str) -> Rule:
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: a rule must be a mapping")
    for name in ("id", "title", "severity", "scope", "references", "check", "remediation"):
        if name not in data:
            raise CatalogError(f"{where}: missing {name!r}")
    rule_id = str(data["id"])
    where = f"{where} ({rule_id})"
    unknown = sorted(str(name) for name in set(data) - set(RULE_FIELDS))
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)} (a rule has {', '.join(RULE_FIELDS)})")
    if not _ID.match(rule_id):
        raise CatalogError(f"{where}: id must be lowercase letters, digits and dashes")
    if data["severity"] not in SEVERITIES:
        raise CatalogError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    if data["scope"] not in SCOPES:
        raise CatalogError(f"{where}: scope must be one of {', '.join(SCOPES)}")
    references = data["references"]
    if not isinstance(references, dict) or not all(isinstance(v, list) for v in references.values()):
        raise CatalogError(f"{where}: references must map a benchmark to a list of ids")
    param_specs = parse_params(data.get("params"), where)
    remediation = data["remediation"]
    if not isinstance(remediation, dict) or len(remediation) != 1:
        raise CatalogError(f"{where}: remediation must hold exactly one kind ({', '.join(REMEDIATIONS)})")
    check = _parse_check(data["check"], f"{where}.check")
    _check_remediation_fits(remediation, check, where)
    impact, precondition = _parse_impact(data, MANUAL not in remediation, where)
    applies_when = parse_conditions(data["applies_when"], f"{where}.applies_when") if "applies_when" in data else ()
    return Rule(
        id=rule_id,
        title=str(data["title"]),
        severity=str(data["severity"]),
        scope=str(data["scope"]),
        check=check,
        references={str(k): [str(i) for i in v] for k, v in references.items()},
        level=str(data["level"]) if data.get("level") is not None else None,
        params={name: spec.default for name, spec in param_specs.items()},
        param_specs=param_specs,
        remediation=dict(remediation),
        tags=tuple(str(t) for t in data.get("tags") or ()),
        applies_when=applies_when,
        impact=impact,
        precondition=precondition,
    )


def _parse_impact(data: dict[str, Any], automated: bool, where: str) -> tuple[str | None, tuple[Condition, ...]]:
    """An automated remediation's impact class and precondition (only for ``breaks-if-in-use``).

    A rule that states no impact is taken as ``none``: it is a change someone asked for (``extra_rules``,
    an emergency mitigation). The collection's own catalog states one for every automated remediation
    (tests/unit/rules/test_catalog_coverage.py).
    """
    if not automated:
        for name in ("impact", "precondition"):
            if name in data:
                raise CatalogError(f"{where}: {name!r} is for automated remediations; this rule's remediation is manual")
        return None, ()
    impact = data.get("impact", "none")
    if impact not in IMPACTS:
        raise CatalogError(f"{where}: 'impact' must be one of {', '.join(IMPACTS)} (got {impact!r})")
    if "precondition" not in data:
        return str(impact), ()
    if impact != DISRUPTIVE:
        raise CatalogError(f"{where}: 'precondition' is for impact {DISRUPTIVE!r} (this rule's is {impact!r})")
    return str(impact), parse_conditions(data["precondition"], f"{where}.precondition")


@dataclass(frozen=True)
class Catalog:
    rules: tuple[Rule, ...]
    source: str

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def select(self, enabled: list[str] | None = None, disabled: list[str] | None = None) -> tuple[Rule, ...]:
        """The rules to evaluate; unknown ids are an error naming them."""
        known = {r.id for r in self.rules}
        unknown = sorted({*(enabled or []), *(disabled or [])} - known)
        if unknown:
            raise CatalogError(f"{self.source}: unknown rule id(s): {', '.join(unknown)}")
        chosen = [r for r in self.rules if enabled is None or r.id in enabled]
        return tuple(r for r in chosen if r.id not in set(disabled or ()))


def parse_catalog(text: str, source: str) -> Catalog:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"{source}{line}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    return catalog_from_data(data, source)


def catalog_from_data(data: Any, source: str) -> Catalog:
    """A catalog from already-loaded data (a list of rules), checked like a file."""
    if not isinstance(data, list):
        raise CatalogError(f"{source}: the catalog must be a list of rules")
    rules = tuple(_parse_rule(item, f"{source}: rule {index + 1}") for index, item in enumerate(data))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise CatalogError(f"{source}: rule id {rule.id!r} appears twice")
        seen.add(rule.id)
    return Catalog(rules, source)


def load_catalog(path: str | Path = DEFAULT_CATALOG) -> Catalog:
    location = Path(path)
    try:
        text = location.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"{location}: cannot read the rule catalog: {exc.strerror}") from None
    return parse_catalog(text, str(location))
