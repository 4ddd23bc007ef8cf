# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile configuration files fail clearly, locally and in bounded work (issue 15).

Every input gives a result or a ConfigError naming the file (and the line where it is
known): no traceback, no RecursionError, and no work that grows faster than the file.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig import effective as effective_module
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.configfile import parse_element_path, split_path
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.schema import load_schema
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import (
    ENVIRONMENT_SOURCE,
    MemoryFiles,
    checked_environment,
    environment_problem,
    expand,
)
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.xmldoc import MAX_DEPTH, parse_document

from .conftest import APPHOST, APPHOST_PATH

SITE = "Default Web Site"
WEB_CONFIG = "C:\\inetpub\\wwwroot\\web.config"
"""The root folder of the site in conftest's applicationHost.config (%SystemDrive%\\inetpub\\wwwroot)."""
BROWSE = "system.webServer/directoryBrowse"
FILTERING = "system.webServer/security/requestFiltering"

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def host(files: dict[str, bytes], apphost: bytes = APPHOST.encode("utf-8"), environment: dict[str, str] | None = None) -> IisConfiguration:
    return IisConfiguration.from_source(MemoryFiles({APPHOST_PATH: apphost, **files}), environment)


def nested(depth: int) -> bytes:
    """A configuration file whose elements nest ``depth`` deep (``<configuration>`` counts), one start tag a line."""
    opening = "".join(f"<level{index}>\n" for index in range(1, depth))
    closing = "".join(f"</level{index}>" for index in reversed(range(1, depth)))
    return f"<configuration>\n{opening}{closing}</configuration>\n".encode()


@contextlib.contextmanager
def little_stack(frames: int) -> Iterator[None]:
    """Let the code inside use at most ``frames`` more Python frames than its caller.

    A walk that recursed once per level of nesting would need MAX_DEPTH frames and fail
    with RecursionError; the engine's walks keep their own stacks.
    """
    depth = sum(1 for _frame in traceback.walk_stack(None))
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# -- nesting ---------------------------------------------------------------------------


def test_1500_nested_elements_are_refused_naming_file_and_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_document(WEB_CONFIG, nested(1500))
    assert (caught.value.file, caught.value.line) == (WEB_CONFIG, MAX_DEPTH + 1)
    assert f"<level{MAX_DEPTH}> is nested {MAX_DEPTH + 1} elements deep, over the limit of {MAX_DEPTH}" in caught.value.cause


def test_a_deeply_nested_web_config_fails_its_scope_and_a_deep_apphost_the_host() -> None:
    effective = host({WEB_CONFIG: nested(1500)}).resolve(SITE, "/")
    assert effective.unreadable is not None
    assert (effective.unreadable.file, effective.unreadable.line) == (WEB_CONFIG, MAX_DEPTH + 1)
    with pytest.raises(ConfigError) as caught:
        IisConfiguration.from_bytes(APPHOST_PATH, nested(1500))
    assert (caught.value.file, caught.value.line) == (APPHOST_PATH, MAX_DEPTH + 1)


def test_the_limit_is_a_parameter_and_exactly_max_depth_is_accepted() -> None:
    assert parse_document(WEB_CONFIG, nested(MAX_DEPTH)).root.name == "configuration"
    with pytest.raises(ConfigError, match="over the limit of 3"):
        parse_document(WEB_CONFIG, nested(4), max_depth=3)


def _deep_web_config() -> bytes:
    """A web.config at the nesting limit everywhere the engine walks: section groups, a custom
    section's elements and collection entries inside collection entries."""
    groups = MAX_DEPTH - 3  # <configuration><configSections> then the groups, then the <section>
    declarations = "".join(f'<sectionGroup name="g{index}">' for index in range(groups))
    declarations += '<section name="deep" />' + "</sectionGroup>" * groups
    entries = MAX_DEPTH - 3  # <configuration><app><list> then the entries
    items = "".join(f'<add key="k{index}" depth="{index}">' for index in range(entries)) + "</add>" * entries
    body = "".join(f"<g{index}>" for index in range(groups)) + '<deep value="bottom" />' + "".join(f"</g{index}>" for index in reversed(range(groups)))
    text = f"<configuration><configSections>{declarations}</configSections>{body}<app><list>{items}</list></app></configuration>"
    return text.encode("utf-8")


