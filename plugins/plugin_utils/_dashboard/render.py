# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dashboard as one self-contained HTML file (inline CSS and SVG, no script, no font, no URL), Markdown and CSV."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2

from ansible_collections.hardened.iis.plugins.plugin_utils._report_text import csv_text, markdown_text

from .model import Fleet

try:
    import pygal
    from pygal.style import Style
except ImportError as exc:  # the HTML says what is missing instead of failing
    PYGAL_MISSING: str | None = f"charts need the Python library pygal ({exc})"
else:
    PYGAL_MISSING = None

TEMPLATE = Path(__file__).with_name("dashboard.html.j2")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _inline(svg: str, name: str) -> str:
    """The SVG to inline: no comment (pygal's credit names its web site), no script (tooltips
    only), and a stable id instead of pygal's random one, so the same reports give the same page."""
    return _UUID.sub(f"chart-{name}", _SCRIPT.sub("", _COMMENT.sub("", svg)))


def _chart_config() -> dict[str, Any]:
    """No script (pygal links its tooltips script by default), no XML declaration: SVG to inline."""
    style = Style(
        background="transparent",
        plot_background="transparent",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#7b8794",
        colors=("#2f6fde", "#d64545", "#3f9142"),
        font_family="system-ui, sans-serif",
    )
    return {"js": [], "disable_xml_declaration": True, "style": style, "show_legend": False, "explicit_size": True}


def trend_svg(fleet: Fleet) -> str:
    """The fleet score of each stored run, as an inline SVG line chart."""
    if PYGAL_MISSING:
        return f"<p class='note'>{PYGAL_MISSING}</p>"
    chart = pygal.Line(width=640, height=260, range=(0, 100), x_label_rotation=20, dots_size=4, **_chart_config())
    chart.title = "Fleet score per run (%)"
    chart.x_labels = [f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]}" for stamp, _value in fleet.trend]
    chart.add("fleet score", [value for _stamp, value in fleet.trend])
    return _inline(str(chart.render(is_unicode=True)), "trend")


def scores_svg(fleet: Fleet) -> str:
    """Each host's audit score, worst first, as an inline SVG bar chart."""
    if PYGAL_MISSING:
        return f"<p class='note'>{PYGAL_MISSING}</p>"
    hosts = [host for host in fleet.worst if host.score is not None]
    chart = pygal.HorizontalBar(width=640, height=max(160, 34 * len(hosts) + 80), range=(0, 100), **_chart_config())
    chart.title = "Audit score per host (%)"
    chart.x_labels = [host.host for host in hosts]
    chart.add("score", [host.score for host in hosts])
    return _inline(str(chart.render(is_unicode=True)), "scores")


def cell_colour(passed: int, failed: int) -> str:
    """Red (all fail) to green (all pass) for a heat-map cell."""
    total = passed + failed
    if not total:
        return "#e4e7eb"
    return f"hsl({round(120 * passed / total)}, 62%, 44%)"


def render_html(fleet: Fleet, title: str) -> str:
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["cell_colour"] = lambda cell: cell_colour(*cell)
    template = environment.from_string(TEMPLATE.read_text(encoding="utf-8"))
    return template.render(fleet=fleet, title=title, trend_svg=trend_svg(fleet), scores_svg=scores_svg(fleet))


def _score_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}%"


def render_markdown(fleet: Fleet, title: str, top: int = 5) -> str:
    """A summary for a ticket or a chat message."""
    lines = [
        f"**{markdown_text(title)}** — run {markdown_text(fleet.stamp)}",
        "",
        f"Fleet score **{_score_text(fleet.score)}** over {len(fleet.hosts)} host(s); "
        f"{fleet.failing_checks} failing check(s), {fleet.new_failures} new since the last run; "
        f"{len(fleet.rogue)} rogue web server(s).",
        "",
        "| host | score | failing | new | patch level | days behind | integrity changes |",
        "|---|---|---|---|---|---|---|",
    ]
    for host in fleet.worst[:top]:
        patch = host.patch or {}
        lines.append(
            f"| {markdown_text(host.host)} | {_score_text(host.score)} | {len(host.failures)} | {host.new_failures} | "
            f"{markdown_text(patch.get('patch_level', 'n/a'))} | {markdown_text(patch.get('days_behind', 'n/a'))} | "
            f"{len(host.integrity_changes) if host.integrity_checked else 'n/a'} |"
        )
    for finding in fleet.rogue:
        lines.append(f"- rogue web server {markdown_text(finding.get('scope'))}: {markdown_text(finding.get('evidence', {}).get('actual'))}")
    return "\n".join(lines) + "\n"


def render_csv(fleet: Fleet) -> str:
    """One line per host: scores, counts, patch level, integrity changes (text cells safe for spreadsheets)."""
    header = ["host", "score", "passed", "failed", "errors", "new_failures", "patch_level", "days_behind", "compliant", "integrity_changes"]
    rows = []
    for host in sorted(fleet.hosts, key=lambda h: h.host):
        patch = host.patch or {}
        rows.append(
            [
                host.host,
                "" if host.score is None else host.score,
                host.counts.get("pass", 0),
                host.counts.get("fail", 0),
                host.counts.get("error", 0),
                host.new_failures,
                patch.get("patch_level", ""),
                patch.get("days_behind", ""),
                patch.get("compliant", ""),
                len(host.integrity_changes) if host.integrity_checked else "",
            ]
        )
    return csv_text(header, rows)
