# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Effective configuration: what IIS applies to a (site, URL path), and why.

Contributions are merged in the order IIS merges them: machine.config, the root
web.config, applicationHost.config (global, then <location> tags from least to
most specific), then each web.config along the URL path (with their own
<location> tags). Every effective value carries its provenance (file, line,
location path, configuration path).

Locks follow IIS: ``overrideModeDefault``/``overrideMode``/``allowOverride`` lock a
whole section, ``lockAttributes``/``lockElements`` (and their ``All…Except`` forms)
lock parts of it and ``lockItem`` locks a collection entry. A lock binds only lower
configuration *files*: a <location> in the same file may still set the value. A
value set below a lock does not take effect and a diagnostic says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused

from .configfile import (
    ConfigFile,
    FileKind,
    Location,
    SectionDeclaration,
    SectionOccurrence,
    is_meta_attribute,
    parse_element_path,
    path_key,
    split_path,
)
from .errors import ConfigError, UnreadableScopeError
from .schema import CollectionSchema, ElementSchema, Schema, load_schema
from .secrets import shown_value
from .sources import (
    APPHOST_CONFIG,
    DEFAULT_ENVIRONMENT,
    ENVIRONMENT_SOURCE,
    MACHINE_CONFIG,
    ROOT_WEB_CONFIG,
    SCHEMA_DIR,
    FileSource,
    checked_environment,
    expand,
    join,
    normalize,
    parent,
)
from .xmldoc import Element, parse_document

_CONFIG_PATH_BY_KIND = {
    FileKind.MACHINE: "MACHINE",
    FileKind.ROOT_WEB: "MACHINE/WEBROOT",
    FileKind.APPHOST: "MACHINE/WEBROOT/APPHOST",
}


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a value was set."""

    file: str
    line: int
    location_path: str | None
    config_path: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.location_path is not None:
            where += f" <location path={self.location_path!r}>"
        return where


@dataclass(frozen=True, slots=True)
class EffectiveValue:
    """One attribute's effective value and where it comes from.

    There is one per attribute a file sets, so it holds two references and no more: a
    default, which names its schema, is a ``DefaultValue``.
    """

    value: str | None
    provenance: Provenance | None
    """None when the value is a default."""

    @property
    def default_source(self) -> str | None:
        """For a default, the schema it comes from."""
        return None

    @property
    def is_default(self) -> bool:
        return self.provenance is None

    def describe(self) -> str:
        if self.provenance is not None:
            return str(self.provenance)
        return f"default ({self.default_source})" if self.default_source else "not set"


@dataclass(frozen=True, slots=True)
class DefaultValue(EffectiveValue):
    """The value of an attribute no file sets: the schema's default, if it has one."""

    source: str | None = None
    """The schema the default comes from (None when there is no default)."""

    @property
    def default_source(self) -> str | None:
        return self.source


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something IIS would refuse or ignore, found while merging."""

    code: str
    message: str
    provenance: Provenance


@dataclass(slots=True)
class _Lock:
    rank: int
    provenance: Provenance


@dataclass(slots=True, eq=False)
class EffectiveElement:
    """The merged state of one element: attributes, child elements, collection entries."""

    name: str
    schema: ElementSchema | None
    attributes: dict[str, EffectiveValue] = field(default_factory=dict)
    children: dict[str, EffectiveElement] = field(default_factory=dict)
    entries: list[EffectiveEntry] = field(default_factory=list)
    cleared_at: Provenance | None = None
    locked_attributes: dict[str, _Lock] = field(default_factory=dict)
    locked_elements: dict[str, _Lock] = field(default_factory=dict)
    attributes_locked_except: tuple[frozenset[str], _Lock] | None = None
    elements_locked_except: tuple[frozenset[str], _Lock] | None = None

    def get(self, attribute: str) -> EffectiveValue:
        """The attribute's value: as set, else the schema default, else unset."""
        found = self.attributes.get(attribute)
        if found is not None:
            return found
        default = self.schema.default(attribute) if self.schema else None
        source = self.schema.source if self.schema else None
        return DefaultValue(value=default, provenance=None, source=source if default is not None else None)

    def value(self, attribute: str) -> str | None:
        return self.get(attribute).value

    def child(self, name: str) -> EffectiveElement:
        """A child element; an empty one (all defaults) when nothing sets it."""
        found = self.children.get(name)
        if found is not None:
            return found
        schema = self.schema.children.get(name) if self.schema else None
        return EffectiveElement(name=name, schema=schema)

    def element(self, path: str) -> EffectiveElement:
        """A descendant element by path: ``requestLimits/headerLimits``, or through a
        collection item by key, ``site[@name='Default Web Site']/logFile``.

        Below an item, attributes the item does not set come from the collection's
        default element (``siteDefaults``, ``applicationPoolDefaults``) as IIS applies
        them, with that element's provenance.
        """
        node: EffectiveElement = self
        defaults: EffectiveElement | None = None
        for step in parse_element_path(path):
            collection = node.schema.collection if node.schema is not None else None
            if step.keys and collection is not None and step.name in collection.add_names:
                entry = node.find_entry(**dict(step.keys))
                defaults = node.child(collection.default_element) if collection.default_element else None
                node = entry.element if entry is not None else EffectiveElement(name=step.name, schema=collection.item)
            else:
                node = node.child(step.name)
                defaults = defaults.child(step.name) if defaults is not None else None
        if defaults is None or not (defaults.attributes or defaults.entries):
            return node
        merged = EffectiveElement(name=node.name, schema=node.schema, attributes={**defaults.attributes, **node.attributes})
        merged.children = node.children
        own = bool(node.entries) or node.cleared_at is not None
        merged.entries = node.entries if own else defaults.entries
        merged.cleared_at = node.cleared_at if own else defaults.cleared_at
        return merged

    def find_entry(self, **key: str) -> EffectiveEntry | None:
        """The first collection entry whose attributes equal ``key`` (without case)."""
        for entry in self.entries:
            if all((entry.element.value(k) or "").casefold() == v.casefold() for k, v in key.items()):
                return entry
        return None

    def attribute_lock(self, attribute: str, rank: int) -> _Lock | None:
        lock = self.locked_attributes.get(attribute)
        if lock is not None and lock.rank < rank:
            return lock
        if self.attributes_locked_except is not None:
            allowed, lock = self.attributes_locked_except
            if lock.rank < rank and attribute not in allowed:
                return lock
        return None

    def element_lock(self, name: str, rank: int) -> _Lock | None:
        lock = self.locked_elements.get(name)
        if lock is not None and lock.rank < rank:
            return lock
        if self.elements_locked_except is not None:
            allowed, lock = self.elements_locked_except
            if lock.rank < rank and name not in allowed:
                return lock
        return None


@dataclass(slots=True, eq=False)
class EffectiveEntry:
    """One entry of a merged collection."""

    directive: str
    key: tuple[str, ...]
    element: EffectiveElement
    provenance: Provenance
    lock: _Lock | None = None


