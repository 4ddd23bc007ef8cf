# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reports of the lab, as audit.yml writes them, in a report directory of the test's own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import findings_json
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"


@pytest.fixture(scope="session")
def lab_findings() -> list[dict[str, Any]]:
    rules = load_catalog().rules
    return [finding.as_dict() for host in ("web01", "web02", "web03") for finding in Evaluator(load_snapshot(LAB / host)).evaluate(rules)]


def write_reports(report_dir: Path, audit: list[dict[str, Any]], **others: Any) -> Path:
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "findings.json").write_text(findings_json(audit, "2026-11-22T00:00:00"), encoding="utf-8")
    for name, data in others.items():
        (report_dir / name).write_text(json.dumps(data), encoding="utf-8")
    return report_dir
