# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hotfix compliance: which required security updates a host is missing.

For each product the host is (its Windows release, its .NET Framework), every CVE a
required document fixes must be fixed on the host by one of its updates:

* an update with a Windows ``FixedBuild`` of the host's build family is installed when
  the host's UBR reaches it (cumulative updates: a later cumulative update fixes it too);
* any other update (servicing stack, .NET, Security Only) is installed when its KB, or a
  KB that supersedes it through the chains of every document, is installed;
* a cumulative update without a ``FixedBuild`` (documents before 2020 have none) is
  installed when the host's UBR reaches the build of a cumulative update of the same
  product released in the same month or later, since each one contains the ones before;
* a Security Hotpatch Update counts only on a host enrolled in hotpatching.

The CVEs are then reported per update (the KB an administrator installs), once per
document and product.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

from .catalog import UpdateCatalog
from .cvrf import Fix, UpdateDocument
from .host import HostFacts, HostFactsError, normalize_kb
from .products import HostProduct, host_products

HOTPATCH = "Security Hotpatch Update"
# The update an administrator is told to install when several fix the same CVE.
SUBTYPE_PREFERENCE = ("Security Update", "Monthly Rollup", "Security Only", "IE Cumulative")
# Subtypes that are cumulative on Windows products (Security Update on Windows 10-based releases).
CUMULATIVE = ("Security Update", "Monthly Rollup")
SEVERITY_RANK = {"critical": 4, "important": 3, "moderate": 2, "low": 1}
POLICY_KEYS = ("min_age_days", "months", "severities", "max_signature_age_days", "require_defender")


class PolicyError(HardenedIisError, ValueError):
    """The compliance policy is malformed; the message names the key."""


@dataclass(frozen=True)
class Deferral:
    """An update the organisation chose not to install yet: ``{kb, reason, expires}``."""

    kb: str
    reason: str
    expires: datetime.date | None

    @classmethod
    def parse(cls, data: Any, where: str) -> Deferral:
        if not isinstance(data, dict) or not {"kb", "reason"} <= set(data):
            raise PolicyError(f"{where}: a deferral needs 'kb' and 'reason' (and may have 'expires')")
        unknown = sorted(set(data) - {"kb", "reason", "expires"})
        if unknown:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)} (known: kb, reason, expires)")
        if not str(data["reason"]).strip():
            raise PolicyError(f"{where}: 'reason' must say why the update is deferred")
        expires = data.get("expires")
        if expires is not None and not isinstance(expires, datetime.date):
            try:
                expires = datetime.date.fromisoformat(str(expires))
            except ValueError:
                raise PolicyError(f"{where}: expires {expires!r} is not a date (YYYY-MM-DD)") from None
        try:
            kb = normalize_kb(data["kb"], where)
        except HostFactsError as exc:
            raise PolicyError(str(exc)) from None
        return cls(kb, str(data["reason"]), expires)

    def active(self, today: datetime.date) -> bool:
        return self.expires is None or today <= self.expires

    def as_dict(self) -> dict[str, Any]:
        return {"kb": self.kb, "reason": self.reason, "expires": self.expires.isoformat() if self.expires else None}


