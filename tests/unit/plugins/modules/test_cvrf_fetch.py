# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.cvrf_fetch against a real HTTP server on loopback serving a real document."""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
ANSIBLE = shutil.which("ansible", path=str(Path(sys.executable).parent)) or "ansible"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
pytestmark = pytest.mark.skipif(not CORPUS or not (Path(CORPUS) / "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A web server whose /cvrf/2022-Jan is the real January 2022 document and /cvrf/2022-Feb a copy of it."""
    served = tmp_path / "served" / "cvrf"
    served.mkdir(parents=True)
    real = Path(CORPUS) / "cvrf" / "cvrfDocument-2022-Jan.xml"
    shutil.copy(real, served / "2022-Jan")
    shutil.copy(real, served / "2022-Feb")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path / "served"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/cvrf/"
    httpd.shutdown()


def fetch(base_url: str, dest: Path, months: list[str], *extra: str) -> tuple[int, dict[str, object]]:
    environment = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )
    arguments = json.dumps({"months": months, "dest": str(dest), "base_url": base_url, "timeout": 10})
    command = [
        ANSIBLE,
        "localhost",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-m",
        "hardened.iis.cvrf_fetch",
        "-a",
        arguments,
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=120)
    output = result.stdout
    assert " => {" in output, output + result.stderr
    found, _end = json.JSONDecoder().raw_decode(output[output.index(" => {") + 4 :])
    return result.returncode, found


def test_a_month_is_downloaded_once_and_then_left_alone(server: str, tmp_path: Path) -> None:
    dest = tmp_path / "cvrf"
    code, result = fetch(server, dest, ["2022-Jan"])
    assert code == 0, result
    assert result["changed"] is True
    assert result["documents"] == [{"month": "2022-Jan", "path": str(dest / "cvrfDocument-2022-Jan.xml"), "revision": "7", "written": True}]
    assert (dest / "cvrfDocument-2022-Jan.xml").read_bytes() == (Path(CORPUS) / "cvrf" / "cvrfDocument-2022-Jan.xml").read_bytes()
    code, result = fetch(server, dest, ["2022-Jan"])
    assert (code, result["changed"]) == (0, False)


def test_check_mode_writes_nothing(server: str, tmp_path: Path) -> None:
    code, result = fetch(server, tmp_path / "cvrf", ["2022-Jan"], "--check")
    assert (code, result["changed"]) == (0, True)
    assert not (tmp_path / "cvrf").exists()


def test_a_document_for_another_month_is_refused(server: str, tmp_path: Path) -> None:
    code, result = fetch(server, tmp_path / "cvrf", ["2022-Feb"])
    assert code != 0
    assert result["msg"] == "asked for 2022-Feb, the server sent document 2022-Jan; nothing was written"
    assert not (tmp_path / "cvrf").exists()


def test_an_offline_control_node_gets_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code, result = fetch(f"http://127.0.0.1:{port}/cvrf/", tmp_path / "cvrf", ["2025-Nov"])
    assert code != 0
    assert str(result["msg"]).startswith(f"cannot download 2025-Nov from http://127.0.0.1:{port}/cvrf/2025-Nov:")
    assert "on an offline control node copy the documents into" in str(result["msg"])


def test_month_ids_are_checked(tmp_path: Path) -> None:
    code, result = fetch("http://127.0.0.1:9/", tmp_path, ["2025-11"])
    assert code != 0
    assert result["msg"] == "months: 2025-11 not a document id like 2025-Nov"
