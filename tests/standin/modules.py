# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What each Windows module does to the stand-in host, written from the module's documentation.

Each emulation takes the host, the validated arguments and check mode, changes the host the
way the real module changes a Windows host (nothing in check mode), and answers the module's
documented result. :func:`run_module` validates the arguments and the answer against the
module's documentation (contract.py); a module with no emulation here is refused by name.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import errno
import fcntl
import fnmatch
import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any
from xml.etree import ElementTree

from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import encode_rows, glob_pattern

from .contract import ContractError, validate_arguments, validate_result
from .host import HostPathError, WindowsHost

Emulation = Callable[[WindowsHost, dict[str, Any], bool], dict[str, Any]]
EMULATIONS: dict[str, Emulation] = {}
CHECK_MODE: dict[str, bool] = {}
BACKUP_FORMAT = 2
FAULT = os.environ.get("HARDENED_IIS_STANDIN_FAULT", "")
"""A fault to put into an emulation on purpose (tests of the tests): ``restore-keeps-current-type``; for crash
consistency ``apply-dies-at:<step>`` (iis_apply's process ends there: ``backup``, ``intent``, ``write:<n>``,
``registry``, ``validated``) and ``backup-disk-full`` (the disk fills while iis_apply backs up)."""
INTENT = "hardened-iis-intent.json"
LOCK = "hardened-iis.lock"
BACKUP_ID = re.compile(r"^\d{8}T\d{6}\d{3,6}Z$")


class UnknownModuleError(ContractError):
    """The stand-in has no emulation of this module: the test must not pass by accident."""


def emulates(name: str, *, check_mode: bool = True) -> Callable[[Emulation], Emulation]:
    def register(function: Emulation) -> Emulation:
        EMULATIONS[name] = function
        CHECK_MODE[name] = check_mode
        return function

    return register


def run_module(host: WindowsHost, module: str, raw_args: dict[str, Any]) -> dict[str, Any]:
    """The answer of one module call on the stand-in host, checked against the module's contract."""
    if module not in EMULATIONS:
        raise UnknownModuleError(f"the Windows stand-in does not implement {module}; add an emulation in tests/standin/modules.py")
    check_mode = bool(raw_args.get("_ansible_check_mode"))
    if check_mode and not CHECK_MODE[module]:
        return {"changed": False, "skipped": True, "msg": f"remote module ({module}) does not support check mode"}
    try:
        args = validate_arguments(module, raw_args)
    except ContractError as exc:
        return {"failed": True, "changed": False, "msg": f"Unsupported parameters or values: {exc}"}
    try:
        result = EMULATIONS[module](host, args, check_mode)
    except HostPathError as exc:
        result = {"failed": True, "changed": False, "msg": str(exc)}
    if not check_mode and not result.get("failed"):
        host.save()
    result.setdefault("changed", False)
    validate_result(module, result)
    return result


# --- hardened.iis ------------------------------------------------------------------------------


def _site_folders(host: WindowsHost, apphost: bytes) -> list[str]:
    """Every virtual directory's physical path in applicationHost.config (read on its own, with ElementTree)."""
    root = ElementTree.fromstring(apphost)
    folders = []
    for directory in root.iterfind("./system.applicationHost/sites/site/application/virtualDirectory"):
        physical = directory.get("physicalPath")
        if physical:
            folders.append(host.expand(physical))
    return folders


def _site_roots(host: WindowsHost, apphost: bytes) -> list[str]:
    """Each site's root folder (the root virtual directory of its root application)."""
    roots = []
    for site in ElementTree.fromstring(apphost).iterfind("./system.applicationHost/sites/site"):
        directory = site.find("./application[@path='/']/virtualDirectory[@path='/']")
        if directory is not None and directory.get("physicalPath"):
            roots.append(host.expand(str(directory.get("physicalPath"))))
    return roots


