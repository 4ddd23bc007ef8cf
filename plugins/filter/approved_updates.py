# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The approved-updates archive: validate its manifest and choose the updates of a stage.

A manifest is a list of entries (or a mapping whose ``updates`` key holds that list), each
``{kb, title, products, file, sha256, approved_on, tested_in, promoted_on}``. Every entry
may be installed at the ``test`` stage; at ``production`` only the entries that carry
``promoted_on``. The entries come back normalised (``KB`` numbers, lower-case hashes, ISO
dates, ``promoted_on`` null when absent), in the manifest's order.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFactsError, normalize_kb

STAGES = ("test", "production")
REQUIRED_KEYS = ("kb", "title", "products", "file", "sha256", "approved_on", "tested_in")
OPTIONAL_KEYS = ("promoted_on",)
KEYS = REQUIRED_KEYS + OPTIONAL_KEYS
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_URL = re.compile(r"^https?://", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_URL_SAFE = "/%:@!$&'()*+,;=-._~"


ManifestError = AnsibleFilterError
"""Raised when the manifest is malformed; the message names the entry index and key."""


def _where(index: int, key: str) -> str:
    return f"approved_updates: entry {index} ({key})"


def _text(value: Any, index: int, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{_where(index, key)}: expected a non-empty string, got {value!r}")
    return value.strip()


def _names(value: Any, index: int, key: str, allow_empty: bool) -> list[str]:
    if value is None and allow_empty:
        return []
    if not isinstance(value, list):
        raise ManifestError(f"{_where(index, key)}: expected a list of names, got {type(value).__name__}")
    if not value and not allow_empty:
        raise ManifestError(f"{_where(index, key)}: expected at least one name")
    return [_text(item, index, key) for item in value]


def _date(value: Any, index: int, key: str) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ManifestError(f"{_where(index, key)}: {value!r} is not a date (YYYY-MM-DD)")


def _file(value: Any, index: int) -> str:
    text = _text(value, index, "file")
    if _URL.match(text):
        if not urlsplit(text).netloc:
            raise ManifestError(f"{_where(index, 'file')}: {text!r} is a URL without a host")
        return text
    if text.startswith(("/", "\\")) or _DRIVE.match(text):
        raise ManifestError(f"{_where(index, 'file')}: {text!r} must be relative to the archive root or an http(s) URL")
    if ".." in re.split(r"[\\/]", text):
        raise ManifestError(f"{_where(index, 'file')}: {text!r} must not leave the archive root (..)")
    return text


def _entry(raw: Any, index: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ManifestError(f"approved_updates: entry {index} is not a mapping but {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in KEYS)
    if unknown:
        raise ManifestError(f"approved_updates: entry {index} has unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
    missing = [k for k in REQUIRED_KEYS if k not in raw]
    if missing:
        raise ManifestError(f"approved_updates: entry {index} lacks {', '.join(missing)}")
    try:
        kb = normalize_kb(raw["kb"], _where(index, "kb"))
    except HostFactsError as exc:
        raise ManifestError(str(exc)) from None
    sha256 = raw["sha256"]
    if not isinstance(sha256, str) or not _SHA256.match(sha256.strip()):
        hint = "" if isinstance(sha256, str) else "; quote it in YAML"
        raise ManifestError(f"{_where(index, 'sha256')}: {sha256!r} is not a SHA-256 digest (64 hexadecimal characters){hint}")
    approved_on = _date(raw["approved_on"], index, "approved_on")
    promoted_on = None if raw.get("promoted_on") in (None, "") else _date(raw["promoted_on"], index, "promoted_on")
    if promoted_on is not None and promoted_on < approved_on:
        raise ManifestError(f"{_where(index, 'promoted_on')}: {promoted_on} is before approved_on {approved_on}")
    return {
        "kb": kb,
        "title": _text(raw["title"], index, "title"),
        "products": _names(raw["products"], index, "products", allow_empty=False),
        "file": _file(raw["file"], index),
        "sha256": sha256.strip().lower(),
        "approved_on": approved_on,
        "tested_in": _names(raw["tested_in"], index, "tested_in", allow_empty=True),
        "promoted_on": promoted_on,
    }


def _entries(manifest_data: Any) -> list[Any]:
    if isinstance(manifest_data, dict):
        unknown = sorted(str(k) for k in manifest_data if k != "updates")
        if unknown or "updates" not in manifest_data:
            raise ManifestError(f"approved_updates: a manifest mapping holds one key, updates (found: {', '.join(map(str, manifest_data)) or 'none'})")
        manifest_data = manifest_data["updates"]
    if manifest_data is None:
        return []
    if not isinstance(manifest_data, list):
        raise ManifestError(f"approved_updates expects the manifest's list of updates, not {type(manifest_data).__name__}")
    return manifest_data


def _location(entry: dict[str, Any], index: int, archive_root: str) -> dict[str, str]:
    """Where the host fetches the entry's file from, how, and the file's name."""
    file = str(entry["file"])
    root = archive_root.strip()
    if _URL.match(file):
        source = file
    elif not root:
        raise ManifestError(f"{_where(index, 'file')}: {file!r} is relative but no archive root is set")
    elif _URL.match(root):
        source = root.rstrip("/") + "/" + quote(file.replace("\\", "/").lstrip("/"), safe=_URL_SAFE)
    else:
        source = root.rstrip("\\/") + "\\" + file.replace("/", "\\")
    if _URL.match(source):
        name = unquote(urlsplit(source).path.rstrip("/").rsplit("/", 1)[-1])
        transfer = "download"
    else:
        name = source.rsplit("\\", 1)[-1]
        transfer = "copy"
    if not name:
        raise ManifestError(f"{_where(index, 'file')}: {file!r} names no file")
    return {"source": source, "transfer": transfer, "filename": name}


def approved_updates(manifest_data: Any, stage: str = "test", archive_root: str | None = None) -> list[dict[str, Any]]:
    """The valid entries usable at ``stage``; with ``archive_root``, each with source, transfer and filename."""
    if stage not in STAGES:
        raise ManifestError(f"approved_updates: stage must be one of {', '.join(STAGES)}, not {stage!r}")
    entries: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    filenames: dict[str, int] = {}
    for index, raw in enumerate(_entries(manifest_data)):
        entry = _entry(raw, index)
        if entry["kb"] in first_index:
            raise ManifestError(f"{_where(index, 'kb')}: {entry['kb']} is listed twice (entries {first_index[entry['kb']]} and {index})")
        first_index[entry["kb"]] = index
        if archive_root is not None:
            entry.update(_location(entry, index, archive_root))
            folded = entry["filename"].casefold()
            if folded in filenames:
                raise ManifestError(f"{_where(index, 'file')}: file name {entry['filename']!r} is also used by entry {filenames[folded]}")
            filenames[folded] = index
        if stage == "test" or entry["promoted_on"] is not None:
            entries.append(entry)
    return entries


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"approved_updates": approved_updates}
