# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Safe XML parsing that keeps the byte position of every element and attribute.

The parser is the standard library's expat with every DTD feature refused: a
document that declares a DOCTYPE, an entity or a notation is rejected before any
expansion happens, so entity bombs and external entities cannot work. Sizes are
limited before parsing starts.

Each element records where its start tag, its attributes and its end tag lie in
the document's bytes. Edits are made by splicing those bytes (see ``editor``), so
every byte that is not edited stays exactly as it was.

The document is held as UTF-8 bytes. A file in another encoding (UTF-16 with a
BOM, or a declared single-byte encoding) is decoded and held as UTF-8; it is
encoded back to its own encoding, with its own BOM, when written.

Hostile files fail in bounded time and memory with a ConfigError naming the file
and, where known, the line: the encoding is found as XML 1.0 Appendix F says (byte
order marks, then the ``<?xml`` pattern, then the declaration) and only the
encodings in ``SUPPORTED_ENCODINGS`` are read; NUL characters are refused; elements
may nest ``MAX_DEPTH`` deep. Nothing here recurses over the element tree.
"""

from __future__ import annotations

import codecs
import re
import xml.parsers.expat
from collections.abc import Iterator
from dataclasses import dataclass, field

from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused

from .errors import ConfigError

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest file accepted. IIS itself refuses web.config files over 250 KB unless the
``MaxWebConfigFileSizeInKB`` registry value raises the limit; applicationHost.config
has no such limit but rarely passes a few MB."""

MAX_DEPTH = 256
"""Deepest nesting of elements accepted. IIS documents no limit; the deepest real file of
the corpus nests 10 deep (a machine.config), so 256 leaves a wide margin while bounding
the work of every walk over the tree."""

SUPPORTED_ENCODINGS = frozenset(
    {"utf-8", "ascii", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "koi8-r", "koi8-u"}
    | {f"iso8859-{number}" for number in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16)}
    | {"shift_jis", "cp932", "euc_jp", "gb2312", "gbk", "gb18030", "big5", "cp950", "euc_kr", "cp949"}
)
"""Encodings a file may declare without a byte order mark (Python codec names). IIS reads
UTF-8 and UTF-16; .NET configuration files may also be in a Windows, ISO-8859 or KOI8
code page or one of the stateless East Asian ones. These all write markup as ASCII.
Anything else (UTF-7, UTF-32, EBCDIC, ISO-2022, rot13, hex, zlib) is refused, so no codec
can make markup of bytes that IIS would not read as markup."""

_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_WHITESPACE = b" \t\r\n"
_START_TAG = re.compile(rb"""[^"'>]*(?:(?:"[^"]*"|'[^']*')[^"'>]*)*>""")
"""The rest of a start tag after its ``<``: quoted values may hold ``>``."""
_UTF16_LE_DECLARATION = "<?xml".encode("utf-16-le")
_UTF16_BE_DECLARATION = "<?xml".encode("utf-16-be")
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


@dataclass(slots=True)
class AttributeSpan:
    """Where one attribute lies in the document, and its decoded value."""

    name: str
    value: str
    start: int
    """Offset of the first byte of the attribute's name."""
    value_start: int
    """Offset of the first byte after the opening quote."""
    value_end: int
    """Offset of the closing quote."""
    quote: bytes


