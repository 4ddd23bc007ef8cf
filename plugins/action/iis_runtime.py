# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.iis_runtime: stop or start sites and application pools through the host's target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._target import LiveTarget

ARGUMENT_SPEC: dict[str, Any] = {
    "stop_sites": {"type": "list", "elements": "str", "default": []},
    "stop_app_pools": {"type": "list", "elements": "str", "default": []},
    "start_sites": {"type": "list", "elements": "str", "default": []},
    "start_app_pools": {"type": "list", "elements": "str", "default": []},
    "snapshot": {"type": "path"},
}


def _site_state(entry: dict[str, Any]) -> str:
    return str(entry.get("state"))


def _pool_state(entry: dict[str, Any]) -> str:
    return str((entry.get("attributes") or {}).get("state"))


# (kind, info module, the list it returns, how a state is read from an entry, the module that changes it)
KINDS: dict[str, tuple[str, str, Callable[[dict[str, Any]], str], str]] = {
    "sites": ("microsoft.iis.website_info", "site", _site_state, "microsoft.iis.website"),
    "app_pools": ("microsoft.iis.web_app_pool_info", "app_pools", _pool_state, "microsoft.iis.web_app_pool"),
}


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"runtime of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        target = self.target(args, task_vars, host)
        stopped: dict[str, list[str]] = {"sites": [], "app_pools": []}
        started: dict[str, list[str]] = {"sites": [], "app_pools": []}
        result.update(runtime=isinstance(target, LiveTarget), stopped=stopped, started=started, target=target.kind, remote_calls=0, changed=False)
        if not isinstance(target, LiveTarget):
            return result
        try:
            for kind, (info, key, state_of, module) in KINDS.items():
                stop, start = args[f"stop_{kind}"], args[f"start_{kind}"]
                if not stop and not start:
                    continue
                states = {str(e.get("name")): state_of(e) for e in target.call(info, {}).get(key) or []}
                stopped[kind] = [n for n in stop if states.get(n) == "Started"]
                started[kind] = [n for n in start if states.get(n) == "Stopped"]
                for name in stopped[kind]:
                    target.call(module, {"name": name, "state": "stopped"})
                for name in started[kind]:
                    target.call(module, {"name": name, "state": "started"})
        finally:  # a failed call is reported with the calls made
            result["remote_calls"] = target.calls
        result["changed"] = any(stopped.values()) or any(started.values())
        return result
