# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the independent verification reaches a hardened host through pytest-testinfra.

- ``--hosts=local://`` with ``HARDENED_IIS_TESTINFRA_ROOTS`` (a JSON object: name -> directory): snapshot
  and stand-in hosts; testinfra's local backend reads their disks (``files/``) and registry (``state.yml``).
- ``--hosts=winrm://...`` (molecule/windows): testinfra's WinRM backend reads the real host with PowerShell.

Nothing here imports the collection: the checks are written from the benchmark texts, not from our engine.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest
import yaml

ROOTS: dict[str, str] = json.loads(os.environ.get("HARDENED_IIS_TESTINFRA_ROOTS", "{}"))


class IisHost:
    """Files and registry values of one host, by Windows path, read through testinfra."""

    def __init__(self, host: Any, root: Path | None) -> None:
        self.host = host
        self.root = root

    def _local(self, path: str) -> Path:
        assert self.root is not None
        windows = PureWindowsPath(path)
        current = self.root / "files" / windows.drive[0].upper()
        for part in windows.parts[1:]:
            match = next((c for c in current.iterdir() if c.name.casefold() == part.casefold()), None) if current.is_dir() else None
            current = match if match is not None else current / part
        return current

    def read(self, path: str) -> bytes | None:
        if self.root is not None:
            local = self.host.file(str(self._local(path)))
            return local.content if local.exists and local.is_file else None
        script = f"$p = '{path}'; if (Test-Path -LiteralPath $p -PathType Leaf) {{ [Convert]::ToBase64String([IO.File]::ReadAllBytes($p)) }}"
        out = self.host.check_output(script).strip()
        return base64.b64decode(out) if out else None

    def exists(self, path: str) -> bool:
        if self.root is not None:
            return bool(self.host.file(str(self._local(path))).exists)
        return self.host.check_output(f"Test-Path -LiteralPath '{path}'").strip() == "True"

    def registry(self, key: str, name: str) -> Any:
        if self.root is not None:
            state = yaml.safe_load(self.host.file(str(self.root / "state.yml")).content_string) or {}
            values = next((v for k, v in (state.get("registry") or {}).items() if k.casefold() == key.casefold()), None) or {}
            return next((v for k, v in values.items() if k.casefold() == name.casefold()), None)
        provider = key.replace("HKLM\\", "HKLM:\\", 1)
        out = self.host.check_output(f"(Get-ItemProperty -LiteralPath '{provider}' -Name '{name}' -ErrorAction SilentlyContinue).'{name}'").strip()
        return int(out) if out.isdigit() else (out or None)

    def web_configs(self, folders: list[str]) -> list[str]:
        found = []
        for folder in folders:
            if self.root is not None:
                local = self._local(folder)
                if local.is_dir():
                    found += [folder + "\\" + str(p.relative_to(local)).replace("/", "\\") for p in local.rglob("*") if p.name.casefold() == "web.config"]
            else:
                out = self.host.check_output(f"Get-ChildItem -LiteralPath '{folder}' -Filter web.config -Recurse -File | ForEach-Object FullName")
                found += [line.strip() for line in out.splitlines() if line.strip()]
        return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "iis" in metafunc.fixturenames:
        names = sorted(ROOTS) or ["windows"]
        metafunc.parametrize("iis_name", names)


@pytest.fixture
def iis(host: Any, iis_name: str) -> IisHost:
    root = ROOTS.get(iis_name)
    return IisHost(host, Path(root) if root else None)
