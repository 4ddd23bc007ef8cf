# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.rollback: undo one hardened.iis.harden apply from its backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import snapshot_of
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import ApplyError, restore_backup

ARGUMENT_SPEC: dict[str, Any] = {
    "backup": {"type": "str", "required": True},
    "snapshot": {"type": "path"},
}


class ActionModule(ControllerAction):
    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result, task_vars, args, host = self.begin(tmp, task_vars, ARGUMENT_SPEC)
        snapshot = snapshot_of(args, task_vars, self._templar)
        if not snapshot:
            restored = dict(self._execute_module(module_name="hardened.iis.iis_restore", module_args={"backup": args["backup"]}, task_vars=task_vars))
            result.update(restored)
            return result
        try:
            outcome = restore_backup(Path(snapshot), args["backup"], check_mode=bool(self._task.check_mode))
        except ApplyError as exc:
            result.update(failed=True, msg=f"rollback of {host}: {exc}")
            return result
        result.update(
            changed=bool(outcome.restored or outcome.removed),
            backup=outcome.backup,
            restored=outcome.restored,
            removed=outcome.removed,
        )
        return result
