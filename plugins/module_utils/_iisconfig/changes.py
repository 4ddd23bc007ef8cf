# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Edits judged by their effect: is the value already in effect, and does the edit take effect?

``ConfigEditor`` knows one file. A setting's effect depends on the whole hierarchy: a
value may already hold by default or by inheritance, and a value written to one file
may be overridden by a lower web.config or ignored under a lock. ``ensure_attribute``
checks the effective value first (and changes nothing when it already holds), edits
the chosen file, resolves the configuration again with the edited file, and says
whether the value now takes effect and, if not, why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .editor import ConfigEditor, EditResult
from .effective import Diagnostic, EffectiveConfig, IisConfiguration
from .errors import EditError
from .sources import FileSource, normalize


class OverlayFiles:
    """A file source with some files replaced (edits not yet written to the host)."""

    def __init__(self, base: FileSource | None, replaced: dict[str, bytes]) -> None:
        self.base = base
        self.replaced = {normalize(k).casefold(): v for k, v in replaced.items()}

    def read(self, path: str) -> bytes | None:
        found = self.replaced.get(normalize(path).casefold())
        if found is not None:
            return found
        return self.base.read(path) if self.base is not None else None

    def list_dir(self, path: str) -> list[str]:
        return self.base.list_dir(path) if self.base is not None else []

    def exists(self, path: str) -> bool:
        return normalize(path).casefold() in self.replaced or (self.base is not None and self.base.exists(path))

    def find(self, folder: str, name: str) -> list[str]:
        return self.base.find(folder, name) if self.base is not None else []


@dataclass(frozen=True)
class Outcome:
    """What an effective-level edit did."""

    changed: bool
    in_effect: bool
    message: str
    edit: EditResult | None
    """The edit of the file (None when nothing needed changing)."""
    configuration: IisConfiguration
    """The configuration after the edit (the same object when nothing changed)."""
    diagnostics: tuple[Diagnostic, ...] = ()


def _same_path(one: str, other: str) -> bool:
    return normalize(one).casefold() == normalize(other).casefold()


def with_file(configuration: IisConfiguration, path: str, content: bytes) -> IisConfiguration:
    """The same host with one file's content replaced."""
    if configuration.file_source is None:
        if not _same_path(path, configuration.apphost.name):
            raise EditError(path, "this configuration was loaded from applicationHost.config alone; no other file can be edited")
        return IisConfiguration.from_bytes(configuration.apphost.name, content, schema=configuration.schema)
    return IisConfiguration.from_source(OverlayFiles(configuration.file_source, {path: content}), configuration.environment)


def _scope(configuration: IisConfiguration, site: str | None, url_path: str) -> EffectiveConfig:
    return configuration.server() if site is None else configuration.resolve(site, url_path)


def _file_bytes(configuration: IisConfiguration, path: str) -> bytes:
    if _same_path(path, configuration.apphost.name):
        return configuration.apphost.document.raw
    if configuration.file_source is None:
        raise EditError(path, "this configuration was loaded from applicationHost.config alone; no other file can be edited")
    content = configuration.file_source.read(path)
    if content is None:
        raise EditError(path, "the file to edit does not exist on the host (a new web.config is not created implicitly)")
    return content


def ensure_attribute(
    configuration: IisConfiguration,
    section: str,
    attribute: str,
    value: str,
    *,
    site: str | None = None,
    url_path: str = "/",
    element: str = "",
    file: str | None = None,
    location: str | None = None,
) -> Outcome:
    """Make ``attribute`` of ``section`` (or of ``element`` below it) equal ``value`` at a scope.

    The scope is the server (``site=None``) or a site's URL path. The value is written
    to ``file`` (applicationHost.config by default) under ``location`` (by default the
    scope's own path in applicationHost.config, nothing for a web.config).
    """
    before = _scope(configuration, site, url_path).get(section, attribute, element=element)
    if before.value == value:
        return Outcome(False, True, f"{section}@{attribute} is already {value!r} at {_where(site, url_path)} ({before.describe()})", None, configuration)
    target = file or configuration.apphost.name
    if location is None and site is not None and _same_path(target, configuration.apphost.name):
        location = site + url_path.rstrip("/") if url_path.strip("/") else site
    editor = ConfigEditor(_file_bytes(configuration, target), target, schema=configuration.schema)
    edit = editor.set_attribute(section, attribute, value, element=element, location=location)
    after_configuration = with_file(configuration, target, edit.content)
    after_scope = _scope(after_configuration, site, url_path)
    after = after_scope.get(section, attribute, element=element)
    diagnostics = tuple(d for d in after_scope.diagnostics_for(section) if d.provenance.file.casefold() == target.casefold())
    if after.value == value:
        return Outcome(edit.changed, True, f"{edit.message}; now in effect at {_where(site, url_path)}", edit, after_configuration, diagnostics)
    reason = diagnostics[0].message if diagnostics else f"it is overridden by {after.describe()} (value {after.value!r})"
    return Outcome(edit.changed, False, f"{edit.message}; does not take effect at {_where(site, url_path)}: {reason}", edit, after_configuration, diagnostics)


def _where(site: str | None, url_path: str) -> str:
    return "the server level" if site is None else f"{site}{url_path}"
