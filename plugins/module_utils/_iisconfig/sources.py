# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where the engine reads a host's files from: a snapshot directory or memory.

Paths are Windows paths (``C:\\inetpub\\wwwroot\\web.config``), compared without
regard to case as Windows does. A snapshot mirrors the host's drives under
``files/``: ``files/C/inetpub/wwwroot/web.config``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from .errors import ConfigError

DEFAULT_ENVIRONMENT: dict[str, str] = {
    "SystemDrive": "C:",
    "SystemRoot": "C:\\Windows",
    "windir": "C:\\Windows",
    "ProgramFiles": "C:\\Program Files",
    "ProgramFiles(x86)": "C:\\Program Files (x86)",
    "ProgramData": "C:\\ProgramData",
}
"""Environment of a default Windows Server install, used where a host gives none."""

ENVIRONMENT_SOURCE = "the host's environment"
"""What an error about an environment variable names when no file is known."""

APPHOST_CONFIG = "%windir%\\System32\\inetsrv\\config\\applicationHost.config"
SCHEMA_DIR = "%windir%\\System32\\inetsrv\\config\\schema"
MACHINE_CONFIG = "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\machine.config"
ROOT_WEB_CONFIG = "%windir%\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\web.config"

_VARIABLE = re.compile(r"%([^%\\/]+)%")
_DRIVE = re.compile(r"[A-Za-z]:")
_LOCAL_PATH = re.compile(r"[A-Za-z]:\\[^\x00-\x1f\x7f<>\"|?*%/:]*")
"""An absolute path on a local drive, without control or wildcard characters, ``%`` or ``/``."""


def environment_problem(name: str, value: object) -> str | None:
    """What is wrong with a host's environment variable for expanding paths, or None.

    Hosts send their environment (``SystemDrive``, ``SystemRoot``, ``windir``,
    ``ProgramFiles``); it expands the paths of sites and configuration files. A value
    is either a drive (``C:``, what ``SystemDrive`` must be) or an absolute path on a
    drive (``C:\\Windows``) without ``.`` or ``..`` folders, control or wildcard characters: nothing
    else names a folder IIS reads, and anything else could steer a path elsewhere.
    """
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if name.casefold() == "systemdrive":
        return None if _DRIVE.fullmatch(value) else "must be a drive letter and a colon, such as C:"
    if _DRIVE.fullmatch(value):
        return None
    if not _LOCAL_PATH.fullmatch(value):
        return "must be a drive (C:) or an absolute path on a drive (C:\\Windows) without control or wildcard characters, % or /"
    if any(part and not part.strip(". ") for part in value.split("\\")):
        return "must not contain a '.' or '..' folder (Windows also strips trailing dots and spaces)"
    return None


def checked_environment(environment: Mapping[str, object], source: str) -> dict[str, str]:
    """The environment with every value checked (``environment_problem``); ConfigError names
    ``source`` and the first variable that is wrong."""
    checked: dict[str, str] = {}
    for name, value in environment.items():
        problem = environment_problem(str(name), value)
        if problem is not None:
            raise ConfigError(source, f"environment variable {name}={value!r}: {problem}")
        checked[str(name)] = str(value)
    return checked


def expand(path: str, environment: dict[str, str]) -> str:
    """Expand %VARIABLE% references the way Windows does (names without case)."""
    folded = {k.casefold(): v for k, v in environment.items()}

    def replace(match: re.Match[str]) -> str:
        return folded.get(match.group(1).casefold(), match.group(0))

    return _VARIABLE.sub(replace, path)


def normalize(path: str) -> str:
    """A Windows path in one canonical spelling: backslashes, no doubled or trailing ones."""
    cleaned = path.replace("/", "\\")
    prefix = "\\\\" if cleaned.startswith("\\\\") else ""
    parts = [p for p in cleaned.split("\\") if p not in ("", ".")]
    return prefix + "\\".join(parts)


def parent(path: str) -> str:
    """The folder of a Windows path ('' for a bare name)."""
    normalized = normalize(path)
    return normalized.rsplit("\\", 1)[0] if "\\" in normalized else ""


def join(*parts: str) -> str:
    return normalize("\\".join(p for p in parts if p))


