# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The IIS configuration schema: elements, attributes with defaults, and collections.

The schema is read from IIS's own schema format (``inetsrv/config/schema/*.xml``):
``<sectionSchema>``, ``<element>``, ``<attribute defaultValue isUniqueKey
isCombinedKey caseSensitive>`` and ``<collection addElement removeElement
clearElement mergeAppend allowDuplicates>``. A host's own schema files are used when
a snapshot or gather provides them; the built-in schema (``builtin_schema``), written
in the same format, covers every collection key and every default that the engine
and the rules need when they do not.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from .errors import ConfigError
from .xmldoc import Element, parse_document


@dataclass(slots=True)
class AttributeSchema:
    name: str
    type: str = "string"
    default: str | None = None
    unique_key: bool = False
    combined_key: bool = False
    case_sensitive: bool = False


@dataclass(slots=True)
class CollectionSchema:
    add_names: tuple[str, ...]
    remove_name: str | None
    clear_name: str | None
    merge_append: bool = True
    allow_duplicates: bool = False
    item: ElementSchema | None = None
    default_element: str | None = None
    """The sibling element holding defaults for every item (``siteDefaults``, ``applicationPoolDefaults``)."""
    _keys: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def key_attributes(self) -> tuple[str, ...]:
        """The attributes that identify an entry: all combined keys, else the first unique key."""
        if self._keys is None:
            attributes = list(self.item.attributes.values()) if self.item is not None else []
            combined = tuple(a.name for a in attributes if a.combined_key)
            self._keys = combined or tuple(a.name for a in attributes if a.unique_key)[:1]
        return self._keys

    def case_sensitive(self, attribute: str) -> bool:
        if self.item is None or attribute not in self.item.attributes:
            return False
        return self.item.attributes[attribute].case_sensitive

    def is_directive(self, name: str) -> bool:
        return name in self.add_names or name == self.remove_name or name == self.clear_name


@dataclass(slots=True)
class ElementSchema:
    name: str
    attributes: dict[str, AttributeSchema] = field(default_factory=dict)
    children: dict[str, ElementSchema] = field(default_factory=dict)
    collection: CollectionSchema | None = None
    source: str = ""
    """Where this definition came from, e.g. 'IIS_schema.xml' or 'built-in schema'."""

    def default(self, attribute: str) -> str | None:
        found = self.attributes.get(attribute)
        return found.default if found else None


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() == "true"


def _read_attributes(node: Element, target: ElementSchema) -> None:
    for child in node.children:
        if child.name != "attribute":
            continue
        name = child.get("name")
        if not name:
            continue
        target.attributes[name] = AttributeSchema(
            name=name,
            type=child.get("type", "string") or "string",
            default=child.get("defaultValue"),
            unique_key=_bool(child.get("isUniqueKey"), False),
            combined_key=_bool(child.get("isCombinedKey"), False),
            case_sensitive=_bool(child.get("caseSensitive"), False),
        )


def _read_element(node: Element, target: ElementSchema, source: str) -> None:
    """Read an element's schema and everything it nests (walked with a stack of its own: schema files may nest deep)."""
    pending = [(node, target)]
    while pending:
        current, schema = pending.pop()
        pending.extend(reversed(_read_one_element(current, schema, source)))


def _read_one_element(node: Element, target: ElementSchema, source: str) -> list[tuple[Element, ElementSchema]]:
    """Read the attributes, child elements and collection of one element; return the nodes to read into each."""
    _read_attributes(node, target)
    nested: list[tuple[Element, ElementSchema]] = []
    for child in node.children:
        if child.name == "element":
            name = child.get("name")
            if not name:
                continue
            sub = target.children.get(name) or ElementSchema(name=name, source=source)
            nested.append((child, sub))
            target.children[name] = sub
        elif child.name == "collection":
            add = tuple(n.strip() for n in (child.get("addElement") or "").split(",") if n.strip())
            item = ElementSchema(name=add[0] if add else "add", source=source)
            nested.append((child, item))
            target.collection = CollectionSchema(
                add_names=add,
                remove_name=child.get("removeElement") or None,
                clear_name=child.get("clearElement") or None,
                merge_append=_bool(child.get("mergeAppend"), True),
                allow_duplicates=_bool(child.get("allowDuplicates"), False),
                item=item,
                default_element=child.get("defaultElement") or None,
            )
    return nested


@dataclass
class Schema:
    """All known section schemas, by section path (``system.webServer/directoryBrowse``)."""

    sections: dict[str, ElementSchema] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def load_xml(self, name: str, raw: bytes) -> None:
        """Add (or replace) the sections defined in one schema file."""
        document = parse_document(name, raw)
        if document.root.name != "configSchema":
            raise ConfigError(name, f"not an IIS schema file: the root element is <{document.root.name}>, expected <configSchema>", line=document.root.line)
        short = name.replace("\\", "/").rsplit("/", 1)[-1]
        for node in document.root.children:
            if node.name != "sectionSchema":
                continue
            section = node.get("name")
            if not section:
                raise ConfigError(name, "<sectionSchema> without a name", line=node.line)
            target = ElementSchema(name=section.rsplit("/", 1)[-1], source=short)
            _read_element(node, target, short)
            self.sections[section] = target
        self.sources.append(short)

    def section(self, path: str) -> ElementSchema | None:
        return self.sections.get(path)

    def element(self, section: str, element_path: tuple[str, ...]) -> ElementSchema | None:
        """The schema of a (non-collection-item) element below a section."""
        node = self.sections.get(section)
        for name in element_path:
            if node is None:
                return None
            node = node.children.get(name)
        return node


@functools.cache
def _parsed_builtin() -> Schema:
    from .builtin_schema import BUILTIN_SCHEMA_XML

    schema = Schema()
    schema.load_xml("built-in schema", BUILTIN_SCHEMA_XML.encode("utf-8"))
    return schema


def builtin_schema() -> Schema:
    """The schema the engine knows without any host files (parsed once; each caller gets its own table)."""
    parsed = _parsed_builtin()
    return Schema(sections=dict(parsed.sections), sources=list(parsed.sources))


def load_schema(files: list[tuple[str, bytes]]) -> Schema:
    """The built-in schema, overridden section by section by a host's schema files."""
    schema = builtin_schema()
    for name, raw in files:
        schema.load_xml(name, raw)
    return schema
