# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The intent record of an apply, who holds a host, and the points where an apply can be cut short.

An apply writes ``hardened-iis-intent.json`` into the backups folder once its backup is
complete and before its first change (written through a temporary file, fsynced, renamed),
and removes it once the change is verified::

    {"format": 1, "backup": "20261206T041500123456Z", "started": "2026-12-06T04:15:00Z",
     "holder": {"controller": "ctl01", "user": "ops", "pid": 4242, "ansible_pid": 4240, ...},
     "files": [{"path": "C:\\...\\applicationHost.config", "before_sha256": "...", "after_sha256": "..."}],
     "registry": [{"path": "HKLM\\...", "name": "Enabled", "before": 1, "after": 0}],
     "features": [{"name": "Web-DAV-Publishing", "before": "installed", "after": "absent"}],
     "state": {"before_sha256": "...", "after_sha256": "..."}}

A record found later means that apply never finished (its process was killed, the machine
stopped): the host may be half written. Whatever reaches the host next restores it from the
record's backup (a restore compares first, so it is idempotent), removes the record and says
so. The PowerShell side (``_Backup.psm1``) writes the same record under its backup root.

:func:`checkpoint` marks the points where a test cuts an apply short
(``HARDENED_IIS_TEST_CRASH_AT=<step>``: the process kills itself there with SIGKILL, or, with
``HARDENED_IIS_TEST_PAUSE_DIR``, waits there until the test lets it go). Without the variable
it does nothing.
"""

from __future__ import annotations

import datetime
import getpass
import json
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._files import sync_directory, write_atomically

from .backup import is_backup_id

INTENT = "hardened-iis-intent.json"
INTENT_FORMAT = 1
CRASH_ENV = "HARDENED_IIS_TEST_CRASH_AT"
PAUSE_ENV = "HARDENED_IIS_TEST_PAUSE_DIR"
PAUSE_LIMIT = 300.0
"""Seconds a paused apply waits for the test at most, so a broken test never leaves it behind."""


class IntentError(HardenedIisError, ValueError):
    """An intent record that cannot be read; the message names the file."""


class ControllerGone(Exception):
    """The ansible-playbook process that started this apply has ended: the apply must not go on by itself."""


@dataclass(frozen=True)
class Intent:
    backup: str
    started: str
    holder: dict[str, Any] = field(default_factory=dict)
    files: tuple[dict[str, Any], ...] = ()
    registry: tuple[dict[str, Any], ...] = ()
    features: tuple[dict[str, Any], ...] = ()
    state: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "format": INTENT_FORMAT,
            "backup": self.backup,
            "started": self.started,
            "holder": dict(self.holder),
            "files": [dict(f) for f in self.files],
            "registry": [dict(r) for r in self.registry],
            "features": [dict(f) for f in self.features],
        }
        if self.state is not None:
            document["state"] = dict(self.state)
        return document


def now_text() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _entries(document: dict[str, Any], key: str, source: str) -> tuple[dict[str, Any], ...]:
    entries = document.get(key) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise IntentError(f"{source}: '{key}' must be a list of mappings")
    return tuple(entries)


def parse_intent(document: Any, source: str) -> Intent:
    """An intent record's document, checked: a known format and a backup id (never a path)."""
    if not isinstance(document, dict):
        raise IntentError(f"{source}: not a JSON object")
    if document.get("format") != INTENT_FORMAT:
        raise IntentError(f"{source}: format {document.get('format')!r} is not known (this release reads {INTENT_FORMAT})")
    backup = document.get("backup")
    if not isinstance(backup, str) or not is_backup_id(backup):
        raise IntentError(f"{source}: 'backup' must be a backup id, not {backup!r}")
    holder = document.get("holder") or {}
    state = document.get("state")
    if not isinstance(holder, dict) or not (state is None or isinstance(state, dict)):
        raise IntentError(f"{source}: 'holder' and 'state' must be mappings")
    return Intent(
        backup=backup,
        started=str(document.get("started", "")),
        holder=holder,
        files=_entries(document, "files", source),
        registry=_entries(document, "registry", source),
        features=_entries(document, "features", source),
        state=state,
    )


