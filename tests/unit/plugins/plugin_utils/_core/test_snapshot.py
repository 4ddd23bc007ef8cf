# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A gather result written as a snapshot audits the same, and its manifest shows any change."""

from __future__ import annotations

import base64
import hashlib
import subprocess
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot
from ansible_collections.hardened.iis.plugins.plugin_utils._core.snapshot import snapshot_content, verify_snapshot, write_snapshot

ROOT = Path(__file__).resolve().parents[5]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"


def gathered(snapshot: Path) -> dict[str, object]:
    files = []
    for path in sorted((snapshot / "files").rglob("*")):
        if path.is_file():
            parts = path.relative_to(snapshot / "files").parts
            files.append({"path": parts[0] + ":\\" + "\\".join(parts[1:]), "content": base64.b64encode(path.read_bytes()).decode("ascii")})
    return {"state": yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8")), "files": files}


def test_written_snapshot_audits_like_the_host_and_second_write_changes_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "evidence" / "web01"
    changed, manifest = write_snapshot(snapshot_content(gathered(WEB01), "web01"), dest)
    assert changed
    assert manifest["files/C/inetpub/shop/web.config"] == hashlib.sha256((WEB01 / "files/C/inetpub/shop/web.config").read_bytes()).hexdigest()
    rules = load_catalog().rules
    assert [f.as_dict() for f in Evaluator(load_snapshot(dest, "web01")).evaluate(rules)] == [
        f.as_dict() for f in Evaluator(load_snapshot(WEB01)).evaluate(rules)
    ]
    again, _manifest = write_snapshot(snapshot_content(gathered(WEB01), "web01"), dest)
    assert not again
    assert verify_snapshot(dest) == []
    check = subprocess.run(["sha256sum", "--quiet", "-c", "manifest.sha256"], cwd=dest, capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    changed, _manifest = write_snapshot(snapshot_content(gathered(WEB01), "web01"), tmp_path / "web01", check_mode=True)
    assert changed
    assert not (tmp_path / "web01").exists()


def test_tampering_with_the_evidence_is_shown(tmp_path: Path) -> None:
    dest = tmp_path / "web01"
    write_snapshot(snapshot_content(gathered(WEB01), "web01"), dest)
    config = dest / "files/C/inetpub/shop/web.config"
    config.write_bytes(config.read_bytes().replace(b'debug="true"', b'debug="false"'))
    (dest / "files/C/inetpub/wwwroot/iisstart.htm").unlink()
    (dest / "files/C/extra.txt").write_text("added", encoding="utf-8")
    assert verify_snapshot(dest) == [
        "files/C/inetpub/shop/web.config: changed (SHA-256 differs from the manifest)",
        "files/C/inetpub/wwwroot/iisstart.htm: missing",
        "files/C/extra.txt: not in the manifest",
    ]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("relative\\web.config", "not an absolute path on a drive"),
        ("C:\\inetpub\\..\\Windows\\x", "'..'"),
        # The hole an adversarial pass found: '/' is a separator to Windows (and to the controller).
        ("C:\\x/../../../../../PWNED.txt", "'..'"),
        ("C:\\inetpub\\.. \\x", "'..'"),
        ("\\\\?\\C:\\x", "UNC and device paths"),
        ("\\\\server\\share\\web.config", "UNC and device paths"),
        ("C:web.config", "not an absolute path on a drive"),
        ("C:\\inetpub\\web.config:evil", "alternate data stream"),
        ("C:\\inetpub\\NUL.config", "reserved device name"),
    ],
)
def test_unsafe_gathered_paths_are_refused(path: str, message: str) -> None:
    with pytest.raises(HostStateError, match=message):
        snapshot_content({"files": [{"path": path, "content": ""}]}, "web01")
