# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Store the run, build the fleet, write dashboard.html, dashboard.md and dashboard.csv (only what changed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ansible_collections.hardened.iis.plugins.module_utils._files import write_atomically

from .model import build_fleet
from .render import render_csv, render_html, render_markdown
from .runs import Run, load_runs, read_reports, store_run


@dataclass(frozen=True)
class Published:
    run: str | None
    run_stored: bool
    html: Path
    markdown: Path
    csv: Path
    written: list[str]
    summary: str
    fleet_score: float | None
    hosts: int


def publish(report_dir: Path, title: str, keep_runs: int = 30, *, check_mode: bool = False) -> Published:
    """The dashboard of ``report_dir``'s reports; a second call over the same reports writes nothing."""
    stamp, stored = store_run(report_dir, check_mode=check_mode)
    runs = load_runs(report_dir, keep_runs)
    if check_mode and stored:  # the run that would be stored, read from the reports themselves
        runs = [*runs, Run(str(stamp), report_dir, read_reports(report_dir))][-keep_runs:]
    fleet = build_fleet(runs)
    outputs = {
        report_dir / "dashboard.html": render_html(fleet, title),
        report_dir / "dashboard.md": render_markdown(fleet, title),
        report_dir / "dashboard.csv": render_csv(fleet),
    }
    written = []
    for path, text in outputs.items():
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            continue
        written.append(path.name)
        if not check_mode:
            write_atomically(path, data, mode=0o640)
    return Published(
        run=stamp,
        run_stored=stored,
        html=report_dir / "dashboard.html",
        markdown=report_dir / "dashboard.md",
        csv=report_dir / "dashboard.csv",
        written=written,
        summary=outputs[report_dir / "dashboard.md"],
        fleet_score=fleet.score,
        hosts=len(fleet.hosts),
    )
