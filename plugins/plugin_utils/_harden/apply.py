# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Apply a plan to a host snapshot, with the contract the PowerShell apply module keeps on a live host.

1. Compare and swap: every file must still have the SHA-256 the plan was computed from
   (or still be absent); otherwise nothing is written.
2. Backup: every file the plan writes, and ``state.yml``, are copied to
   ``<snapshot>/.hardened-iis-backups/<id>/`` (the newest ``retention`` kept), and the
   backup's id is returned.
3. Write: files (each through a temporary file and a rename), registry values and
   features (in ``state.yml``).
4. Validate: the snapshot is read again and every site's configuration resolved; a file
   that does not parse or resolve fails the apply.
5. On any failure after the backup, every file and ``state.yml`` is restored byte for
   byte (files the plan created are removed) and the error is raised.

A backup also holds ``backup.json`` in the format both targets share (``backup.py``): every
file with its SHA-256, every registry value with its type, and ``state.yml``, so
:func:`restore_backup` can later put the snapshot back byte for byte (a rollout's rollback).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.hardened.iis.plugins.module_utils._files import write_atomically
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.module_utils._paths import PathEscapeError, confined_path, windows_parts
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.hoststate import HostStateError, load_snapshot

from .backup import FORMAT, MANIFEST, BackupManifest, FileEntry, RegistryEntry, is_backup_id, new_backup_id, parse_manifest, registry_type_of
from .plan import FileChange, Plan

BACKUPS = ".hardened-iis-backups"
BACKUP_MANIFEST = MANIFEST
ABSENT = "absent"


class ApplyError(Exception):
    """The plan was not applied; ``restored`` says whether a partial write was undone."""

    def __init__(self, message: str, restored: bool = False, backup: str | None = None) -> None:
        super().__init__(message)
        self.restored = restored
        self.backup = backup


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


def _write_file(path: Path, data: bytes) -> None:
    write_atomically(path, data)


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


def _validate(snapshot: Path) -> None:
    state = load_snapshot(snapshot)
    configuration = state.configuration
    for site in configuration.sites:
        for path in [a.path for a in site.applications] + configuration.web_config_folders(site):
            effective = configuration.resolve(site.name, path)
            for section in effective.sections():
                effective.section(section)


def _retain(backups: Path, keep: int) -> None:
    if not backups.is_dir():
        return
    for old in sorted(p for p in backups.iterdir() if p.is_dir())[:-keep]:
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


def _backup_folder(snapshot: Path, backup_id: str) -> Path:
    """A backup's folder in the snapshot, never through a symbolic link."""
    try:
        return confined_path(snapshot, (BACKUPS, backup_id))
    except PathEscapeError as exc:
        raise ApplyError(f"backup {backup_id}: {exc}; nothing was written") from None


def _make_backup(snapshot: Path, targets: list[tuple[FileChange, Path]], plan: Plan, backup_id: str) -> tuple[Path, BackupManifest]:
    """Copy every file the plan writes and state.yml into a new backup folder; write its backup.json."""
    state_file = snapshot / "state.yml"
    backup = _backup_folder(snapshot, backup_id)
    (backup / "files").mkdir(parents=True, exist_ok=True)
    entries = []
    for index, (change, path) in enumerate(targets):
        if path.is_file():
            copy = f"files/{index}.bak"
            shutil.copy2(path, backup / copy)
            entries.append(FileEntry(change.path, True, _digest(path), copy))
        else:
            entries.append(FileEntry(change.path, False))
    state = None
    if state_file.is_file():
        shutil.copy2(state_file, backup / "state.yml")
        state = {"copy": "state.yml", "sha256": str(_digest(state_file))}
    created = datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")
    manifest = BackupManifest(backup_id, FORMAT, created, tuple(entries), tuple(_registry_entries(state_file, plan)), state)
    write_atomically(backup / BACKUP_MANIFEST, json.dumps(manifest.as_dict(), indent=1).encode("utf-8"))
    return backup, manifest


def apply_to_snapshot(snapshot: Path, plan: Plan, *, check_mode: bool = False, retention: int = 5) -> ApplyResult:
    """Apply ``plan`` to the snapshot directory; raises ApplyError and leaves it as it was on failure."""
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
    if check_mode:
        return ApplyResult(True, None, [c.path for c in plan.files], len(plan.registry), len(plan.features))

    state_file = snapshot / "state.yml"
    stamp = new_backup_id()
    backup, manifest = _make_backup(snapshot, targets, plan, stamp)
    try:
        for change, path in targets:
            _write_file(path, change.after)
        if plan.registry or plan.features:
            _write_file(state_file, _state_with_changes(state_file, plan))
        _validate(snapshot)
    except (OSError, ConfigError, HostStateError, KeyError, ValueError) as exc:
        _put_back(snapshot, backup, manifest, _restore_steps(snapshot, backup, manifest))
        raise ApplyError(f"applying the plan failed ({exc}); every file and state.yml was restored from backup {stamp}", restored=True, backup=stamp) from exc
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
        else:
            write_atomically(path, copy.read_bytes())


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
