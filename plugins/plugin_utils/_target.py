# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Where a host is read and written: a snapshot directory, or a live host through module calls.

Every action picks its target here (:func:`target_for`), once: a host with a snapshot (the
task's ``snapshot`` option or the host variable ``hardened_iis_snapshot``) is a
:class:`SnapshotTarget`; a task given a gather result (``host_state``) reads that; any other
host is a :class:`LiveTarget`, reached over the host's own connection (WinRM, PSRP, SSH)
with one call of ``hardened.iis.iis_host_state`` to gather, one of ``hardened.iis.iis_apply``
to apply (plus ``ansible.windows.win_feature`` per feature) and one of
``hardened.iis.iis_restore`` to roll back. Both write the same backup format (``_harden/backup.py``).

A connection failure is not caught here: Ansible reports the host as unreachable, with the
transport's own error.

Crash consistency (docs/host-state.md "Interrupted applies and the host lock"): an apply that
did not finish leaves an intent record on the host. ``gather``, ``apply`` and ``restore`` find
it first and restore the host from its backup (``collect``, which records the host as it is,
and check mode only report it); what was found is passed to ``notify``, which the actions turn
into the ``recovered_interrupted_apply`` (or ``interrupted_apply``) result key and a warning.
One writer at a time: a snapshot's lock (``_harden/lock.py``) is held by ``session`` for a whole
harden and by every apply and restore; a live host's lock is taken by ``iis_apply`` and
``iis_restore`` for the length of the call.
"""

from __future__ import annotations

import base64
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import SnapshotFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import Templar, snapshot_of
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import DEFAULT_CATALOG, Rule, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot, read_state_document, state_from_gather
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import (
    ApplyError,
    Recovery,
    apply_to_snapshot,
    backups_folder,
    interrupted_apply,
    recover_interrupted,
    restore_backup,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.intent import ControllerGone, current_holder, recovery_message
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.lock import DEFAULT_TIMEOUT, LockError, exclusive
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import Plan

Execute = Callable[[str, dict[str, Any]], dict[str, Any]]
Fetch = Callable[[str, Path], None]
Notify = Callable[[str, dict[str, Any], str], None]
"""(result key, what was found, a sentence for the operator)."""
RECOVERED = "recovered_interrupted_apply"
FOUND = "interrupted_apply"
PROCESSES = "hardened.iis.host_processes"
FIND = "ansible.windows.win_find"
GATHER = "hardened.iis.iis_host_state"
APPLY = "hardened.iis.iis_apply"
RESTORE = "hardened.iis.iis_restore"
FEATURE = "ansible.windows.win_feature"


class TargetError(HardenedIisError):
    """Reading or writing the host failed (not a connection failure: Ansible reports those)."""


@dataclass(frozen=True)
class ApplyOutcome:
    changed: bool
    backup: str | None = None
    """The backup's id (None in check mode or when nothing changed)."""
    reboot_required: bool = False


@dataclass(frozen=True)
class RestoreOutcome:
    backup: str
    restored: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    registry: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.restored or self.removed or self.registry)


def apply_arguments(plan: Plan, retention: int) -> dict[str, Any]:
    """The arguments of hardened.iis.iis_apply for a plan."""
    return {
        "files": [{"path": c.path, "before_sha256": c.before_sha256, "content": base64.b64encode(c.after).decode("ascii")} for c in plan.files],
        "registry": [
            {"path": r.path, "name": r.name, "state": "absent"} if r.delete else {"path": r.path, "name": r.name, "type": r.type, "value": r.value}
            for r in plan.registry
        ],
        "backup_retention": retention,
    }


