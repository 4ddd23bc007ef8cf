# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apply a plan to a host snapshot, with the contract the PowerShell apply module keeps on a live host.

1. Compare and swap: every file must still have the SHA-256 the plan was computed from
   (or still be absent); otherwise nothing is written.
   Then the planned state is validated in memory (``validate.py``: every file parsed, every
   site, application and folder resolved, every section merged) before anything is written,
   in check mode too: an error names the line of the file on disk, and check mode fails
   exactly where the real run would.
2. Backup: every file the plan writes, and ``state.yml``, are copied to
   ``<snapshot>/.hardened-iis-backups/<id>/`` (the newest ``retention`` kept), and the
   backup's id is returned. ``backup.json`` is written last: a folder without it is an
   incomplete backup, which the next run removes. A backup that fails (a full disk) is
   removed at once and nothing is changed.
3. Intent: ``hardened-iis-intent.json`` (``intent.py``) names the backup and every change,
   written durably before the first change.
4. Write: files (each through a temporary file, fsynced, renamed over the file), registry
   values and features (in ``state.yml``, written the same way). A crash leaves each file
   old or new, never torn.
5. Validate: the snapshot is read again and every site's configuration resolved; a file
   that does not parse or resolve fails the apply. Then the intent record is removed.
6. On any failure after the backup, every file and ``state.yml`` is restored byte for
   byte (files the plan created are removed), the intent record removed and the error
   raised. When the process dies instead, the intent record stays and
   :func:`recover_interrupted` (the next run, through ``_target.py``) does the same.

The caller holds the snapshot's lock (``lock.py``; ``SnapshotTarget`` takes it).

