# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compliance decisions on the real MSRC documents."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.compliance import ComplianceChecker, HostCompliance, Policy, PolicyError
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.cvrf import Fix, UpdateDocument
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFacts, HostFactsError

TODAY = datetime.date(2026, 11, 22)
NOW = datetime.datetime(2026, 11, 22, 12, tzinfo=datetime.UTC)


def server_2022(ubr: int, updates: tuple[str, ...] = (), defender: dict[str, Any] | None = None, **os_facts: Any) -> HostFacts:
    facts = {"product_name": "Windows Server 2022 Datacenter", "current_build": "20348", "ubr": ubr, "dotnet_framework": ["4.8"], **os_facts}
    return HostFacts.from_state(facts, [{"kb": kb, "source": "history"} for kb in updates], defender, "test")


def check(catalog: UpdateCatalog, facts: HostFacts, policy: dict[str, Any] | None = None, deferrals: list[Any] | None = None) -> HostCompliance:
    return ComplianceChecker(catalog, Policy.parse(policy or {}, deferrals), TODAY).check("web", facts, NOW)


def missing(result: HostCompliance) -> dict[str, set[str]]:
    return {o.requirement.kb: set(o.requirement.cves) for o in result.missing}


ALL_DOTNET = ("KB5008882", "KB5034272")


def test_the_http_sys_worm_is_fixed_from_build_20348_469_on(real_catalog: UpdateCatalog) -> None:
    policy = {"months": ["2022-Jan"]}
    before = check(real_catalog, server_2022(468, ALL_DOTNET), policy)
    assert "CVE-2022-21907" in missing(before)["KB5009555"]
    outcome = next(o for o in before.missing if o.requirement.kb == "KB5009555")
    assert outcome.requirement.severity == "Critical"
    assert outcome.evidence.startswith("build 20348.468; build ≥ 20348.469 or KB5009555")
    after = check(real_catalog, server_2022(469, ALL_DOTNET), policy)
    assert after.compliant
    assert after.patch_level == "2022-Jan"


def test_a_later_cumulative_update_satisfies_every_earlier_month(real_catalog: UpdateCatalog) -> None:
    result = check(real_catalog, server_2022(4405, ALL_DOTNET))
    assert result.missing == []
    assert result.patch_level == "2025-Nov"
    assert result.days_behind == 0
    assert {o.requirement.document.id for o in result.outcomes} == {"2022-Jan", "2024-Jan", "2025-Nov"}


def test_a_host_behind_reports_the_month_it_stopped_and_the_days_since(real_catalog: UpdateCatalog) -> None:
    result = check(real_catalog, server_2022(2227, ALL_DOTNET))
    assert set(missing(result)) == {"KB5068787", "KB5066782"}
    assert result.patch_level == "2024-Jan"
    assert result.days_behind == (TODAY - datetime.date(2025, 11, 11)).days
    assert result.highest_severity == "Critical"
    assert result.as_dict()["exploited_open"]


def test_a_hotpatch_counts_only_on_a_host_enrolled_in_hotpatching(real_catalog: UpdateCatalog) -> None:
    # KB5068840 (Security Hotpatch Update) brings 20348 to UBR 4346; the cumulative KB5068787 to 4405.
    policy = {"months": ["2025-Nov"]}
    enrolled = check(real_catalog, server_2022(4346, ALL_DOTNET, hotpatch_enrolled=True), policy)
    assert "KB5068787" not in missing(enrolled)
    assert any("KB5068840" in o.evidence for o in enrolled.outcomes if o.requirement.kb == "KB5068787")
    not_enrolled = check(real_catalog, server_2022(4346, ALL_DOTNET), policy)
    assert "KB5068787" in missing(not_enrolled)


def test_dotnet_updates_are_judged_by_kb(real_catalog: UpdateCatalog) -> None:
    without = check(real_catalog, server_2022(4405, ("KB5008882",)))
    assert set(missing(without)) == {"KB5034272"}
    assert without.patch_level == "2025-Nov"  # the newest month it fully has; January 2024 is incomplete
    with_it = check(real_catalog, server_2022(4405, ("KB5008882", "KB5034272")))
    assert [o.evidence for o in with_it.outcomes if o.requirement.kb == "KB5034272"] == ["KB5034272 installed"]


def dotnet_month(name: str, released: str, kb: str, supersedes: tuple[str, ...]) -> UpdateDocument:
    return UpdateDocument(
        id=name,
        revision="1",
        title=name,
        released=datetime.date.fromisoformat(released),
        products={"11923": "Windows Server 2022", "11676-11923": "Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"},
        fixes=[Fix(f"CVE-{name}", kb, "11676-11923", "Security Update", None, supersedes, "Important", False, False)],
    )


