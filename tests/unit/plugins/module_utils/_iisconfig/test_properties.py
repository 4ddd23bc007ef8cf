# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Random edits of real files: the effect is what was asked, the rest of the file is untouched."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor, EditResult
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import EffectiveConfig, IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import InvalidValueError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.schema import ElementSchema, builtin_schema
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.xmldoc import XmlDocument, parse_document

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not Path(CORPUS).is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
FILES = sorted((Path(CORPUS) / "applicationhost").glob("*.config")) if CORPUS else []
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _plain_attributes(schema: ElementSchema, prefix: str = "") -> list[tuple[str, str]]:
    """(element path, attribute) of every non-collection-item attribute of a section."""
    found = [(prefix, name) for name in schema.attributes]
    for name, child in schema.children.items():
        found.extend(_plain_attributes(child, f"{prefix}/{name}" if prefix else name))
    return found


ATTRIBUTES = [
    (section, element, attribute)
    for section, schema in sorted(builtin_schema().sections.items())
    if not section.startswith("system.applicationHost/")
    for element, attribute in _plain_attributes(schema)
]
COLLECTIONS = [
    ("system.webServer/security/requestFiltering", "verbs", "verb", {"allowed": "false"}),
    ("system.webServer/security/requestFiltering", "fileExtensions", "fileExtension", {"allowed": "false"}),
    ("system.webServer/security/requestFiltering", "hiddenSegments", "segment", {}),
    ("system.webServer/security/requestFiltering", "denyUrlSequences", "sequence", {}),
    ("system.webServer/httpProtocol", "customHeaders", "name", {"value": "1"}),
    ("system.webServer/staticContent", "", "fileExtension", {"mimeType": "application/x-test"}),
]
VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n&<>\"'"), max_size=24)
KEYS = st.from_regex(r"[A-Za-z.][A-Za-z0-9._-]{0,11}", fullmatch=True)


@functools.cache
def original(path: Path) -> bytes:
    return path.read_bytes()


@functools.cache
def parsed(path: Path) -> XmlDocument:
    """Documents are never changed in place (edits make new ones), so one parse serves all."""
    return parse_document(path.name, original(path))


@functools.cache
def sites(path: Path) -> tuple[str, ...]:
    return tuple(site.name for site in IisConfiguration.from_bytes(path.name, original(path)).sites)


def assert_only_inside(result: EditResult, editor_before: ConfigEditor, section: str, element: str, location: str | None) -> None:
    """Bytes outside the replaced span are unchanged, and the span lies inside the edited node."""
    assert result.span is not None
    start, end = result.span
    before, after = result.before.text, result.after.text
    assert after[:start] == before[:start]
    assert after[len(after) - (len(before) - end) :] == before[end:]
    node, _missing = editor_before.locate(section, element, location)
    assert node.start <= start <= end <= node.end


def target(data: st.DataObject, path: Path) -> tuple[str | None, str | None, str]:
    """(location path, site, URL path): global, an existing location, or a new one."""
    names = sites(path)
    if not names or data.draw(st.booleans()):
        return None, None, "/"
    site = data.draw(st.sampled_from(names))
    sub = data.draw(st.sampled_from(["", "hypothesis", "hypothesis/deeper"]))
    return f"{site}/{sub}" if sub else site, site, f"/{sub}"


def effective_at(content: bytes, site: str | None, url_path: str) -> EffectiveConfig:
    config = IisConfiguration.from_bytes("edited.config", content)
    return config.server() if site is None else config.resolve(site, url_path)


@pytest.mark.skipif(not FILES, reason="no corpus")
@SETTINGS
@given(data=st.data())
def test_random_attribute_edit_takes_effect_and_touches_nothing_else(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(FILES))
    section, element, attribute = data.draw(st.sampled_from(ATTRIBUTES))
    value = data.draw(VALUES)
    location, site, url_path = target(data, path)
    editor = ConfigEditor(parsed(path))
    before = ConfigEditor(parsed(path))
    try:
        result = editor.set_attribute(section, attribute, value, element=element, location=location)
    except InvalidValueError as refused:  # a value the attribute's schema type does not take is never written
        assert repr(value) in str(refused) and editor.content() == original(path)
        return
    if result.changed:
        assert_only_inside(result, before, section, element, location)
    else:
        assert result.content == original(path)
    effective = effective_at(result.content, site, url_path)
    assume(not effective.diagnostics_for(section))
    assert effective.get(section, attribute, element=element).value == value
    again = ConfigEditor(result.content, path.name).set_attribute(section, attribute, value, element=element, location=location)
    assert not again.changed


@pytest.mark.skipif(not FILES, reason="no corpus")
@SETTINGS
@given(data=st.data())
def test_random_collection_edits_take_effect(data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(FILES))
    section, element, key_name, extra = data.draw(st.sampled_from(COLLECTIONS))
    key = data.draw(KEYS)
    location, site, url_path = target(data, path)
    editor = ConfigEditor(parsed(path))
    attributes = {key_name: key, **extra}
    before = ConfigEditor(parsed(path))
    added = editor.add_entry(section, attributes, element=element, location=location)
    if added.changed:
        assert_only_inside(added, before, section, element, location)
    effective = effective_at(added.content, site, url_path)
    assume(not effective.diagnostics_for(section))
    collection = effective.section(section).element(element)
    entry = collection.find_entry(**{key_name: key})
    assert entry is not None
    assert {name: entry.element.value(name) for name in attributes} == attributes

    removed = editor.remove_entry(section, {key_name: key}, element=element, location=location, inherited=True)
    effective = effective_at(removed.content, site, url_path)
    assert effective.section(section).element(element).find_entry(**{key_name: key}) is None
    again = ConfigEditor(removed.content, path.name).remove_entry(section, {key_name: key}, element=element, location=location, inherited=True)
    assert not again.changed