def test_files_at_the_nesting_limit_are_read_without_recursion() -> None:
    raw = _deep_web_config()
    with little_stack(60):
        configuration = host({WEB_CONFIG: raw})
        effective = configuration.resolve(SITE, "/")
        deep = next(name for name in effective.sections() if name.endswith("/deep"))
        value = effective.get(deep, "value").value
        entry = effective.section("app").child("list").entries[0]
        depth = 1
        while entry.element.entries:
            entry = entry.element.entries[0]
            depth += 1
    assert effective.unreadable is None
    assert deep.count("/") == MAX_DEPTH - 3
    assert value == "bottom"
    assert (depth, entry.element.value("depth")) == (MAX_DEPTH - 3, str(MAX_DEPTH - 4))


def test_a_schema_file_at_the_nesting_limit_is_read_without_recursion() -> None:
    levels = MAX_DEPTH - 3  # <configSchema><sectionSchema> then the elements
    elements = "".join(f'<element name="e{index}">' for index in range(levels)) + '<attribute name="a" defaultValue="deepest" />' + "</element>" * levels
    raw = f'<configSchema><sectionSchema name="system.webServer/deep">{elements}</sectionSchema></configSchema>'.encode()
    with little_stack(60):
        schema = load_schema([("deep_schema.xml", raw)]).section("system.webServer/deep")
        assert schema is not None
        for index in range(levels):
            schema = schema.children[f"e{index}"]
    assert schema.default("a") == "deepest"


# -- encodings and bytes ---------------------------------------------------------------

LONE_SURROGATE = "<configuration>\n<a>\n".encode("utf-16-le") + b"\x00\xd8" + "</a></configuration>".encode("utf-16-le")
"""UTF-16 with half of a surrogate pair (U+D800) on line 3."""


