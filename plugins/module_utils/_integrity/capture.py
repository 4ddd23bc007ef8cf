# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""POSIX capture: walk the roots, hash the files in parallel, never follow a link.

The walk runs in the calling thread with ``os.scandir`` (lstat information, no link is
followed, directories are entered once by device and inode so loops end). Files go in
batches to worker processes (forked; threads where the system cannot fork), so the
per-file work and the hashing run on every core; at most ``workers * 2`` batches are in
flight, so memory stays bounded whatever the tree's size. Names are bytes on disk and travel as surrogate-escaped strings. Unreadable files and
directories are reported with the reason and the walk goes on.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
import stat
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .manifest import ALGORITHMS, glob_pattern, matches

BUFFER = 1024 * 1024
BATCH_FILES = 256
BATCH_BYTES = 8 * 1024 * 1024


def _hasher(algorithm: str) -> Callable[[], Any]:
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    return getattr(hashlib, algorithm)  # type: ignore[no-any-return]


_LOCAL = threading.local()


def hash_file(path: bytes, algorithm: str) -> str:
    """The hex digest of a file's content, read in 1 MiB blocks into a per-thread buffer (sparse holes read as zeros)."""
    digest = _hasher(algorithm)()
    buffer = getattr(_LOCAL, "buffer", None)
    if buffer is None:
        buffer = _LOCAL.buffer = bytearray(BUFFER)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as stream:
        while True:
            count = stream.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
    return str(digest.hexdigest())


def _acl_digest(path: bytes) -> str | None:
    """SHA-256 of the POSIX ACL (system.posix_acl_access) when the file has one."""
    try:
        value = os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
    except (OSError, AttributeError):
        return None
    return hashlib.sha256(value).hexdigest()


def _row(path: bytes, info: os.stat_result, kind: str) -> list[Any]:
    target = os.fsdecode(os.readlink(path)) if kind == "symlink" else None
    return [
        os.fsdecode(path),
        kind,
        info.st_size if kind == "file" else 0,
        info.st_mtime_ns,
        None,
        format(stat.S_IMODE(info.st_mode), "04o"),
        f"{info.st_uid}:{info.st_gid}",
        _acl_digest(path) if kind != "symlink" else None,
        target,
    ]