class FileSource(Protocol):
    """Read access to a host's files by Windows path."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is no such file."""

    def list_dir(self, path: str) -> list[str]:
        """The names of the files in a directory (empty when it does not exist)."""

    def exists(self, path: str) -> bool:
        """Whether a file or folder exists."""

    def find(self, folder: str, name: str) -> list[str]:
        """Windows paths of the files called ``name`` (without case) anywhere below ``folder``."""


class MemoryFiles:
    """Files held in memory, for tests and for host state received from a gather."""

    def __init__(self, files: dict[str, bytes], present: set[str] | None = None) -> None:
        self._files = {normalize(k).casefold(): (normalize(k), v) for k, v in files.items()}
        self._present = {normalize(p).casefold() for p in present or ()}
        """Paths known to exist whose content was not read (a gather's probes of files and folders)."""

    def read(self, path: str) -> bytes | None:
        found = self._files.get(normalize(path).casefold())
        return found[1] if found else None

    def exists(self, path: str) -> bool:
        key = normalize(path).casefold()
        return key in self._files or key in self._present or any(k.startswith(key + "\\") for k in self._files)

    def find(self, folder: str, name: str) -> list[str]:
        prefix = normalize(folder).casefold() + "\\"
        wanted = "\\" + name.casefold()
        return sorted(original for key, (original, _content) in self._files.items() if key.startswith(prefix) and key.endswith(wanted))

    def list_dir(self, path: str) -> list[str]:
        prefix = normalize(path).casefold() + "\\"
        names = []
        for key, (original, _content) in self._files.items():
            if key.startswith(prefix) and "\\" not in key[len(prefix) :]:
                names.append(original.rsplit("\\", 1)[1])
        return sorted(names)


def _walk(folder: Path) -> list[Path]:
    """Every file and folder below ``folder``, not following (nor listing) symbolic links."""
    found = []
    for current, directories, files in os.walk(folder, followlinks=False):
        here = Path(current)
        directories[:] = [d for d in directories if not (here / d).is_symlink()]
        found += [here / d for d in directories] + [here / f for f in files if not (here / f).is_symlink()]
    return found


class SnapshotFiles:
    """Files of a host snapshot: ``<root>/C/Windows/...`` for ``C:\\Windows\\...``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self._listing: dict[Path, dict[str, str]] = {}

    def _entries(self, directory: Path) -> dict[str, str]:
        """The entries of a folder by folded name; symbolic links are left out, so no host path follows one."""
        if directory not in self._listing:
            try:
                self._listing[directory] = {entry.name.casefold(): entry.name for entry in directory.iterdir() if not entry.is_symlink()}
            except OSError:
                self._listing[directory] = {}
        return self._listing[directory]

    def resolve(self, path: str) -> Path | None:
        """The local path of a host path in the snapshot, or None when it is not there."""
        normalized = normalize(path)
        if len(normalized) < 2 or normalized[1] != ":":
            return None
        parts = [normalized[0].upper()] + [p for p in normalized[2:].split("\\") if p]
        current = self.root
        for part in parts:
            actual = self._entries(current).get(part.casefold())
            if actual is None:
                return None
            current = current / actual
        return current

    def read(self, path: str) -> bytes | None:
        found = self.resolve(path)
        if found is None or not found.is_file():
            return None
        return found.read_bytes()

    def exists(self, path: str) -> bool:
        return self.resolve(path) is not None

    def find(self, folder: str, name: str) -> list[str]:
        found = self.resolve(folder)
        if found is None or not found.is_dir():
            return []
        base = normalize(folder)
        return sorted(
            join(base, *candidate.relative_to(found).parts)
            for candidate in _walk(found)
            if candidate.name.casefold() == name.casefold() and candidate.is_file()
        )

    def list_dir(self, path: str) -> list[str]:
        found = self.resolve(path)
        if found is None or not found.is_dir():
            return []
        return sorted(entry.name for entry in found.iterdir() if entry.is_file() and not entry.is_symlink())

    def all_files(self) -> list[tuple[str, Path]]:
        """Every file of the snapshot as (Windows path, local path), sorted; symbolic links are left out."""
        found = []
        for local in _walk(self.root):
            parts = local.relative_to(self.root).parts
            if local.is_file() and len(parts) > 1:
                found.append((parts[0].upper() + ":\\" + "\\".join(parts[1:]), local))
        return sorted(found)
