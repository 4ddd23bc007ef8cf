# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for hardened.iis.evidence_bundle: one host's evidence bundle, written on the controller."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import SnapshotFiles, normalize
from ansible_collections.hardened.iis.plugins.plugin_utils._controller_action import ControllerAction
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot, read_state_document, state_from_gather
from ansible_collections.hardened.iis.plugins.plugin_utils._core.snapshot import snapshot_content, write_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.evidence import (
    EvidenceError,
    bundle_path,
    found_logs,
    log_directories,
    select_logs,
    tree_digest,
    w3c_span,
    window,
    write_manifest,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS
from ansible_collections.hardened.iis.plugins.plugin_utils._target import LiveTarget, SnapshotTarget, catalog_probes

NOT_IN_A_SNAPSHOT = "not available in a snapshot"
ARGUMENT_SPEC: dict[str, Any] = {
    "dest": {"type": "path", "required": True},
    "window_start": {"type": "str", "required": True},
    "window_end": {"type": "str", "required": True},
    "snapshot": {"type": "path"},
    "host_state": {"type": "dict"},
    "processes": {"type": "raw"},
    "logs": {"type": "list", "elements": "dict", "default": []},
    "integrity": {"type": "raw"},
    "hotfix": {"type": "raw"},
    "collected_by": {"type": "str", "default": ""},
    "bundle": {"type": "str", "default": ""},
}


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


class ActionModule(ControllerAction):
    argument_spec = ARGUMENT_SPEC

    def subject(self, args: dict[str, Any], host: str) -> str:
        return f"evidence of {host}"

    def act(self, result: dict[str, Any], task_vars: dict[str, Any], args: dict[str, Any], host: str) -> dict[str, Any]:
        if self._task.check_mode:
            result.update(changed=False, skipped=True, msg="evidence is not written in check mode")
            return result
        dest = Path(args["dest"])
        target = self.target(args, task_vars, host)
        snapshot = str(target.root) if isinstance(target, SnapshotTarget) else None
        since, until = window(args["window_start"], args["window_end"])
        try:
            dest.mkdir(parents=True, exist_ok=True)
            if isinstance(target, SnapshotTarget):
                outcome = self._snapshot(target.root, dest, host, since.isoformat(), until.isoformat())
            elif isinstance(target, LiveTarget) and args["processes"] is None and not args["logs"]:
                outcome = self._read_live(target, dest, host, since.isoformat(), until.isoformat())
            else:
                outcome = self._live(args, dest, host)
        except OSError as exc:  # the bundle's folder or the snapshot's files
            raise EvidenceError(str(exc)) from exc
        for name in ("integrity", "hotfix"):
            if args[name] is not None:
                (dest / f"{name}.json").write_bytes(_json(args[name]))
            else:
                outcome["not_collected"].append(
                    {"what": name, "why": f"not configured ({'integrity_store' if name == 'integrity' else 'hardened_iis_cvrf_dir'})"}
                )
        record = {
            "host": host,
            "bundle": args["bundle"],
            "collected_by": args["collected_by"],
            "window": {"since": since.isoformat(), "until": until.isoformat()},
            "source": "snapshot" if snapshot else "live",
            **outcome,
        }
        (dest / "evidence.json").write_bytes(_json(record))
        manifest = write_manifest(dest)
        unchanged = outcome.get("tree_before") == outcome.get("tree_after")
        result.update(record, changed=True, dest=str(dest), manifest=str(dest / "manifest.sha256"), files=len(manifest), unchanged=unchanged)
        if not unchanged:
            result.update(
                failed=True,
                msg=f"evidence of {host}: the snapshot changed while the evidence was collected ({outcome['tree_before']} -> {outcome['tree_after']})",
            )
        return result

    def _snapshot(self, snapshot: Path, dest: Path, host: str, since: str, until: str) -> dict[str, Any]:
        before = tree_digest(snapshot)
        state = load_snapshot(str(snapshot), host)
        files = SnapshotFiles(snapshot / "files")
        directories = log_directories(state)
        candidates = []
        for directory in directories:
            folder = files.resolve(directory["directory"])
            if folder is None or not folder.is_dir():
                continue
            for found in sorted(folder.iterdir()):
                if found.is_file() and found.suffix.casefold() == ".log":
                    windows = normalize(directory["directory"] + "\\" + found.name)
                    span = w3c_span(found.read_bytes()) if directory["format"].casefold() == "w3c" else None
                    candidates.append({"path": windows, "name": found.name, "local": str(found), **({"span": [span[0], span[1]]} if span else {})})
        chosen = select_logs(candidates, since, until)
        log_paths = {c["local"] for c in candidates}
        content = {
            path.relative_to(snapshot).as_posix(): path.read_bytes()
            for path in sorted(snapshot.rglob("*"))
            if path.is_file()
            and str(path) not in log_paths
            and path.relative_to(snapshot).parts[0] in ("files", "state.yml")
            and BACKUPS not in path.relative_to(snapshot).parts
        }
        write_snapshot(content, dest / "snapshot")
        logs = []
        for entry in chosen:
            target = dest / "logs" / bundle_path(entry["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry["local"], target)
            logs.append({"path": entry["path"], "bundle": target.relative_to(dest).as_posix(), "covers": entry["covers"], "reason": entry["reason"]})
        state = read_state_document(snapshot)
        document = state if isinstance(state, dict) else {}
        not_collected = []
        if "processes" in document or "listening_ports" in document:
            processes = {"source": "state.yml", "processes": document.get("processes"), "listening_ports": document.get("listening_ports")}
        else:
            processes = {"source": "snapshot", "available": False, "reason": NOT_IN_A_SNAPSHOT}
            not_collected.append({"what": "processes and listening ports", "why": NOT_IN_A_SNAPSHOT})
        (dest / "processes.json").write_bytes(_json(processes))
        after = tree_digest(snapshot)
        return {
            "log_directories": directories,
            "logs": logs,
            "not_collected": not_collected,
            "tree_before": before["sha256"],
            "tree_after": after["sha256"],
        }

    def _read_live(self, target: LiveTarget, dest: Path, host: str, since: str, until: str) -> dict[str, Any]:
        """A live host read here, through its target: one gather, one process listing, the window's IIS logs fetched."""
        gathered = target.collect(probes=catalog_probes())
        write_snapshot(snapshot_content(gathered, host), dest / "snapshot")
        (dest / "processes.json").write_bytes(_json({"source": "live", **target.processes()}))
        directories = log_directories(state_from_gather(gathered, host))
        found = target.find_files([d["directory"] for d in directories], ["*.log"])
        logs = []
        for entry in select_logs(found_logs(found), since, until):
            local = dest / "logs" / bundle_path(str(entry["path"]))
            target.fetch(str(entry["path"]), local)
            logs.append({"path": entry["path"], "bundle": local.relative_to(dest).as_posix(), "covers": entry["covers"], "reason": entry["reason"]})
        return {"log_directories": directories, "logs": logs, "not_collected": [], "tree_before": None, "tree_after": None, "remote_calls": target.calls}

    def _live(self, args: dict[str, Any], dest: Path, host: str) -> dict[str, Any]:
        not_collected = []
        if args["host_state"]:
            state_from_gather(args["host_state"], host)
            write_snapshot(snapshot_content(args["host_state"], host), dest / "snapshot")
        else:
            not_collected.append({"what": "IIS configuration", "why": "no gather result given"})
        if args["processes"] is not None:
            (dest / "processes.json").write_bytes(
                _json({"source": "live", **(args["processes"] if isinstance(args["processes"], dict) else {"data": args["processes"]})})
            )
        else:
            not_collected.append({"what": "processes and listening ports", "why": "not read"})
        logs = []
        for entry in args["logs"]:
            local = dest / "logs" / bundle_path(str(entry.get("path", "")))
            if not local.is_file():
                not_collected.append({"what": f"log {entry.get('path')}", "why": "not fetched"})
                continue
            logs.append({"path": entry.get("path"), "bundle": local.relative_to(dest).as_posix(), "covers": entry.get("covers"), "reason": entry.get("reason")})
        return {"logs": logs, "not_collected": not_collected, "tree_before": None, "tree_after": None}
