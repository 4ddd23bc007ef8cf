# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog's STIG rules check what Microsoft PowerStig's processed STIG data says, or the difference is known.

``$HARDENED_IIS_CORPUS/../reference/powerstig/`` holds PowerStig's processed data for exactly the
catalog's releases (Server STIG V3R7, Site STIG V2R15): per rule the STIG check text
(``RawString``) and, where PowerStig automates the rule, what it expects. Both sides are turned
into requirements per vuln id and target (a configuration path and attribute, a collection, a
registry value, a Windows feature, an application pool setting). Two requirements on one value
agree when they judge the same probe values alike: every value either side names, its
neighbours (n - 1, n + 1, one second less or more), every combination of the flags either names,
and "not set" for registry values. Collections agree when they name the same entries.

Every difference, including a vuln one side automates and the other leaves to a person, must be
listed in ``powerstig_differences.yml`` with its reason and the sentence of the check text that
decides it. That sentence must be in PowerStig's ``RawString`` for the vuln, and an entry whose
difference is gone fails as well, so the table can neither lie nor go stale.

How PowerStig's data is read:

- a flags value (``SslSettingsRule``, an ``IisLoggingRule``'s ``LogFlags`` and ``LogTargetW3C``)
  names flags that must be set: the check texts ask for them to be selected (PowerStig's DSC
  resources write exactly that value);
- ``OrganizationValueTestString`` is the range the STIG allows (``{0}`` the value; a quoted
  ``'{0}' -le '00:15:00'`` compares time spans), the ``*.org.default.xml`` value is the one PowerStig
  sets, which must satisfy the catalog's check or equal the catalog's parameter it stands for;
- xWebAppPool properties and the log file of ``xIISLogging`` (server) and ``XWebsite`` (site) are
  mapped to applicationHost.config paths below;
- ``system.web/sessionState`` ``timeout`` holds minutes in configuration and a time span in PowerShell;
- paths and names compare without regard to case, as PowerShell's configuration cmdlets do.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._core.acl import APPLIES_TO
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from tools.generate_rules_doc import STIG_ASKS_OTHERWISE

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
REFERENCE = Path(CORPUS).parent / "reference" if CORPUS else Path("/nonexistent")
POWERSTIG = REFERENCE / "powerstig"
RELEASES = (("IISServer-10.0-3.7", "3.7"), ("IISSite-10.0-2.15", "2.15"))
KNOWN = Path(__file__).with_name("powerstig_differences.yml")
CATALOG = load_catalog()
needs_powerstig = pytest.mark.skipif(not POWERSTIG.is_dir(), reason="the shared PowerStig data (HARDENED_IIS_CORPUS/../reference/powerstig) is not available")

NOT_AUTOMATED = ("ManualRule", "DocumentRule")
AUTOMATION = "(automation)"
"""The target of a difference in kind: one side automates the vuln, the other leaves it to a person."""
VERDICTS = ("powerstig", "catalog", "automation")
"""``powerstig``: PowerStig departs from the check text and the catalog follows the text; ``catalog``: the
catalog departs from the text (open, for the catalog's owner to decide); ``automation``: one side automates
a vuln the other leaves to a person."""
IGNORED_FIELDS = ("Description", "RawString", "DuplicateOf", "IsNullOrEmpty", "LegacyId", "OrganizationValueRequired", "OrganizationValueTestString")
XWEBAPPPOOL = {
    "idleTimeout": "processModel/idleTimeout",
    "restartRequestsLimit": "recycling/periodicRestart/requests",
    "logEventOnRecycle": "recycling/logEventOnRecycle",
    "rapidFailProtection": "failure/rapidFailProtection",
    "rapidFailProtectionInterval": "failure/rapidFailProtectionInterval",
}
"""xWebAdministration's xWebAppPool properties and the application pool attributes they set."""
LOG_FILE = {
    "xIISLogging": "system.applicationHost/sites/siteDefaults/logFile",
    "XWebsite": "system.applicationHost/sites/site[@name='{site}']/logFile",
}
"""The log file settings each PowerStig logging resource writes: the server's defaults, or each site's."""
IN_MINUTES = ("system.web/sessionstate@timeout",)
"""Attributes whose configuration value is a number of minutes (PowerShell reads a time span)."""

_TIME_SPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
_INTEGER = re.compile(r"^-?\d+$")
_CLAUSE = re.compile(r"^(?:\[TimeSpan\])?'?\{0\}'?\s+-(?P<op>le|lt|ge|gt|eq|ne)\s+(?:\[TimeSpan\])?'?(?P<bound>[^']*)'?$")
_FLAG_RANGE = re.compile(r"^'\{0\}' 'Value must contain (?P<must>.+?) but can contain (?P<may>.+)'$")
_PARAMETER = re.compile(r"^\{([a-z_][a-z0-9_]*)\}$")
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"})

Entry = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Requirement:
    """What one side requires at one target, in its own words."""

    text: str
    holds: Callable[[str | None], bool] | None = None
    """For a single value: whether a value (None: not set) satisfies it."""
    entries: frozenset[Entry] | None = None
    """For a collection: the entries it names."""
    literals: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    unset_is_a_value: bool = False
    parameters: tuple[tuple[str, str], ...] = ()
    """The catalog's parameters the requirement uses, with their default values."""
    organisation_value: str | None = None
    """PowerStig's organisation value (``*.org.default.xml``) where the STIG leaves the value to the organisation."""


@dataclass(frozen=True)
class Difference:
    vuln: str
    target: str
    catalog: str | None
    powerstig: str | None
    why: str = field(default="", compare=False)
    """How they differ (the first probe judged differently), for the failure message."""

    def __str__(self) -> str:
        return f"{self.vuln} {self.target}: catalog {self.catalog!r}, PowerStig {self.powerstig!r}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True)
class PowerStigRule:
    rule_id: str
    kind: str
    resource: str
    element: ElementTree.Element = field(compare=False)

    @property
    def vuln(self) -> str:
        return self.rule_id.split(".")[0]

    def get(self, name: str) -> str:
        child = self.element.find(name)
        return (child.text or "").strip() if child is not None else ""

    @property
    def raw(self) -> str:
        return self.get("RawString")


# ----------------------------------------------------------------------------------------------------
# Values: probes and how each side judges them
# ----------------------------------------------------------------------------------------------------
def _fold(value: str) -> str:
    folded = value.strip().casefold()
    return folded[1:] if folded in ("$true", "$false") else folded


def _flag_set(value: str | None) -> set[str]:
    return {part.strip().casefold() for part in (value or "").split(",") if part.strip()}


def _seconds(value: str) -> int | None:
    match = _TIME_SPAN.match(value.strip())
    if match is None:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def _time_span(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _magnitude(value: str | None, target: str) -> int | None:
    """A value as a number: seconds for a time span (and for minutes at IN_MINUTES targets), else the integer."""
    if value is None:
        return None
    text = value.strip()
    if _INTEGER.match(text):
        return int(text) * 60 if target in IN_MINUTES else int(text)
    return _seconds(text)


def _in_configuration(value: str, target: str) -> str:
    """A value as configuration holds it at the target (a time span becomes minutes at IN_MINUTES targets)."""
    seconds = _seconds(value)
    return str(seconds // 60) if target in IN_MINUTES and seconds is not None else value


def _neighbours(literal: str, target: str) -> list[str]:
    text = literal.strip()
    if _INTEGER.match(text):
        number = int(text)
        return [str(n) for n in (number - 1, number, number + 1, 0) if n >= 0]
    seconds = _seconds(text)
    if seconds is None:
        return [literal]
    if target in IN_MINUTES:
        minutes = seconds // 60
        return [str(n) for n in (minutes - 1, minutes, minutes + 1, 0) if n >= 0]
    return [_time_span(s) for s in (seconds - 1, seconds, seconds + 1, 0) if s >= 0]


def _probes(target: str, first: Requirement, second: Requirement) -> list[str | None]:
    literals = first.literals + second.literals
    values: set[str] = set()
    for literal in literals:
        values.update(_neighbours(literal, target))
    flags = sorted({flag.casefold(): flag for flag in first.flags + second.flags}.values())
    for size in range(len(flags) + 1 if flags else 0):
        values.update(", ".join(combo) for combo in combinations(flags, size))
    if any(_fold(literal) in ("true", "false") for literal in literals):
        values.update(("true", "false"))
    elif not flags and not any(_magnitude(literal, target) is not None for literal in literals):
        values.add("some-other-value")
    probes: list[str | None] = sorted(values)
    if first.unset_is_a_value or second.unset_is_a_value:
        probes.append(None)
    return probes


def _first_disagreement(target: str, catalog: Requirement, powerstig: Requirement) -> str | None:
    """The first probe the two requirements judge differently, described; None when they agree."""
    if catalog.entries is not None or powerstig.entries is not None:
        return None if catalog.entries == powerstig.entries else "they name different entries"
    if catalog.holds is None or powerstig.holds is None:
        pytest.fail(f"{target}: no way to compare {catalog.text!r} with {powerstig.text!r}")
    for probe in _probes(target, catalog, powerstig):
        if catalog.holds(probe) != powerstig.holds(probe):
            return f"{probe!r}: catalog {'passes' if catalog.holds(probe) else 'fails'} it, PowerStig {'passes' if powerstig.holds(probe) else 'fails'} it"
    return None


def _combined(first: Requirement, second: Requirement) -> Requirement:
    """Two requirements on one target (two rules of one side): both must hold."""
    one, other = first.holds, second.holds
    holds = (lambda value: one(value) and other(value)) if one is not None and other is not None else None
    entries = first.entries | second.entries if first.entries is not None and second.entries is not None else None
    return Requirement(
        text=f"{first.text} and {second.text}" if entries is None else "; ".join(sorted(f"{first.text}; {second.text}".split("; "))),
        holds=holds,
        entries=entries,
        literals=first.literals + second.literals,
        flags=first.flags + second.flags,
        unset_is_a_value=first.unset_is_a_value or second.unset_is_a_value,
        parameters=first.parameters + second.parameters,
        organisation_value=first.organisation_value or second.organisation_value,
    )


PERMISSION_PLACES = {"This folder subfolders and files": list(APPLIES_TO), "Subfolders and files only": ["subfolders", "files"]}
"""PowerStig's inheritance words (AccessControlDsc) as the ``acl`` check's ``applies_to``."""


def _permission(principal: str, rights: Any, places: Any) -> Entry:
    """One allowed ACL entry, either side: principal, rights (names, sorted) and where it applies (sorted)."""
    return _entry({"principal": principal, "rights": ",".join(sorted(str(r).strip() for r in rights)), "applies_to": ",".join(sorted(places))})


def _entry(values: dict[str, Any]) -> Entry:
    return tuple(sorted((str(k), str(v)) for k, v in values.items()))


def _entries_text(entries: Iterable[Entry]) -> str:
    return "; ".join(sorted(" ".join(f"{k}={v}" for k, v in entry) for entry in entries))


def _folded_entries(entries: Iterable[Entry]) -> frozenset[Entry]:
    return frozenset(tuple((k.casefold(), v.casefold()) for k, v in entry) for entry in entries)


def _merge(requirements: dict[str, Requirement], target: str, requirement: Requirement) -> None:
    requirements[target] = _combined(requirements[target], requirement) if target in requirements else requirement


# ----------------------------------------------------------------------------------------------------
# The catalog's side
# ----------------------------------------------------------------------------------------------------
def _substituted(value: Any, params: dict[str, Any]) -> str:
    """A catalog value with a whole ``{param}`` reference replaced by the parameter's default."""
    match = _PARAMETER.match(str(value))
    return str(params[match.group(1)]) if match is not None and match.group(1) in params else str(value)


def _path(spec: dict[str, Any]) -> str:
    return str(spec["section"]) + (f"/{spec['element']}" if spec.get("element") else "")


def _catalog_requirement(kind: str, spec: dict[str, Any], expect: Any, params: dict[str, Any]) -> tuple[str, Requirement]:
    if kind == "config_collection":
        for test in ("contains", "absent"):
            if test in spec:
                entries = [_entry({k: _substituted(v, params) for k, v in e.items()}) for e in spec[test]]
                return f"{_path(spec)} {test}".casefold(), Requirement(text=_entries_text(entries), entries=_folded_entries(entries))
        if "every" in spec:
            every = spec["every"]
            where = f"{every['element']}/" if every.get("element") else ""
            return f"{_path(spec)} every {where}@{every['attribute']}".casefold(), Requirement(text=f"every entry: {every['expect']}")
        return f"{_path(spec)} count".casefold(), Requirement(text=f"entry count {spec['expect_count']}")
    if kind == "acl":
        entries = [_permission(str(a["principal"]), a["rights"], a.get("applies_to", list(APPLIES_TO))) for a in spec["allow"]]
        return f"permissions {spec['path']}".casefold(), Requirement(text=_entries_text(entries), entries=_folded_entries(entries))
    if kind == "site_pools":
        return "site pools unique", Requirement(text="no application pool serves more than one site")
    if kind == "app_pools" and "any_of" in spec:
        conditions = [f"{c['entries']} has an entry" if "entries" in c else f"{c['attribute']} {c['expect']}" for c in spec["any_of"]]
        return f"app pools any of {', '.join(str(c.get('attribute', c.get('entries'))) for c in spec['any_of'])}".casefold(), Requirement(
            text="one of: " + "; ".join(conditions)
        )
    targets = {
        "config": lambda: f"{_path(spec)}@{spec['attribute']}",
        "app_pools": lambda: f"app pools@{spec['attribute']}",
        "registry": lambda: f"{spec['path']}@{spec['name']}",
        "feature": lambda: f"feature {spec['name']}",
        "service": lambda: f"service {spec['name']}" + (f"@{spec['field']}" if spec.get("field") else ""),
        "file": lambda: f"file {spec['path']}",
    }
    if kind not in targets:
        pytest.fail(f"no comparison for the catalog's check kind {kind!r}; extend _catalog_requirement")
    target = targets[kind]().casefold()
    operands = [str(o) for o in (expect.operand if isinstance(expect.operand, list) else [expect.operand])]
    named = [m.group(1) for m in (_PARAMETER.match(o) for o in operands) if m is not None and m.group(1) in params]
    parameters = tuple((name, str(params[name])) for name in named)
    values = [_substituted(o, params) for o in operands]
    default = spec.get("default") if kind == "registry" else None
    unset = None if default is None else str(default)
    return target, Requirement(
        text=expect.describe(params) + (f" (unset: {default})" if default is not None else ""),
        holds=lambda value: bool(expect.holds(value if value is not None else unset, params)),
        literals=tuple(values) + (() if unset is None else (unset,)),
        flags=tuple(values) if expect.operator.startswith("flags") else (),
        unset_is_a_value=kind == "registry",
        parameters=parameters,
    )


@functools.cache
def _catalog() -> dict[str, dict[str, Requirement]]:
    """Per vuln id, the catalog's automated requirements by target."""
    sides: dict[str, dict[str, Requirement]] = {}
    for rule in CATALOG.rules:
        if not rule.automated or not rule.references.get("stig"):
            continue
        target, requirement = _catalog_requirement(rule.check.kind, rule.check.spec, rule.check.expect, rule.params)
        for vuln in rule.references.get("stig", []):
            _merge(sides.setdefault(vuln, {}), target, requirement)
    return sides


# ----------------------------------------------------------------------------------------------------
# PowerStig's side
# ----------------------------------------------------------------------------------------------------
@functools.cache
def _powerstig_rules() -> tuple[PowerStigRule, ...]:
    rules: list[PowerStigRule] = []
    for name, version in RELEASES:
        root = ElementTree.parse(POWERSTIG / f"{name}.xml").getroot()
        assert root.get("fullversion") == version, f"{name}.xml is release {root.get('fullversion')}, not {version}"
        rules.extend(PowerStigRule(r.get("id", ""), group.tag, r.get("dscresource", ""), r) for group in root for r in group)
    return tuple(rules)


@functools.cache
def _organisation_values() -> dict[str, str]:
    values: dict[str, str] = {}
    for name, version in RELEASES:
        root = ElementTree.parse(POWERSTIG / f"{name}.org.default.xml").getroot()
        assert root.get("fullversion") == version, f"{name}.org.default.xml is release {root.get('fullversion')}, not {version}"
        values.update({s.get("id", ""): s.get("Value", "").strip("'") for s in root.iter("OrganizationalSetting")})
    return values


def _equal(value: str) -> Requirement:
    wanted = _fold(value)
    return Requirement(text=f"equals {value}", holds=lambda actual: actual is not None and _fold(actual) == wanted, literals=(value,))


def _flags(value: str) -> Requirement:
    wanted = tuple(part.strip() for part in value.split(",") if part.strip())
    folded = {flag.casefold() for flag in wanted}
    return Requirement(text=f"flags include {', '.join(wanted)}", holds=lambda actual: folded <= _flag_set(actual), flags=wanted)


def _clause(op: str, bound: str, target: str) -> Callable[[str | None], bool]:
    limit = _magnitude(bound, target)
    compare = {
        "le": lambda a, b: a <= b,
        "lt": lambda a, b: a < b,
        "ge": lambda a, b: a >= b,
        "gt": lambda a, b: a > b,
        "eq": lambda a, b: a == b,
        "ne": lambda a, b: a != b,
    }[op]

    def holds(actual: str | None) -> bool:
        value = _magnitude(actual, target)
        if value is not None and limit is not None:
            return bool(compare(value, limit))
        if op in ("eq", "ne") and limit is None and actual is not None:
            return bool(compare(_fold(actual), _fold(bound)))
        return False

    return holds


def _ranged(test: str, target: str, organisation_value: str | None) -> Requirement:
    """The range of an ``OrganizationValueTestString``."""
    text = test + (f" (org.default {organisation_value})" if organisation_value else "")
    flag_range = _FLAG_RANGE.match(test)
    if flag_range is not None:
        must = tuple(p.strip() for p in re.split(r",|\band\b", flag_range.group("must")) if p.strip())
        may = tuple(p.strip() for p in flag_range.group("may").split(",") if p.strip())
        allowed = {flag.casefold() for flag in must + may}
        required = {flag.casefold() for flag in must}

        def within(actual: str | None) -> bool:
            return required <= _flag_set(actual) <= allowed

        return Requirement(text=text, holds=within, flags=must + may, organisation_value=organisation_value or None)
    clauses = []
    bounds = []
    for clause in re.split(r"\s+-and\s+", test):
        match = _CLAUSE.match(clause.strip())
        if match is None:
            pytest.fail(f"{target}: PowerStig's test string {test!r} is not one this test reads; extend _CLAUSE")
        clauses.append(_clause(match.group("op"), match.group("bound"), target))
        bounds.append(match.group("bound"))
    return Requirement(
        text=text,
        holds=lambda actual: all(c(actual) for c in clauses),
        literals=tuple(bounds) + ((organisation_value,) if organisation_value else ()),
        organisation_value=organisation_value or None,
    )


def _value(rule: PowerStigRule, target: str, value: str) -> Requirement:
    if rule.get("OrganizationValueRequired") == "True":
        return _ranged(rule.get("OrganizationValueTestString"), target, _organisation_values().get(rule.rule_id))
    return _equal(value)


def _log_fields(rule: PowerStigRule) -> Iterable[tuple[str, Requirement]]:
    if rule.resource not in LOG_FILE:
        pytest.fail(f"{rule.rule_id}: unknown logging resource {rule.resource!r}; extend LOG_FILE")
    log_file = LOG_FILE[rule.resource]
    for name in ("LogFormat", "LogTargetW3C", "LogFlags", "LogCustomFieldEntry"):
        if name == "LogCustomFieldEntry" and rule.element.find("LogCustomFieldEntry/Entry") is not None:
            entries = [
                _entry({"sourceType": e.findtext("SourceType", "").strip(), "sourceName": e.findtext("SourceName", "").strip()})
                for e in rule.element.iter("Entry")
            ]
            yield f"{log_file}/customFields contains", Requirement(text=_entries_text(entries), entries=_folded_entries(entries))
        elif name != "LogCustomFieldEntry" and rule.get(name):
            attribute = {"LogFormat": "logFormat", "LogTargetW3C": "logTargetW3C", "LogFlags": "logExtFileFlags"}[name]
            yield f"{log_file}@{attribute}", _equal(rule.get(name)) if name == "LogFormat" else _flags(rule.get(name))


def _powerstig_requirements(rule: PowerStigRule) -> list[tuple[str, Requirement]]:
    """The requirements of one automated PowerStig rule, by target."""
    known = {
        "WebConfigurationPropertyRule": ("ConfigSection", "Key", "Value"),
        "IisLoggingRule": ("LogFormat", "LogTargetW3C", "LogFlags", "LogCustomFieldEntry"),
        "MimeTypeRule": ("Ensure", "Extension", "MimeType"),
        "RegistryRule": ("Ensure", "Key", "ValueName", "ValueData", "ValueType"),
        "WindowsFeatureRule": ("Ensure", "Name"),
        "SslSettingsRule": ("Value",),
        "WebAppPoolRule": ("Key", "Value"),
        "PermissionRule": ("Path", "AccessControlEntry", "Force"),
    }
    if rule.kind not in known:
        pytest.fail(f"{rule.rule_id}: no comparison for PowerStig's {rule.kind}; extend _powerstig_requirements")
    unread = [c.tag for c in rule.element if c.tag not in IGNORED_FIELDS + known[rule.kind] and ((c.text or "").strip() or len(c))]
    assert unread == [], f"{rule.rule_id} ({rule.kind}) holds fields this test does not compare: {unread}"
    if rule.kind == "WebConfigurationPropertyRule":
        target = f"{rule.get('ConfigSection').strip('/')}@{rule.get('Key')}".casefold()
        return [(target, _value(rule, target, rule.get("Value")))]
    if rule.kind == "IisLoggingRule":
        return [(target.casefold(), requirement) for target, requirement in _log_fields(rule)]
    if rule.kind == "MimeTypeRule":
        entries = [_entry({"fileExtension": rule.get("Extension"), "mimeType": rule.get("MimeType")})]
        test = "absent" if rule.get("Ensure") == "Absent" else "contains"
        return [(f"system.webServer/staticContent {test}".casefold(), Requirement(text=_entries_text(entries), entries=_folded_entries(entries)))]
    if rule.kind == "RegistryRule":
        key = re.sub(r"^HKEY_LOCAL_MACHINE\\", r"HKLM\\", rule.get("Key"), flags=re.IGNORECASE)
        target = f"{key}@{rule.get('ValueName')}".casefold()
        if rule.get("Ensure") == "Absent":
            return [(target, Requirement(text="absent", holds=lambda actual: actual is None, unset_is_a_value=True))]
        return [(target, replace(_equal(rule.get("ValueData")), unset_is_a_value=True))]
    if rule.kind == "WindowsFeatureRule":
        return [(f"feature {rule.get('Name')}".casefold(), _equal("absent" if rule.get("Ensure") == "Absent" else "installed"))]
    if rule.kind == "SslSettingsRule":
        return [("system.webserver/security/access@sslflags", _flags(rule.get("Value")))]
    if rule.kind == "WebAppPoolRule":
        if rule.get("Key") not in XWEBAPPPOOL:
            pytest.fail(f"{rule.rule_id}: unknown xWebAppPool property {rule.get('Key')!r}; extend XWEBAPPPOOL")
        target = f"app pools@{XWEBAPPPOOL[rule.get('Key')]}".casefold()
        return [(target, _value(rule, target, rule.get("Value")))]
    entries = [
        _permission(e.findtext("Principal", "").strip(), e.findtext("Rights", "").split(","), PERMISSION_PLACES[e.findtext("Inheritance", "").strip()])
        for e in rule.element.iter("Entry")
    ]
    return [(f"permissions {rule.get('Path')}".casefold(), Requirement(text=_entries_text(entries), entries=_folded_entries(entries)))]


# ----------------------------------------------------------------------------------------------------
# The comparison
# ----------------------------------------------------------------------------------------------------
def _organisation_difference(vuln: str, target: str, catalog: Requirement, powerstig: Requirement) -> Difference | None:
    value = powerstig.organisation_value
    if value is None:
        return None
    if catalog.parameters:
        for name, default in catalog.parameters:
            same = _magnitude(default, target) == _magnitude(value, target) if _magnitude(value, target) is not None else _fold(default) == _fold(value)
            if not same:
                return Difference(vuln, f"{target} (organisation value)", f"{name}: {default}", f"org.default {value}")
        return None
    if catalog.holds is not None and not catalog.holds(_in_configuration(value, target)):
        return Difference(vuln, f"{target} (organisation value)", f"{catalog.text} rejects it", f"org.default {value}")
    return None


@functools.cache
def comparison() -> tuple[tuple[Difference, ...], tuple[str, ...]]:
    """Every difference, and the vulns both sides automate whose every requirement agrees."""
    powerstig: dict[str, list[PowerStigRule]] = {}
    for rule in _powerstig_rules():
        powerstig.setdefault(rule.vuln, []).append(rule)
    mapped: dict[str, list[str]] = {}
    for catalog_rule in CATALOG.rules:
        for vuln in catalog_rule.references.get("stig", []):
            mapped.setdefault(vuln, []).append(catalog_rule.id)
    automated_rules = {r.id for r in CATALOG.rules if r.automated}
    differences: list[Difference] = []
    agreeing: list[str] = []
    for vuln in sorted(powerstig):
        kinds = sorted({r.kind for r in powerstig[vuln]})
        ours = [i for i in mapped.get(vuln, []) if i in automated_rules]
        theirs = [r for r in powerstig[vuln] if r.kind not in NOT_AUTOMATED]
        if not ours and not theirs:
            continue
        if not ours or not theirs:
            catalog_text = f"automated: {', '.join(ours)}" if ours else f"manual: {', '.join(mapped.get(vuln, []))}"
            differences.append(Difference(vuln, AUTOMATION, catalog_text, ", ".join(kinds)))
            continue
        catalog_side = _catalog()[vuln]
        powerstig_side: dict[str, Requirement] = {}
        for rule in theirs:
            for target, requirement in _powerstig_requirements(rule):
                _merge(powerstig_side, target, requirement)
        before = len(differences)
        for target in sorted(set(catalog_side) | set(powerstig_side)):
            ours_there, theirs_there = catalog_side.get(target), powerstig_side.get(target)
            if ours_there is None or theirs_there is None:
                one_side = "only the catalog checks it" if ours_there else "only PowerStig checks it"
                differences.append(Difference(vuln, target, ours_there.text if ours_there else None, theirs_there.text if theirs_there else None, one_side))
            elif (why := _first_disagreement(target, ours_there, theirs_there)) is not None:
                differences.append(Difference(vuln, target, ours_there.text, theirs_there.text, why))
            elif (organisation := _organisation_difference(vuln, target, ours_there, theirs_there)) is not None:
                differences.append(organisation)
        if len(differences) == before:
            agreeing.append(vuln)
    return tuple(differences), tuple(agreeing)


@functools.cache
def known() -> tuple[dict[str, str], ...]:
    data = yaml.safe_load(KNOWN.read_text(encoding="utf-8"))
    assert isinstance(data, list)
    return tuple(data)


def _as_difference(entry: dict[str, str]) -> Difference:
    return Difference(str(entry["vuln"]), str(entry["target"]), entry.get("catalog"), entry.get("powerstig"))


def _sentences(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split())


# ----------------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------------
@needs_powerstig
def test_powerstig_data_is_for_the_catalogs_releases_and_covers_every_stig_rule_of_the_catalog() -> None:
    vulns = {rule.vuln for rule in _powerstig_rules()}
    ours = {vuln for rule in CATALOG.rules for vuln in rule.references.get("stig", [])}
    assert vulns == ours


@needs_powerstig
def test_every_difference_from_powerstig_is_known() -> None:
    differences, _agreeing = comparison()
    listed = {_as_difference(entry) for entry in known()}
    unexplained = [str(d) for d in differences if d not in listed]
    assert unexplained == [], "differences from PowerStig that powerstig_differences.yml does not list (with the reason and the deciding sentence)"


@needs_powerstig
def test_every_known_difference_still_exists() -> None:
    differences, _agreeing = comparison()
    stale = [str(_as_difference(entry)) for entry in known() if _as_difference(entry) not in differences]
    assert stale == [], "powerstig_differences.yml lists differences that are gone: remove them"


@needs_powerstig
def test_each_known_difference_quotes_the_check_text_that_decides_it() -> None:
    texts: dict[str, str] = {}
    for rule in _powerstig_rules():
        texts[rule.vuln] = texts.get(rule.vuln, "") + "\n" + rule.raw
    entries = known()
    assert len({_as_difference(e) for e in entries}) == len(entries), "an entry is listed twice"
    for entry in entries:
        where = f"{entry.get('vuln')} {entry.get('target')}"
        assert set(entry) == {"vuln", "target", "catalog", "powerstig", "verdict", "reason", "sentence"}, where
        assert entry["verdict"] in VERDICTS, where
        assert len(str(entry["reason"]).split()) >= 8, f"{where}: give the reason"
        assert _sentences(str(entry["sentence"])) in _sentences(texts[str(entry["vuln"])]), (
            f"{where}: the sentence is not in PowerStig's check text of the vuln"
        )


@needs_powerstig
def test_every_rule_both_sides_automate_is_compared() -> None:
    differences, agreeing = comparison()
    automated = set(_catalog()) & {r.vuln for r in _powerstig_rules() if r.kind not in NOT_AUTOMATED}
    differing = {d.vuln for d in differences if d.target != AUTOMATION}
    assert set(agreeing) | differing == automated
    assert set(agreeing) & differing == set()


@needs_powerstig
def test_docs_say_where_cis_and_stig_disagree_with_the_stig_text() -> None:
    """docs/rules.md's "CIS and STIG agree": each "no" quotes the STIG's text, and no "yes" hides a catalog departure from it."""
    texts: dict[str, str] = {}
    for rule in _powerstig_rules():
        texts[rule.vuln] = texts.get(rule.vuln, "") + "\n" + rule.raw
    for rule_id, (vuln, _what, sentence) in STIG_ASKS_OTHERWISE.items():
        rule = CATALOG.rule(rule_id)
        assert rule.references.get("cis_iis10") and vuln in rule.references.get("stig", []), rule_id
        assert _sentences(sentence) in _sentences(texts[vuln]), f"{rule_id}: the sentence is not in {vuln}'s check text"
    departures = {(str(e["vuln"]), str(e["target"])) for e in known() if e["verdict"] == "catalog"}
    hidden = [
        rule.id
        for rule in CATALOG.rules
        if rule.automated and rule.references.get("cis_iis10") and rule.id not in STIG_ASKS_OTHERWISE
        for vuln in rule.references.get("stig", [])
        if (vuln, _catalog_requirement(rule.check.kind, rule.check.spec, rule.check.expect, rule.params)[0]) in departures
    ]
    assert hidden == [], "rules docs/rules.md says CIS and STIG agree on, while the catalog departs from the STIG text"


@pytest.mark.parametrize(
    ("test", "target", "passes", "fails"),
    [
        (
            "[TimeSpan]{0} -le [TimeSpan]'00:20:00' -and [TimeSpan]{0} -gt [TimeSpan]'00:00:00'",
            "app pools@processmodel/idletimeout",
            ["00:20:00", "00:00:01"],
            ["00:00:00", "00:20:01", None],
        ),
        ("'{0}' -le '00:15:00'", "system.web/sessionstate@timeout", ["15", "1"], ["16", "60"]),
        ("{0} -ne 0", "app pools@recycling/periodicrestart/requests", ["1", "35000"], ["0", "x"]),
        ("{0} -le 4096", "x@maxurl", ["4096", "0"], ["4097", None]),
        (
            "'{0}' 'Value must contain Time and Schedule but can contain Requests, Memory'",
            "app pools@recycling/logeventonrecycle",
            ["Time, Schedule", "Time,Schedule,Memory"],
            ["Time", "Schedule", "Time, Schedule, OnDemand", None],
        ),
    ],
)
def test_powerstig_ranges_are_read_as_the_stig_means_them(test: str, target: str, passes: list[str], fails: list[str | None]) -> None:
    requirement = _ranged(test, target, None)
    assert requirement.holds is not None
    assert [value for value in passes if not requirement.holds(value)] == []
    assert [value for value in fails if requirement.holds(value)] == []


def test_requirements_that_judge_a_probe_differently_disagree() -> None:
    one_of_two = Requirement(text="in", holds=lambda v: v is not None and _fold(v) in ("detailedlocalonly", "custom"), literals=("DetailedLocalOnly", "Custom"))
    assert _first_disagreement("t", one_of_two, _equal("DetailedLocalOnly")) == "'Custom': catalog passes it, PowerStig fails it"
    assert _first_disagreement("t", _equal("True"), _equal("$true")) is None
    assert _first_disagreement("t", _flags("Ssl, SslRequireCert"), _flags("Ssl,SslNegotiateCert,SslRequireCert")) is not None
    assert (
        _first_disagreement("t", Requirement(text="e", entries=frozenset({(("a", "1"),)})), Requirement(text="e", entries=frozenset({(("a", "1."),)})))
        is not None
    )


def test_an_organisation_value_the_catalog_would_not_accept_is_a_difference() -> None:
    at_least_one = Requirement(text="gte 1", holds=lambda v: v is not None and v.isdigit() and int(v) >= 1)
    assert _organisation_difference("V-1", "t", at_least_one, Requirement(text="-ne 0", organisation_value="35000")) is None
    assert _organisation_difference("V-1", "t", at_least_one, Requirement(text="-ne 0", organisation_value="0")) == Difference(
        "V-1", "t (organisation value)", "gte 1 rejects it", "org.default 0"
    )
    minutes = "system.web/sessionstate@timeout"
    fifteen = Requirement(text="lte 15", parameters=(("session_timeout_minutes", "15"),))
    assert _organisation_difference("V-1", minutes, fifteen, Requirement(text="-le", organisation_value="00:15:00")) is None
    assert _organisation_difference("V-1", minutes, fifteen, Requirement(text="-le", organisation_value="00:20:00")) == Difference(
        "V-1", f"{minutes} (organisation value)", "session_timeout_minutes: 15", "org.default 00:20:00"
    )
