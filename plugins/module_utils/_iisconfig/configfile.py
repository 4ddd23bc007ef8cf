# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One configuration file: its section declarations, its <location> tags, its sections.

A file is machine.config, the .NET root web.config, applicationHost.config or a
web.config. This module reads what the file says; how files combine is the job of
``effective``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum

from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused

from .errors import ConfigError
from .xmldoc import Element, XmlDocument, parse_document


class FileKind(IntEnum):
    """The level of a file in the configuration hierarchy, in merge order."""

    MACHINE = 0
    ROOT_WEB = 1
    APPHOST = 2
    WEB = 3


OVERRIDE_MODES = ("Allow", "Deny", "Inherit")
ALLOW_DEFINITIONS = ("Everywhere", "MachineOnly", "MachineToWebRoot", "MachineToApplication", "AppHostOnly")

META_ATTRIBUTES = frozenset(
    {
        "lockAttributes",
        "lockAllAttributesExcept",
        "lockElements",
        "lockAllElementsExcept",
        "lockItem",
        "configSource",
        "configProtectionProvider",
    }
)
"""Attributes that control configuration itself rather than setting a value."""


def is_meta_attribute(name: str) -> bool:
    return name in META_ATTRIBUTES or name.startswith("xmlns") or ":" in name


_STEP = re.compile(r"""([^\[/]+)((?:\[@[^=\]]+=(?:'[^']*'|"[^"]*")\])*)""")
_PREDICATE = re.compile(r"""\[@([^=\]]+)=(?:'([^']*)'|"([^"]*)")\]""")


@dataclass(frozen=True)
class Step:
    """One step of an element path: a name and, for collection items, key values."""

    name: str
    keys: tuple[tuple[str, str], ...] = ()


@functools.lru_cache(maxsize=4096)
def parse_element_path(path: str) -> tuple[Step, ...]:
    """``a/b[@name='x']/c`` → steps. Quoted values may contain slashes."""
    steps: list[Step] = []
    position = 0
    path = path.strip("/")
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"invalid element path {path!r} at offset {position}")
        keys = tuple((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)) for m in _PREDICATE.finditer(match.group(2)))
        steps.append(Step(match.group(1).strip(), keys))
        position = match.end()
        if position < len(path):
            if path[position] != "/":
                raise ValueError(f"invalid element path {path!r} at offset {position}")
            position += 1
    return tuple(steps)


@functools.lru_cache(maxsize=8192)
def split_path(path: str) -> tuple[str, ...]:
    """Split a location or URL path into its segments ('' and '.' mean none)."""
    cleaned = path.replace("\\", "/").strip().strip("/")
    if cleaned in ("", "."):
        return ()
    return tuple(part for part in cleaned.split("/") if part not in ("", "."))


def path_key(segments: tuple[str, ...]) -> tuple[str, ...]:
    """Segments compared the way IIS compares paths: case-insensitively."""
    return tuple(map(str.casefold, segments))


@dataclass(slots=True)
class SectionDeclaration:
    path: str
    override_mode_default: str
    allow_definition: str
    allow_location: bool
    file: str
    line: int


@dataclass(slots=True, eq=False)
class Location:
    path: str
    segments: tuple[str, ...]
    override_mode: str | None
    """'Allow', 'Deny' or None when the tag does not say (Inherit)."""
    inherit_in_child_applications: bool
    element: Element
    key: tuple[str, ...] = ()
    """The folded segments, as paths are compared."""

    def __post_init__(self) -> None:
        self.key = path_key(self.segments)


@dataclass(slots=True, eq=False)
class SectionOccurrence:
    """A section element as written in one file, possibly inside a <location>."""

    section: str
    element: Element
    file: ConfigFile
    location: Location | None
    order: int
    missing_source: str | None = None
    """The path of a ``configSource`` file that could not be found."""


