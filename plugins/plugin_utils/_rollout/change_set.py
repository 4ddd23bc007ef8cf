# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A change set (what a rollout takes from test to production) and its approval record.

A change set is a YAML file (format: docs/rollout.md)::

    name: 2026-11 baseline and November updates
    baseline:              # what hardened.iis.harden applies (all optional)
      rules: [...]
      skip_rules: [...]
      params: {...}
      exceptions: [...]
    updates:
      manifest: approved-updates.yml   # relative to the change set file

Its identity is the SHA-256 of a canonical JSON of its content and of the bytes of the updates
manifest it names, so editing either after the test stage changes the identity, and the
production stage refuses it. The approval record ``rollout-<sha256>.json`` is written once
every test host passed its trials.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._files import write_atomically
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import Catalog

TOP_KEYS = frozenset({"name", "description", "baseline", "updates"})
BASELINE_KEYS = frozenset({"rules", "skip_rules", "params", "exceptions"})
UPDATES_KEYS = frozenset({"manifest"})


class ChangeSetError(HardenedIisError, ValueError):
    """The change set cannot be used, or has not passed the test stage; the message names the file and key."""


@dataclass(frozen=True)
class ChangeSet:
    path: Path
    name: str
    data: dict[str, Any]
    manifest: Path | None
    sha256: str

    @property
    def baseline(self) -> dict[str, Any]:
        """The harden arguments of the change set (empty lists and mappings when it has none)."""
        baseline = self.data.get("baseline") or {}
        return {
            "rules": list(baseline.get("rules") or []),
            "skip_rules": list(baseline.get("skip_rules") or []),
            "params": dict(baseline.get("params") or {}),
            "exceptions": list(baseline.get("exceptions") or []),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "sha256": self.sha256,
            "has_baseline": "baseline" in self.data,
            "baseline": self.baseline,
            "updates_manifest": str(self.manifest) if self.manifest else None,
        }


def _load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ChangeSetError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ChangeSetError(f"{where}: not valid YAML ({exc.problem})") from exc
    except yaml.YAMLError as exc:
        raise ChangeSetError(f"{path}: not valid YAML ({exc})") from exc


