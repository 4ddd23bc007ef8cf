# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small hand-written host file sets for the configuration engine tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles

APPHOST_PATH = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"

APPHOST = """<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <configSections>
        <sectionGroup name="system.applicationHost">
            <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
        </sectionGroup>
        <sectionGroup name="system.webServer">
            <section name="defaultDocument" overrideModeDefault="Allow" />
            <section name="directoryBrowse" overrideModeDefault="Allow" />
            <section name="handlers" overrideModeDefault="Deny" />
            <section name="httpErrors" overrideModeDefault="Allow" />
            <section name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny" />
            <sectionGroup name="security">
                <section name="isapiCgiRestriction" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
                <section name="requestFiltering" overrideModeDefault="Allow" />
            </sectionGroup>
        </sectionGroup>
    </configSections>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <application path="/" applicationPool="DefaultAppPool">
                    <virtualDirectory path="/" physicalPath="%SystemDrive%\\inetpub\\wwwroot" />
                    <virtualDirectory path="/images" physicalPath="D:\\images" allowSubDirConfig="false" />
                </application>
                <application path="/app" applicationPool="AppPool">
                    <virtualDirectory path="/" physicalPath="C:\\apps\\app" />
                </application>
                <application path="/app/child" applicationPool="AppPool">
                    <virtualDirectory path="/" physicalPath="C:\\apps\\child" />
                </application>
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                </bindings>
            </site>
            <site name="Other" id="2">
                <application path="/">
                    <virtualDirectory path="/" physicalPath="C:\\other" />
                </application>
            </site>
            <applicationDefaults applicationPool="FallbackPool" />
        </sites>
    </system.applicationHost>
    <system.webServer>
        <directoryBrowse enabled="false" />
        <defaultDocument>
            <files>
                <add value="default.htm" />
                <add value="index.html" lockItem="true" />
            </files>
        </defaultDocument>
        <httpErrors errorMode="Custom" lockAttributes="errorMode" />
        <handlers accessPolicy="Read, Script">
            <add name="StaticFile" path="*" verb="*" modules="StaticFileModule" />
        </handlers>
        <security>
            <requestFiltering>
                <verbs allowUnlisted="true" lockElements="clear">
                    <add verb="TRACE" allowed="false" />
                </verbs>
                <fileExtensions>
                    <add fileExtension=".config" allowed="false" />
                </fileExtensions>
            </requestFiltering>
        </security>
    </system.webServer>
    <location path="Default Web Site/app">
        <system.webServer>
            <directoryBrowse enabled="true" />
            <httpErrors errorMode="DetailedLocalOnly" />
        </system.webServer>
    </location>
    <location path="default web site/APP/child" overrideMode="Allow">
        <system.webServer>
            <handlers />
        </system.webServer>
    </location>
</configuration>
"""

FilesFactory = Callable[..., IisConfiguration]


def _configuration(files: dict[str, str | bytes], apphost: str = APPHOST) -> IisConfiguration:
    content: dict[str, bytes] = {APPHOST_PATH: apphost.encode("utf-8")}
    for path, text in files.items():
        content[path] = text.encode("utf-8") if isinstance(text, str) else text
    return IisConfiguration.from_source(MemoryFiles(content))


@pytest.fixture
def host() -> FilesFactory:
    """Build a configuration from applicationHost.config plus extra files."""
    return _configuration


def web_config(body: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n{body}\n</configuration>\n'


@pytest.fixture
def wrap() -> Callable[[str], str]:
    """Wrap configuration body text in a web.config document."""
    return web_config