@dataclass(eq=False)
class ConfigFile:
    """A parsed configuration file."""

    name: str
    kind: FileKind
    document: XmlDocument
    declarations: dict[str, SectionDeclaration] = field(default_factory=dict)
    groups: set[str] = field(default_factory=set)
    locations: list[Location] = field(default_factory=list)
    _occurrences: list[SectionOccurrence] | None = None

    @classmethod
    def parse(cls, name: str, raw: bytes, kind: FileKind) -> ConfigFile:
        document = parse_document(name, raw)
        if document.root.name != "configuration":
            raise ConfigError(
                name,
                f"not an IIS or .NET configuration file: the root element is <{document.root.name}>, expected <configuration>",
                line=document.root.line,
            )
        config = cls(name=name, kind=kind, document=document)
        with gc_paused():
            config._read_declarations()
            config._read_locations()
        return config

    def _read_declarations(self) -> None:
        """Every <sectionGroup> and <section> below <configSections>, in document order.

        Groups may nest as deep as the parser allows, so the walk keeps its own stack.
        """
        for node in self.document.root.children:
            if node.name != "configSections":
                continue
            stack: list[tuple[Iterator[Element], str]] = [(iter(node.children), "")]
            while stack:
                children, prefix = stack[-1]
                child = next(children, None)
                if child is None:
                    stack.pop()
                    continue
                name = child.get("name")
                if not name:
                    continue
                path = f"{prefix}{name}"
                if child.name == "sectionGroup":
                    self.groups.add(path)
                    stack.append((iter(child.children), path + "/"))
                elif child.name == "section":
                    self._declare(child, path)

    def _declare(self, child: Element, path: str) -> None:
        mode = child.get("overrideModeDefault", "Allow") or "Allow"
        definition = child.get("allowDefinition", "Everywhere") or "Everywhere"
        if mode not in ("Allow", "Deny"):
            raise ConfigError(self.name, f"section {path!r}: overrideModeDefault must be Allow or Deny, not {mode!r}", line=child.line)
        if definition not in ALLOW_DEFINITIONS:
            raise ConfigError(self.name, f"section {path!r}: unknown allowDefinition {definition!r}", line=child.line)
        self.declarations[path] = SectionDeclaration(
            path=path,
            override_mode_default=mode,
            allow_definition=definition,
            allow_location=(child.get("allowLocation", "true") or "true").lower() != "false",
            file=self.name,
            line=child.line,
        )

    def _read_locations(self) -> None:
        for node in self.document.root.children:
            if node.name != "location":
                continue
            path = node.get("path", "") or ""
            mode = node.get("overrideMode")
            allow_override = node.get("allowOverride")
            if mode is not None and mode not in OVERRIDE_MODES:
                raise ConfigError(self.name, f"<location path={path!r}>: overrideMode must be Allow, Deny or Inherit, not {mode!r}", line=node.line)
            if mode is not None and allow_override is not None:
                raise ConfigError(self.name, f"<location path={path!r}>: overrideMode and allowOverride cannot both be set", line=node.line)
            if allow_override is not None:
                if allow_override.lower() not in ("true", "false"):
                    raise ConfigError(self.name, f"<location path={path!r}>: allowOverride must be true or false, not {allow_override!r}", line=node.line)
                mode = "Allow" if allow_override.lower() == "true" else "Deny"
            inherit = (node.get("inheritInChildApplications", "true") or "true").lower() != "false"
            self.locations.append(
                Location(
                    path=path,
                    segments=split_path(path),
                    override_mode=None if mode in (None, "Inherit") else mode,
                    inherit_in_child_applications=inherit,
                    element=node,
                )
            )

    def occurrences(self, known_sections: set[str], known_groups: set[str]) -> list[SectionOccurrence]:
        """Every section element in the file, in document order.

        An element is a section when its path is declared (in any file of the
        hierarchy) or described by the schema; a group when its path is a declared
        group or the prefix of a known section. An element that is neither is taken
        as a section of its own, as a custom application section is.
        """
        if self._occurrences is None:
            found: list[SectionOccurrence] = []
            locations = {id(location.element): location for location in self.locations}
            for node in self.document.root.children:
                if node.name == "configSections":
                    continue
                if node.name == "location":
                    location = locations[id(node)]
                    for child in node.children:
                        self._collect(child, location, known_sections, known_groups, found)
                else:
                    self._collect(node, None, known_sections, known_groups, found)
            self._occurrences = found
        return self._occurrences

    def _collect(
        self,
        node: Element,
        location: Location | None,
        known_sections: set[str],
        known_groups: set[str],
        found: list[SectionOccurrence],
    ) -> None:
        """Append the sections at or below ``node`` (a section, or a group of them), in document order."""
        pending: list[tuple[Element, str]] = [(node, "")]
        while pending:
            current, prefix = pending.pop()
            path = f"{prefix}{current.name}"
            if path not in known_sections and (path in known_groups or path in self.groups):
                pending.extend((child, path + "/") for child in reversed(current.children))
                continue
            found.append(SectionOccurrence(section=path, element=current, file=self, location=location, order=len(found)))