@pytest.mark.parametrize(
    ("raw", "line", "cause"),
    [
        pytest.param(b'<?xml version="1.0" encoding="rot13"?>\n<configuration/>', 1, "encoding 'rot13' in the XML declaration is not supported", id="rot13"),
        pytest.param(b'<?xml version="1.0" encoding="hex"?><configuration/>', 1, "encoding 'hex' in the XML declaration is not supported", id="hex"),
        pytest.param(b'<?xml version="1.0" encoding="zlib"?><configuration/>', 1, "encoding 'zlib' in the XML declaration is not supported", id="zlib"),
        pytest.param(b'<?xml version="1.0" encoding="utf-7"?><configuration/>', 1, "encoding 'utf-7' in the XML declaration is not supported", id="utf-7"),
        pytest.param(b'<?xml version="1.0" encoding="utf-32"?><configuration/>', 1, "encoding 'utf-32' in the XML declaration is not supported", id="utf-32"),
        pytest.param(b'<?xml version="1.0" encoding="cp037"?><configuration/>', 1, "encoding 'cp037' in the XML declaration is not supported", id="ebcdic"),
        pytest.param(b'<?xml version="1.0" encoding="no-such-thing"?><configuration/>', 1, "unknown encoding 'no-such-thing'", id="unknown"),
        pytest.param("<configuration>\n</configuration>".encode("utf-16-le"), 1, "looks like UTF-16 without a byte order mark", id="utf-16-le-bare"),
        pytest.param("<configuration>\n</configuration>".encode("utf-16-be"), 1, "looks like UTF-16 without a byte order mark", id="utf-16-be-bare"),
        pytest.param(codecs.BOM_UTF32_LE + "<configuration/>".encode("utf-32-le"), 1, "UTF-32", id="utf-32-bom"),
        pytest.param(codecs.BOM_UTF32_BE + "<configuration/>".encode("utf-32-be"), 1, "UTF-32", id="utf-32-be-bom"),
        pytest.param(b'<configuration>\n<appSettings>\n<add value="\xc3\x28" />\n</appSettings>\n</configuration>', 3, "not valid UTF-8", id="bad-utf-8"),
        pytest.param(b'<configuration>\n<a b="\x00" />\n</configuration>', 2, "a NUL character", id="nul"),
        pytest.param(codecs.BOM_UTF16_LE + LONE_SURROGATE, 3, "not valid utf-16-le", id="lone-surrogate"),
        pytest.param(b'<?xml version="1.0" encoding="windows-1252"?>\n<configuration a="\x81"/>', 2, "not valid cp1252", id="bad-cp1252"),
    ],
)
def test_bytes_that_are_not_a_supported_text_name_the_file_line_and_cause(raw: bytes, line: int, cause: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_document(WEB_CONFIG, raw)
    assert (caught.value.file, caught.value.line) == (WEB_CONFIG, line)
    assert cause in caught.value.cause


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read_when_it_starts_with_an_xml_declaration(codec: str) -> None:
    """XML 1.0 Appendix F: ``<?xml`` in UTF-16 identifies the byte order without a BOM."""
    raw = '<?xml version="1.0" encoding="utf-16"?>\r\n<configuration><appSettings><add key="k" value="é" /></appSettings></configuration>'.encode(codec)
    document = parse_document(WEB_CONFIG, raw)
    assert (document.encoding, document.bom) == (codec, b"")
    assert document.root.children[0].children[0].get("value") == "é"
    assert document.encode(document.text) == raw


def test_a_stateless_east_asian_code_page_is_read() -> None:
    raw = '<?xml version="1.0" encoding="shift_jis"?><configuration><appSettings><add key="k" value="設定" /></appSettings></configuration>'.encode("shift_jis")
    document = parse_document(WEB_CONFIG, raw)
    assert document.root.children[0].children[0].get("value") == "設定"
    assert document.encode(document.text) == raw


def _check_everything(raw: bytes) -> None:
    """Parse ``raw``, then read it as the site's web.config and as applicationHost.config, every
    section at the site's root; only ConfigError may come out."""
    with contextlib.suppress(ConfigError):
        parse_document(WEB_CONFIG, raw)
    configuration = host({WEB_CONFIG: raw})
    for path in ("/", "/app/folder"):
        effective = configuration.resolve(SITE, path)
        for section in effective.sections():
            with contextlib.suppress(ConfigError):
                effective.section(section)
    with contextlib.suppress(ConfigError):
        apphost = IisConfiguration.from_bytes(APPHOST_PATH, raw)
        for site in apphost.sites:
            effective = apphost.resolve(site.name, "/")
            for section in effective.sections():
                with contextlib.suppress(ConfigError):
                    effective.section(section)


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes_give_a_result_or_a_config_error(raw: bytes) -> None:
    _check_everything(raw)


MARKUP = (b"<configuration>", b"</configuration>", b"<system.webServer>", b"</system.webServer>", b"<a>", b"</a>", b'<add key="k"/>', b"<clear/>", b" x='1'")
MARKUP += (b"\xff", b"\x00", b"&lt;", b"&x;", b"<!--", b"-->", b">")


@FUZZ
@given(st.lists(st.sampled_from(MARKUP), max_size=40))
def test_random_fragments_of_markup_give_a_result_or_a_config_error(parts: list[bytes]) -> None:
    _check_everything(b"".join(parts))


MUTATION_PIECES = (
    b"<",
    b">",
    b"/>",
    b"</",
    b'"',
    b"'",
    b"&",
    b"&#0;",
    b"&#x110000;",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\r\n",
    b"<!DOCTYPE configuration>",
    b'<!ENTITY x "y">',
    b'<?xml version="1.0" encoding="rot13"?>',
    b'<?xml version="1.0" encoding="utf-16"?>',
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF32_LE,
    b"<![CDATA[x]]>",
    b"<!--",
    b"-->",
    b'<location path="..">',
    b'<location path="." overrideMode="Deny">',
    b"</location>",
    b"<clear/>",
    b'<remove name="x"/>',
    b'<add name="x" value="%SystemDrive%\\o" />',
    b'<add name="x" value="1" /><add name="x" value="2" />',
    b'<section name="x" />',
    b'configSource="..\\..\\x.config"',
    b' lockAttributes="*" lockElements="clear"',
    b"<x>" * 300 + b"</x>" * 300,
)


def _mutate(data: st.DataObject, raw: bytes) -> bytes:
    for _mutation in range(data.draw(st.integers(1, 6), label="mutations")):
        kind = data.draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "truncate", "flip"]), label="kind")
        start = data.draw(st.integers(0, len(raw)), label="start")
        end = data.draw(st.integers(start, min(len(raw), start + 64)), label="end")
        if kind == "insert":
            raw = raw[:start] + data.draw(st.sampled_from(MUTATION_PIECES) | st.binary(max_size=8), label="piece") + raw[start:]
        elif kind == "delete":
            raw = raw[:start] + raw[end:]
        elif kind == "replace":
            raw = raw[:start] + data.draw(st.sampled_from(MUTATION_PIECES), label="piece") + raw[end:]
        elif kind == "duplicate":
            raw = raw[:end] + raw[start:end] + raw[end:]
        elif kind == "truncate":
            raw = raw[:start]
        elif start < len(raw):
            raw = raw[:start] + bytes([raw[start] ^ (1 << data.draw(st.integers(0, 7), label="bit"))]) + raw[start + 1 :]
    return raw


