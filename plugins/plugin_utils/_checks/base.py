# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What every check kind provides, and what its evaluation and its fix are given.

A check kind (``config``, ``registry``…) is one class deriving from :class:`CheckKind`, in a module
of its own in this package and named once in the table of ``__init__.py``. The catalog asks it to
read a rule's ``check`` (:meth:`CheckKind.parse`), the audit to evaluate the rule at one scope of a
host (:meth:`CheckKind.evaluate`, given an :class:`Evaluation`) and the plan to fix a failing
finding (:meth:`CheckKind.plan`, given the :class:`Workbench` of the plan being made).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveConfig, EffectiveElement, Provenance, Site
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import shown_value
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState

if TYPE_CHECKING:  # the catalog reads its checks through this package: imported for types only
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule

MANUAL = "manual"
"""The remediation every rule may have: a person does it, following ``guidance``."""


@dataclass(slots=True)
class Evaluation:
    """One rule at one scope of one host: what a check kind's ``evaluate`` reads, and how it reports."""

    state: HostState
    rule: Rule
    kind: CheckKind
    params: dict[str, Any]
    """The rule's parameters with the user's overrides on top."""
    scope: str
    """``server``, a site's name, or a site's name and URL path (``Default Web Site/shop``)."""
    site: Site | None = None
    path: str = "/"

    @property
    def spec(self) -> dict[str, Any]:
        return self.rule.check.spec

    @property
    def site_name(self) -> str | None:
        return self.site.name if self.site is not None else None

    @property
    def expectation(self) -> Expectation:
        """The check's main expectation (``every`` and ``expect_count`` carry their own)."""
        if self.rule.check.expect is None:
            raise ValueError(f"rule {self.rule.id}: check {self.rule.check.kind} has no expectation")
        return self.rule.check.expect

    def effective(self) -> EffectiveConfig:
        """The effective configuration at the scope: the server's, or a site's at a URL path."""
        configuration = self.state.configuration
        return configuration.server() if self.site is None else configuration.resolve(self.site.name, self.path)

    def sites(self) -> list[Site]:
        return self.state.configuration.sites

    def verdict(self, expectation: Expectation, actual: str | None) -> str:
        return "pass" if expectation.holds(actual, self.params, self.state.system_drive) else "fail"

    def finding(self, status: str, evidence: Evidence | None = None) -> Finding:
        """The rule's finding at the scope, with the remediation in words."""
        rule = self.rule
        return Finding(
            host=self.state.name,
            rule_id=rule.id,
            title=rule.title,
            references=rule.references,
            severity=rule.severity,
            status=status,
            scope=self.scope,
            evidence=evidence or Evidence(),
            remediation=self.kind.remediation(rule, self.scope, self.params),
        )


class Workbench(Protocol):
    """The plan being made for one host, as a check kind's ``plan`` changes it (``_harden/plan.py``)."""

    @property
    def state(self) -> HostState:
        """The host as it is."""

    def planned_state(self) -> HostState:
        """The host as the plan so far would leave it."""

    def edit(self, path: str) -> ConfigEditor:
        """An editor on a configuration file as the plan so far leaves it (a new, empty one when there is none)."""

    def store(self, path: str, editor: ConfigEditor) -> None:
        """Keep an editor's content as the planned content of the file."""

    def set_registry(self, path: str, name: str, value: Any, value_type: str, rule: str) -> bool:
        """Plan a registry value (None deletes it); whether that changes the plan."""

    def set_feature(self, name: str, state: str, rule: str) -> bool:
        """Plan a Windows feature ``installed`` or ``absent``; whether that changes the plan."""

    def opted_in(self, rule: str) -> bool:
        """Whether the organisation lets harden make this rule's ``breaks-if-in-use`` remediation wherever it fails."""

    def hold_back(self, rule: str, scope: str, reason: str) -> None:
        """Record a remediation (or part of one) left to a person, and why."""


