# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.rollback: undo one hardened.iis.harden apply from its backup."""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.lock import DEFAULT_TIMEOUT

ARGUMENT_SPEC: dict[str, Any] = {
    "backup": {"type": "str", "required": True},
    "snapshot": {"type": "path"},
    "lock_timeout": {"type": "int", "default": DEFAULT_TIMEOUT},
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"rollback of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        outcome = self.target(args, task_vars, host).restore(args["backup"], check_mode=bool(self._task.check_mode))
        result.update(changed=outcome.changed, backup=outcome.backup, restored=outcome.restored, removed=outcome.removed, registry=outcome.registry)
        return result
