# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Edit a configuration file without damaging it.

Every edit is a splice of the document's bytes: the attribute value, the attribute,
or the element concerned is replaced, and every other byte (BOM, XML declaration,
comments, blank lines, line endings, attribute order and quoting, encrypted
values) stays as it was. New elements follow the file's own indentation, line
endings and empty-tag style. An edit that the file already holds changes nothing
and says so.

Targets are named the way IIS names them: a section path
(``system.webServer/security/requestFiltering``), an element path below it
(``requestLimits/headerLimits``; collection items by key:
``site[@name='Default Web Site']/logFile``) and an optional ``<location>`` path.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .configfile import Step, is_meta_attribute, parse_element_path, path_key, split_path
from .errors import ConfigError, EditError, InvalidValueError
from .schema import AttributeSchema, CollectionSchema, ElementSchema, Schema, builtin_schema
from .xmldoc import Element, XmlDocument, parse_document


def escape_attribute(value: str, quote: bytes = b'"') -> bytes:
    text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\t", "&#x9;").replace("\n", "&#xA;").replace("\r", "&#xD;")
    text = text.replace('"', "&quot;") if quote == b'"' else text.replace("'", "&apos;")
    return text.encode("utf-8")


@dataclass(frozen=True)
class EditResult:
    """The outcome of one edit: the new document and what changed."""

    changed: bool
    message: str
    before: XmlDocument
    after: XmlDocument
    span: tuple[int, int] | None = None
    """The byte range of ``before.text`` that was replaced (None when unchanged)."""

    @property
    def content(self) -> bytes:
        """The new file, in the file's own encoding and with its own BOM."""
        return self.after.encode(self.after.text)

    def diff(self) -> str:
        return unified_diff(self.before, self.after)


_RANGES = {"uint": (0, 2**32 - 1), "int": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1), "uint64": (0, 2**64 - 1)}
_TIME_SPAN = re.compile(r"^-?(\d+\.)?\d{1,2}:\d{2}:\d{2}(\.\d{1,7})?$")


def value_problem(kind: str, value: str) -> str | None:
    """What is wrong with ``value`` for an attribute of schema type ``kind`` (None: IIS takes it).

    Numbers, booleans and time spans are checked as IIS parses them; enums and flags are left alone
    (the schema's enum values are not part of the built-in schema).
    """
    text = value.strip()
    if kind in _RANGES:
        low, high = _RANGES[kind]
        if not re.fullmatch(r"[+-]?\d+", text) or not low <= int(text) <= high:
            return f"a {kind} ({low} to {high})"
    elif kind == "bool" and text.casefold() not in ("true", "false"):
        return "a bool (true or false)"
    elif kind == "timeSpan" and not (_TIME_SPAN.match(text) or text.isdigit() or text.casefold() == "infinite"):
        # a schema's timeSpanFormat may be seconds or minutes (ASP.NET's sessionState timeout="20"), or Infinite
        return "a timeSpan ([d.]hh:mm:ss, or a whole number of minutes or seconds)"
    return None


def unified_diff(before: XmlDocument, after: XmlDocument, context: int = 3) -> str:
    """A unified diff of two versions of a file, as Ansible's --diff shows it."""
    old = before.text.decode("utf-8").splitlines(keepends=True)
    new = after.text.decode("utf-8").splitlines(keepends=True)
    return "".join(difflib.unified_diff(old, new, f"a/{before.name}", f"b/{after.name}", n=context))


@dataclass
class _Style:
    newline: bytes
    unit: bytes
    empty_tag_space: bool


def _line_start(text: bytes, offset: int) -> int:
    return text.rfind(b"\n", 0, offset) + 1


def _indent(text: bytes, element: Element) -> bytes | None:
    """The whitespace before an element on its line, or None when other text precedes it."""
    start = _line_start(text, element.start)
    prefix = text[start : element.start]
    return prefix if not prefix.strip(b" \t") else None


