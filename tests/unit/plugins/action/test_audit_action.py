# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.audit on a live host: it gathers by itself, once, and keys everything by the inventory name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleConnectionFailure
from standin.host import WindowsHost
from standin.modules import run_module

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden

from .conftest import LAB, Runner

Standin = Callable[[str], tuple[Runner, Path]]


def test_a_live_host_is_gathered_in_one_call_and_audited_like_its_snapshot(standin: Standin) -> None:
    runner, _root = standin("web01")
    live = runner.run(ActionModule, {"today": "2026-11-22"})
    offline = Runner(None).run(ActionModule, {"today": "2026-11-22", "snapshot": str(LAB / "web01")})

    assert runner.calls == ["hardened.iis.iis_host_state"]
    assert (live["target"], live["remote_calls"], offline["target"]) == ("live", 1, "snapshot")
    assert not live.get("failed"), live.get("msg")
    # File checks too (the start page, the Internet Printing folder): the gather probes the paths the rules check.
    assert [(f["rule_id"], f["scope"], f["status"], f["evidence"]["actual"]) for f in live["findings"]] == [
        (f["rule_id"], f["scope"], f["status"], f["evidence"]["actual"]) for f in offline["findings"]
    ]


def test_the_inventory_name_is_the_key_and_the_reported_name_a_fact(standin: Standin) -> None:
    runner, root = standin("web01")
    state = yaml.safe_load((root / "state.yml").read_text(encoding="utf-8"))
    state["host"] = "WIN-8F3K2Q"
    (root / "state.yml").write_text(yaml.safe_dump(state), encoding="utf-8")

    result = runner.run(ActionModule, {}, host="shop-prod-1")

    assert {f["host"] for f in result["findings"]} == {"shop-prod-1"}
    assert result["reported_name"] == "WIN-8F3K2Q"


def test_an_unreachable_host_is_left_to_ansible_as_unreachable() -> None:
    runner = Runner(Path("/nonexistent"))

    def refuse(module: str) -> None:
        raise AnsibleConnectionFailure("ssl: HTTPSConnectionPool(host='127.0.0.1', port=1): Max retries exceeded")

    runner.before_call = refuse
    with pytest.raises(AnsibleConnectionFailure, match="Max retries exceeded"):
        runner.run(ActionModule, {})


def test_a_failing_gather_is_named(standin: Standin) -> None:
    runner, root = standin("web01")
    (root / "state.yml").write_text("features: {Web-Server: maybe}\n", encoding="utf-8")

    result: dict[str, Any] = runner.run(ActionModule, {})

    assert result["failed"]
    assert "audit of web01" in result["msg"] and "features['Web-Server'] must be one of installed, absent" in result["msg"]


def test_the_gather_returns_the_acls_the_rules_read_and_the_live_audit_judges_them(standin: Standin) -> None:
    runner, root = standin("web02")
    gathered = run_module(WindowsHost(root), "hardened.iis.iis_host_state", {})
    assert list(gathered["state"]["acls"]) == ["C:\\inetpub"]
    assert {"identity": "Everyone", "sid": "S-1-1-0", "rights": 1245631, "type": "allow"}.items() <= gathered["state"]["acls"]["C:\\inetpub"][-1].items()
    assert run_module(WindowsHost(root), "hardened.iis.iis_host_state", {"acl_paths": []})["state"]["acls"] == {}

    live = runner.run(ActionModule, {"today": "2026-11-22"}, host="web02")
    (inetpub,) = [f for f in live["findings"] if f["rule_id"] == "iis-inetpub-permissions"]
    assert (inetpub["status"], inetpub["evidence"]["actual"]) == (
        "fail",
        "not allowed: Everyone (S-1-1-0): Modify, Synchronize (this folder, subfolders, files)",
    )


def test_the_gather_returns_http_sys_certificate_bindings_and_harden_reads_them_live(standin: Standin) -> None:
    """web01's https binding has HTTP.sys's certificate: requiring SSL is planned there; without it, held back."""
    runner, root = standin("web01")
    gathered = run_module(WindowsHost(root), "hardened.iis.iis_host_state", {})
    assert gathered["state"]["ssl_bindings"] == [{"endpoint": "0.0.0.0:443", "sni": False, "certificate_hash": "8F2C4A1E6B3D9F07A5C2E8B1D4F6A3C9E7B0D2F5"}]
    live = runner.run(Harden, {"rules": ["iis-require-ssl"]}, check_mode=True, host="web01", hardened_iis_site_roles={"*": "private"})
    assert live["target"] == "live" and live["held_back"] == [] and live["plan"]["fixes"]
    state = (root / "state.yml").read_text(encoding="utf-8")
    (root / "state.yml").write_text(state[: state.index("# HTTP.sys's certificate bindings")], encoding="utf-8")
    held = runner.run(Harden, {"rules": ["iis-require-ssl"]}, check_mode=True, host="web01", hardened_iis_site_roles={"*": "private"})
    assert held["plan"]["fixes"] == [] and {h["rule"] for h in held["held_back"]} == {"iis-require-ssl"}
    assert all("HTTP.sys binds no certificate to *:443:" in h["reason"] for h in held["held_back"])
