# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Path confinement: a path that comes from a host never reaches outside its place on the controller.

Every reader and writer of host-derived paths (gather results, snapshots, backups, evidence
bundles) goes through these two functions:

* :func:`windows_parts` canonicalises a Windows path the way Windows reads it (both
  separators, ``.`` segments dropped, trailing dots and spaces stripped) and refuses what
  cannot name a file on a local drive: drive-relative (``C:x``), UNC (``\\\\server\\share``),
  ``\\\\?\\`` and ``\\\\.\\`` device forms, ``..``, alternate data streams, reserved device
  names (``NUL``, ``COM1``), control and wildcard characters.
* :func:`confined_path` joins those parts under a root and refuses a result that is not under
  it, or that passes through a symbolic link (no link is followed, inside the root or out).

Standard library only, so module_utils and the controller share it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$", re.IGNORECASE)
_FORBIDDEN = set('<>"|?*:') | {chr(c) for c in range(32)}


class PathEscapeError(HardenedIisError, ValueError):
    """A path that could reach outside its root, or that no local drive file can have."""


def windows_parts(path: str) -> tuple[str, tuple[str, ...]]:
    """(drive letter, segments) of an absolute path on a local drive, as Windows reads it."""
    if not isinstance(path, str) or not path:
        raise PathEscapeError(f"{path!r}: not a path")
    text = path.replace("/", "\\")
    if text.startswith("\\\\"):
        raise PathEscapeError(f"{path!r}: UNC and device paths (\\\\server\\share, \\\\?\\, \\\\.\\) are not allowed")
    if len(text) < 3 or not ("a" <= text[0].lower() <= "z") or text[1] != ":" or text[2] != "\\":
        raise PathEscapeError(f"{path!r}: not an absolute path on a drive (C:\\...)")
    segments = []
    for raw in text[3:].split("\\"):
        if raw in ("", "."):
            continue
        segment = raw.rstrip(" .")  # Windows drops trailing dots and spaces: "web.config. " is "web.config"
        if segment in ("", "..") or raw == "..":
            raise PathEscapeError(f"{path!r}: '..' (or a segment Windows reads as one) is not allowed")
        if any(character in _FORBIDDEN for character in segment):
            raise PathEscapeError(f"{path!r}: segment {segment!r} holds a character no file name may have (or an alternate data stream)")
        if _RESERVED.match(segment):
            raise PathEscapeError(f"{path!r}: {segment!r} is a reserved device name")
        segments.append(segment)
    return text[0].upper(), tuple(segments)


def confined_path(root: Path, parts: Sequence[str]) -> Path:
    """``root/parts...``, refused when it leaves ``root`` or passes through a symbolic link."""
    current = root
    for part in parts:
        if part in ("", ".", "..") or "/" in part or "\\" in part or "\x00" in part or os.sep in part:
            raise PathEscapeError(f"{part!r}: not a single path segment")
        current = current / part
        if current.is_symlink():
            raise PathEscapeError(f"{current}: a symbolic link; host paths never follow links")
    if not current.resolve().is_relative_to(root.resolve()):
        raise PathEscapeError(f"{current}: outside {root}")
    return current


def file_parts(path: str) -> tuple[str, ...]:
    """A host file's path as relative segments under a folder of drives: ``C:\\inetpub\\x`` -> ``("C", "inetpub", "x")``."""
    drive, segments = windows_parts(path)
    if not segments:
        raise PathEscapeError(f"{path!r} names a drive, not a file")
    return (drive, *segments)
