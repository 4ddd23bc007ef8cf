# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side report of effective IIS settings with their evidence.

Used by the ``hardened.iis.effective_config`` lookup and the
``hardened.iis.effective_report`` filter. For every scope (the server, then each
site and application path and each ``<location>`` path) it lists the value of each
setting, the file, line and ``<location>`` that set it, or that it is the default;
a scope lists only what differs from the server. Diagnostics (values that do not
take effect because of a lock, duplicates) follow. A value that is a secret (a
password, a connection string, a machine key; ``_iisconfig/secrets.py``) is shown
as the marker unless ``show_secrets``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import (
    Diagnostic,
    EffectiveConfig,
    EffectiveElement,
    EffectiveEntry,
    EffectiveValue,
    IisConfiguration,
)
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.secrets import shown_value
from ansible_collections.hardened.iis.plugins.plugin_utils._core import hoststate


@dataclass(frozen=True)
class Setting:
    """A setting to report: an attribute, or a collection shown by some of its attributes."""

    section: str
    attribute: str = ""
    element: str = ""
    show: tuple[str, ...] = ()
    """For a collection: the attributes of each entry to show (the first is its name)."""

    @property
    def label(self) -> str:
        path = f"{self.section}/{self.element}" if self.element else self.section
        return f"{path}@{self.attribute}" if self.attribute else f"{path}[]"

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Setting:
        unknown = set(data) - {"section", "attribute", "element", "show"}
        if unknown or "section" not in data:
            raise ValueError(f"a setting needs 'section' and may have 'attribute', 'element', 'show'; got {sorted(data)}")
        show = data.get("show") or ()
        return cls(str(data["section"]), str(data.get("attribute", "")), str(data.get("element", "")), tuple(str(s) for s in show))


DEFAULT_SETTINGS: tuple[Setting, ...] = (
    Setting("system.webServer/directoryBrowse", "enabled"),
    Setting("system.webServer/httpErrors", "errorMode"),
    Setting("system.webServer/handlers", "accessPolicy"),
    Setting("system.webServer/security/access", "sslFlags"),
    Setting("system.webServer/security/authentication/anonymousAuthentication", "enabled"),
    Setting("system.webServer/security/authentication/basicAuthentication", "enabled"),
    Setting("system.webServer/security/isapiCgiRestriction", "notListedIsapisAllowed"),
    Setting("system.webServer/security/isapiCgiRestriction", "notListedCgisAllowed"),
    Setting("system.webServer/security/requestFiltering", "allowDoubleEscaping"),
    Setting("system.webServer/security/requestFiltering", "allowHighBitCharacters"),
    Setting("system.webServer/security/requestFiltering", "maxAllowedContentLength", "requestLimits"),
    Setting("system.webServer/security/requestFiltering", "maxUrl", "requestLimits"),
    Setting("system.webServer/security/requestFiltering", "maxQueryString", "requestLimits"),
    Setting("system.webServer/security/requestFiltering", "allowUnlisted", "verbs"),
    Setting("system.webServer/security/requestFiltering", "", "verbs", ("verb", "allowed")),
    Setting("system.webServer/security/requestFiltering", "allowUnlisted", "fileExtensions"),
    Setting("system.webServer/httpProtocol", "", "customHeaders", ("name",)),
    Setting("system.webServer/webdav/authoring", "enabled"),
    Setting("system.webServer/asp", "appAllowDebugging"),
    Setting("system.webServer/asp", "scriptErrorSentToBrowser"),
    Setting("system.web/compilation", "debug"),
    Setting("system.web/customErrors", "mode"),
    Setting("system.web/trace", "enabled"),
    Setting("system.web/httpCookies", "httpOnlyCookies"),
    Setting("system.web/httpCookies", "requireSSL"),
    Setting("system.web/httpRuntime", "enableVersionHeader"),
    Setting("system.web/sessionState", "cookieless"),
    Setting("system.web/machineKey", "validation"),
    Setting("system.web/trust", "level"),
)
"""Security-relevant settings, for the demo and for a first look at a server."""


def load_snapshot(snapshot: str | Path) -> IisConfiguration:
    """A host's IIS configuration from a snapshot directory (``files/`` and ``state.yml``)."""
    return hoststate.load_snapshot(snapshot).configuration


def scopes(config: IisConfiguration) -> list[tuple[str, str]]:
    """(site, URL path) of every application, every <location> of applicationHost.config and every web.config folder."""
    found = [(site.name, path) for site in config.sites for path in config.named_paths(site)]
    return sorted(found, key=lambda s: (s[0].casefold(), s[1].casefold()))


