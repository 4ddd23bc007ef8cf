# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The catalog of documents: the cache on the controller and supersedence chains."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix import catalog as catalog_module
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog, load_catalog
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.cvrf import CvrfError, Fix, UpdateDocument

from .conftest import CVRF, needs_corpus


def document(name: str, released: str, fixes: list[tuple[str, tuple[str, ...]]]) -> UpdateDocument:
    return UpdateDocument(
        id=name,
        revision="1",
        title=name,
        released=datetime.date.fromisoformat(released),
        products={"11923": "Windows Server 2022"},
        fixes=[Fix("CVE-2026-0001", kb, "11923", "Security Update", None, old, "Important", False, False) for kb, old in fixes],
    )


def test_supersedence_is_followed_across_documents_and_cycles_end() -> None:
    catalog = UpdateCatalog.from_documents(
        [
            document("2026-Mar", "2026-03-10", [("KB3", ("KB2",))]),
            document("2026-Jan", "2026-01-13", [("KB1", ())]),
            document("2026-Feb", "2026-02-10", [("KB2", ("KB1",)), ("KB9", ("KB3",))]),
        ]
    )
    assert list(catalog.documents) == ["2026-Jan", "2026-Feb", "2026-Mar"]  # by release date
    assert catalog.superseders("KB1") == {"KB2", "KB3", "KB9"}
    assert catalog.superseders("KB3") == {"KB9"}
    assert catalog.superseders("KB9") == frozenset()


def test_a_month_given_twice_is_refused() -> None:
    with pytest.raises(CvrfError, match="document 2026-Jan is given twice"):
        UpdateCatalog.from_documents([document("2026-Jan", "2026-01-13", []), document("2026-Jan", "2026-01-13", [])])


def test_a_missing_or_empty_directory_says_what_to_put_there(tmp_path: Path) -> None:
    with pytest.raises(CvrfError, match="does not exist; put the MSRC CVRF documents"):
        load_catalog(tmp_path / "absent")
    with pytest.raises(CvrfError, match=r"no security update documents \(\*\.xml, \*\.json\)"):
        load_catalog(tmp_path)


@needs_corpus
def test_the_cache_is_keyed_by_document_and_revision_and_used_on_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert CVRF is not None
    documents = tmp_path / "cvrf"
    documents.mkdir()
    shutil.copy(CVRF / "cvrfDocument-2022-Jan.xml", documents)
    cache = tmp_path / "cache"
    first = load_catalog(documents, cache)
    assert sorted(p.name for p in cache.iterdir()) == ["2022-Jan.r7.json", "index.json"]
    assert list(json.loads((cache / "index.json").read_text())["documents"].values()) == ["2022-Jan.r7.json"]

    def no_parsing(data: bytes, source: str) -> UpdateDocument:
        raise AssertionError(f"{source} was parsed again although it is cached")

    monkeypatch.setattr(catalog_module, "parse_document", no_parsing)
    second = load_catalog(documents, cache)
    assert second.documents["2022-Jan"].as_dict() == first.documents["2022-Jan"].as_dict()


@needs_corpus
def test_a_damaged_cache_entry_is_read_again_from_the_document(tmp_path: Path) -> None:
    assert CVRF is not None
    documents = tmp_path / "cvrf"
    documents.mkdir()
    shutil.copy(CVRF / "cvrfDocument-2018-Dec.xml", documents)
    cache = tmp_path / "cache"
    expected = load_catalog(documents, cache).documents["2018-Dec"].as_dict()
    (cache / "2018-Dec.r8.json").write_text("{truncated", encoding="utf-8")
    assert load_catalog(documents, cache).documents["2018-Dec"].as_dict() == expected
    assert json.loads((cache / "2018-Dec.r8.json").read_text())["id"] == "2018-Dec"
