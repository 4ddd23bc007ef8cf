# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Evaluate the rule catalog against one host's state, on the controller.

Each rule is evaluated at its scope: once for the server, once per site, or for
``application`` rules at every application root and at every other path where a
``<location>`` tag or a web.config changes the section the rule reads, so that a
setting undone for one application is caught where it is undone. What a rule checks at a
scope is its check kind's (``plugins/plugin_utils/_checks``); a kind that reads host-wide
state (a registry value, a feature) is evaluated once per host whatever the rule's scope.

A web.config IIS cannot read (IIS answers HTTP 500.19 below it) is one ``error`` finding at
the scope where IIS reads it, naming the file, the line and the cause, and listing the rules
it keeps from being evaluated there; every scope that does not depend on it is evaluated
as usual. A server file IIS cannot read (applicationHost.config, machine.config, the root
web.config) raises instead: every site depends on it, so the host fails.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.configfile import path_key, split_path
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveConfig, Site
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError, UnreadableScopeError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import CheckKind, kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.base import Evaluation
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import all_hold
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import UnreadableServerFileError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding, RuleException, apply_exceptions
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState

UNREADABLE_RULE_ID = "config-file-unreadable"
"""The rule id of the one finding for a configuration file IIS cannot read (not a catalog rule)."""


@dataclass
class _NotEvaluated:
    """The rules a web.config IIS cannot read kept from being evaluated at its scope."""

    reason: UnreadableScopeError
    rules: list[str] = field(default_factory=list)


def _unreadable_finding(host: str, blocked: _NotEvaluated) -> Finding:
    reason = blocked.reason
    named_by = "" if normalize(reason.file).casefold() == normalize(reason.web_config).casefold() else f" (the configSource of {reason.web_config})"
    not_evaluated = f"{len(blocked.rules)} rule(s): {', '.join(blocked.rules)}"
    return Finding(
        host=host,
        rule_id=UNREADABLE_RULE_ID,
        title="A configuration file IIS cannot read (HTTP 500.19)",
        references={},
        severity="high",
        status="error",
        scope=reason.scope,
        evidence=Evidence(
            file=reason.file,
            line=reason.line,
            actual=f"{reason.cause}{named_by}; IIS would answer HTTP 500.19 for URLs under {reason.scope}; not evaluated there: {not_evaluated}",
            expected="a configuration file IIS can read",
        ),
        remediation=f"correct {reason.file} by hand (hardened.iis.harden leaves it alone), then audit again",
    )