@dataclass(slots=True, eq=False)
class Element:
    """One element of the document with its byte span.

    Attributes are kept as two tuples, their names and their values: elements that name
    the same attributes in the same order share one tuple of names, and equal values are
    one string (``parse_document``), so a file of millions of attributes costs about one
    reference per attribute. Their byte spans are found again from the document text
    when an edit asks for them (``attributes``).

    Python's cyclic garbage collector stops tracking a tuple of strings once it has seen
    it and never tracks the empty tuple of a leaf's children, so a parsed file leaves it
    about one object per element to scan.
    """

    name: str
    start: int
    """Offset of the ``<`` of the start tag."""
    start_tag_end: int
    """Offset just after the ``>`` of the start tag."""
    line: int
    column: int
    names: tuple[str, ...] = ()
    """Attribute names, in document order."""
    values: tuple[str, ...] = ()
    """Attribute values, in the order of ``names``."""
    children: tuple[Element, ...] = ()
    end: int = -1
    """Offset just after the element's end (after ``/>`` or after ``</name>``)."""
    end_tag_start: int = -1
    """Offset of ``</`` of the end tag, or ``start_tag_end`` for an empty element."""
    text: bytes = field(default=b"", repr=False)
    """The document's text (shared by every element), where the spans lie."""

    @property
    def self_closing(self) -> bool:
        return self.end == self.start_tag_end

    @property
    def attributes(self) -> list[AttributeSpan]:
        """Every attribute with its byte span, in document order."""
        spans = _scan_start_tag(self.text, self.start)[1]
        return [AttributeSpan(name, value, *span) for name, value, span in zip(self.names, self.values, spans, strict=True)]

    @property
    def attrs(self) -> dict[str, str]:
        return dict(self.pairs())

    def pairs(self) -> Iterator[tuple[str, str]]:
        """(name, value) of every attribute, in document order."""
        return zip(self.names, self.values, strict=True)

    def get(self, name: str, default: str | None = None) -> str | None:
        if name not in self.names:
            return default
        return self.values[self.names.index(name)]

    def attribute(self, name: str) -> AttributeSpan | None:
        if name not in self.names:
            return None
        return self.attributes[self.names.index(name)]

    def find(self, name: str) -> Element | None:
        for child in self.children:
            if child.name == name:
                return child
        return None

    def iter(self) -> list[Element]:
        """This element and all its descendants, in document order."""
        out: list[Element] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(reversed(node.children))
        return out


@dataclass(slots=True)
class XmlDocument:
    """A parsed document: its original bytes, its text as UTF-8 and its element tree."""

    name: str
    raw: bytes
    text: bytes
    """The document as UTF-8 bytes, without BOM. Offsets of elements refer to this."""
    encoding: str
    """Python codec name of the file's own encoding."""
    bom: bytes
    root: Element

    @property
    def newline(self) -> bytes:
        return b"\r\n" if b"\r\n" in self.text else b"\n"

    def line_of(self, offset: int) -> int:
        return self.text.count(b"\n", 0, offset) + 1

    def encode(self, text: bytes) -> bytes:
        """Turn UTF-8 document text back into the file's own bytes."""
        if self.encoding == "utf-8":
            return self.bom + text
        return self.bom + text.decode("utf-8").encode(self.encoding)


def _detect_encoding(name: str, raw: bytes) -> tuple[str, bytes]:
    """Return the codec name and the BOM of a file, as XML 1.0 Appendix F finds them.

    A byte order mark decides (UTF-32 ones are refused: neither IIS nor .NET reads
    UTF-32 configuration); without one, an XML declaration written in UTF-16
    (``<?xml`` with a NUL byte after or before each letter) means UTF-16 of that byte
    order; otherwise the declaration's ``encoding``, else UTF-8.
    """
    if raw.startswith(_UTF32_BOMS):
        raise ConfigError(name, "the file is UTF-32 (by its byte order mark); IIS reads only UTF-8 and UTF-16", line=1)
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", codecs.BOM_UTF8
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", codecs.BOM_UTF16_LE
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", codecs.BOM_UTF16_BE
    if raw.startswith(_UTF16_LE_DECLARATION):
        return "utf-16-le", b""
    if raw.startswith(_UTF16_BE_DECLARATION):
        return "utf-16-be", b""
    match = _DECLARED_ENCODING.match(raw)
    if not match:
        return "utf-8", b""
    return _declared_codec(name, match.group(1).decode("ascii")), b""


def _declared_codec(name: str, declared: str) -> str:
    """The codec of an encoding named in the XML declaration of a file without BOM."""
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise ConfigError(name, f"unknown encoding {declared!r} in the XML declaration", line=1) from None
    if codec in ("utf-16", "utf-16-le", "utf-16-be"):
        raise ConfigError(name, f"the XML declaration says {declared!r} but the file has no UTF-16 byte order mark", line=1)
    if codec not in SUPPORTED_ENCODINGS:
        raise ConfigError(
            name,
            f"encoding {declared!r} in the XML declaration is not supported: IIS reads UTF-8 and UTF-16 with a byte order mark, "
            ".NET also single-byte Windows, ISO-8859 and KOI8 code pages and the stateless East Asian ones",
            line=1,
        )
    return codec