@dataclass(frozen=True, slots=True)
class _Contribution:
    occurrence: SectionOccurrence
    target: tuple[str, ...]
    """Folded segments of the path the contribution applies to (site first)."""
    display_target: str
    rank: int
    depth: int

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.depth, self.rank, self.occurrence.order)


@dataclass(slots=True)
class SectionResult:
    element: EffectiveElement
    diagnostics: tuple[Diagnostic, ...]
    """A tuple: the empty one, what most results have, is one object that Python's cyclic
    garbage collector never scans."""


class _Merger:
    """Folds the contributions of one section into an EffectiveElement."""

    def __init__(
        self,
        section: str,
        schema: ElementSchema | None,
        declaration: SectionDeclaration | None,
        declaring_rank: int,
        application_roots: frozenset[tuple[str, ...]],
        result: EffectiveElement | None = None,
    ) -> None:
        self.section = section
        self.declaration = declaration
        self.declaring_rank = declaring_rank
        self.application_roots = application_roots
        self.result = result if result is not None else EffectiveElement(name=section.rsplit("/", 1)[-1], schema=schema)
        self.diagnostics: list[Diagnostic] = []
        self.section_locks: list[tuple[str, _Lock]] = []
        self._entries: dict[int, tuple[EffectiveElement, _Entries]] = {}
        """The collections being merged, by the id of their element (kept alive here)."""

    def copy(self) -> _Merger:
        """A merger in this one's state, to merge more contributions into; this one is left as it is."""
        twin = _Merger(self.section, self.result.schema, self.declaration, self.declaring_rank, self.application_roots, _copy_merged(self.result))
        twin.diagnostics = list(self.diagnostics)
        twin.section_locks = list(self.section_locks)
        return twin

    def provenance(self, contribution: _Contribution, line: int) -> Provenance:
        occurrence = contribution.occurrence
        location = occurrence.location.path if occurrence.location is not None else None
        return Provenance(occurrence.file.name, line, location, contribution.display_target)

    def merge(self, contributions: list[_Contribution]) -> SectionResult:
        with gc_paused():
            return self._merge_all(contributions)

    def _merge_all(self, contributions: list[_Contribution]) -> SectionResult:
        for contribution in contributions:
            missing = contribution.occurrence.missing_source
            if missing is not None:
                here = self.provenance(contribution, contribution.occurrence.element.line)
                self.diagnostics.append(
                    Diagnostic("config-source-missing", f"{self.section}: configSource file {missing} is not there; IIS refuses the section", here)
                )
            provider = contribution.occurrence.element.get("configProtectionProvider")
            if provider is not None:
                here = self.provenance(contribution, contribution.occurrence.element.line)
                self.diagnostics.append(
                    Diagnostic("encrypted-section", f"{self.section} is encrypted with {provider}; its values cannot be read here and are not checked", here)
                )
                continue
            if self._section_allows(contribution):
                self._merge_element(self.result, contribution.occurrence.element, contribution)
            location = contribution.occurrence.location
            if location is not None and location.override_mode is not None:
                lock = _Lock(contribution.rank, self.provenance(contribution, location.element.line))
                self.section_locks.append((location.override_mode, lock))
        self._finish_collections()
        return SectionResult(self.result, tuple(self.diagnostics))

    def _effective_override_mode(self, rank: int) -> tuple[str, str]:
        """The lock mode for a file of this rank, and what set it."""
        for mode, lock in reversed(self.section_locks):
            if lock.rank < rank:
                return mode, f'<location overrideMode="{mode}"> at {lock.provenance}'
        if self.declaration is not None and self.declaring_rank < rank:
            mode = self.declaration.override_mode_default
            return mode, f'overrideModeDefault="{mode}" at {self.declaration.file}:{self.declaration.line}'
        return "Allow", "default"

    def _section_allows(self, contribution: _Contribution) -> bool:
        occurrence = contribution.occurrence
        here = self.provenance(contribution, occurrence.element.line)
        mode, where = self._effective_override_mode(contribution.rank)
        if mode == "Deny":
            self.diagnostics.append(Diagnostic("locked-section", f"section {self.section} is locked ({where}); this setting does not take effect", here))
            return False
        if self.declaration is not None:
            definition = self.declaration.allow_definition
            kind = occurrence.file.kind
            allowed = True
            if definition == "MachineOnly":
                allowed = kind == FileKind.MACHINE
            elif definition == "MachineToWebRoot":
                allowed = kind <= FileKind.ROOT_WEB
            elif definition == "AppHostOnly":
                allowed = kind == FileKind.APPHOST
            elif definition == "MachineToApplication":
                allowed = kind <= FileKind.APPHOST or contribution.target in self.application_roots
            if not allowed:
                self.diagnostics.append(
                    Diagnostic(
                        "not-allowed-here",
                        f"section {self.section} has allowDefinition={definition} and cannot be set here; this setting does not take effect",
                        here,
                    )
                )
                return False
            if occurrence.location is not None and occurrence.location.segments and not self.declaration.allow_location:
                self.diagnostics.append(Diagnostic("not-allowed-here", f"section {self.section} cannot be set in a <location> tag (allowLocation=false)", here))
                return False
        return True

    def _merge_element(self, target: EffectiveElement, node: Element, contribution: _Contribution) -> None:
        """Merge ``node`` and everything below it into ``target``, depth first in document order.

        The walk keeps its own stack instead of recursing, so no nesting a file may have
        (up to ``xmldoc.MAX_DEPTH``) comes near Python's recursion limit.
        """
        stack = [self._enter(target, node, contribution)]
        while stack:
            frame = stack[-1]
            child = next(frame.children, None)
            if child is None:
                stack.pop()
                self._leave(frame.target)
                continue
            entered = self._merge_child(frame, child, contribution)
            if entered is not None:
                stack.append(entered)

    def _enter(self, target: EffectiveElement, node: Element, contribution: _Contribution, here: Provenance | None = None) -> _Frame:
        """Merge the attributes and locks of ``node`` into ``target``; its children come next.

        Every attribute of the node shares one provenance (``here``, made when not given).
        """
        rank = contribution.rank
        if here is None:
            here = self.provenance(contribution, node.line)
        attributes = target.attributes
        for name, value in node.pairs():
            if is_meta_attribute(name):
                continue
            lock = target.attribute_lock(name, rank)
            if lock is not None:
                self.diagnostics.append(
                    Diagnostic(
                        "locked-attribute",
                        f"{self.section}: attribute {name!r} of <{node.name}> is locked at {lock.provenance}; "
                        f"the value '{shown_value(name, value, node.attrs)}' does not take effect",
                        here,
                    )
                )
                continue
            attributes[name] = EffectiveValue(value, here)
        self._record_locks(target, node, contribution)
        collection = target.schema.collection if target.schema else None
        if collection is None and target.schema is None:
            collection = _guess_collection(node)
        return _Frame(target, node, collection, iter(node.children), {})

    def _merge_child(self, frame: _Frame, child: Element, contribution: _Contribution) -> _Frame | None:
        """Apply one child of a merged element: a collection directive or a child element."""
        target, node, collection = frame.target, frame.node, frame.collection
        lock = target.element_lock(child.name, contribution.rank)
        if collection is not None and collection.is_directive(child.name):
            if lock is not None:
                self.diagnostics.append(
                    Diagnostic(
                        "locked-element",
                        f"{self.section}: <{child.name}> in <{node.name}> is locked at {lock.provenance}; it does not take effect",
                        self.provenance(contribution, child.line),
                    )
                )
                return None
            return self._apply_directive(target, collection, child, contribution)
        self._refuse_repeated_child(frame, child, contribution)
        if lock is not None:
            self.diagnostics.append(
                Diagnostic(
                    "locked-element",
                    f"{self.section}: element <{child.name}> is locked at {lock.provenance}; its settings do not take effect",
                    self.provenance(contribution, child.line),
                )
            )
            return None
        sub = target.children.get(child.name)
        if sub is None:
            schema = target.schema.children.get(child.name) if target.schema else None
            sub = EffectiveElement(name=child.name, schema=schema)
            target.children[child.name] = sub
        return self._enter(sub, child, contribution)

    def _refuse_repeated_child(self, frame: _Frame, child: Element, contribution: _Contribution) -> None:
        """A child element the schema declares once (not a collection entry) written twice in one element:
        IIS and .NET refuse the file (HTTP 500.19) instead of taking either. A transform (XDT) repeats on purpose."""
        schema = frame.target.schema
        if schema is None or child.name not in schema.children:
            return
        first = frame.seen.setdefault(child.name, child)
        if first is child or _is_transform(contribution.occurrence.file):
            return
        raise ConfigError(
            contribution.occurrence.file.name,
            f"<{child.name}> appears twice in <{frame.node.name}> of {self.section} (first at line {first.line}); the schema allows it once",
            line=child.line,
        )

    def _leave(self, target: EffectiveElement) -> None:
        """An element is merged: entries a later element adds to a mergeAppend=false collection go before its own."""
        entries = self._entries.get(id(target))
        if entries is not None:
            entries[1].close_block()

    def _entries_of(self, target: EffectiveElement, collection: CollectionSchema) -> _Entries:
        found = self._entries.get(id(target))
        if found is None:
            # The element is kept with its entries, so its id is not reused while merging.
            found = self._entries[id(target)] = (target, _Entries(collection.merge_append, target.entries))
        return found[1]

    def _finish_collections(self) -> None:
        """Write the merged entries of every collection into its element, in order."""
        for target, entries in self._entries.values():
            target.entries = entries.ordered()
        self._entries.clear()

    def _record_locks(self, target: EffectiveElement, node: Element, contribution: _Contribution) -> None:
        if _LOCK_ATTRIBUTES.isdisjoint(node.names):
            return
        here = self.provenance(contribution, node.line)
        lock = _Lock(contribution.rank, here)
        for name in _names(node.get("lockAttributes")):
            target.locked_attributes.setdefault(name, lock)
        for name in _names(node.get("lockElements")):
            target.locked_elements.setdefault(name, lock)
        except_attributes = node.get("lockAllAttributesExcept")
        if except_attributes is not None and target.attributes_locked_except is None:
            target.attributes_locked_except = (frozenset(_names(except_attributes)), lock)
        except_elements = node.get("lockAllElementsExcept")
        if except_elements is not None and target.elements_locked_except is None:
            target.elements_locked_except = (frozenset(_names(except_elements)), lock)

    def _key(self, collection: CollectionSchema, node: Element) -> tuple[str, ...]:
        names = collection.key_attributes
        if not names:
            return tuple(f"{name}={value.casefold()}" for name, value in node.pairs() if not is_meta_attribute(name))
        values = []
        item = collection.item
        for name in names:
            value = node.get(name)
            if value is None and item is not None:
                value = item.default(name)
            value = value or ""
            values.append(value if collection.case_sensitive(name) else value.casefold())
        return tuple(values)

    def _duplicate(self, entry: EffectiveEntry, collection: CollectionSchema, node: Element, here: Provenance) -> None:
        """An <add> whose key is already in the collection.

        IIS's native configuration refuses any duplicate. .NET refuses one whose values
        differ and keeps one entry when they are the same. In one file, a refused
        duplicate makes the file invalid (an error); across files, IIS refuses the
        request and the diagnostic says so.
        """
        native = self.section.startswith(_NATIVE_SECTION_GROUPS)
        if collection.item is None or (not native and _same_attributes(entry, node)):
            return
        same_place = (entry.provenance.file, entry.provenance.location_path, entry.provenance.config_path) == (here.file, here.location_path, here.config_path)
        if same_place:
            raise ConfigError(
                here.file,
                f"duplicate collection entry <{node.name}> with key {_format_key(collection, node)} in {self.section} "
                f"(first added at line {entry.provenance.line})",
                line=node.line,
            )
        self.diagnostics.append(
            Diagnostic(
                "duplicate-entry",
                f"{self.section}: <{node.name}> with key {_format_key(collection, node)} is already in the collection "
                f"(added at {entry.provenance}); IIS refuses the duplicate",
                here,
            )
        )

    def _apply_directive(self, target: EffectiveElement, collection: CollectionSchema, node: Element, contribution: _Contribution) -> _Frame | None:
        """Apply <clear/>, <remove> or <add> to a collection; an added entry's element is merged next."""
        here = self.provenance(contribution, node.line)
        rank = contribution.rank
        entries = self._entries_of(target, collection)
        if node.name == collection.clear_name:
            for entry in entries.clear(lambda e: e.lock is not None and e.lock.rank < rank):
                self.diagnostics.append(
                    Diagnostic(
                        "locked-item",
                        f"{self.section}: <clear/> cannot remove entry {_describe_key(entry)} locked at {entry.lock.provenance if entry.lock else ''}",
                        here,
                    )
                )
            target.cleared_at = here
            return None
        key = self._key(collection, node)
        if node.name == collection.remove_name:
            first = entries.first(key)
            if first is not None and first.lock is not None and first.lock.rank < rank:
                self.diagnostics.append(
                    Diagnostic(
                        "locked-item",
                        f"{self.section}: entry {_describe_key(first)} is locked at {first.lock.provenance}; <remove> does not take effect",
                        here,
                    )
                )
            elif first is not None:
                entries.remove(first)
            return None
        if not collection.allow_duplicates:
            first = entries.first(key)
            if first is not None and self.section in _LAST_ADD_WINS:
                entries.remove(first)
            elif first is not None:
                self._duplicate(first, collection, node, here)
                return None
        element = EffectiveElement(name=node.name, schema=collection.item)
        lock = None
        if (node.get("lockItem") or "").lower() == "true":
            lock = _Lock(rank, here)
        entries.add(EffectiveEntry(directive=node.name, key=key, element=element, provenance=here, lock=lock))
        return self._enter(element, node, contribution, here)


