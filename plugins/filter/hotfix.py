# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._hotfix.report import RESULT_KEYS, fleet_csv, fleet_lines, fleet_table


def _results(results: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(results, list):
        raise AnsibleFilterError(f"{name} expects a list of hardened.iis.hotfix_compliance results, not {type(results).__name__}")
    for index, result in enumerate(results):
        if not isinstance(result, dict):
            raise AnsibleFilterError(f"{name}: result {index} is not a mapping")
        missing = [k for k in RESULT_KEYS if k not in result]
        if missing:
            raise AnsibleFilterError(f"{name}: result {index} ({result.get('host', '?')}) lacks {', '.join(missing)}; is it a failed task's result?")
    return results


def hotfix_fleet_table(results: Any) -> list[dict[str, Any]]:
    return fleet_table(_results(results, "hotfix_fleet_table"))


def hotfix_fleet_csv(results: Any) -> str:
    return fleet_csv(fleet_table(_results(results, "hotfix_fleet_csv")))


def hotfix_fleet_summary(results: Any) -> str:
    return "\n".join(fleet_lines(fleet_table(_results(results, "hotfix_fleet_summary"))))


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"hotfix_fleet_table": hotfix_fleet_table, "hotfix_fleet_csv": hotfix_fleet_csv, "hotfix_fleet_summary": hotfix_fleet_summary}
