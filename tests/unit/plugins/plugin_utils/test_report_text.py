# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text from hosts and the network, made safe for spreadsheets and Markdown."""

from __future__ import annotations

import csv
import io

import pytest

from ansible_collections.hardened.iis.plugins.filter.discovery import discovery_csv
from ansible_collections.hardened.iis.plugins.plugin_utils._hotfix.report import TABLE_COLUMNS, fleet_csv
from ansible_collections.hardened.iis.plugins.plugin_utils._report_text import csv_text, markdown_text, spreadsheet_cell

FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1,1)", "\t=1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_is_shown_as_text(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value
    row = next(csv.reader(io.StringIO(csv_text(["a"], [[value]]).splitlines()[1])))
    assert row == ["'" + value]


def test_numbers_and_plain_text_are_left_as_they_are() -> None:
    assert [spreadsheet_cell(v) for v in (-5, 3.5, "web01", "")] == [-5, 3.5, "web01", ""]


def test_markdown_shows_markup_literally_on_one_line() -> None:
    text = markdown_text("<img src=x onerror=alert(1)> | **bold** [link](http://evil)\nnext")
    assert "<" not in text and "\n" not in text and "| " not in text.replace("\\| ", "")
    assert text.startswith("&lt;img") and "\\*\\*bold\\*\\*" in text and "\\[link\\]\\(http://evil\\)" in text


def test_the_discovery_and_hotfix_csvs_neutralise_what_hosts_send() -> None:
    service = {"address": "10.0.0.9", "port": 80, "tls": False, "status": "open", "server": "=cmd|' /C calc'!A0", "title": "@evil"}
    rows = list(csv.DictReader(io.StringIO(discovery_csv({"services": [service]}))))
    assert rows[0]["server"] == "'=cmd|' /C calc'!A0" and rows[0]["title"] == "'@evil" and rows[0]["port"] == "80"
    hotfix_row = {c: "" for c in TABLE_COLUMNS} | {"host": "=1+1", "missing_kbs": ["KB1", "KB2"]}
    parsed = list(csv.DictReader(io.StringIO(fleet_csv([hotfix_row]))))
    assert parsed[0]["host"] == "'=1+1" and parsed[0]["missing_kbs"] == "KB1 KB2"