@emulates("hardened.iis.iis_host_state")
def iis_host_state(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    windir = host.environment["windir"]
    config = f"{windir}\\System32\\inetsrv\\config"
    paths = [f"{config}\\applicationHost.config"]
    schema = host.local(f"{config}\\schema")
    if schema.is_dir():
        paths += [f"{config}\\schema\\{p.name}" for p in sorted(schema.iterdir()) if p.suffix.casefold() == ".xml"]
    framework = f"{windir}\\Microsoft.NET\\Framework64\\v4.0.30319\\Config"
    paths += [f"{framework}\\machine.config", f"{framework}\\web.config"]
    apphost = host.read(paths[0])
    if args["include_web_configs"] and apphost is not None:
        for folder in _site_folders(host, apphost):
            local = host.local(folder)
            if local.is_dir():
                paths += sorted(host.windows_path(p) for p in local.rglob("*") if p.is_file() and p.name.casefold() == "web.config")
    paths += list(args["extra_files"])
    files, unreadable, seen = [], [], set()
    for path in paths:
        data = host.read(path)
        if data is None or path.casefold() in seen:
            continue
        seen.add(path.casefold())
        if len(data) > args["max_file_size"]:
            unreadable.append({"path": path, "reason": f"larger than max_file_size ({len(data)} bytes)"})
            continue
        files.append({"path": path, "content": base64.b64encode(data).decode("ascii")})
    probes = []
    site_roots = _site_roots(host, apphost) if apphost is not None else []
    for probe in args["probe_paths"]:
        expanded = host.expand(probe)
        for candidate in [expanded.replace("{site_root}", r) for r in site_roots] if "{site_root}" in expanded else [expanded]:
            local = host.local(candidate)
            kind = "directory" if local.is_dir() else "file" if local.is_file() else None
            probes.append({"path": candidate, "exists": kind is not None, "kind": kind})
    state = json.loads(json.dumps(host.state, default=str))
    state["acls"] = _acls(host, state.get("acls"), args["acl_paths"])
    state["ssl_bindings"] = list(state.get("ssl_bindings") or [])  # iis_host_state.ps1 always lists them, none when HTTP.sys has none
    state["collected_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    sources: list[dict[str, Any]] = []
    if args["gather_updates"]:
        sources = [{"source": s, "ok": True, "error": None} for s in ("hotfix", "msu", "history", "defender")]
    else:
        state.pop("updates", None)
        state.pop("defender", None)
    found = None
    warnings = []
    intent_path = f"{_backup_root(host, args['backup_dir'])}\\{INTENT}"
    raw = host.read(intent_path)
    if raw is not None:
        try:  # an apply may be writing it this instant: the module warns and reports none, as iis_host_state.ps1 does
            found = {**_intent_summary(json.loads(raw)), "completed": False}
        except (ValueError, KeyError, TypeError) as exc:
            warnings.append(f"An intent record of an apply that never finished is at '{intent_path}' but cannot be read: {exc}")
    result = {
        "changed": False,
        "state": state,
        "files": files,
        "unreadable": unreadable,
        "probes": probes,
        "update_sources": sources,
        "interrupted_apply": found,
    }
    if warnings:
        result["warnings"] = warnings
    return result


def _acls(host: WindowsHost, recorded: Any, wanted: list[str]) -> dict[str, Any]:
    """The ACLs of the paths asked for (expanded) that the host's state.yml records (``acls``): the host's own, as Get-Acl reads them."""
    by_path = {str(path).casefold(): (str(path), entries) for path, entries in (recorded or {}).items()} if isinstance(recorded, dict) else {}
    found = {}
    for path in wanted:
        hit = by_path.get(host.expand(path).casefold())
        if hit is not None:
            found[hit[0]] = hit[1]
    return found


def _backup_root(host: WindowsHost, backup_dir: str) -> str:
    return host.expand(backup_dir).rstrip("\\")


def _wanted_registry(value: dict[str, Any]) -> dict[str, Any]:
    if value["state"] == "absent":
        return {"path": value["path"], "name": value["name"], "existed": False, "type": None, "value": None}
    return {"path": value["path"], "name": value["name"], "existed": True, "type": value["type"], "value": value["value"]}


def _registry_matches(host: WindowsHost, entry: dict[str, Any]) -> bool:
    current = host.registry_entry(entry["path"], entry["name"])
    if current["existed"] != entry["existed"]:
        return False
    return not entry["existed"] or (current["type"] == entry["type"] and json.dumps(current["value"]) == json.dumps(entry["value"]))


def _set_registry(host: WindowsHost, entry: dict[str, Any]) -> None:
    if entry["existed"]:
        host.set_registry(entry["path"], entry["name"], entry["type"], entry["value"])
    else:
        host.delete_registry(entry["path"], entry["name"])


def _restore_plan(host: WindowsHost, folder: str, manifest: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    restore = [e for e in manifest["files"] if e["existed"] and host.sha256(e["path"]) != e["sha256"]]
    remove = [e["path"] for e in manifest["files"] if not e["existed"] and host.read(e["path"]) is not None]
    registry = [e for e in manifest["registry"] if not _registry_matches(host, e)]
    return restore, remove, registry


def _restore(host: WindowsHost, folder: str, plan: tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]) -> None:
    restore, remove, registry = plan
    if FAULT == "restore-keeps-current-type":  # a deliberately broken restore, to show the contract suite catches it
        registry = [{**e, "type": host.registry_entry(e["path"], e["name"])["type"] or e["type"]} for e in registry]
    for entry in restore:
        host.write(entry["path"], host.local(f"{folder}\\{entry['copy'].replace('/', chr(92))}").read_bytes())
    for path in remove:
        host.remove(path)
    for entry in registry:
        _set_registry(host, entry)


class _LockBusy(Exception):
    """Another call holds the host's lock past lock_timeout."""


class _Died(Exception):
    """The module's process ended at a crash point (HARDENED_IIS_STANDIN_FAULT=apply-dies-at:<step>)."""


def _dies_at(step: str) -> None:
    kind, _colon, where = FAULT.partition(":")
    if kind == "apply-dies-at" and where == step:
        raise _Died(step)


def _holder_words(holder: dict[str, Any] | None) -> str:
    """Format-HardenedIisHolder's words for a lock holder."""
    if not holder:
        return "a holder that did not say who it is"
    return f"{holder.get('purpose')} by {holder.get('user')} on {holder.get('controller')} (host process {holder.get('host_pid')}) since {holder.get('since')}"


def _lock_holder(path: Any) -> dict[str, Any] | None:
    try:
        data = path.read_bytes()
        holder = json.loads(data) if data else None
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


@contextlib.contextmanager
def _host_lock(host: WindowsHost, root: str, holder: dict[str, Any], timeout: int) -> Iterator[dict[str, Any]]:
    """hardened-iis.lock under the backup root, held for the call and deleted as it is released (Enter-HardenedIisLock).

    Yields the holder written and ``waited_for``: the holder this call waited for, or None.
    """
    folder = host.local(root)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK
    deadline = time.monotonic() + timeout
    waited_for = None
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            current = _holder_words(_lock_holder(path))
            waited_for = waited_for or current
            if time.monotonic() >= deadline:
                raise _LockBusy(
                    f"The host is being changed by another hardened.iis call: {current}; "
                    f"waited {timeout} s for '{root}\\{LOCK}' (lock_timeout) and changed nothing"
                ) from None
            time.sleep(0.05)
            continue
        if path.exists() and os.fstat(handle).st_ino == path.stat().st_ino:
            break
        os.close(handle)  # the file a previous holder deleted as it let go: take the new one
    host.reload()  # what the previous holder wrote
    record = {**holder, "host_pid": os.getpid()}
    os.ftruncate(handle, 0)
    os.write(handle, json.dumps(record).encode("utf-8"))
    try:
        yield {"holder": record, "waited_for": waited_for}
    finally:
        path.unlink(missing_ok=True)
        os.close(handle)


def _intent_summary(intent: dict[str, Any]) -> dict[str, Any]:
    return {
        "backup": intent["backup"],
        "started": intent["started"],
        "holder": intent["holder"],
        "files": [f["path"] for f in intent["files"]],
        "registry": [f"{r['path']}\\{r['name']}" for r in intent["registry"]],
    }


def _complete_interrupted(host: WindowsHost, root: str, only: str | None = None) -> dict[str, Any] | None:
    """Complete-HardenedIisInterruptedApply: incomplete backups removed; an intent record's backup restored, the record removed."""
    backups = host.local(root)
    for folder in [p for p in backups.iterdir() if p.is_dir() and BACKUP_ID.match(p.name) and not (p / "backup.json").is_file()]:
        shutil.rmtree(folder)
    raw = host.read(f"{root}\\{INTENT}")
    if raw is None:
        return None
    intent = json.loads(raw)
    if only and intent["backup"] != only:
        return None
    folder = f"{root}\\{intent['backup']}"
    manifest = host.read(f"{folder}\\backup.json")
    if manifest is None:
        raise HostPathError(
            f"An apply that never finished (backup {intent['backup']}, started {intent['started']} by {_holder_words(intent['holder'])}) left the host "
            f"partly changed, and its backup cannot be restored: backup.json is missing. Check the host, then remove '{root}\\{INTENT}'"
        )
    plan = _restore_plan(host, folder, json.loads(manifest))
    _restore(host, folder, plan)
    for entry in intent["files"]:
        host.remove(f"{entry['path']}.hardened-iis.tmp")
    host.remove(f"{root}\\{INTENT}")
    restore, remove, registry = plan
    return {**_intent_summary(intent), "completed": True, "restored": [e["path"] for e in restore], "removed": remove, "registry_restored": len(registry)}


def _value_sha256(entry: dict[str, Any]) -> str:
    text = json.dumps({"existed": bool(entry["existed"]), "type": entry["type"], "value": entry["value"]}, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_backup(host: WindowsHost, folder: str, args: dict[str, Any], pending: list[dict[str, Any]], backup_id: str) -> dict[str, Any]:
    """New-HardenedIisBackup: the copies, then backup.json last."""
    files = []
    for index, change in enumerate(args["files"]):
        data = host.read(change["path"])
        if data is None:
            files.append({"path": change["path"], "existed": False, "sha256": None, "copy": None})
            continue
        if FAULT == "backup-disk-full" and index > 0:
            raise OSError(errno.ENOSPC, "There is not enough space on the disk")
        host.write(f"{folder}\\files\\{index}.bak", data)
        files.append({"path": change["path"], "existed": True, "sha256": hashlib.sha256(data).hexdigest(), "copy": f"files/{index}.bak"})
    _dies_at("backup")
    registry = [host.registry_entry(w["path"], w["name"]) for w in pending]
    manifest = {"format": BACKUP_FORMAT, "id": backup_id, "created": datetime.datetime.now(datetime.UTC).isoformat(), "files": files, "registry": registry}
    host.write(f"{folder}\\backup.json", json.dumps(manifest, indent=1).encode("utf-8"))
    return manifest


def _changes(host: WindowsHost, args: dict[str, Any]) -> tuple[str | None, list[dict[str, Any]]]:
    """(why the plan is refused, or None; the registry values that differ)."""
    for change in args["files"]:
        current = host.sha256(change["path"])
        if current != change["before_sha256"]:
            expected = change["before_sha256"]
            return f"{change['path']} changed since the plan was made (SHA-256 {current}, the plan expected {expected}); nothing was written", []
    return None, [w for w in (_wanted_registry(v) for v in args["registry"]) if not _registry_matches(host, w)]


def _apply_held(host: WindowsHost, args: dict[str, Any], root: str, lock: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """iis_apply once it holds the lock and has completed any interrupted apply."""
    refused, pending = _changes(host, args)
    if refused:
        waited = f"; this call first waited for another one that held the host: {lock['waited_for']}" if lock["waited_for"] else ""
        return result | {"failed": True, "msg": refused + waited}
    if not args["files"] and not pending:
        return result
    result["changed"] = True
    backup_id = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = f"{root}\\{backup_id}"
    try:
        manifest = _write_backup(host, folder, args, pending, backup_id)
    except OSError as exc:
        shutil.rmtree(host.local(folder), ignore_errors=True)
        free = shutil.disk_usage(host.local(root)).free
        return result | {
            "failed": True,
            "msg": f"Backing up to '{folder}' failed ({exc.strerror}; {free} bytes free on C:\\); "
            "the incomplete backup folder was removed and nothing was changed",
        }
    result.update(backup=backup_id, backup_path=folder)
    intent = {
        "format": 1,
        "backup": backup_id,
        "started": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "holder": lock["holder"],
        "files": [
            {"path": c["path"], "before_sha256": c["before_sha256"], "after_sha256": hashlib.sha256(base64.b64decode(c["content"])).hexdigest()}
            for c in args["files"]
        ],
        "registry": [
            {"path": w["path"], "name": w["name"], "before_sha256": _value_sha256(host.registry_entry(w["path"], w["name"])), "after_sha256": _value_sha256(w)}
            for w in pending
        ],
    }
    host.write(f"{root}\\{INTENT}", json.dumps(intent, indent=1).encode("utf-8"))
    _dies_at("intent")
    for number, change in enumerate(args["files"], start=1):
        host.write(change["path"], base64.b64decode(change["content"]))
        _dies_at(f"write:{number}")
    for entry in pending:
        _set_registry(host, entry)
    _dies_at("registry")
    failure = _validate(host, args) if args["validate"] else None
    if failure:
        _restore(host, folder, _restore_plan(host, folder, manifest))
        host.remove(f"{root}\\{INTENT}")
        return result | {
            "failed": True,
            "restored": True,
            "msg": f"Applying the plan failed ({failure}); every file and registry value was restored from '{folder}'",
        }
    _dies_at("validated")
    host.remove(f"{root}\\{INTENT}")
    complete = [p for p in host.local(root).iterdir() if p.is_dir() and BACKUP_ID.match(p.name) and (p / "backup.json").is_file()]
    for old in sorted(complete, key=lambda p: p.name, reverse=True)[args["backup_retention"] :]:
        shutil.rmtree(old)
    return result | {"files": [c["path"] for c in args["files"]], "registry": len(pending)}


def _died(host: WindowsHost, step: str) -> dict[str, Any]:
    """What Ansible reports when a module's process ends without an answer; what it wrote stays written."""
    host.save()
    return {"failed": True, "changed": False, "msg": f"MODULE FAILURE: the module's process ended at {step} (HARDENED_IIS_STANDIN_FAULT={FAULT})"}


@emulates("hardened.iis.iis_apply")
def iis_apply(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "changed": False,
        "backup": None,
        "backup_path": None,
        "restored": False,
        "files": [],
        "registry": 0,
        "recovered_interrupted_apply": None,
    }
    root = _backup_root(host, args["backup_dir"])
    if check_mode:
        refused, pending = _changes(host, args)
        return result | ({"failed": True, "msg": refused} if refused else {"changed": bool(args["files"] or pending)})
    try:
        with _host_lock(host, root, args["lock_holder"], args["lock_timeout"]) as lock:
            result["recovered_interrupted_apply"] = _complete_interrupted(host, root)
            return _apply_held(host, args, root, lock, result)
    except _LockBusy as exc:
        return result | {"failed": True, "msg": str(exc)}
    except _Died as exc:
        return _died(host, str(exc))


def _validate(host: WindowsHost, args: dict[str, Any]) -> str | None:
    """What the IIS configuration API would say of the written files: each must be well-formed XML."""
    for change in args["files"]:
        try:
            ElementTree.fromstring(host.read(change["path"]) or b"")
        except ElementTree.ParseError as exc:
            return f"{change['path']}: {exc}"
    return None


@emulates("hardened.iis.iis_restore")
def iis_restore(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"changed": False, "backup": args["backup"], "restored": [], "removed": [], "registry": 0, "recovered_interrupted_apply": None}
    root = _backup_root(host, args["backup_dir"])
    if check_mode:
        if args["interrupted_only"]:
            raw = host.read(f"{root}\\{INTENT}")
            return result | {"changed": raw is not None and json.loads(raw)["backup"] == args["backup"]}
        return _restore_held(host, args, root, result, check_mode=True)
    try:
        with _host_lock(host, root, args["lock_holder"], args["lock_timeout"]):
            recovered = _complete_interrupted(host, root, args["backup"] if args["interrupted_only"] else None)
            result.update(recovered_interrupted_apply=recovered, changed=recovered is not None)
            if args["interrupted_only"]:
                return result
            return _restore_held(host, args, root, result, check_mode=False)
    except _LockBusy as exc:
        return result | {"failed": True, "msg": str(exc)}


def _restore_held(host: WindowsHost, args: dict[str, Any], root: str, result: dict[str, Any], *, check_mode: bool) -> dict[str, Any]:
    backup = args["backup"]
    folder = f"{root}\\{backup}" if "\\" not in backup else backup
    raw = host.read(f"{folder}\\backup.json")
    if raw is None:
        return result | {"failed": True, "msg": f"Cannot use the backup '{folder}'; nothing was restored: backup.json is missing"}
    manifest = json.loads(raw)
    if manifest.get("format") != BACKUP_FORMAT:
        return result | {"failed": True, "msg": f"Cannot use the backup '{folder}'; nothing was restored: format {manifest.get('format')}"}
    for entry in manifest["files"]:
        if entry["copy"] and host.read(f"{folder}\\{entry['copy'].replace('/', chr(92))}") is None:
            return result | {"failed": True, "msg": f"Cannot use the backup '{folder}'; nothing was restored: '{entry['copy']}' is missing"}
    plan = _restore_plan(host, folder, manifest)
    restore, remove, registry = plan
    differs = bool(restore or remove or registry)
    result.update(restored=[e["path"] for e in restore], removed=remove, registry=len(registry), changed=result["changed"] or differs)
    if differs and not check_mode:
        _restore(host, folder, plan)
    return result


# --- ansible.windows ------------------------------------------------------------------------------


@emulates("ansible.windows.win_ping")
def win_ping(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    if args["data"] == "crash":
        return {"failed": True, "changed": False, "msg": "boom"}  # as documented: data=crash makes win_ping fail
    return {"changed": False, "ping": args["data"]}


@emulates("ansible.windows.win_feature")
def win_feature(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    wanted = "installed" if args["state"] == "present" else "absent"
    results = []
    for name in args["name"]:
        current = host.feature(name)
        if current is None and wanted == "installed":
            return {"failed": True, "changed": False, "msg": f"Failed to find feature '{name}'", "reboot_required": False}
        if current not in (None, wanted):
            results.append({"id": len(results), "display_name": name, "message": [], "reboot_required": False, "skip_reason": "NoReboot", "success": True})
            if not check_mode:
                host.set_feature(name, wanted)
    changed = bool(results)
    return {"changed": changed, "exitcode": "Success" if changed else "NoChangeNeeded", "feature_result": results, "reboot_required": False}


@emulates("hardened.iis.win_integrity_capture")
def win_integrity_capture(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Rows ``[path, type, size, mtime_ns, hash, attributes, owner, acl, target]`` of every entry under the roots."""
    if args["algorithm"] == "blake2b":
        return {"failed": True, "changed": False, "msg": "algorithm blake2b: .NET has no BLAKE2"}
    excluded = glob_pattern([host.expand(e) for e in args["exclude"]], case_insensitive=True)
    rows: list[list[Any]] = []
    unreadable = []
    stats = {"files": 0, "directories": 0, "bytes_hashed": 0, "hashed": 0, "reused": 0, "seconds": 0.0}
    roots = [host.expand(r).rstrip("\\") for r in args["roots"]]
    for root in roots:
        local = host.local(root)
        if not local.exists():
            unreadable.append({"path": root, "reason": "not found"})
            continue
        for path in [local, *sorted(local.rglob("*"))] if local.is_dir() else [local]:
            windows = host.windows_path(path)
            if excluded is not None and excluded.search(windows.replace("\\", "/")):
                continue
            info = path.stat()
            if path.is_dir():
                stats["directories"] += 1
                rows.append([windows, "directory", 0, info.st_mtime_ns, None, "D", "BUILTIN\\Administrators", "standin-acl", None])
                continue
            data = path.read_bytes()
            stats["files"] += 1
            stats["hashed"] += 1
            stats["bytes_hashed"] += len(data)
            digest = hashlib.new(args["algorithm"], data).hexdigest()
            rows.append([windows, "file", len(data), info.st_mtime_ns, digest, "A", "BUILTIN\\Administrators", "standin-acl", None])
    manifest = {
        "format": "hardened.iis/manifest/v1",
        "platform": "windows",
        "algorithm": args["algorithm"],
        "case_insensitive": True,
        "roots": roots,
        "exclude": list(args["exclude"]),
        "count": len(rows),
        "rows_gz": encode_rows(rows),
    }
    return {"changed": False, "manifest": manifest, "unreadable": unreadable[: args["max_unreadable"]], "unreadable_count": len(unreadable), "stats": stats}


_REG_TYPES = {
    "dword": "REG_DWORD",
    "qword": "REG_QWORD",
    "string": "REG_SZ",
    "expandstring": "REG_EXPAND_SZ",
    "multistring": "REG_MULTI_SZ",
    "binary": "REG_BINARY",
}


@emulates("ansible.windows.win_reg_stat")
def win_reg_stat(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    if not args["name"]:
        return {"failed": True, "changed": False, "msg": "the stand-in reads one registry value at a time (give name)"}
    entry = host.registry_entry(args["path"], args["name"])
    if not entry["existed"]:
        return {"changed": False, "exists": False}
    return {"changed": False, "exists": True, "type": _REG_TYPES[entry["type"]], "value": entry["value"], "raw_value": entry["value"]}


@emulates("ansible.windows.win_stat")
def win_stat(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    local = host.local(args["path"])
    if not local.exists():
        return {"changed": False, "stat": {"exists": False}}
    stat: dict[str, Any] = {
        "exists": True,
        "path": host.windows_path(local),
        "filename": local.name,
        "isdir": local.is_dir(),
        "isreg": local.is_file(),
        "islnk": False,
        "isjunction": False,
    }
    if local.is_file():
        stat["extension"] = local.suffix
        if args["get_size"]:
            stat["size"] = local.stat().st_size
        if args["get_checksum"]:
            stat["checksum"] = hashlib.new(args["checksum_algorithm"], local.read_bytes()).hexdigest()
    return {"changed": False, "stat": stat}


# --- firewall ---------------------------------------------------------------------------------------

_PROFILES = ("Domain", "Private", "Public")


def _firewall(host: WindowsHost) -> dict[str, Any]:
    firewall: dict[str, Any] = host.extra.setdefault("firewall", {})
    profiles = firewall.setdefault("profiles", {})
    for name in _PROFILES:
        profiles.setdefault(name, {"enabled": "True", "inbound": "Block", "outbound": "Allow"})
    firewall.setdefault("rules", {})
    return firewall


@emulates("hardened.iis.firewall_profiles")
def firewall_profiles(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    profiles = _firewall(host)["profiles"]
    return {"changed": False, "profiles": [{"name": name, **profiles[name]} for name in _PROFILES]}


@emulates("ansible.windows.win_firewall")
def win_firewall(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    profiles = _firewall(host)["profiles"]
    wanted: dict[str, str] = {}
    if args["state"]:
        wanted["enabled"] = "True" if args["state"] == "enabled" else "False"
    for key in ("inbound", "outbound"):
        action = args[f"{key}_action"]
        if action:
            wanted[key] = {"allow": "Allow", "block": "Block", "not_configured": "NotConfigured"}[action]
    changed = False
    for name in args["profiles"]:
        if any(profiles[name].get(k) != v for k, v in wanted.items()):
            changed = True
            if not check_mode:
                profiles[name].update(wanted)
    return {"changed": changed, "enabled": wanted.get("enabled") == "True", "profiles": args["profiles"], "state": args["state"]}


@emulates("community.windows.win_firewall_rule")
def win_firewall_rule(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    rules = _firewall(host)["rules"]
    name = args["name"]
    if args["state"] == "absent":
        if name in rules and not check_mode:
            del rules[name]
        return {"changed": name in rules or (check_mode and name in rules)}
    wanted = {k: v for k, v in args.items() if k not in ("name", "state") and v is not None}
    changed = rules.get(name) != wanted
    if changed and not check_mode:
        rules[name] = wanted
    return {"changed": changed}


# --- processes, files ---------------------------------------------------------------------------------


@emulates("hardened.iis.host_processes")
def host_processes(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC).isoformat()
    return {
        "changed": False,
        "collected_at": now,
        "processes": list(host.state.get("processes") or []),
        "listening_ports": list(host.state.get("listening_ports") or []),
    }


@emulates("ansible.windows.win_find")
def win_find(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """Files by glob pattern in the given folders (the options the collection uses: paths, patterns, recurse)."""
    unsupported = [k for k in ("age", "size", "depth") if args[k] is not None] + (["use_regex"] if args["use_regex"] else [])
    if unsupported or args["file_type"] != "file":
        return {
            "failed": True,
            "changed": False,
            "msg": f"the stand-in's win_find does not emulate {', '.join(unsupported) or 'file_type'}",
            "examined": 0,
            "matched": 0,
        }
    files, examined = [], 0
    for folder in args["paths"]:
        local = host.local(folder)
        if not local.is_dir():
            continue
        for path in sorted(local.rglob("*") if args["recurse"] else local.iterdir()):
            if not path.is_file():
                continue
            examined += 1
            if args["patterns"] and not any(fnmatch.fnmatch(path.name.casefold(), p.casefold()) for p in args["patterns"]):
                continue
            info = path.stat()
            entry: dict[str, Any] = {
                "path": host.windows_path(path),
                "filename": path.name,
                "extension": path.suffix,
                "size": info.st_size,
                "lastwritetime": info.st_mtime,
                "creationtime": info.st_mtime,
                "isdir": False,
                "exists": True,
            }
            if args["get_checksum"]:
                entry["checksum"] = hashlib.new(args["checksum_algorithm"], path.read_bytes()).hexdigest()
            files.append(entry)
    return {"changed": False, "examined": examined, "matched": len(files), "files": files}


# --- microsoft.iis: the runtime state of sites and application pools ----------------------------------


def _apphost(host: WindowsHost) -> ElementTree.Element:
    data = host.read(f"{host.environment['windir']}\\System32\\inetsrv\\config\\applicationHost.config")
    if data is None:
        raise HostPathError("applicationHost.config is missing: IIS is not installed")
    return ElementTree.fromstring(data)


def _runtime(host: WindowsHost, kind: str) -> dict[str, str]:
    runtime: dict[str, str] = host.extra.setdefault("runtime", {}).setdefault(kind, {})
    return runtime


@emulates("microsoft.iis.website_info")
def website_info(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    sites = []
    for site in _apphost(host).iterfind("./system.applicationHost/sites/site"):
        name = str(site.get("name"))
        if args["name"] and name.casefold() != args["name"].casefold():
            continue
        root = site.find("./application[@path='/']")
        directory = site.find("./application[@path='/']/virtualDirectory[@path='/']")
        sites.append(
            {
                "name": name,
                "site_id": site.get("id"),
                "state": _runtime(host, "sites").get(name, "Started"),
                "application_pool": root.get("applicationPool", "DefaultAppPool") if root is not None else None,
                "physical_path": directory.get("physicalPath") if directory is not None else None,
                "bindings": [b.attrib for b in site.iterfind("./bindings/binding")],
            }
        )
    return {"changed": False, "exists": bool(sites), "site": sites}


@emulates("microsoft.iis.web_app_pool_info")
def web_app_pool_info(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    pools = []
    for pool in _apphost(host).iterfind("./system.applicationHost/applicationPools/add"):
        name = str(pool.get("name"))
        if args["name"] and name.casefold() != args["name"].casefold():
            continue
        pools.append({"name": name, "attributes": {**pool.attrib, "state": _runtime(host, "app_pools").get(name, "Started")}})
    return {"changed": False, "exists": bool(pools), "app_pools": pools}


def _set_runtime(host: WindowsHost, kind: str, name: str, state: str, check_mode: bool, known: list[str]) -> dict[str, Any]:
    if state not in ("started", "stopped"):
        return {"failed": True, "changed": False, "msg": f"the stand-in emulates state started and stopped only, not {state}"}
    if name not in known:
        return {"failed": True, "changed": False, "msg": f"{name}: no such {'site' if kind == 'sites' else 'application pool'} in applicationHost.config"}
    wanted = state.capitalize()
    changed = _runtime(host, kind).get(name, "Started") != wanted
    if changed and not check_mode:
        _runtime(host, kind)[name] = wanted
    return {"changed": changed}


@emulates("microsoft.iis.website")
def website(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    known = [str(s.get("name")) for s in _apphost(host).iterfind("./system.applicationHost/sites/site")]
    return _set_runtime(host, "sites", args["name"], args["state"], check_mode, known)


@emulates("microsoft.iis.web_app_pool")
def web_app_pool(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    known = [str(p.get("name")) for p in _apphost(host).iterfind("./system.applicationHost/applicationPools/add")]
    return _set_runtime(host, "app_pools", args["name"], args["state"], check_mode, known)


# --- patches and rollouts ------------------------------------------------------------------------------


@emulates("hardened.iis.installed_updates")
def installed_updates(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    have = {str(u.get("kb", "")).casefold() for u in host.state.get("updates") or [] if isinstance(u, dict)}
    return {"changed": False, "installed": [kb for kb in args["kbs"] if kb.casefold() in have], "sources": ["hotfix", "packages"]}


@emulates("hardened.iis.defender_update")
def defender_update(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    defender = host.state.get("defender")
    if not isinstance(defender, dict):
        return {"failed": True, "changed": False, "msg": "Cannot read Microsoft Defender's status (is Defender installed?)"}
    before = str(defender.get("signature_version"))
    after = str(host.extra.get("defender_latest_signature") or before)  # what Microsoft publishes, as the test sets it
    if not check_mode and after != before:
        defender["signature_version"] = after
    return {"changed": after != before, "signature_before": before, "signature_after": before if check_mode else after}


@emulates("hardened.iis.iis_config_backup")
def iis_config_backup(host: WindowsHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    inetsrv = f"{host.environment['windir']}\\System32\\inetsrv"
    folder = f"{inetsrv}\\backup\\{args['name']}"
    result: dict[str, Any] = {"changed": False, "name": args["name"], "path": folder}
    config = host.local(f"{inetsrv}\\config")
    saved = host.local(folder)
    if args["state"] == "present":
        if not saved.is_dir():
            result["changed"] = True
            if not check_mode:
                saved.mkdir(parents=True)
                for path in config.glob("*.config"):
                    shutil.copy2(path, saved / path.name)
        return result
    if not saved.is_dir():
        return result | {"failed": True, "msg": f"There is no IIS configuration backup '{args['name']}' ({folder}); nothing was restored"}
    differing = [p for p in saved.glob("*.config") if not (config / p.name).is_file() or (config / p.name).read_bytes() != p.read_bytes()]
    result["changed"] = bool(differing)
    if not check_mode:
        for path in differing:
            shutil.copy2(path, config / path.name)
    return result