@dataclass(frozen=True)
class Policy:
    """Which updates are required, and how fresh antivirus signatures must be."""

    min_age_days: int = 0
    """An update is required once its document was released at least this many days ago."""
    months: tuple[str, ...] = ()
    """Only these documents ('2022-Jan'); empty: every document."""
    severities: tuple[str, ...] = ()
    """Only CVEs of these MSRC severities ('Critical', 'Important'); empty: all."""
    max_signature_age_days: float | None = 7
    require_defender: bool = False
    deferrals: tuple[Deferral, ...] = ()

    @classmethod
    def parse(cls, data: Any, deferrals: Any = None, where: str = "policy") -> Policy:
        data = data or {}
        if not isinstance(data, dict):
            raise PolicyError(f"{where} must be a mapping, not {type(data).__name__}")
        unknown = sorted(set(data) - set(POLICY_KEYS))
        if unknown:
            raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(POLICY_KEYS)})")
        if deferrals is not None and not isinstance(deferrals, list):
            raise PolicyError(f"deferrals must be a list, not {type(deferrals).__name__}")
        try:
            min_age = int(data.get("min_age_days", 0))
            max_age = data.get("max_signature_age_days", 7)
            max_age = None if max_age is None else float(max_age)
        except (TypeError, ValueError):
            raise PolicyError(f"{where}: min_age_days and max_signature_age_days must be numbers") from None
        if min_age < 0:
            raise PolicyError(f"{where}.min_age_days must not be negative")
        return cls(
            min_age_days=min_age,
            months=tuple(str(m) for m in data.get("months") or ()),
            severities=tuple(str(s) for s in data.get("severities") or ()),
            max_signature_age_days=max_age,
            require_defender=bool(data.get("require_defender", False)),
            deferrals=tuple(Deferral.parse(d, f"deferrals[{i}]") for i, d in enumerate(deferrals or [])),
        )

    def check_months(self, catalog: UpdateCatalog) -> None:
        missing = [m for m in self.months if m not in catalog.documents]
        if missing:
            raise PolicyError(f"policy.months names document(s) not in the catalog: {', '.join(missing)} (have: {', '.join(catalog.documents)})")

    def requires(self, document: UpdateDocument, today: datetime.date) -> bool:
        if self.months and document.id not in self.months:
            return False
        return (today - document.released).days >= self.min_age_days

    def deferral_for(self, kbs: tuple[str, ...]) -> Deferral | None:
        for deferral in self.deferrals:
            if deferral.kb in kbs:
                return deferral
        return None


@dataclass
class Requirement:
    """One update a host needs: the CVEs one document fixes on one product with one KB."""

    document: UpdateDocument
    product: HostProduct
    kb: str
    subtype: str
    alternatives: tuple[Fix, ...]
    cves: list[str] = field(default_factory=list)
    severity: str | None = None
    exploited: list[str] = field(default_factory=list)

    @property
    def fixed_build(self) -> tuple[int, int] | None:
        for fix in self.alternatives:
            if fix.kb == self.kb and fix.fixed_build:
                return fix.fixed_build
        return None

    def add(self, fix: Fix) -> None:
        if fix.cve not in self.cves:
            self.cves.append(fix.cve)
            if fix.exploited:
                self.exploited.append(fix.cve)
        if fix.severity and SEVERITY_RANK.get(fix.severity.casefold(), 0) > SEVERITY_RANK.get((self.severity or "").casefold(), 0):
            self.severity = fix.severity


@dataclass
class Outcome:
    """A requirement as found on one host."""

    requirement: Requirement
    status: str
    """'installed', 'missing' or 'deferred'."""
    evidence: str
    deferral: Deferral | None = None

    def as_dict(self) -> dict[str, Any]:
        requirement = self.requirement
        build = requirement.fixed_build
        found: dict[str, Any] = {
            "kb": requirement.kb,
            "document": requirement.document.id,
            "released": requirement.document.released.isoformat(),
            "product": requirement.product.name,
            "subtype": requirement.subtype,
            "fixed_build": f"{build[0]}.{build[1]}" if build else None,
            "alternatives": sorted({f.kb for f in requirement.alternatives} - {requirement.kb}),
            "cves": requirement.cves,
            "severity": requirement.severity,
            "exploited": requirement.exploited,
            "status": self.status,
            "evidence": self.evidence,
        }
        if self.deferral is not None:
            found["deferral"] = self.deferral.as_dict()
        return found


