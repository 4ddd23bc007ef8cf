# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The evidence bundle of one host: where its IIS logs are, which of them cover a time window,
the tree digest that shows a snapshot was not modified, and the ``manifest.sha256`` that
``sha256sum -c`` verifies.

Bundle layout (``<report dir>/evidence/<UTC timestamp>/<host>/``)::

    snapshot/          the host's state as a snapshot (files/, state.yml, its own manifest.sha256)
    logs/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log    IIS logs of the window, by Windows path
    processes.json     running processes and listening ports (or why they are not available)
    integrity.json     verification against the signed baseline (when configured)
    hotfix.json        hotfix compliance (when MSRC documents are configured)
    evidence.json      who, when, the window, what was collected, and what was not
    manifest.sha256    SHA-256 of every other file, for ``sha256sum -c manifest.sha256``
"""

from __future__ import annotations

import datetime
import hashlib
import re
from pathlib import Path
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import expand, normalize
from ansible_collections.hardened.iis.plugins.module_utils._paths import PathEscapeError, file_parts
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import BACKUPS

MANIFEST = "manifest.sha256"
DEFAULT_LOG_DIRECTORY = "%SystemDrive%\\inetpub\\logs\\LogFiles"
_LOG_NAME = re.compile(r"^u_(?:ex|in|nc)(\d{2})(\d{2})(\d{2})?(\d{2})?\.log$", re.IGNORECASE)
_SITE_PREDICATE = "site[@name={quoted}]/logFile"


class EvidenceError(HardenedIisError, ValueError):
    """Evidence cannot be collected as asked (a time, a path, the bundle's folder); the message says which."""


def parse_time(value: Any, name: str) -> datetime.datetime:
    """An ISO 8601 time (``2026-11-19T08:00:00Z``; without a zone it is UTC) as an aware UTC datetime."""
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise EvidenceError(f"{name}: {text!r} is not an ISO 8601 time such as 2026-11-19T08:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def window(since: Any, until: Any) -> tuple[datetime.datetime, datetime.datetime]:
    start, end = parse_time(since, "evidence_since"), parse_time(until, "evidence_until")
    if start >= end:
        raise EvidenceError(f"evidence_since ({start.isoformat()}) must be before evidence_until ({end.isoformat()})")
    return start, end


def log_directories(state: HostState) -> list[dict[str, str]]:
    """Each site's log folder (``<logFile directory>\\W3SVC<id>``), from its effective configuration."""
    configuration = state.configuration
    server = configuration.server()
    found: dict[str, dict[str, str]] = {}
    for site in configuration.sites:
        quoted = f'"{site.name}"' if "'" in site.name else f"'{site.name}'"
        element = server.section("system.applicationHost/sites").element(_SITE_PREDICATE.format(quoted=quoted))
        directory = element.value("directory") or DEFAULT_LOG_DIRECTORY
        folder = normalize(expand(directory, state.environment) + f"\\W3SVC{site.id or ''}")
        found.setdefault(folder.casefold(), {"site": site.name, "format": element.value("logFormat") or "W3C", "directory": folder})
    central = server.section("system.applicationHost/log")
    if (central.value("centralLogFileMode") or "").casefold() == "centralw3c":
        directory = central.child("centralW3CLogFile").value("directory") or DEFAULT_LOG_DIRECTORY
        folder = normalize(expand(directory, state.environment) + "\\W3SVC")
        found.setdefault(folder.casefold(), {"site": "(central W3C log)", "format": "W3C", "directory": folder})
    return list(found.values())


def name_span(name: str) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The period an IIS log file's name says it covers (``u_exYYMMDD.log`` daily, ``u_exYYMMDDHH.log`` hourly, ``u_exYYMM.log`` monthly)."""
    match = _LOG_NAME.match(name)
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    day, hour = (int(g) if g is not None else None for g in match.groups()[2:])
    try:
        if day is None:
            start = datetime.datetime(2000 + year, month, 1, tzinfo=datetime.UTC)
            end = datetime.datetime(2000 + year + (month == 12), month % 12 + 1, 1, tzinfo=datetime.UTC)
        elif hour is None:
            start = datetime.datetime(2000 + year, month, day, tzinfo=datetime.UTC)
            end = start + datetime.timedelta(days=1)
        else:
            start = datetime.datetime(2000 + year, month, day, hour, tzinfo=datetime.UTC)
            end = start + datetime.timedelta(hours=1)
    except ValueError:
        return None
    return start, end - datetime.timedelta(microseconds=1)


def w3c_span(content: bytes) -> tuple[datetime.datetime, datetime.datetime] | None:
    """The first and last request time of a W3C log (its ``date`` and ``time`` fields, UTC)."""
    fields: list[str] = []
    first: datetime.datetime | None = None
    last: datetime.datetime | None = None
    for raw in content.decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lower().startswith("#fields:"):
                fields = line.split(":", 1)[1].split()
            continue
        if "date" not in fields or "time" not in fields:
            continue
        values = line.split()
        if len(values) != len(fields):
            continue
        try:
            moment = datetime.datetime.fromisoformat(f"{values[fields.index('date')]}T{values[fields.index('time')]}").replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
        first = moment if first is None or moment < first else first
        last = moment if last is None or moment > last else last
    return (first, last) if first is not None and last is not None else None


def found_logs(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log candidates for :func:`select_logs` from the files ``ansible.windows.win_find`` returns."""
    return [
        {"path": f["path"], "name": f.get("filename") or "", "created": f.get("creationtime"), "modified": f.get("lastwritetime"), "size": f.get("size")}
        for f in files
        if not f.get("isdir")
    ]


def select_logs(files: list[dict[str, Any]], since: Any, until: Any) -> list[dict[str, Any]]:
    """The log files that cover part of the window, each with the span that decided it.

    A file is ``{path, name}`` with, when known, ``created`` and ``modified`` (epoch seconds, as
    ``ansible.windows.win_find`` returns them) or ``span`` (the first and last request time, read
    from a W3C log's content). The span comes from the content, else the file's name (daily,
    hourly, monthly files) cut at its last write, else its creation and last write times; a file
    whose span is unknown is kept, so nothing that might matter is left out.
    """
    start, end = window(since, until)
    chosen = []
    for entry in files:
        name = str(entry.get("name") or str(entry.get("path", "")).replace("\\", "/").rsplit("/", 1)[-1])
        span: tuple[datetime.datetime, datetime.datetime] | None = None
        basis = "content"
        if entry.get("span"):
            span = (parse_time(entry["span"][0], "span"), parse_time(entry["span"][1], "span"))
        else:
            span, basis = name_span(name), "name"
            modified = _epoch(entry.get("modified"))
            if span is not None and modified is not None:
                span = (span[0], min(span[1], modified))
            elif span is None and modified is not None:
                created = _epoch(entry.get("created")) or modified
                span, basis = (min(created, modified), modified), "file times"
        if span is None:
            chosen.append({**entry, "name": name, "covers": None, "reason": "time span unknown: kept"})
        elif span[0] <= end and span[1] >= start:
            chosen.append({**entry, "name": name, "covers": [span[0].isoformat(), span[1].isoformat()], "reason": f"overlaps the window ({basis})"})
    return chosen


def _epoch(value: Any) -> datetime.datetime | None:
    if value is None or value == "":
        return None
    try:
        return datetime.datetime.fromtimestamp(float(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def bundle_path(windows_path: str) -> str:
    """Where a host file goes in the bundle's ``logs/``: ``C:\\inetpub\\x.log`` -> ``C/inetpub/x.log`` (confined: ``_paths``)."""
    try:
        return "/".join(file_parts(windows_path))
    except PathEscapeError as exc:
        raise EvidenceError(f"{windows_path!r} is not an absolute Windows path a bundle can hold ({exc})") from None


def tree_digest(root: Path) -> dict[str, Any]:
    """SHA-256 over every file of a directory tree (relative path and content), backups left out."""
    digest = hashlib.sha256()
    count = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and BACKUPS not in p.relative_to(root).parts):
        digest.update(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}\n".encode())
        count += 1
    return {"sha256": digest.hexdigest(), "files": count}


def write_manifest(root: Path) -> dict[str, str]:
    """Write ``manifest.sha256`` (``sha256sum`` format) for every other file under ``root``; returns it."""
    entries = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != MANIFEST
    }
    for name in entries:
        if "\n" in name or "\\" in name:
            raise EvidenceError(f"{root}: {name!r} cannot be named in a sha256sum manifest")
    (root / MANIFEST).write_text("".join(f"{digest}  {name}\n" for name, digest in entries.items()), encoding="utf-8")
    return entries
