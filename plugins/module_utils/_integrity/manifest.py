# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""File-integrity manifests: one row per file system entry, compact on the wire.

A row is ``[path, type, size, mtime_ns, hash, attributes, owner, acl, target]``:

* ``type``: ``file``, ``directory``, ``symlink`` or ``junction`` (Windows reparse point);
* ``hash``: the hex digest of a file's content (``None`` for other types, or unreadable);
* ``attributes``: Windows ``R``/``H``/``S`` letters, POSIX the permission bits in octal (``0644``);
* ``owner``: Windows the owner account, POSIX ``uid:gid``;
* ``acl``: Windows SHA-256 of the SDDL, POSIX the POSIX ACL text's SHA-256 when one exists (else ``None``);
* ``target``: a link's target.

Both capture modules (``integrity_capture.ps1`` and ``integrity_capture.py``) return the rows as
base64 of gzip of a JSON array (``rows_gz``); names with any bytes travel as surrogate-escaped
strings (``os.fsdecode``). On Windows, paths compare without case.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import zlib
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Tuple  # noqa: UP035

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused

FORMAT = "hardened.iis/manifest/v1"
FIELDS = ("path", "type", "size", "mtime_ns", "hash", "attributes", "owner", "acl", "target")
TYPES = ("file", "directory", "symlink", "junction")
ALGORITHMS = ("sha256", "sha512", "blake2b")

# typing.Tuple: the module may run on a target's Python older than 3.9. Tuples, not lists: the
# garbage collector stops tracking tuples of plain values, so a million of them cost it nothing.
Row = Tuple[Any, ...]  # noqa: UP006


class ManifestError(HardenedIisError, ValueError):
    """A manifest or capture result is malformed; the message names where."""


def encode_rows(rows: Any) -> str:
    """Rows (or any JSON data) as base64 of gzip of compact JSON (surrogate escapes kept as \\udcxx)."""
    return base64.b64encode(gzip.compress(json.dumps(rows, separators=(",", ":")).encode("ascii"), compresslevel=6)).decode("ascii")


def load_gzip_json(data: bytes) -> Any:
    """JSON from gzip bytes (zlib directly: faster than the gzip module for large data)."""
    with gc_paused():
        return json.loads(zlib.decompress(data, 16 + zlib.MAX_WBITS))


def decode_rows(text: str, where: str) -> list[list[Any]]:
    try:
        rows = load_gzip_json(base64.b64decode(text, validate=True))
    except (ValueError, zlib.error) as exc:
        raise ManifestError(f"{where}: rows_gz is not base64 gzip JSON ({exc})") from None
    if not isinstance(rows, list):
        raise ManifestError(f"{where}: rows_gz must hold a JSON array")
    return rows


def glob_pattern(patterns: list[str], case_insensitive: bool) -> re.Pattern[str] | None:
    """One regex for path globs: ``*`` and ``?`` stay inside a path segment, ``**`` crosses segments."""
    if not patterns:
        return None
    parts = []
    for pattern in patterns:
        text = pattern.replace("\\", "/")
        out = []
        index = 0
        while index < len(text):
            if text.startswith("**", index):
                out.append(".*")
                index += 2
            elif text[index] == "*":
                out.append("[^/]*")
                index += 1
            elif text[index] == "?":
                out.append("[^/]")
                index += 1
            else:
                out.append(re.escape(text[index]))
                index += 1
        parts.append("".join(out))
    return re.compile("^(?:" + "|".join(parts) + ")$", re.IGNORECASE | re.DOTALL if case_insensitive else re.DOTALL)


def path_key(path: str, case_insensitive: bool) -> str:
    """The key a path compares by: '/' separators, and casefolded on Windows."""
    key = path.replace("\\", "/") if case_insensitive else path
    return key.casefold() if case_insensitive else key


def _raise_bad_row(rows: list[Any]) -> None:
    for index, row in enumerate(rows):
        if not isinstance(row, (list, tuple)) or len(row) != len(FIELDS) or not isinstance(row[0], str):
            raise ManifestError(f"row {index}: expected [{', '.join(FIELDS)}]")
        if row[1] not in TYPES:
            raise ManifestError(f"row {index} ({row[0]!r}): type {row[1]!r} is not one of {', '.join(TYPES)}")


@dataclass
class Manifest:
    """Every entry of a capture, by path key."""

    platform: str
    algorithm: str
    case_insensitive: bool
    roots: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    entries: dict[str, Row] = field(default_factory=dict)

    @classmethod
    def from_rows(
        cls, rows: list[Any], platform: str, algorithm: str, case_insensitive: bool, roots: list[str], exclude: list[str], trusted: bool = False
    ) -> Manifest:
        """The manifest of rows; ``trusted`` rows (a signed baseline this collection wrote) skip the checks."""
        manifest = cls(platform, algorithm, case_insensitive, list(roots), list(exclude))
        # Checked and indexed in bulk (a million rows): only a bad row is looked for one by one.
        width = len(FIELDS)
        if not trusted and (
            not all(isinstance(row, (list, tuple)) and len(row) == width and isinstance(row[0], str) for row in rows)
            or not set(map(itemgetter(1), rows)) <= set(TYPES)
        ):
            _raise_bad_row(rows)
        paths = map(itemgetter(0), rows)
        keys = (path_key(p, True) for p in paths) if case_insensitive else paths
        manifest.entries = dict(zip(keys, rows if trusted else map(tuple, rows)))  # noqa: B905 - targets may lack strict=
        return manifest

    @classmethod
    def from_capture(cls, result: dict[str, Any], where: str) -> Manifest:
        """The manifest of an integrity_capture result."""
        data = result.get("manifest")
        if not isinstance(data, dict) or data.get("format") != FORMAT or "rows_gz" not in data:
            raise ManifestError(f"{where}: not an integrity_capture result (no manifest of format {FORMAT})")
        with gc_paused():
            return cls.from_rows(
                decode_rows(str(data["rows_gz"]), where),
                str(data.get("platform", "posix")),
                str(data.get("algorithm", "sha256")),
                bool(data.get("case_insensitive", False)),
                [str(r) for r in data.get("roots") or []],
                [str(e) for e in data.get("exclude") or []],
            )

    def rows(self) -> list[Row]:
        return [self.entries[key] for key in sorted(self.entries)]

    def header(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "platform": self.platform,
            "algorithm": self.algorithm,
            "case_insensitive": self.case_insensitive,
            "roots": self.roots,
            "exclude": self.exclude,
            "count": len(self.entries),
        }

    def previous(self) -> dict[str, list[Any]]:
        """What incremental capture needs: path -> [size, mtime_ns, hash] of every file with a hash."""
        return {row[0]: [row[2], row[3], row[4]] for row in self.entries.values() if row[1] == "file" and row[4]}


def matches(pattern: re.Pattern[str] | None, path: str) -> bool:
    return bool(pattern and pattern.match(path.replace("\\", "/")))