class _Frame(NamedTuple):
    """An element being merged: its effective element, its node, its collection and the children left."""

    target: EffectiveElement
    node: Element
    collection: CollectionSchema | None
    children: Iterator[Element]
    seen: dict[str, Element]
    """The child elements (not collection directives) merged so far, by name: the schema allows each once."""


class _Entries:
    """The entries of one collection while a section is merged: in order, and by key.

    IIS adds, removes and clears entries by key; with a list each of those scans the
    collection, which made a collection of 300,000 entries quadratic. Entries live in
    blocks of insertion-ordered dicts: a mergeAppend=true collection has one block, to
    which entries are appended; a mergeAppend=false collection puts the entries of each
    element (and those after a <clear/>) before everything merged before them, so each
    opens a new block that comes first. Finding, adding and removing an entry costs the
    same whatever the size of the collection.
    """

    __slots__ = ("_blocks", "_by_key", "_merge_append", "_open", "_serial")

    def __init__(self, merge_append: bool, existing: list[EffectiveEntry]) -> None:
        self._merge_append = merge_append
        self._blocks: list[dict[int, EffectiveEntry]] = [{}]
        self._by_key: dict[tuple[str, ...], dict[int, int]] = {}
        """Key → serial number of each entry with that key → its block."""
        self._serial = 0
        self._open = True
        for entry in existing:
            self.add(entry)
        self._open = merge_append

    def add(self, entry: EffectiveEntry) -> None:
        if not self._open:
            self._blocks.append({})
            self._open = True
        block = len(self._blocks) - 1
        self._serial += 1
        self._blocks[block][self._serial] = entry
        self._by_key.setdefault(entry.key, {})[self._serial] = block

    def first(self, key: tuple[str, ...]) -> EffectiveEntry | None:
        """The entry with this key that comes first in the collection's order."""
        found = self._by_key.get(key)
        if not found:
            return None
        serial, block = min(found.items(), key=lambda item: (-item[1], item[0]))
        return self._blocks[block][serial]

    def remove(self, entry: EffectiveEntry) -> None:
        found = self._by_key[entry.key]
        for serial, block in found.items():
            if self._blocks[block].get(serial) is entry:
                del self._blocks[block][serial]
                del found[serial]
                break
        if not found:
            del self._by_key[entry.key]

    def clear(self, keep: Callable[[EffectiveEntry], bool]) -> list[EffectiveEntry]:
        """Remove every entry but those ``keep`` holds (locked ones); return those, in order."""
        kept = [entry for entry in self.ordered() if keep(entry)]
        self._blocks = [{}]
        self._by_key = {}
        self._open = True
        for entry in kept:
            self.add(entry)
        self._open = self._merge_append
        return kept

    def close_block(self) -> None:
        """The element that added entries is merged; the next element's entries of a mergeAppend=false collection go first."""
        self._open = self._merge_append

    def ordered(self) -> list[EffectiveEntry]:
        if self._merge_append:
            return list(self._blocks[0].values())
        return [entry for block in reversed(self._blocks) for entry in block.values()]