def write_intent(folder: Path, intent: Intent) -> None:
    """Write the record durably (temporary file, fsync, rename, fsync of the folder)."""
    data = (json.dumps(intent.as_dict(), indent=1) + "\n").encode("utf-8")
    write_atomically(folder / INTENT, data, 0o600, durable=True, before_replace=lambda: checkpoint("replace:intent"))


def read_intent(folder: Path) -> Intent | None:
    """The record in ``folder``, or None when there is none; IntentError when it cannot be read."""
    path = folder / INTENT
    if path.is_symlink():
        raise IntentError(f"{path}: a symbolic link; it is not read")
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntentError(f"{path}: cannot be read ({exc})") from None
    return parse_intent(document, str(path))


def remove_intent(folder: Path) -> None:
    """Remove the record durably: after this returns, a crash does not bring it back."""
    (folder / INTENT).unlink(missing_ok=True)
    sync_directory(folder)


def current_holder(purpose: str) -> dict[str, Any]:
    """Who is about to hold a host: this controller, user and process, its ansible-playbook process, since when, and why."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"controller": socket.gethostname(), "user": user, "pid": os.getpid(), "ansible_pid": os.getppid(), "since": now_text(), "purpose": purpose}


def describe_holder(holder: dict[str, Any] | None) -> str:
    """A holder in words, for the operator who waited for it."""
    if not holder:
        return "a holder that did not say who it is"
    what = str(holder.get("purpose") or "a run")
    who = f"{holder.get('user', '?')} on {holder.get('controller', '?')}"
    process = f"pid {holder.get('pid', '?')}" + (f", ansible-playbook pid {holder['ansible_pid']}" if holder.get("ansible_pid") else "")
    return f"{what} by {who} ({process}) since {holder.get('since', '?')}"


def recovery_message(found: dict[str, Any]) -> str:
    """What an operator is told of an interrupted apply found on a host (``found``: a ``recovered_interrupted_apply`` result)."""
    holder = found.get("holder")
    started = f"backup {found.get('backup')}, started {found.get('started') or '?'} by {describe_holder(holder if isinstance(holder, dict) else None)}"
    if not found.get("completed"):
        return (
            f"an apply that never finished ({started}) has left the host partly changed; it was not restored now (check mode, or a "
            "collection, which records the host as it is): the next hardened.iis.audit, harden or rollback without check mode restores it"
        )
    restored, removed = found.get("restored") or [], found.get("removed") or []
    registry = found.get("registry_restored")
    values = f", {registry} registry value(s) set back" if isinstance(registry, int) else ""
    return (
        f"an apply that never finished ({started}) had left the host partly changed; it was restored from that backup before anything "
        f"else ({len(restored)} file(s) written back, {len(removed)} removed{values})"
    )


def parent_watch() -> Callable[[], None]:
    """A check that raises ControllerGone once the process that started this one (ansible-playbook) has ended.

    Ansible runs a task in a worker process forked from ansible-playbook; killing ansible-playbook
    leaves the worker running, adopted by another process. The apply calls this check between
    its steps and stops (undoing what it wrote) instead of going on by itself.
    """
    parent = os.getppid()

    def watch() -> None:
        if os.getppid() != parent:
            raise ControllerGone(f"the process that started this run (pid {parent}, ansible-playbook) has ended")

    return watch


def checkpoint(step: str) -> None:
    """A point where a test cuts an apply short (``HARDENED_IIS_TEST_CRASH_AT``); does nothing otherwise."""
    if os.environ.get(CRASH_ENV) != step:
        return
    pause = os.environ.get(PAUSE_ENV)
    if pause:
        _pause(Path(pause), step)
        return
    os.kill(os.getpid(), signal.SIGKILL)


def _pause(folder: Path, step: str) -> None:
    """Say where this process waits (``paused``: its pid and the step) and wait until the test creates ``resume``."""
    write_atomically(folder / "paused", json.dumps({"pid": os.getpid(), "ansible_pid": os.getppid(), "step": step}).encode("utf-8"))
    deadline = time.monotonic() + PAUSE_LIMIT
    while not (folder / "resume").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
