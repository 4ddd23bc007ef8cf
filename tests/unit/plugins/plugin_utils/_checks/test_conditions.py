# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a rule applies (``applies_when``) and when its disruptive fix may be made (``impact``, ``precondition``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import Binding
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.conditions import Condition, certificate_of, parse_conditions, role_of
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError, HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot, parse_ssl_bindings
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import plan_host

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
APPHOST = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")
REQUIRE_SSL = {"config": {"section": "system.webServer/security/access", "attribute": "sslFlags", "expect": {"flags_include": ["Ssl"]}}}
HTTPS = [{"binding": {"protocol": "https"}}]


def rule(rule_id: str = "t-browse", **fields: Any) -> dict[str, Any]:
    """A site rule that fails on every lab host but the hardened one: SSL required."""
    base: dict[str, Any] = {
        "id": rule_id,
        "title": "t",
        "severity": "low",
        "scope": "site",
        "references": {},
        "check": REQUIRE_SSL,
        "remediation": {"config": {"value": "Ssl"}},
    }
    return {**base, **fields}


def statuses(found: dict[str, tuple[str, str]]) -> set[str]:
    return {status for status, _why in found.values()}


def reasons(found: dict[str, tuple[str, str]]) -> list[str]:
    return [why for _status, why in found.values()]


def findings(state: HostState, **fields: Any) -> dict[str, tuple[str, str]]:
    rules = catalog_from_data([rule(**fields)], "t.yml").rules
    return {f.scope: (f.status, str(f.evidence.actual)) for f in Evaluator(state).evaluate(rules)}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "t.yml: rule 1 (t-browse).applies_when: must be a non-empty list of conditions"),
        (
            [{"bindng": {"protocol": "https"}}],
            "applies_when[0]: unknown condition 'bindng' (known: setting, binding, site_role, feature, schema, pool, any_of)",
        ),
        ([{"binding": {}}], "applies_when[0].binding: lacks protocol"),
        ([{"binding": {"protocol": "https", "port": 443}}], "applies_when[0].binding: unknown field port"),
        ([{"site_role": {"in": "private"}}], "applies_when[0].site_role: 'in' must be a non-empty list of roles"),
        ([{"feature": {"name": "Web-ASP", "state": "on"}}], "applies_when[0].feature: state must be one of installed, absent"),
        ([{"setting": {"section": "s", "attribute": "a", "expect": {"equal": 1}}}], "applies_when[0].setting"),
        ([{"any_of": [{"binding": {"protocol": "https"}}, "private"]}], "applies_when[0].any_of[1]: a condition is a mapping"),
    ],
)
def test_a_condition_that_cannot_be_tested_is_refused_naming_rule_and_place(data: Any, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog_from_data([rule(applies_when=data)], "t.yml")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"impact": "low"}, "'impact' must be one of none, restart, breaks-if-in-use (got 'low')"),
        ({"impact": "none", "precondition": [{"binding": {"protocol": "https"}}]}, "'precondition' is for impact 'breaks-if-in-use' (this rule's is 'none')"),
        ({"remediation": {"manual": {"guidance": "g"}}, "impact": "none"}, "'impact' is for automated remediations; this rule's remediation is manual"),
        ({"applies_whne": []}, "unknown field(s) applies_whne"),
    ],
)
def test_impact_and_fields_are_checked(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=r"t\.yml: rule 1 \(t-browse\)") as caught:
        catalog_from_data([rule(**fields)], "t.yml")
    assert message in str(caught.value)


def test_every_automated_remediation_of_the_collection_states_its_impact_in_the_catalog_file() -> None:
    import yaml

    data = yaml.safe_load((ROOT / "rules" / "iis10.yml").read_text(encoding="utf-8"))
    unstated = [r["id"] for r in data if "manual" not in r["remediation"] and "impact" not in r]
    assert unstated == []
    assert {r.impact for r in load_catalog().rules if r.automated_remediation} == {"none", "restart", "breaks-if-in-use"}


def test_a_rule_that_does_not_apply_is_not_applicable_with_the_reason_and_is_never_planned() -> None:
    state = load_snapshot(LAB / "web02")
    forms = [{"setting": {"section": "system.web/authentication", "attribute": "mode", "expect": {"equals": "Forms"}}}]
    found = findings(state, applies_when=forms)
    assert found and statuses(found) == {"not_applicable"}
    assert all("system.web/authentication@mode is 'Windows' (needs: system.web/authentication@mode equals 'Forms')" in why for why in reasons(found))
    rules = catalog_from_data([rule(applies_when=forms)], "t.yml").rules
    assert plan_host(state, rules).empty
    assert statuses(findings(state)) == {"fail"}  # the same rule without applies_when


