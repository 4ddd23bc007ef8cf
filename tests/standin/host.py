# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Windows host the stand-in plays: a directory in the snapshot layout, changed as a host would be.

``files/`` are its drives (``files/C/Windows/...``), ``state.yml`` its registry, features,
services, updates and facts (docs/host-state.md), and ``standin.yml`` what a snapshot does
not keep but a host has: each registry value's type, the boot time, firewall rules and
profiles. Paths compare without case, as on Windows; every path is confined to ``files/``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path, PureWindowsPath
from typing import Any

import yaml

REGISTRY_TYPES = ("dword", "qword", "string", "expandstring", "multistring", "binary")


class HostPathError(ValueError):
    """A path the host cannot have (not absolute, or outside its drives)."""


def _type_of(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "dword" if 0 <= value <= 0xFFFFFFFF else "qword"
    return "multistring" if isinstance(value, list) else "string"


class WindowsHost:
    def __init__(self, root: Path) -> None:
        self.root = root
        if not (root / "files").is_dir():
            raise HostPathError(f"{root}: no files/ folder: not a stand-in host")
        self.reload()

    def reload(self) -> None:
        """Read the registry, features and the rest again: a module that waited for the host's lock sees what the holder wrote."""
        self.state: dict[str, Any] = yaml.safe_load((self.root / "state.yml").read_text(encoding="utf-8")) or {}
        extra = self.root / "standin.yml"
        self.extra: dict[str, Any] = (yaml.safe_load(extra.read_text(encoding="utf-8")) if extra.is_file() else None) or {}
        self._loaded = self._fingerprint()

    def _fingerprint(self) -> str:
        return json.dumps([self.state, self.extra], sort_keys=True, default=str)

    # --- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        """Write state.yml and standin.yml back, only when a module changed them (a read leaves their bytes)."""
        if self._fingerprint() == self._loaded:
            return
        for name, document in (("state.yml", self.state), ("standin.yml", self.extra)):
            # Through a temporary file and a rename, as the registry changes a value: a reader sees it before or after.
            temporary = self.root / f".{name}.{uuid.uuid4().hex}.saving"
            temporary.write_text("---\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
            temporary.replace(self.root / name)
        self._loaded = self._fingerprint()

    # --- files -----------------------------------------------------------------------------

    @property
    def environment(self) -> dict[str, str]:
        environment = {"SystemDrive": "C:", "SystemRoot": "C:\\Windows", "windir": "C:\\Windows", "ProgramData": "C:\\ProgramData"}
        environment.update({str(k): str(v) for k, v in (self.state.get("environment") or {}).items()})
        return environment

    def expand(self, path: str) -> str:
        """%Variables% expanded as the host's environment has them (case-insensitive)."""
        for name, value in self.environment.items():
            for spelling in (name, name.upper(), name.lower()):
                path = path.replace(f"%{spelling}%", value)
        return path

    def local(self, path: str) -> Path:
        """The stand-in file of a host path: existing folders keep their spelling; never outside files/."""
        windows = PureWindowsPath(self.expand(path))
        if not windows.drive or not windows.root or windows.drive.startswith("\\\\"):
            raise HostPathError(f"{path!r}: not an absolute path on a drive of the host")
        parts = list(windows.parts[1:])
        if any(p in ("..", ".") for p in parts):
            raise HostPathError(f"{path!r}: '..' and '.' are not allowed in a host path here")
        current = self.root / "files" / windows.drive[0].upper()
        for part in parts:
            match = None
            if current.is_dir():
                match = next((c for c in current.iterdir() if c.name.casefold() == part.casefold()), None)
            current = match if match is not None else current / part
        resolved = current.resolve()
        if not resolved.is_relative_to((self.root / "files").resolve()):
            raise HostPathError(f"{path!r}: leaves the host's drives")
        return current

    def windows_path(self, local: Path) -> str:
        parts = local.relative_to(self.root / "files").parts
        return parts[0] + ":\\" + "\\".join(parts[1:])

    def read(self, path: str) -> bytes | None:
        local = self.local(path)
        return local.read_bytes() if local.is_file() else None

    def sha256(self, path: str) -> str | None:
        data = self.read(path)
        return hashlib.sha256(data).hexdigest() if data is not None else None

    def write(self, path: str, data: bytes) -> None:
        local = self.local(path)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(data)

    def remove(self, path: str) -> None:
        self.local(path).unlink(missing_ok=True)

    # --- registry ----------------------------------------------------------------------------

    @staticmethod
    def _key_name(path: str) -> str:
        return path.replace("HKLM:\\", "HKLM\\").replace("HKEY_LOCAL_MACHINE\\", "HKLM\\")

    def _values(self, path: str, create: bool = False) -> dict[str, Any] | None:
        registry = self.state.setdefault("registry", {}) if create else (self.state.get("registry") or {})
        wanted = self._key_name(path).casefold()
        key = next((k for k in registry if str(k).casefold() == wanted), None)
        if key is None:
            if not create:
                return None
            key = self._key_name(path)
            registry[key] = {}
        if registry[key] is None:
            registry[key] = {}
        values: dict[str, Any] = registry[key]
        return values

    def registry_entry(self, path: str, name: str) -> dict[str, Any]:
        """{path, name, existed, type, value} of a value now."""
        values = self._values(path) or {}
        found = next((n for n in values if str(n).casefold() == name.casefold()), None)
        if found is None:
            return {"path": path, "name": name, "existed": False, "type": None, "value": None}
        value = values[found]
        kind = (self.extra.get("registry_types") or {}).get(f"{self._key_name(path)}\\{found}".casefold()) or _type_of(value)
        return {"path": path, "name": name, "existed": True, "type": kind, "value": value}

    def set_registry(self, path: str, name: str, kind: str, value: Any) -> None:
        if kind not in REGISTRY_TYPES:
            raise ValueError(f"registry type {kind!r} is not one of {', '.join(REGISTRY_TYPES)}")
        values = self._values(path, create=True)
        assert values is not None
        for existing in [n for n in values if str(n).casefold() == name.casefold()]:
            del values[existing]
        values[name] = value
        self.extra.setdefault("registry_types", {})[f"{self._key_name(path)}\\{name}".casefold()] = kind

    def delete_registry(self, path: str, name: str) -> None:
        values = self._values(path) or {}
        for existing in [n for n in values if str(n).casefold() == name.casefold()]:
            del values[existing]
        (self.extra.get("registry_types") or {}).pop(f"{self._key_name(path)}\\{name}".casefold(), None)

    # --- features, services, boot ------------------------------------------------------------

    def feature(self, name: str) -> str | None:
        features = self.state.get("features") or {}
        return next((v for k, v in features.items() if k.casefold() == name.casefold()), None)

    def set_feature(self, name: str, state: str) -> None:
        features = self.state.setdefault("features", {})
        key = next((k for k in features if k.casefold() == name.casefold()), name)
        features[key] = state

    @property
    def boot_time(self) -> int:
        return int(self.extra.get("boot_time", 133000000000000000))

    def reboot(self) -> None:
        self.extra["boot_time"] = self.boot_time + 600 * 10_000_000
        self.extra["reboots"] = int(self.extra.get("reboots", 0)) + 1
