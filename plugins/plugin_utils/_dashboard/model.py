# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet at a glance, from the stored runs: scores, sections, patches, integrity, rogue servers, trend."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .runs import DashboardError, Run

CIS_SECTIONS = {
    "1": "1 Basic configuration",
    "2": "2 Authentication and authorization",
    "3": "3 ASP.NET",
    "4": "4 Request filtering",
    "5": "5 Logging",
    "6": "6 FTP",
    "7": "7 Transport encryption",
}
STIG_ONLY = "STIG only"
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
FAILING = frozenset({"fail", "error"})


def section_of(finding: dict[str, Any]) -> str:
    """The CIS IIS 10 section of a finding's rule (by its first CIS id), else ``STIG only``."""
    cis = (finding.get("references") or {}).get("cis_iis10") or []
    return CIS_SECTIONS.get(str(cis[0]).partition(".")[0], STIG_ONLY) if cis else STIG_ONLY


def score(findings: list[dict[str, Any]]) -> float | None:
    """The share of checks that pass, in percent (None when nothing was checked)."""
    counts = Counter(f.get("status") for f in findings)
    judged = counts["pass"] + counts["fail"]
    return round(100 * counts["pass"] / judged, 1) if judged else None


def _key(finding: dict[str, Any]) -> tuple[str, str, str]:
    return (str(finding.get("host")), str(finding.get("rule_id")), str(finding.get("scope")))


@dataclass
class HostView:
    host: str
    score: float | None
    counts: dict[str, int]
    sections: dict[str, tuple[int, int]]
    failures: list[dict[str, Any]]
    new_failures: int = 0
    patch: dict[str, Any] | None = None
    integrity_changes: list[dict[str, Any]] = field(default_factory=list)
    integrity_checked: bool = False
    patch_failures: list[dict[str, Any]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return "host-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in self.host)


@dataclass
class Fleet:
    stamp: str
    score: float | None
    hosts: list[HostView]
    sections: list[str]
    trend: list[tuple[str, float | None]]
    rogue: list[dict[str, Any]]
    missing: list[dict[str, Any]]
    unapproved: list[dict[str, Any]]
    new_failures: int
    features: list[str]

    @property
    def failing_checks(self) -> int:
        """Failing or erroring audit checks across the fleet."""
        return sum(len(host.failures) for host in self.hosts)

    @property
    def missing_updates(self) -> list[HostView]:
        """Hosts whose hotfix compliance says they are not compliant."""
        return [host for host in self.hosts if host.patch and host.patch.get("compliant") is not True]

    @property
    def worst(self) -> list[HostView]:
        """Hosts from the lowest audit score (hosts without one last)."""
        return sorted(self.hosts, key=lambda h: (h.score is None, h.score if h.score is not None else 0.0, h.host))


def _failures(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    failing = [f for f in findings if f.get("status") in FAILING]
    return sorted(failing, key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 3), str(f.get("rule_id")), str(f.get("scope"))))


def _sections(findings: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    cells: dict[str, tuple[int, int]] = {}
    for finding in findings:
        if finding.get("status") not in {"pass", "fail"}:
            continue
        passed, failed = cells.get(section_of(finding), (0, 0))
        cells[section_of(finding)] = (passed + (finding["status"] == "pass"), failed + (finding["status"] == "fail"))
    return cells


def build_fleet(runs: list[Run]) -> Fleet:
    """The fleet as the newest run shows it, with the trend over every run given (oldest first)."""
    if not runs:
        raise DashboardError("no run to show")
    current, previous = runs[-1], (runs[-2] if len(runs) > 1 else None)
    audit = current.findings("audit")
    before = {_key(f) for f in previous.findings("audit") if f.get("status") in FAILING} if previous else set()
    patches = current.findings("patches")
    integrity = current.findings("integrity")
    table = current.reports.get("patch_table")
    patch_rows = {str(row.get("host")): row for row in table} if isinstance(table, list) else {}
    names = sorted({str(f.get("host")) for f in audit + patches + integrity} | set(patch_rows))
    hosts = []
    for name in names:
        mine = [f for f in audit if f.get("host") == name]
        failures = _failures(mine)
        own_integrity = [f for f in integrity if f.get("host") == name]
        hosts.append(
            HostView(
                host=name,
                score=score(mine),
                counts=dict(Counter(str(f.get("status")) for f in mine)),
                sections=_sections(mine),
                failures=failures,
                new_failures=sum(_key(f) not in before for f in failures) if previous else 0,
                patch=patch_rows.get(name),
                integrity_changes=[f for f in own_integrity if str(f.get("rule_id", "")).startswith("integrity-file-")],
                integrity_checked=bool(own_integrity),
                patch_failures=_failures([f for f in patches if f.get("host") == name]),
            )
        )
    discovery = current.findings("discovery")
    return Fleet(
        stamp=current.stamp,
        score=score(audit),
        hosts=hosts,
        sections=sorted({s for h in hosts for s in h.sections}, key=lambda s: (s == STIG_ONLY, s)),
        trend=[(run.stamp, score(run.findings("audit"))) for run in runs],
        rogue=[f for f in discovery if f.get("rule_id") == "discovery-rogue-web-server" and f.get("status") == "fail"],
        missing=[f for f in discovery if f.get("rule_id") == "discovery-host-missing" and f.get("status") == "fail"],
        unapproved=[f for f in discovery if f.get("rule_id") == "discovery-unapproved-service" and f.get("status") == "fail"],
        new_failures=sum(h.new_failures for h in hosts),
        features=sorted(current.reports),
    )