def test_site_roles_decide_private_site_rules_and_an_unstated_role_is_left_to_a_person() -> None:
    state = load_snapshot(LAB / "web02")
    private = [{"site_role": {"in": ["private"]}}]
    assert statuses(findings(state, applies_when=private)) == {"manual"}
    assert "hardened_iis_site_roles states no role for site 'Default Web Site'" in next(iter(findings(state, applies_when=private).values()))[1]
    state.site_roles = {"*": "public"}
    assert statuses(findings(state, applies_when=private)) == {"not_applicable"}
    state.site_roles = {"*": "public", "default web site": "Private"}
    assert findings(state, applies_when=private)["Default Web Site"][0] == "fail"
    assert findings(state, applies_when=private)["Intranet"][0] == "not_applicable"
    assert role_of("Intranet-1", {"intranet-*": "private"}) == "private" and role_of("Shop", {"intranet-*": "private"}) is None


def test_any_of_holds_when_one_holds_is_unknown_when_one_is_unknown_and_fails_otherwise() -> None:
    state = load_snapshot(LAB / "web02")
    conditions = [{"any_of": [{"site_role": {"in": ["private"]}}, {"binding": {"protocol": "http"}}]}]
    assert statuses(findings(state, applies_when=conditions)) == {"fail"}
    conditions = [{"any_of": [{"site_role": {"in": ["private"]}}, {"binding": {"protocol": "https"}}]}]
    assert statuses(findings(state, applies_when=conditions)) == {"manual"}
    state.site_roles = {"*": "public"}
    found = findings(state, applies_when=conditions)
    assert statuses(found) == {"not_applicable"}
    assert all("has bindings: http" in why and "role 'public'" in why for why in reasons(found))


def test_feature_and_schema_conditions_read_the_host() -> None:
    state = load_snapshot(LAB / "web01")
    asp = [{"feature": {"name": "Web-ASP", "state": "installed"}}]
    assert statuses(findings(state, applies_when=asp)) == {"fail"}
    unknown = [{"feature": {"name": "Web-Nonexistent", "state": "installed"}}]
    assert statuses(findings(state, applies_when=unknown)) == {"manual"}
    hsts = Condition.parse({"schema": {"section": "system.applicationHost/sites", "element": "siteDefaults/hsts"}}, "x")
    assert "siteDefaults/hsts" in hsts.describe({})
    assert parse_conditions([{"schema": {"section": "system.applicationHost/sites", "element": "siteDefaults/nothing"}}], "x")[0].kind == "schema"
    missing = [{"schema": {"section": "system.applicationHost/sites", "element": "siteDefaults/nothing"}}]
    assert statuses(findings(state, applies_when=missing)) == {"not_applicable"}


# -- the plan: disruptive remediations only where their precondition holds, or opted in ---------------------


def test_a_disruptive_fix_is_planned_where_its_precondition_holds_and_held_back_elsewhere(tmp_path: Path) -> None:
    rules = catalog_from_data([rule(check=REQUIRE_SSL, remediation={"config": {"value": "Ssl"}}, impact="breaks-if-in-use", precondition=HTTPS)], "t.yml").rules
    web02 = plan_host(load_snapshot(LAB / "web02"), rules)  # http only
    assert web02.empty and [(h.rule, h.scope) for h in web02.held_back] == [("t-browse", "Default Web Site"), ("t-browse", "Intranet")]
    assert "precondition does not hold: site 'Default Web Site' has bindings: http (needs: the site has an https binding)" in web02.held_back[0].reason
    assert "hardened_iis_allow_disruptive: [t-browse]" in next(f.remediation for f in web02.expected if f.status == "fail")
    web01 = plan_host(load_snapshot(LAB / "web01"), rules)  # has an https binding
    assert web01.files and not web01.held_back
    assert {f.impact for f in web01.fixes} == {"breaks-if-in-use"}
    opted = plan_host(load_snapshot(LAB / "web02"), rules, allow_disruptive=frozenset({"t-browse"}))
    assert opted.files and not opted.held_back


def test_a_disruptive_fix_without_precondition_needs_an_opt_in() -> None:
    rules = catalog_from_data([rule(impact="breaks-if-in-use")], "t.yml").rules
    assert plan_host(load_snapshot(LAB / "web02"), rules).empty
    assert "needs an explicit opt-in" in plan_host(load_snapshot(LAB / "web02"), rules).held_back[0].reason
    assert not plan_host(load_snapshot(LAB / "web02"), rules, allow_disruptive=frozenset({"t-browse"})).empty


def test_fixes_are_listed_most_disruptive_first() -> None:
    data = [
        rule(
            rule_id="t-none",
            impact="none",
            check={"config": {"section": "system.webServer/directoryBrowse", "attribute": "enabled", "expect": {"equals": "false"}}},
            remediation={"config": {"value": "false"}},
        ),
        rule(rule_id="t-breaks", check=REQUIRE_SSL, remediation={"config": {"value": "Ssl"}}, impact="breaks-if-in-use", precondition=HTTPS),
    ]
    plan = plan_host(load_snapshot(LAB / "web01"), catalog_from_data(data, "t.yml").rules)
    impacts = [f.impact for f in plan.fixes]
    assert impacts == sorted(impacts, key=["breaks-if-in-use", "restart", "none"].index) and impacts[0] == "breaks-if-in-use"