def _corpus_samples() -> list[Path]:
    if not CORPUS or not Path(CORPUS).is_dir():
        return []
    web = sorted((Path(CORPUS) / "webconfig").glob("*.config"))
    return [path for path in web if path.stat().st_size < 24_000] + sorted((Path(CORPUS) / "applicationhost").glob("09_*.config"))


SAMPLES = _corpus_samples()


@pytest.mark.skipif(not SAMPLES, reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
@FUZZ
@given(st.data())
def test_random_mutations_of_real_files_give_a_result_or_a_config_error(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(SAMPLES), label="file")
    _check_everything(_mutate(data, path.read_bytes()))


# -- the host's environment ---------------------------------------------------------------


@pytest.mark.parametrize("drive", ["C:\\o", "C:\\", "\\g<0>", "C:\\1", "%SystemRoot%", "CC:", "C", "C:\x00"])
def test_a_system_drive_that_is_not_a_drive_is_refused_naming_the_variable(drive: str) -> None:
    with pytest.raises(ConfigError) as caught:
        host({}, environment={"SystemDrive": drive})
    assert caught.value.file == ENVIRONMENT_SOURCE
    assert f"environment variable SystemDrive={drive!r}: must be a drive letter and a colon" in caught.value.cause


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("SystemDrive", "D:", None),
        ("windir", "D:\\Windows", None),
        ("ProgramFiles(x86)", "C:\\Program Files (x86)", None),
        ("ProgramData", "E:", None),
        ("windir", "C:\\Windows\\..\\..\\etc", "'.' or '..' folder"),
        ("windir", "C:\\Windows\\.. ", "'.' or '..' folder"),
        ("windir", "\\\\server\\share", "absolute path on a drive"),
        ("windir", "C:/Windows", "absolute path on a drive"),
        ("windir", "C:\\Win\ndows", "absolute path on a drive"),
        ("windir", "C:\\%windir%", "absolute path on a drive"),
        ("windir", "Windows", "absolute path on a drive"),
        ("windir", 7, "must be text"),
    ],
)
def test_environment_values_are_drives_or_plain_local_paths(name: str, value: Any, problem: str | None) -> None:
    found = environment_problem(name, value)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found
        with pytest.raises(ConfigError, match=f"environment variable {name}="):
            checked_environment({name: value}, "state.yml")


@pytest.mark.parametrize("value", ["D:\\g<0>", "D:\\1", "D:\\o", "D:\\\\x"])
def test_expansion_inserts_a_value_literally_whatever_its_backslashes(value: str) -> None:
    assert expand("%SystemDrive%\\inetpub", {"SystemDrive": value}) == value + "\\inetpub"


def test_a_site_on_another_system_drive_reads_its_web_config_there() -> None:
    browse = b'<configuration><system.webServer><directoryBrowse enabled="true" /></system.webServer></configuration>'
    configuration = host({"D:\\inetpub\\wwwroot\\web.config": browse}, environment={"SystemDrive": "D:"})
    assert configuration.resolve(SITE, "/").get(BROWSE, "enabled").value == "true"


# -- size ---------------------------------------------------------------------------------


def _with_locations(locations: str) -> bytes:
    return APPHOST.replace("</configuration>", locations + "</configuration>").encode("utf-8")


def _browsing(path: str, enabled: str) -> str:
    """A <location> tag, on one line, that sets directory browsing."""
    return f'<location path="{path}"><system.webServer><directoryBrowse enabled="{enabled}" /></system.webServer></location>\n'