def _detect_style(document: XmlDocument) -> _Style:
    text = document.text
    units: Counter[bytes] = Counter()
    empty_space = 0
    empty_tight = 0
    for element in document.root.iter():
        if element.self_closing:
            if text[element.start_tag_end - 3 : element.start_tag_end - 2] in (b" ", b"\t"):
                empty_space += 1
            else:
                empty_tight += 1
        parent_indent = _indent(text, element)
        if parent_indent is None or not element.children:
            continue
        child_indent = _indent(text, element.children[0])
        if child_indent is not None and len(child_indent) > len(parent_indent) and child_indent.startswith(parent_indent):
            units[child_indent[len(parent_indent) :]] += 1
    unit = units.most_common(1)[0][0] if units else b"    "
    return _Style(newline=document.newline, unit=unit, empty_tag_space=empty_space >= empty_tight)


class ConfigEditor:
    """Edits one configuration file; each edit returns an EditResult and updates ``document``."""

    def __init__(self, document: XmlDocument | bytes, name: str = "", schema: Schema | None = None) -> None:
        if isinstance(document, bytes):
            document = parse_document(name or "config", document)
        self.document = document
        self.schema = schema or builtin_schema()
        self.results: list[EditResult] = []

    # -- public operations -------------------------------------------------------------
    def set_attribute(self, section: str, attribute: str, value: str, *, element: str = "", location: str | None = None) -> EditResult:
        """Set ``attribute`` of the section (or of ``element`` below it) to ``value``.

        A value the attribute's schema type does not take (``maxUrl="four thousand"``) is an InvalidValueError:
        IIS checks every value when it loads the file and would answer HTTP 500.19.
        """
        self._check_attribute_name(attribute)
        self._check_value(section, element, attribute, value)
        node, missing = self.locate(section, element, location)
        if missing:
            return self._create(node, missing, {attribute: value}, f"set {attribute}={value!r} in a new {_describe(missing[0])}")
        return self._set_on(node, attribute, value)

    def _check_value(self, section: str, element: str, attribute: str, value: str) -> None:
        declared = self._attribute_schema(section, element, attribute)
        if declared is None:
            return
        problem = value_problem(declared.type, value)
        if problem is not None:
            target = f"{section}/{element}" if element else section
            raise InvalidValueError(self.document.name, f"{target}@{attribute}: {value!r} is not {problem}; IIS would refuse the file (HTTP 500.19)")

    def _attribute_schema(self, section: str, element: str, attribute: str) -> AttributeSchema | None:
        """The schema of an attribute below a section, through collection entries (``site[@name='x']/hsts``)."""
        node = self.schema.section(section)
        for step in parse_element_path(element) if element else ():
            if node is None:
                return None
            collection = node.collection
            node = collection.item if collection is not None and step.name in collection.add_names else node.children.get(step.name)
        return node.attributes.get(attribute) if node is not None else None

    def _set_on(self, node: Element, attribute: str, value: str) -> EditResult:
        current = node.attribute(attribute)
        if current is not None:
            if current.value == value:
                return self._unchanged(f"{attribute} is already {value!r} in <{node.name}> at line {node.line}")
            return self._splice(
                current.value_start,
                current.value_end,
                escape_attribute(value, current.quote),
                f"set {attribute}={value!r} (was {current.value!r}) in <{node.name}> at line {node.line}",
            )
        position = node.attributes[-1].value_end + 1 if node.attributes else node.start + 1 + len(node.name.encode("utf-8"))
        return self._splice(
            position,
            position,
            b" " + attribute.encode("utf-8") + b'="' + escape_attribute(value) + b'"',
            f"added {attribute}={value!r} to <{node.name}> at line {node.line}",
        )

    def remove_attribute(self, section: str, attribute: str, *, element: str = "", location: str | None = None) -> EditResult:
        """Remove ``attribute`` so that the inherited or default value applies."""
        node, missing = self.locate(section, element, location)
        current = None if missing else node.attribute(attribute)
        if current is None:
            return self._unchanged(f"{attribute} is not set in {section}{'/' + element if element else ''}")
        start = current.start
        text = self.document.text
        while start > 0 and text[start - 1] in b" \t\r\n":
            start -= 1
        return self._splice(start, current.value_end + 1, b"", f"removed {attribute} (was {current.value!r}) from <{node.name}> at line {node.line}")

    def add_entry(self, section: str, attributes: dict[str, str], *, element: str = "", location: str | None = None) -> EditResult:
        """Add a collection entry, or update the entry with the same key in this file."""
        collection = self._collection(section, element)
        directive = collection.add_names[0]
        for name in attributes:
            self._check_attribute_name(name)
        # Key attributes first, as IIS writes them; the rest in the order given.
        keys = [k for k in collection.key_attributes if k in attributes]
        attributes = {**{k: attributes[k] for k in keys}, **{k: v for k, v in attributes.items() if k not in keys}}
        key = self._key_of(collection, attributes)
        node, missing = self.locate(section, element, location)
        if missing:
            return self._create(node, [*missing, Step(directive)], attributes, f"added <{directive}> {_format(attributes)} in a new {_describe(missing[0])}")
        existing = self._entry(node, collection, key)
        if existing is None:
            return self._append_child(node, directive, attributes, f"added <{directive}> {_format(attributes)} to <{node.name}> at line {node.line}")
        changed = {k: v for k, v in attributes.items() if existing.get(k) != v}
        if not changed:
            return self._unchanged(f"<{directive}> {_format(attributes)} is already in <{node.name}> at line {existing.line}")
        results = []
        with self._atomic():
            for name, value in changed.items():
                node = self.locate(section, element, location)[0]
                entry = self._entry(node, collection, key)
                if entry is None:
                    raise EditError(self.document.name, f"the entry {_format(attributes)} vanished while it was being updated")
                results.append(self._set_on(entry, name, value))
        return EditResult(True, "; ".join(r.message for r in results), results[0].before, results[-1].after, _union(results))

    def remove_entry(self, section: str, key: dict[str, str], *, element: str = "", location: str | None = None, inherited: bool = False) -> EditResult:
        """Remove a collection entry: delete its <add> here and, when it is inherited
        from a higher level, write a <remove> for it."""
        collection = self._collection(section, element)
        if inherited and collection.remove_name is None:
            raise EditError(
                self.document.name,
                f"{section}{'/' + element if element else ''} has no remove directive; the inherited entry {_format(key)} can only be removed by <clear/>",
            )
        with self._atomic():
            return self._remove_entry(section, key, collection, element, location, inherited)

    def _remove_entry(self, section: str, key: dict[str, str], collection: CollectionSchema, element: str, location: str | None, inherited: bool) -> EditResult:
        node, missing = self.locate(section, element, location)
        key_values = self._key_of(collection, key)
        if not missing:
            existing = self._entry(node, collection, key_values)
            if existing is not None:
                result = self._delete(existing, f"removed <{existing.name}> {_format(existing.attrs)} at line {existing.line}")
                if not inherited:
                    return result
                node, missing = self.locate(section, element, location)
        if not inherited:
            return self._unchanged(f"no entry {_format(key)} in {section}{'/' + element if element else ''} here")
        if collection.remove_name is None:
            raise EditError(
                self.document.name,
                f"{section}{'/' + element if element else ''} has no remove directive; the inherited entry {_format(key)} can only be removed by <clear/>",
            )
        remove_attributes = {k: key[k] for k in collection.key_attributes if k in key} or dict(key)
        if missing:
            return self._create(
                node,
                [*missing, Step(collection.remove_name)],
                remove_attributes,
                f"added <{collection.remove_name}> {_format(remove_attributes)} in a new {_describe(missing[0])}",
            )
        for child in node.children:
            if child.name == collection.remove_name and self._key_of(collection, child.attrs) == key_values:
                return self._unchanged(f"<{collection.remove_name}> {_format(key)} is already in <{node.name}> at line {child.line}")
        return self._append_child(
            node,
            collection.remove_name,
            remove_attributes,
            f"added <{collection.remove_name}> {_format(remove_attributes)} to <{node.name}> at line {node.line}",
        )

    def content(self) -> bytes:
        return self.document.encode(self.document.text)

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """Undo every splice of a multi-step edit when one step fails."""
        document, count = self.document, len(self.results)
        try:
            yield
        except Exception:
            self.document = document
            del self.results[count:]
            raise

    # -- finding -----------------------------------------------------------------------
    def _check_attribute_name(self, name: str) -> None:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.:-]*", name):
            raise EditError(self.document.name, f"invalid attribute name {name!r}")

    def _collection(self, section: str, element: str) -> CollectionSchema:
        schema: ElementSchema | None = self.schema.section(section)
        for step in parse_element_path(element):
            if schema is None:
                break
            if step.keys and schema.collection is not None and step.name in schema.collection.add_names:
                schema = schema.collection.item
            else:
                schema = schema.children.get(step.name)
        if schema is None or schema.collection is None:
            raise EditError(self.document.name, f"{section}{'/' + element if element else ''} is not a collection the schema knows")
        return schema.collection

    def _key_of(self, collection: CollectionSchema, attributes: dict[str, str]) -> tuple[str, ...]:
        names = collection.key_attributes or tuple(sorted(attributes))
        values = []
        for name in names:
            value = attributes.get(name)
            if value is None and collection.item is not None:
                value = collection.item.default(name)
            if value is None:
                raise EditError(self.document.name, f"the entry {_format(attributes)} lacks the key attribute {name!r}")
            values.append(value if collection.case_sensitive(name) else value.casefold())
        return tuple(values)

    def _entry(self, node: Element, collection: CollectionSchema, key: tuple[str, ...]) -> Element | None:
        for child in node.children:
            if child.name in collection.add_names:
                try:
                    if self._key_of(collection, child.attrs) == key:
                        return child
                except EditError:
                    continue
        return None

    def _container(self, location: str | None, section: str) -> tuple[Element, list[Step]]:
        """The element that holds (or will hold) the section at a location path.

        The global level is the root and every ``<location path="">``; IIS merges the
        holders of one level in document order, so the last one holding the section
        is the one whose values take effect, and the one to edit. A new section at a
        location goes into a ``<location>`` of that path that carries no lock, or a
        new one.
        """
        root = self.document.root
        wanted = path_key(split_path(location or ""))
        candidates = [root] if not wanted else []
        candidates += [c for c in root.children if c.name == "location" and path_key(split_path(c.get("path", "") or "")) == wanted]
        groups = [Step(g) for g in section.split("/")]
        holding = [c for c in candidates if _descend(c, groups) is not None]
        if holding:
            return holding[-1], []
        if not wanted:
            return root, []
        for candidate in candidates:
            if not any(candidate.get(a) is not None for a in ("overrideMode", "allowOverride", "inheritInChildApplications")):
                return candidate, []
        return root, [Step("location", (("path", location or ""),))]

    def locate(self, section: str, element: str, location: str | None) -> tuple[Element, list[Step]]:
        """The deepest existing element on the way to the target, and the steps still missing."""
        container, missing = self._container(location, section)
        steps = [Step(part) for part in section.split("/")] + list(parse_element_path(element))
        if missing:
            return container, missing + steps
        node = container
        for index, step in enumerate(steps):
            child = _child(node, step)
            if child is None:
                return node, steps[index:]
            node = child
        return node, []

    # -- writing -----------------------------------------------------------------------
    def _unchanged(self, message: str) -> EditResult:
        result = EditResult(False, message, self.document, self.document, None)
        self.results.append(result)
        return result

    def _splice(self, start: int, end: int, replacement: bytes, message: str) -> EditResult:
        before = self.document
        text = before.text[:start] + replacement + before.text[end:]
        try:
            after = parse_document(before.name, before.encode(text))
        except ConfigError as exc:
            raise EditError(before.name, f"the edit would make the file invalid ({exc.cause}); nothing was changed") from None
        result = EditResult(True, message, before, after, (start, end))
        self.document = after
        self.results.append(result)
        return result

    def _render(self, steps: list[Step], attributes: dict[str, str], indent: bytes, style: _Style) -> bytes:
        """The XML for a chain of new elements, the last carrying ``attributes``."""
        lines: list[bytes] = []
        closing: list[bytes] = []
        for depth, step in enumerate(steps):
            pad = indent + style.unit * depth
            attrs = dict(step.keys)
            if depth == len(steps) - 1:
                attrs.update(attributes)
            open_tag = b"<" + step.name.encode("utf-8") + b"".join(b" " + k.encode("utf-8") + b'="' + escape_attribute(v) + b'"' for k, v in attrs.items())
            if depth == len(steps) - 1:
                lines.append(pad + open_tag + (b" />" if style.empty_tag_space else b"/>"))
            else:
                lines.append(pad + open_tag + b">")
                closing.append(pad + b"</" + step.name.encode("utf-8") + b">")
        return style.newline.join(lines + list(reversed(closing)))

    def _child_indent(self, parent: Element, style: _Style) -> bytes:
        text = self.document.text
        if parent.children:
            indent = _indent(text, parent.children[-1])
            if indent is not None:
                return indent
        return (_indent(text, parent) or b"") + style.unit

    def _create(self, parent: Element, steps: list[Step], attributes: dict[str, str], message: str) -> EditResult:
        style = _detect_style(self.document)
        block = self._render(steps, attributes, self._child_indent(parent, style), style)
        return self._insert(parent, block, style, message)

    def _append_child(self, parent: Element, name: str, attributes: dict[str, str], message: str) -> EditResult:
        return self._create(parent, [Step(name)], attributes, message)

    def _insert(self, parent: Element, block: bytes, style: _Style, message: str) -> EditResult:
        text = self.document.text
        parent_indent = _indent(text, parent) or b""
        if parent.self_closing:
            close = parent.start_tag_end - 2
            while text[close - 1] in b" \t\r\n":
                close -= 1
            replacement = b">" + style.newline + block + style.newline + parent_indent + b"</" + parent.name.encode("utf-8") + b">"
            return self._splice(close, parent.start_tag_end, replacement, message)
        line_start = _line_start(text, parent.end_tag_start)
        if not text[line_start : parent.end_tag_start].strip(b" \t") and line_start > parent.start_tag_end:
            return self._splice(line_start, line_start, block.lstrip(b"\r\n") + style.newline, message)
        return self._splice(parent.end_tag_start, parent.end_tag_start, style.newline + block + style.newline + parent_indent, message)

    def _delete(self, element: Element, message: str) -> EditResult:
        text = self.document.text
        start, end = element.start, element.end
        line_start = _line_start(text, start)
        line_end = text.find(b"\n", end)
        line_end = len(text) if line_end < 0 else line_end + 1
        if not text[line_start:start].strip(b" \t") and not text[end:line_end].strip(b" \t\r\n"):
            start, end = line_start, line_end
        return self._splice(start, end, b"", message)


def _child(node: Element, step: Step) -> Element | None:
    for child in node.children:
        if child.name != step.name:
            continue
        if all((child.get(k) or "").casefold() == v.casefold() for k, v in step.keys):
            return child
    return None


def _descend(node: Element, steps: list[Step]) -> Element | None:
    current: Element | None = node
    for step in steps:
        if current is None:
            return None
        current = _child(current, step)
    return current


def _union(results: list[EditResult]) -> tuple[int, int] | None:
    """The byte range of the first document that a series of splices touched."""
    spans = [r.span for r in results if r.span is not None]
    if not spans:
        return None
    start = min(s[0] for s in spans)
    end = max(s[1] for s in spans)
    return (start, end)


def _describe(step: Step) -> str:
    keys = "".join(f' {k}="{v}"' for k, v in step.keys)
    return f"<{step.name}{keys}>"


def _format(attributes: dict[str, str]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attributes.items() if not is_meta_attribute(k))
