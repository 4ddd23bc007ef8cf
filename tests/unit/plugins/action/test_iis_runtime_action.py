# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.iis_runtime: sites and pools stopped and started on a live host; nothing to do on a snapshot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from standin.host import WindowsHost

from ansible_collections.hardened.iis.plugins.action.iis_runtime import ActionModule as IisRuntime

from .conftest import LAB, Runner

Standin = Callable[[str], tuple[Runner, Path]]


def pool_state(root: Path, name: str) -> str:
    return str((WindowsHost(root).extra.get("runtime") or {}).get("app_pools", {}).get(name, "Started"))


def test_a_running_pool_is_stopped_and_started_again_and_unknown_names_are_left_out(standin: Standin) -> None:
    runner, root = standin("web01")

    preview = runner.run(IisRuntime, {"stop_app_pools": ["ShopPool", "NoSuchPool"]}, check_mode=True)
    assert preview["changed"] and preview["stopped"]["app_pools"] == ["ShopPool"] and pool_state(root, "ShopPool") == "Started"

    stopped = runner.run(IisRuntime, {"stop_app_pools": ["ShopPool", "NoSuchPool"]})
    again = runner.run(IisRuntime, {"stop_app_pools": ["ShopPool"]})
    assert stopped["changed"] and stopped["stopped"] == {"sites": [], "app_pools": ["ShopPool"]} and pool_state(root, "ShopPool") == "Stopped"
    assert not again["changed"] and again["stopped"]["app_pools"] == []

    started = runner.run(IisRuntime, {"start_app_pools": stopped["stopped"]["app_pools"]})
    assert started["changed"] and started["started"]["app_pools"] == ["ShopPool"] and pool_state(root, "ShopPool") == "Started"
    assert runner.calls.count("microsoft.iis.web_app_pool") == 3  # the check-mode stop (changes nothing), the stop, the start


def test_a_snapshot_has_no_runtime_and_nothing_is_called() -> None:
    result = Runner(None).run(IisRuntime, {"stop_sites": ["Default Web Site"], "snapshot": str(LAB / "web01")})
    assert (result["runtime"], result["changed"], result["target"], result["remote_calls"]) == (False, False, "snapshot", 0)
