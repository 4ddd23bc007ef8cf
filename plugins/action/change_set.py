# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.change_set: read and identify a change set; record or require its approval."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import DEFAULT_CATALOG, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._rollout.change_set import (
    approval_path,
    load_change_set,
    record_approval,
    require_approval,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "path": {"type": "path", "required": True},
    "catalog": {"type": "path"},
    "approvals_dir": {"type": "path"},
    "approval": {"type": "str", "default": "none", "choices": ["none", "record", "require"]},
    "tested": {"type": "dict", "default": {}},
    "approver": {"type": "str"},
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        if args["approval"] != "none" and not args["approvals_dir"]:
            result.update(failed=True, msg=f"approvals_dir: needed to {args['approval']} an approval")
            return result
        change_set = load_change_set(args["path"], load_catalog(args["catalog"] or DEFAULT_CATALOG))
        result["change_set"] = change_set.as_dict()
        if args["approval"] == "record":
            approvals = Path(args["approvals_dir"])
            approver = args["approver"] or getpass.getuser()
            record, written = record_approval(approvals, change_set, args["tested"], approver, check_mode=bool(self._task.check_mode))
            result.update(changed=written, approval=record, approval_path=str(approval_path(approvals, change_set)))
        elif args["approval"] == "require":
            approvals = Path(args["approvals_dir"])
            result.update(approval=require_approval(approvals, change_set), approval_path=str(approval_path(approvals, change_set)))
        return result
