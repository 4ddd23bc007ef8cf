# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integrity verification in the shared findings format, and its console summary.

One finding per host, ``integrity-baseline-matches`` at scope ``server`` (pass, or fail
when a change under a ``fail`` policy was found), and one per changed path:
``integrity-file-added``, ``-removed``, ``-renamed``, ``-changed`` with the path as scope,
``fail`` under a ``fail`` policy and ``excepted`` (with the policy glob as the reason)
under ``warn``.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._integrity.compare import Change, Comparison
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

TITLES = {
    "added": "No file was added since the baseline",
    "removed": "No file was removed since the baseline",
    "renamed": "No file was renamed since the baseline",
    "changed": "No file changed since the baseline",
}


def _change_finding(host: str, change: Change, baseline: str) -> Finding:
    actual = change.describe()
    return Finding(
        host=host,
        rule_id=f"integrity-file-{change.kind}",
        title=TITLES[change.kind],
        references={},
        severity="high" if change.kind in ("changed", "removed") else "medium",
        status="fail" if change.action == "fail" else "excepted",
        scope=change.path,
        evidence=Evidence(file=baseline, actual=actual, expected="as in the baseline"),
        remediation="Find out who made the change and why; restore the file from the backup, or rebaseline when the change was approved",
        exception=None if change.action == "fail" else {"rule": f"integrity-file-{change.kind}", "scope": change.path, "reason": "policy: warn"},
    )


def verify_findings(host: str, comparison: Comparison, baseline: str) -> list[Finding]:
    failing = comparison.failing
    counts = comparison.counts()
    summary = Finding(
        host=host,
        rule_id="integrity-baseline-matches",
        title="The host's files match its signed integrity baseline",
        references={},
        severity="high",
        status="fail" if failing else "pass",
        scope="server",
        evidence=Evidence(
            file=baseline,
            actual=", ".join(f"{count} {kind}" for kind, count in counts.items()) + f" ({len(failing)} under a fail policy)",
            expected="no change under a fail policy",
        ),
        remediation="Review the changes listed for this host" if failing else "",
    )
    return [summary, *(_change_finding(host, c, baseline) for c in comparison.changes)]


def summary_lines(host: str, comparison: Comparison, baseline_version: int, shown: int = 20) -> list[str]:
    counts = comparison.counts()
    verdict = "CHANGED" if comparison.failing else ("changes under warn policy only" if comparison.changes else "matches")
    lines = [f"{host}: {verdict} baseline v{baseline_version}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())]
    for change in comparison.changes[:shown]:
        lines.append(f"  [{change.action}] {change.describe()}")
    if len(comparison.changes) > shown:
        lines.append(f"  … and {len(comparison.changes) - shown} more (see the findings)")
    return lines


def changes_as_dicts(comparison: Comparison) -> list[dict[str, Any]]:
    return [c.as_dict() for c in comparison.changes]
