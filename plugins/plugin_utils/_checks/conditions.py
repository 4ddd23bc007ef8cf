# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Conditions: when a rule applies (``applies_when``) and when its fix may be made (``precondition``).

A condition is data in the catalog (docs/rules-format.md, "Where a rule applies"), tested at one
scope of a host:

* ``setting: {section, attribute, element?, expect}`` — an effective value at the scope
  (Forms authentication in effect, basic authentication enabled);
* ``binding: {protocol, certificate?}`` — the site has a binding of that protocol (``https``); with
  ``certificate: true``, one whose endpoint HTTP.sys binds a certificate to (state ``ssl_bindings``:
  the IP:port, ``0.0.0.0:port``, or with SNI the host name:port; a central certificate store binding
  counts), unknown when the state does not record the bindings;
* ``site_role: {in: [..]}`` — the role the organisation states for the site
  (``hardened_iis_site_roles``: site name or glob -> role), unknown when it states none;
* ``feature: {name, state}`` — a Windows feature ``installed`` or ``absent``;
* ``schema: {section, element}`` — the host's IIS schema has the element (native HSTS);
* ``pool: {attribute, expect}`` — an application pool's value (``processModel/identityType``),
  ``applicationPoolDefaults`` applied: as a ``precondition`` of an ``app_pools`` rule it is tested
  pool by pool, and the fix leaves alone each pool where it fails; elsewhere every pool must pass;
* ``any_of: [conditions]`` — one of them holds.

What a condition found is told with secrets replaced by the marker (``_iisconfig/secrets.py``): it
reaches findings, the plan's ``held_back`` and warnings, whatever ``show_secrets`` says.

A condition is true, false or unknown (a role nobody stated). A list of conditions holds when
every one does; it is unknown when none is false and one is unknown.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import shown_value
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation

POOLS = "system.applicationHost/applicationPools"

if TYPE_CHECKING:
    from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import Binding, EffectiveElement, Site
    from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import SslBinding

    from .base import Evaluation

FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "setting": (("section", "attribute", "expect"), ("element",)),
    "binding": (("protocol",), ("certificate",)),
    "site_role": (("in",), ()),
    "feature": (("name", "state"), ()),
    "schema": (("section", "element"), ()),
    "pool": (("attribute", "expect"), ()),
}
"""Each condition kind's required and optional fields (``any_of`` takes a list instead)."""

FEATURE_STATES = ("installed", "absent")


@dataclass(frozen=True)
class Outcome:
    """A condition tested at one scope: ``holds`` True, False or None (unknown), and what was found."""

    holds: bool | None
    found: str