def _line_at(body: bytes, encoding: str, offset: int) -> int:
    """The line of a byte offset of the file's own bytes (after its BOM)."""
    return body[:offset].decode(encoding, errors="replace").count("\n") + 1


def _decode(name: str, raw: bytes, encoding: str, bom: bytes) -> bytes:
    body = raw[len(bom) :]
    if encoding == "utf-8":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = body.count(b"\n", 0, exc.start) + 1
            raise ConfigError(name, f"not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start + len(bom)})", line=line) from None
        text = body
    else:
        try:
            text = body.decode(encoding).encode("utf-8")
        except UnicodeDecodeError as exc:
            line = _line_at(body, encoding, exc.start)
            raise ConfigError(name, f"not valid {encoding} (offset {exc.start + len(bom)})", line=line) from None
    _refuse_nul(name, raw, text)
    return text


def _refuse_nul(name: str, raw: bytes, text: bytes) -> None:
    """XML allows no NUL character. One in the first two bytes of the file is UTF-16 without
    byte order mark or declaration, which the message says."""
    position = text.find(b"\x00")
    if position < 0:
        return
    if b"\x00" in raw[:2]:
        raise ConfigError(
            name,
            "the file looks like UTF-16 without a byte order mark or an XML declaration; save it as UTF-8, or as UTF-16 with a byte order mark",
            line=1,
        )
    raise ConfigError(name, f"a NUL character at offset {position} of the text; XML does not allow it", line=text.count(b"\n", 0, position) + 1)


def _scan_start_tag(text: bytes, start: int) -> tuple[int, list[tuple[int, int, int, bytes]]]:
    """Find the attribute spans and the end of the start tag beginning at ``start``.

    expat has already checked that the tag is well formed, so a simple scanner is
    exact here. Returns the offset after ``>`` and, per attribute, its name start,
    value start, value end and quote character.
    """
    pos = start + 1
    length = len(text)
    while pos < length and text[pos] not in b" \t\r\n/>":
        pos += 1
    spans: list[tuple[int, int, int, bytes]] = []
    while pos < length:
        char = text[pos]
        if char in _WHITESPACE:
            pos += 1
            continue
        if char == 0x3E:  # '>'
            return pos + 1, spans
        if char == 0x2F:  # '/' of '/>'
            return pos + 2, spans
        name_start = pos
        equals = text.index(b"=", pos)
        pos = equals + 1
        while text[pos] in _WHITESPACE:
            pos += 1
        quote = text[pos : pos + 1]
        value_start = pos + 1
        value_end = text.index(quote, value_start)
        spans.append((name_start, value_start, value_end, quote))
        pos = value_end + 1
    raise ValueError("unterminated start tag")


class _Forbidden(Exception):
    pass


def _refuse_doctype(*arguments: object) -> None:
    raise _Forbidden("a DOCTYPE declaration")


def _refuse_entity(*arguments: object) -> None:
    raise _Forbidden("an entity declaration")


def _refuse_notation(*arguments: object) -> None:
    raise _Forbidden("a notation declaration")


def _refuse_external_entity(*arguments: object) -> int:
    raise _Forbidden("an external entity reference")


class _TooDeep(Exception):
    pass


def _start_tag_end(text: bytes, start: int) -> int:
    """The offset after the ``>`` of the start tag at ``start`` (expat has checked the tag)."""
    match = _START_TAG.match(text, start + 1)
    if match is None:
        raise ValueError(f"no start tag at offset {start}")
    return match.end()


_ATTRIBUTE_NAME = re.compile(rb"([^\s=/>]+)\s*=")