def test_a_kb_is_installed_when_a_later_one_supersedes_it_through_a_chain() -> None:
    catalog = UpdateCatalog.from_documents(
        [
            dotnet_month("2026-Jan", "2026-01-13", "KB5100001", ()),
            dotnet_month("2026-Feb", "2026-02-10", "KB5100002", ("KB5100001",)),
            dotnet_month("2026-Mar", "2026-03-10", "KB5100003", ("KB5100002",)),
        ]
    )
    result = check(catalog, server_2022(4405, ("KB5100003",)))
    assert result.compliant
    evidence = {o.requirement.kb: o.evidence for o in result.outcomes}
    assert evidence == {
        "KB5100001": "KB5100003 installed, which supersedes KB5100001",
        "KB5100002": "KB5100003 installed, which supersedes KB5100002",
        "KB5100003": "KB5100003 installed",
    }
    behind = check(catalog, server_2022(4405, ("KB5100001",)))
    assert set(missing(behind)) == {"KB5100002", "KB5100003"}
    assert behind.patch_level == "2026-Jan"


def test_server_core_hosts_are_checked_against_the_server_core_products(real_catalog: UpdateCatalog) -> None:
    result = check(real_catalog, server_2022(100, installation_type="Server Core"))
    assert {p.id for p in result.products} == {"11924", "11676-11924"}
    assert {o.requirement.product.id for o in result.missing} <= {"11924", "11676-11924"}


def test_a_deferral_holds_until_it_expires(real_catalog: UpdateCatalog) -> None:
    facts = server_2022(4405, ("KB5008882",))
    deferral = {"kb": "KB5034272", "reason": "breaks the payroll application", "expires": "2026-12-31"}
    deferred = check(real_catalog, facts, deferrals=[deferral])
    assert deferred.compliant
    assert [o.status for o in deferred.outcomes if o.requirement.kb == "KB5034272"] == ["deferred"]
    expired = check(real_catalog, facts, deferrals=[{**deferral, "expires": "2026-11-21"}])
    assert not expired.compliant
    assert "the deferral expired on 2026-11-21" in expired.missing[0].evidence


def test_only_documents_old_enough_are_required(real_catalog: UpdateCatalog) -> None:
    young = (TODAY - datetime.date(2025, 11, 11)).days + 1
    result = check(real_catalog, server_2022(2227, ALL_DOTNET), {"min_age_days": young})
    assert result.compliant
    assert {o.requirement.document.id for o in result.outcomes} == {"2022-Jan", "2024-Jan"}


@pytest.mark.parametrize(
    ("defender", "policy", "status"),
    [
        ({"enabled": True, "signature_updated": "2026-11-21T00:00:00Z"}, {}, "fresh"),
        ({"enabled": True, "signature_updated": "2026-11-01T00:00:00Z"}, {}, "stale"),
        ({"enabled": True, "signature_updated": "2026-11-01T00:00:00Z"}, {"max_signature_age_days": 30}, "fresh"),
        ({"enabled": False}, {"require_defender": True}, "disabled"),
        (None, {"require_defender": True}, "unknown"),
        (None, {}, "not_required"),
    ],
)
def test_defender_signatures_must_be_recent(real_catalog: UpdateCatalog, defender: dict[str, Any] | None, policy: dict[str, Any], status: str) -> None:
    result = check(real_catalog, server_2022(4405, ALL_DOTNET, defender), policy)
    assert result.defender_status == status
    assert result.compliant == (status in ("fresh", "not_required"))


@pytest.mark.parametrize(
    ("policy", "deferrals", "message"),
    [
        ({"colour": "red"}, None, "policy: unknown key(s) colour"),
        ({"min_age_days": -1}, None, "policy.min_age_days must not be negative"),
        ({"months": ["2031-Feb"]}, None, "policy.months names document(s) not in the catalog: 2031-Feb"),
        ({}, [{"kb": "KB5034272"}], "deferrals[0]: a deferral needs 'kb' and 'reason'"),
        ({}, [{"kb": "5034272", "reason": "x", "expires": "soon"}], "deferrals[0]: expires 'soon' is not a date"),
        ({}, [{"kb": "Q123", "reason": "x"}], "deferrals[0]: 'Q123' is not a KB number"),
    ],
)
def test_bad_policies_are_named(real_catalog: UpdateCatalog, policy: dict[str, Any], deferrals: list[Any] | None, message: str) -> None:
    with pytest.raises(PolicyError) as error:
        ComplianceChecker(real_catalog, Policy.parse(policy, deferrals), TODAY)
    assert message in str(error.value)


def test_missing_build_facts_are_named() -> None:
    with pytest.raises(HostFactsError, match=r"web01/state.yml: os.current_build is missing"):
        HostFacts.from_state({"product_name": "Windows Server 2022"}, [], None, "web01/state.yml")
    with pytest.raises(HostFactsError, match=r"updates\[0\]: source 'wsus' is not one of"):
        HostFacts.from_state({"product_name": "x", "current_build": "20348"}, [{"kb": "KB1234567", "source": "wsus"}], None, "s")
