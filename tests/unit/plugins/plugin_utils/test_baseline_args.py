# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks and the score the audit and harden actions share."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import rule_exceptions, score_summary
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding

KNOWN = {"rule-a", "rule-b"}


def test_exceptions_for_known_rules_are_parsed() -> None:
    args: dict[str, Any] = {"params": {"rule-a": {"x": 1}}, "exceptions": [{"rule": "rule-b", "scope": "*", "reason": "approved", "expires": None}]}
    [exception] = rule_exceptions(args, KNOWN)
    assert (exception.rule, exception.reason) == ("rule-b", "approved")


def test_an_exception_for_an_unknown_rule_is_named() -> None:
    """(Organisation values for an unknown rule: tests/unit/plugins/plugin_utils/_core/test_params.py.)"""
    args: dict[str, Any] = {"params": {}, "exceptions": [{"rule": "rule-y", "scope": "*", "reason": "r", "expires": None}]}
    with pytest.raises(CatalogError) as caught:
        rule_exceptions(args, KNOWN)
    assert "exceptions: unknown rule id(s) rule-y" in str(caught.value)


def test_the_score_counts_each_status_and_the_share_that_passes() -> None:
    statuses = ["pass", "pass", "pass", "fail", "manual", "excepted", "error", "not_applicable"]
    findings = [Finding(host="web01", rule_id=f"r{i}", title="t", references={}, severity="high", status=s, scope="server") for i, s in enumerate(statuses)]
    assert score_summary(findings) == {"passed": 3, "failed": 1, "manual": 1, "excepted": 1, "errors": 1, "not_applicable": 1, "score": 0.75}
