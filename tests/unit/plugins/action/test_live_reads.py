# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.hotfix_compliance and hardened.iis.integrity on a live host: one module call each, keyed by the inventory name."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ansible_collections.hardened.iis.plugins.action.hotfix_compliance import ActionModule as HotfixCompliance
from ansible_collections.hardened.iis.plugins.action.integrity import ActionModule as Integrity

from .conftest import Runner

Standin = Callable[[str], tuple[Runner, Path]]
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")


@pytest.mark.skipif(not CORPUS or not Path(CORPUS, "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
def test_hotfix_compliance_gathers_a_live_host_once_with_its_updates(standin: Standin, tmp_path: Path) -> None:
    runner, _root = standin("web01")
    live = runner.run(HotfixCompliance, {"cvrf_dir": str(Path(CORPUS, "cvrf")), "cache_dir": str(tmp_path / "cache"), "today": "2026-11-22"}, host="shop-1")
    offline = Runner(None).run(
        HotfixCompliance,
        {"cvrf_dir": str(Path(CORPUS, "cvrf")), "cache_dir": str(tmp_path / "cache"), "today": "2026-11-22", "snapshot": str(_root)},
        host="shop-1",
    )

    assert not live.get("failed"), live.get("msg")
    assert runner.calls == ["hardened.iis.iis_host_state"] and live["remote_calls"] == 1
    assert live["host"] == "shop-1" and {f["host"] for f in live["findings"]} == {"shop-1"}
    assert (live["compliant"], live["missing"]) == (offline["compliant"], offline["missing"])


def test_integrity_captures_a_live_windows_host_with_the_powershell_module(standin: Standin, tmp_path: Path) -> None:
    runner, root = standin("web01")
    key = tmp_path / "signing.pem"
    key.write_bytes(Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    args = {"roots": ["%windir%\\System32\\inetsrv", "%SystemDrive%\\inetpub"], "store": str(tmp_path / "store"), "signing_key": str(key)}

    captured = runner.run(Integrity, {**args, "action": "capture"})
    (root / "files/C/inetpub/wwwroot/iisstart.htm").write_text("defaced\n", encoding="utf-8")
    verified = runner.run(Integrity, {**args, "action": "verify", "fail_on_change": False})

    assert not captured.get("failed"), captured.get("msg")
    assert runner.calls == ["hardened.iis.win_integrity_capture"] * 2
    assert captured["entries"] > 5 and captured["remote_calls"] == 1
    assert [c["path"] for c in verified["changes"]] == ["C:\\inetpub\\wwwroot\\iisstart.htm"]
    assert {f["host"] for f in verified["findings"]} == {"web01"}