class CheckKind:
    """One kind of check: how a rule's ``check`` of this kind is read, evaluated at a scope and fixed.

    A subclass sets ``name`` (the key under ``check``) and ``required`` (its mandatory fields) and
    implements :meth:`evaluate` and :meth:`summary`. A kind whose failures can be fixed names the
    remediation it takes in ``fix`` and implements :meth:`plan` and :meth:`describe_fix`; every
    rule may instead have a ``manual`` remediation.
    """

    name: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    fix: ClassVar[str | None] = None
    """The remediation kind (key under ``remediation``) this kind plans, besides ``manual``."""
    host_wide: ClassVar[bool] = False
    """Evaluated once per host, whatever the rule's scope (a registry value, a feature)."""
    automated: ClassVar[bool] = True
    """Whether the check is evaluated against the host state (``manual`` is not)."""

    # -- the catalog ------------------------------------------------------------------------
    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        """Check a rule's ``check`` of this kind; its main expectation, if it has one. CatalogError names what is wrong."""
        missing = [name for name in self.required if name not in spec]
        if missing:
            raise CatalogError(f"{where}: check {self.name!r} lacks {', '.join(missing)}")
        return Expectation.parse(spec["expect"], f"{where}.{self.name}") if "expect" in spec else None

    def remediations(self) -> tuple[str, ...]:
        """The remediation kinds a rule with this check may have."""
        return (self.fix, MANUAL) if self.fix is not None else (MANUAL,)

    def summary(self, spec: dict[str, Any]) -> str:
        """What the check looks at, in one line of docs/rules.md."""
        return f"{self.name} `{spec.get('name', spec.get('path'))}`"

    def probe_paths(self, spec: dict[str, Any]) -> tuple[str, ...]:
        """Paths a live gather must say exist for the check to be evaluated (``probe_paths``)."""
        return ()

    # -- the audit ---------------------------------------------------------------------------
    def evaluate(self, at: Evaluation) -> Finding:
        """The rule's finding at one scope of the host."""
        raise NotImplementedError(f"check kind {self.name!r} cannot be evaluated")

    def remediation(self, rule: Rule, scope: str, params: dict[str, Any] | None = None) -> str:
        """The rule's remediation at a scope, in words (a finding's ``remediation``), with the organisation's values (``params``)."""
        if params is not None and params != rule.params:
            rule = dataclasses.replace(rule, params=params)
        kind, fields = next(iter(rule.remediation.items()))
        fields = fields if isinstance(fields, dict) else {}
        if kind != self.fix:
            return str(fields.get("guidance", "see the rule's guidance"))
        return self.describe_fix(rule, fields, scope)

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        """The automated remediation (``fields`` under the ``fix`` key) at a scope, in words."""
        raise NotImplementedError(f"check kind {self.name!r} has no automated remediation")

    # -- the plan ----------------------------------------------------------------------------
    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        """Plan the edits that fix a failing finding; whether the plan changed (False: nothing this kind can do)."""
        return False


def from_provenance(provenance: Provenance | None, actual: str, expected: str) -> Evidence:
    """Evidence at the place a value or entry comes from (``default`` when no file sets it)."""
    if provenance is None:
        return Evidence(file="default", actual=actual, expected=expected)
    return Evidence(provenance.file, provenance.line, provenance.location_path, actual, expected)


def secret_shown(attribute: str, value: str | None, entry: EffectiveElement | None = None) -> str | None:
    """How a checked value may be shown: the marker when it is a secret (by schema or name), else the value."""
    siblings = {name: entry.value(name) for name in ("key", "name")} if entry is not None else None
    return shown_value(attribute, value, siblings)


def with_redaction(evidence: Evidence, redacted: str) -> Evidence:
    """The evidence, carrying ``redacted`` as the form of ``actual`` to show when the two differ."""
    if redacted != evidence.actual:
        evidence.redacted = redacted
    return evidence
