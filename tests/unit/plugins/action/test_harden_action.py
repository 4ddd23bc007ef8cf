# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hardened.iis.harden and hardened.iis.rollback on a live host, through the stand-in's module emulation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import yaml
from standin.host import WindowsHost

from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden
from ansible_collections.hardened.iis.plugins.action.rollback import ActionModule as Rollback

from .conftest import Runner

Standin = Callable[[str], tuple[Runner, Path]]
GATHER, APPLY, FEATURE, RESTORE = "hardened.iis.iis_host_state", "hardened.iis.iis_apply", "ansible.windows.win_feature", "hardened.iis.iis_restore"
SHOP = "C:\\inetpub\\shop\\web.config"


def digest(root: Path) -> str:
    """Every file of the stand-in host (its disks, state.yml, standin.yml), by path and content."""
    listing = sorted(f"{p.relative_to(root).as_posix()} {hashlib.sha256(p.read_bytes()).hexdigest()}" for p in root.rglob("*") if p.is_file())
    return hashlib.sha256("\n".join(listing).encode()).hexdigest()


def test_check_mode_compares_every_file_and_writes_nothing(standin: Standin) -> None:
    runner, root = standin("web01")
    before = digest(root)

    result = runner.run(Harden, {}, check_mode=True)

    assert result["changed"] and not result.get("failed"), result.get("msg")
    assert runner.calls == [GATHER, APPLY, FEATURE, FEATURE]  # the apply and win_feature run in check mode: compare only
    assert result["backup"] is None and not result["reboot_required"]
    assert digest(root) == before


def test_a_live_harden_is_gather_apply_features_verify_and_a_second_run_changes_nothing(standin: Standin) -> None:
    runner, root = standin("web01")

    first = runner.run(Harden, {})

    assert first["changed"] and first["target"] == "live", first.get("msg")
    assert runner.calls == [GATHER, APPLY, FEATURE, FEATURE, GATHER] and first["remote_calls"] == 5
    assert first["score_after"]["score"] > first["score_before"]["score"]
    assert first["reboot_required"]  # SCHANNEL values changed
    assert (root / "files/C/ProgramData/hardened.iis/backups" / first["backup"] / "backup.json").is_file()
    runner.calls.clear()
    second = runner.run(Harden, {})
    assert not second["changed"] and runner.calls == [GATHER] and second["backup"] is None
    assert second["score_after"] == first["score_after"]


def test_a_file_changed_between_gather_and_apply_stops_the_apply(standin: Standin) -> None:
    runner, root = standin("web01")
    before_apply: list[bytes] = []

    def edit_the_shop(module: str) -> None:
        if module == APPLY:
            host = WindowsHost(root)
            host.write(SHOP, (host.read(SHOP) or b"") + b"<!-- edited by someone else -->")
            before_apply.append(digest_of(root))

    runner.before_call = edit_the_shop
    result = runner.run(Harden, {})

    assert result["failed"] and "changed since the plan was made" in result["msg"] and "nothing was written" in result["msg"]
    assert runner.calls == [GATHER, APPLY]
    assert digest_of(root) == before_apply[0]


def digest_of(root: Path) -> bytes:
    return digest(root).encode()


def test_a_rollback_puts_files_and_typed_registry_values_back_and_a_second_changes_nothing(standin: Standin) -> None:
    runner, root = standin("web01")
    host = WindowsHost(root)
    # A value of the wrong type before the hardening (a string "1" where SCHANNEL wants a DWORD) must come back as a string.
    tls10 = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server"
    host.set_registry(tls10, "Enabled", "string", "1")
    host.save()
    files_before = {p: host.read(p) for p in (SHOP, "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config")}
    registry_before = yaml.safe_load((root / "state.yml").read_text(encoding="utf-8"))["registry"]

    applied = runner.run(Harden, {})
    assert WindowsHost(root).registry_entry(tls10, "Enabled") == {"path": tls10, "name": "Enabled", "existed": True, "type": "dword", "value": 0}

    restored = runner.run(Rollback, {"backup": applied["backup"]})
    again = runner.run(Rollback, {"backup": applied["backup"]})

    assert restored["changed"] and restored["registry"] > 0 and SHOP in restored["restored"]
    assert not again["changed"] and (again["restored"], again["removed"], again["registry"]) == ([], [], 0)
    after = WindowsHost(root)
    assert {p: after.read(p) for p in files_before} == files_before
    assert after.registry_entry(tls10, "Enabled")["type"] == "string" and after.registry_entry(tls10, "Enabled")["value"] == "1"
    registry_after = {k: v for k, v in yaml.safe_load((root / "state.yml").read_text(encoding="utf-8"))["registry"].items() if v}
    assert registry_after == registry_before


def test_a_rollback_in_check_mode_reports_and_writes_nothing(standin: Standin) -> None:
    runner, root = standin("web02")
    applied = runner.run(Harden, {})
    before = digest(root)

    preview = runner.run(Rollback, {"backup": applied["backup"]}, check_mode=True)

    assert preview["changed"] and preview["restored"]
    assert digest(root) == before


def test_a_missing_backup_is_named_and_nothing_is_restored(standin: Standin) -> None:
    runner, root = standin("web02")
    before = digest(root)

    result = runner.run(Rollback, {"backup": "20000101T000000000000Z"})

    assert result["failed"] and "rollback of web01" in result["msg"] and "nothing was restored" in result["msg"]
    assert digest(root) == before