def _copy_merged(element: EffectiveElement) -> EffectiveElement:
    """A copy of a merged element and of its child elements, to merge more into.

    Values, locks and collection entries are shared: a merge replaces them and never
    changes one (an entry's element is complete once its <add> is merged).
    """
    top = _copy_one(element)
    pending = [top]
    while pending:
        current = pending.pop()
        for name, child in list(current.children.items()):
            copied = current.children[name] = _copy_one(child)
            pending.append(copied)
    return top


def _copy_one(element: EffectiveElement) -> EffectiveElement:
    return EffectiveElement(
        name=element.name,
        schema=element.schema,
        attributes=dict(element.attributes),
        children=dict(element.children),
        entries=list(element.entries),
        cleared_at=element.cleared_at,
        locked_attributes=dict(element.locked_attributes),
        locked_elements=dict(element.locked_elements),
        attributes_locked_except=element.attributes_locked_except,
        elements_locked_except=element.elements_locked_except,
    )


_LOCK_ATTRIBUTES = frozenset({"lockAttributes", "lockElements", "lockAllAttributesExcept", "lockAllElementsExcept"})

_NATIVE_SECTION_GROUPS = ("system.webServer/", "system.applicationHost/", "system.ftpServer/")
"""Sections read by IIS's native configuration system; the rest are read by .NET."""


_LAST_ADD_WINS = frozenset({"appSettings"})
"""Sections whose collection takes a second <add> of a key in place of the first: .NET's
KeyValueConfigurationCollection (``appSettings``) does not throw on a duplicate (ThrowOnDuplicate is false)."""


def _same_attributes(entry: EffectiveEntry, node: Element) -> bool:
    written = {name: value for name, value in node.pairs() if not is_meta_attribute(name)}
    return written == {name: value.value for name, value in entry.element.attributes.items()} and not node.children


def _names(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip() and part.strip() != "*"]


def _format_key(collection: CollectionSchema, node: Element) -> str:
    if not collection.key_attributes:
        attributes = node.attrs
        return ", ".join(f"{name}={shown_value(name, value, attributes)!r}" for name, value in node.pairs())
    return ", ".join(f"{name}={node.get(name)!r}" for name in collection.key_attributes)


def _describe_key(entry: EffectiveEntry) -> str:
    return "/".join(entry.key)


_XDT_NAMESPACE = "http://schemas.microsoft.com/XML-Document-Transform"


def _is_transform(config_file: ConfigFile) -> bool:
    """Whether a file is an XDT transform (``Web.Release.config``), which repeats elements on purpose."""
    return any(a.value == _XDT_NAMESPACE for a in config_file.document.root.attributes)


def _duplicate_section(config_file: ConfigFile, occurrences: list[SectionOccurrence], known_sections: set[str]) -> ConfigError | None:
    """A known section written twice at one place of a file (the file level, or <location> tags
    of one path), which IIS and .NET refuse. A transform file (XDT) repeats sections on purpose."""
    if _is_transform(config_file):
        return None
    seen: dict[tuple[str, bool, tuple[str, ...]], SectionOccurrence] = {}
    for occurrence in occurrences:
        location = occurrence.location
        place = (occurrence.section, location is None, location.key if location is not None else ())
        first = seen.setdefault(place, occurrence)
        if first is not occurrence and occurrence.section in known_sections:
            where = "" if location is None else f" in <location path={location.path!r}>"
            return ConfigError(
                config_file.name,
                f"duplicate section {occurrence.section}{where} (first at line {first.element.line})",
                line=occurrence.element.line,
            )
    return None


def _guess_collection(node: Element) -> CollectionSchema | None:
    """A collection for an element the schema does not describe, when its children say so."""
    names = {child.name for child in node.children}
    if names & {"add", "remove", "clear"}:
        return CollectionSchema(add_names=("add",), remove_name="remove", clear_name="clear", item=None)
    return None


@dataclass(frozen=True, slots=True)
class VirtualDirectory:
    path: str
    physical_path: str
    allow_sub_dir_config: bool = True


@dataclass(frozen=True, slots=True)
class Application:
    path: str
    application_pool: str | None
    virtual_directories: tuple[VirtualDirectory, ...]


