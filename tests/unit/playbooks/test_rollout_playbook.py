# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/rollout.yml on copies of the lab's drifted host, with health URLs served on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from .conftest import tree_digest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
HOSTS = {"test1": "test", "prod1": "production", "prod2": "production", "prod3": "production", "prod4": "production"}
RULES = ["iis-directory-browsing-off", "iis-app-pool-identity"]


def lab(tmp_path: Path, health: str, broken: frozenset[str] = frozenset()) -> Path:
    groups: dict[str, dict[str, dict[str, object]]] = {"test": {}, "production": {}}
    for host, group in HOSTS.items():
        shutil.copytree(ROOT / "inventories" / "lab" / "snapshots" / "web01", tmp_path / "hosts" / host)
        groups[group][host] = {
            "hardened_iis_snapshot": str(tmp_path / "hosts" / host),
            "rollout_health_urls": [f"{health}/{'broken' if host in broken else 'ok'}/{host}"],
        }
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable},
            "children": {name: {"hosts": members} for name, members in groups.items()},
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    change_set = {"name": "lab directory browsing and pool identity", "baseline": {"rules": RULES}}
    (tmp_path / "change-set.yml").write_text(yaml.safe_dump(change_set), encoding="utf-8")
    return tmp_path


def rollout(tmp_path: Path, **variables: object) -> subprocess.CompletedProcess[str]:
    extra = {"rollout_change_set": str(tmp_path / "change-set.yml"), "hardened_iis_report_dir": str(tmp_path / "reports"), **variables}
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), "playbooks/rollout.yml", "-e", json.dumps(extra)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=600)


def report(tmp_path: Path) -> dict[str, dict[str, object]]:
    [run] = (tmp_path / "reports" / "rollouts").iterdir()
    data = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert (run / "report.md").read_text(encoding="utf-8").count("\n| ") >= len(data["hosts"])
    return {f"{outcome['stage']}:{outcome['host']}": outcome for outcome in data["hosts"]}


def test_a_good_change_set_goes_from_test_to_production(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health)
    result = rollout(tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]

    outcomes = report(tmp_path)
    assert sorted(outcomes) == ["production:prod1", "production:prod2", "production:prod3", "production:prod4", "test:test1"]
    assert all(o["result"] == "passed" and o["changed"] and not o["rolled_back"] for o in outcomes.values())
    assert all(str(o["backups"][0]).startswith("harden:") for o in outcomes.values())  # type: ignore[index]
    [approval] = (tmp_path / "reports" / "approvals").glob("rollout-*.json")
    record = json.loads(approval.read_text(encoding="utf-8"))
    assert record["tested_hosts"] == {"test1": "passed"}
    # batches of 1, 10 % of 4 (at least 1), 25 % of 4 (1), then the rest: one production play per batch
    assert result.stdout.count("PLAY [Production stage") == 4

    hosts = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS}
    shutil.rmtree(tmp_path / "reports" / "rollouts")
    second = rollout(tmp_path)  # the same change set again: nothing left to change on any host
    assert second.returncode == 0, second.stdout[-3000:]
    assert {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS} == hosts
    assert not any(outcome["changed"] for outcome in report(tmp_path).values())


def test_a_failure_in_the_test_stage_leaves_production_untouched(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health, broken=frozenset({"test1"}))
    before = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS}

    result = rollout(tmp_path)

    assert result.returncode != 0
    after = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS}
    assert after == before  # test1 rolled back byte for byte, production never touched
    assert not (tmp_path / "reports" / "approvals").exists() or not list((tmp_path / "reports" / "approvals").glob("rollout-*.json"))
    outcomes = report(tmp_path)
    assert list(outcomes) == ["test:test1"]
    assert outcomes["test:test1"]["rolled_back"] is True
    assert "Check every health URL" in str(outcomes["test:test1"]["failed_task"])


def test_a_failure_in_a_production_batch_rolls_the_host_back_and_stops(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health, broken=frozenset({"prod2"}))
    before = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS}

    result = rollout(tmp_path)

    assert result.returncode != 0
    after = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS}
    assert after["test1"] != before["test1"] and after["prod1"] != before["prod1"]  # earlier batches keep the change
    assert after["prod2"] == before["prod2"]  # rolled back byte for byte
    assert after["prod3"] == before["prod3"] and after["prod4"] == before["prod4"]  # never reached
    outcomes = report(tmp_path)
    assert sorted(outcomes) == ["production:prod1", "production:prod2", "test:test1"]
    assert outcomes["production:prod2"]["rolled_back"] is True
    assert outcomes["production:prod2"]["result"] == "failed"


def test_a_change_set_edited_after_approval_is_refused(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health)
    tested = rollout(tmp_path, rollout_stage="test")
    assert tested.returncode == 0, tested.stdout[-3000:]
    production = {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS if host.startswith("prod")}

    change_set = yaml.safe_load((tmp_path / "change-set.yml").read_text(encoding="utf-8"))
    change_set["baseline"]["rules"].append("iis-webdav-feature-absent")
    (tmp_path / "change-set.yml").write_text(yaml.safe_dump(change_set), encoding="utf-8")
    refused = rollout(tmp_path, rollout_stage="production")

    assert refused.returncode != 0
    assert "changed since it passed the test stage" in refused.stdout
    assert {host: tree_digest(tmp_path / "hosts" / host) for host in HOSTS if host.startswith("prod")} == production


def test_a_change_set_never_tested_is_refused_in_production(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health)
    refused = rollout(tmp_path, rollout_stage="production")
    assert refused.returncode != 0
    assert "has not passed the test stage" in refused.stdout
