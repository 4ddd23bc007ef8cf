# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The merge semantics of IIS, one rule per test."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError

Host = Callable[..., IisConfiguration]
Wrap = Callable[[str], str]

APP_WEB_CONFIG = "C:\\apps\\app\\web.config"
ROOT_WEB_CONFIG = "C:\\inetpub\\wwwroot\\web.config"
CHILD_WEB_CONFIG = "C:\\apps\\child\\web.config"
BROWSE = "system.webServer/directoryBrowse"
FILTERING = "system.webServer/security/requestFiltering"


def filtering(inner: str) -> str:
    """Request filtering settings as a web.config body."""
    return f"<system.webServer><security><requestFiltering>{inner}</requestFiltering></security></system.webServer>"


def test_location_reenables_a_feature_for_one_application(host: Host) -> None:
    config = host({})
    at_app = config.resolve("Default Web Site", "/app").get(BROWSE, "enabled")
    assert at_app.value == "true"
    assert at_app.provenance is not None
    assert at_app.provenance.location_path == "Default Web Site/app"
    expected_line = host({}).apphost.document.text.decode().splitlines().index('            <directoryBrowse enabled="true" />') + 1
    assert at_app.provenance.line == expected_line
    assert at_app.provenance.config_path == "MACHINE/WEBROOT/APPHOST/Default Web Site/app"
    assert config.resolve("Default Web Site", "/").get(BROWSE, "enabled").value == "false"
    assert config.resolve("Default Web Site", "/application").get(BROWSE, "enabled").value == "false"
    assert config.resolve("Other", "/app").get(BROWSE, "enabled").value == "false"


def test_location_applies_below_its_path_including_child_applications(host: Host) -> None:
    config = host({})
    assert config.resolve("Default Web Site", "/app/sub/deeper").get(BROWSE, "enabled").value == "true"
    assert config.resolve("Default Web Site", "/app/child").get(BROWSE, "enabled").value == "true"


def test_inherit_in_child_applications_false_stops_at_child_application(host: Host, wrap: Wrap) -> None:
    body = '<location path="." inheritInChildApplications="false"><system.webServer><directoryBrowse enabled="false" /></system.webServer></location>'
    config = host({APP_WEB_CONFIG: wrap(body)})
    assert config.resolve("Default Web Site", "/app").get(BROWSE, "enabled").value == "false"
    assert config.resolve("Default Web Site", "/app/folder").get(BROWSE, "enabled").value == "false"
    at_child = config.resolve("Default Web Site", "/app/child").get(BROWSE, "enabled")
    assert at_child.value == "true"
    assert at_child.provenance is not None
    assert at_child.provenance.location_path == "Default Web Site/app"


def test_web_config_clear_wipes_the_server_verb_list(host: Host, wrap: Wrap) -> None:
    body = filtering('<verbs><clear /><add verb="GET" allowed="true" /></verbs>')
    apphost_without_lock = host({}).apphost.document.text.decode().replace(' lockElements="clear"', "")
    config = host({APP_WEB_CONFIG: wrap(body)}, apphost=apphost_without_lock)
    verbs = config.resolve("Default Web Site", "/app").section(FILTERING).child("verbs")
    assert [entry.element.value("verb") for entry in verbs.entries] == ["GET"]
    assert verbs.cleared_at is not None
    assert verbs.cleared_at.file == APP_WEB_CONFIG
    server_verbs = config.resolve("Default Web Site", "/").section(FILTERING).child("verbs")
    assert [entry.element.value("verb") for entry in server_verbs.entries] == ["TRACE"]


def test_lock_elements_clear_keeps_the_server_list_and_says_so(host: Host, wrap: Wrap) -> None:
    body = filtering("<verbs><clear /></verbs>")
    config = host({APP_WEB_CONFIG: wrap(body)})
    effective = config.resolve("Default Web Site", "/app")
    verbs = effective.section(FILTERING).child("verbs")
    assert [entry.element.value("verb") for entry in verbs.entries] == ["TRACE"]
    assert [d.code for d in effective.diagnostics] == ["locked-element"]
    assert effective.diagnostics[0].provenance.file == APP_WEB_CONFIG


def test_locked_attribute_set_in_web_config_does_not_take_effect(host: Host, wrap: Wrap) -> None:
    config = host({ROOT_WEB_CONFIG: wrap('<system.webServer><httpErrors errorMode="Detailed" /></system.webServer>')})
    effective = config.resolve("Default Web Site", "/")
    value = effective.get("system.webServer/httpErrors", "errorMode")
    assert value.value == "Custom"
    assert value.provenance is not None
    assert value.provenance.file.endswith("applicationHost.config")
    assert len(effective.diagnostics) == 1
    diagnostic = effective.diagnostics[0]
    assert diagnostic.code == "locked-attribute"
    assert diagnostic.provenance.file == ROOT_WEB_CONFIG
    assert "'Detailed' does not take effect" in diagnostic.message


