# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Edits change what was asked and not one byte more."""

from __future__ import annotations

import codecs

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor, EditResult, parse_element_path
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import EditError

CONFIG = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- keep me -->
<configuration>
    <configProtectedData>
        <providers>
            <add name="AesProvider" type="Microsoft.ApplicationHost.AesProtectedConfigurationProvider" sessionKey="AQIAAA+enc==" />
        </providers>
    </configProtectedData>

    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                </bindings>
            </site>
        </sites>
    </system.applicationHost>

    <system.webServer>
        <directoryBrowse enabled='false'   showFlags="Date" />
        <security>
            <requestFiltering>
                <verbs allowUnlisted="true">
                    <add verb="TRACE" allowed="false" />
                </verbs>
            </requestFiltering>
        </security>
        <anonymousAuthentication password="[enc:AesProvider:qwerty==:enc]" />
    </system.webServer>
    <location path="Default Web Site" overrideMode="Deny">
        <system.webServer>
            <asp />
        </system.webServer>
    </location>
</configuration>
"""

FILTERING = "system.webServer/security/requestFiltering"


def assert_only_span_changed(result: EditResult) -> None:
    """Every byte outside the replaced span is unchanged."""
    assert result.span is not None
    start, end = result.span
    before, after = result.before.text, result.after.text
    assert after[:start] == before[:start]
    tail = len(before) - end
    assert after[len(after) - tail :] == before[end:]


def test_set_existing_attribute_keeps_quotes_spacing_and_everything_else() -> None:
    editor = ConfigEditor(CONFIG, "applicationHost.config")
    result = editor.set_attribute("system.webServer/directoryBrowse", "enabled", "true")
    assert result.changed
    assert_only_span_changed(result)
    assert b"<directoryBrowse enabled='true'   showFlags=\"Date\" />" in result.content
    assert result.content == CONFIG.replace(b"enabled='false'", b"enabled='true'")


def test_setting_the_value_already_there_changes_nothing_and_says_so() -> None:
    editor = ConfigEditor(CONFIG, "applicationHost.config")
    result = editor.set_attribute("system.webServer/directoryBrowse", "enabled", "false")
    assert not result.changed
    assert "already 'false'" in result.message
    assert result.content == CONFIG
    assert result.diff() == ""


def test_new_attribute_is_appended_after_the_last_one() -> None:
    result = ConfigEditor(CONFIG).set_attribute(FILTERING, "applyToWebDAV", "false", element="verbs")
    assert b'<verbs allowUnlisted="true" applyToWebDAV="false">' in result.content
    assert_only_span_changed(result)


def test_remove_attribute_takes_its_leading_space() -> None:
    result = ConfigEditor(CONFIG).remove_attribute("system.webServer/directoryBrowse", "showFlags")
    assert b"<directoryBrowse enabled='false' />" in result.content
    again = ConfigEditor(result.content).remove_attribute("system.webServer/directoryBrowse", "showFlags")
    assert not again.changed


def test_missing_elements_are_created_with_the_files_indentation() -> None:
    result = ConfigEditor(CONFIG).set_attribute(FILTERING, "maxUrl", "2048", element="requestLimits")
    assert b'                <requestLimits maxUrl="2048" />\n            </requestFiltering>' in result.content
    assert_only_span_changed(result)


def test_new_location_goes_at_the_end_of_the_file() -> None:
    result = ConfigEditor(CONFIG).set_attribute("system.webServer/directoryBrowse", "enabled", "false", location="Default Web Site/app")
    expected = (
        b'    <location path="Default Web Site/app">\n'
        b"        <system.webServer>\n"
        b'            <directoryBrowse enabled="false" />\n'
        b"        </system.webServer>\n"
        b"    </location>\n"
        b"</configuration>\n"
    )
    assert result.content.endswith(expected)
    assert 'new <location path="Default Web Site/app">' in result.message


def test_locked_location_is_not_reused_for_a_new_section() -> None:
    result = ConfigEditor(CONFIG).set_attribute("system.webServer/directoryBrowse", "enabled", "false", location="Default Web Site")
    assert result.content.count(b'<location path="Default Web Site"') == 2


def test_existing_location_with_the_section_is_reused_whatever_the_case() -> None:
    result = ConfigEditor(CONFIG).set_attribute("system.webServer/asp", "appAllowDebugging", "false", location="default web site")
    assert b'<asp appAllowDebugging="false" />' in result.content
    assert result.content.count(b"<location") == 1


def test_self_closing_parent_is_opened_to_take_a_child() -> None:
    result = ConfigEditor(CONFIG).set_attribute("system.webServer/asp", "keepSessionIdSecure", "true", element="session", location="Default Web Site")
    assert b'            <asp>\n                <session keepSessionIdSecure="true" />\n            </asp>\n' in result.content


def test_add_entry_appends_updates_and_is_idempotent() -> None:
    editor = ConfigEditor(CONFIG)
    added = editor.add_entry(FILTERING, {"verb": "OPTIONS", "allowed": "false"}, element="verbs")
    assert b'<add verb="TRACE" allowed="false" />\n                    <add verb="OPTIONS" allowed="false" />\n' in added.content
    updated = editor.add_entry(FILTERING, {"verb": "TRACE", "allowed": "true"}, element="verbs")
    assert updated.changed
    assert b'<add verb="TRACE" allowed="true" />' in updated.content
    again = editor.add_entry(FILTERING, {"verb": "TRACE", "allowed": "true"}, element="verbs")
    assert not again.changed
    case_variant = editor.add_entry(FILTERING, {"verb": "trace", "allowed": "false"}, element="verbs")
    assert case_variant.changed
    assert b'<add verb="TRACE" allowed="true" />' in case_variant.content


def test_remove_entry_deletes_the_whole_line_then_writes_remove_for_inherited() -> None:
    editor = ConfigEditor(CONFIG)
    local = editor.remove_entry(FILTERING, {"verb": "TRACE"}, element="verbs")
    assert b'<verbs allowUnlisted="true">\n                </verbs>' in local.content
    inherited = editor.remove_entry(FILTERING, {"verb": "PUT"}, element="verbs", inherited=True)
    assert b'<remove verb="PUT" />' in inherited.content
    again = editor.remove_entry(FILTERING, {"verb": "PUT"}, element="verbs", inherited=True)
    assert not again.changed
    assert "already" in again.message


def test_collection_item_selector_targets_one_site() -> None:
    result = ConfigEditor(CONFIG).set_attribute("system.applicationHost/sites", "directory", "D:\\logs", element="site[@name='Default Web Site']/logFile")
    assert b'                </bindings>\n                <logFile directory="D:\\logs" />\n            </site>' in result.content
    config = IisConfiguration.from_bytes("applicationHost.config", result.content)
    sites = config.server().section("system.applicationHost/sites")
    entry = sites.find_entry(name="Default Web Site")
    assert entry is not None
    assert entry.element.child("logFile").value("directory") == "D:\\logs"


def test_values_are_escaped_and_read_back_exactly() -> None:
    value = "a&b <c> \"d\" 'e'\ttab"
    result = ConfigEditor(CONFIG).add_entry("system.webServer/httpProtocol", {"name": "X-Test", "value": value}, element="customHeaders")
    config = IisConfiguration.from_bytes("applicationHost.config", result.content)
    headers = config.server().section("system.webServer/httpProtocol").child("customHeaders")
    assert [e.element.value("value") for e in headers.entries] == [value]


def test_encrypted_values_bom_and_crlf_survive_an_edit() -> None:
    raw = codecs.BOM_UTF8 + CONFIG.replace(b"\n", b"\r\n")
    result = ConfigEditor(raw).set_attribute(FILTERING, "maxUrl", "2048", element="requestLimits")
    content = result.content
    assert content.startswith(codecs.BOM_UTF8)
    assert b'\r\n                <requestLimits maxUrl="2048" />\r\n' in content
    assert content.count(b"\n") == content.count(b"\r\n")
    assert b'password="[enc:AesProvider:qwerty==:enc]"' in content
    assert b'sessionKey="AQIAAA+enc=="' in content


def test_utf16_file_stays_utf16() -> None:
    raw = codecs.BOM_UTF16_LE + CONFIG.decode("utf-8").replace('encoding="UTF-8"', 'encoding="utf-16"').encode("utf-16-le")
    result = ConfigEditor(raw).set_attribute("system.webServer/directoryBrowse", "enabled", "true")
    assert result.content.startswith(codecs.BOM_UTF16_LE)
    assert result.content.decode("utf-16") == raw.decode("utf-16").replace("enabled='false'", "enabled='true'")


def test_tab_indented_file_gets_tabs() -> None:
    raw = b'<configuration>\n\t<system.webServer>\n\t\t<directoryBrowse enabled="false"/>\n\t</system.webServer>\n</configuration>\n'
    result = ConfigEditor(raw).set_attribute("system.webServer/httpErrors", "errorMode", "Custom")
    assert result.content == raw.replace(b"\t</system.webServer>", b'\t\t<httpErrors errorMode="Custom"/>\n\t</system.webServer>')


def test_diff_is_a_unified_diff_of_the_change() -> None:
    result = ConfigEditor(CONFIG, "applicationHost.config").set_attribute("system.webServer/directoryBrowse", "enabled", "true")
    diff = result.diff()
    assert diff.startswith("--- a/applicationHost.config\n+++ b/applicationHost.config\n")
    assert "-        <directoryBrowse enabled='false'   showFlags=\"Date\" />\n" in diff
    assert "+        <directoryBrowse enabled='true'   showFlags=\"Date\" />\n" in diff


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda e: e.set_attribute("system.webServer/directoryBrowse", "bad name", "x"), "invalid attribute name"),
        (lambda e: e.add_entry("system.webServer/directoryBrowse", {"a": "b"}), "not a collection the schema knows"),
        (lambda e: e.add_entry(FILTERING, {"allowed": "true"}, element="verbs"), "lacks the key attribute 'verb'"),
        (
            lambda e: e.remove_entry(
                "system.applicationHost/sites",
                {"protocol": "http", "bindingInformation": "*:80:"},
                element="site[@name='Default Web Site']/bindings",
                inherited=True,
            ),
            "no remove directive",
        ),
    ],
)
def test_impossible_edits_raise_and_change_nothing(call: object, message: str) -> None:
    editor = ConfigEditor(CONFIG, "applicationHost.config")
    with pytest.raises(EditError, match=message) as caught:
        call(editor)  # type: ignore[operator]
    assert caught.value.file == "applicationHost.config"
    assert editor.content() == CONFIG


def test_element_path_parser_allows_slashes_in_quoted_keys() -> None:
    steps = parse_element_path("site[@name='A']/application[@path='/x/y']/virtualDirectory[@path=\"/\"]")
    assert [(s.name, s.keys) for s in steps] == [("site", (("name", "A"),)), ("application", (("path", "/x/y"),)), ("virtualDirectory", (("path", "/"),))]
    with pytest.raises(ValueError, match="invalid element path"):
        parse_element_path("a/[b")
