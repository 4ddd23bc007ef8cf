# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import codecs

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.xmldoc import parse_document

SIMPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment -->
<configuration>
  <system.webServer>
    <directoryBrowse enabled='true'   showFlags="Date" />
    <defaultDocument>
      <files><add value="a&amp;b.htm"/></files>
    </defaultDocument>
  </system.webServer>
</configuration>
"""


def test_elements_carry_exact_byte_spans() -> None:
    document = parse_document("web.config", SIMPLE)
    browse = document.root.children[0].children[0]
    assert browse.name == "directoryBrowse"
    assert document.text[browse.start : browse.end] == b"""<directoryBrowse enabled='true'   showFlags="Date" />"""
    assert browse.self_closing
    assert browse.line == 5
    enabled = browse.attribute("enabled")
    assert enabled is not None
    assert enabled.quote == b"'"
    assert document.text[enabled.value_start : enabled.value_end] == b"true"
    files = document.root.children[0].children[1].children[0]
    assert document.text[files.start : files.end] == b'<files><add value="a&amp;b.htm"/></files>'
    assert not files.self_closing
    assert files.children[0].get("value") == "a&b.htm"


def test_utf8_bom_is_kept_apart_and_restored() -> None:
    raw = codecs.BOM_UTF8 + SIMPLE
    document = parse_document("web.config", raw)
    assert document.bom == codecs.BOM_UTF8
    assert document.text == SIMPLE
    assert document.encode(document.text) == raw


def test_utf16_file_round_trips_byte_identical() -> None:
    text = SIMPLE.decode("utf-8").replace("UTF-8", "utf-16").replace("\n", "\r\n")
    raw = codecs.BOM_UTF16_LE + text.encode("utf-16-le")
    document = parse_document("web.config", raw)
    assert document.encoding == "utf-16-le"
    assert document.newline == b"\r\n"
    assert document.root.children[0].children[0].get("enabled") == "true"
    assert document.encode(document.text) == raw


def test_declared_single_byte_encoding_is_honoured() -> None:
    raw = '<?xml version="1.0" encoding="windows-1252"?><configuration><appSettings><add key="k" value="café"/></appSettings></configuration>'.encode("cp1252")
    document = parse_document("web.config", raw)
    assert document.root.children[0].children[0].get("value") == "café"
    assert document.encode(document.text) == raw


@pytest.mark.parametrize(
    ("raw", "cause", "line"),
    [
        pytest.param(b"", "empty", None, id="empty"),
        pytest.param(b"this is not xml", "not well-formed", 1, id="not-xml"),
        pytest.param(b"<configuration>\n  <system.web>\n", "truncated", 3, id="truncated"),
        pytest.param(b"<!-- <configuration/> -->\n", "no root element", 2, id="commented-out"),
        pytest.param(b'<configuration a="1" a="2"/>', "duplicate attribute", 1, id="duplicate-attribute"),
        pytest.param(b"<configuration>\xff</configuration>", "not valid UTF-8", 1, id="bad-utf8"),
        pytest.param(b'<?xml version="1.0" encoding="klingon"?><configuration/>', "unknown encoding", 1, id="unknown-encoding"),
        pytest.param(b"<configuration></configurations>", "mismatched tag", 1, id="mismatched"),
    ],
)
def test_malformed_input_names_file_line_and_cause(raw: bytes, cause: str, line: int | None) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_document("C:\\site\\web.config", raw)
    assert caught.value.file == "C:\\site\\web.config"
    assert cause in caught.value.cause
    assert caught.value.line == line
    assert str(caught.value).startswith("C:\\site\\web.config")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<configuration a="&lol3;"/>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE configuration [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<configuration>&xxe;</configuration>
"""


@pytest.mark.parametrize("raw", [BILLION_LAUGHS, EXTERNAL_ENTITY, b'<!DOCTYPE configuration SYSTEM "http://example.invalid/x.dtd"><configuration/>'])
def test_dtds_and_entities_are_refused_before_expansion(raw: bytes) -> None:
    with pytest.raises(ConfigError, match="DOCTYPE declaration is not allowed"):
        parse_document("applicationHost.config", raw)


def test_undefined_entity_reference_is_an_error() -> None:
    with pytest.raises(ConfigError, match="undefined entity"):
        parse_document("web.config", b"<configuration>&xxe;</configuration>")


def test_size_limit_is_checked_before_parsing() -> None:
    with pytest.raises(ConfigError, match="over the limit of 100 bytes"):
        parse_document("web.config", b"<configuration>" + b" " * 200 + b"</configuration>", max_bytes=100)


def test_utf16_declaration_without_bom_is_refused() -> None:
    with pytest.raises(ConfigError, match="no UTF-16 byte order mark"):
        parse_document("web.config", b'<?xml version="1.0" encoding="utf-16"?><configuration/>')
