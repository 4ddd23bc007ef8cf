# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.audit and harden on a host with a web.config IIS cannot read, on a snapshot and live."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden

from .conftest import LAB, Runner

Standin = Callable[[str], tuple[Runner, Path]]
SHOP = Path("files/C/inetpub/shop/web.config")
SHOP_PATH = "C:\\inetpub\\shop\\web.config"
GATHER, APPLY, FEATURE = "hardened.iis.iis_host_state", "hardened.iis.iis_apply", "ansible.windows.win_feature"


def break_shop(root: Path) -> bytes:
    """Leave <customErrors> of the shop's web.config unclosed (line 5); IIS answers 500.19 under /shop."""
    path = root / SHOP
    broken = path.read_bytes().replace(b'<customErrors mode="Off" />', b'<customErrors mode="Off">')
    path.write_bytes(broken)
    return broken


def snapshot_with_a_broken_shop(tmp_path: Path) -> tuple[Path, bytes]:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    return snapshot, break_shop(snapshot)


def test_the_audit_reports_one_error_for_the_file_and_evaluates_the_rest(tmp_path: Path) -> None:
    snapshot, _broken = snapshot_with_a_broken_shop(tmp_path)

    result = Runner(None).run(Audit, {"today": "2026-12-06", "snapshot": str(snapshot)})

    assert not result.get("failed"), result.get("msg")
    errors = [f for f in result["findings"] if f["status"] == "error"]
    assert [(f["rule_id"], f["scope"], f["evidence"]["file"], f["evidence"]["line"]) for f in errors] == [
        ("config-file-unreadable", "Default Web Site/shop", SHOP_PATH, 8)
    ]
    assert result["score"]["errors"] == 1
    assert any(f["scope"] == "Default Web Site" and f["status"] == "fail" for f in result["findings"])


def test_the_audit_fails_the_host_when_application_host_config_is_broken(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    apphost = snapshot / "files/C/Windows/System32/inetsrv/config/applicationHost.config"
    apphost.write_bytes(apphost.read_bytes().replace(b"</sites>", b"</site>", 1))

    result = Runner(None).run(Audit, {"snapshot": str(snapshot)})

    assert result["failed"]
    assert result["msg"].startswith("audit of web01: C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config:")
    assert "not well-formed XML: mismatched tag; every site of the host depends on this file" in result["msg"]


def test_a_snapshot_harden_leaves_the_file_alone_says_why_and_hardens_the_rest(tmp_path: Path) -> None:
    snapshot, broken = snapshot_with_a_broken_shop(tmp_path)

    result = Runner(None).run(Harden, {}, hardened_iis_snapshot=str(snapshot))

    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert [(f["path"], f["line"]) for f in result["skipped_files"]] == [(SHOP_PATH, 8)]
    assert "HTTP 500.19 for URLs under Default Web Site/shop" in result["skipped_files"][0]["reason"]
    assert [w for w in result["warnings"] if SHOP_PATH in w and "alone" in w]
    assert SHOP_PATH not in [f["path"] for f in result["plan"]["files"]]
    assert (snapshot / SHOP).read_bytes() == broken
    assert result["score_after"]["score"] > result["score_before"]["score"]


def test_a_live_harden_leaves_the_file_alone_and_hardens_the_rest(standin: Standin) -> None:
    runner, root = standin("web01")
    broken = break_shop(root)

    result = runner.run(Harden, {})

    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert runner.calls == [GATHER, APPLY, FEATURE, FEATURE, GATHER]
    assert [f["path"] for f in result["skipped_files"]] == [SHOP_PATH]
    assert (root / SHOP).read_bytes() == broken
    assert [(f["rule_id"], f["scope"]) for f in result["findings"] if f["status"] == "error"] == [("config-file-unreadable", "Default Web Site/shop")]