@dataclass(frozen=True, slots=True)
class Binding:
    protocol: str
    binding_information: str
    """``ip:port:host name`` (``*:443:www.example.org``; an IPv6 address in brackets)."""
    ssl_flags: str = "0"
    """``sslFlags``: 1 (``Sni``) the certificate is bound to the host name, 2 (``CentralCertStore``) it comes from the central store."""

    @property
    def endpoint(self) -> tuple[str, str, str]:
        """The binding's IP address (``0.0.0.0`` for all), port and host name."""
        rest, _colon, host = self.binding_information.rpartition(":")
        address, _colon, port = rest.rpartition(":")
        return ("0.0.0.0" if address in ("", "*") else address, port, host)  # noqa: S104 - how HTTP.sys names all addresses; nothing listens here

    def has_flag(self, number: int, name: str) -> bool:
        """Whether ``sslFlags`` holds a flag, written as a number (``3``) or by name (``Sni, CentralCertStore``)."""
        flags = self.ssl_flags.strip()
        if flags.isdigit():
            return bool(int(flags) & number)
        return name.casefold() in {part.strip().casefold() for part in flags.split(",")}


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    id: str | None
    applications: tuple[Application, ...]
    bindings: tuple[Binding, ...]
    provenance: Provenance

    def application_for(self, url_path: str) -> Application | None:
        """The application that serves a URL path (the longest matching path)."""
        segments = path_key(split_path(url_path))
        best: Application | None = None
        best_length = -1
        for application in self.applications:
            app_segments = path_key(split_path(application.path))
            if segments[: len(app_segments)] == app_segments and len(app_segments) > best_length:
                best, best_length = application, len(app_segments)
        return best

    def map_path(self, url_path: str) -> tuple[Application, VirtualDirectory, str] | None:
        """(application, virtual directory, unexpanded physical path) for a URL path."""
        application = self.application_for(url_path)
        if application is None:
            return None
        segments = split_path(url_path)
        app_length = len(split_path(application.path))
        rest = segments[app_length:]
        best: VirtualDirectory | None = None
        best_length = -1
        for directory in application.virtual_directories:
            dir_segments = path_key(split_path(directory.path))
            if path_key(rest[: len(dir_segments)]) == dir_segments and len(dir_segments) > best_length:
                best, best_length = directory, len(dir_segments)
        if best is None:
            return None
        return application, best, join(best.physical_path, *rest[best_length:])


class FileLevel(NamedTuple):
    """A file as it applies at a path: its base path (folded segments) and merge rank."""

    file: ConfigFile
    base: tuple[str, ...]
    display: str
    rank: int


@dataclass(slots=True)
class EffectiveConfig:
    """The effective configuration at one (site, URL path)."""

    configuration: IisConfiguration
    site: Site | None
    url_path: str
    target: tuple[str, ...]
    display_target: str
    files: list[FileLevel]
    unreadable: UnreadableScopeError | None = None
    """A web.config on the way that IIS cannot read; ``files`` then stop above it."""
    _sections: dict[str, SectionResult] = field(default_factory=dict)
    _local: set[str] | None = None

    @property
    def sections_set_here(self) -> set[str]:
        """Sections that a <location> for exactly this path, or the web.config of this folder, sets."""
        return self.configuration._sections_set_at(self)

    @property
    def local_sections(self) -> set[str]:
        """Sections set here by a <location> or a web.config (the rest are server-wide)."""
        if self._local is None:
            self._local = self.configuration._local_sections(self)
        return self._local

    def depends_on_unreadable(self, section: str) -> bool:
        """Whether the section's value here hangs on a web.config IIS cannot read (one that only
        server files may set, ``sites`` say, does not)."""
        return self.unreadable is not None and not self.configuration.server_only(section)

    def _result(self, section: str) -> SectionResult:
        unreadable = self.unreadable
        if unreadable is not None and self.depends_on_unreadable(section):
            raise unreadable
        found = self._sections.get(section)
        if found is None:
            found = self.configuration._resolve_section(section, self)
        return found

    def section(self, section: str) -> EffectiveElement:
        """The merged section (every attribute falls back to its default)."""
        return self._result(section).element

    def get(self, section: str, attribute: str, element: str = "") -> EffectiveValue:
        """One attribute of a section, or of an element below it (``element='verbs'``)."""
        return self.section(section).element(element).get(attribute)

    def sections(self) -> list[str]:
        """Every section that some file sets at or above this path."""
        return self.configuration.applicable_sections(self)

    def diagnostics_for(self, section: str) -> list[Diagnostic]:
        """What IIS would refuse or ignore in one section at this path."""
        return list(self._result(section).diagnostics)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        """What IIS would refuse or ignore in any section that applies at this path."""
        found: list[Diagnostic] = []
        for section in self.sections():
            for diagnostic in self._result(section).diagnostics:
                if diagnostic not in found:
                    found.append(diagnostic)
        return found


