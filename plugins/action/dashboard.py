# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.dashboard: the fleet dashboard from the report directory, on the controller."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.publish import publish

ARGUMENT_SPEC: dict[str, Any] = {
    "report_dir": {"type": "path", "required": True},
    "title": {"type": "str", "default": "hardened.iis fleet dashboard"},
    "keep_runs": {"type": "int", "default": 30},
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return "dashboard"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        if args["keep_runs"] < 1:
            result.update(failed=True, msg=f"keep_runs: {args['keep_runs']} is below 1")
            return result
        report_dir = Path(args["report_dir"])
        if not report_dir.is_dir():
            result.update(failed=True, msg=f"report_dir: {report_dir} is not a directory")
            return result
        published = publish(report_dir, args["title"], args["keep_runs"], check_mode=bool(self._task.check_mode))
        result.update(
            changed=bool(published.written) or published.run_stored,
            run=published.run,
            run_stored=published.run_stored,
            html=str(published.html),
            markdown=str(published.markdown),
            csv=str(published.csv),
            written=published.written,
            summary=published.summary,
            fleet_score=published.fleet_score,
            hosts=published.hosts,
        )
        return result