def _collection_source(collection: EffectiveElement) -> str:
    """The most specific place that shaped a collection: its deepest entry, or the <clear/> that emptied it."""
    if collection.entries:
        deepest = max(enumerate(collection.entries), key=lambda item: (item[1].provenance.config_path.count("/"), item[0]))[1]
        return str(deepest.provenance)
    if collection.cleared_at is not None:
        return f"{collection.cleared_at} (<clear/>)"
    return "default (empty)"


def _entry_values(entry: EffectiveEntry, names: tuple[str, ...], show_secrets: bool) -> list[str]:
    """The shown attributes of one collection entry, secrets as the marker unless ``show_secrets``."""
    values = [entry.element.value(name) or "" for name in names]
    if show_secrets:
        return values
    siblings = {name: entry.element.value(name) for name in ("key", "name")}
    return [shown_value(name, value, siblings) or "" for name, value in zip(names, values, strict=True)]


def _render(effective: EffectiveConfig, setting: Setting, show_secrets: bool = False) -> tuple[str, str]:
    """(value, source) of one setting at one scope."""
    if setting.show:
        collection = effective.section(setting.section).element(setting.element)
        shown = []
        for entry in collection.entries:
            values = _entry_values(entry, setting.show, show_secrets)
            shown.append(values[0] if len(values) == 1 else f"{values[0]}={','.join(values[1:])}")
        return "[" + ", ".join(shown) + "]", _collection_source(collection)
    value: EffectiveValue = effective.get(setting.section, setting.attribute, element=setting.element)
    if value.value is None:
        return "(not set)", value.describe()
    return (value.value if show_secrets else str(shown_value(setting.attribute, value.value))), value.describe()


def report(config: IisConfiguration, host: str, settings: tuple[Setting, ...] = DEFAULT_SETTINGS, *, show_secrets: bool = False) -> list[dict[str, Any]]:
    """One row per setting at the server scope, then one per setting that differs at a site scope (secrets redacted unless ``show_secrets``)."""
    rows: list[dict[str, Any]] = []
    server = config.server()
    baseline: dict[Setting, str] = {}
    reported: set[Diagnostic] = set()
    for setting in settings:
        value, source = _render(server, setting, show_secrets)
        baseline[setting] = value
        rows.append({"host": host, "kind": "setting", "scope": "server", "setting": setting.label, "value": value, "source": source})
    for site, path in scopes(config):
        effective = config.resolve(site, path)
        for setting in settings:
            value, source = _render(effective, setting, show_secrets)
            if value != baseline[setting]:
                rows.append({"host": host, "kind": "setting", "scope": f"{site}{path}", "setting": setting.label, "value": value, "source": source})
        for diagnostic in effective.diagnostics:
            if diagnostic in reported:
                continue
            reported.add(diagnostic)
            rows.append(
                {
                    "host": host,
                    "kind": "diagnostic",
                    "scope": f"{site}{path}",
                    "setting": diagnostic.code,
                    "value": diagnostic.message,
                    "source": str(diagnostic.provenance),
                }
            )
    return rows


def format_report(rows: list[dict[str, Any]]) -> str:
    """An aligned text listing of report rows, grouped by host and scope."""
    lines: list[str] = []
    width = max((len(str(r["setting"])) for r in rows if r.get("kind") == "setting"), default=0)
    value_width = min(max((len(str(r["value"])) for r in rows if r.get("kind") == "setting"), default=0), 40)
    current: tuple[str, str] | None = None
    diagnostics = [r for r in rows if r.get("kind") == "diagnostic"]
    for row in rows:
        if row.get("kind") != "setting":
            continue
        group = (str(row["host"]), str(row["scope"]))
        if group != current:
            title = "server-wide (effective everywhere unless overridden below)" if row["scope"] == "server" else f"{row['scope']} (differs from server-wide)"
            lines.append("")
            lines.append(f"== {row['host']}: {title}")
            current = group
        lines.append(f"  {str(row['setting']).ljust(width)}  {str(row['value']).ljust(value_width)}  <- {row['source']}")
    if diagnostics:
        lines.append("")
        lines.append("== values that do not take effect")
        for row in diagnostics:
            lines.append(f"  {row['host']} {row['scope']}: [{row['setting']}] {row['value']}  <- {row['source']}")
    return "\n".join(lines).lstrip("\n")
