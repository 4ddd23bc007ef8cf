# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The live protocol against a simulated Windows host: gather, apply, verify — and its failures."""

from __future__ import annotations

import base64
import datetime
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.apply import ApplyError
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.live import APPLY, FEATURE, GATHER, harden_live

ROOT = Path(__file__).resolve().parents[5]
RULES = load_catalog().rules
TODAY = datetime.date(2026, 11, 22)


class SimulatedHost:
    """A Windows host as the modules see it: files, registry and features, with the apply contract."""

    def __init__(self, snapshot: Path) -> None:
        self.files: dict[str, bytes] = {}
        for path in (snapshot / "files").rglob("*"):
            if path.is_file():
                parts = path.relative_to(snapshot / "files").parts
                self.files[parts[0] + ":\\" + "\\".join(parts[1:])] = path.read_bytes()
        self.state: dict[str, Any] = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
        self.calls: list[str] = []
        self.tamper: bytes | None = None

    def execute(self, module: str, args: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(module)
        if module == GATHER:
            files = [{"path": p, "content": base64.b64encode(d).decode("ascii")} for p, d in self.files.items()]
            return {"changed": False, "state": self.state, "files": files}
        if module == APPLY:
            if self.tamper is not None:
                self.files["C:\\inetpub\\shop\\web.config"] = self.tamper
            for change in args["files"]:
                current = self.files.get(change["path"])
                if (hashlib.sha256(current).hexdigest() if current is not None else None) != change["before_sha256"]:
                    return {"failed": True, "msg": f"{change['path']} changed since the plan was made; nothing was written", "restored": False}
            for change in args["files"]:
                self.files[change["path"]] = base64.b64decode(change["content"])
            for value in args["registry"]:
                self.state.setdefault("registry", {}).setdefault(value["path"], {})[value["name"]] = value["value"]
            return {"changed": True, "backup": "C:\\ProgramData\\hardened.iis\\backups\\20261122T000000000Z", "restored": False}
        if module == FEATURE:
            self.state["features"][args["name"]] = args["state"]
            return {"changed": True, "reboot_required": False}
        raise AssertionError(f"unexpected module {module}")


def test_a_live_harden_takes_gather_apply_features_and_verify_calls() -> None:
    host = SimulatedHost(ROOT / "inventories" / "lab" / "snapshots" / "web01")
    outcome = harden_live(host.execute, "web01", RULES, {}, [], TODAY, check_mode=False)
    assert host.calls == [GATHER, APPLY, FEATURE, FEATURE, GATHER]
    assert outcome.calls == 5
    assert outcome.reboot_required
    assert outcome.backup is not None
    fixable = [f.rule_id for f in outcome.after if f.status == "fail" and load_catalog().rule(f.rule_id).automated_remediation]
    assert fixable == []
    host.calls.clear()
    again = harden_live(host.execute, "web01", RULES, {}, [], TODAY, check_mode=False)
    assert again.plan.empty
    assert host.calls == [GATHER]


def test_check_mode_only_gathers() -> None:
    host = SimulatedHost(ROOT / "inventories" / "lab" / "snapshots" / "web02")
    outcome = harden_live(host.execute, "web02", RULES, {}, [], TODAY, check_mode=True)
    assert host.calls == [GATHER]
    assert not outcome.plan.empty


def test_a_host_changed_between_gather_and_apply_is_refused() -> None:
    host = SimulatedHost(ROOT / "inventories" / "lab" / "snapshots" / "web01")
    host.tamper = b"<configuration />"
    with pytest.raises(ApplyError, match="changed since the plan was made"):
        harden_live(host.execute, "web01", RULES, {}, [], TODAY, check_mode=False)
    assert host.calls == [GATHER, APPLY]
