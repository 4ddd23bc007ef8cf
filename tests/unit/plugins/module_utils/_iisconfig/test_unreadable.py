# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A web.config IIS cannot read fails the URLs at and below it (HTTP 500.19), and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import UnreadableScopeError

Host = Callable[..., IisConfiguration]
Wrap = Callable[[str], str]

SITE = "Default Web Site"
ROOT_WEB_CONFIG = "C:\\inetpub\\wwwroot\\web.config"
APP_WEB_CONFIG = "C:\\apps\\app\\web.config"
CHILD_WEB_CONFIG = "C:\\apps\\child\\web.config"
BROWSE = "system.webServer/directoryBrowse"
SITES = "system.applicationHost/sites"
UNCLOSED = '<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n    <directoryBrowse enabled="true">\n  </system.webServer>\n</configuration>\n'
"""Line 5 closes <system.webServer> while <directoryBrowse> is open."""


def test_a_broken_application_web_config_fails_its_scope_and_below_only(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: UNCLOSED, ROOT_WEB_CONFIG: wrap('<system.webServer><directoryBrowse enabled="true" /></system.webServer>')})
    for path in ("/app", "/app/folder", "/app/child"):
        effective = config.resolve(SITE, path)
        with pytest.raises(UnreadableScopeError) as caught:
            effective.get(BROWSE, "enabled")
        error = caught.value
        assert (error.file, error.line, error.web_config, error.scope) == (APP_WEB_CONFIG, 5, APP_WEB_CONFIG, "Default Web Site/app")
        assert "not well-formed XML: mismatched tag" in error.cause
        assert str(error).endswith("IIS would answer HTTP 500.19 for URLs under Default Web Site/app")
    at_root = config.resolve(SITE, "/")
    assert at_root.unreadable is None
    assert at_root.get(BROWSE, "enabled").value == "true"
    assert config.resolve(SITE, "/application").get(BROWSE, "enabled").value == "true"
    assert config.resolve("Other", "/").get(BROWSE, "enabled").value == "false"


def test_what_only_server_files_may_set_is_still_read_below_a_broken_web_config(host: Host) -> None:
    effective = host({APP_WEB_CONFIG: UNCLOSED}).resolve(SITE, "/app")
    assert effective.unreadable is not None
    assert not effective.depends_on_unreadable(SITES)  # allowDefinition="AppHostOnly"
    assert effective.depends_on_unreadable(BROWSE)
    sites = effective.section(SITES)
    assert [entry.element.value("name") for entry in sites.entries] == [SITE, "Other"]


def test_a_broken_site_root_web_config_fails_every_application_of_the_site(host: Host) -> None:
    config = host({ROOT_WEB_CONFIG: UNCLOSED})
    scopes = set()
    for path in ("/", "/app", "/app/child"):
        unreadable = config.resolve(SITE, path).unreadable
        assert unreadable is not None
        scopes.add((unreadable.web_config, unreadable.scope))
    assert scopes == {(ROOT_WEB_CONFIG, SITE)}
    assert config.resolve("Other", "/").unreadable is None


@pytest.mark.parametrize(
    ("body", "line", "cause"),
    [
        (
            '<system.web>\n<httpRuntime enableVersionHeader="false" />\n</system.web>\n<system.web>\n<httpRuntime enableVersionHeader="true" />\n</system.web>',
            7,
            "duplicate section system.web/httpRuntime (first at line 4)",
        ),
        (
            '<location path="sub"><system.webServer>\n<directoryBrowse enabled="false" />\n</system.webServer></location>\n'
            '<location path="SUB"><system.webServer>\n<directoryBrowse enabled="true" />\n</system.webServer></location>',
            7,
            "duplicate section system.webServer/directoryBrowse in <location path='SUB'> (first at line 4)",
        ),
        (
            "<system.webServer><security><requestFiltering><fileExtensions>\n"
            '<add fileExtension=".exe" allowed="false" />\n<add fileExtension=".EXE" allowed="true" />\n'
            "</fileExtensions></requestFiltering></security></system.webServer>",
            5,
            "duplicate collection entry <add> with key fileExtension='.EXE'",
        ),
        ('<location path="." overrideMode="Sometimes"><system.webServer /></location>', 3, "overrideMode must be Allow, Deny or Inherit, not 'Sometimes'"),
    ],
    ids=["section-twice", "section-twice-in-locations-of-one-path", "duplicate-collection-key", "invalid-attribute-value"],
)
def test_a_well_formed_file_iis_refuses_is_unreadable_before_any_section_is_read(host: Host, wrap: Wrap, body: str, line: int, cause: str) -> None:
    unreadable = host({APP_WEB_CONFIG: wrap(body)}).resolve(SITE, "/app").unreadable
    assert unreadable is not None
    assert (unreadable.file, unreadable.line, unreadable.scope) == (APP_WEB_CONFIG, line, "Default Web Site/app")
    assert cause in unreadable.cause


def test_one_section_in_locations_of_different_paths_and_a_transform_file_are_readable(host: Host, wrap: Wrap) -> None:
    locations = (
        '<location path="a"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>'
        '<location path="b"><system.webServer><directoryBrowse enabled="false" /></system.webServer></location>'
        '<system.webServer><directoryBrowse enabled="false" /></system.webServer>'
    )
    transform = (
        '<configuration xmlns:xdt="http://schemas.microsoft.com/XML-Document-Transform">'
        '<system.web><trace xdt:Transform="Remove" /><trace enabled="false" xdt:Transform="Insert" /></system.web></configuration>'
    )
    config = host({APP_WEB_CONFIG: wrap(locations), ROOT_WEB_CONFIG: transform})
    assert config.resolve(SITE, "/app/a").get(BROWSE, "enabled").value == "true"
    assert config.resolve(SITE, "/app/b").get(BROWSE, "enabled").value == "false"
    assert config.resolve(SITE, "/").unreadable is None


def test_a_config_source_iis_cannot_use_names_its_file_and_the_web_config(host: Host, wrap: Wrap) -> None:
    source = "C:\\apps\\app\\settings.config"
    config = host({APP_WEB_CONFIG: wrap('<appSettings configSource="settings.config" />'), source: "<?xml version='1.0'?>\n<settings />"})
    unreadable = config.resolve(SITE, "/app").unreadable
    assert unreadable is not None
    assert (unreadable.file, unreadable.line, unreadable.web_config) == (source, 2, APP_WEB_CONFIG)
    assert "configSource file of <appSettings> has the root element <settings>" in unreadable.cause


def test_unreadable_web_configs_lists_each_file_once_at_the_first_scope_iis_reads_it(host: Host) -> None:
    config = host({APP_WEB_CONFIG: UNCLOSED, CHILD_WEB_CONFIG: UNCLOSED, "C:\\other\\web.config": "<configuration>"})
    found = sorted((e.web_config, e.scope) for e in config.unreadable_web_configs())
    # The child application's broken file is hidden by its parent's: IIS stops at the first.
    assert found == [(APP_WEB_CONFIG, "Default Web Site/app"), ("C:\\other\\web.config", "Other")]
    assert host({}).unreadable_web_configs() == []