class Target(ABC):
    """One host, read and written the same way whatever it is."""

    kind: str = ""

    def __init__(self, host: str) -> None:
        self.host = host
        self.calls = 0
        """Module calls made on the host so far."""
        self.check_mode = False
        """Check mode: an interrupted apply is reported, not restored."""
        self.lock_timeout: float = DEFAULT_TIMEOUT
        """Seconds to wait for another run's lock on the host before refusing."""
        self.purpose = f"a run on {host}"
        """What this run is, for the lock's holder and the intent record."""
        self.watch: Callable[[], None] | None = None
        """Runs between the steps of a snapshot apply and while waiting for a lock; raises to stop (ansible-playbook ended)."""
        self.notify: Notify = lambda _key, _found, _message: None
        """Told about an interrupted apply found on the host (and whether it was restored)."""
        self._told: set[tuple[str, str]] = set()

    def tell(self, key: str, found: dict[str, Any]) -> None:
        """Pass an interrupted apply on to ``notify``, once per kind and backup however often it is seen."""
        if (key, str(found.get("backup"))) not in self._told:
            self._told.add((key, str(found.get("backup"))))
            self.notify(key, found, recovery_message(found))

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Hold the host for a whole gather, plan, apply and verification (snapshots); live hosts lock inside each call."""
        yield

    @abstractmethod
    def gather(self, *, updates: bool = True, web_configs: bool = True, probes: tuple[str, ...] = ()) -> HostState:
        """The host's state, read now; ``probes``: paths whose existence the rules check (``{site_root}`` for each site's root)."""

    @abstractmethod
    def collect(self, *, probes: tuple[str, ...] = ()) -> dict[str, Any]:
        """Everything a snapshot keeps of the host, as a hardened.iis.iis_host_state result (files inline)."""

    @abstractmethod
    def apply(self, plan: Plan, *, check_mode: bool, retention: int = 5) -> ApplyOutcome:
        """Carry out a plan: compare and swap, backup, write, validate, restore on failure (ApplyError)."""

    @abstractmethod
    def restore(self, backup: str, *, check_mode: bool) -> RestoreOutcome:
        """Put the host back as one backup recorded it; only what differs is written."""


class SnapshotTarget(Target):
    kind = "snapshot"

    def __init__(self, host: str, root: Path) -> None:
        super().__init__(host)
        self.root = root
        self._held = False

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The snapshot's lock, taken once for this target (a harden's session covers its apply)."""
        if self._held:
            yield
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(exclusive(backups_folder(self.root), current_holder(self.purpose), self.lock_timeout, self.watch))
            except (LockError, ControllerGone, ApplyError, OSError) as exc:
                raise TargetError(str(exc)) from None
            self._held = True
            try:
                yield
            finally:
                self._held = False

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        if self.check_mode:
            self._recover(check_mode=True)
            yield
            return
        with self._exclusive():
            self._recover_held()
            yield

    def _report(self, recovery: Recovery) -> None:
        self.tell(RECOVERED if recovery.completed else FOUND, recovery.as_dict())

    def _recover_held(self) -> None:
        """With the lock held: complete an interrupted apply, if one is found."""
        try:
            recovery = recover_interrupted(self.root)
        except ApplyError as exc:
            raise TargetError(str(exc)) from None
        if recovery is not None:
            self._report(recovery)

    def _recover(self, *, check_mode: bool) -> None:
        """Before reading: an interrupted apply is completed (under the lock), or only reported in check mode."""
        try:
            found = interrupted_apply(self.root)
        except ApplyError as exc:
            raise TargetError(str(exc)) from None
        if found is None:
            return
        if check_mode:
            self._report(Recovery(found, completed=False))
            return
        with self._exclusive():
            self._recover_held()

    def gather(self, *, updates: bool = True, web_configs: bool = True, probes: tuple[str, ...] = ()) -> HostState:
        self._recover(check_mode=self.check_mode)
        return load_snapshot(self.root, self.host)

    def collect(self, *, probes: tuple[str, ...] = ()) -> dict[str, Any]:
        try:
            found = interrupted_apply(self.root)
            state = read_state_document(self.root)
        except (HostStateError, ApplyError) as exc:
            raise TargetError(str(exc)) from None
        if found is not None:
            self._report(Recovery(found, completed=False))  # a collection records the host as it is
        files = [
            {"path": path, "content": base64.b64encode(local.read_bytes()).decode("ascii")} for path, local in SnapshotFiles(self.root / "files").all_files()
        ]
        return {"changed": False, "state": state if isinstance(state, dict) else {}, "files": files, "unreadable": [], "probes": []}

    def apply(self, plan: Plan, *, check_mode: bool, retention: int = 5) -> ApplyOutcome:
        if check_mode:
            self._recover(check_mode=True)
            applied = apply_to_snapshot(self.root, plan, check_mode=True)
            return ApplyOutcome(applied.changed, applied.backup)
        with self._exclusive():
            self._recover_held()
            applied = apply_to_snapshot(self.root, plan, retention=retention, holder=current_holder(self.purpose), watch=self.watch)
        return ApplyOutcome(applied.changed, applied.backup)

    def restore(self, backup: str, *, check_mode: bool) -> RestoreOutcome:
        if check_mode:
            self._recover(check_mode=True)
            outcome = restore_backup(self.root, backup, check_mode=True)
        else:
            with self._exclusive():
                self._recover_held()
                outcome = restore_backup(self.root, backup)
        return RestoreOutcome(outcome.backup, outcome.restored, outcome.removed, outcome.registry)


