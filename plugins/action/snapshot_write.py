# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.snapshot_write: a gather result becomes a snapshot directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.snapshot import snapshot_content, write_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._target import catalog_probes

ARGUMENT_SPEC: dict[str, Any] = {"host_state": {"type": "dict"}, "dest": {"type": "path", "required": True}}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"snapshot of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        target = self.target(args, task_vars, host)
        content = snapshot_content(target.collect(probes=catalog_probes()), host)
        dest = Path(args["dest"])
        changed, manifest = write_snapshot(content, dest, check_mode=bool(self._task.check_mode))
        result.update(changed=changed, dest=str(dest), files=len(content) - 1, manifest=manifest, target=target.kind, remote_calls=target.calls)
        return result
