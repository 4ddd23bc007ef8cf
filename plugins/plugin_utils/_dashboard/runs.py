# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs: each feature's report files copied under ``<report dir>/runs/<UTC timestamp>/`` with their SHA-256.

The trend and "new since the last run" come from these copies, so they are real: a run is
stored only when a report file differs from the newest run's (a second dashboard over the same
reports stores nothing).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._files import write_atomically

RUNS = "runs"
RUN_RECORD = "run.json"
INPUTS = {
    "audit": "findings.json",
    "patches": "patch_findings.json",
    "patch_table": "patch_compliance.json",
    "integrity": "integrity_findings.json",
    "discovery": "discovery_findings.json",
}
"""What each feature writes to the report directory (audit.yml, patch_compliance.yml, integrity_verify.yml, discover.yml)."""


class DashboardError(HardenedIisError, ValueError):
    """A report or run cannot be read; the message names the file."""


@dataclass
class Run:
    """One stored run: when, and the parsed report of each feature present."""

    stamp: str
    path: Path
    reports: dict[str, Any] = field(default_factory=dict)

    def findings(self, feature: str) -> list[dict[str, Any]]:
        report = self.reports.get(feature)
        return list(report.get("findings", [])) if isinstance(report, dict) else []


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DashboardError(f"{path}: cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        raise DashboardError(f"{path}: not valid JSON ({exc})") from exc


def _digests(report_dir: Path) -> dict[str, str]:
    return {feature: hashlib.sha256((report_dir / name).read_bytes()).hexdigest() for feature, name in INPUTS.items() if (report_dir / name).is_file()}


def store_run(report_dir: Path, now: datetime.datetime | None = None, *, check_mode: bool = False) -> tuple[str | None, bool]:
    """Copy the current reports into a new run unless they equal the newest run's; (stamp, stored)."""
    digests = _digests(report_dir)
    if not digests:
        raise DashboardError(f"{report_dir}: no report to show (looked for {', '.join(INPUTS.values())})")
    stamps = list_runs(report_dir)
    if stamps:
        newest = _read_json(report_dir / RUNS / stamps[-1] / RUN_RECORD)
        if newest.get("files") == digests:
            return stamps[-1], False
    stamp = (now or datetime.datetime.now(datetime.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    if check_mode:
        return stamp, True
    run = report_dir / RUNS / stamp
    run.mkdir(parents=True, exist_ok=True)
    for feature in digests:
        write_atomically(run / INPUTS[feature], (report_dir / INPUTS[feature]).read_bytes(), mode=0o640)
    record = {"taken_at": stamp, "files": digests}
    write_atomically(run / RUN_RECORD, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode("utf-8"), mode=0o640)
    return stamp, True


def list_runs(report_dir: Path) -> list[str]:
    """The stored runs' stamps, oldest first."""
    folder = report_dir / RUNS
    return sorted(p.name for p in folder.iterdir() if (p / RUN_RECORD).is_file()) if folder.is_dir() else []


def read_reports(folder: Path) -> dict[str, Any]:
    """Every feature's report found in ``folder``, parsed."""
    return {feature: _read_json(folder / name) for feature, name in INPUTS.items() if (folder / name).is_file()}


def load_run(report_dir: Path, stamp: str) -> Run:
    folder = report_dir / RUNS / stamp
    return Run(stamp, folder, read_reports(folder))


def load_runs(report_dir: Path, keep: int) -> list[Run]:
    """The newest ``keep`` runs, oldest first."""
    return [load_run(report_dir, stamp) for stamp in list_runs(report_dir)[-keep:]]