A backup also holds ``backup.json`` in the format both targets share (``backup.py``): every
file with its SHA-256, every registry value with its type, and ``state.yml``, so
:func:`restore_backup` can later put the snapshot back byte for byte (a rollout's rollback).
"""

from __future__ import annotations

import datetime
import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ansible_collections.hardened.iis.plugins.module_utils._files import leftover_temporaries, sync_directory, write_atomically
from ansible_collections.hardened.iis.plugins.module_utils._paths import PathEscapeError, confined_path, windows_parts
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot

from .backup import FORMAT, MANIFEST, BackupManifest, FileEntry, RegistryEntry, is_backup_id, new_backup_id, parse_manifest, registry_type_of
from .errors import ApplyError, PlanValidationError
from .intent import INTENT, ControllerGone, Intent, IntentError, checkpoint, describe_holder, now_text, read_intent, remove_intent, write_intent
from .plan import FileChange, Plan
from .validate import validate_plan, validate_state

__all__ = ["ApplyError", "PlanValidationError", "apply_to_snapshot", "read_backup", "restore_backup"]
"""ApplyError and PlanValidationError live in ``errors.py``; callers may import them from here, as before."""

BACKUPS = ".hardened-iis-backups"
BACKUP_MANIFEST = MANIFEST
ABSENT = "absent"


@dataclass(frozen=True)
class ApplyResult:
    changed: bool
    backup: str | None
    files: list[str]
    registry: int
    features: int


def local_path(snapshot: Path, windows_path: str) -> Path:
    """Where a host path lives in the snapshot (existing spelling of each folder kept), confined to ``files/``.

    A path that could leave the snapshot, or that passes through a symbolic link, raises ApplyError.
    """
    files = snapshot / "files"
    try:
        drive, parts = windows_parts(windows_path)
        current = confined_path(files, (drive,))
        for part in parts:
            match = next((c for c in current.iterdir() if c.name.casefold() == part.casefold()), None) if current.is_dir() else None
            current = confined_path(current, (match.name if match is not None else part,))
        if (snapshot / "files").is_symlink():
            raise PathEscapeError(f"{files}: a symbolic link")
        return confined_path(files, current.relative_to(files).parts)
    except PathEscapeError as exc:
        raise ApplyError(f"{windows_path!r} is refused: {exc}; nothing was written") from None


def _digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def _write_file(path: Path, data: bytes, step: str = "") -> None:
    """Write through a temporary file beside ``path``, fsynced and renamed over it (crash point ``replace:<step>`` before the rename)."""
    write_atomically(path, data, durable=True, before_replace=lambda: checkpoint(f"replace:{step}"))


def _state_with_changes(state_file: Path, plan: Plan) -> bytes:
    document: dict[str, Any] = yaml.safe_load(state_file.read_text(encoding="utf-8")) if state_file.is_file() else {}
    document = document or {}
    registry = document.setdefault("registry", {}) or {}
    document["registry"] = registry
    for change in plan.registry:
        key = next((k for k in registry if k.casefold() == change.path.casefold()), change.path)
        values = registry.setdefault(key, {}) or {}
        registry[key] = values
        for existing in [n for n in values if str(n).casefold() == change.name.casefold()]:
            del values[existing]
        if change.delete:
            if not values:
                del registry[key]
        else:
            values[change.name] = change.value
    features = document.setdefault("features", {}) or {}
    document["features"] = features
    for feature in plan.features:
        features[feature.name] = feature.state
    return ("---\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True)).encode("utf-8")


def _validate(snapshot: Path, left_alone: frozenset[str]) -> None:
    """The snapshot as written passes the checks the plan passed before the write (``validate.py``)."""
    validate_state(load_snapshot(snapshot), left_alone)


def _backups(folder: Path, *, complete: bool) -> list[Path]:
    """The backup folders in ``folder`` (named by an id, not links), complete (with backup.json) or not, oldest first."""
    if not folder.is_dir():
        return []
    found = (p for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and is_backup_id(p.name))
    return sorted(p for p in found if (p / BACKUP_MANIFEST).is_file() == complete)


def _retain(backups: Path, keep: int) -> None:
    for old in _backups(backups, complete=True)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def _registry_entries(state_file: Path, plan: Plan) -> list[RegistryEntry]:
    """Each registry value the plan changes, as it is before the change (with its type)."""
    document: dict[str, Any] = (yaml.safe_load(state_file.read_text(encoding="utf-8")) if state_file.is_file() else None) or {}
    registry = document.get("registry") or {}
    entries = []
    for change in plan.registry:
        values = next((v for k, v in registry.items() if str(k).casefold() == change.path.casefold()), None) or {}
        name = next((n for n in values if str(n).casefold() == change.name.casefold()), None)
        if name is None:
            entries.append(RegistryEntry(change.path, change.name, existed=False))
        else:
            entries.append(RegistryEntry(change.path, change.name, existed=True, type=registry_type_of(values[name]), value=values[name]))
    return entries


def backups_folder(snapshot: Path) -> Path:
    """The snapshot's backups folder (backups, the intent record, the lock), never through a symbolic link."""
    try:
        return confined_path(snapshot, (BACKUPS,))
    except PathEscapeError as exc:
        raise ApplyError(f"{snapshot}: {exc}; nothing was written") from None


def _backup_folder(snapshot: Path, backup_id: str) -> Path:
    """A backup's folder in the snapshot, never through a symbolic link."""
    try:
        return confined_path(snapshot, (BACKUPS, backup_id))
    except PathEscapeError as exc:
        raise ApplyError(f"backup {backup_id}: {exc}; nothing was written") from None


def _copy_durably(source: Path, copy: Path) -> None:
    shutil.copy2(source, copy)
    with copy.open("rb") as stream:
        os.fsync(stream.fileno())


def _free_space(folder: Path) -> str:
    """The free space of the file system ``folder`` is on, in words (for a full disk's message)."""
    existing = next((p for p in (folder, *folder.parents) if p.is_dir()), None)
    try:
        free = shutil.disk_usage(existing or Path.cwd()).free
    except OSError:
        return "its free space cannot be read"
    return f"{free} bytes free on that file system"


def _storage_failure(what: str, folder: Path, exc: OSError) -> str:
    """Why writing into ``folder`` failed, naming the free space when the disk (or the quota) is full."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"{what} {folder} failed: the disk is full ({exc.strerror}; {_free_space(folder)})"
    return f"{what} {folder} failed: {exc}"


def _write_backup(snapshot: Path, backup: Path, targets: list[tuple[FileChange, Path]], plan: Plan, backup_id: str) -> BackupManifest:
    state_file = snapshot / "state.yml"
    (backup / "files").mkdir(parents=True, exist_ok=True)
    entries = []
    for index, (change, path) in enumerate(targets):
        if path.is_file():
            copy = f"files/{index}.bak"
            _copy_durably(path, backup / copy)
            entries.append(FileEntry(change.path, True, _digest(path), copy))
        else:
            entries.append(FileEntry(change.path, False))
    state = None
    if state_file.is_file():
        _copy_durably(state_file, backup / "state.yml")
        state = {"copy": "state.yml", "sha256": str(_digest(state_file))}
    sync_directory(backup / "files")
    checkpoint("backup")
    created = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    manifest = BackupManifest(backup_id, FORMAT, created, tuple(entries), tuple(_registry_entries(state_file, plan)), state)
    data = json.dumps(manifest.as_dict(), indent=1).encode("utf-8")
    write_atomically(backup / BACKUP_MANIFEST, data, durable=True, before_replace=lambda: checkpoint("replace:manifest"))
    return manifest


def _make_backup(snapshot: Path, targets: list[tuple[FileChange, Path]], plan: Plan, backup_id: str) -> tuple[Path, BackupManifest]:
    """Copy every file the plan writes and state.yml into a new backup folder, then write its backup.json.

    A failure (a full disk) removes the incomplete folder and raises ApplyError: nothing was changed.
    """
    backup = _backup_folder(snapshot, backup_id)
    try:
        return backup, _write_backup(snapshot, backup, targets, plan, backup_id)
    except BaseException as exc:
        shutil.rmtree(backup, ignore_errors=True)
        if not isinstance(exc, Exception):
            raise
        message = _storage_failure("backing up to", backup, exc) if isinstance(exc, OSError) else f"backing up to {backup} failed: {exc}"
        raise ApplyError(f"{message}; the incomplete backup folder was removed and nothing was changed") from exc


def _value_digest(value: Any) -> str | None:
    return None if value is None else hashlib.sha256(json.dumps(value, sort_keys=True).encode("utf-8")).hexdigest()


def _intent_of(manifest: BackupManifest, plan: Plan, state_before: str | None, state_after: bytes | None, holder: dict[str, Any]) -> Intent:
    """The intent record of this apply: its backup, and every change with its SHA-256 before and after."""
    return Intent(
        backup=manifest.id,
        started=now_text(),
        holder=holder,
        files=tuple({"path": c.path, "before_sha256": c.before_sha256, "after_sha256": hashlib.sha256(c.after).hexdigest()} for c in plan.files),
        registry=tuple(
            {"path": r.path, "name": r.name, "before_sha256": _value_digest(r.before), "after_sha256": _value_digest(r.value)} for r in plan.registry
        ),
        features=tuple({"name": f.name, "before": f.before, "after": f.state} for f in plan.features),
        state=None if state_after is None else {"before_sha256": state_before, "after_sha256": hashlib.sha256(state_after).hexdigest()},
    )


def _begin(folder: Path, backup: Path, intent: Intent) -> None:
    """Write the intent record; when that fails, remove the backup too: nothing was changed."""
    try:
        write_intent(folder, intent)
    except BaseException as exc:
        shutil.rmtree(backup, ignore_errors=True)
        if not isinstance(exc, Exception):
            raise
        what = "writing the intent record into"
        message = _storage_failure(what, folder, exc) if isinstance(exc, OSError) else f"{what} {folder} failed: {exc}"
        raise ApplyError(f"{message}; the backup was removed and nothing was changed") from exc


def _step(name: str, watch: Callable[[], None] | None) -> None:
    """Between two steps: a test's crash point, then the check that ansible-playbook still runs."""
    checkpoint(name)
    if watch is not None:
        watch()


def _undo(snapshot: Path, backup: Path, manifest: BackupManifest, exc: BaseException) -> NoReturn:
    """Put back everything an apply wrote, remove its intent record, and raise why it stopped."""
    folder = backups_folder(snapshot)
    try:
        _put_back(snapshot, backup, manifest, _restore_steps(snapshot, backup, manifest))
        remove_intent(folder)
    except (OSError, ApplyError) as failure:
        raise ApplyError(
            f"applying the plan failed ({exc}) and restoring backup {manifest.id} failed too ({failure}); the intent record "
            f"{folder / INTENT} stays, so the next run against this host restores that backup before anything else",
            restored=False,
            backup=manifest.id,
        ) from exc
    if not isinstance(exc, Exception):
        raise exc  # KeyboardInterrupt, SystemExit: undone, and on their way
    why = f"the apply stopped because {exc}" if isinstance(exc, ControllerGone) else f"applying the plan failed ({exc})"
    raise ApplyError(f"{why}; every file and state.yml was restored from backup {manifest.id}", restored=True, backup=manifest.id) from exc


def crash_points(plan: Plan) -> list[str]:
    """Every point where an apply of ``plan`` can be cut short (``HARDENED_IIS_TEST_CRASH_AT``), in order."""
    points = ["backup", "replace:manifest", "replace:intent", "intent"]
    for number in range(1, len(plan.files) + 1):
        points += [f"replace:{number}", f"write:{number}"]
    if plan.registry or plan.features:
        points += ["replace:state", "state"]
    return [*points, "validated", "finished"]


def apply_to_snapshot(
    snapshot: Path,
    plan: Plan,
    *,
    check_mode: bool = False,
    retention: int = 5,
    holder: dict[str, Any] | None = None,
    watch: Callable[[], None] | None = None,
) -> ApplyResult:
    """Apply ``plan`` to the snapshot directory; raises ApplyError and leaves it as it was on failure.

    ``holder`` is recorded in the intent record; ``watch`` runs between steps and raises to stop
    the apply (ControllerGone: ansible-playbook ended), which then undoes what it wrote.
    """
    targets = [(change, local_path(snapshot, change.path)) for change in plan.files]
    for change, path in targets:
        current = _digest(path)
        if current != change.before_sha256:
            raise ApplyError(
                f"{change.path} changed since the plan was made (SHA-256 {current or ABSENT}, "
                f"the plan expected {change.before_sha256 or ABSENT}); nothing was written"
            )
    if plan.empty:
        return ApplyResult(False, None, [], 0, 0)
    # What the apply validates after writing is validated first on the planned state, in check mode too.
    validate_plan(load_snapshot(snapshot), plan)
    if check_mode:
        return ApplyResult(True, None, [c.path for c in plan.files], len(plan.registry), len(plan.features))

    state_file = snapshot / "state.yml"
    new_state = _state_with_changes(state_file, plan) if plan.registry or plan.features else None
    stamp = new_backup_id()
    backup, manifest = _make_backup(snapshot, targets, plan, stamp)
    _begin(backups_folder(snapshot), backup, _intent_of(manifest, plan, _digest(state_file), new_state, holder or {}))
    try:
        _step("intent", watch)
        for number, (change, path) in enumerate(targets, start=1):
            _write_file(path, change.after, str(number))
            _step(f"write:{number}", watch)
        if new_state is not None:
            _write_file(state_file, new_state, "state")
            _step("state", watch)
        _validate(snapshot, plan.left_alone)
        _step("validated", watch)
        remove_intent(backups_folder(snapshot))
    except BaseException as exc:
        _undo(snapshot, backup, manifest, exc)
    checkpoint("finished")
    _retain(snapshot / BACKUPS, retention)
    return ApplyResult(True, stamp, [c.path for c in plan.files], len(plan.registry), len(plan.features))


@dataclass(frozen=True)
class RestoreResult:
    backup: str
    restored: list[str]
    removed: list[str]
    registry: int = 0
    """Registry values put back (snapshots: their state.yml is among ``restored`` instead)."""


def _confined(snapshot: Path, relative: str, where: str) -> Path:
    """A path a backup names (relative, with /), refused unless it stays inside the snapshot without following a link."""
    try:
        return confined_path(snapshot, [p for p in relative.split("/") if p not in ("", ".")])
    except PathEscapeError as exc:
        raise ApplyError(f"{where}: {relative!r} is refused ({exc}); nothing was restored") from None


def _restore_steps(snapshot: Path, backup: Path, manifest: BackupManifest) -> list[tuple[Path, Path | None]]:
    """(where the file lives, its copy or None when it did not exist) for every file a backup covers."""
    steps = []
    for entry in manifest.files:
        target = _confined(snapshot, entry.path, f"backup {manifest.id}") if manifest.format == 1 else local_path(snapshot, entry.path)
        steps.append((target, _confined(backup, entry.copy, f"backup {manifest.id}") if entry.copy else None))
    if manifest.state is not None:
        steps.append((snapshot / "state.yml", _confined(backup, manifest.state["copy"], f"backup {manifest.id}")))
    return steps


def _put_back(snapshot: Path, backup: Path, manifest: BackupManifest, steps: list[tuple[Path, Path | None]]) -> None:
    for path, copy in steps:
        if copy is None:
            path.unlink(missing_ok=True)
            sync_directory(path.parent)
        else:
            write_atomically(path, copy.read_bytes(), durable=True)
        for leftover in leftover_temporaries(path):
            leftover.unlink(missing_ok=True)


def read_backup(snapshot: Path, backup_id: str) -> tuple[Path, BackupManifest]:
    """The folder and manifest of one of the snapshot's backups; ApplyError when it cannot be used."""
    if not is_backup_id(backup_id):
        raise ApplyError(f"backup {backup_id!r}: not a backup id of this snapshot")
    backup = _backup_folder(snapshot, backup_id)
    try:
        document = json.loads((backup / BACKUP_MANIFEST).read_text(encoding="utf-8"))
        return backup, parse_manifest(document, backup_id, str(backup / BACKUP_MANIFEST))
    except (OSError, ValueError) as exc:
        raise ApplyError(f"backup {backup_id} of {snapshot}: cannot be read ({exc}); nothing was restored") from exc


def restore_backup(snapshot: Path, backup_id: str, *, check_mode: bool = False) -> RestoreResult:
    """Put back every file a backup covers, byte for byte; remove the files the plan had created.

    ``backup_id`` is the id :func:`apply_to_snapshot` returned. Raises ApplyError when the backup
    is missing or incomplete; then nothing is changed. Only what differs is written, so a
    second restore changes nothing.
    """
    backup, manifest = read_backup(snapshot, backup_id)
    steps = _restore_steps(snapshot, backup, manifest)
    missing = [str(copy) for _path, copy in steps if copy is not None and not copy.is_file()]
    if missing:
        raise ApplyError(f"backup {backup_id} of {snapshot} is incomplete (missing {', '.join(missing)}); nothing was restored")
    differing = [(path, copy) for path, copy in steps if _differs(path, copy)]
    result = RestoreResult(
        backup_id,
        restored=[path.relative_to(snapshot).as_posix() for path, copy in differing if copy is not None],
        removed=[path.relative_to(snapshot).as_posix() for path, copy in differing if copy is None],
    )
    if not check_mode:
        _put_back(snapshot, backup, manifest, differing)
    return result


def _differs(path: Path, copy: Path | None) -> bool:
    """Whether ``path`` is not as the backup had it (``copy`` None: it did not exist)."""
    if copy is None:
        return path.exists()
    return not path.is_file() or path.read_bytes() != copy.read_bytes()


@dataclass(frozen=True)
class Recovery:
    """An interrupted apply found on a snapshot, and what completing its restore did."""

    intent: Intent
    completed: bool
    """False when it was only found (check mode, or a read that leaves the host as it is)."""
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backup": self.intent.backup,
            "started": self.intent.started,
            "holder": dict(self.intent.holder),
            "files": [str(f.get("path")) for f in self.intent.files],
            "registry": [f"{r.get('path')}\\{r.get('name')}" for r in self.intent.registry],
            "features": [str(f.get("name")) for f in self.intent.features],
            "completed": self.completed,
            "restored": list(self.restored),
            "removed": list(self.removed),
        }