class Evaluator:
    """Evaluates rules against one host's state."""

    def __init__(self, state: HostState, overrides: dict[str, dict[str, Any]] | None = None) -> None:
        self.state = state
        self.overrides = overrides or {}
        self._candidates: dict[str, list[str]] = {}
        self._not_evaluated: dict[tuple[str, str], _NotEvaluated] = {}

    # -- scopes --------------------------------------------------------------------------
    def _sites(self) -> list[Site]:
        return self.state.configuration.sites

    def _candidate_paths(self, site: Site) -> list[str]:
        """Paths of a site that a <location> or a web.config names, other than application roots."""
        found = self._candidates.get(site.name)
        if found is None:
            roots = {path_key(split_path(application.path)) for application in site.applications}
            found = [path for path in self.state.configuration.named_paths(site) if path_key(split_path(path)) not in roots]
            self._candidates[site.name] = found
        return found

    def _application_paths(self, site: Site, section: str | None) -> list[str]:
        """Application roots, plus paths where a location or web.config changes ``section``."""
        configuration = self.state.configuration
        paths = [application.path for application in site.applications]
        if section is not None:
            paths.extend(p for p in self._candidate_paths(site) if self._sets_section(configuration.resolve(site.name, p), section))
        return paths

    @staticmethod
    def _sets_section(effective: EffectiveConfig, section: str) -> bool:
        """Whether a <location> for exactly this path, or the web.config of its folder, sets the section.

        Where that hangs on a web.config IIS cannot read, the path is kept, to be reported as not evaluated.
        """
        return effective.depends_on_unreadable(section) or section in effective.sections_set_here

    # -- evaluation ---------------------------------------------------------------------
    def evaluate(self, rules: tuple[Rule, ...]) -> list[Finding]:
        """The findings of ``rules``: first one per web.config IIS cannot read, then the rules' own."""
        self._not_evaluated = {}
        findings: list[Finding] = []
        for rule in rules:
            try:
                findings.extend(self._rule(rule))
            except UnreadableServerFileError:
                raise  # every site depends on the file: the host fails, with the file and line
            except (ConfigError, KeyError, ValueError) as exc:
                findings.append(self._at_server(rule).finding("error", Evidence(actual=str(exc))))
        return [_unreadable_finding(self.state.name, blocked) for blocked in self._not_evaluated.values()] + findings

    def _rule(self, rule: Rule) -> list[Finding]:
        kind = kind_of(rule.check.kind)
        if rule.scope == "server" or kind.host_wide:
            return [self._evaluate(kind, self._at_server(rule))]
        sites = self._sites()
        if not sites:
            return [self._at_server(rule).finding("not_applicable", Evidence(actual="no sites"))]
        findings = []
        section = rule.check.spec.get("section")
        params = rule.params_with(self.overrides)
        for site in sites:
            paths = ["/"] if rule.scope == "site" else self._application_paths(site, section)
            for path in paths:
                scope = site.name + ("" if path == "/" else path)
                found = self._where_readable(kind, Evaluation(self.state, rule, kind, params, scope, site, path))
                if found is not None:
                    findings.append(found)
        return findings

    @staticmethod
    def _evaluate(kind: CheckKind, at: Evaluation) -> Finding:
        """The rule's finding at the scope where it applies; ``not_applicable`` where its ``applies_when`` fails,
        ``manual`` where that hangs on what only a person can say (a site's role nobody stated).

        The check is evaluated first, so a scope that hangs on a web.config IIS cannot read is reported
        as not evaluated (UnreadableScopeError) whatever the rule's applicability.
        """
        finding = kind.evaluate(at)
        if not at.rule.applies_when or finding.status == "not_applicable":
            return finding
        outcome = all_hold(at.rule.applies_when, at)
        expected = "applies when " + "; ".join(c.describe(at.params) for c in at.rule.applies_when)
        if outcome.holds is False:
            return at.finding("not_applicable", Evidence(actual=f"not applicable: {outcome.found}", expected=expected))
        if outcome.holds is None:
            return at.finding("manual", Evidence(actual=f"a person decides whether the rule applies: {outcome.found}", expected=expected))
        return finding

    def _at_server(self, rule: Rule) -> Evaluation:
        return Evaluation(self.state, rule, kind_of(rule.check.kind), rule.params_with(self.overrides), "server")

    def _where_readable(self, kind: CheckKind, at: Evaluation) -> Finding | None:
        """The rule's finding at a scope; None where it hangs on a web.config IIS cannot read (the
        rule is then listed in that file's one finding)."""
        try:
            return self._evaluate(kind, at)
        except UnreadableScopeError as exc:
            blocked = self._not_evaluated.setdefault((exc.web_config.casefold(), exc.scope.casefold()), _NotEvaluated(exc))
            if at.rule.id not in blocked.rules:
                blocked.rules.append(at.rule.id)
            return None


def audit_findings(
    state: HostState, rules: tuple[Rule, ...], overrides: dict[str, dict[str, Any]], exceptions: list[RuleException], today: datetime.date
) -> list[Finding]:
    """The findings of ``rules`` on ``state``, failing ones covered by an exception marked excepted."""
    findings = Evaluator(state, overrides).evaluate(rules)
    apply_exceptions(findings, exceptions, today)
    return findings
