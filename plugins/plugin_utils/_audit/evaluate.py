# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Evaluate the rule catalog against one host's state, on the controller.

Each rule is evaluated at its scope: once for the server, once per site, or for
``application`` rules at every application root and at every other path where a
``<location>`` tag or a web.config changes the section the rule reads, so that a
setting undone for one application is caught where it is undone.

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

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.configfile import parse_element_path, path_key, split_path
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import (
    EffectiveConfig,
    EffectiveElement,
    EffectiveEntry,
    EffectiveValue,
    Provenance,
    Site,
)
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError, UnreadableScopeError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import MARKER, secret_name, shown_value
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import expand, normalize

from .catalog import Rule
from .expect import Expectation, substitute
from .findings import Evidence, Finding, RuleException, apply_exceptions
from .hoststate import HostState, UnreadableServerFileError

UNREADABLE_RULE_ID = "config-file-unreadable"
"""The rule id of the one finding for a configuration file IIS cannot read (not a catalog rule)."""


def _finding(state: HostState, rule: Rule, status: str, scope: str, evidence: Evidence | None = None) -> Finding:
    return Finding(
        host=state.name,
        rule_id=rule.id,
        title=rule.title,
        references=rule.references,
        severity=rule.severity,
        status=status,
        scope=scope,
        evidence=evidence or Evidence(),
        remediation=_remediation(rule, scope),
    )


def _remediation(rule: Rule, scope: str) -> str:
    kind, spec = next(iter(rule.remediation.items()))
    spec = spec if isinstance(spec, dict) else {}
    check = rule.check.spec
    if kind == "config":
        target = check.get("section", "") + (f"/{check['element']}" if check.get("element") else "")
        return f"set {target}@{check.get('attribute')} = {substitute(spec.get('value'), rule.params)!r} at {scope}"
    if kind == "config_collection":
        target = check.get("section", "") + (f"/{check['element']}" if check.get("element") else "")
        actions = [f"add {e}" for e in spec.get("add", [])] + [f"remove {e}" for e in spec.get("remove", [])]
        return f"{target}: {'; '.join(actions) or 'adjust entries'} at {scope}"
    if kind == "registry":
        return f"set {check.get('path')}\\{check.get('name')} = {spec.get('value')!r} ({spec.get('type', 'dword')})"
    if kind == "feature":
        return f"make Windows feature {check.get('name')} {spec.get('state', 'absent')}"
    return str(spec.get("guidance", "see the rule's guidance"))


def _evidence_from(value: EffectiveValue, expectation: str) -> Evidence:
    provenance = value.provenance
    if provenance is None:
        return Evidence(file=value.describe(), actual=value.value, expected=expectation)
    return Evidence(provenance.file, provenance.line, provenance.location_path, value.value, expectation)


def _secret_shown(attribute: str, value: str | None, entry: EffectiveElement | None = None) -> str | None:
    """How a checked value may be shown: the marker when it is a secret (by schema or name), else the value."""
    siblings = {name: entry.value(name) for name in ("key", "name")} if entry is not None else None
    return shown_value(attribute, value, siblings)


def _with_redaction(evidence: Evidence, redacted: str) -> Evidence:
    """The evidence, carrying ``redacted`` as the form of ``actual`` to show when the two differ."""
    if redacted != evidence.actual:
        evidence.redacted = redacted
    return evidence


def _from_provenance(provenance: Provenance | None, actual: str, expected: str) -> Evidence:
    if provenance is None:
        return Evidence(file="default", actual=actual, expected=expected)
    return Evidence(provenance.file, provenance.line, provenance.location_path, actual, expected)


def _expectation(rule: Rule) -> Expectation:
    if rule.check.expect is None:
        raise ValueError(f"rule {rule.id}: check {rule.check.kind} has no expectation")
    return rule.check.expect


def _entry_matches(entry: EffectiveEntry, wanted: dict[str, Any]) -> bool:
    return all((entry.element.value(str(k)) or "").casefold() == str(v).casefold() for k, v in wanted.items())


