# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One writer at a time on a snapshot: an advisory lock in its backups folder.

``<snapshot>/.hardened-iis-backups/hardened-iis.lock`` is locked with ``flock`` for as long
as a run changes the snapshot (a harden from its gather to its verification, a rollback, the
completion of an interrupted apply), and holds who the holder is (``intent.current_holder``).
Another run waits for it up to ``timeout`` seconds (the ``lock_timeout`` option), then refuses,
naming the holder. The kernel releases the lock when its process ends, however it ends, so a
killed run never blocks the next one; the file itself stays, empty or naming a past holder.
A live host has its own lock, taken by ``iis_apply`` and ``iis_restore`` (``_Backup.psm1``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

from .intent import describe_holder

LOCK = "hardened-iis.lock"
DEFAULT_TIMEOUT = 60
POLL = 0.1


class LockError(HardenedIisError):
    """The lock could not be taken in time; the message names its holder."""


def holder_of(folder: Path) -> dict[str, Any] | None:
    """Who the lock file names (None when it names no one or cannot be read)."""
    try:
        handle = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        data = os.read(handle, 65536)
    finally:
        os.close(handle)
    try:
        holder = json.loads(data.decode("utf-8")) if data else None
    except ValueError:
        return None
    return holder if isinstance(holder, dict) else None


def _try_lock(handle: int) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(handle: int, folder: Path, timeout: float, watch: Callable[[], None] | None) -> None:
    deadline = time.monotonic() + max(timeout, 0)
    while not _try_lock(handle):
        if watch is not None:
            watch()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LockError(
                f"{folder.parent} is being changed by another run: {describe_holder(holder_of(folder))}; "
                f"waited {timeout:g} s for it (lock_timeout) and changed nothing"
            )
        time.sleep(min(POLL, remaining))


@contextlib.contextmanager
def exclusive(folder: Path, holder: dict[str, Any], timeout: float = DEFAULT_TIMEOUT, watch: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the lock of ``folder`` (a snapshot's backups folder, made when missing) for the ``with`` block.

    Waits up to ``timeout`` seconds (0: refuse at once) and raises LockError naming the holder;
    ``watch`` runs while waiting and may raise to stop the wait.
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        _acquire(handle, folder, timeout, watch)
        try:
            data = json.dumps(holder).encode("utf-8")
            os.ftruncate(handle, 0)
            os.pwrite(handle, data, 0)
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(handle, 0)
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)
