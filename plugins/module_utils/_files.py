# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing a file so that readers see the old content or the new one, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

TEMPORARY_MARK = ".hardened-iis-tmp."
"""In the name of the temporary file a write makes beside its file: ``.<name>.hardened-iis-tmp.<random>``."""


def write_atomically(path: Path, data: bytes, mode: int | None = None, *, durable: bool = False, before_replace: Callable[[], None] | None = None) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``.

    ``mode`` defaults to the mode of the file being replaced, else 0644. ``durable``: the data
    and the rename reach the disk before this returns (fsync of the file and of its folder), so
    a crash or a power loss leaves the old file or the new one. ``before_replace`` runs between
    the temporary file's last byte and the rename.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}{TEMPORARY_MARK}")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        Path(temporary).chmod(mode)
        if before_replace is not None:
            before_replace()
        Path(temporary).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temporary).unlink()
        raise
    if durable:
        sync_directory(path.parent)


def sync_directory(folder: Path) -> None:
    """Make the renames and removals in ``folder`` durable (where a folder can be opened: POSIX)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(handle)
    finally:
        os.close(handle)


def leftover_temporaries(path: Path) -> list[Path]:
    """The temporary files that writes of ``path`` left beside it when their process died before the rename."""
    prefix = f".{path.name}{TEMPORARY_MARK}"
    if not path.parent.is_dir():
        return []
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.is_file() and not p.is_symlink())
