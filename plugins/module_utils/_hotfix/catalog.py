# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The security update catalog: every monthly document of a directory, with a cache.

Documents placed in a directory are enough (offline first). Each one is read once: its
normalised table is cached as JSON under the cache directory, named by document id and
revision (``2022-Jan.r7.json``), and an index maps the source file's SHA-256 to that
entry, so a later run reads the small JSON instead of the 1–3 MB XML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import write_atomically
from .cvrf import CvrfError, Fix, UpdateDocument, parse_document

DOCUMENT_SUFFIXES = (".xml", ".json")
CACHE_FORMAT = 1
_INDEX = "index.json"


class DocumentCache:
    """Normalised documents on the controller, keyed by document id and revision."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._index: dict[str, str] | None = None

    def _load_index(self) -> dict[str, str]:
        if self._index is None:
            try:
                data = json.loads((self.directory / _INDEX).read_text(encoding="utf-8"))
                self._index = {str(k): str(v) for k, v in data.get("documents", {}).items()} if data.get("format") == CACHE_FORMAT else {}
            except (OSError, ValueError, AttributeError):
                self._index = {}
        return self._index

    def get(self, digest: str) -> UpdateDocument | None:
        """The cached document for a source file's SHA-256, or None (a damaged entry is a miss)."""
        name = self._load_index().get(digest)
        if name is None:
            return None
        try:
            return UpdateDocument.from_dict(json.loads((self.directory / name).read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, digest: str, document: UpdateDocument) -> None:
        name = f"{document.id}.r{document.revision}.json"
        write_atomically(self.directory / name, json.dumps(document.as_dict(), separators=(",", ":")).encode("utf-8"))
        index = self._load_index()
        index[digest] = name
        write_atomically(self.directory / _INDEX, json.dumps({"format": CACHE_FORMAT, "documents": index}, indent=1, sort_keys=True).encode("utf-8"))


def read_document(path: Path, cache: DocumentCache | None = None) -> UpdateDocument:
    """One document file, through the cache when one is given."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CvrfError(f"{path}: cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    if cache is not None:
        cached = cache.get(digest)
        if cached is not None:
            return cached
    document = parse_document(data, str(path))
    if cache is not None:
        with contextlib.suppress(OSError):
            cache.put(digest, document)
    return document


@dataclass
class UpdateCatalog:
    """Every document's fixes, indexed by product, with the supersedence graph."""

    documents: dict[str, UpdateDocument] = field(default_factory=dict)
    by_product: dict[str, list[tuple[UpdateDocument, Fix]]] = field(default_factory=dict)
    superseded_by: dict[str, set[str]] = field(default_factory=dict)
    """KB -> the KBs that directly replace it."""
    _closure: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_documents(cls, documents: Iterable[UpdateDocument]) -> UpdateCatalog:
        catalog = cls()
        for document in sorted(documents, key=lambda d: (d.released, d.id)):
            if document.id in catalog.documents:
                previous = catalog.documents[document.id]
                raise CvrfError(f"document {document.id} is given twice (revisions {previous.revision} and {document.revision}); keep one file per month")
            catalog.documents[document.id] = document
            for fix in document.fixes:
                catalog.by_product.setdefault(fix.product_id, []).append((document, fix))
                for old in fix.supersedes:
                    catalog.superseded_by.setdefault(old, set()).add(fix.kb)
        return catalog

    @property
    def product_names(self) -> dict[str, str]:
        """Product id -> name, the newest document's spelling winning."""
        names: dict[str, str] = {}
        for document in self.documents.values():
            names.update(document.products)
        return names

    def superseders(self, kb: str) -> frozenset[str]:
        """Every KB that replaces ``kb``, directly or through a chain across documents."""
        found = self._closure.get(kb)
        if found is None:
            seen: set[str] = set()
            pending = list(self.superseded_by.get(kb, ()))
            while pending:
                newer = pending.pop()
                if newer not in seen and newer != kb:
                    seen.add(newer)
                    pending.extend(self.superseded_by.get(newer, ()))
            found = self._closure[kb] = frozenset(seen)
        return found

    def summary(self) -> list[dict[str, Any]]:
        return [
            {"id": d.id, "revision": d.revision, "released": d.released.isoformat(), "fixes": len(d.fixes), "products": len(d.products)}
            for d in self.documents.values()
        ]


def load_catalog(directory: str | Path, cache_directory: str | Path | None = None) -> UpdateCatalog:
    """Every ``.xml`` and ``.json`` document in ``directory`` (not recursive)."""
    root = Path(directory)
    if not root.is_dir():
        raise CvrfError(f"{root}: the security update directory does not exist; put the MSRC CVRF documents (XML or JSON) there")
    paths = sorted(p for p in root.iterdir() if p.is_file() and p.suffix.casefold() in DOCUMENT_SUFFIXES)
    if not paths:
        raise CvrfError(f"{root}: no security update documents (*.xml, *.json) in the directory")
    cache = DocumentCache(cache_directory) if cache_directory else None
    return UpdateCatalog.from_documents(read_document(path, cache) for path in paths)
