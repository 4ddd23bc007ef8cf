# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The engine against real configuration files from ``$HARDENED_IIS_CORPUS``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.configfile import ConfigFile, FileKind
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.editor import ConfigEditor
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.schema import builtin_schema, load_schema
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.xmldoc import parse_document

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not Path(CORPUS).is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")

KNOWN_BROKEN = {
    # Redacted by its owner: every line is a comment, so there is no root element.
    "19_NCIOCPL-pubslocator-NCIPL.config": "no root element",
}


def corpus_files(folder: str) -> list[Path]:
    if not CORPUS:
        return []
    return sorted((Path(CORPUS) / folder).glob("*.config"))


INVALID_FOR_IIS = {
    # Two URL Rewrite rules share the name RedirectUserFriendlyURL11: IIS answers 500.19.
    "28_OWASP-Faux-Bank-ClassicASP.config": ("duplicate collection entry <rule> with key name='RedirectUserFriendlyURL11'", 168),
}

MINIMAL_APPHOST = (
    b'<configuration><system.applicationHost><sites><site name="S" id="1"><application path="/">'
    b'<virtualDirectory path="/" physicalPath="C:\\site" /></application></site></sites></system.applicationHost></configuration>'
)
"""A server with one site whose root folder is C:\\site."""

ALL_FILES = corpus_files("applicationhost") + corpus_files("webconfig")
APPHOST_FILES = corpus_files("applicationhost")
WEB_FILES = [p for p in corpus_files("webconfig") if p.name not in KNOWN_BROKEN]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_every_file_parses_or_fails_clearly(path: Path) -> None:
    raw = path.read_bytes()
    if path.name in KNOWN_BROKEN:
        with pytest.raises(ConfigError) as caught:
            ConfigFile.parse(str(path), raw, FileKind.WEB)
        assert caught.value.file == str(path)
        assert caught.value.line is not None
        assert KNOWN_BROKEN[path.name] in caught.value.cause
        return
    config = ConfigFile.parse(str(path), raw, FileKind.WEB)
    assert config.document.root.name == "configuration"


@pytest.mark.parametrize("path", [p for p in ALL_FILES if p.name not in KNOWN_BROKEN], ids=lambda p: p.name)
def test_unedited_round_trip_is_byte_identical(path: Path) -> None:
    raw = path.read_bytes()
    document = parse_document(str(path), raw)
    assert document.encode(document.text) == raw
    editor = ConfigEditor(document)
    result = editor.set_attribute("system.webServer/directoryBrowse", "enabled", "false")
    if result.changed:
        undo = ConfigEditor(result.after)
        assert undo.content() != raw
    assert editor.results[0].before.raw == raw


def test_the_corpus_is_complete() -> None:
    assert len(APPHOST_FILES) == 29
    assert len(ALL_FILES) == 75


@pytest.mark.parametrize("path", APPHOST_FILES, ids=lambda p: p.name)
def test_effective_config_of_every_site_and_application_resolves(path: Path) -> None:
    config = IisConfiguration.from_bytes(path.name, path.read_bytes())
    resolved = 0
    for site in config.sites:
        for application in site.applications:
            effective = config.resolve(site.name, application.path)
            for section in effective.sections():
                element = effective.section(section)
                for value in element.attributes.values():
                    assert value.provenance is not None
                    assert value.provenance.file == path.name
                    assert value.provenance.line >= 1
                resolved += 1
            assert effective.get("system.webServer/directoryBrowse", "enabled").value in ("true", "false")
    if config.sites:
        assert resolved > 0


@pytest.mark.parametrize("path", WEB_FILES, ids=lambda p: p.name)
def test_effective_config_through_each_web_config_resolves(path: Path) -> None:
    """Each web.config placed at the root of a site of a minimal server."""
    files = MemoryFiles({"C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config": MINIMAL_APPHOST, "C:\\site\\web.config": path.read_bytes()})
    config = IisConfiguration.from_source(files)
    effective = config.resolve("S", "/")
    if path.name in INVALID_FOR_IIS:
        cause, line = INVALID_FOR_IIS[path.name]
        unreadable = effective.unreadable
        assert unreadable is not None, "IIS refuses the whole file: the site is not evaluated"
        assert (unreadable.file, unreadable.line, unreadable.scope) == ("C:\\site\\web.config", line, "S")
        assert cause in unreadable.cause
        return
    assert effective.files[-1].file.name == "C:\\site\\web.config"
    for section in effective.sections():
        effective.section(section)
    for diagnostic in effective.diagnostics:
        assert diagnostic.provenance.file == "C:\\site\\web.config"