@dataclass
class HostCompliance:
    host: str
    facts: HostFacts
    products: list[HostProduct]
    outcomes: list[Outcome]
    patch_level: str | None
    signature_age_days: float | None
    defender_status: str
    """'fresh', 'stale', 'disabled', 'unknown' (not gathered) or 'not_required'."""
    today: datetime.date

    @property
    def missing(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "missing"]

    @property
    def compliant(self) -> bool:
        return not self.missing and self.defender_status in ("fresh", "not_required")

    @property
    def days_behind(self) -> int:
        return max(((self.today - o.requirement.document.released).days for o in self.missing), default=0)

    @property
    def highest_severity(self) -> str | None:
        severities = [o.requirement.severity for o in self.missing if o.requirement.severity]
        return max(severities, key=lambda s: SEVERITY_RANK.get(s.casefold(), 0), default=None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "compliant": self.compliant,
            "build": f"{self.facts.current_build}.{self.facts.ubr}",
            "products": [p.name for p in self.products],
            "patch_level": self.patch_level,
            "required": len(self.outcomes),
            "missing": [o.as_dict() for o in self.missing],
            "deferred": [o.as_dict() for o in self.outcomes if o.status == "deferred"],
            "highest_severity": self.highest_severity,
            "exploited_open": sorted({cve for o in self.missing for cve in o.requirement.exploited}),
            "days_behind": self.days_behind,
            "defender": self.defender_status,
            "defender_signature_age_days": self.signature_age_days,
        }


def _preference(fix: Fix) -> tuple[int, str]:
    subtype = fix.subtype
    rank = SUBTYPE_PREFERENCE.index(subtype) if subtype in SUBTYPE_PREFERENCE else len(SUBTYPE_PREFERENCE) + (subtype == HOTPATCH)
    return rank, fix.kb


