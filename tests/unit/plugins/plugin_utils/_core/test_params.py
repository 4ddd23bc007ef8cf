# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Organisation values are checked against each rule's declared parameters before anything changes (issue 17, section 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._core.params import Param, checked_overrides

ROOT = Path(__file__).resolve().parents[5]
CATALOG = load_catalog()
DECLARED = {rule.id: rule.param_specs for rule in CATALOG.rules}
VARIABLE = "params (hardened_iis_params)"


def test_every_parameter_of_the_collections_catalog_declares_its_type() -> None:
    data = yaml.safe_load((ROOT / "rules" / "iis10.yml").read_text(encoding="utf-8"))
    bare = [f"{r['id']}.{name}" for r in data for name, value in (r.get("params") or {}).items() if not isinstance(value, dict) or "type" not in value]
    assert bare == []
    assert sum(len(specs) for specs in DECLARED.values()) >= 8


@pytest.mark.parametrize(
    ("given", "expected"),
    [("2048", 2048), (2048, 2048), (" 2048 ", 2048), ("0", 0)],
)
def test_a_number_from_text_is_converted_as_extra_vars_and_surveys_give_it(given: Any, expected: int) -> None:
    assert checked_overrides({"iis-request-max-url": {"max_url": given}}, DECLARED, VARIABLE) == {"iis-request-max-url": {"max_url": expected}}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"iis-request-max-url": {"max_url": "four thousand"}},
            "params (hardened_iis_params)['iis-request-max-url']['max_url']: 'four thousand' is not allowed: max_url takes a whole number from 0 to 4294967295",
        ),
        ({"iis-request-max-url": {"max_url": True}}, "True is not allowed"),
        ({"iis-request-max-url": {"max_url": 4294967296}}, "4294967296 is not allowed"),
        ({"iis-request-max-url": {"max_url": "20.5"}}, "'20.5' is not allowed"),
        ({"iis-request-max-url": {"max_urll": 2048}}, "unknown parameter 'max_urll' (did you mean 'max_url'?) (rule iis-request-max-url takes max_url)"),
        ({"iis-request-max-urll": {"max_url": 2048}}, "unknown rule id 'iis-request-max-urll' (did you mean 'iis-request-max-url'?)"),
        ({"iis-directory-browsing-off": {"enabled": "false"}}, "rule iis-directory-browsing-off takes no parameters"),
        ({"iis-bindings-approved-ports": {"allowed_ports": "80,443"}}, "allowed_ports takes text matching"),
        ({"hsts-max-age": {"hsts_max_age": 0}}, "hsts_max_age takes a whole number from 1"),
        ({"iis-request-max-url": 2048}, "must map a parameter name to its value"),
        (["iis-request-max-url"], "must map a rule id to its values"),
    ],
)
def test_a_value_a_parameter_does_not_take_is_refused_naming_variable_rule_and_what_is_allowed(values: Any, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        checked_overrides(values, DECLARED, VARIABLE)
    assert message in str(caught.value)
    assert str(caught.value).startswith(VARIABLE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"default": 1}, "has 'default' and 'type'"),
        ({"default": 1, "type": "float"}, "has 'default' and 'type'"),
        ({"default": 1, "type": "int", "maximum": 3}, "has 'default' and 'type'"),
        ({"default": 5, "type": "int", "max": 3}, "5 is not allowed"),
        ({"default": "a", "type": "str", "pattern": "("}, "pattern is not a regular expression"),
        ({"default": 1, "type": "int", "min": "1"}, "min and max are whole numbers"),
        (1.5, "a parameter is a default"),
    ],
)
def test_a_parameter_declaration_that_cannot_be_used_is_refused(data: Any, message: str) -> None:
    rule = {
        "id": "t-rule",
        "title": "t",
        "severity": "low",
        "scope": "server",
        "references": {},
        "params": {"limit": data},
        "check": {"manual": {"reason": "r", "guidance": "g"}},
        "remediation": {"manual": {"guidance": "g"}},
    }
    with pytest.raises(CatalogError, match=r"t\.yml: rule 1 \(t-rule\)\.params\.limit"):
        catalog_from_data([rule], "t.yml")
    with pytest.raises(CatalogError) as caught:
        catalog_from_data([rule], "t.yml")
    assert message in str(caught.value)


def test_choices_are_offered_by_name() -> None:
    mode = Param.parse("mode", {"default": "Off", "type": "str", "choices": ["Off", "On"]}, "x")
    assert mode.value("On", "v") == "On"
    with pytest.raises(CatalogError, match="mode takes one of Off, On"):
        mode.value("Sometimes", "v")


def test_the_remediation_text_uses_the_organisations_value() -> None:
    state = load_snapshot(ROOT / "inventories" / "lab" / "snapshots" / "web01")
    rule = CATALOG.rule("iis-request-max-url")
    overrides = checked_overrides({rule.id: {"max_url": "2048"}}, DECLARED, VARIABLE)
    failing = [f for f in Evaluator(state, overrides).evaluate((rule,)) if f.status == "fail"]
    assert failing and all("lte 2048" in str(f.evidence.expected) for f in failing)
    assert all("@maxUrl = 2048 at " in f.remediation and "4096" not in f.remediation for f in failing)