def test_20000_locations_resolve_and_the_last_tag_for_a_path_wins() -> None:
    count = 20_000
    tags = [_browsing(f"{SITE}/f{index}", str(index % 3 == 0).lower()) for index in range(count)]
    repeated = [_browsing(f"{SITE.upper()}/same", value) for value in ("true", "false", "true")]
    tags[count // 2 : count // 2] = repeated[:2]
    tags.append(repeated[2])
    configuration = IisConfiguration.from_bytes(APPHOST_PATH, _with_locations("".join(tags)))
    site = configuration.site(SITE)
    paths = configuration.named_paths(site)
    assert len(paths) == len(site.applications) + count + 1
    for index in range(count):
        value = configuration.resolve(SITE, f"/f{index}").get(BROWSE, "enabled")
        assert value.value == str(index % 3 == 0).lower()
        assert value.provenance is not None and value.provenance.location_path == f"{SITE}/f{index}"
    last = configuration.resolve(SITE, "/same").get(BROWSE, "enabled")
    assert last.value == "true"
    assert last.provenance is not None
    assert last.provenance.line == APPHOST.count("\n") + count + 2


def _engine_lines(function: Callable[[], object]) -> int:
    """How many lines of the engine's code ``function`` executes (a count of work, not a time)."""
    package = str(Path(effective_module.__file__).parent)
    counted = 0

    def count_line(_frame: FrameType, event: str, _arg: object) -> Any:
        nonlocal counted
        if event == "line":
            counted += 1
        return count_line

    def enter(frame: FrameType, _event: str, _arg: object) -> Any:
        return count_line if frame.f_code.co_filename.startswith(package) else None

    split_path.cache_clear()
    parse_element_path.cache_clear()
    previous = sys.gettrace()
    sys.settrace(enter)
    try:
        function()
    finally:
        sys.settrace(previous)
    return counted


def _resolve_every_location(count: int) -> Callable[[], object]:
    tags = "".join(_browsing(f"{SITE}/f{index}", "true") for index in range(count))
    raw = _with_locations(tags)

    def run() -> object:
        configuration = IisConfiguration.from_bytes(APPHOST_PATH, raw)
        site = configuration.site(SITE)
        return [configuration.resolve(SITE, path).get(BROWSE, "enabled").value for path in configuration.named_paths(site)]

    return run


def _merge_large_collections(count: int) -> Callable[[], object]:
    """``count`` file extensions server-wide, a tenth removed for the site; ``count`` default
    documents server-wide and as many for the site (mergeAppend=false: the site's come first)."""
    extensions = "".join(f'<add fileExtension=".x{index}" allowed="false" />' for index in range(count))
    documents = "".join(f'<add value="server{index}.htm" />' for index in range(count))
    removes = "".join(f'<remove fileExtension=".x{index}" />' for index in range(0, count, 10))
    site_documents = "".join(f'<add value="site{index}.htm" />' for index in range(count))
    raw = APPHOST.replace('<add fileExtension=".config" allowed="false" />', extensions).replace('<add value="default.htm" />', documents)
    raw = raw.replace(
        "</configuration>",
        f'<location path="{SITE}"><system.webServer><defaultDocument><files>{site_documents}</files></defaultDocument>'
        f"<security><requestFiltering><fileExtensions>{removes}</fileExtensions></requestFiltering></security></system.webServer></location></configuration>",
    )

    def run() -> object:
        effective = IisConfiguration.from_bytes(APPHOST_PATH, raw.encode("utf-8")).resolve(SITE, "/")
        extensions = effective.section(FILTERING).child("fileExtensions").entries
        files = effective.section("system.webServer/defaultDocument").child("files").entries
        assert len(extensions) == count - len(range(0, count, 10))
        assert [entry.key[0] for entry in files[:2]] == ["site0.htm", "site1.htm"]
        assert files[count].key[0] == "server0.htm"
        return len(files)

    return run


@pytest.mark.parametrize("workload", [_resolve_every_location, _merge_large_collections], ids=["locations", "collections"])
def test_twice_the_input_is_at_most_about_twice_the_work(workload: Callable[[int], Callable[[], object]]) -> None:
    """Work is counted in executed lines of the engine: a scan per <location> or per collection
    entry (what made 100,000 locations take 384 s) would make twice the input 3 to 4 times the work."""
    _engine_lines(workload(50))  # the built-in schema and other one-time work
    single = _engine_lines(workload(1_000))
    double = _engine_lines(workload(2_000))
    assert double <= 2.3 * single, (single, double)
