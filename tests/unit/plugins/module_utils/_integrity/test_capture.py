# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""POSIX capture and comparison on real trees made in the test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._integrity.capture import Capture
from ansible_collections.hardened.iis.plugins.module_utils._integrity.compare import Comparison, parse_policy
from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import Manifest, ManifestError, decode_rows, encode_rows

SHA256SUM = shutil.which("sha256sum")


def manifest_of(root: Path, **options: Any) -> tuple[Manifest, Capture]:
    capture = Capture([str(root)], **options)
    rows = capture.run()
    return Manifest.from_rows(decode_rows(encode_rows(rows), "test"), "posix", capture.algorithm, False, [str(root)], []), capture


def make_tree(root: Path) -> None:
    (root / "conf").mkdir(parents=True)
    (root / "conf" / "web.config").write_text("<configuration/>\n")
    (root / "conf" / "app.ini").write_text("debug = false\n")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_bytes(b"\x7fELF" + bytes(range(256)) * 64)
    (root / "bin" / "tool").chmod(0o755)
    (root / "empty").write_bytes(b"")
    (root / "caf\u00e9 \u65e5\u672c").write_text("unicode\n")
    (root / "line\nbreak").write_text("newline in the name\n")
    (root / "link-to-config").symlink_to("conf/web.config")
    (root / "loop-a").symlink_to("loop-b")
    (root / "loop-b").symlink_to("loop-a")
    (root / "conf" / "up").symlink_to("..")  # a directory link back up: never followed


def test_every_entry_is_recorded_with_its_facts_and_links_are_not_followed(tmp_path: Path) -> None:
    make_tree(tmp_path / "t")
    os.mkfifo(tmp_path / "t" / "fifo")
    manifest, capture = manifest_of(tmp_path / "t")
    rows = {Path(r[0]).relative_to(tmp_path / "t").as_posix(): r for r in manifest.entries.values() if r[0] != str(tmp_path / "t")}
    assert sorted(rows) == sorted(
        [
            "conf",
            "conf/web.config",
            "conf/app.ini",
            "conf/up",
            "bin",
            "bin/tool",
            "empty",
            "caf\u00e9 \u65e5\u672c",
            "line\nbreak",
            "link-to-config",
            "loop-a",
            "loop-b",
        ]
    )
    tool = rows["bin/tool"]
    assert (tool[1], tool[2], tool[5]) == ("file", 4 + 256 * 64, "0755")
    assert tool[6] == f"{os.getuid()}:{os.getgid()}"
    assert rows["link-to-config"][1:] == (
        "symlink",
        0,
        rows["link-to-config"][3],
        None,
        rows["link-to-config"][5],
        rows["link-to-config"][6],
        None,
        "conf/web.config",
    )
    assert rows["conf/up"][1] == "symlink" and rows["conf/up"][8] == ".."
    assert rows["empty"][4] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert capture.stats["files"] == 6 and capture.stats["hashed"] == 6
    assert capture.unreadable_count == 0


@pytest.mark.skipif(SHA256SUM is None, reason="sha256sum is not installed")
def test_hashes_agree_with_sha256sum(tmp_path: Path) -> None:
    make_tree(tmp_path / "t")
    manifest, _capture = manifest_of(tmp_path / "t")
    files = [r for r in manifest.entries.values() if r[1] == "file" and "\n" not in r[0]]
    assert SHA256SUM is not None
    output = subprocess.run([SHA256SUM, *(r[0] for r in files)], capture_output=True, text=True, check=True).stdout
    expected = {line[66:]: line[:64] for line in output.splitlines()}
    assert {r[0]: r[4] for r in files} == expected