def interrupted_apply(snapshot: Path) -> Intent | None:
    """The intent record of an apply that has not finished (None when there is none); it is not acted on."""
    folder = backups_folder(snapshot)
    try:
        return read_intent(folder)
    except IntentError as exc:
        raise ApplyError(f"an interrupted apply left an intent record that cannot be used ({exc}); check the host, then remove that file") from None


def _remove_leftovers(snapshot: Path, intent: Intent) -> None:
    """The temporary files a killed write left beside the files the apply was writing (and beside its intent record)."""
    paths = [snapshot / "state.yml", backups_folder(snapshot) / INTENT]
    for entry in intent.files:
        try:
            paths.append(local_path(snapshot, str(entry.get("path"))))
        except ApplyError:
            continue
    for path in paths:
        for leftover in leftover_temporaries(path):
            leftover.unlink(missing_ok=True)


def remove_incomplete_backups(snapshot: Path) -> list[str]:
    """Remove the backup folders a killed backup left without backup.json; their ids."""
    folder = backups_folder(snapshot)
    incomplete = _backups(folder, complete=False)
    for partial in incomplete:
        shutil.rmtree(partial, ignore_errors=True)
    for leftover in leftover_temporaries(folder / INTENT):
        leftover.unlink(missing_ok=True)
    return [p.name for p in incomplete]


def recover_interrupted(snapshot: Path) -> Recovery | None:
    """Complete an interrupted apply: restore its backup, remove its leftovers and its intent record.

    The caller holds the snapshot's lock, so a record found here belongs to an apply that no
    longer runs. Restoring compares first, so a recovery cut short is simply done again.
    """
    remove_incomplete_backups(snapshot)
    intent = interrupted_apply(snapshot)
    if intent is None:
        return None
    try:
        restored = restore_backup(snapshot, intent.backup)
    except ApplyError as exc:
        raise ApplyError(
            f"an apply interrupted before it finished (backup {intent.backup}, started {intent.started} by {describe_holder(intent.holder)}) "
            f"left the host partly changed, and its backup cannot be restored ({exc}); check the host, then remove "
            f"{backups_folder(snapshot) / INTENT}"
        ) from None
    _remove_leftovers(snapshot, intent)
    remove_intent(backups_folder(snapshot))
    return Recovery(intent, True, restored.restored, restored.removed)