def test_lock_does_not_bind_a_location_in_the_same_file(host: Host) -> None:
    effective = host({}).resolve("Default Web Site", "/app")
    assert effective.get("system.webServer/httpErrors", "errorMode").value == "DetailedLocalOnly"
    assert effective.diagnostics == []


def test_section_locked_by_override_mode_default_is_ignored_in_web_config(host: Host, wrap: Wrap) -> None:
    handlers = '<system.webServer><handlers accessPolicy="Read, Write, Script"><add name="X" path="*.x" verb="*" modules="M" /></handlers></system.webServer>'
    config = host({APP_WEB_CONFIG: wrap(handlers), CHILD_WEB_CONFIG: wrap(handlers)})
    at_app = config.resolve("Default Web Site", "/app")
    assert at_app.get("system.webServer/handlers", "accessPolicy").value == "Read, Script"
    assert [d.code for d in at_app.diagnostics] == ["locked-section"]
    at_child = config.resolve("Default Web Site", "/app/child")
    section = at_child.section("system.webServer/handlers")
    assert section.value("accessPolicy") == "Read, Write, Script"
    assert [e.element.value("name") for e in section.entries] == ["X", "StaticFile"]
    assert [d.code for d in at_child.diagnostics] == ["locked-section"]
    assert at_child.diagnostics[0].provenance.file == APP_WEB_CONFIG


def test_allow_override_false_in_machine_config_locks_asp_net_section(host: Host, wrap: Wrap) -> None:
    machine = wrap(
        '<configSections><sectionGroup name="system.web"><section name="trust" allowDefinition="MachineToApplication" />'
        '<section name="compilation" allowDefinition="MachineToApplication" /></sectionGroup></configSections>'
        '<location allowOverride="false"><system.web><trust level="Medium" /></system.web></location>'
    )
    root_web = wrap('<system.web><compilation debug="false" /></system.web>')
    app = wrap('<system.web><trust level="Full" /><compilation debug="true" /></system.web>')
    config = host(
        {
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\machine.config": machine,
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\web.config": root_web,
            APP_WEB_CONFIG: app,
        }
    )
    effective = config.resolve("Default Web Site", "/app")
    assert effective.get("system.web/trust", "level").value == "Medium"
    debug = effective.get("system.web/compilation", "debug")
    assert debug.value == "true"
    assert debug.provenance is not None
    assert debug.provenance.file == APP_WEB_CONFIG
    assert config.server().get("system.web/compilation", "debug").value == "false"
    assert [d.code for d in effective.diagnostics] == ["locked-section"]


def test_allow_definition_machine_to_application_refuses_a_subfolder_web_config(host: Host, wrap: Wrap) -> None:
    modules = '<system.webServer><modules runAllManagedModulesForAllRequests="true" /></system.webServer>'
    unlocked = (
        host({})
        .apphost.document.text.decode()
        .replace(
            'name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Deny"',
            'name="modules" allowDefinition="MachineToApplication" overrideModeDefault="Allow"',
        )
    )
    config = host({APP_WEB_CONFIG: wrap(modules), "C:\\apps\\app\\sub\\web.config": wrap(modules)}, apphost=unlocked)
    at_app = config.resolve("Default Web Site", "/app")
    assert at_app.get("system.webServer/modules", "runAllManagedModulesForAllRequests").value == "true"
    assert at_app.diagnostics == []
    at_sub = config.resolve("Default Web Site", "/app/sub")
    assert [d.code for d in at_sub.diagnostics] == ["not-allowed-here"]
    assert at_sub.diagnostics[0].provenance.file == "C:\\apps\\app\\sub\\web.config"


