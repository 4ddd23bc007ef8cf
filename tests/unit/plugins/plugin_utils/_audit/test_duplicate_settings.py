# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A setting written twice in one file never passes: IIS refuses the file (HTTP 500.19), so does the audit, naming both lines."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import UNREADABLE_RULE_ID, Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import UnreadableServerFileError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
RULES = load_catalog().rules
DIRECTORY_BROWSING = "iis-directory-browsing-off"
APPHOST = Path("files/C/Windows/System32/inetsrv/config/applicationHost.config")
WEB_CONFIG = Path("files/C/inetpub/intranet/web.config")
INTRANET_SITE = """            <site name="Intranet" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\intranet" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:81:" />
                </bindings>
            </site>
"""
# Each web.config: its text and the two lines (first, second) of the setting written twice.
WEB_CONFIGS: dict[str, tuple[str, int, int]] = {
    "section-twice": (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <directoryBrowse enabled="true" />\n'
        '    <directoryBrowse enabled="false" />\n  </system.webServer>\n</configuration>\n',
        4,
        5,
    ),
    "dotnet-section-twice": (
        '<?xml version="1.0"?>\n<configuration>\n  <system.web>\n    <customErrors mode="Off" />\n    <compilation debug="false" />\n'
        '    <customErrors mode="RemoteOnly" />\n  </system.web>\n  <system.webServer>\n    <directoryBrowse enabled="false" />\n'
        "  </system.webServer>\n</configuration>\n",
        4,
        6,
    ),
    "attribute-twice": (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <directoryBrowse enabled="true"\n'
        '                     showFlags="None"\n                     enabled="false" />\n  </system.webServer>\n</configuration>\n',
        4,
        6,
    ),
    "element-twice": (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <directoryBrowse enabled="false" />\n    <security>\n'
        '      <requestFiltering>\n        <requestLimits maxAllowedContentLength="1000" />\n'
        '        <requestLimits maxAllowedContentLength="30000000" />\n      </requestFiltering>\n    </security>\n'
        "  </system.webServer>\n</configuration>\n",
        7,
        8,
    ),
    "collection-key-twice": (
        '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <directoryBrowse enabled="false" />\n    <modules>\n'
        '      <add name="Custom" type="A.Module" />\n      <add name="Custom" type="B.Module" />\n    </modules>\n'
        "  </system.webServer>\n</configuration>\n",
        6,
        7,
    ),
}


def host_with(tmp_path: Path, web_config: str) -> Path:
    """web01 with a second site, Intranet, whose root folder holds ``web_config``."""
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    apphost = snapshot / APPHOST
    apphost.write_text(
        apphost.read_text(encoding="utf-8").replace("            <siteDefaults>", INTRANET_SITE + "            <siteDefaults>"), encoding="utf-8"
    )
    (snapshot / WEB_CONFIG).parent.mkdir(parents=True)
    (snapshot / WEB_CONFIG).write_text(web_config, encoding="utf-8")
    return snapshot


@pytest.mark.parametrize("case", sorted(WEB_CONFIGS))
def test_a_setting_twice_in_a_web_config_is_an_error_at_its_scope_naming_both_lines(case: str, tmp_path: Path) -> None:
    text, first, second = WEB_CONFIGS[case]
    findings = Evaluator(load_snapshot(host_with(tmp_path, text))).evaluate(RULES)

    errors = [f for f in findings if f.status == "error"]
    assert [(f.rule_id, f.scope) for f in errors] == [(UNREADABLE_RULE_ID, "Intranet")]
    evidence = errors[0].evidence
    assert (evidence.file, evidence.line) == ("C:\\inetpub\\intranet\\web.config", second)
    assert f"line {first})" in str(evidence.actual)
    assert DIRECTORY_BROWSING in str(evidence.actual)
    assert [f.status for f in findings if f.rule_id == DIRECTORY_BROWSING and f.scope.startswith("Intranet")] == []


# Each change to applicationHost.config: (what is there, what replaces it), and the cause's start.
APPHOST_CHANGES: dict[str, tuple[str, str, str]] = {
    "section-twice": (
        "<system.webServer>",
        '<system.webServer>\n        <directoryBrowse enabled="true" />\n        <directoryBrowse enabled="false" />',
        "duplicate section",
    ),
    "element-twice": (
        "</configuration>",
        '<location path="Default Web Site/uploads">\n<system.webServer><security><requestFiltering>\n'
        '<requestLimits maxAllowedContentLength="1000" />\n<requestLimits maxAllowedContentLength="30000000" />\n'
        "</requestFiltering></security></system.webServer>\n</location>\n</configuration>",
        "<requestLimits> appears twice",
    ),
    "global-module-twice": (
        "<globalModules>",
        '<globalModules>\n            <add name="RequestFilteringModule" image="a.dll" />\n            <add name="RequestFilteringModule" image="b.dll" />',
        "duplicate collection entry",
    ),
}


@pytest.mark.parametrize("case", sorted(APPHOST_CHANGES))
def test_a_setting_twice_in_application_host_config_fails_the_host_naming_both_lines(case: str, tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    apphost = snapshot / APPHOST
    old, new, cause = APPHOST_CHANGES[case]
    text = apphost.read_text(encoding="utf-8")
    assert old in text
    apphost.write_text(text.replace(old, new, 1), encoding="utf-8")
    lines = apphost.read_text(encoding="utf-8").splitlines()

    with pytest.raises(UnreadableServerFileError) as caught:
        Evaluator(load_snapshot(snapshot)).evaluate(RULES)

    error = caught.value
    assert error.file == "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
    assert error.cause.startswith(cause)
    assert error.line is not None
    first_line = int(error.cause.split("(first ", 1)[1].split("line ", 1)[1].split(")", 1)[0])
    repeated = lines[error.line - 1].strip().split(" ")[0]
    assert first_line < error.line
    assert lines[first_line - 1].strip().split(" ")[0] == repeated
