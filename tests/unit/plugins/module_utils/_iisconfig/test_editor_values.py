# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The editor writes no value the attribute's schema type does not take: IIS would refuse the file (HTTP 500.19)."""

from __future__ import annotations

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor, value_problem
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import InvalidValueError

WEB_CONFIG = (
    b'<?xml version="1.0"?>\n<configuration>\n  <system.webServer>\n'
    b'    <security><requestFiltering><requestLimits maxUrl="4096" /></requestFiltering></security>\n'
    b"  </system.webServer>\n</configuration>\n"
)
FILTERING = "system.webServer/security/requestFiltering"


@pytest.mark.parametrize(
    ("kind", "value", "problem"),
    [
        ("uint", "2048", None),
        ("uint", "four thousand", "a uint (0 to 4294967295)"),
        ("uint", "-1", "a uint (0 to 4294967295)"),
        ("uint", "4294967296", "a uint (0 to 4294967295)"),
        ("int", "-5", None),
        ("bool", "True", None),
        ("bool", "yes", "a bool (true or false)"),
        ("timeSpan", "00:20:00", None),
        ("timeSpan", "1.02:00:00", None),
        ("timeSpan", "20", None),
        ("timeSpan", "Infinite", None),
        ("timeSpan", "twenty minutes", "a timeSpan ([d.]hh:mm:ss, or a whole number of minutes or seconds)"),
        ("enum", "anything", None),
        ("string", "anything", None),
    ],
)
def test_values_are_checked_as_iis_parses_them(kind: str, value: str, problem: str | None) -> None:
    assert value_problem(kind, value) == problem


def test_a_value_the_schema_refuses_is_never_written_and_names_file_section_and_attribute() -> None:
    editor = ConfigEditor(WEB_CONFIG, "C:\\inetpub\\wwwroot\\web.config")
    with pytest.raises(InvalidValueError) as caught:
        editor.set_attribute(FILTERING, "maxUrl", "four thousand", element="requestLimits")
    assert str(caught.value) == (
        "C:\\inetpub\\wwwroot\\web.config: system.webServer/security/requestFiltering/requestLimits@maxUrl: 'four thousand' is not a uint "
        "(0 to 4294967295); IIS would refuse the file (HTTP 500.19)"
    )
    assert editor.content() == WEB_CONFIG
    assert editor.set_attribute(FILTERING, "maxUrl", "2048", element="requestLimits").changed


def test_values_below_keyed_collection_entries_are_checked_too() -> None:
    apphost = (
        b'<configuration><system.applicationHost><sites><site name="Shop" id="1"><hsts enabled="false" /></site></sites>'
        b"</system.applicationHost></configuration>"
    )
    editor = ConfigEditor(apphost, "applicationHost.config")
    with pytest.raises(InvalidValueError, match="hsts@enabled: 'maybe' is not a bool"):
        editor.set_attribute("system.applicationHost/sites", "enabled", "maybe", element="site[@name='Shop']/hsts")
    assert editor.set_attribute("system.applicationHost/sites", "max-age", "480", element="site[@name='Shop']/hsts").changed
