# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The effective-settings report (and so the effective_config lookup) shows secrets as the marker unless asked."""

from __future__ import annotations

from pathlib import Path

from ansible_collections.hardened.iis.plugins.plugin_utils._effective_report import Setting, format_report, load_snapshot, report

ROOT = Path(__file__).resolve().parents[4]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"
USERS = Setting("system.web/authentication", "", "forms/credentials", ("name", "password"))
PASSWORD = Setting("system.web/authentication", "password", "forms/credentials/user[@name='shopadmin']")
FORMAT = Setting("system.web/authentication", "passwordFormat", "forms/credentials")


def shop_values(show_secrets: bool) -> dict[str, str]:
    rows = report(load_snapshot(WEB01), "web01", (USERS, PASSWORD, FORMAT), show_secrets=show_secrets)
    return {row["setting"]: row["value"] for row in rows if row["scope"] == "Default Web Site/shop"}


def test_secrets_are_the_marker_in_rows_and_in_the_text_report() -> None:
    values = shop_values(show_secrets=False)
    assert values[USERS.label] == "[shopadmin=[redacted]]"
    assert values[PASSWORD.label] == "[redacted]"
    assert values[FORMAT.label] == "Clear"
    text = format_report(report(load_snapshot(WEB01), "web01", (USERS, PASSWORD, FORMAT)))
    assert "Spring2019!" not in text and "[redacted]" in text


def test_the_switch_shows_them_raw() -> None:
    values = shop_values(show_secrets=True)
    assert values[USERS.label] == "[shopadmin=Spring2019!]"
    assert values[PASSWORD.label] == "Spring2019!"