@dataclass(frozen=True)
class Condition:
    kind: str
    spec: dict[str, Any]
    expect: Expectation | None = None
    parts: tuple[Condition, ...] = ()

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def parse(cls, data: Any, where: str) -> Condition:
        known = ", ".join([*FIELDS, "any_of"])
        if not isinstance(data, dict) or len(data) != 1:
            raise CatalogError(f"{where}: a condition is a mapping with exactly one of {known}, got {data!r}")
        kind, spec = next(iter(data.items()))
        if kind == "any_of":
            return cls(kind, {}, parts=parse_conditions(spec, f"{where}.any_of"))
        if kind not in FIELDS:
            raise CatalogError(f"{where}: unknown condition {kind!r} (known: {known})")
        if not isinstance(spec, dict):
            raise CatalogError(f"{where}.{kind}: must be a mapping")
        required, optional = FIELDS[kind]
        missing = [name for name in required if name not in spec]
        unknown = sorted(set(spec) - set(required) - set(optional))
        if missing or unknown:
            wrong = ", ".join([*(f"lacks {m}" for m in missing), *(f"unknown field {u}" for u in unknown)])
            raise CatalogError(f"{where}.{kind}: {wrong}")
        return cls(kind, dict(spec), expect=cls._expectation(kind, spec, f"{where}.{kind}"))

    @staticmethod
    def _expectation(kind: str, spec: dict[str, Any], where: str) -> Expectation | None:
        if kind in ("setting", "pool"):
            return Expectation.parse(spec["expect"], where)
        if kind == "site_role" and (not isinstance(spec["in"], list) or not spec["in"]):
            raise CatalogError(f"{where}: 'in' must be a non-empty list of roles")
        if kind == "binding" and not isinstance(spec.get("certificate", False), bool):
            raise CatalogError(f"{where}: certificate must be true or false")
        if kind == "feature" and spec["state"] not in FEATURE_STATES:
            raise CatalogError(f"{where}: state must be one of {', '.join(FEATURE_STATES)}")
        return None

    def describe(self, params: dict[str, Any]) -> str:
        """The condition in words (``system.web/authentication@mode equals 'Forms'``)."""
        spec = self.spec
        if self.kind == "any_of":
            return "one of: " + "; ".join(part.describe(params) for part in self.parts)
        if self.kind == "setting" and self.expect is not None:
            return f"{_target(spec)}@{spec['attribute']} {self.expect.describe(params)}"
        if self.kind == "pool" and self.expect is not None:
            return f"the application pool's {spec['attribute']} {self.expect.describe(params)}"
        if self.kind == "binding":
            return f"the site has an {spec['protocol']} binding" + (" with a certificate (HTTP.sys)" if spec.get("certificate") else "")
        if self.kind == "site_role":
            return f"the site's role (hardened_iis_site_roles) is {' or '.join(map(str, spec['in']))}"
        if self.kind == "feature":
            return f"the Windows feature {spec['name']} is {spec['state']}"
        return f"the host's IIS schema has {spec['section']}/{spec['element']}"

    # -- testing --------------------------------------------------------------------------
    def test(self, at: Evaluation) -> Outcome:
        tests = {
            "setting": self._setting,
            "binding": self._binding,
            "site_role": self._site_role,
            "feature": self._feature,
            "schema": self._schema,
            "pool": self._pools,
            "any_of": self._any_of,
        }
        return tests[self.kind](at)

    def _expect(self) -> Expectation:
        """The expectation of a ``setting`` or ``pool`` condition (``parse`` gave each one)."""
        if self.expect is None:
            raise CatalogError(f"condition {self.kind!r} has no expectation")
        return self.expect

    def _setting(self, at: Evaluation) -> Outcome:
        spec = self.spec
        element = str(spec.get("element", ""))
        if at.site_name is not None:
            element = element.replace("{site}", at.site_name)
        value = at.effective().get(str(spec["section"]), str(spec["attribute"]), element=element).value
        holds = self._expect().holds(value, at.params, at.state.system_drive)
        return Outcome(holds, f"{_target(spec)}@{spec['attribute']} is {shown_value(str(spec['attribute']), value)!r}")

    def _binding(self, at: Evaluation) -> Outcome:
        protocol = str(self.spec["protocol"]).casefold()
        sites = [at.site] if at.site is not None else at.sites()
        found = "; ".join(_bindings_of(site) for site in sites) or "no sites"
        matching = [(site, binding) for site in sites for binding in site.bindings if binding.protocol.casefold() == protocol]
        if not matching or not self.spec.get("certificate"):
            return Outcome(bool(matching), found)
        bound = at.state.ssl_bindings
        if bound is None:
            return Outcome(None, f"{found}; the host state does not record HTTP.sys's certificate bindings (ssl_bindings)")
        for site, binding in matching:
            certificate = certificate_of(binding, bound)
            if certificate is not None:
                return Outcome(True, f"site {site.name!r} binding {binding.binding_information} has a certificate ({certificate})")
        endpoints = ", ".join(binding.binding_information for _site, binding in matching)
        return Outcome(False, f"{found}; HTTP.sys binds no certificate to {endpoints}")

    def _site_role(self, at: Evaluation) -> Outcome:
        if at.site is None:
            return Outcome(None, "a server-wide scope has no site role")
        role = role_of(at.site.name, at.state.site_roles)
        if role is None:
            return Outcome(None, f"hardened_iis_site_roles states no role for site {at.site.name!r}")
        wanted = {str(r).casefold() for r in self.spec["in"]}
        return Outcome(role.casefold() in wanted, f"site {at.site.name!r} has role {role!r} (hardened_iis_site_roles)")

    def _feature(self, at: Evaluation) -> Outcome:
        state = at.state.feature(str(self.spec["name"]))
        if state is None:
            return Outcome(None, f"the host state does not list the Windows feature {self.spec['name']}")
        return Outcome(state == self.spec["state"], f"the Windows feature {self.spec['name']} is {state}")

    def _schema(self, at: Evaluation) -> Outcome:
        section, element = str(self.spec["section"]), str(self.spec["element"])
        schema = at.state.configuration.schema.element(section, tuple(p for p in element.split("/") if p))
        if schema is None:
            return Outcome(False, f"the host's IIS schema has no {section}/{element}")
        return Outcome(True, f"the host's IIS schema has {section}/{element} ({schema.source})")

    def _pools(self, at: Evaluation) -> Outcome:
        pools = at.state.configuration.server().section(POOLS)
        defaults = pools.child("applicationPoolDefaults")
        failing = []
        for entry in pools.entries:
            holds, found = self.test_pool(entry.element, defaults, at)
            if not holds:
                failing.append(f"{entry.element.value('name')}: {found}")
        return Outcome(not failing, "; ".join(failing) or f"every application pool: {self.describe(at.params)}")

    def test_pool(self, pool: EffectiveElement, defaults: EffectiveElement, at: Evaluation) -> tuple[bool, str]:
        """Whether the condition holds for one pool (``pool`` conditions), and the value found."""
        element, _slash, attribute = str(self.spec["attribute"]).rpartition("/")
        value = pool.element(element).get(attribute)
        if value.is_default:
            value = defaults.element(element).get(attribute)
        shown = shown_value(attribute, value.value)
        return self._expect().holds(value.value, at.params, at.state.system_drive), f"{self.spec['attribute']} is {shown!r}"

    def _any_of(self, at: Evaluation) -> Outcome:
        outcomes = [part.test(at) for part in self.parts]
        if any(o.holds for o in outcomes):
            return next(o for o in outcomes if o.holds)
        holds = None if any(o.holds is None for o in outcomes) else False
        return Outcome(holds, "; ".join(o.found for o in outcomes))


