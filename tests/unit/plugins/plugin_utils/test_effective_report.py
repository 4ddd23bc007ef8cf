# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The effective-settings report on the lab snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._effective_report import Setting, format_report, load_snapshot, report, scopes

ROOT = Path(__file__).resolve().parents[4]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return report(load_snapshot(WEB01), "web01")


def row(rows: list[dict[str, str]], scope: str, setting: str) -> dict[str, str]:
    return next(r for r in rows if r["scope"] == scope and r["setting"] == setting)


def test_scopes_cover_applications_locations_and_folders_with_a_web_config() -> None:
    assert scopes(load_snapshot(WEB01)) == [("Default Web Site", "/"), ("Default Web Site", "/shop"), ("Default Web Site", "/shop/uploads")]


def test_server_rows_carry_values_and_evidence(rows: list[dict[str, str]]) -> None:
    browse = row(rows, "server", "system.webServer/directoryBrowse@enabled")
    assert (browse["value"], browse["source"]) == ("false", f"{APPHOST}:154")
    limit = row(rows, "server", "system.webServer/security/requestFiltering/requestLimits@maxUrl")
    assert (limit["value"], limit["source"]) == ("4096", "default (built-in schema)")
    assert row(rows, "server", "system.webServer/security/requestFiltering/verbs[]")["value"] == "[TRACE=false]"


def test_site_rows_show_only_what_differs_and_from_where(rows: list[dict[str, str]]) -> None:
    shop = [r for r in rows if r["scope"] == "Default Web Site/shop" and r["kind"] == "setting"]
    assert row(rows, "Default Web Site/shop", "system.webServer/directoryBrowse@enabled")["source"] == f"{APPHOST}:322 <location path='Default Web Site/shop'>"
    assert row(rows, "Default Web Site/shop", "system.web/compilation@debug") == {
        "host": "web01",
        "kind": "setting",
        "scope": "Default Web Site/shop",
        "setting": "system.web/compilation@debug",
        "value": "true",
        "source": "C:\\inetpub\\shop\\web.config:4",
    }
    assert row(rows, "Default Web Site/shop", "system.webServer/security/requestFiltering/verbs[]")["value"] == "[]"
    assert all(r["setting"] != "system.webServer/security/access@sslFlags" for r in shop)
    assert not [r for r in rows if r["scope"] == "Default Web Site/"]


def test_each_ineffective_value_is_reported_once(rows: list[dict[str, str]]) -> None:
    diagnostics = [(r["setting"], r["scope"], r["source"]) for r in rows if r["kind"] == "diagnostic"]
    assert diagnostics == [
        ("locked-section", "Default Web Site/shop", "C:\\inetpub\\shop\\web.config:11"),
        ("locked-attribute", "Default Web Site/shop", "C:\\inetpub\\shop\\web.config:10"),
    ]


def test_listing_groups_by_scope(rows: list[dict[str, str]]) -> None:
    text = format_report(rows)
    assert text.startswith("== web01: server-wide")
    assert "== web01: Default Web Site/shop (differs from server-wide)" in text
    assert "== values that do not take effect" in text


def test_custom_settings_and_their_validation() -> None:
    setting = Setting.from_mapping({"section": "system.webServer/defaultDocument", "element": "files", "show": ["value"]})
    rows = report(load_snapshot(WEB01), "web01", (setting,))
    assert row(rows, "server", "system.webServer/defaultDocument/files[]")["value"] == "[Default.htm, Default.asp, index.htm, index.html, iisstart.htm]"
    assert row(rows, "Default Web Site/", "system.webServer/defaultDocument/files[]")["value"] == "[iisstart.htm]"
    with pytest.raises(ValueError, match="needs 'section'"):
        Setting.from_mapping({"attribute": "enabled"})
    with pytest.raises(ValueError, match="got \\['colour', 'section'\\]"):
        Setting.from_mapping({"section": "x", "colour": "red"})


def test_missing_snapshot_is_named(tmp_path: Path) -> None:
    with pytest.raises(HostStateError, match="not a host snapshot"):
        load_snapshot(tmp_path / "nope")
