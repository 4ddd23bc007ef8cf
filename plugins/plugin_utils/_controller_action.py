# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base of the collection's actions, whose decisions run on the controller.

``run`` validates the arguments against the action's ``argument_spec`` and calls its ``act``. It is
the one place an error is caught: a :class:`HardenedIisError` (every error the collection raises
on purpose, ``plugins/module_utils/_errors.py``) fails the task with its message after what the
action was doing (``audit of web01: …``, the action's ``subject``); anything else is a bug and
reaches Ansible as one.

An interrupted apply that the host's target finds (and restores, outside check mode) is reported
in the result ``begin`` returned, which every action returns: ``recovered_interrupted_apply``
(or ``interrupted_apply`` when it was only found) and a warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from ansible.plugins.action import ActionBase

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.intent import parent_watch
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.lock import DEFAULT_TIMEOUT
from ansible_collections.hardened.iis.plugins.plugin_utils._target import Target, target_for


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    argument_spec: ClassVar[dict[str, Any]] = {}
    """The action's arguments (its documentation's options)."""

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result, task_vars, args, host = self.begin(tmp, task_vars, self.argument_spec)
        try:
            return self.act(result, task_vars, args, host)
        except HardenedIisError as exc:
            result.update(failed=True, **self.failure(exc, args, host))
            return result

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        """The action's work on ``result`` (returned); a HardenedIisError fails the task with its message."""
        raise NotImplementedError

    def subject(self, args: dict[str, Any], host: str) -> str:
        """What the action does, to open a failure's message (``audit of web01``); empty: the message alone."""
        return ""

    def failure(self, error: HardenedIisError, args: dict[str, Any], host: str) -> dict[str, Any]:
        """What a failed task reports besides ``failed``: the error's message after the subject."""
        subject = self.subject(args, host)
        return {"msg": f"{subject}: {error}" if subject else str(error)}

    def begin(self, tmp: str | None, task_vars: dict[str, Any] | None, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], str]:
        """The result to fill in, the task variables, the validated arguments and the host's name."""
        result = dict(super().run(tmp, task_vars))
        self._reported = result
        task_vars = task_vars or {}
        # Plain Python data from here on: Ansible's tagged values do not serialise everywhere (YAML).
        args = json.loads(json.dumps(self.validate_argument_spec(argument_spec=spec)[1]))
        return result, task_vars, args, str(task_vars.get("inventory_hostname", "localhost"))

    def target(self, args: dict[str, Any], task_vars: dict[str, Any], host: str) -> Target:
        """The host's target (snapshot, gather result or live), chosen in ``_target.target_for``."""

        def execute(module: str, module_args: dict[str, Any]) -> dict[str, Any]:
            return dict(self._execute_module(module_name=module, module_args=module_args, task_vars=task_vars))

        def fetch(remote: str, local: Path) -> None:
            self._connection.fetch_file(remote, str(local))

        target = target_for(host, args, task_vars, self._templar, execute, fetch)
        target.check_mode = bool(self._task.check_mode)
        target.lock_timeout = float(DEFAULT_TIMEOUT if args.get("lock_timeout") is None else args["lock_timeout"])
        target.purpose = f"{self._task.action} of {host}"
        target.watch = parent_watch()

        def notify(key: str, found: dict[str, Any], message: str) -> None:
            self._reported[key] = found
            self._reported.setdefault("warnings", []).append(f"{host}: {message}")

        target.notify = notify
        return target