def _substitute_entry(entry: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    return {str(k): substitute(v, params) for k, v in entry.items()}


def _format_entry(wanted: dict[str, Any]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in wanted.items())


def _collection_provenance(collection: EffectiveElement) -> Provenance | None:
    if collection.entries:
        return collection.entries[-1].provenance
    return collection.cleared_at


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
                findings.append(_finding(self.state, rule, "error", "server", Evidence(actual=str(exc))))
        return [_unreadable_finding(self.state.name, blocked) for blocked in self._not_evaluated.values()] + findings

    def _rule(self, rule: Rule) -> list[Finding]:
        if rule.check.kind == "manual":
            spec = rule.check.spec
            return [_finding(self.state, rule, "manual", "server", Evidence(actual=str(spec["reason"]), expected=str(spec["guidance"])))]
        if rule.scope == "server" or rule.check.kind in ("registry", "feature", "service", "app_pools"):
            return [self._at(rule, "server", None, "/")]
        sites = self._sites()
        if not sites:
            return [_finding(self.state, rule, "not_applicable", "server", Evidence(actual="no sites"))]
        findings = []
        section = rule.check.spec.get("section")
        for site in sites:
            paths = ["/"] if rule.scope == "site" else self._application_paths(site, section)
            for path in paths:
                scope = site.name + ("" if path == "/" else path)
                found = self._where_readable(rule, scope, site, path)
                if found is not None:
                    findings.append(found)
        return findings

    def _where_readable(self, rule: Rule, scope: str, site: Site, path: str) -> Finding | None:
        """The rule's finding at a scope; None where it hangs on a web.config IIS cannot read (the
        rule is then listed in that file's one finding)."""
        try:
            return self._at(rule, scope, site, path)
        except UnreadableScopeError as exc:
            blocked = self._not_evaluated.setdefault((exc.web_config.casefold(), exc.scope.casefold()), _NotEvaluated(exc))
            if rule.id not in blocked.rules:
                blocked.rules.append(rule.id)
            return None

    def _at(self, rule: Rule, scope: str, site: Site | None, path: str) -> Finding:
        kind = rule.check.kind
        params = rule.params_with(self.overrides)
        if kind in ("config", "config_collection"):
            configuration = self.state.configuration
            effective = configuration.server() if site is None else configuration.resolve(site.name, path)
            if kind == "config":
                return self._config(rule, scope, effective, site, params)
            return self._collection(rule, scope, effective, site, params)
        handler = {"registry": self._registry, "feature": self._feature, "service": self._service, "file": self._file, "app_pools": self._app_pools}[kind]
        return handler(rule, scope, site, params)

    def _element(self, rule: Rule, site: Site | None) -> str:
        element = str(rule.check.spec.get("element", ""))
        return element.replace("{site}", site.name) if site is not None else element

    def _verdict(self, expectation: Expectation, actual: str | None, params: dict[str, Any]) -> str:
        return "pass" if expectation.holds(actual, params, self.state.system_drive) else "fail"

    def _missing_entry(self, rule: Rule, scope: str, effective: EffectiveConfig, site: Site | None) -> Finding | None:
        """Not applicable when the element path names a collection entry the host does not have.

        ``site[@name='Shop']`` on a host without that site: the rule is about an entry that is not
        there, and remediating it would create a bogus one.
        """
        spec = rule.check.spec
        element = self._element(rule, site)
        if "[" not in element:
            return None
        node = effective.section(str(spec["section"]))
        walked: list[str] = []
        for step in parse_element_path(element):
            collection = node.schema.collection if node.schema is not None else None
            if step.keys and collection is not None and step.name in collection.add_names:
                entry = node.find_entry(**dict(step.keys))
                if entry is None:
                    keys = " ".join(f"{k}={v!r}" for k, v in step.keys)
                    where = "/".join([str(spec["section"]), *walked])
                    return _finding(self.state, rule, "not_applicable", scope, Evidence(actual=f"no {step.name} with {keys} in {where}"))
                node = entry.element
            else:
                node = node.child(step.name)
            walked.append(step.name)
        return None

    def _config(self, rule: Rule, scope: str, effective: EffectiveConfig, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        missing = self._missing_entry(rule, scope, effective, site)
        if missing is not None:
            return missing
        value = effective.get(str(spec["section"]), str(spec["attribute"]), element=self._element(rule, site))
        expectation = _expectation(rule)
        status = self._verdict(expectation, value.value, params)
        evidence = _evidence_from(value, expectation.describe(params))
        if value.value is not None:
            evidence = _with_redaction(evidence, str(_secret_shown(str(spec["attribute"]), value.value)))
        return _finding(self.state, rule, status, scope, evidence)

    def _collection(self, rule: Rule, scope: str, effective: EffectiveConfig, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        not_there = self._missing_entry(rule, scope, effective, site)
        if not_there is not None:
            return not_there
        collection = effective.section(str(spec["section"])).element(self._element(rule, site))
        if "contains" in spec:
            required = [_substitute_entry(e, params) for e in spec["contains"]]
            missing = [w for w in required if not any(_entry_matches(entry, w) for entry in collection.entries)]
            expected = "contains " + "; ".join(_format_entry(w) for w in required)
            actual = "missing " + "; ".join(_format_entry(w) for w in missing) if missing else "all present"
            return _finding(self.state, rule, "fail" if missing else "pass", scope, _from_provenance(_collection_provenance(collection), actual, expected))
        if "absent" in spec:
            unwanted = [_substitute_entry(e, params) for e in spec["absent"]]
            present = [(w, entry) for w in unwanted for entry in collection.entries if _entry_matches(entry, w)]
            expected = "no entry " + "; ".join(_format_entry(w) for w in unwanted)
            if present:
                found, entry = present[0]
                return _finding(self.state, rule, "fail", scope, _from_provenance(entry.provenance, f"present: {_format_entry(found)}", expected))
            return _finding(self.state, rule, "pass", scope, _from_provenance(_collection_provenance(collection), "none present", expected))
        if "every" in spec:
            every = spec["every"]
            expectation = Expectation.parse(every["expect"], rule.id)
            offending = []
            for entry in collection.entries:
                value = entry.element.element(str(every.get("element", ""))).value(str(every["attribute"]))
                if not expectation.holds(value, params, self.state.system_drive):
                    offending.append((entry, value))
            expected = f"every entry: {every['attribute']} {expectation.describe(params)}"
            if offending:
                first, first_value = offending[0]
                names = ", ".join("/".join(e.key) for e, _value in offending)
                evidence = _from_provenance(first.provenance, f"{names}: {first_value!r}", expected)
                shown = _secret_shown(str(every["attribute"]), first_value, first.element)
                return _finding(self.state, rule, "fail", scope, _with_redaction(evidence, f"{names}: {shown!r}"))
            return _finding(
                self.state, rule, "pass", scope, _from_provenance(_collection_provenance(collection), f"{len(collection.entries)} entries comply", expected)
            )
        expectation = Expectation.parse(spec["expect_count"], rule.id)
        count = str(len(collection.entries))
        status = self._verdict(expectation, count, params)
        return _finding(
            self.state, rule, status, scope, _from_provenance(_collection_provenance(collection), count, f"entry count {expectation.describe(params)}")
        )

    def _registry(self, rule: Rule, scope: str, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        present, value = self.state.registry_value(str(spec["path"]), str(spec["name"]))
        actual = str(value) if present else (str(spec["default"]) if "default" in spec else None)
        expectation = _expectation(rule)
        where = f"registry {spec['path']}\\{spec['name']}" + ("" if present else " (not set: Windows default)" if "default" in spec else " (not set)")
        evidence = Evidence(file=where, actual=actual, expected=expectation.describe(params))
        if actual and secret_name(str(spec["name"])):
            evidence.redacted = MARKER
        return _finding(self.state, rule, self._verdict(expectation, actual, params), scope, evidence)

    def _feature(self, rule: Rule, scope: str, site: Site | None, params: dict[str, Any]) -> Finding:
        name = str(rule.check.spec["name"])
        actual = self.state.feature(name)
        expectation = _expectation(rule)
        if actual is None:
            return _finding(
                self.state,
                rule,
                "error",
                scope,
                Evidence(file="features", actual=f"the host state does not list feature {name}", expected=expectation.describe(params)),
            )
        return _finding(
            self.state,
            rule,
            self._verdict(expectation, actual, params),
            scope,
            Evidence(file=f"feature {name}", actual=actual, expected=expectation.describe(params)),
        )

    def _service(self, rule: Rule, scope: str, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        service = self.state.service(str(spec["name"]))
        expectation = _expectation(rule)
        field_name = str(spec.get("field", "state"))
        actual = service.get(field_name) if service is not None else "absent"
        return _finding(
            self.state,
            rule,
            self._verdict(expectation, actual, params),
            scope,
            Evidence(file=f"service {spec['name']}", actual=actual, expected=expectation.describe(params)),
        )

    def _file(self, rule: Rule, scope: str, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        expectation = _expectation(rule)
        path = str(spec["path"])
        if "{site_root}" in path:
            roots = [site] if site is not None else self._sites()
            mapped = [s.map_path("/") for s in roots]
            path = path.replace("{site_root}", mapped[0][2] if mapped and mapped[0] is not None else "")
        expanded = expand(path, self.state.environment)
        actual = "present" if self.state.files.exists(expanded) else "absent"
        return _finding(
            self.state, rule, self._verdict(expectation, actual, params), scope, Evidence(file=expanded, actual=actual, expected=expectation.describe(params))
        )

    def _app_pools(self, rule: Rule, scope: str, site: Site | None, params: dict[str, Any]) -> Finding:
        spec = rule.check.spec
        expectation = _expectation(rule)
        pools = self.state.configuration.server().section("system.applicationHost/applicationPools")
        defaults = pools.child("applicationPoolDefaults")
        element, _slash, attribute = str(spec["attribute"]).rpartition("/")
        offending = []
        for entry in pools.entries:
            value = entry.element.element(element).get(attribute)
            if value.is_default:
                value = defaults.element(element).get(attribute)
            if not expectation.holds(value.value, params, self.state.system_drive):
                offending.append((entry, value.value))
        expected = f"every application pool: {spec['attribute']} {expectation.describe(params)}"
        if offending:
            entry = offending[0][0]
            names = ", ".join(f"{e.element.value('name')}={a}" for e, a in offending)
            shown = ", ".join(f"{e.element.value('name')}={_secret_shown(attribute, a)}" for e, a in offending)
            return _finding(self.state, rule, "fail", scope, _with_redaction(_from_provenance(entry.provenance, names, expected), shown))
        return _finding(
            self.state,
            rule,
            "pass",
            scope,
            Evidence(file="system.applicationHost/applicationPools", actual=f"{len(pools.entries)} pools comply", expected=expected),
        )


def audit_findings(
    state: HostState, rules: tuple[Rule, ...], overrides: dict[str, dict[str, Any]], exceptions: list[RuleException], today: datetime.date
) -> list[Finding]:
    """The findings of ``rules`` on ``state``, failing ones covered by an exception marked excepted."""
    findings = Evaluator(state, overrides).evaluate(rules)
    apply_exceptions(findings, exceptions, today)
    return findings
