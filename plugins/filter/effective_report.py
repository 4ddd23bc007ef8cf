# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._effective_report import format_report

REQUIRED_KEYS = ("host", "kind", "scope", "setting", "value", "source")


def effective_report(rows: list[dict[str, Any]]) -> str:
    """Format rows of the effective_config lookup as an aligned text listing."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise AnsibleFilterError("effective_report expects the list of rows returned by the hardened.iis.effective_config lookup")
    for index, row in enumerate(rows):
        missing = [k for k in REQUIRED_KEYS if k not in row]
        if missing:
            raise AnsibleFilterError(f"effective_report: row {index} lacks {', '.join(missing)}")
    return format_report(rows)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"effective_report": effective_report}
