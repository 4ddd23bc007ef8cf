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
"""

from __future__ import annotations

import codecs
import gc
import re
import xml.parsers.expat
from dataclasses import dataclass, field

from .errors import ConfigError

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest file accepted. IIS itself refuses web.config files over 250 KB unless the
``MaxWebConfigFileSizeInKB`` registry value raises the limit; applicationHost.config
has no such limit but rarely passes a few MB."""

_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_WHITESPACE = b" \t\r\n"


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
    """One element of the document with its byte span."""

    name: str
    start: int
    """Offset of the ``<`` of the start tag."""
    start_tag_end: int
    """Offset just after the ``>`` of the start tag."""
    line: int
    column: int
    attributes: list[AttributeSpan] = field(default_factory=list)
    children: list[Element] = field(default_factory=list)
    end: int = -1
    """Offset just after the element's end (after ``/>`` or after ``</name>``)."""
    end_tag_start: int = -1
    """Offset of ``</`` of the end tag, or ``start_tag_end`` for an empty element."""

    @property
    def self_closing(self) -> bool:
        return self.end == self.start_tag_end

    @property
    def attrs(self) -> dict[str, str]:
        return {a.name: a.value for a in self.attributes}

    def get(self, name: str, default: str | None = None) -> str | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute.value
        return default

    def attribute(self, name: str) -> AttributeSpan | None:
        for attribute in self.attributes:
            if attribute.name == name:
                return attribute
        return None

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
    """Return the codec name and the BOM of a file."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8", codecs.BOM_UTF8
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", codecs.BOM_UTF16_LE
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", codecs.BOM_UTF16_BE
    if raw.startswith(b"<\x00?\x00"):
        return "utf-16-le", b""
    if raw.startswith(b"\x00<\x00?"):
        return "utf-16-be", b""
    match = _DECLARED_ENCODING.match(raw)
    if not match:
        return "utf-8", b""
    declared = match.group(1).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise ConfigError(name, f"unknown encoding {declared!r} in the XML declaration", line=1) from None
    if codec in ("utf-16", "utf-16-le", "utf-16-be"):
        raise ConfigError(name, f"the XML declaration says {declared!r} but the file has no UTF-16 byte order mark", line=1)
    return codec, b""


def _decode(name: str, raw: bytes, encoding: str, bom: bytes) -> bytes:
    body = raw[len(bom) :]
    if encoding == "utf-8":
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = body.count(b"\n", 0, exc.start) + 1
            raise ConfigError(name, f"not valid UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start + len(bom)})", line=line) from None
        return body
    try:
        return body.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(name, f"not valid {encoding} (offset {exc.start + len(bom)})") from None


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


def parse_document(name: str, raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> XmlDocument:
    """Parse ``raw`` (the bytes of file ``name``) safely, keeping byte spans.

    Raises ConfigError naming the file, line and cause for anything that is not a
    well-formed XML document with a root element, for DTDs and entity declarations,
    and for files over ``max_bytes``.
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
    roots: list[Element] = []

    def start_element(tag: str, attributes: list[str]) -> None:
        start = parser.CurrentByteIndex
        tag_end, spans = _scan_start_tag(text, start)
        element = Element(
            name=tag,
            start=start,
            start_tag_end=tag_end,
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber + 1,
        )
        for index, (name_start, value_start, value_end, quote) in enumerate(spans):
            element.attributes.append(AttributeSpan(attributes[2 * index], attributes[2 * index + 1], name_start, value_start, value_end, quote))
        if stack:
            stack[-1].children.append(element)
        else:
            roots.append(element)
        stack.append(element)

    def end_element(tag: str) -> None:
        element = stack.pop()
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
    # Parsing allocates one object per element and attribute and frees none: cyclic
    # garbage collection would only rescan them, so it waits until the tree is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        parser.Parse(text, True)
    except _Forbidden as exc:
        raise ConfigError(
            name,
            f"{exc} is not allowed in IIS configuration (DTDs and entities are refused for safety)",
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber + 1,
        ) from None
    except xml.parsers.expat.ExpatError as exc:
        message = xml.parsers.expat.errors.messages[exc.code]
        if exc.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_NO_ELEMENTS]:
            message = "no root element (the file is empty, truncated or entirely commented out)"
        elif exc.code == xml.parsers.expat.errors.codes[xml.parsers.expat.errors.XML_ERROR_UNCLOSED_TOKEN]:
            message = "unclosed token: the file is truncated or a tag is not closed"
        raise ConfigError(name, f"not well-formed XML: {message}", line=exc.lineno, column=exc.offset + 1) from None
    finally:
        if collecting:
            gc.enable()
    return XmlDocument(name=name, raw=raw, text=text, encoding=encoding, bom=bom, root=roots[0])
