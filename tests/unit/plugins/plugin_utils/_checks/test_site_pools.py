# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``site_pools`` check: a pool serving applications of more than one site fails each of those sites."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import state_from_document

APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
FILES = sorted((Path(CORPUS) / "applicationhost").glob("*.config")) if CORPUS else []
RULE = load_catalog().rule("iis-site-unique-app-pool")


def config(sites: str, defaults: str = '<applicationDefaults applicationPool="DefaultAppPool" />') -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="ShopPool" />
    </applicationPools>
    <sites>
{sites}
      {defaults}
    </sites>
  </system.applicationHost>
</configuration>
""".encode()


def findings(apphost: bytes, spec: dict[str, Any] | None = None) -> dict[str, Finding]:
    state = state_from_document({}, MemoryFiles({APPHOST: apphost}), "web01", "web01")
    rules = catalog_from_data([{**_rule_data(), "check": {"site_pools": spec}}], "rules.yml").rules if spec is not None else (RULE,)
    return {f.scope: f for f in Evaluator(state).evaluate(rules)}


def _rule_data() -> dict[str, Any]:
    return {"id": "t-pools", "title": "t", "severity": "low", "scope": "site", "references": {}, "remediation": {"manual": {"guidance": "g"}}}


SHARED = config("""      <site name="Shop" id="1">
        <application path="/" applicationPool="ShopPool" />
        <application path="/api" applicationPool="shoppool" />
      </site>
      <site name="Blog" id="2">
        <application path="/" />
        <application path="/shop-mirror" applicationPool="ShopPool" />
      </site>
      <site name="Intranet" id="3">
        <applicationDefaults applicationPool="IntranetPool" />
        <application path="/" />
      </site>""")


def test_a_pool_shared_by_two_sites_fails_both_with_the_application_entry() -> None:
    found = findings(SHARED)
    assert {scope: f.status for scope, f in found.items()} == {"Shop": "fail", "Blog": "fail", "Intranet": "pass"}
    assert found["Shop"].evidence.actual == "pool 'ShopPool' (application /) also serves Blog"
    assert (found["Shop"].evidence.file, found["Shop"].evidence.line) == (APPHOST, 10)
    assert found["Blog"].evidence.actual == "pool 'ShopPool' (application /shop-mirror) also serves Shop"
    assert found["Blog"].evidence.line == 15
    assert found["Intranet"].evidence.actual == "pools used by no other site: 'IntranetPool'"
    assert found["Intranet"].evidence.line == 17
    assert found["Shop"].remediation.startswith("Create a dedicated application pool per site")


def test_applications_without_a_pool_take_the_server_s_application_defaults() -> None:
    two = config("""      <site name="A" id="1"><application path="/" /></site>
      <site name="B" id="2"><application path="/" /></site>""")
    found = findings(two)
    assert found["A"].status == found["B"].status == "fail"
    assert found["A"].evidence.actual == "pool 'DefaultAppPool' (application /) also serves B"
    unnamed = findings(
        config(
            """      <site name="A" id="1"><application path="/" /></site>
      <site name="B" id="2"><application path="/" /></site>""",
            defaults="",
        )
    )
    assert unnamed["B"].evidence.actual.startswith("pool (no pool named: applicationPool unset")
    assert unnamed["B"].evidence.actual.endswith("also serves A")


def test_one_site_or_none_passes() -> None:
    assert findings(config('      <site name="A" id="1"><application path="/" /><application path="/x" /></site>'))["A"].status == "pass"
    assert findings(config('      <site name="A" id="1" />'))["A"].evidence.actual == "no applications"
    assert [f.status for f in findings(config("")).values()] == ["not_applicable"]


def test_at_server_scope_every_site_is_compared() -> None:
    data = {**_rule_data(), "scope": "server", "check": {"site_pools": {"unique": True}}}
    state = state_from_document({}, MemoryFiles({APPHOST: SHARED}), "web01", "web01")
    (one,) = Evaluator(state).evaluate(catalog_from_data([data], "rules.yml").rules)
    assert one.scope == "server" and one.status == "fail"
    assert one.evidence.actual == "Shop: pool 'ShopPool' (application /) also serves Blog; Blog: pool 'ShopPool' (application /shop-mirror) also serves Shop"


@pytest.mark.parametrize("spec", [{}, {"unique": False}, {"unique": "yes"}, {"unique": True, "except": ["SharePoint"]}])
def test_only_unique_true_is_a_site_pools_check(spec: dict[str, Any]) -> None:
    with pytest.raises(CatalogError, match=r"rules.yml: rule 1 \(t-pools\)"):
        catalog_from_data([{**_rule_data(), "check": {"site_pools": spec}}], "rules.yml")


def test_the_catalog_rule_is_automated_with_a_manual_remediation() -> None:
    assert RULE.check.kind == "site_pools" and RULE.automated and RULE.scope == "site"
    assert next(iter(RULE.remediation)) == "manual"
    assert "SharePoint" in RULE.remediation["manual"]["guidance"]
    assert kind_of("site_pools").summary(RULE.check.spec) == "site_pools: no application pool serves applications of more than one site"


@pytest.mark.skipif(not FILES, reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_applicationhost_config_gets_one_finding_per_site(path: Path) -> None:
    state = state_from_document({}, MemoryFiles({APPHOST: path.read_bytes()}), path.name, path.stem)
    found = Evaluator(state).evaluate((RULE,))
    sites = state.configuration.sites
    if not sites:
        assert [f.status for f in found] == ["not_applicable"]
        return
    assert [f.scope for f in found] == [s.name for s in sites]
    assert {f.status for f in found} <= {"pass", "fail"}
    for failed in (f for f in found if f.status == "fail"):
        assert "also serves" in failed.evidence.actual and failed.evidence.line is not None