class IisConfiguration:
    """A host's IIS configuration: the file hierarchy, the schema and the sites."""

    def __init__(
        self,
        apphost: ConfigFile,
        schema: Schema,
        *,
        machine: ConfigFile | None = None,
        root_web: ConfigFile | None = None,
        files: FileSource | None = None,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.apphost = apphost
        self.machine = machine
        self.root_web = root_web
        self.schema = schema
        self.file_source = files
        self.environment = checked_environment(dict(DEFAULT_ENVIRONMENT, **(environment or {})), ENVIRONMENT_SOURCE)
        self._web_configs: dict[str, ConfigFile | None] = {}
        self._cache: dict[tuple[object, ...], SectionResult] = {}
        self._indexes: dict[int, dict[str, dict[tuple[str, ...], list[SectionOccurrence]]]] = {}
        self._server_files = [f for f in (machine, root_web, apphost) if f is not None]
        self._refresh_registry()
        self._sites: list[Site] | None = None
        self._sites_by_name: dict[str, Site] | None = None
        self._roots: dict[str, frozenset[tuple[str, ...]]] = {}
        self._globals: dict[str, list[_Contribution]] = {}
        self._paths: dict[int, dict[tuple[str, ...], set[str]]] = {}
        self._orders: dict[int, tuple[dict[str, int], list[str], frozenset[str]]] = {}
        self._server_mergers: dict[tuple[object, ...], _Merger] = {}
        self._server_results: dict[str, SectionResult] = {}
        self._resolved: dict[tuple[str, tuple[str, ...]], EffectiveConfig] = {}
        self._not_inherited: dict[int, set[str]] = {}
        self._folders: dict[str, list[str]] = {}
        self.unreadable_files: dict[str, ConfigError] = {}
        """Why IIS cannot read a web.config, by its folded path (filled as files are read)."""

    # -- construction ---------------------------------------------------------------
    @classmethod
    def from_source(cls, files: FileSource, environment: dict[str, str] | None = None) -> IisConfiguration:
        """Load a host's configuration from its files (a snapshot, or gathered files)."""
        env = checked_environment(dict(DEFAULT_ENVIRONMENT, **(environment or {})), ENVIRONMENT_SOURCE)
        apphost_path = expand(APPHOST_CONFIG, env)
        raw = files.read(apphost_path)
        if raw is None:
            raise ConfigError(apphost_path, "applicationHost.config not found on the host")
        apphost = ConfigFile.parse(apphost_path, raw, FileKind.APPHOST)
        schema_dir = expand(SCHEMA_DIR, env)
        schema_files = []
        for name in files.list_dir(schema_dir):
            if name.lower().endswith(".xml"):
                path = join(schema_dir, name)
                content = files.read(path)
                if content is not None:
                    schema_files.append((path, content))
        machine = cls._optional(files, expand(MACHINE_CONFIG, env), FileKind.MACHINE)
        root_web = cls._optional(files, expand(ROOT_WEB_CONFIG, env), FileKind.ROOT_WEB)
        configuration = cls(apphost, load_schema(schema_files), machine=machine, root_web=root_web, files=files, environment=env)
        configuration.refuse_unreadable_server_files()
        return configuration

    def refuse_unreadable_server_files(self) -> None:
        """Raise ConfigError, naming the file and both lines, for what makes IIS refuse machine.config, the
        root web.config or applicationHost.config: a section twice at one place, an element the schema
        allows once written twice, a duplicate collection key in one element. Every site depends on them."""
        for config_file in self._server_files:
            self._refuse_what_iis_refuses(config_file)

    @classmethod
    def from_bytes(cls, name: str, raw: bytes, schema: Schema | None = None, files: FileSource | None = None) -> IisConfiguration:
        """Load an applicationHost.config alone (web.config files from ``files`` if given)."""
        apphost = ConfigFile.parse(name, raw, FileKind.APPHOST)
        return cls(apphost, schema or load_schema([]), files=files)

    @staticmethod
    def _optional(files: FileSource, path: str, kind: FileKind) -> ConfigFile | None:
        raw = files.read(path)
        return ConfigFile.parse(path, raw, kind) if raw is not None else None

    def _refresh_registry(self) -> None:
        self.declarations: dict[str, tuple[SectionDeclaration, int]] = {}
        groups: set[str] = set()
        for config_file in self._server_files:
            groups |= config_file.groups
        for config_file in self._server_files:
            for path, declaration in config_file.declarations.items():
                # machine.config declares system.webServer as an IgnoreSection for .NET; IIS reads the group
                # applicationHost.config declares, so a path some file declares a group is a group.
                if path not in groups:
                    self.declarations.setdefault(path, (declaration, int(config_file.kind)))
        sections = set(self.declarations) | set(self.schema.sections)
        for section in sections:
            parts = section.split("/")
            for index in range(1, len(parts)):
                groups.add("/".join(parts[:index]))
        self.known_sections = sections
        self.known_groups = groups - sections

    def _occurrences(self, config_file: ConfigFile) -> list[SectionOccurrence]:
        return config_file.occurrences(self.known_sections, self.known_groups)

    def _with_config_source(self, occurrence: SectionOccurrence) -> SectionOccurrence:
        """A section kept in another file (``configSource``) read from that file."""
        source = occurrence.element.get("configSource")
        if not source:
            return occurrence
        path = join(parent(occurrence.file.name), source)
        raw = self.file_source.read(path) if self.file_source is not None else None
        if raw is None:
            return SectionOccurrence(occurrence.section, occurrence.element, occurrence.file, occurrence.location, occurrence.order, missing_source=path)
        external = ConfigFile(name=path, kind=occurrence.file.kind, document=parse_document(path, raw))
        expected = occurrence.section.rsplit("/", 1)[-1]
        if external.document.root.name != expected:
            raise ConfigError(path, f"configSource file of <{expected}> has the root element <{external.document.root.name}>", line=external.document.root.line)
        return SectionOccurrence(occurrence.section, external.document.root, external, occurrence.location, occurrence.order)

    def _sections_by_path(self, config_file: ConfigFile) -> dict[tuple[str, ...], set[str]]:
        """A file's section names by the folded path of their <location>."""
        found = self._paths.get(id(config_file))
        if found is None:
            found = {}
            for section, by_path in self._index(config_file).items():
                for key in by_path:
                    found.setdefault(key, set()).add(section)
            self._paths[id(config_file)] = found
        return found

    def _sections_set_at(self, config: EffectiveConfig) -> set[str]:
        found: set[str] = set()
        for level in config.files:
            relative = config.target[len(level.base) :]
            if relative or level.file.kind == FileKind.WEB:
                found |= self._sections_by_path(level.file).get(relative, set())
        return found

    def _local_sections(self, config: EffectiveConfig) -> set[str]:
        """Sections with a contribution that is not a server-wide global at this path."""
        found: set[str] = set()
        for level in config.files:
            by_path = self._sections_by_path(level.file)
            relative = config.target[len(level.base) :]
            if level.file.kind == FileKind.WEB:
                for length in range(len(relative) + 1):
                    found |= by_path.get(relative[:length], set())
                continue
            for length in range(1, len(relative) + 1):
                found |= by_path.get(relative[:length], set())
            found |= self._global_sections_not_inherited(level.file)
        return found

    def _global_sections_not_inherited(self, config_file: ConfigFile) -> set[str]:
        """Sections of a file's global level set in a <location inheritInChildApplications="false">."""
        found = self._not_inherited.get(id(config_file))
        if found is None:
            found = set()
            for section, by_path in self._index(config_file).items():
                if any(o.location is not None and not o.location.inherit_in_child_applications for o in by_path.get((), ())):
                    found.add(section)
            self._not_inherited[id(config_file)] = found
        return found

    def _index(self, config_file: ConfigFile) -> dict[str, dict[tuple[str, ...], list[SectionOccurrence]]]:
        """A file's sections by name, then by the folded path of their <location>."""
        found = self._indexes.get(id(config_file))
        if found is None:
            found = {}
            with gc_paused():
                for occurrence in map(self._with_config_source, self._occurrences(config_file)):
                    key = occurrence.location.key if occurrence.location is not None else ()
                    found.setdefault(occurrence.section, {}).setdefault(key, []).append(occurrence)
            self._indexes[id(config_file)] = found
        return found

    # -- sites ------------------------------------------------------------------------
    @property
    def sites(self) -> list[Site]:
        if self._sites is None:
            self._sites = self._read_sites()
        return self._sites

    def site(self, name: str) -> Site:
        if self._sites_by_name is None:
            self._sites_by_name = {}
            for site in self.sites:
                self._sites_by_name.setdefault(site.name.casefold(), site)
        found = self._sites_by_name.get(name.casefold())
        if found is None:
            raise KeyError(f"no site named {name!r} in {self.apphost.name}")
        return found

    def _read_sites(self) -> list[Site]:
        sites_section = self.server().section("system.applicationHost/sites")
        defaults = sites_section.child("applicationDefaults")
        result = []
        for entry in sites_section.entries:
            element = entry.element
            name = element.value("name") or ""
            applications = []
            for app_entry in element.entries:
                app = app_entry.element
                directories = tuple(
                    VirtualDirectory(
                        path=d.element.value("path") or "/",
                        physical_path=d.element.value("physicalPath") or "",
                        allow_sub_dir_config=(d.element.value("allowSubDirConfig") or "true").lower() != "false",
                    )
                    for d in app.entries
                )
                pool = app.value("applicationPool") or element.child("applicationDefaults").value("applicationPool") or defaults.value("applicationPool")
                applications.append(Application(path=app.value("path") or "/", application_pool=pool, virtual_directories=directories))
            bindings = tuple(
                Binding(b.element.value("protocol") or "", b.element.value("bindingInformation") or "", b.element.value("sslFlags") or "0")
                for b in element.child("bindings").entries
            )
            result.append(Site(name=name, id=element.value("id"), applications=tuple(applications), bindings=bindings, provenance=entry.provenance))
        return result

    # -- resolution ----------------------------------------------------------------------
    def server(self) -> EffectiveConfig:
        """The server level: machine.config, root web.config and applicationHost.config globals."""
        files = [FileLevel(f, (), _CONFIG_PATH_BY_KIND[f.kind], int(f.kind)) for f in self._server_files]
        return EffectiveConfig(self, None, "", (), "MACHINE/WEBROOT/APPHOST", files)

    def resolve(self, site: str, url_path: str = "/") -> EffectiveConfig:
        """The effective configuration of a URL path of a site."""
        key = (site.casefold(), tuple(s.casefold() for s in split_path(url_path)))
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self._resolve(site, url_path)
        return found

    def _resolve(self, site: str, url_path: str) -> EffectiveConfig:
        found = self.site(site)
        segments = split_path(url_path)
        target = path_key((found.name, *segments))
        display = "MACHINE/WEBROOT/APPHOST/" + "/".join((found.name, *segments))
        files: list[FileLevel] = [FileLevel(f, (), _CONFIG_PATH_BY_KIND[f.kind], int(f.kind)) for f in self._server_files]
        unreadable: UnreadableScopeError | None = None
        for depth in range(len(segments) + 1):
            prefix = segments[:depth]
            try:
                web_config = self._web_config(found, "/" + "/".join(prefix))
            except UnreadableScopeError as exc:
                unreadable = exc  # IIS stops here: nothing at or below this folder is read
                break
            if web_config is not None:
                base_display = "MACHINE/WEBROOT/APPHOST/" + "/".join((found.name, *prefix))
                files.append(FileLevel(web_config, path_key((found.name, *prefix)), base_display, int(FileKind.WEB) + depth))
        return EffectiveConfig(self, found, "/" + "/".join(segments), target, display, files, unreadable)

    def web_config_paths(self, site: Site, url_path: str) -> list[str]:
        """The Windows paths of the web.config files IIS reads for a URL path."""
        paths = []
        segments = split_path(url_path)
        for depth in range(len(segments) + 1):
            path = self._web_config_path(site, "/" + "/".join(segments[:depth]))
            if path is not None:
                paths.append(path)
        return paths

    def named_paths(self, site: Site) -> list[str]:
        """URL paths of a site the configuration names: its applications, the <location> paths of
        applicationHost.config, then folders holding a web.config; each once (compared as IIS does)."""
        named = [application.path for application in site.applications]
        named.extend(
            "/" + "/".join(location.segments[1:])
            for location in self.apphost.locations
            if location.segments and location.segments[0].casefold() == site.name.casefold()
        )
        named.extend(self.web_config_folders(site))
        unique: dict[tuple[str, ...], str] = {}
        for path in named:
            segments = split_path(path)
            unique.setdefault(path_key(segments), "/" + "/".join(segments))
        return list(unique.values())

    def web_config_folders(self, site: Site) -> list[str]:
        """URL paths below each application whose folder holds a web.config (other than its root)."""
        if self.file_source is None:
            return []
        cached = self._folders.get(site.name)
        if cached is not None:
            return cached
        found: list[str] = []
        for application in site.applications:
            mapped = site.map_path(application.path)
            if mapped is None:
                continue
            root = normalize(expand(mapped[2], self.environment))
            for path in self.file_source.find(root, "web.config"):
                relative = normalize(path)[len(root) + 1 :].split("\\")[:-1]
                if relative:
                    found.append(application.path.rstrip("/") + "/" + "/".join(relative))
        self._folders[site.name] = found
        return found

    def _web_config_path(self, site: Site, url_path: str) -> str | None:
        mapped = site.map_path(url_path)
        if mapped is None:
            return None
        application, directory, physical = mapped
        if not directory.allow_sub_dir_config:
            root = split_path(application.path) + split_path(directory.path)
            if len(split_path(url_path)) > len(root):
                return None
        return join(expand(physical, self.environment), "web.config")

    def _web_config(self, site: Site, url_path: str) -> ConfigFile | None:
        if self.file_source is None:
            return None
        path = self._web_config_path(site, url_path)
        if path is None:
            return None
        key = path.casefold()
        if key not in self._web_configs:
            self._web_configs[key] = self._read_web_config(path)
        reason = self.unreadable_files.get(key)
        if reason is not None:
            raise UnreadableScopeError(reason, path, site.name + ("" if url_path == "/" else url_path))
        return self._web_configs[key]

    def server_only(self, section: str) -> bool:
        """Whether the section's declaration keeps it out of every web.config (``allowDefinition``)."""
        declared = self.declarations.get(section)
        return declared is not None and declared[0].allow_definition in ("MachineOnly", "MachineToWebRoot", "AppHostOnly")

    def _read_web_config(self, path: str) -> ConfigFile | None:
        """A web.config as IIS reads it; one IIS would refuse is recorded in ``unreadable_files`` instead."""
        raw = self.file_source.read(path) if self.file_source is not None else None
        if raw is None:
            return None
        try:
            config_file = ConfigFile.parse(path, raw, FileKind.WEB)
            self._add_declarations(config_file)
            self._refuse_what_iis_refuses(config_file)
        except ConfigError as exc:
            self.unreadable_files[path.casefold()] = exc
            return None
        return config_file

    def _refuse_what_iis_refuses(self, config_file: ConfigFile) -> None:
        """Raise what makes IIS refuse the whole file: a section twice at one place, an element the
        schema allows once written twice, a duplicate collection key in one element, a configSource
        file it cannot use."""
        duplicate = _duplicate_section(config_file, self._occurrences(config_file), self.known_sections)
        if duplicate is not None:
            raise duplicate
        for section, by_path in self._index(config_file).items():
            schema = self.schema.section(section)
            for occurrences in by_path.values():
                _Merger(section, schema, None, -1, frozenset()).merge([_Contribution(o, (), config_file.name, int(FileKind.WEB), 0) for o in occurrences])

    def unreadable_web_configs(self) -> list[UnreadableScopeError]:
        """Each web.config IIS would read but refuses, with the first scope it is read at.

        A broken file below another broken one is hidden by it, as IIS stops at the first.
        """
        found: dict[str, UnreadableScopeError] = {}
        for site in self.sites:
            for url_path in self.named_paths(site):
                unreadable = self.resolve(site.name, url_path).unreadable
                if unreadable is not None:
                    found.setdefault(unreadable.web_config.casefold(), unreadable)
        return list(found.values())

    def _add_declarations(self, config_file: ConfigFile | None) -> None:
        if config_file is None or not (set(config_file.declarations) | config_file.groups) - self.known_sections - self.known_groups:
            return
        for path, declaration in config_file.declarations.items():
            self.declarations.setdefault(path, (declaration, int(FileKind.WEB)))
            self.known_sections.add(path)
        self.known_groups |= config_file.groups - self.known_sections

    def _application_roots(self, site: Site | None) -> frozenset[tuple[str, ...]]:
        """Folded paths of a site's applications (computed once per site)."""
        if site is None:
            return frozenset()
        found = self._roots.get(site.name)
        if found is None:
            found = frozenset(path_key((site.name, *split_path(app.path))) for app in site.applications)
            self._roots[site.name] = found
        return found

    def _contributions(self, section: str, config: EffectiveConfig) -> list[_Contribution]:
        roots = self._application_roots(config.site)
        found = list(self._server_globals(section))
        for level in config.files:
            by_path = self._index(level.file).get(section)
            if not by_path:
                continue
            relative = config.target[len(level.base) :]
            # The globals of the server files are the same everywhere: see _server_globals.
            first = 1 if level.file.kind != FileKind.WEB else 0
            for length in range(first, len(relative) + 1):
                for occurrence in by_path.get(relative[:length], ()):
                    found.append(self._contribution(occurrence, level.base, level.display, level.rank, config, roots))
            if first and () in by_path:
                for occurrence in by_path[()]:
                    if occurrence.location is not None and not occurrence.location.inherit_in_child_applications:
                        found.append(self._contribution(occurrence, level.base, level.display, level.rank, config, roots))
        found = [c for c in found if c.rank >= 0]
        if len(found) > 1:
            found.sort(key=lambda c: c.sort_key)
        return found

    def _server_globals(self, section: str) -> list[_Contribution]:
        """Contributions of machine.config, root web.config and applicationHost.config that apply everywhere."""
        found = self._globals.get(section)
        if found is None:
            found = []
            for config_file in self._server_files:
                for occurrence in self._index(config_file).get(section, {}).get((), ()):
                    if occurrence.location is None or occurrence.location.inherit_in_child_applications:
                        depth = int(config_file.kind) - 3
                        display = _CONFIG_PATH_BY_KIND[config_file.kind]
                        found.append(_Contribution(occurrence, (), display, int(config_file.kind), depth))
            self._globals[section] = found
        return found

    def _contribution(
        self,
        occurrence: SectionOccurrence,
        base: tuple[str, ...],
        base_display: str,
        rank: int,
        config: EffectiveConfig,
        roots: frozenset[tuple[str, ...]],
    ) -> _Contribution:
        """How one occurrence applies at the config's path (rank -1: it does not)."""
        location: Location | None = occurrence.location
        segments = location.segments if location is not None else ()
        target = base + (location.key if location is not None else ())
        if location is not None and not location.inherit_in_child_applications and self._crosses_application(target, config.target, roots):
            rank = -1
        # Globals of machine.config, root web.config and applicationHost.config each form
        # their own level above every site; anything else sits at its path's depth.
        depth = int(occurrence.file.kind) - 3 if target == () and occurrence.file.kind != FileKind.WEB else len(target)
        display = base_display + ("/" + "/".join(segments) if segments else "")
        return _Contribution(occurrence, target, display, rank, depth)

    @staticmethod
    def _crosses_application(target: tuple[str, ...], path: tuple[str, ...], roots: frozenset[tuple[str, ...]]) -> bool:
        """Whether an application root lies below ``target`` on the way to ``path``."""
        return any(len(target) < len(root) <= len(path) and path[: len(root)] == root for root in roots)

    def applicable_sections(self, config: EffectiveConfig) -> list[str]:
        """Every section that some file sets at or above the config's path."""
        names: list[str] = []
        seen: set[str] | None = None
        for level in config.files:
            found = self._sections_on_the_way(level.file, config.target[len(level.base) :])
            if not names:
                names.extend(found)
                continue
            if seen is None:
                seen = set(names)
            for section in found:
                if section not in seen:
                    seen.add(section)
                    names.append(section)
        return names

    def _sections_on_the_way(self, config_file: ConfigFile, relative: tuple[str, ...]) -> list[str]:
        """The sections a file sets at its own level or at a prefix of ``relative``, in the order of its index.

        Looked up by path, so a file with 100,000 <location> tags costs a resolve no more
        than one with a few (the order of its own level is computed once).
        """
        by_path = self._sections_by_path(config_file)
        order, own_level, own = self._section_order(config_file)
        deeper = [section for length in range(1, len(relative) + 1) for section in by_path.get(relative[:length], ())]
        if own.issuperset(deeper):
            return own_level
        return sorted(own.union(deeper), key=order.__getitem__)

    def _section_order(self, config_file: ConfigFile) -> tuple[dict[str, int], list[str], frozenset[str]]:
        """A file's sections by their place in its index, and those of its own level in that order and as a set."""
        found = self._orders.get(id(config_file))
        if found is None:
            order = {section: place for place, section in enumerate(self._index(config_file))}
            own = frozenset(self._sections_by_path(config_file).get((), ()))
            found = self._orders[id(config_file)] = (order, sorted(own, key=order.__getitem__), own)
        return found

    def _resolve_section(self, section: str, config: EffectiveConfig) -> SectionResult:
        """A section's result at a config's path; a local one is kept by the config, a server-wide one
        once here (100,000 paths do not hold 100,000 references to each server-wide result)."""
        local = config._local if config._local is not None else config.local_sections
        if section not in local:
            found = self._server_results.get(section)
            if found is None:
                found = self._server_results[section] = self._merge(section, self._server_globals(section), frozenset())
            return found
        contributions = self._contributions(section, config)
        roots = self._application_roots(config.site)
        # The merge depends on the contributions, where they apply and whether each
        # applies at an application root (allowDefinition=MachineToApplication).
        found = config._sections[section] = self._merge(section, contributions, roots)
        return found

    def _merge(self, section: str, contributions: list[_Contribution], roots: frozenset[tuple[str, ...]]) -> SectionResult:
        """Merge contributions, once for each distinct set of them."""
        key = (section, tuple((id(c.occurrence), c.target, c.rank, c.target in roots) for c in contributions))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        server_level = 0
        while server_level < len(contributions) and contributions[server_level].depth < 0:
            server_level += 1
        merger = self._merger_after(section, contributions[:server_level])
        merger.application_roots = roots
        result = merger.merge(contributions[server_level:])
        self._cache[key] = result
        return result

    def _merger_after(self, section: str, server_level: list[_Contribution]) -> _Merger:
        """A merger that has merged ``server_level`` (the contributions of the server files' own
        levels, sorted first), ready for more. Those are the same at most paths, so they are
        merged once and the state copied for each path: a file with 100,000 <location> tags
        does not merge the server's sections 100,000 times."""
        key = (section, tuple((id(c.occurrence), c.target, c.rank) for c in server_level))
        merged = self._server_mergers.get(key)
        if merged is None:
            declared = self.declarations.get(section)
            merged = _Merger(section, self.schema.section(section), declared[0] if declared else None, declared[1] if declared else -1, frozenset())
            merged.merge(server_level)
            self._server_mergers[key] = merged
        return merged.copy()
