# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``config`` check: one effective attribute of an IIS or ASP.NET section at the scope.

Remediation ``config: {value}`` sets it where the evidence says it is set (the web.config or
``<location>`` that undid a server setting), else server-wide. The helpers below, which name the
element a check reads and the file a fix writes, serve the other configuration kinds too
(``config_collection``, ``app_pools``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.configfile import parse_element_path
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveConfig, EffectiveValue
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import EditError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import APPHOST_CONFIG, MACHINE_CONFIG, ROOT_WEB_CONFIG, expand, normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import substitute
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation, Workbench, secret_shown, with_redaction

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule

MACHINE_ONLY_SECTIONS = ("system.web/deployment",)
"""ASP.NET sections only machine.config may set."""


def element_path(spec: dict[str, Any], site_name: str | None) -> str:
    """The check's ``element`` below its section, ``{site}`` replaced by the site's name."""
    element = str(spec.get("element", ""))
    return element.replace("{site}", site_name) if site_name is not None else element


def site_of(finding: Finding) -> str:
    """The site a finding's scope names (``Default Web Site/shop`` -> ``Default Web Site``)."""
    return finding.scope.split("/", 1)[0]


def section_target(spec: dict[str, Any]) -> str:
    """The section and element a check reads, as a remediation names it (``system.webServer/security/requestFiltering/verbs``)."""
    return str(spec.get("section", "")) + (f"/{spec['element']}" if spec.get("element") else "")


def missing_entry(at: Evaluation, effective: EffectiveConfig) -> Finding | None:
    """Not applicable when the element path names a collection entry the host does not have.

    ``site[@name='Shop']`` on a host without that site: the rule is about an entry that is not
    there, and remediating it would create a bogus one.
    """
    spec = at.spec
    element = element_path(spec, at.site_name)
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
                return at.finding("not_applicable", Evidence(actual=f"no {step.name} with {keys} in {where}"))
            node = entry.element
        else:
            node = node.child(step.name)
        walked.append(step.name)
    return None


def write_target(environment: dict[str, str], section: str, evidence: Evidence) -> tuple[str, str | None]:
    """The file and ``<location>`` path a fix writes: where the failing value comes from, else server-wide.

    Server-wide is applicationHost.config for IIS sections, the .NET root web.config for ASP.NET
    sections and machine.config for sections only it may set.
    """
    apphost = expand(APPHOST_CONFIG, environment)
    in_a_file = evidence.line is not None and bool(evidence.file) and ":\\" in str(evidence.file)
    if in_a_file and (normalize(str(evidence.file)).casefold() != normalize(apphost).casefold() or evidence.location_path):
        return str(evidence.file), evidence.location_path
    if section in MACHINE_ONLY_SECTIONS:
        return expand(MACHINE_CONFIG, environment), None
    if section.startswith("system.web/"):
        return expand(ROOT_WEB_CONFIG, environment), None
    return apphost, None


def describe_set_value(rule: Rule, fields: dict[str, Any], scope: str) -> str:
    """A ``config: {value}`` remediation in words: ``set <section>@<attribute> = '<value>' at <scope>``."""
    check = rule.check.spec
    return f"set {section_target(check)}@{check.get('attribute')} = {substitute(fields.get('value'), rule.params)!r} at {scope}"


def _evidence_from(value: EffectiveValue, expectation: str) -> Evidence:
    provenance = value.provenance
    if provenance is None:
        return Evidence(file=value.describe(), actual=value.value, expected=expectation)
    return Evidence(provenance.file, provenance.line, provenance.location_path, value.value, expectation)


class SectionCheck(CheckKind):
    """A check of a section (and ``element`` below it) in the effective configuration at the scope."""

    def evaluate(self, at: Evaluation) -> Finding:
        """``not_applicable`` where the element path names an entry the host does not have, else :meth:`evaluate_in`."""
        effective = at.effective()
        missing = missing_entry(at, effective)
        return missing if missing is not None else self.evaluate_in(at, effective)

    def evaluate_in(self, at: Evaluation, effective: EffectiveConfig) -> Finding:
        """The rule's finding, given the effective configuration at the scope."""
        raise NotImplementedError(f"check kind {self.name!r} cannot be evaluated")


class ConfigCheck(SectionCheck):
    """``config: {section, attribute, element?, expect}``."""

    name = "config"
    required = ("section", "attribute", "expect")
    fix = "config"

    def summary(self, spec: dict[str, Any]) -> str:
        return f"`{section_target(spec)}@{spec['attribute']}`"

    def evaluate_in(self, at: Evaluation, effective: EffectiveConfig) -> Finding:
        spec = at.spec
        value = effective.get(str(spec["section"]), str(spec["attribute"]), element=element_path(spec, at.site_name))
        expectation = at.expectation
        evidence = _evidence_from(value, expectation.describe(at.params))
        if value.value is not None:
            evidence = with_redaction(evidence, str(secret_shown(str(spec["attribute"]), value.value)))
        return at.finding(at.verdict(expectation, value.value), evidence)

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        return describe_set_value(rule, fields, scope)

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        spec = rule.check.spec
        value = str(substitute(fields.get("value"), params))
        path, location = write_target(bench.state.environment, str(spec.get("section", "")), finding.evidence)
        editor = bench.edit(path)
        try:
            result = editor.set_attribute(str(spec["section"]), str(spec["attribute"]), value, element=element_path(spec, site_of(finding)), location=location)
        except EditError:
            return False
        if result.changed:
            bench.store(path, editor)
        return result.changed
