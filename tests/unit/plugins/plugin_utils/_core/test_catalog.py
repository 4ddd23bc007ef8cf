# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog refuses what it could not evaluate, naming file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog, parse_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation

RULE = """- id: r-one
  title: One
  severity: medium
  scope: application
  references: {{}}
  check: {check}
  remediation: {{manual: {{guidance: g}}}}
"""


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ("{config: {section: s, attribute: a, expect: {equal: x}}}", "rules.yml: rule 1 (r-one).check.config: unknown operator 'equal'"),
        ("{config: {section: s, expect: {equals: x}}}", "check 'config' lacks attribute"),
        ("{registery: {path: p}}", "unknown check 'registery'"),
        ("{config: {section: s, attribute: a, expect: {in: x}}}", "operator 'in' takes a list"),
        ("{config: {section: s, attribute: a, expect: {matches: '('}}}", "invalid regular expression"),
        ("{config_collection: {section: s}}", "needs exactly one of contains, absent, every, expect_count"),
        ("{config_collection: {section: s, every: {attribute: a}}}", "'every' needs 'attribute' and 'expect'"),
        ("{manual: {reason: r}}", "check 'manual' lacks guidance"),
    ],
)
def test_bad_checks_are_named(check: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(RULE.format(check=check), "rules.yml")
    assert message in str(caught.value)


def test_other_mistakes_are_named() -> None:
    good = RULE.format(check="{manual: {reason: r, guidance: g}}")
    with pytest.raises(CatalogError, match="rule id 'r-one' appears twice"):
        parse_catalog(good + good, "rules.yml")
    with pytest.raises(CatalogError, match=r"rule 1 \(r-one\): severity must be one of low, medium, high"):
        parse_catalog(good.replace("severity: medium", "severity: urgent"), "rules.yml")
    with pytest.raises(CatalogError, match="rule 1: missing 'scope'"):
        parse_catalog(good.replace("  scope: application\n", ""), "rules.yml")
    with pytest.raises(CatalogError, match="id must be lowercase"):
        parse_catalog(good.replace("r-one", "R One"), "rules.yml")
    with pytest.raises(CatalogError, match=r"rules.yml:3: not valid YAML"):
        parse_catalog("- id: x\n  title: [unclosed\n", "rules.yml")
    with pytest.raises(CatalogError, match=r"missing\.yml: cannot read the rule catalog"):
        load_catalog(Path("missing.yml"))
    catalog = parse_catalog(good, "rules.yml")
    with pytest.raises(CatalogError, match=r"unknown rule id\(s\): nope"):
        catalog.select(enabled=["r-one", "nope"])
    assert catalog.select(disabled=["r-one"]) == ()


@pytest.mark.parametrize(
    ("expect", "actual", "holds"),
    [
        ({"equals": "false"}, "False", True),
        ({"equals": False}, "false", True),
        ({"equals": "x"}, None, False),
        ({"not_equals": "running"}, None, True),
        ({"in": ["a", "b"]}, "B", True),
        ({"not_in": ["a"]}, "a", False),
        ({"lte": "{limit}"}, "4096", True),
        ({"lte": 10}, "eleven", False),
        ({"gte": 1}, "0", False),
        ({"matches": "^\\*:443:.+"}, "*:443:www.example.com", True),
        ({"not_matches": "TLS 1\\.0"}, "TLS 1.2", True),
        ({"flags_include": ["UserAgent", "Referer"]}, "Date, UserAgent, Referer", True),
        ({"flags_exclude": ["Write"]}, "Read, Write", False),
        ({"flags_not_together": [["Write", "Script"]]}, "Read, Write", True),
        ({"flags_not_together": [["Write", "Script"]]}, "Read, Write, Script", False),
        ({"not_on_system_drive": True}, "%SystemDrive%\\inetpub\\logs", False),
        ({"not_on_system_drive": True}, "D:\\logs", True),
        ({"present": True}, None, False),
    ],
)
def test_expectations(expect: dict[str, object], actual: str | None, holds: bool) -> None:
    assert Expectation.parse(expect, "t").holds(actual, {"limit": 4096}) is holds
