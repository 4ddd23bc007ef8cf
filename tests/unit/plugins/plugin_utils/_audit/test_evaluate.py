# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every check type, failing on the drifted lab host and passing on the fresh one where it should."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Catalog, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(Path(__file__).parent / "fixtures" / "catalog.yml")


@pytest.fixture(scope="module")
def web01(catalog: Catalog) -> list[Finding]:
    return Evaluator(load_snapshot(LAB / "web01")).evaluate(catalog.rules)


@pytest.fixture(scope="module")
def web02(catalog: Catalog) -> list[Finding]:
    return Evaluator(load_snapshot(LAB / "web02")).evaluate(catalog.rules)


def statuses(findings: list[Finding], rule: str) -> dict[str, str]:
    return {f.scope: f.status for f in findings if f.rule_id == rule}


def one(findings: list[Finding], rule: str, scope: str) -> Finding:
    return next(f for f in findings if f.rule_id == rule and f.scope == scope)


@pytest.mark.parametrize(
    ("rule", "drifted", "fresh"),
    [
        (
            "t-directory-browsing-off",
            {"Default Web Site": "pass", "Default Web Site/shop": "fail", "Default Web Site/shop/uploads": "fail"},
            {"Default Web Site": "pass", "Intranet": "pass"},
        ),
        (
            "t-trace-denied",
            {"Default Web Site": "pass", "Default Web Site/shop": "fail"},
            {"Default Web Site": "pass", "Intranet": "pass"},
        ),
        ("t-no-aspnet-version-header", {"Default Web Site": "pass", "Default Web Site/shop": "fail"}, {"Default Web Site": "pass", "Intranet": "pass"}),
        ("t-handlers-read-only", {"Default Web Site": "pass", "Default Web Site/shop": "fail"}, {"Default Web Site": "pass", "Intranet": "pass"}),
        ("t-max-url", {"Default Web Site": "pass", "Default Web Site/shop": "fail"}, {"Default Web Site": "pass", "Intranet": "pass"}),
        ("t-default-documents", {"Default Web Site": "pass"}, {"Default Web Site": "fail", "Intranet": "fail"}),
        ("t-log-fields", {"Default Web Site": "fail"}, {"Default Web Site": "pass", "Intranet": "pass"}),
        ("t-logs-off-system-drive", {"Default Web Site": "fail"}, {"Default Web Site": "fail", "Intranet": "fail"}),
        ("t-tls10-off", {"server": "fail"}, {"server": "fail"}),
        ("t-webdav-absent", {"server": "fail"}, {"server": "pass"}),
        ("t-wmsvc-stopped", {"server": "fail"}, {"server": "pass"}),
        ("t-start-page-removed", {"Default Web Site": "fail"}, {"Default Web Site": "fail", "Intranet": "pass"}),
        ("t-pool-identity", {"server": "fail"}, {"server": "pass"}),
        ("t-debug-off", {"Default Web Site": "pass", "Default Web Site/shop": "fail"}, {"Default Web Site": "pass", "Intranet": "pass"}),
        ("t-backups-documented", {"server": "manual"}, {"server": "manual"}),
    ],
)
def test_each_check_type_on_the_lab(web01: list[Finding], web02: list[Finding], rule: str, drifted: dict[str, str], fresh: dict[str, str]) -> None:
    assert statuses(web01, rule) == drifted
    assert statuses(web02, rule) == fresh


def test_an_override_found_only_in_a_nested_web_config_carries_its_evidence(web01: list[Finding]) -> None:
    finding = one(web01, "t-directory-browsing-off", "Default Web Site/shop/uploads")
    assert finding.evidence.as_dict() == {
        "file": "C:\\inetpub\\shop\\uploads\\web.config",
        "line": 4,
        "location_path": None,
        "actual": "true",
        "expected": "equals 'false'",
    }
    at_location = one(web01, "t-directory-browsing-off", "Default Web Site/shop")
    assert (at_location.evidence.file, at_location.evidence.line, at_location.evidence.location_path) == (APPHOST, 322, "Default Web Site/shop")
    assert at_location.remediation == "set system.webServer/directoryBrowse@enabled = 'false' at Default Web Site/shop"


def test_a_value_ineffective_under_a_lock_does_not_fail_the_rule() -> None:
    """web01's shop web.config sets asp appAllowDebugging=true, but the asp section is locked."""
    catalog = load_catalog(Path(__file__).parent / "fixtures" / "catalog.yml")
    rule = catalog.rule("t-debug-off")
    asp = rule.__class__(
        id="t-asp-debug-off",
        title="ASP debugging is off",
        severity="medium",
        scope="application",
        check=rule.check.__class__(
            "config", {"section": "system.webServer/asp", "attribute": "appAllowDebugging", "expect": {"equals": "false"}}, rule.check.expect
        ),
        remediation={"config": {"value": "false"}},
    )
    findings = Evaluator(load_snapshot(LAB / "web01")).evaluate((asp,))
    assert {f.scope: f.status for f in findings} == {"Default Web Site": "pass", "Default Web Site/shop": "pass"}
    at_shop = next(f for f in findings if f.scope == "Default Web Site/shop")
    assert (at_shop.evidence.actual, at_shop.evidence.file) == ("false", "default (built-in schema)")


def test_collection_and_registry_evidence(web01: list[Finding]) -> None:
    trace = one(web01, "t-trace-denied", "Default Web Site/shop")
    assert (trace.evidence.file, trace.evidence.line, trace.evidence.actual) == ("C:\\inetpub\\shop\\web.config", 15, 'missing verb="TRACE" allowed="false"')
    tls = one(web01, "t-tls10-off", "server")
    assert tls.evidence.actual == "1"
    assert tls.evidence.file == "registry HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server\\Enabled"
    pools = one(web01, "t-pool-identity", "server")
    assert pools.evidence.actual == "ShopPool=LocalSystem"


def test_registry_default_applies_when_the_value_is_absent(web02: list[Finding]) -> None:
    tls = one(web02, "t-tls10-off", "server")
    assert tls.evidence.actual == "1"
    assert "not set: Windows default" in str(tls.evidence.file)


def test_organisation_values_override_params(catalog: Catalog) -> None:
    findings = Evaluator(load_snapshot(LAB / "web02"), {"t-max-url": {"max_url": 2048}}).evaluate((catalog.rule("t-max-url"),))
    assert [(f.scope, f.status, f.evidence.expected) for f in findings] == [("Default Web Site", "fail", "lte 2048"), ("Intranet", "fail", "lte 2048")]


def test_a_missing_feature_list_is_an_error_not_a_pass(catalog: Catalog, tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "state.yml").write_text("---\nhost: bare\n", encoding="utf-8")
    findings = Evaluator(load_snapshot(tmp_path)).evaluate((catalog.rule("t-webdav-absent"),))
    assert [(f.status, f.evidence.actual) for f in findings] == [("error", "the host state does not list feature Web-DAV-Publishing")]
    config = Evaluator(load_snapshot(tmp_path)).evaluate((catalog.rule("t-directory-browsing-off"),))
    assert config[0].status == "error"
    assert "applicationHost.config not found" in str(config[0].evidence.actual)
