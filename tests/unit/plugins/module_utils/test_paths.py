# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Path confinement: hostile host paths never read or write a byte outside their root."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import SnapshotFiles
from ansible_collections.hardened.iis.plugins.module_utils._paths import PathEscapeError, confined_path, file_parts, windows_parts
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.snapshot import snapshot_content, write_snapshot

SEGMENTS = st.sampled_from(["..", ".", "...", ".. ", " ..", "x", "web.config", "a b", "C:", "c$", "NUL", "con.txt", "x:y", "?", "*", "\x00", "", " ", "~1"])
SEPARATORS = st.sampled_from(["\\", "/", "\\\\", "//", "\\/"])
PREFIXES = st.sampled_from(["C:\\", "c:/", "C:", "\\\\?\\C:\\", "\\\\.\\C:\\", "\\\\server\\share\\", "\\", "/", "", "..\\", "D:\\x\\", "C:\\inetpub\\"])


@st.composite
def hostile_paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(SEGMENTS | st.text(min_size=1, max_size=6), min_size=0, max_size=8))
    separators = draw(st.lists(SEPARATORS, min_size=len(segments), max_size=len(segments)))
    return draw(PREFIXES) + "".join(s + sep for s, sep in zip(segments, separators, strict=True))


def digest_of(folder: Path) -> str:
    listing = sorted(f"{p.relative_to(folder)} {hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else 'dir'}" for p in folder.rglob("*"))
    return hashlib.sha256("\n".join(listing).encode()).hexdigest()


@given(hostile_paths())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_canonical_path_has_only_plain_segments(path: str) -> None:
    try:
        drive, parts = windows_parts(path)
    except PathEscapeError:
        return
    assert drive.isalpha() and len(drive) == 1
    for part in parts:
        assert part not in ("", ".", "..") and "\\" not in part and "/" not in part and ":" not in part and "\x00" not in part
        assert part == part.rstrip(" .")


@given(hostile_paths())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_byte_of_a_gathered_snapshot_is_written_outside_it(tmp_path_factory: pytest.TempPathFactory, path: str) -> None:
    """The controller writes a compromised host's gather result: whatever the path, nothing lands outside the snapshot."""
    base = tmp_path_factory.mktemp("confinement")
    outside = base / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_bytes(b"mine")
    before = digest_of(base)
    result = {"files": [{"path": path, "content": base64.b64encode(b"PWNED").decode()}], "state": {}}
    try:
        content = snapshot_content(result, "web01")
    except HostStateError:
        assert digest_of(base) == before
        return
    write_snapshot(content, base / "snapshots" / "web01")
    written = [p for p in base.rglob("*") if p.is_file() and p.read_bytes() == b"PWNED"]
    assert written and all(p.resolve().is_relative_to((base / "snapshots" / "web01" / "files").resolve()) for p in written)
    assert (outside / "keep.txt").read_bytes() == b"mine" and sorted(p.name for p in outside.iterdir()) == ["keep.txt"]


def test_a_symbolic_link_on_the_way_is_never_followed(tmp_path: Path) -> None:
    root = tmp_path / "files"
    (root / "C").mkdir(parents=True)
    secret = tmp_path / "elsewhere"
    secret.mkdir()
    (root / "C" / "inetpub").symlink_to(secret, target_is_directory=True)
    with pytest.raises(PathEscapeError, match="symbolic link"):
        confined_path(root, file_parts("C:\\inetpub\\web.config"))
    with pytest.raises(PathEscapeError, match="not a single path segment"):
        confined_path(root, ["C", "..", "x"])


@given(hostile_paths())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_byte_outside_a_snapshot_is_read_through_a_host_path(tmp_path_factory: pytest.TempPathFactory, path: str) -> None:
    """The audit reads what a host path names in a snapshot: whatever the path, only the snapshot's own files answer."""
    base = tmp_path_factory.mktemp("reading")
    (base / "secret.txt").write_bytes(b"OUTSIDE")
    (base / "outside").mkdir()
    (base / "outside" / "web.config").write_bytes(b"OUTSIDE")
    files = base / "snapshot" / "files"
    (files / "C" / "inetpub").mkdir(parents=True)
    (files / "C" / "inetpub" / "web.config").write_bytes(b"inside")
    (files / "C" / "linked").symlink_to(base / "outside", target_is_directory=True)
    (files / "C" / "secret.txt").symlink_to(base / "secret.txt")
    snapshot = SnapshotFiles(files)
    found = snapshot.resolve(path)
    if found is not None:
        assert found.is_relative_to(files) and not any(p.is_symlink() for p in [found, *found.parents] if p.is_relative_to(files))
    assert snapshot.read(path) in (None, b"inside")
    assert all(snapshot.read(p) == b"inside" for p, _local in snapshot.all_files())
    assert snapshot.read(path.replace("inetpub", "linked")) in (None, b"inside")
    assert snapshot.read("C:\\secret.txt") is None and snapshot.read("C:\\linked\\web.config") is None
