# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A check kind is one module and one entry of one table: the catalog, the audit and the plan all ask the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import KINDS, REMEDIATIONS, kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._checks.base import CheckKind, Evaluation, Workbench
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Rule, catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import plan_host
from ansible_collections.hardened.iis.plugins.plugin_utils._target import probes_of

ROOT = Path(__file__).resolve().parents[5]
WEB02 = ROOT / "inventories" / "lab" / "snapshots" / "web02"
MARKERS = "HKLM\\SOFTWARE\\hardened.iis\\markers"


def rule(check: dict[str, Any], remediation: dict[str, Any], rule_id: str = "t-one") -> dict[str, Any]:
    return {"id": rule_id, "title": rule_id, "severity": "low", "scope": "site", "references": {}, "check": check, "remediation": remediation}


def test_the_table_names_each_kind_by_its_key_in_the_order_messages_list_them() -> None:
    assert list(KINDS) == ["config", "config_collection", "registry", "feature", "service", "file", "app_pools", "site_pools", "acl", "any_of", "manual"]
    assert all(kind.name == name for name, kind in KINDS.items())
    assert REMEDIATIONS == ("config", "config_collection", "registry", "feature", "manual")
    with pytest.raises(
        CatalogError,
        match="'check' must hold exactly one of config, config_collection, registry, feature, service, file, app_pools, site_pools, acl, any_of, manual",
    ):
        catalog_from_data([rule({}, {"manual": {"guidance": "g"}})], "rules.yml")
    with pytest.raises(CatalogError, match=r"remediation must hold exactly one kind \(config, config_collection, registry, feature, manual\)"):
        catalog_from_data([rule({"manual": {"reason": "r", "guidance": "g"}}, {})], "rules.yml")


@pytest.mark.parametrize(
    ("check", "remediation", "message"),
    [
        ({"registry": {"path": "HKLM\\x", "name": "n", "expect": {"equals": "1"}}}, {"config": {"value": "1"}}, "(it takes registry or manual)"),
        ({"service": {"name": "W3SVC", "expect": {"equals": "running"}}}, {"registry": {"value": 1}}, "remediation 'registry' does not fit check 'service'"),
        ({"app_pools": {"attribute": "managedPipelineMode", "expect": {"equals": "Integrated"}}}, {"app_pools": {"value": "x"}}, "(it takes config or manual)"),
    ],
)
def test_a_remediation_the_check_cannot_plan_is_refused_by_name(check: dict[str, Any], remediation: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        catalog_from_data([rule(check, remediation)], "rules.yml")
    assert str(caught.value).startswith("rules.yml: rule 1 (t-one): remediation")
    assert message in str(caught.value)


def test_every_automated_remediation_of_the_catalog_is_planned_by_its_check_kind() -> None:
    for found in load_catalog().rules:
        kind = kind_of(found.check.kind)
        assert found.automated is kind.automated
        assert not found.automated_remediation or next(iter(found.remediation)) == kind.fix, found.id


def test_only_file_checks_ask_a_live_gather_to_probe_paths() -> None:
    rules = load_catalog().rules
    assert probes_of(rules) == tuple(str(r.check.spec["path"]) for r in rules if r.check.kind == "file")
    assert probes_of(rules)


class MarkerCheck(CheckKind):
    """A kind made here: a registry value under MARKERS is set; fixed by setting it."""

    name = "marker"
    required = ("name",)
    fix = "marker"
    host_wide = True

    def evaluate(self, at: Evaluation) -> Finding:
        present, _value = at.state.registry_value(MARKERS, str(at.spec["name"]))
        return at.finding("pass" if present else "fail", Evidence(file=f"marker {at.spec['name']}", actual="set" if present else "not set", expected="set"))

    def describe_fix(self, rule: Rule, fields: dict[str, Any], scope: str) -> str:
        return f"set the marker {rule.check.spec['name']}"

    def plan(self, bench: Workbench, rule: Rule, finding: Finding, fields: dict[str, Any], params: dict[str, Any]) -> bool:
        return bench.set_registry(MARKERS, str(rule.check.spec["name"]), 1, "dword", rule.id)


def test_a_new_kind_is_one_class_and_one_table_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, "marker", MarkerCheck())
    with pytest.raises(CatalogError, match="check 'marker' lacks name"):
        catalog_from_data([rule({"marker": {}}, {"marker": {}})], "rules.yml")
    rules = catalog_from_data([rule({"marker": {"name": "audited"}}, {"marker": {}})], "rules.yml").rules
    state = load_snapshot(WEB02)

    before = Evaluator(state).evaluate(rules)
    plan = plan_host(state, rules)

    assert [(f.status, f.scope, f.remediation) for f in before] == [("fail", "server", "set the marker audited")]
    assert [(r.path, r.name, r.value, r.rule) for r in plan.registry] == [(MARKERS, "audited", 1, "t-one")]
    assert [f.status for f in plan.expected] == ["pass"] and plan.rules == ["t-one"]
