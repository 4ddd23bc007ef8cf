# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that follow the benchmark texts (issue 16, section 1): each on a copy of a lab host built to expose it, audited and hardened."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.builtin_schema import BUILTIN_SCHEMA_XML
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import apply_to_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import plan_host

ROOT = Path(__file__).resolve().parents[3]
LAB = ROOT / "inventories" / "lab" / "snapshots"
CATALOG = load_catalog()
RULES = CATALOG.rules
APPHOST = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")
SCHANNEL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\"
PROTOCOLS = {"SSL 2.0": ("ssl-2-0", "7.2"), "SSL 3.0": ("ssl-3-0", "7.3"), "TLS 1.0": ("tls-1-0", "7.4"), "TLS 1.1": ("tls-1-1", "7.5")}


def copy_of(host: str, tmp_path: Path) -> Path:
    target = tmp_path / host
    shutil.copytree(LAB / host, target)
    return target


def audit(snapshot: Path) -> list[Finding]:
    return Evaluator(load_snapshot(snapshot)).evaluate(RULES)


def statuses(findings: list[Finding], *rule_ids: str) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.scope): f.status for f in findings if f.rule_id in rule_ids}


def harden_twice(snapshot: Path) -> list[Finding]:
    """Harden, then check that a second harden plans and changes nothing; the findings after the first."""
    result = apply_to_snapshot(snapshot, plan_host(load_snapshot(snapshot), RULES))
    assert result.changed
    second = plan_host(load_snapshot(snapshot), RULES)
    assert second.empty
    assert not apply_to_snapshot(snapshot, second).changed
    return audit(snapshot)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


# CIS 7.2-7.5: the Client keys as well as the Server keys; the STIG rules stay Server only.


def test_cis_checks_the_client_keys_of_each_old_protocol_and_the_stig_only_the_server_keys() -> None:
    for protocol, (slug, cis) in PROTOCOLS.items():
        for side in ("server", "client"):
            for value in ("disabled", "disabled-by-default"):
                rule = CATALOG.rule(f"{slug}-{side}-{value}")
                assert rule.references["cis_iis10"] == [cis]
                assert rule.check.spec["path"] == f"{SCHANNEL}{protocol}\\{side.capitalize()}"
                assert bool(rule.references.get("stig")) == (side == "server")