def test_app_host_only_section_in_web_config_does_not_take_effect(host: Host, wrap: Wrap) -> None:
    restriction = '<system.webServer><security><isapiCgiRestriction notListedIsapisAllowed="true" /></security></system.webServer>'
    body = f'<location path="." overrideMode="Allow">{restriction}</location>'
    effective = host({ROOT_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/")
    assert effective.get("system.webServer/security/isapiCgiRestriction", "notListedIsapisAllowed").value == "false"
    assert {d.code for d in effective.diagnostics} == {"locked-section"}


def test_duplicate_key_in_one_collection_is_an_error_naming_file_and_line(host: Host, wrap: Wrap) -> None:
    body = filtering('<fileExtensions>\n<add fileExtension=".exe" allowed="false" />\n<add fileExtension=".EXE" allowed="true" />\n</fileExtensions>')
    config = host({ROOT_WEB_CONFIG: wrap(body)})
    with pytest.raises(ConfigError) as caught:
        config.resolve("Default Web Site", "/").section(FILTERING)
    assert caught.value.file == ROOT_WEB_CONFIG
    assert caught.value.line == 5
    assert "duplicate collection entry <add> with key fileExtension='.EXE'" in caught.value.cause


def test_duplicate_of_an_inherited_entry_is_reported_not_added(host: Host, wrap: Wrap) -> None:
    body = filtering('<fileExtensions><add fileExtension=".CONFIG" allowed="true" /></fileExtensions>')
    effective = host({ROOT_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/")
    extensions = effective.section(FILTERING).child("fileExtensions")
    assert [(e.element.value("fileExtension"), e.element.value("allowed")) for e in extensions.entries] == [(".config", "false")]
    assert [d.code for d in effective.diagnostics] == ["duplicate-entry"]


def test_case_sensitive_keys_are_distinct_entries(host: Host, wrap: Wrap) -> None:
    body = filtering('<verbs><add verb="trace" allowed="true" /></verbs>')
    effective = host({ROOT_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/")
    verbs = effective.section(FILTERING).child("verbs")
    assert [e.element.value("verb") for e in verbs.entries] == ["TRACE", "trace"]
    assert effective.diagnostics == []


def test_remove_deletes_an_inherited_entry_by_key(host: Host, wrap: Wrap) -> None:
    body = filtering('<fileExtensions><remove fileExtension=".Config" /></fileExtensions>')
    effective = host({ROOT_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/")
    assert effective.section(FILTERING).child("fileExtensions").entries == []


def test_locked_item_survives_remove_and_clear(host: Host, wrap: Wrap) -> None:
    body = '<system.webServer><defaultDocument><files><remove value="INDEX.HTML" /><remove value="default.htm" /></files></defaultDocument></system.webServer>'
    effective = host({ROOT_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/")
    files = effective.section("system.webServer/defaultDocument").child("files")
    assert [e.element.value("value") for e in files.entries] == ["index.html"]
    assert [d.code for d in effective.diagnostics] == ["locked-item"]


def test_merge_append_false_puts_lower_level_entries_first(host: Host, wrap: Wrap) -> None:
    body = '<system.webServer><defaultDocument><files><add value="app.aspx" /><add value="home.aspx" /></files></defaultDocument></system.webServer>'
    effective = host({APP_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/app")
    files = effective.section("system.webServer/defaultDocument").child("files")
    assert [e.element.value("value") for e in files.entries] == ["app.aspx", "home.aspx", "default.htm", "index.html"]


def test_unset_attribute_falls_back_to_schema_default(host: Host) -> None:
    effective = host({}).resolve("Default Web Site", "/")
    limit = effective.get(FILTERING, "maxAllowedContentLength", element="requestLimits")
    assert limit.value == "30000000"
    assert limit.is_default
    assert limit.describe() == "default (built-in schema)"
    assert effective.get("system.webServer/security/authentication/anonymousAuthentication", "enabled").value == "true"
    assert effective.get(FILTERING, "noSuchAttribute").value is None


def test_host_schema_file_overrides_the_built_in_default(host: Host) -> None:
    schema = (
        b'<configSchema><sectionSchema name="system.webServer/security/requestFiltering"><element name="requestLimits">'
        b'<attribute name="maxUrl" type="uint" defaultValue="1234" /></element></sectionSchema></configSchema>'
    )
    config = host({"C:\\Windows\\System32\\inetsrv\\config\\schema\\IIS_schema.xml": schema})
    value = config.resolve("Default Web Site", "/").get(FILTERING, "maxUrl", element="requestLimits")
    assert (value.value, value.default_source) == ("1234", "IIS_schema.xml")


def test_web_config_location_path_applies_to_a_subfolder(host: Host, wrap: Wrap) -> None:
    body = '<location path="uploads"><system.webServer><directoryBrowse enabled="true" /></system.webServer></location>'
    config = host({ROOT_WEB_CONFIG: wrap(body)})
    value = config.resolve("Default Web Site", "/uploads/2024").get(BROWSE, "enabled")
    assert value.value == "true"
    assert value.provenance is not None
    assert value.provenance.config_path == "MACHINE/WEBROOT/APPHOST/Default Web Site/uploads"
    assert config.resolve("Default Web Site", "/").get(BROWSE, "enabled").value == "false"


def test_deeper_web_config_wins_over_shallower_one(host: Host, wrap: Wrap) -> None:
    config = host(
        {
            ROOT_WEB_CONFIG: wrap('<system.webServer><directoryBrowse enabled="true" /></system.webServer>'),
            "C:\\inetpub\\wwwroot\\docs\\web.config": wrap('<system.webServer><directoryBrowse enabled="false" /></system.webServer>'),
        }
    )
    assert config.resolve("Default Web Site", "/").get(BROWSE, "enabled").value == "true"
    deeper = config.resolve("Default Web Site", "/docs/a")
    assert deeper.get(BROWSE, "enabled").value == "false"
    assert [f.file.name for f in deeper.files][-2:] == [ROOT_WEB_CONFIG, "C:\\inetpub\\wwwroot\\docs\\web.config"]


def test_url_paths_map_to_physical_paths_through_virtual_directories(host: Host) -> None:
    config = host({})
    site = config.site("default web site")
    mapped = site.map_path("/images/2024/a.png")
    assert mapped is not None
    assert mapped[2] == "D:\\images\\2024\\a.png"
    assert config.web_config_paths(site, "/app/child/x") == [
        "C:\\inetpub\\wwwroot\\web.config",
        "C:\\apps\\app\\web.config",
        "C:\\apps\\child\\web.config",
        "C:\\apps\\child\\x\\web.config",
    ]
    assert config.web_config_paths(site, "/images/sub") == ["C:\\inetpub\\wwwroot\\web.config", "D:\\images\\web.config"]
    assert site.application_for("/APP/Child/x") is not None
    assert [a.application_pool for a in config.site("Other").applications] == ["FallbackPool"]
    assert [(b.protocol, b.binding_information) for b in site.bindings] == [("http", "*:80:")]


def test_broken_web_config_fails_with_its_own_name(host: Host) -> None:
    config = host({APP_WEB_CONFIG: "<configuration><system.web>"})
    with pytest.raises(ConfigError) as caught:
        config.resolve("Default Web Site", "/app").section(BROWSE)
    assert caught.value.file == APP_WEB_CONFIG


def test_unknown_site_is_a_clear_error(host: Host) -> None:
    with pytest.raises(KeyError, match="no site named 'Nope'"):
        host({}).resolve("Nope")


def test_sections_lists_what_applies_at_a_path(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: wrap('<appSettings><add key="a" value="b" /></appSettings>')})
    at_app = config.resolve("Default Web Site", "/app").sections()
    assert "appSettings" in at_app
    assert "system.webServer/security/requestFiltering" in at_app
    assert "appSettings" not in config.resolve("Default Web Site", "/").sections()


def test_config_source_reads_the_section_from_its_own_file(host: Host, wrap: Wrap) -> None:
    config = host(
        {
            APP_WEB_CONFIG: wrap('<appSettings configSource="config\\app.config" />\n<connectionStrings configSource="missing.config" />'),
            "C:\\apps\\app\\config\\app.config": '<?xml version="1.0"?>\n<appSettings>\n  <add key="mode" value="live" />\n</appSettings>\n',
        }
    )
    effective = config.resolve("Default Web Site", "/app")
    entry = effective.section("appSettings").find_entry(key="mode")
    assert entry is not None
    assert entry.element.value("value") == "live"
    assert (entry.provenance.file, entry.provenance.line) == ("C:\\apps\\app\\config\\app.config", 3)
    assert effective.section("connectionStrings").entries == []
    assert [d.code for d in effective.diagnostics_for("connectionStrings")] == ["config-source-missing"]
    assert "C:\\apps\\app\\missing.config is not there" in effective.diagnostics_for("connectionStrings")[0].message


def test_config_source_with_the_wrong_root_is_an_error(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: wrap('<appSettings configSource="app.config" />'), "C:\\apps\\app\\app.config": "<settings />"})
    with pytest.raises(ConfigError, match="configSource file of <appSettings> has the root element <settings>") as caught:
        config.resolve("Default Web Site", "/app").section("appSettings")
    assert caught.value.file == "C:\\apps\\app\\app.config"


def test_an_encrypted_section_is_reported_not_read(host: Host, wrap: Wrap) -> None:
    body = (
        '<connectionStrings configProtectionProvider="RsaProtectedConfigurationProvider">\n'
        '  <EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element"><CipherData><CipherValue>AAAA</CipherValue></CipherData></EncryptedData>\n'
        "</connectionStrings>"
    )
    effective = host({APP_WEB_CONFIG: wrap(body)}).resolve("Default Web Site", "/app")
    section = effective.section("connectionStrings")
    assert section.attributes == {}
    assert section.children == {}
    assert [(d.code, d.provenance.line) for d in effective.diagnostics_for("connectionStrings")] == [("encrypted-section", 3)]


def test_named_paths_are_applications_then_locations_then_web_config_folders_each_once(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: wrap(""), "C:\\apps\\app\\uploads\\web.config": wrap(""), CHILD_WEB_CONFIG: wrap("")})
    site = config.site("default web site")
    # "default web site/APP/child" and the web.config of each application root name paths already listed: each is listed once.
    assert config.named_paths(site) == ["/", "/app", "/app/child", "/app/uploads"]
    assert config.named_paths(config.site("Other")) == ["/"]