def parse_conditions(data: Any, where: str) -> tuple[Condition, ...]:
    """A non-empty list of conditions (``applies_when``, ``precondition``, ``any_of``)."""
    if not isinstance(data, list) or not data:
        raise CatalogError(f"{where}: must be a non-empty list of conditions")
    return tuple(Condition.parse(item, f"{where}[{number}]") for number, item in enumerate(data))


def all_hold(conditions: tuple[Condition, ...], at: Evaluation) -> Outcome:
    """Whether every condition holds at the scope: the first that fails, else the first unknown, else all found."""
    outcomes = [condition.test(at) for condition in conditions]
    for wanted in (False, None):
        for condition, outcome in zip(conditions, outcomes, strict=True):
            if outcome.holds is wanted:
                return Outcome(wanted, f"{outcome.found} (needs: {condition.describe(at.params)})")
    return Outcome(True, "; ".join(o.found for o in outcomes))


def role_of(site: str, roles: dict[str, str]) -> str | None:
    """The role stated for a site: its name (without regard to case), else the first glob that matches."""
    for pattern, role in roles.items():
        if pattern.casefold() == site.casefold():
            return role
    for pattern, role in roles.items():
        if fnmatch.fnmatchcase(site.casefold(), pattern.casefold()):
            return role
    return None


def certificate_of(binding: Binding, bound: tuple[SslBinding, ...]) -> str | None:
    """Where the certificate of an https binding comes from, or None: HTTP.sys's binding for its endpoint
    (the host name with SNI, else its IP address or all addresses), or the central certificate store."""
    if binding.has_flag(2, "CentralCertStore"):
        return "the central certificate store"
    address, port, host = binding.endpoint
    if binding.has_flag(1, "Sni"):
        wanted = {f"{host}:{port}".casefold()}
        candidates = [b for b in bound if b.sni]
    else:
        wanted = {f"{address}:{port}".casefold(), f"0.0.0.0:{port}", f"[::]:{port}"}
        candidates = [b for b in bound if not b.sni]
    hit = next((b for b in candidates if b.endpoint.casefold() in wanted and b.certificate_hash), None)
    return f"HTTP.sys {hit.endpoint}, thumbprint {hit.certificate_hash}" if hit is not None else None


def _target(spec: dict[str, Any]) -> str:
    return str(spec["section"]) + (f"/{spec['element']}" if spec.get("element") else "")


def _bindings_of(site: Site) -> str:
    protocols = ", ".join(sorted({b.protocol for b in site.bindings})) or "none"
    return f"site {site.name!r} has bindings: {protocols}"
