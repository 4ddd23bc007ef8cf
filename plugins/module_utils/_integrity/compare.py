# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare a fresh capture with a baseline: added, removed, renamed and changed entries.

Rows are compared whole first (one list comparison per path, so a million unchanged
entries cost little); only rows that differ are taken apart into the attributes that
changed, old -> new. A removed and an added file with the same content hash and size are
reported as one rename. Each change gets the action of the first policy glob that matches
its path (``fail`` or ``warn``; ``fail`` when none does).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused

from .manifest import FIELDS, Manifest, ManifestError, glob_pattern

ACTIONS = ("fail", "warn")
# The attributes a change names; mtime is named only when nothing else changed (a file touched),
# and a directory whose time alone changed is not reported.
COMPARED = FIELDS[1:]


@dataclass(frozen=True)
class PolicyRule:
    glob: str
    action: str


@dataclass
class Change:
    kind: str
    """'added', 'removed', 'renamed' or 'changed'."""
    path: str
    action: str
    attributes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    """attribute -> (old, new), for 'changed'."""
    old_path: str | None = None
    """For 'renamed'."""
    type: str = "file"

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kind": self.kind, "path": self.path, "type": self.type, "action": self.action}
        if self.attributes:
            found["attributes"] = {name: {"old": old, "new": new} for name, (old, new) in self.attributes.items()}
        if self.old_path is not None:
            found["old_path"] = self.old_path
        return found

    def describe(self) -> str:
        if self.kind == "changed":
            details = ", ".join(f"{name} {_shown(name, old)} -> {_shown(name, new)}" for name, (old, new) in self.attributes.items())
            return f"changed {self.path}: {details}"
        if self.kind == "renamed":
            return f"renamed {self.old_path} -> {self.path}"
        return f"{self.kind} {self.path}"


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "none"
    if name == "mtime_ns":
        return datetime.datetime.fromtimestamp(int(value) / 1e9, datetime.UTC).isoformat(timespec="seconds")
    text = str(value)
    return text[:12] + "…" if name in ("hash", "acl") and len(text) > 16 else text


def parse_policy(rules: Any, where: str = "policy") -> list[tuple[Any, str]]:
    """[(compiled glob, action)] from [{glob, action}]."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise ManifestError(f"{where} must be a list of {{glob, action}}")
    parsed: list[tuple[Any, str]] = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or set(rule) != {"glob", "action"}:
            raise ManifestError(f"{where}[{index}]: a policy rule is {{glob, action}}, not {rule!r}")
        if rule["action"] not in ACTIONS:
            raise ManifestError(f"{where}[{index}]: action {rule['action']!r} is not one of {', '.join(ACTIONS)}")
        parsed.append((str(rule["glob"]), str(rule["action"])))
    return parsed


class Comparison:
    """The changes between a baseline and a fresh capture of the same host."""

    def __init__(self, baseline: Manifest, current: Manifest, policy: list[tuple[Any, str]] | None = None) -> None:
        if baseline.algorithm != current.algorithm:
            raise ManifestError(
                f"the baseline was hashed with {baseline.algorithm} and the capture with {current.algorithm}; capture with {baseline.algorithm}"
            )
        self.baseline = baseline
        self.current = current
        self._policy = [(glob_pattern([glob], current.case_insensitive), action) for glob, action in (policy or [])]
        with gc_paused():
            self.changes = self._compare()

    def _action(self, path: str) -> str:
        normalised = path.replace("\\", "/")
        for pattern, action in self._policy:
            if pattern is not None and pattern.match(normalised):
                return action
        return "fail"

    def _compare(self) -> list[Change]:
        old, new = self.baseline.entries, self.current.entries
        changes: list[Change] = []
        # One pass over the capture finds every path whose row differs or is new (a comprehension
        # with a bound lookup: a million unchanged rows cost a fraction of a second).
        get = old.get
        differing = [key for key, row in new.items() if get(key) != row]
        added: list[str] = []
        for key in differing:
            row = new[key]
            before = old.get(key)
            if before is None:
                added.append(key)
                continue
            attributes = {name: (a, b) for name, a, b in zip(COMPARED, before[1:], row[1:], strict=True) if a != b}
            if set(attributes) - {"mtime_ns"}:
                attributes.pop("mtime_ns", None)
            elif row[1] == "directory":
                continue  # a directory's time follows its entries, which are reported themselves
            changes.append(Change("changed", row[0], self._action(row[0]), attributes, type=row[1]))
        # Every baseline path is in the capture unless some were removed: the counts tell.
        removed = sorted(old.keys() - new.keys()) if len(old) != len(new) - len(added) else []
        by_content: dict[tuple[Any, Any], list[str]] = {}
        for key in removed:
            row = old[key]
            if row[1] == "file" and row[4]:
                by_content.setdefault((row[4], row[2]), []).append(key)
        renamed_from: set[str] = set()
        for key in added:
            row = new[key]
            candidates = by_content.get((row[4], row[2])) if row[1] == "file" and row[4] else None
            if candidates:
                source = candidates.pop(0)
                renamed_from.add(source)
                changes.append(Change("renamed", row[0], self._action(row[0]), old_path=old[source][0], type=row[1]))
            else:
                changes.append(Change("added", row[0], self._action(row[0]), type=row[1]))
        for key in removed:
            if key not in renamed_from:
                changes.append(Change("removed", old[key][0], self._action(old[key][0]), type=old[key][1]))
        changes.sort(key=lambda c: (c.path, c.kind))
        return changes

    @property
    def failing(self) -> list[Change]:
        return [c for c in self.changes if c.action == "fail"]

    def counts(self) -> dict[str, int]:
        counts = {"added": 0, "removed": 0, "renamed": 0, "changed": 0}
        for change in self.changes:
            counts[change.kind] += 1
        return counts
