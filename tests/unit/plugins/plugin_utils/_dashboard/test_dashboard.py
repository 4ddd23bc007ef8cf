# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet dashboard on the lab's real findings: runs, the model, and a page that needs nothing but itself."""

from __future__ import annotations

import copy
import csv
import io
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.model import STIG_ONLY, build_fleet, section_of
from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.publish import publish
from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.render import cell_colour, render_html
from ansible_collections.hardened.iis.plugins.plugin_utils._dashboard.runs import DashboardError, list_runs, load_runs, store_run

from .conftest import write_reports

PATCH_TABLE = [
    {"host": "web01", "build": "17763.5936", "patch_level": "2024-Jan", "days_behind": 376, "compliant": False, "missing_kbs": ["KB5066586"]},
    {"host": "web03", "build": "20348.4405", "patch_level": "2025-Nov", "days_behind": 0, "compliant": True, "missing_kbs": []},
]
ROGUE = {
    "format": "hardened.iis/findings/v1",
    "findings": [
        {
            "host": "10.0.0.99",
            "rule_id": "discovery-rogue-web-server",
            "title": "A web server nobody manages",
            "references": {},
            "severity": "high",
            "status": "fail",
            "scope": "10.0.0.99:8080",
            "evidence": {"file": None, "line": None, "location_path": None, "actual": "Microsoft-IIS/8.5", "expected": "in the inventory"},
            "remediation": "Bring it under management or shut it down",
        }
    ],
}


def expected_score(findings: list[dict[str, Any]], host: str | None = None) -> float:
    counts = Counter(f["status"] for f in findings if host is None or f["host"] == host)
    return round(100 * counts["pass"] / (counts["pass"] + counts["fail"]), 1)


def test_a_run_is_stored_once_per_distinct_set_of_reports(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings)
    first, stored = store_run(reports)
    assert stored and list_runs(reports) == [first]
    assert store_run(reports) == (first, False)  # the same reports again: nothing stored
    write_reports(tmp_path, lab_findings[1:])
    second, stored = store_run(reports)
    assert stored and list_runs(reports) == [first, second]


def test_the_fleet_model_counts_what_the_findings_say(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings, **{"patch_compliance.json": PATCH_TABLE, "discovery_findings.json": ROGUE})
    store_run(reports)
    fleet = build_fleet(load_runs(reports, 30))

    assert fleet.score == expected_score(lab_findings)
    assert {h.host: h.score for h in fleet.hosts} == {host: expected_score(lab_findings, host) for host in ("web01", "web02", "web03")}
    assert [h.host for h in fleet.worst][-1] == "web03"  # the hardened host is the best
    for host in fleet.hosts:
        mine = [f for f in lab_findings if f["host"] == host.host]
        assert sum(p for p, _f in host.sections.values()) == sum(f["status"] == "pass" for f in mine)
        assert sum(f for _p, f in host.sections.values()) == sum(f["status"] == "fail" for f in mine)
        assert len(host.failures) == sum(f["status"] in {"fail", "error"} for f in mine)
    assert fleet.hosts[0].patch == PATCH_TABLE[0] and fleet.hosts[1].patch is None
    assert [f["scope"] for f in fleet.rogue] == ["10.0.0.99:8080"]


def test_new_failures_and_the_trend_come_from_the_stored_runs(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    fixed = [f if f["host"] != "web01" or f["status"] != "fail" else {**f, "status": "pass"} for f in lab_findings]
    reports = write_reports(tmp_path, fixed)
    store_run(reports)
    write_reports(tmp_path, lab_findings)  # web01 drifts back
    store_run(reports)

    fleet = build_fleet(load_runs(reports, 30))

    web01 = next(h for h in fleet.hosts if h.host == "web01")
    assert web01.new_failures == len(web01.failures) > 0
    assert fleet.new_failures == web01.new_failures
    assert [score for _stamp, score in fleet.trend] == [expected_score(fixed), expected_score(lab_findings)]
    assert len(build_fleet(load_runs(reports, 1)).trend) == 1


def test_sections_follow_the_cis_numbering() -> None:
    assert section_of({"references": {"cis_iis10": ["4.2"]}}) == "4 Request filtering"
    assert section_of({"references": {"stig": ["V-218808"]}}) == STIG_ONLY
    assert cell_colour(5, 0) == "hsl(120, 62%, 44%)" and cell_colour(0, 5) == "hsl(0, 62%, 44%)"


def test_the_page_is_self_contained(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings, **{"patch_compliance.json": PATCH_TABLE, "discovery_findings.json": ROGUE})
    html = publish(reports, "Fleet").html.read_text(encoding="utf-8")

    assert "<script" not in html.lower()
    assert not re.findall(r"\b(?:src|href)\s*=\s*[\"'](?!#)", html)  # only links inside the page
    assert not re.search(r"@import|url\(|<link\b|<iframe\b|<img\b", html)
    without_namespaces = re.sub(r"\sxmlns(?::\w+)?=\"[^\"]*\"", "", html)
    assert not re.findall(r"(?:https?|ftp)://", without_namespaces)
    assert html.count("<svg") == 2


def test_everything_shown_is_escaped(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    hostile = copy.deepcopy(lab_findings)
    for finding in hostile:
        if finding["host"] == "web02":
            finding["host"] = "<img src=x onerror=alert(1)>"
    reports = write_reports(tmp_path, hostile)
    html = publish(reports, "<b>Fleet</b>").html.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>Fleet</b>" not in html


def test_a_second_dashboard_over_the_same_reports_writes_nothing(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings)
    first = publish(reports, "Fleet")
    assert first.run_stored and sorted(first.written) == ["dashboard.csv", "dashboard.html", "dashboard.md"]
    second = publish(reports, "Fleet")
    assert not second.run_stored and second.written == []


def test_check_mode_writes_nothing(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings)
    preview = publish(reports, "Fleet", check_mode=True)
    assert preview.run_stored and preview.fleet_score == expected_score(lab_findings)
    assert sorted(p.name for p in reports.iterdir()) == ["findings.json"]


def test_the_csv_and_the_summary_agree_with_the_model(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings, **{"patch_compliance.json": PATCH_TABLE})
    published = publish(reports, "Fleet")
    rows = list(csv.DictReader(io.StringIO(published.csv.read_text(encoding="utf-8"))))
    assert [row["host"] for row in rows] == ["web01", "web02", "web03"]
    assert float(rows[0]["score"]) == expected_score(lab_findings, "web01") and rows[0]["days_behind"] == "376"
    assert f"Fleet score **{expected_score(lab_findings):g}%** over 3 host(s)" in published.summary


def test_unreadable_reports_are_named(tmp_path: Path) -> None:
    with pytest.raises(DashboardError, match="no report to show"):
        store_run(tmp_path)
    (tmp_path / "findings.json").write_text("{not json", encoding="utf-8")
    store_run(tmp_path)
    with pytest.raises(DashboardError, match=r"findings.json: not valid JSON"):
        load_runs(tmp_path, 30)


def test_render_shows_every_host_and_its_evidence(tmp_path: Path, lab_findings: list[dict[str, Any]]) -> None:
    reports = write_reports(tmp_path, lab_findings)
    store_run(reports)
    html = render_html(build_fleet(load_runs(reports, 30)), "Fleet")
    failing = next(f for f in lab_findings if f["host"] == "web01" and f["status"] == "fail" and f["evidence"]["line"])
    assert 'id="host-web01"' in html and 'id="host-web03"' in html
    assert f"line {failing['evidence']['line']}" in html