class ComplianceChecker:
    """Evaluates hosts against one catalog and policy; the per-product requirements are built once."""

    def __init__(self, catalog: UpdateCatalog, policy: Policy, today: datetime.date) -> None:
        policy.check_months(catalog)
        self.catalog = catalog
        self.policy = policy
        self.today = today
        self._names = catalog.product_names
        self._requirements: dict[str, list[Requirement]] = {}
        self._products: dict[tuple[Any, ...], list[HostProduct]] = {}
        self._cumulative: dict[str, list[tuple[datetime.date, tuple[int, int]]]] = {}

    def requirements(self, product: HostProduct) -> list[Requirement]:
        """The product's required updates, with every update that fixes each CVE as an alternative."""
        cached = self._requirements.get(product.id)
        if cached is not None:
            return cached
        by_cve: dict[tuple[str, str], list[Fix]] = {}
        documents: dict[str, UpdateDocument] = {}
        for document, fix in self.catalog.by_product.get(product.id, ()):
            if not self.policy.requires(document, self.today):
                continue
            if self.policy.severities and (fix.severity or "") not in self.policy.severities:
                continue
            documents[document.id] = document
            by_cve.setdefault((document.id, fix.cve), []).append(fix)
        requirements: dict[tuple[str, str], Requirement] = {}
        for (document_id, _cve), fixes in by_cve.items():
            primary = min(fixes, key=_preference)
            key = (document_id, primary.kb)
            if key not in requirements:
                requirements[key] = Requirement(documents[document_id], product, primary.kb, primary.subtype, tuple(fixes))
            else:
                known = requirements[key]
                known.alternatives += tuple(f for f in fixes if f.kb not in {a.kb for a in known.alternatives})
            for fix in fixes:
                requirements[key].add(fix)
        found = self._requirements[product.id] = list(requirements.values())
        return found

    def products(self, facts: HostFacts) -> list[HostProduct]:
        key = (facts.current_build, facts.server_core, facts.architecture, facts.dotnet_framework)
        found = self._products.get(key)
        if found is None:
            found = self._products[key] = host_products(facts, self._names)
        return found

    def cumulative_builds(self, product_id: str) -> list[tuple[datetime.date, tuple[int, int]]]:
        """(release date, fixed build) of every cumulative update of a product, in every document."""
        found = self._cumulative.get(product_id)
        if found is None:
            found = self._cumulative[product_id] = sorted(
                {(d.released, f.fixed_build) for d, f in self.catalog.by_product.get(product_id, ()) if f.fixed_build and f.subtype in CUMULATIVE}
            )
        return found

    def _later_cumulative(self, requirement: Requirement, fix: Fix, facts: HostFacts) -> str | None:
        """The later cumulative update the host's build reaches, for a cumulative fix that has no FixedBuild."""
        if fix.fixed_build is not None or fix.subtype not in CUMULATIVE or requirement.product.kind != "windows":
            return None
        for released, build in self.cumulative_builds(fix.product_id):
            if released >= requirement.document.released and build[0] == facts.current_build and facts.ubr >= build[1]:
                return f"build {facts.current_build}.{facts.ubr} ≥ {build[0]}.{build[1]}, a cumulative update of {released:%Y-%m} that contains {fix.kb}"
        return None

    def _installed_by(self, requirement: Requirement, fix: Fix, facts: HostFacts, installed: frozenset[str]) -> str | None:
        """Why the host has this fix, or None."""
        if fix.subtype == HOTPATCH and not facts.hotpatch_enrolled:
            return None
        if fix.fixed_build is not None and fix.fixed_build[0] == facts.current_build:
            if facts.ubr >= fix.fixed_build[1]:
                return f"build {facts.current_build}.{facts.ubr} ≥ {fix.fixed_build[0]}.{fix.fixed_build[1]} ({fix.kb})"
            return None
        if fix.kb in installed:
            return f"{fix.kb} installed"
        newer = self.catalog.superseders(fix.kb) & installed
        if newer:
            return f"{min(newer)} installed, which supersedes {fix.kb}"
        return self._later_cumulative(requirement, fix, facts)

    def _outcome(self, requirement: Requirement, facts: HostFacts, installed: frozenset[str]) -> Outcome:
        for fix in sorted(requirement.alternatives, key=_preference):
            reason = self._installed_by(requirement, fix, facts, installed)
            if reason is not None:
                return Outcome(requirement, "installed", reason)
        build = requirement.fixed_build
        wanted = f"build ≥ {build[0]}.{build[1]} or " if build else ""
        evidence = f"build {facts.current_build}.{facts.ubr}; {wanted}{requirement.kb} (or a KB that supersedes it) not installed"
        deferral = self.policy.deferral_for(tuple(f.kb for f in requirement.alternatives))
        if deferral is not None:
            if deferral.active(self.today):
                return Outcome(requirement, "deferred", evidence, deferral)
            return Outcome(requirement, "missing", f"{evidence}; the deferral expired on {deferral.expires}", deferral)
        return Outcome(requirement, "missing", evidence)

    def _defender(self, facts: HostFacts, now: datetime.datetime) -> tuple[str, float | None]:
        limit = self.policy.max_signature_age_days
        if facts.defender is None:
            return ("unknown" if self.policy.require_defender else "not_required"), None
        age = facts.defender.signature_age_days(now)
        if not facts.defender.enabled:
            return ("disabled" if self.policy.require_defender else "not_required"), age
        if limit is None:
            return "not_required", age
        if age is None or age > limit:
            return "stale", age
        return "fresh", age

    def check(self, host: str, facts: HostFacts, now: datetime.datetime | None = None) -> HostCompliance:
        now = now or datetime.datetime.combine(self.today, datetime.time(12), tzinfo=datetime.UTC)
        products = self.products(facts)
        installed = facts.installed_kbs
        outcomes = [self._outcome(r, facts, installed) for product in products for r in self.requirements(product)]
        defender, age = self._defender(facts, now)
        return HostCompliance(host, facts, products, outcomes, _patch_level(outcomes), age, defender, self.today)


def _patch_level(outcomes: list[Outcome]) -> str | None:
    """The newest document whose every required update is installed (or deferred)."""
    by_document: dict[str, tuple[datetime.date, bool]] = {}
    for outcome in outcomes:
        document = outcome.requirement.document
        released, satisfied = by_document.get(document.id, (document.released, True))
        by_document[document.id] = (released, satisfied and outcome.status != "missing")
    complete = [(released, name) for name, (released, ok) in by_document.items() if ok]
    return max(complete)[1] if complete else None