def test_a_host_without_the_client_keys_fails_cis_and_is_hardened(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    state = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
    for protocol in PROTOCOLS:
        del state["registry"][f"{SCHANNEL}{protocol}\\Client"]
    state["registry"][f"{SCHANNEL}TLS 1.0\\Client"] = {"Enabled": 1, "DisabledByDefault": 0}
    (snapshot / "state.yml").write_text(yaml.safe_dump(state), encoding="utf-8")
    client = [f"{slug}-client-{value}" for slug, _cis in PROTOCOLS.values() for value in ("disabled", "disabled-by-default")]
    server = [f"{slug}-server-{value}" for slug, _cis in PROTOCOLS.values() for value in ("disabled", "disabled-by-default")]
    before = audit(snapshot)
    assert set(statuses(before, *client).values()) == {"fail"} and len(statuses(before, *client)) == 8
    assert set(statuses(before, *server).values()) == {"pass"}
    after = harden_twice(snapshot)
    assert set(statuses(after, *client, *server).values()) == {"pass"}
    hardened = load_snapshot(snapshot)
    for protocol in PROTOCOLS:
        assert hardened.registry_value(f"{SCHANNEL}{protocol}\\Client", "Enabled") == (True, 0)
        assert hardened.registry_value(f"{SCHANNEL}{protocol}\\Client", "DisabledByDefault") == (True, 1)


def test_the_hardened_lab_host_passes_the_client_rules() -> None:
    findings = audit(LAB / "web03")
    client = [f"{slug}-client-{value}" for slug, _cis in PROTOCOLS.values() for value in ("disabled", "disabled-by-default")]
    assert set(statuses(findings, *client).values()) == {"pass"}


# HSTS max-age: any value greater than 0 passes; remediation sets hsts_max_age.


@pytest.mark.parametrize(("max_age", "status"), [("1", "pass"), ("300", "pass"), ("0", "fail")])
def test_hsts_max_age_passes_any_value_greater_than_zero(max_age: str, status: str, tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, 'max-age="31536000"', f'max-age="{max_age}"')
    assert statuses(audit(snapshot), "hsts-max-age") == {("hsts-max-age", "Default Web Site"): status}


def test_a_zero_hsts_max_age_is_set_to_the_organisations_value(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, 'max-age="31536000"', 'max-age="0"')
    after = harden_twice(snapshot)
    assert statuses(after, "hsts-max-age") == {("hsts-max-age", "Default Web Site"): "pass"}
    assert 'max-age="480"' in (snapshot / APPHOST).read_text(encoding="utf-8")


# cookieless: ASP.NET parses "true" as UseUri and "false" as UseCookies.

COOKIELESS = ("aspnet-forms-auth-use-cookies", "aspnet-session-state-use-cookies")


def site_web_config(snapshot: Path, cookieless: str) -> Path:
    path = snapshot / "files/D/inetpub/wwwroot/web.config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.web>\n'
        f'    <authentication mode="Forms">\n      <forms cookieless="{cookieless}" requireSSL="true" protection="All" />\n    </authentication>\n'
        f'    <sessionState cookieless="{cookieless}" />\n  </system.web>\n</configuration>\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("cookieless", "status"), [("false", "pass"), ("False", "pass"), ("UseCookies", "pass"), ("true", "fail"), ("UseUri", "fail")])
def test_cookieless_follows_aspnets_parsing(cookieless: str, status: str, tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    site_web_config(snapshot, cookieless)
    found = statuses(audit(snapshot), *COOKIELESS)
    assert found and {s for (_r, scope), s in found.items() if scope.startswith("Default Web Site")} == {status}


def test_cookieless_true_is_hardened_and_false_is_left_alone(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    config = site_web_config(snapshot, "true")
    after = harden_twice(snapshot)
    assert set(statuses(after, *COOKIELESS).values()) == {"pass"}
    assert config.read_text(encoding="utf-8").count('cookieless="UseCookies"') == 2
    untouched = copy_of("web03", tmp_path / "second")
    config = site_web_config(untouched, "false")
    before = config.read_bytes()
    assert plan_host(load_snapshot(untouched), RULES).empty
    assert config.read_bytes() == before


def test_aliases_are_a_mapping_of_text() -> None:
    assert Expectation.parse({"equals": "UseCookies", "aliases": {"FALSE": "UseCookies"}}, "x").holds("false", {})
    assert not Expectation.parse({"equals": "UseCookies"}, "x").holds("false", {})
    with pytest.raises(CatalogError, match="'aliases' must be a non-empty mapping"):
        Expectation.parse({"equals": "UseCookies", "aliases": ["false"]}, "x")
    with pytest.raises(CatalogError, match="exactly one operator"):
        Expectation.parse({"aliases": {"false": "UseCookies"}}, "x")


# V-218775: any recycling condition the organisation chose counts, not only a regular time interval.

POOL = """<periodicRestart requests="200000" />"""


@pytest.mark.parametrize(
    ("periodic_restart", "status"),
    [
        ('<periodicRestart time="00:00:00"><schedule><add value="03:00:00" /></schedule></periodicRestart>', "pass"),
        ('<periodicRestart time="00:00:00" requests="35000" />', "pass"),
        ('<periodicRestart time="00:00:00" memory="1048576" />', "pass"),
        ('<periodicRestart time="00:00:00" privateMemory="1048576" />', "pass"),
        ('<periodicRestart time="1.05:00:00" />', "pass"),
        ('<periodicRestart time="00:00:00" />', "fail"),
        ('<periodicRestart time="00:00:00"><schedule><clear /></schedule></periodicRestart>', "fail"),
    ],
)
def test_a_pool_passes_with_any_recycling_condition(periodic_restart: str, status: str, tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, POOL, periodic_restart)
    assert statuses(audit(snapshot), "app-pool-recycle-time-set") == {("app-pool-recycle-time-set", "server"): status}


def test_a_schedule_in_the_pool_defaults_counts_and_a_pool_without_any_condition_is_left_to_a_person(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, POOL, '<periodicRestart time="00:00:00" />')
    edit(
        snapshot / APPHOST,
        '<processModel identityType="ApplicationPoolIdentity" />\n',
        '<processModel identityType="ApplicationPoolIdentity" />\n'
        '                <recycling><periodicRestart time="00:00:00"><schedule><add value="02:00:00" /></schedule></periodicRestart></recycling>\n',
    )
    assert statuses(audit(snapshot), "app-pool-recycle-time-set") == {("app-pool-recycle-time-set", "server"): "pass"}
    edit(snapshot / APPHOST, '<add value="02:00:00" />', "")
    before = (snapshot / APPHOST).read_bytes()
    assert statuses(audit(snapshot), "app-pool-recycle-time-set") == {("app-pool-recycle-time-set", "server"): "fail"}
    # the rule alone (app-pool-request-limit-set's fix, a request limit, is one of the conditions that pass it)
    plan = plan_host(load_snapshot(snapshot), (CATALOG.rule("app-pool-recycle-time-set"),))
    assert "app-pool-recycle-time-set" in {f.rule_id for f in plan.remaining}
    assert not apply_to_snapshot(snapshot, plan).changed
    assert (snapshot / APPHOST).read_bytes() == before


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({"any_of": []}, "either 'attribute' and 'expect' or a non-empty list 'any_of'"),
        ({"any_of": [{"entries": "a"}], "attribute": "b"}, "either 'attribute' and 'expect'"),
        ({"any_of": [{"attribute": "a"}]}, r"any_of\[0\]: a condition is"),
        ({"any_of": [{"attribute": "a", "expect": {"bogus": 1}}]}, "unknown operator"),
        ({"attribute": "a"}, "lacks expect"),
    ],
)
def test_bad_app_pool_checks_are_refused(check: dict[str, object], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        kind_of("app_pools").parse(check, "rule")


# CIS 1.1: every virtual directory of a site, not only the root one.

ROOT_VDIR = '<virtualDirectory path="/" physicalPath="D:\\inetpub\\wwwroot" />'


@pytest.mark.parametrize(
    ("added", "status"),
    [
        ("", "pass"),
        ('<virtualDirectory path="/images" physicalPath="C:\\images" />', "fail"),
        ('<virtualDirectory path="/images" physicalPath="%SystemDrive%\\images" />', "fail"),
        ('<virtualDirectory path="/images" physicalPath="E:\\images" />', "pass"),
        ('</application><application path="/shop"><virtualDirectory path="/" physicalPath="C:\\inetpub\\shop" />', "fail"),
        (
            '</application><application path="/shop"><virtualDirectory path="/" physicalPath="D:\\shop" />'
            '<virtualDirectory path="/files" physicalPath="C:\\files" />',
            "fail",
        ),
        ('</application><application path="/shop"><virtualDirectory path="/" physicalPath="D:\\shop" />', "pass"),
    ],
)
def test_every_virtual_directory_of_a_site_is_off_the_system_drive(added: str, status: str, tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, ROOT_VDIR, ROOT_VDIR + added)
    rule = "iis-web-content-not-on-system-drive"
    assert statuses(audit(snapshot), rule) == {(rule, "Default Web Site"): status}
    plan = plan_host(load_snapshot(snapshot), RULES)
    before = (snapshot / APPHOST).read_bytes()
    assert (rule in {f.rule_id for f in plan.remaining}) == (status == "fail")
    apply_to_snapshot(snapshot, plan)
    assert (snapshot / APPHOST).read_bytes() == before
    assert plan_host(load_snapshot(snapshot), RULES).empty


# CIS 7.1: native HSTS or a Strict-Transport-Security header; the STIG's native rules do not apply where IIS has no native HSTS.

HSTS_NATIVE = ("hsts-enabled", "hsts-max-age", "hsts-include-subdomains", "hsts-redirect-http-to-https")


def without_native_hsts(snapshot: Path) -> None:
    """The host's own IIS schema, as on Windows Server 2016: the built-in schema without the hsts element."""
    schema = snapshot / "files/C/Windows/System32/inetsrv/config/schema/IIS_schema.xml"
    schema.parent.mkdir(parents=True, exist_ok=True)
    text, removed = re.subn(r'\s*<element name="hsts">.*?</element>', "", BUILTIN_SCHEMA_XML, flags=re.DOTALL)
    assert removed == 2  # siteDefaults and site
    schema.write_text(text, encoding="utf-8")


def sts_header(snapshot: Path, value: str) -> None:
    site_config = snapshot / "files/D/inetpub/wwwroot/web.config"
    site_config.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <system.webServer>\n    <httpProtocol>\n      <customHeaders>\n'
        f'        <add name="Strict-Transport-Security" value="{value}" />\n'
        "      </customHeaders>\n    </httpProtocol>\n  </system.webServer>\n</configuration>\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(("value", "status"), [("max-age=480", "pass"), ("max-age=31536000; includeSubDomains", "pass"), ("max-age=0", "fail")])
def test_cis_hsts_passes_with_a_custom_header_as_cis_remediates_it(value: str, status: str, tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    edit(snapshot / APPHOST, 'enabled="true" max-age="31536000"', 'enabled="false" max-age="31536000"')
    assert statuses(audit(snapshot), "hsts-header-sent") == {("hsts-header-sent", "Default Web Site"): "fail"}
    sts_header(snapshot, value)
    assert statuses(audit(snapshot), "hsts-header-sent") == {("hsts-header-sent", "Default Web Site"): status}


def test_cis_hsts_passes_with_native_hsts_and_names_both_mechanisms_when_it_fails(tmp_path: Path) -> None:
    assert statuses(audit(LAB / "web03"), "hsts-header-sent") == {("hsts-header-sent", "Default Web Site"): "pass"}
    failing = next(f for f in audit(LAB / "web01") if f.rule_id == "hsts-header-sent")
    assert failing.status == "fail" and "Strict-Transport-Security" in str(failing.evidence.expected) and "hsts" in str(failing.evidence.expected)


def test_without_native_hsts_in_the_hosts_schema_the_stig_rules_do_not_apply_and_cis_still_asks_for_a_header(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    without_native_hsts(snapshot)
    edit(snapshot / APPHOST, '<hsts enabled="true" max-age="31536000" includeSubDomains="true" redirectHttpToHttps="true" />', "")
    findings = audit(snapshot)
    native = [f for f in findings if f.rule_id in HSTS_NATIVE]
    assert native and {f.status for f in native} == {"not_applicable"}
    assert all("schema has no system.applicationHost/sites/siteDefaults/hsts" in str(f.evidence.actual) for f in native)
    assert statuses(findings, "hsts-header-sent") == {("hsts-header-sent", "Default Web Site"): "fail"}
    sts_header(snapshot, "max-age=480")
    assert statuses(audit(snapshot), "hsts-header-sent") == {("hsts-header-sent", "Default Web Site"): "pass"}
    assert not any(f.rule in HSTS_NATIVE for f in plan_host(load_snapshot(snapshot), RULES).fixes)


# CIS 2.3-2.5: the forms rules apply only where Forms authentication is in effect.

FORMS = ("aspnet-forms-auth-require-ssl", "aspnet-forms-auth-use-cookies", "aspnet-forms-auth-cookie-protection-all")


def test_forms_rules_do_not_apply_where_forms_authentication_is_not_in_effect(tmp_path: Path) -> None:
    snapshot = copy_of("web03", tmp_path)
    root_web = snapshot / "files/C/Windows/Microsoft.NET/Framework64/v4.0.30319/Config/web.config"
    edit(
        root_web,
        '<authentication mode="Forms">\n                <forms requireSSL="true" cookieless="UseCookies" protection="All" />',
        '<authentication mode="Windows">\n                <forms requireSSL="false" cookieless="UseUri" protection="None" />',
    )
    findings = [f for f in audit(snapshot) if f.rule_id in FORMS]
    assert findings and {f.status for f in findings} == {"not_applicable"}
    assert all("system.web/authentication@mode is 'Windows'" in str(f.evidence.actual) for f in findings)
    assert not any(f.rule in FORMS for f in plan_host(load_snapshot(snapshot), RULES).fixes)
    site_web_config(snapshot, "UseUri")  # Forms in effect for the site: its forms settings are checked and hardened
    applied = {f.rule_id: f.status for f in audit(snapshot) if f.rule_id in FORMS and f.scope == "Default Web Site"}
    assert applied == {"aspnet-forms-auth-require-ssl": "pass", "aspnet-forms-auth-use-cookies": "fail", "aspnet-forms-auth-cookie-protection-all": "pass"}


# Section 5: PowerStig's remediation values, behind applicability (private sites) and an opt-in.

CLIENT_CERTIFICATES = ("iis-client-certificates-required", "iis-private-site-tls-client-cert-ssl128")


def test_client_certificates_are_required_on_private_sites_only_when_the_organisation_opts_in(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    state = load_snapshot(snapshot)
    state.site_roles = {"Default Web Site": "private"}
    rules = tuple(CATALOG.rule(r) for r in ("iis-require-ssl", *CLIENT_CERTIFICATES))
    held = plan_host(state, rules)
    assert {h.rule for h in held.held_back} >= set(CLIENT_CERTIFICATES)
    assert all("needs an explicit opt-in" in h.reason for h in held.held_back if h.rule in CLIENT_CERTIFICATES)
    opted = plan_host(state, rules, allow_disruptive=frozenset(CLIENT_CERTIFICATES))
    assert not {h.rule for h in opted.held_back} & set(CLIENT_CERTIFICATES)
    apply_to_snapshot(snapshot, opted)
    after = load_snapshot(snapshot)
    after.site_roles = state.site_roles
    found = {(f.rule_id, f.status) for f in Evaluator(after).evaluate(rules) if f.rule_id in CLIENT_CERTIFICATES}
    assert found == {(r, "pass") for r in CLIENT_CERTIFICATES}
    public = load_snapshot(LAB / "web01")
    public.site_roles = {"*": "public"}
    assert {f.status for f in Evaluator(public).evaluate(rules) if f.rule_id in CLIENT_CERTIFICATES} == {"not_applicable"}


def test_a_pool_without_a_request_limit_gets_the_organisations_value(tmp_path: Path) -> None:
    snapshot = copy_of("web01", tmp_path)
    rule = CATALOG.rule("app-pool-request-limit-set")
    assert rule.impact == "restart" and rule.params == {"app_pool_request_limit": 35000}
    plan = plan_host(load_snapshot(snapshot), (rule,), {rule.id: {"app_pool_request_limit": 50000}})
    apply_to_snapshot(snapshot, plan)
    assert 'requests="50000"' in (snapshot / APPHOST).read_text(encoding="utf-8")
    assert statuses(audit(snapshot), rule.id) == {(rule.id, "server"): "pass"}