def _mapping(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChangeSetError(f"{where}: must be a mapping, not {type(value).__name__}")
    unknown = sorted(str(key) for key in value if key not in allowed)
    if unknown:
        raise ChangeSetError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")
    return value


def _check_baseline(baseline: dict[str, Any], where: str, catalog: Catalog) -> None:
    known = {rule.id for rule in catalog.rules}
    for key in ("rules", "skip_rules"):
        ids = baseline.get(key) or []
        if not isinstance(ids, list) or not all(isinstance(rule, str) for rule in ids):
            raise ChangeSetError(f"{where}.{key}: must be a list of rule ids")
        unknown = sorted(set(ids) - known)
        if unknown:
            raise ChangeSetError(f"{where}.{key}: unknown rule id(s) {', '.join(unknown)}")
    params = baseline.get("params") or {}
    if not isinstance(params, dict):
        raise ChangeSetError(f"{where}.params: must be a mapping of rule id to values")
    unknown = sorted(set(params) - known)
    if unknown:
        raise ChangeSetError(f"{where}.params: unknown rule id(s) {', '.join(unknown)}")
    exceptions = baseline.get("exceptions") or []
    if not isinstance(exceptions, list):
        raise ChangeSetError(f"{where}.exceptions: must be a list")
    unknown = sorted({str(item.get("rule")) for item in exceptions if isinstance(item, dict)} - known)
    if unknown:
        raise ChangeSetError(f"{where}.exceptions: unknown rule id(s) {', '.join(unknown)}")


def load_change_set(path: str | Path, catalog: Catalog) -> ChangeSet:
    """Read, check and identify a change set; ChangeSetError names the file and key that is wrong."""
    location = Path(path)
    data = _mapping(_load_yaml(location), str(location), TOP_KEYS)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ChangeSetError(f"{location}: name: a change set needs a name")
    if "baseline" not in data and "updates" not in data:
        raise ChangeSetError(f"{location}: a change set needs a baseline, updates, or both")
    if "baseline" in data:
        _check_baseline(_mapping(data["baseline"] or {}, f"{location}: baseline", BASELINE_KEYS), f"{location}: baseline", catalog)
    manifest: Path | None = None
    manifest_sha256 = None
    if "updates" in data:
        updates = _mapping(data["updates"], f"{location}: updates", UPDATES_KEYS)
        if not isinstance(updates.get("manifest"), str):
            raise ChangeSetError(f"{location}: updates.manifest: name the approved-updates manifest")
        manifest = (location.parent / updates["manifest"]).resolve()
        try:
            manifest_sha256 = hashlib.sha256(manifest.read_bytes()).hexdigest()
        except OSError as exc:
            raise ChangeSetError(f"{location}: updates.manifest: {manifest} cannot be read ({exc.strerror})") from exc
    identity = {"change_set": data, "updates_manifest_sha256": manifest_sha256}
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return ChangeSet(location, name.strip(), data, manifest, hashlib.sha256(canonical.encode("ascii")).hexdigest())


def approval_path(approvals: Path, change_set: ChangeSet) -> Path:
    return approvals / f"rollout-{change_set.sha256}.json"


def record_approval(approvals: Path, change_set: ChangeSet, tested: dict[str, Any], approver: str, *, check_mode: bool = False) -> tuple[dict[str, Any], bool]:
    """Write the record that ``change_set`` passed the test stage on ``tested`` hosts.

    Returns the record and whether it was written: an existing record of exactly this change set
    (same SHA-256, same hosts) is kept as it is, so a second run changes nothing.
    """
    if not tested:
        raise ChangeSetError(f"change set {change_set.name!r}: no test host passed its trials; nothing to approve")
    path = approval_path(approvals, change_set)
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = None
    if isinstance(existing, dict) and existing.get("change_set_sha256") == change_set.sha256 and existing.get("tested_hosts") == dict(sorted(tested.items())):
        return existing, False
    record = {
        "change_set": change_set.name,
        "change_set_path": str(change_set.path),
        "change_set_sha256": change_set.sha256,
        "approved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "approved_by": approver,
        "tested_hosts": dict(sorted(tested.items())),
    }
    if not check_mode:
        approvals.mkdir(parents=True, exist_ok=True)
        write_atomically(path, (json.dumps(record, indent=2, sort_keys=True) + "\n").encode("utf-8"), mode=0o640)
    return record, True


def _records(approvals: Path) -> list[dict[str, Any]]:
    records = []
    for path in sorted(approvals.glob("rollout-*.json")) if approvals.is_dir() else []:
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return records


def require_approval(approvals: Path, change_set: ChangeSet) -> dict[str, Any]:
    """The approval record of exactly this change set; ChangeSetError says why there is none."""
    path = approval_path(approvals, change_set)
    try:
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        record = {}
    except (OSError, ValueError) as exc:
        raise ChangeSetError(f"approval record {path} cannot be read ({exc}); production refused") from exc
    if record.get("change_set_sha256") == change_set.sha256:
        return record
    earlier = [r for r in _records(approvals) if r.get("change_set") == change_set.name]
    if earlier:
        newest = max(earlier, key=lambda r: str(r.get("approved_at")))
        raise ChangeSetError(
            f"change set {change_set.name!r} ({change_set.path}) changed since it passed the test stage on "
            f"{newest.get('approved_at')} (approved SHA-256 {newest.get('change_set_sha256')}, now {change_set.sha256}): "
            "run the test stage again; production refused"
        )
    raise ChangeSetError(
        f"change set {change_set.name!r} ({change_set.path}, SHA-256 {change_set.sha256}) has not passed the test stage "
        f"(no approval record {path}): run the rollout with rollout_stage=test or all first; production refused"
    )
