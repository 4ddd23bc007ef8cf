# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.snapshot_write: a gather result becomes a snapshot directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.hoststate import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.snapshot import snapshot_content, write_snapshot

ARGUMENT_SPEC: dict[str, Any] = {"host_state": {"type": "dict", "required": True}, "dest": {"type": "path", "required": True}}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)[1]
        host = str((task_vars or {}).get("inventory_hostname", "localhost"))
        try:
            content = snapshot_content(args["host_state"], host)
        except HostStateError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        dest = Path(args["dest"])
        changed, manifest = write_snapshot(content, dest, check_mode=bool(self._task.check_mode))
        result.update(changed=changed, dest=str(dest), files=len(content) - 1, manifest=manifest)
        return result
