# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The backup format both targets write before an apply, and read back for a rollback.

A backup is a folder named by its id (``20261206T041500123456Z``: UTC, microseconds) holding
``backup.json`` and the copies of the files it covers (``files/<n>.bak``). ``backup.json``
(format 2, docs/host-state.md "Backups")::

    {"format": 2, "id": "...", "created": "2026-12-06T04:15:00.123456Z",
     "files": [{"path": "C:\\inetpub\\shop\\web.config", "existed": true,
                "sha256": "<the file's SHA-256 when it was backed up>", "copy": "files/0.bak"}],
     "registry": [{"path": "HKLM\\...\\TLS 1.0\\Server", "name": "Enabled", "existed": true,
                   "type": "dword", "value": 1}],
     "state": {"copy": "state.yml", "sha256": "..."}}

``state`` is written by snapshot targets only: a snapshot's registry and features live in
its ``state.yml``, which is put back byte for byte. A live host's registry values are put
back one by one, with their type. A restore compares first and writes only what differs,
so a second restore changes nothing.

Format 1 (written by the first release for snapshots: ``{"files": [{"path": "files/C/...",
"existed": true}]}``, copies beside it under the same relative paths) is still read.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

FORMAT = 2
MANIFEST = "backup.json"
ID_PATTERN = re.compile(r"^\d{8}T\d{6}\d{3,6}Z$")
REGISTRY_TYPES = ("dword", "qword", "string", "expandstring", "multistring", "binary")


class BackupFormatError(HardenedIisError, ValueError):
    """A backup.json that does not follow the format; the message names the entry."""


def new_backup_id(now: datetime.datetime | None = None) -> str:
    """The id of a backup made now: its UTC time to the microsecond (sorts by age)."""
    moment = (now or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    return moment.strftime("%Y%m%dT%H%M%S%fZ")


def is_backup_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))


def registry_type_of(value: Any) -> str:
    """The registry type a snapshot's value has (state.yml keeps values, not their types)."""
    if isinstance(value, bool) or not isinstance(value, (int, list, str)):
        raise BackupFormatError(f"a registry value of type {type(value).__name__} has no registry type")
    if isinstance(value, int):
        return "dword" if 0 <= value <= 0xFFFFFFFF else "qword"
    return "multistring" if isinstance(value, list) else "string"


@dataclass(frozen=True)
class FileEntry:
    path: str
    """The host's path (``C:\\...``); format 1: the path relative to the snapshot."""
    existed: bool
    sha256: str | None = None
    copy: str | None = None
    """Where the copy lies, relative to the backup folder (None when the file did not exist)."""

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "existed": self.existed, "sha256": self.sha256, "copy": self.copy}


@dataclass(frozen=True)
class RegistryEntry:
    path: str
    name: str
    existed: bool
    type: str | None = None
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "name": self.name, "existed": self.existed, "type": self.type, "value": self.value}


@dataclass(frozen=True)
class BackupManifest:
    id: str
    format: int = FORMAT
    created: str = ""
    files: tuple[FileEntry, ...] = ()
    registry: tuple[RegistryEntry, ...] = ()
    state: dict[str, str] | None = None

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": self.format,
            "id": self.id,
            "created": self.created,
            "files": [f.as_dict() for f in self.files],
            "registry": [r.as_dict() for r in self.registry],
        }
        if self.state is not None:
            document["state"] = dict(self.state)
        return document


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BackupFormatError(f"{where}: '{key}' must be a non-empty string, not {value!r}")
    return value


def _copy_name(entry: dict[str, Any], where: str) -> str | None:
    copy = _text(entry, "copy", where, required=False)
    if copy is not None and (copy.startswith(("/", "\\")) or ".." in re.split(r"[\\/]", copy) or ":" in copy):
        raise BackupFormatError(f"{where}: copy {copy!r} is not inside the backup folder")
    return copy


def parse_manifest(document: Any, backup_id: str, source: str) -> BackupManifest:
    """A backup.json document (format 1 or 2) as a manifest; every entry is checked."""
    if not isinstance(document, dict):
        raise BackupFormatError(f"{source}: not a JSON object")
    version = document.get("format", 1)
    if version not in (1, FORMAT):
        raise BackupFormatError(f"{source}: format {version!r} is not known (this release reads 1 and {FORMAT})")
    entries = document.get("files")
    if not isinstance(entries, list):
        raise BackupFormatError(f"{source}: 'files' must be a list")
    files = []
    for index, entry in enumerate(entries):
        where = f"{source}: files[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("existed"), bool):
            raise BackupFormatError(f"{where}: needs 'path' and 'existed' (true or false)")
        path = str(_text(entry, "path", where))
        if version == 1:
            files.append(FileEntry(path, entry["existed"], copy=path if entry["existed"] else None))
            continue
        copy = _copy_name(entry, where)
        if entry["existed"] != (copy is not None):
            raise BackupFormatError(f"{where}: a file that existed has a copy, one that did not has none")
        files.append(FileEntry(path, entry["existed"], _text(entry, "sha256", where, required=entry["existed"]), copy))
    registry = []
    for index, entry in enumerate(document.get("registry") or []):
        where = f"{source}: registry[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("existed"), bool):
            raise BackupFormatError(f"{where}: needs 'path', 'name' and 'existed'")
        kind = entry.get("type")
        if entry["existed"] and kind not in REGISTRY_TYPES:
            raise BackupFormatError(f"{where}: 'type' must be one of {', '.join(REGISTRY_TYPES)}, not {kind!r}")
        registry.append(RegistryEntry(str(_text(entry, "path", where)), str(_text(entry, "name", where)), entry["existed"], kind, entry.get("value")))
    state = document.get("state")
    if state is not None:
        if not isinstance(state, dict):
            raise BackupFormatError(f"{source}: 'state' must be an object")
        copy = _copy_name(state, f"{source}: state")
        state = {"copy": str(copy), "sha256": str(_text(state, "sha256", f"{source}: state"))}
    return BackupManifest(id=backup_id, format=version, created=str(document.get("created", "")), files=tuple(files), registry=tuple(registry), state=state)
