# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Edits judged by their effect on the effective configuration."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.changes import ensure_attribute
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import EditError

Host = Callable[..., IisConfiguration]
Wrap = Callable[[str], str]
APP_WEB_CONFIG = "C:\\apps\\app\\web.config"
BROWSE = "system.webServer/directoryBrowse"


def test_a_value_already_in_effect_changes_nothing(host: Host) -> None:
    config = host({})
    outcome = ensure_attribute(config, "system.webServer/security/requestFiltering", "maxUrl", "4096", element="requestLimits")
    assert not outcome.changed
    assert outcome.in_effect
    assert outcome.edit is None
    assert outcome.configuration is config
    assert "already '4096'" in outcome.message
    assert "default (built-in schema)" in outcome.message


def test_a_site_value_goes_into_a_location_of_applicationhost_and_takes_effect(host: Host) -> None:
    outcome = ensure_attribute(host({}), BROWSE, "enabled", "false", site="Default Web Site", url_path="/app")
    assert outcome.changed
    assert outcome.in_effect
    assert outcome.edit is not None
    assert '<directoryBrowse enabled="false" />' in outcome.edit.diff()
    assert outcome.configuration.resolve("Default Web Site", "/app").get(BROWSE, "enabled").value == "false"
    again = ensure_attribute(outcome.configuration, BROWSE, "enabled", "false", site="Default Web Site", url_path="/app")
    assert not again.changed


def test_a_value_overridden_by_a_lower_web_config_is_reported_with_its_place(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: wrap('<system.webServer><directoryBrowse enabled="true" /></system.webServer>')})
    outcome = ensure_attribute(config, BROWSE, "enabled", "false", site="Default Web Site", url_path="/app")
    assert outcome.changed
    assert not outcome.in_effect
    assert "does not take effect at Default Web Site/app: it is overridden by C:\\apps\\app\\web.config:3 (value 'true')" in outcome.message


def test_a_value_written_below_a_lock_is_reported_with_the_lock(host: Host, wrap: Wrap) -> None:
    config = host({APP_WEB_CONFIG: wrap("<system.webServer><httpErrors /></system.webServer>")})
    outcome = ensure_attribute(config, "system.webServer/httpErrors", "errorMode", "Custom", site="Default Web Site", url_path="/app/sub", file=APP_WEB_CONFIG)
    assert outcome.changed
    assert not outcome.in_effect
    assert "attribute 'errorMode' of <httpErrors> is locked at" in outcome.message
    assert [d.code for d in outcome.diagnostics] == ["locked-attribute"]


def test_a_missing_web_config_is_not_created_implicitly(host: Host) -> None:
    with pytest.raises(EditError, match="does not exist on the host"):
        ensure_attribute(host({}), BROWSE, "enabled", "false", site="Default Web Site", url_path="/app", file=APP_WEB_CONFIG)


def test_an_apphost_loaded_alone_can_be_edited(host: Host) -> None:
    alone = IisConfiguration.from_bytes("applicationHost.config", host({}).apphost.document.raw)
    outcome = ensure_attribute(alone, BROWSE, "enabled", "true")
    assert outcome.in_effect
    assert outcome.configuration.server().get(BROWSE, "enabled").value == "true"
    with pytest.raises(EditError, match=r"loaded from applicationHost\.config alone"):
        ensure_attribute(alone, BROWSE, "enabled", "true", site="Default Web Site", url_path="/", file="C:\\inetpub\\wwwroot\\web.config")