class GatheredTarget(Target):
    """A gather result handed to the task (``host_state``): read only."""

    kind = "gathered"

    def __init__(self, host: str, result: dict[str, Any]) -> None:
        super().__init__(host)
        self.result = result

    def gather(self, *, updates: bool = True, web_configs: bool = True, probes: tuple[str, ...] = ()) -> HostState:
        return state_from_gather(self.result, self.host)

    def collect(self, *, probes: tuple[str, ...] = ()) -> dict[str, Any]:
        return self.result

    def apply(self, plan: Plan, *, check_mode: bool, retention: int = 5) -> ApplyOutcome:
        raise TargetError(f"{self.host}: a gather result (host_state) is read only; reach the host itself to change it")

    def restore(self, backup: str, *, check_mode: bool) -> RestoreOutcome:
        raise TargetError(f"{self.host}: a gather result (host_state) is read only; reach the host itself to restore it")


class LiveTarget(Target):
    kind = "live"

    def __init__(self, host: str, execute: Execute, fetch: Fetch | None = None) -> None:
        super().__init__(host)
        self._execute = execute
        self._fetch = fetch

    def call(self, module: str, args: dict[str, Any]) -> dict[str, Any]:
        """One module call on the host; a failed module raises ApplyError with its message."""
        self.calls += 1
        result = self._execute(module, args)
        if result.get("failed"):
            message = f"{self.host}: {module} failed: {result.get('msg', 'no message')}"
            raise ApplyError(message, restored=bool(result.get("restored")), backup=result.get("backup"))
        return result

    def read(self, module: str, args: dict[str, Any], what: str) -> dict[str, Any]:
        """One read-only module call; a failure raises TargetError saying what could not be read."""
        try:
            return self.call(module, args)
        except ApplyError as exc:
            raise TargetError(f"{what} failed: {exc}") from None

    def _lock_arguments(self) -> dict[str, Any]:
        return {"lock_timeout": max(0, int(self.lock_timeout)), "lock_holder": current_holder(self.purpose)}

    def _recovered(self, result: dict[str, Any]) -> dict[str, Any]:
        """Report the interrupted apply a module call completed first, if any; the result as it was."""
        found = result.get(RECOVERED)
        if isinstance(found, dict):
            self.tell(RECOVERED, found)
        return result

    def _gathered(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """One gather; when it finds an interrupted apply, its restore is completed (iis_restore) and the host gathered again."""
        result = self.read(GATHER, arguments, "gathering the host state")
        found = result.get(FOUND)
        if not isinstance(found, dict):
            return result
        if self.check_mode:
            self.tell(FOUND, found)
            return result
        try:
            self._recovered(self.call(RESTORE, {"backup": str(found.get("backup")), "interrupted_only": True, **self._lock_arguments()}))
        except ApplyError as exc:
            raise TargetError(f"completing an interrupted apply failed: {exc}") from None
        return self.read(GATHER, arguments, "gathering the host state")

    def gather(self, *, updates: bool = True, web_configs: bool = True, probes: tuple[str, ...] = ()) -> HostState:
        arguments: dict[str, Any] = {"gather_updates": updates, "include_web_configs": web_configs}
        if probes:
            arguments["probe_paths"] = sorted(set(probes))
        return state_from_gather(self._gathered(arguments), self.host)

    def collect(self, *, probes: tuple[str, ...] = ()) -> dict[str, Any]:
        result = self.read(GATHER, {"probe_paths": sorted(set(probes))}, "gathering the host state")
        found = result.get(FOUND)
        if isinstance(found, dict):  # a collection records the host as it is
            self.tell(FOUND, found)
        return result

    def apply(self, plan: Plan, *, check_mode: bool, retention: int = 5) -> ApplyOutcome:
        if plan.empty:
            return ApplyOutcome(False)
        backup = None
        reboot = any("SCHANNEL" in r.path.upper() for r in plan.registry)
        if plan.files or plan.registry:
            backup = self._recovered(self.call(APPLY, {**apply_arguments(plan, retention), **self._lock_arguments()})).get("backup")
        for feature in plan.features:
            changed = self.call(FEATURE, {"name": feature.name, "state": feature.state})
            reboot = reboot or bool(changed.get("reboot_required"))
        return ApplyOutcome(True, None if check_mode else backup, reboot and not check_mode)

    def processes(self) -> dict[str, Any]:
        """The running processes and listening ports, in one read-only call."""
        result = self.read(PROCESSES, {}, "reading the processes")
        return {key: result.get(key) for key in ("collected_at", "processes", "listening_ports")}

    def find_files(self, folders: list[str], patterns: list[str]) -> list[dict[str, Any]]:
        """The files in the folders whose names match, as ansible.windows.win_find returns them."""
        if not folders:
            return []
        found = self.read(FIND, {"paths": folders, "patterns": patterns, "recurse": False, "get_checksum": False}, f"listing {', '.join(folders)}")
        return list(found.get("files") or [])

    def fetch(self, path: str, dest: Path) -> None:
        """Copy one file of the host to the controller, over the connection."""
        if self._fetch is None:
            raise TargetError(f"{self.host}: this target cannot fetch files")
        dest.parent.mkdir(parents=True, exist_ok=True)
        self._fetch(path, dest)

    def restore(self, backup: str, *, check_mode: bool) -> RestoreOutcome:
        result = self._recovered(self.call(RESTORE, {"backup": backup, **self._lock_arguments()}))
        restored, removed = list(result.get("restored") or []), list(result.get("removed") or [])
        return RestoreOutcome(str(result.get("backup") or backup), restored, removed, int(result.get("registry") or 0))


def probes_of(rules: tuple[Rule, ...]) -> tuple[str, ...]:
    """The paths the rules' file checks look at, for a live gather to probe."""
    return tuple(path for r in rules for path in kind_of(r.check.kind).probe_paths(r.check.spec))


def catalog_probes() -> tuple[str, ...]:
    """The paths the default catalog's file checks look at (what a collection of a host probes)."""
    return probes_of(load_catalog(DEFAULT_CATALOG).rules)


def target_for(host: str, args: dict[str, Any], task_vars: dict[str, Any], templar: Templar, execute: Execute, fetch: Fetch | None = None) -> Target:
    """The one place a host's target is chosen (see the module's documentation)."""
    snapshot = snapshot_of(args, task_vars, templar)
    if snapshot:
        return SnapshotTarget(host, Path(snapshot))
    if args.get("host_state"):
        return GatheredTarget(host, dict(args["host_state"]))
    return LiveTarget(host, execute, fetch)
