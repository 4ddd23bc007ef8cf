# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Evidence: log folders from the configuration, which logs cover a window, digests and the manifest."""

from __future__ import annotations

import datetime
import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.evidence import (
    bundle_path,
    log_directories,
    name_span,
    select_logs,
    tree_digest,
    w3c_span,
    window,
    write_manifest,
)

LAB = Path(__file__).resolve().parents[5] / "inventories" / "lab" / "snapshots"
UTC = datetime.UTC


def test_each_site_logs_where_its_effective_configuration_says() -> None:
    assert log_directories(load_snapshot(LAB / "web01")) == [{"site": "Default Web Site", "format": "IIS", "directory": "C:\\inetpub\\logs\\LogFiles\\W3SVC1"}]
    assert log_directories(load_snapshot(LAB / "web02")) == [
        {"site": "Default Web Site", "format": "W3C", "directory": "C:\\inetpub\\logs\\LogFiles\\W3SVC1"},
        # Site id 2: IIS names a site's log folder after its id.
        {"site": "Intranet", "format": "W3C", "directory": "C:\\inetpub\\logs\\LogFiles\\W3SVC2"},
    ]
    assert [d["directory"] for d in log_directories(load_snapshot(LAB / "web03"))] == ["D:\\logs\\iis\\W3SVC1"]


def test_the_lab_w3c_log_gives_its_first_and_last_request() -> None:
    content = (LAB / "web02" / "files/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log").read_bytes()
    assert w3c_span(content) == (datetime.datetime(2026, 11, 19, 0, 0, 4, tzinfo=UTC), datetime.datetime(2026, 11, 19, 17, 2, 51, tzinfo=UTC))
    assert w3c_span(b"#Fields: date time cs-method\r\n# no records\r\n") is None


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("u_ex261119.log", datetime.datetime(2026, 11, 19, tzinfo=UTC), datetime.datetime(2026, 11, 19, 23, 59, 59, 999999, tzinfo=UTC)),
        ("u_ex26111908.log", datetime.datetime(2026, 11, 19, 8, tzinfo=UTC), datetime.datetime(2026, 11, 19, 8, 59, 59, 999999, tzinfo=UTC)),
        ("u_ex2612.log", datetime.datetime(2026, 12, 1, tzinfo=UTC), datetime.datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
        ("U_IN261119.LOG", datetime.datetime(2026, 11, 19, tzinfo=UTC), datetime.datetime(2026, 11, 19, 23, 59, 59, 999999, tzinfo=UTC)),
    ],
)
def test_a_log_name_says_the_period_it_covers(name: str, start: datetime.datetime, end: datetime.datetime) -> None:
    assert name_span(name) == (start, end)


def test_names_without_a_period_say_nothing() -> None:
    assert name_span("u_extend1.log") is None
    assert name_span("u_ex261332.log") is None


def test_logs_are_kept_when_they_overlap_the_window_or_their_period_is_unknown() -> None:
    since, until = "2026-11-19T08:00:00Z", "2026-11-19T09:00:00+00:00"
    moment = datetime.datetime(2026, 11, 19, 7, 30, tzinfo=UTC).timestamp()
    files = [
        {"path": "C:\\l\\u_ex261118.log"},
        {"path": "C:\\l\\u_ex261119.log"},
        {"path": "C:\\l\\u_ex261119.log.bak"},
        {"path": "C:\\l\\u_ex261119b.log", "name": "u_ex261119.log", "modified": moment},
        {"path": "C:\\l\\u_extend1.log", "created": moment - 86400, "modified": moment},
        {"path": "C:\\l\\u_extend2.log", "created": moment, "modified": moment + 3600},
        {"path": "C:\\l\\content.log", "span": ["2026-11-19T08:59:00Z", "2026-11-19T10:00:00Z"]},
    ]
    chosen = {c["path"].rsplit("\\", 1)[1]: c["reason"] for c in select_logs(files, since, until)}
    assert chosen == {
        "u_ex261119.log": "overlaps the window (name)",
        "u_ex261119.log.bak": "time span unknown: kept",
        "u_extend2.log": "overlaps the window (file times)",
        "content.log": "overlaps the window (content)",
    }


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        ("yesterday", "2026-11-19T00:00:00Z", "evidence_since: 'yesterday' is not an ISO 8601 time"),
        ("2026-11-20T00:00:00Z", "2026-11-19T00:00:00Z", "must be before evidence_until"),
    ],
)
def test_a_bad_window_is_named(since: str, until: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        window(since, until)


def test_a_window_without_a_zone_is_utc_and_zones_are_converted() -> None:
    assert window("2026-11-19T08:00:00", "2026-11-19T12:00:00+02:00") == (
        datetime.datetime(2026, 11, 19, 8, tzinfo=UTC),
        datetime.datetime(2026, 11, 19, 10, tzinfo=UTC),
    )


def test_bundle_paths_mirror_the_host_path_and_refuse_others() -> None:
    assert bundle_path("d:\\logs\\iis\\W3SVC1\\u_ex261119.log") == "D/logs/iis/W3SVC1/u_ex261119.log"
    for bad in ("\\\\server\\share\\x.log", "C:\\..\\x.log", "relative\\x.log", "C:\\"):
        with pytest.raises(ValueError, match="not an absolute Windows path"):
            bundle_path(bad)


def test_the_tree_digest_leaves_backups_out_and_sees_every_byte(tmp_path: Path) -> None:
    tree = tmp_path / "web02"
    shutil.copytree(LAB / "web02", tree)
    first = tree_digest(tree)
    (tree / ".hardened-iis-backups" / "1").mkdir(parents=True)
    (tree / ".hardened-iis-backups" / "1" / "backup.json").write_text("{}", encoding="utf-8")
    assert tree_digest(tree) == first
    log = tree / "files/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log"
    log.write_bytes(log.read_bytes() + b"x")
    assert tree_digest(tree)["sha256"] != first["sha256"]


def test_the_manifest_is_what_sha256sum_checks(tmp_path: Path) -> None:
    (tmp_path / "logs" / "C").mkdir(parents=True)
    (tmp_path / "logs" / "C" / "a b.log").write_bytes(b"line\r\n")
    (tmp_path / "evidence.json").write_text("{}\n", encoding="utf-8")
    entries = write_manifest(tmp_path)
    assert entries == {"evidence.json": hashlib.sha256(b"{}\n").hexdigest(), "logs/C/a b.log": hashlib.sha256(b"line\r\n").hexdigest()}
    if shutil.which("sha256sum"):
        checked = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
