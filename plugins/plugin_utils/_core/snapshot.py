# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Host snapshots on disk: write one from a gather result, with a SHA-256 manifest, and verify it.

Layout (docs/host-state.md): ``files/<drive>/<path>``, ``state.yml`` and
``manifest.sha256`` (``sha256sum`` format: ``<hex>  <relative path>``), so a snapshot
kept as evidence can be checked with ``sha256sum -c`` as well as here.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.hardened.iis.plugins.module_utils._paths import PathEscapeError, confined_path, file_parts

from .errors import HostStateError
from .hoststate import gathered_files, probed_paths, state_from_gather

MANIFEST = "manifest.sha256"


def _relative(path: str, host: str) -> str:
    """Where a gathered file goes in the snapshot; a path that could leave it is refused (``_paths.file_parts``)."""
    try:
        return "/".join(["files", *file_parts(path)])
    except PathEscapeError as exc:
        raise HostStateError(f"{host}: gathered file refused: {exc}") from None


def snapshot_content(result: dict[str, Any], host: str) -> dict[str, bytes]:
    """The files of a snapshot (relative path -> bytes) for a gather result; checks it first."""
    state_from_gather(result, host)
    files = gathered_files(result, host)
    content = {_relative(path, host): data for path, data in files.items()}
    state = dict(result.get("state") or {})
    # Paths the gather found (probes) but did not read: kept so an offline audit sees them exist.
    collected = {p.casefold() for p in files}
    present = sorted(p for p in probed_paths(result, host) | set(state.get("present_paths") or []) if p.casefold() not in collected)
    for path in present:
        _relative(path, host)
    if present:
        state["present_paths"] = present
    content["state.yml"] = ("---\n" + yaml.safe_dump(state, sort_keys=True, allow_unicode=True)).encode("utf-8")
    return content


def manifest_of(content: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in sorted(content.items())}


def write_snapshot(content: dict[str, bytes], dest: Path, check_mode: bool = False) -> tuple[bool, dict[str, str]]:
    """Write the snapshot atomically (a new directory swapped in); (changed, manifest)."""
    manifest = manifest_of(content)
    manifest_text = "".join(f"{digest}  {name}\n" for name, digest in manifest.items()).encode("utf-8")
    existing = dest / MANIFEST
    if existing.is_file() and existing.read_bytes() == manifest_text and verify_snapshot(dest) == []:
        return False, manifest
    if check_mode:
        return True, manifest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    for name, data in content.items():
        target = confined_path(staging, name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (staging / MANIFEST).write_bytes(manifest_text)
    if dest.exists():
        retired = dest.with_name(f".{dest.name}.old")
        shutil.rmtree(retired, ignore_errors=True)
        dest.rename(retired)
        staging.rename(dest)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.rename(dest)
    return True, manifest


def verify_snapshot(dest: Path) -> list[str]:
    """Problems with a snapshot against its manifest (changed, missing or extra files)."""
    manifest_file = dest / MANIFEST
    if not manifest_file.is_file():
        return [f"{dest}: no {MANIFEST}"]
    expected: dict[str, str] = {}
    for number, line in enumerate(manifest_file.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _sep, name = line.partition("  ")
        if len(digest) != 64 or not name:
            return [f"{manifest_file}:{number}: not a sha256sum line"]
        expected[name] = digest
    problems = []
    present = {str(p.relative_to(dest)).replace("\\", "/") for p in dest.rglob("*") if p.is_file() and p.name != MANIFEST}
    for name, digest in expected.items():
        path = dest / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: changed (SHA-256 differs from the manifest)")
    problems.extend(f"{name}: not in the manifest" for name in sorted(present - set(expected)))
    return problems