def test_names_with_any_bytes_survive_the_round_trip(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    raw = os.fsencode(str(root)) + b"/bad-\xff\xfe-name"
    with open(raw, "wb") as stream:  # noqa: PTH123 - a bytes path pathlib cannot name
        stream.write(b"x")
    manifest, _capture = manifest_of(root)
    paths = [os.fsencode(r[0]) for r in manifest.entries.values()]
    assert raw in paths


@pytest.mark.skipif(SHA256SUM is None, reason="sha256sum is not installed")
def test_a_two_gigabyte_sparse_file_is_hashed_like_sha256sum_does(tmp_path: Path) -> None:
    root = tmp_path / "t"
    root.mkdir()
    with (root / "sparse.img").open("wb") as stream:
        stream.truncate(2 * 1024**3)
        stream.seek(1024**3)
        stream.write(b"middle")
    manifest, _capture = manifest_of(root)
    row = next(r for r in manifest.entries.values() if r[0].endswith("sparse.img"))
    assert row[2] == 2 * 1024**3
    assert SHA256SUM is not None
    expected = subprocess.run([SHA256SUM, str(root / "sparse.img")], capture_output=True, text=True, check=True).stdout[:64]
    assert row[4] == expected


def test_changes_are_reported_exactly(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    baseline, _capture = manifest_of(root)
    (root / "conf" / "web.config").write_text('<configuration><system.webServer><directoryBrowse enabled="true"/></system.webServer></configuration>\n')
    (root / "bin" / "tool").chmod(0o777)
    (root / "conf" / "app.ini").rename(root / "conf" / "app.ini.bak")
    (root / "empty").unlink()
    (root / "dropper.aspx").write_text("<% eval %>")
    current, _capture = manifest_of(root)
    comparison = Comparison(baseline, current)
    described = sorted(c.describe() for c in comparison.changes)
    assert comparison.counts() == {"added": 1, "removed": 1, "renamed": 1, "changed": 2}
    assert f"added {root}/dropper.aspx" in described
    assert f"removed {root}/empty" in described
    assert f"renamed {root}/conf/app.ini -> {root}/conf/app.ini.bak" in described
    tool = next(c for c in comparison.changes if c.path.endswith("bin/tool"))
    assert tool.attributes == {"attributes": ("0755", "0777")}
    config = next(c for c in comparison.changes if c.path.endswith("web.config"))
    assert set(config.attributes) == {"size", "hash"}
    assert all(c.action == "fail" for c in comparison.changes)


def test_a_touched_file_reports_its_time_and_an_unchanged_tree_nothing(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    baseline, _capture = manifest_of(root)
    assert Comparison(baseline, manifest_of(root)[0]).changes == []
    os.utime(root / "conf" / "app.ini", ns=(1_000_000_000, 1_000_000_000))
    changes = Comparison(baseline, manifest_of(root)[0]).changes
    assert [(c.kind, list(c.attributes)) for c in changes] == [("changed", ["mtime_ns"])]
    assert "mtime_ns" in changes[0].describe() and "1970-01-01T00:00:01" in changes[0].describe()


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_an_owner_change_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    baseline, _capture = manifest_of(root)
    os.chown(root / "conf" / "web.config", 65534, 65534)
    changes = Comparison(baseline, manifest_of(root)[0]).changes
    assert [(c.path.endswith("web.config"), c.attributes) for c in changes] == [(True, {"owner": ("0:0", "65534:65534")})]


def test_policy_globs_decide_fail_or_warn(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    (root / "uploads").mkdir()
    baseline, _capture = manifest_of(root)
    (root / "uploads" / "photo.jpg").write_bytes(b"\xff\xd8")
    (root / "conf" / "app.ini").write_text("debug = true\n")
    policy = parse_policy([{"glob": f"{root}/uploads/**", "action": "warn"}])
    comparison = Comparison(baseline, manifest_of(root)[0], policy)
    assert sorted((c.path.rsplit("/", 1)[1], c.action) for c in comparison.changes) == [("app.ini", "fail"), ("photo.jpg", "warn")]
    assert [c.path for c in comparison.failing] == [f"{root}/conf/app.ini"]
    with pytest.raises(ManifestError, match=r"policy\[0\]: action 'ignore' is not one of fail, warn"):
        parse_policy([{"glob": "/x/**", "action": "ignore"}])


def test_exclusions_leave_paths_out(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    (root / "logs").mkdir()
    (root / "logs" / "u_ex261122.log").write_text("GET /\n")
    manifest, _capture = manifest_of(root, exclude=[f"{root}/logs/**", "**/*.ini"])
    names = {Path(r[0]).name for r in manifest.entries.values()}
    assert "u_ex261122.log" not in names and "app.ini" not in names
    assert "logs" in names  # the folder itself is kept; only what is below it is left out


def test_incremental_capture_reuses_hashes_of_unchanged_files(tmp_path: Path) -> None:
    root = tmp_path / "t"
    make_tree(root)
    baseline, _capture = manifest_of(root)
    (root / "conf" / "app.ini").write_text("debug = true, longer\n")
    current, capture = manifest_of(root, previous=baseline.previous())
    assert (capture.stats["reused"], capture.stats["hashed"]) == (5, 1)
    assert [c.path.rsplit("/", 1)[1] for c in Comparison(baseline, current).changes] == ["app.ini"]


# The modules the worker pool loads lazily are imported before the process drops to nobody,
# who cannot read this Python installation.
UNREADABLE = """
import concurrent.futures.process, concurrent.futures.thread, json, os, sys
import multiprocessing.connection, multiprocessing.popen_fork, multiprocessing.queues, multiprocessing.synchronize
sys.path.insert(0, sys.argv[2])
from ansible_collections.hardened.iis.plugins.module_utils._integrity.capture import Capture
os.setgid(65534)
os.setuid(65534)
capture = Capture([sys.argv[1]])
rows = capture.run()
print(json.dumps({"rows": rows, "unreadable": capture.unreadable, "count": capture.unreadable_count}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the capture runs as nobody to meet a permission it lacks; that needs root")
def test_unreadable_files_and_folders_are_reported_and_the_walk_goes_on() -> None:
    import json
    import tempfile

    # Outside pytest's own folder, whose parents only root may enter.
    top = Path(tempfile.mkdtemp(prefix="hardened-iis-unreadable-"))
    try:
        root = top / "t"
        make_tree(root)
        (root / "secret.key").write_text("k")
        (root / "private").mkdir()
        (root / "private" / "x").write_text("x")
        for path in [top, *root.rglob("*"), root]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        (root / "secret.key").chmod(0o000)
        (root / "private").chmod(0o700)
        collections = str(Path(__file__).resolve().parents[5] / ".build" / "collections")
        output = subprocess.run([sys.executable, "-c", UNREADABLE, str(root), collections], capture_output=True, text=True, check=True).stdout
        result = json.loads(output)
        reasons = {Path(u["path"]).name: u["reason"] for u in result["unreadable"]}
        assert reasons == {"secret.key": "Permission denied", "private": "Permission denied"}
        hashed = {Path(r[0]).name: r[4] for r in result["rows"]}
        assert hashed["secret.key"] is None and hashed["web.config"] is not None
    finally:
        shutil.rmtree(top)
