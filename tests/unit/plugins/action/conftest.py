# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugins instantiated as Ansible does (ansible.windows style), their module calls answered by the stand-in."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

import pytest
from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.template import Templar
from standin.host import WindowsHost
from standin.modules import run_module

ROOT = Path(__file__).resolve().parents[4]
LAB = ROOT / "inventories" / "lab" / "snapshots"


class Runner:
    """Runs one action plugin for a host; its module calls go to the stand-in host ``root``."""

    def __init__(self, root: Path | None) -> None:
        self.root = root
        self.calls: list[str] = []
        self.before_call: Callable[[str], None] | None = None

    def execute(self, module_name: str, module_args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
        self.calls.append(module_name)
        if self.before_call is not None:
            self.before_call(module_name)
        if self.root is None:
            raise AssertionError(f"a snapshot or gathered host made a module call ({module_name})")
        return run_module(WindowsHost(self.root), module_name, {**module_args, "_ansible_check_mode": check_mode})

    def fetch(self, remote: str, local: str) -> None:
        """The connection's fetch_file: a file of the stand-in host copied to the controller."""
        self.calls.append(f"fetch {remote}")
        data = WindowsHost(self.root).read(remote) if self.root is not None else None
        if data is None:
            raise FileNotFoundError(remote)
        Path(local).write_bytes(data)

    def run(
        self, action_class: type, args: dict[str, Any], *, host: str = "web01", check_mode: bool = False, diff: bool = False, **host_vars: Any
    ) -> dict[str, Any]:
        task = MagicMock()
        task.args = args
        task.check_mode = check_mode
        task.diff = diff
        task.async_val = 0
        task.action = action_class.__module__.rsplit(".", 1)[-1]
        connection = MagicMock()
        connection._shell.SHELL_FAMILY = "powershell"
        connection.fetch_file.side_effect = self.fetch
        loader = DataLoader()
        action = action_class(task, connection, PlayContext(), loader, Templar(loader=loader), None)
        action._execute_module = lambda module_name, module_args, task_vars, **_kw: self.execute(module_name, module_args, check_mode)
        result: dict[str, Any] = action.run(task_vars={"inventory_hostname": host, **host_vars})
        return result


@pytest.fixture
def standin(tmp_path: Path) -> Callable[[str], tuple[Runner, Path]]:
    """A stand-in host made from a copy of a lab snapshot, and a runner whose module calls reach it."""

    def make(lab_host: str) -> tuple[Runner, Path]:
        root = tmp_path / "hosts" / lab_host
        shutil.copytree(LAB / lab_host, root)
        return Runner(root), root

    return make
