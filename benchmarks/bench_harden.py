# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of hardening: the change plan and the snapshot apply, for each lab host.

For web01 (drifted) and web02 (fresh install): ``plan_host`` with the whole catalog (until
nothing more can be fixed), then ``apply_to_snapshot`` (backup, compare-and-swap, validate)
on a fresh copy of the snapshot; best of N runs each, one core.

Usage: python benchmarks/bench_harden.py [--runs 5]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import apply_to_snapshot  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.plan import Plan, plan_host  # noqa: E402

LAB = ROOT / "inventories" / "lab" / "snapshots"


def time_plan(host: str, runs: int) -> tuple[float, Plan]:
    """The best planning time in seconds, and the plan."""
    rules = load_catalog().rules
    best, plan = float("inf"), None
    for _run in range(runs):
        state = load_snapshot(LAB / host, host)
        started = time.perf_counter()
        plan = plan_host(state, rules)
        best = min(best, time.perf_counter() - started)
    assert plan is not None
    return best, plan


def time_apply(host: str, plan: Plan, runs: int) -> float:
    """The best time in seconds to apply the plan to a fresh copy of the snapshot."""
    best = float("inf")
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(runs):
            copy = Path(scratch) / f"{host}-{run}"
            shutil.copytree(LAB / host, copy)
            started = time.perf_counter()
            apply_to_snapshot(copy, plan)
            best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'host':6}  {'plan':>8}  {'apply+validate':>14}  plan size")
    for host in ("web01", "web02"):
        planned, plan = time_plan(host, args.runs)
        applied = time_apply(host, plan, args.runs)
        size = f"{len(plan.files)} files, {len(plan.registry)} registry values, {len(plan.features)} features"
        print(f"{host:6}  {planned * 1000:6.0f} ms  {applied * 1000:11.0f} ms  {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