class Capture:
    """One capture run; ``run()`` returns the rows and fills ``unreadable`` and ``stats``."""

    def __init__(
        self,
        roots: list[str],
        exclude: list[str] | None = None,
        algorithm: str = "sha256",
        previous: dict[str, list[Any]] | None = None,
        workers: int | None = None,
        max_unreadable: int = 1000,
    ) -> None:
        _hasher(algorithm)
        self.roots = roots
        self.exclude = glob_pattern(list(exclude or []), case_insensitive=False)
        self.algorithm = algorithm
        self.previous = previous or {}
        self.workers = workers or max(2, (os.cpu_count() or 1))
        self.max_unreadable = max_unreadable
        self.unreadable: list[dict[str, str]] = []
        self.unreadable_count = 0
        self.stats = {"files": 0, "directories": 0, "bytes_hashed": 0, "hashed": 0, "reused": 0, "seconds": 0.0}

    def _unreadable(self, path: bytes, error: OSError | str) -> None:
        self.unreadable_count += 1
        if len(self.unreadable) < self.max_unreadable:
            reason = error if isinstance(error, str) else (error.strerror or str(error))
            self.unreadable.append({"path": os.fsdecode(path), "reason": reason})

    def _entries(self) -> Iterator[tuple[bytes, os.stat_result, str]]:
        """(path, lstat, kind) of every entry below the roots, the roots included."""
        seen: set[tuple[int, int]] = set()
        pending: deque[bytes] = deque()
        for root in self.roots:
            path = os.fsencode(os.path.abspath(os.path.expanduser(root)))
            try:
                info = os.lstat(path)
            except OSError as exc:
                self._unreadable(path, exc)
                continue
            kind = _kind(info.st_mode)
            if kind is None or matches(self.exclude, os.fsdecode(path)):
                continue
            yield path, info, kind
            if kind == "directory":
                pending.append(path)
                seen.add((info.st_dev, info.st_ino))
        while pending:
            directory = pending.popleft()
            try:
                with os.scandir(directory) as listing:
                    children = sorted(listing, key=lambda e: e.name)
            except OSError as exc:
                self._unreadable(directory, exc)
                continue
            for child in children:
                path = os.fsencode(child.path)
                if matches(self.exclude, os.fsdecode(path)):
                    continue
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError as exc:
                    self._unreadable(path, exc)
                    continue
                kind = _kind(info.st_mode)
                if kind is None:
                    continue
                yield path, info, kind
                if kind == "directory" and (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    pending.append(path)

    def _pool(self) -> concurrent.futures.Executor:
        """Worker processes where the system can fork (the per-file work then runs on every core, not
        only the hashing), else threads (hashlib still hashes outside the GIL)."""
        if self.workers > 1 and hasattr(os, "fork"):
            try:
                return concurrent.futures.ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("fork"))
            except (OSError, ValueError):
                pass
        return concurrent.futures.ThreadPoolExecutor(max_workers=self.workers)

    def run(self) -> list[list[Any]]:
        started = time.monotonic()
        rows: list[list[Any]] = []
        in_flight: dict[concurrent.futures.Future[list[str | None]], list[list[Any]]] = {}
        batch: list[list[Any]] = []
        batch_bytes = 0
        with self._pool() as pool:
            for path, info, kind in self._entries():
                row = _row(path, info, kind)
                rows.append(row)
                if kind == "directory":
                    self.stats["directories"] += 1
                    continue
                if kind != "file":
                    continue
                self.stats["files"] += 1
                known = self.previous.get(row[0])
                if known is not None and known[0] == row[2] and known[1] == row[3] and known[2]:
                    row[4] = known[2]
                    self.stats["reused"] += 1
                    continue
                # Files go to the pool in batches (up to 256 files or 8 MiB) to spread the per-task cost.
                batch.append(row)
                batch_bytes += row[2]
                if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
                    in_flight[pool.submit(hash_batch, [os.fsencode(r[0]) for r in batch], self.algorithm)] = batch
                    batch, batch_bytes = [], 0
                    if len(in_flight) >= self.workers * 2:
                        done, _pending = concurrent.futures.wait(in_flight, return_when=concurrent.futures.FIRST_COMPLETED)
                        self._collect(done, in_flight)
            if batch:
                in_flight[pool.submit(hash_batch, [os.fsencode(r[0]) for r in batch], self.algorithm)] = batch
            self._collect(list(in_flight), in_flight)
        self.stats["seconds"] = round(time.monotonic() - started, 3)
        return rows

    def _collect(
        self, done: Iterable[concurrent.futures.Future[list[str | None]]], in_flight: dict[concurrent.futures.Future[list[str | None]], list[list[Any]]]
    ) -> None:
        """Put the finished batches' hashes into their rows; an entry that starts with '!' is an error."""
        for future in done:
            batch = in_flight.pop(future)
            for index, digest in enumerate(future.result()):  # zip(strict=) needs Python 3.10; targets may be older
                row = batch[index]
                if digest is not None and digest.startswith("!"):
                    row[4] = None
                    self._unreadable(os.fsencode(row[0]), digest[1:])
                else:
                    row[4] = digest
                    self.stats["hashed"] += 1
                    self.stats["bytes_hashed"] += row[2]


def hash_batch(paths: list[bytes], algorithm: str) -> list[str | None]:
    """The digests of a batch of files (run in a worker); '!' and the reason for a file that cannot be read."""
    digests: list[str | None] = []
    for path in paths:
        try:
            digests.append(hash_file(path, algorithm))
        except OSError as exc:
            digests.append("!" + (exc.strerror or str(exc)))
    return digests


def _kind(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    return None  # sockets, FIFOs and devices carry no content to check