def test_a_pool_identity_is_replaced_only_on_pools_with_a_built_in_account(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    config = snapshot / APPHOST
    text = config.read_text(encoding="utf-8")
    assert text.count('<add name="ShopPool"') == 1
    text = text.replace(
        '<add name="ShopPool"', '<add name="ServicePool"><processModel identityType="SpecificUser" userName="CORP\\svc-web" /></add><add name="ShopPool"'
    )
    config.write_text(text, encoding="utf-8")
    identity = load_catalog().rule("iis-app-pool-identity")
    plan = plan_host(load_snapshot(snapshot), (identity,))
    after = plan.files[0].after.decode("utf-8") if plan.files else text
    assert 'userName="CORP\\svc-web"' in after and 'identityType="SpecificUser"' in after
    assert [h.rule for h in plan.held_back] == ["iis-app-pool-identity"]
    assert "ServicePool: processModel/identityType is 'SpecificUser'" in plan.held_back[0].reason
    opted = plan_host(load_snapshot(snapshot), (identity,), allow_disruptive=frozenset({identity.id}))
    assert 'identityType="SpecificUser"' not in opted.files[0].after.decode("utf-8") and not opted.held_back


def test_what_a_precondition_found_never_shows_a_secret(tmp_path: Path) -> None:
    """A held-back reason quotes what was found: a machine key is shown as the marker (a person reads the plan, AWX keeps it)."""
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    shop = snapshot / "files/C/inetpub/shop/web.config"
    text = shop.read_text(encoding="utf-8")
    shop.write_text(text.replace('<machineKey validation="MD5"', '<machineKey validationKey="Planted-ValKey-0001" validation="MD5"'), encoding="utf-8")
    catalog = load_catalog()
    plan = plan_host(load_snapshot(snapshot), (catalog.rule("aspnet-machine-key-validation-sha2"),))
    assert [h.rule for h in plan.held_back] == ["aspnet-machine-key-validation-sha2"]
    shown = str([h.as_dict() for h in plan.held_back]) + str([f.remediation for f in plan.expected])
    assert "Planted-ValKey-0001" not in shown and "validationKey is '[redacted]'" in shown


# -- https bindings with a certificate: HTTP.sys's bindings (state ssl_bindings) ------------------------------

CERTIFICATE = [{"binding": {"protocol": "https", "certificate": True}}]


def with_ssl_bindings(host: str, bindings: list[dict[str, Any]] | None) -> HostState:
    state = load_snapshot(LAB / host)
    state.ssl_bindings = parse_ssl_bindings(bindings, "t")
    return state


@pytest.mark.parametrize(
    ("host", "bindings", "status"),
    [
        ("web01", [{"endpoint": "0.0.0.0:443", "certificate_hash": "AB" * 20}], "fail"),  # *:443: takes the all-addresses binding
        ("web01", [{"endpoint": "0.0.0.0:8443", "certificate_hash": "AB" * 20}], "not_applicable"),  # another port
        ("web01", [{"endpoint": "0.0.0.0:443", "certificate_hash": None}], "not_applicable"),  # no certificate on it
        ("web01", None, "manual"),  # not recorded: a person decides
        ("web03", [{"endpoint": "www.example.org:443", "sni": True, "certificate_hash": "CD" * 20}], "pass"),  # SNI: the host name
        ("web03", [{"endpoint": "10.20.30.40:443", "certificate_hash": "CD" * 20}], "not_applicable"),  # sslFlags=1: IP bindings do not serve it
    ],
)
def test_an_https_binding_has_a_certificate_where_http_sys_binds_one_to_its_endpoint(host: str, bindings: list[dict[str, Any]] | None, status: str) -> None:
    found = findings(with_ssl_bindings(host, bindings), applies_when=CERTIFICATE)
    assert statuses({scope: result for scope, result in found.items() if scope == "Default Web Site"}) == {status}


def test_the_central_certificate_store_counts_as_a_certificate() -> None:
    binding = Binding("https", "*:443:shop.example.org", "3")
    assert binding.endpoint == ("0.0.0.0", "443", "shop.example.org") and binding.has_flag(1, "Sni")
    assert certificate_of(binding, ()) == "the central certificate store"
    assert Binding("https", "[::1]:443:", "Sni").endpoint == ("[::1]", "443", "") and Binding("https", "", "Sni, CentralCertStore").has_flag(
        2, "CentralCertStore"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"endpoint": "0.0.0.0:443"}, "ssl_bindings must be a list"),
        ([{"sni": True}], r"ssl_bindings\[0\] must be a mapping with an endpoint"),
        ([{"endpoint": "a:443", "sni": "yes"}], r"ssl_bindings\[0\]\.sni must be true or false"),
        ([{"endpoint": "a:443", "certificate_hash": "not-hex"}], r"ssl_bindings\[0\]\.certificate_hash must be a hex thumbprint"),
    ],
)
def test_bad_ssl_bindings_are_named(data: Any, message: str) -> None:
    with pytest.raises(HostStateError, match=message):
        parse_ssl_bindings(data, "web01/state.yml")