def _duplicate_attribute(text: bytes, line: int, column: int) -> str:
    """Expat's "duplicate attribute" with the attribute's name and the line of its first occurrence in the tag
    (XML forbids an attribute twice on one element; expat points at the second)."""
    lines = text.split(b"\n")
    if not 0 < line <= len(lines):
        return "duplicate attribute"
    position = sum(len(part) + 1 for part in lines[: line - 1]) + len(lines[line - 1].decode("utf-8", "replace")[:column].encode("utf-8"))
    second = _ATTRIBUTE_NAME.match(text, position)
    if second is None:
        return "duplicate attribute"
    name = second.group(1)
    tag_start = text.rfind(b"<", 0, position)
    first = re.search(rb"\s" + re.escape(name) + rb"\s*=", text[tag_start:position])
    shown = name.decode("utf-8", "replace")
    if first is None:
        return f"duplicate attribute {shown!r}"
    first_line = text.count(b"\n", 0, tag_start + first.start() + 1) + 1
    return f"duplicate attribute {shown!r} (first at line {first_line})"


def parse_document(name: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = MAX_DEPTH) -> XmlDocument:
    """Parse ``raw`` (the bytes of file ``name``) safely, keeping byte spans.

    Raises ConfigError naming the file, line and cause for anything that is not a
    well-formed XML document with a root element, for DTDs and entity declarations,
    for unsupported encodings, for elements nested deeper than ``max_depth`` and for
    files over ``max_bytes``.
    """
    if len(raw) > max_bytes:
        raise ConfigError(name, f"file is {len(raw)} bytes, over the limit of {max_bytes} bytes")
    if not raw.strip(b" \t\r\n\x00"):
        raise ConfigError(name, "file is empty: no root element")
    encoding, bom = _detect_encoding(name, raw)
    text = _decode(name, raw, encoding, bom)

    parser = xml.parsers.expat.ParserCreate(encoding="UTF-8")
    parser.ordered_attributes = True
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[Element] = []
    children: list[list[Element]] = [[]]  # the children found so far of each open element; the root first
    shared_names: dict[tuple[str, ...], tuple[str, ...]] = {}
    shared_values: dict[str, str] = {}

    def start_element(tag: str, attributes: list[str]) -> None:
        if len(stack) >= max_depth:
            raise _TooDeep(tag)
        start = parser.CurrentByteIndex
        names: tuple[str, ...] = ()
        values: tuple[str, ...] = ()
        if attributes:
            names = tuple(attributes[0::2])
            names = shared_names.setdefault(names, names)
            values = tuple([shared_values.setdefault(value, value) for value in attributes[1::2]])
        element = Element(tag, start, _start_tag_end(text, start), parser.CurrentLineNumber, parser.CurrentColumnNumber + 1, names, values, text=text)
        children[-1].append(element)
        stack.append(element)
        children.append([])

    def end_element(tag: str) -> None:
        element = stack.pop()
        found = children.pop()
        if found:
            element.children = tuple(found)
        if text[element.start_tag_end - 2 : element.start_tag_end] == b"/>":
            element.end = element.start_tag_end
            element.end_tag_start = element.start_tag_end
        else:
            element.end_tag_start = parser.CurrentByteIndex
            element.end = text.index(b">", element.end_tag_start) + 1

    parser.StartElementHandler = start_element
    parser.EndElementHandler = end_element
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.NotationDeclHandler = _refuse_notation
    parser.ExternalEntityRefHandler = _refuse_external_entity
    try:
        with gc_paused():
            parser.Parse(text, True)
    except _Forbidden as exc:
        raise ConfigError(
            name,
            f"{exc} is not allowed in IIS configuration (DTDs and entities are refused for safety)",
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber + 1,
        ) from None
    except _TooDeep as exc:
        raise ConfigError(
            name,
            f"<{exc}> is nested {max_depth + 1} elements deep, over the limit of {max_depth} (no IIS or .NET configuration nests so deep)",
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber + 1,
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.errors.messages[exc.code]
        if exc.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS]:
            message = "no root element (the file is empty, truncated or entirely commented out)"
        elif exc.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_UNCLOSED_TOKEN]:
            message = "unclosed token: the file is truncated or a tag is not closed"
        elif exc.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_DUPLICATE_ATTRIBUTE]:
            message = _duplicate_attribute(text, exc.lineno, exc.offset)
        raise ConfigError(name, f"not well-formed XML: {message}", line=exc.lineno, column=exc.offset + 1) from None
    return XmlDocument(name=name, raw=raw, text=text, encoding=encoding, bom=bom, root=children[0][0])