def test_known_facts_of_real_files() -> None:
    pubs = IisConfiguration.from_bytes("01", (Path(CORPUS) / "applicationhost" / "01_NCIOCPL-pubslocator.config").read_bytes())
    # 140 '<location' strings, one of them inside the file's opening comment.
    assert len(pubs.apphost.locations) == 139
    assert [s.name for s in pubs.sites][:3] == ["pubsprod.lmbps.com", "GUAM", "pert-ncidc.lmbps.com"]
    nuget = next(p for p in WEB_FILES if p.name == "09_NuGetGallery.config")
    files = MemoryFiles(
        {
            "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config": MINIMAL_APPHOST,
            "C:\\site\\web.config": nuget.read_bytes(),
        }
    )
    effective = IisConfiguration.from_source(files).resolve("S", "/")
    headers = effective.section("system.webServer/httpProtocol").child("customHeaders")
    assert headers.cleared_at is not None or headers.entries


def test_built_in_schema_agrees_with_a_real_iis_schema() -> None:
    """Every key and default of the built-in table matches IIS_schema.xml where both define it."""
    real_path = next((Path(CORPUS) / "schema").glob("IIS_schema*.xml"))
    real = load_schema([(str(real_path), real_path.read_bytes())])
    builtin = builtin_schema()
    compared = 0

    def compare(ours: object, theirs: object, where: str) -> None:
        nonlocal compared
        from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.schema import ElementSchema

        assert isinstance(ours, ElementSchema)
        assert isinstance(theirs, ElementSchema)
        for name, attribute in ours.attributes.items():
            other = theirs.attributes.get(name)
            if other is None:
                continue
            assert attribute.default == other.default, f"{where}@{name}: default {attribute.default!r} != {other.default!r}"
            assert attribute.unique_key == other.unique_key, f"{where}@{name}: isUniqueKey"
            assert attribute.combined_key == other.combined_key, f"{where}@{name}: isCombinedKey"
            assert attribute.case_sensitive == other.case_sensitive, f"{where}@{name}: caseSensitive"
            compared += 1
        for name, child in ours.children.items():
            if name in theirs.children:
                compare(child, theirs.children[name], f"{where}/{name}")
        if ours.collection is not None and theirs.collection is not None:
            assert ours.collection.add_names == theirs.collection.add_names, where
            assert ours.collection.remove_name == theirs.collection.remove_name, where
            assert ours.collection.clear_name == theirs.collection.clear_name, where
            assert ours.collection.merge_append == theirs.collection.merge_append, where
            assert ours.collection.key_attributes == theirs.collection.key_attributes, where
            if ours.collection.item is not None and theirs.collection.item is not None:
                compare(ours.collection.item, theirs.collection.item, f"{where}/{ours.collection.add_names[0]}")

    for section, ours in builtin.sections.items():
        if section in real.sections and real.sections[section].source != "built-in schema":
            compare(ours, real.sections[section], section)
    assert compared > 200


def test_a_host_with_real_machine_config_and_iis_schema() -> None:
    """machine.config declares the ASP.NET sections; IIS_schema.xml gives the defaults."""
    schema = next((Path(CORPUS) / "schema").glob("IIS_schema*.xml"))
    machine = next((Path(CORPUS) / "schema").glob("machine.config*"))
    apphost = Path(CORPUS) / "applicationhost" / "05_dorik84-Web-Server-IIS.config"
    files = MemoryFiles(
        {
            "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config": apphost.read_bytes(),
            "C:\\Windows\\System32\\inetsrv\\config\\schema\\IIS_schema.xml": schema.read_bytes(),
            "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319\\Config\\machine.config": machine.read_bytes(),
            "C:\\inetpub\\wwwroot\\web.config": b'<configuration><location path="sub"><system.web><machineKey validation="MD5" />'
            b"</system.web></location></configuration>",
        }
    )
    config = IisConfiguration.from_source(files)
    declaration, rank = config.declarations["system.web/machineKey"]
    assert (declaration.allow_definition, declaration.line, rank) == ("MachineToApplication", 99, int(FileKind.MACHINE))
    assert config.schema.section("system.webServer/security/requestFiltering") is not None
    assert config.schema.section("system.webServer/security/requestFiltering").source == "IIS_schema.xml"  # type: ignore[union-attr]
    site = config.sites[0].name
    at_sub = config.resolve(site, "/sub")
    validation = at_sub.get("system.web/machineKey", "validation")
    assert (validation.value, validation.provenance.line if validation.provenance else None) == ("SHA1", 257)
    assert validation.provenance is not None and validation.provenance.config_path == "MACHINE"
    assert [d.code for d in at_sub.diagnostics_for("system.web/machineKey")] == ["not-allowed-here"]
    assert at_sub.get("system.webServer/security/requestFiltering", "maxUrl", element="requestLimits").default_source == "IIS_schema.xml"
