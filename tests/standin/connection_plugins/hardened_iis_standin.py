# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Windows host stand-in: Ansible talks to it as to a WinRM host; tests only, never shipped."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.plugins.connection import ConnectionBase

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from standin.host import WindowsHost
from standin.modules import run_module

DOCUMENTATION = r"""
name: hardened_iis_standin
short_description: A Windows host stand-in for the hardened.iis tests
description:
  - Ansible builds the PowerShell module payload exactly as for a WinRM host (the exec wrapper's
    manifest with the module, its module_utils and its arguments); this plugin reads the module's
    name and arguments from that payload and answers with the module's documented result,
    computed from and applied to a directory that plays the host (tests/standin/host.py).
  - It also answers the three raw commands ansible.windows.win_reboot sends (boot time, shutdown,
    LogonUI test). Any other module or command fails, naming it.
options:
  root:
    description: The directory that plays the host (files/, state.yml, standin.yml).
    type: path
    required: true
    vars:
      - name: hardened_iis_standin_root
  unreachable:
    description: Behave as a host that does not answer (every connection attempt fails).
    type: bool
    default: false
    vars:
      - name: hardened_iis_standin_unreachable
"""

_SEPARATOR = b"\n\0\0\0\0\n"
_ENCODED = re.compile(r"-EncodedCommand\s+(\S+)")


def module_name(python_name: str) -> str:
    """The full name a playbook uses for the module the payload names (its Python import path)."""
    found = re.fullmatch(r"ansible_collections\.(\w+)\.(\w+)\.plugins\.modules\.(\w+)", python_name)
    if found:
        return ".".join(found.groups())
    return python_name.replace("ansible.modules.", "ansible.builtin.", 1)


def module_call(payload: bytes) -> tuple[str, dict[str, Any]]:
    """(module name, arguments) from the exec wrapper input Ansible sends for a PowerShell module."""
    _bootstrap, _sep, manifest_json = payload.partition(_SEPARATOR)
    manifest = json.loads(manifest_json)
    for action in manifest["actions"]:
        if action["name"] == "module_wrapper.ps1":
            script = str(action["params"]["Script"])
            variables = {v["Name"]: v["Value"] for v in action["params"].get("Variables", [])}
            return module_name(script.removesuffix(".ps1")), dict(variables.get("complex_args") or {})
    raise AnsibleError("the Windows stand-in received an exec wrapper payload without a module")


class Connection(ConnectionBase):
    transport = "hardened_iis_standin"
    module_implementation_preferences = (".ps1", ".exe", "")
    allow_executable = False
    has_pipelining = True
    allow_extras = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.always_pipeline_modules = True
        self.has_native_async = False
        self._shell_type = "powershell"
        super().__init__(*args, **kwargs)

    def _connect(self) -> Connection:
        if self.get_option("unreachable"):
            raise AnsibleConnectionFailure(f"the Windows stand-in {self._play_context.remote_addr} does not answer (hardened_iis_standin_unreachable)")
        self._connected = True
        return self

    def _host(self) -> WindowsHost:
        return WindowsHost(Path(self.get_option("root")))

    def exec_command(self, cmd: str, in_data: bytes | None = None, sudoable: bool = True) -> tuple[int, bytes, bytes]:
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        if in_data and _SEPARATOR in in_data:
            module, args = module_call(in_data)
            result = run_module(self._host(), module, args)
            return 0, json.dumps(result).encode("utf-8"), b""
        return self._raw_command(cmd)

    def _raw_command(self, cmd: str) -> tuple[int, bytes, bytes]:
        """The raw PowerShell commands of ansible.windows.win_reboot; any other is refused by name."""
        found = _ENCODED.search(cmd)
        script = base64.b64decode(found.group(1)).decode("utf-16-le") if found else cmd
        host = self._host()
        if "LastBootUpTime" in script:
            return 0, str(host.boot_time).encode(), b""
        if "shutdown.exe /r" in script:
            host.reboot()
            host.save()
            return 0, json.dumps({"stdout": "", "stderr": "", "rc": 0}).encode(), b""
        expected = re.search(r"'(success-[0-9a-f-]+)'", script)
        if expected and "Winlogon" in script:
            return 0, expected.group(1).encode(), b""
        raise AnsibleError(f"the Windows stand-in does not run raw commands: {script[:200]!r}; give the step a module with a documented contract")

    def put_file(self, in_path: str, out_path: str) -> None:
        raise AnsibleError(f"the Windows stand-in does not copy files to the host ({in_path} -> {out_path}): no emulation of that step")

    def fetch_file(self, in_path: str, out_path: str) -> None:
        """Copy a file of the host to the controller, as WinRM's fetch does."""
        super().fetch_file(in_path, out_path)
        data = self._host().read(in_path)
        if data is None:
            raise AnsibleError(f"file or module does not exist: {in_path}")
        Path(out_path).parent.mkdir(parents=True, exist_ok=True)
        Path(out_path).write_bytes(data)

    def close(self) -> None:
        self._connected = False

    def reset(self) -> None:
        self.close()
