# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/awx_configure.yml without a controller: its plan (settings and schedules, checked with
python-dateutil against real calendars), secrets kept out of output, and the shape of its tasks."""

from __future__ import annotations

import calendar
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dateutil.rrule import rrule, rrulestr

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK_PATH = ROOT / "playbooks" / "awx_configure.yml"
ANSIBLE_PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
SECRET = "S3cr3t-never-printed"
SETTINGS = {
    "awx_configure_organization": "IT Security",
    "awx_configure_scm_url": "git@git.invalid:hardened/iis.git",
    "awx_configure_ee_image": "hardened-iis-ee:0.1.0",
    "awx_configure_machine_username": "svc-iis",
    "awx_configure_machine_password": SECRET,
}
SECRET_VARIABLES = re.compile(r"awx_configure_(machine_username|machine_password|vault_password|notification_configuration)\b|controller_oauthtoken")
TASK_KEYWORDS = {"name", "when", "tags", "no_log", "loop", "loop_control", "vars", "register", "changed_when"}


def plan(tmp_path: Path, *extra: str, **settings: Any) -> subprocess.CompletedProcess[str]:
    variables = tmp_path / "settings.json"
    variables.write_text(json.dumps({**SETTINGS, **settings}), encoding="utf-8")
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    environment.pop("CONTROLLER_HOST", None)
    command = [ANSIBLE_PLAYBOOK, "-i", "localhost,", str(PLAYBOOK_PATH), "--tags", "awx_configure_plan", "-e", f"@{variables}", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def schedules(output: str) -> dict[str, str]:
    """The ``name => rrule`` lines the plan prints."""
    return dict(re.findall(r"- hardened\.iis (.+?) => (DTSTART\S+ RRULE:\S+)", output))


def dates(rule: str, until: datetime.date) -> list[datetime.date]:
    parsed = rrulestr(rule)
    assert isinstance(parsed, rrule)
    start = parsed._dtstart  # the parsed DTSTART, with its zone
    end = datetime.datetime.combine(until, datetime.time(23, 59), tzinfo=start.tzinfo)
    return [moment.date() for moment in parsed.between(start, end, inc=True)]


def second_tuesday(year: int, month: int) -> datetime.date:
    tuesdays = [week[calendar.TUESDAY] for week in calendar.monthcalendar(year, month) if week[calendar.TUESDAY]]
    return datetime.date(year, month, tuesdays[1])


def assert_awx_accepts(rule: str) -> None:
    """The checks of AWX's schedule serializer."""
    assert len(re.findall(r"DTSTART(;[^:]+)?:[0-9]+T[0-9]+Z?", rule)) == 1
    assert not re.findall(r"DTSTART:[0-9]+T[0-9]+ ", rule), "a naive DTSTART"
    for body in re.findall(r"RULE:(\S*)", rule):
        assert "INTERVAL=" in body
        assert not re.match(r".*?BYDAY[:=][0-9]+[a-zA-Z]{2}", body)


def test_the_plan_prints_weekly_daily_and_monthly_schedules_that_fall_on_the_right_days(tmp_path: Path) -> None:
    result = plan(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    rules = schedules(result.stdout)
    assert set(rules) == {"weekly full audit", "daily random-sample audit", "monthly patching"}
    for rule in rules.values():
        assert_awx_accepts(rule)
    until = datetime.date(2030, 12, 31)
    weekly = dates(rules["weekly full audit"], until)
    daily = dates(rules["daily random-sample audit"], until)
    assert {day.weekday() for day in weekly} == {calendar.SUNDAY}
    assert weekly[0] == datetime.date(2026, 1, 4)
    assert {day.weekday() for day in daily} == set(range(7)) - {calendar.SUNDAY}
    assert len(set(weekly) | set(daily)) == (until - datetime.date(2026, 1, 1)).days + 1
    monthly = dates(rules["monthly patching"], until)
    assert monthly == [second_tuesday(y, m) + datetime.timedelta(days=3) for y in range(2026, 2031) for m in range(1, 13)]
    assert datetime.date(2026, 3, 13) in monthly
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize("days_after", [0, 1, 6])
def test_the_monthly_schedule_follows_the_days_after_patch_tuesday(tmp_path: Path, days_after: int) -> None:
    result = plan(tmp_path, "-e", f"awx_configure_patch_days_after={days_after}", awx_configure_schedule_timezone="Europe/Berlin")
    assert result.returncode == 0, result.stdout + result.stderr
    rule = schedules(result.stdout)["monthly patching"]
    assert rule.startswith("DTSTART;TZID=Europe/Berlin:20260101T030000 RRULE:")
    expected = [second_tuesday(y, m) + datetime.timedelta(days=days_after) for y in range(2026, 2029) for m in range(1, 13)]
    assert dates(rule, datetime.date(2028, 12, 31)) == expected


def test_the_full_audit_day_is_left_out_of_the_daily_sample(tmp_path: Path) -> None:
    result = plan(tmp_path, awx_configure_full_audit_weekday="WE")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = schedules(result.stdout)
    assert rules["weekly full audit"].endswith("BYDAY=WE")
    assert rules["daily random-sample audit"].endswith("BYDAY=MO,TU,TH,FR,SA,SU")


def test_missing_secrets_are_named_and_no_secret_is_printed(tmp_path: Path) -> None:
    settings = dict(SETTINGS)
    del settings["awx_configure_machine_username"]
    variables = tmp_path / "partial.json"
    variables.write_text(json.dumps(settings), encoding="utf-8")
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [ANSIBLE_PLAYBOOK, "-vvv", "-i", "localhost,", str(PLAYBOOK_PATH), "--tags", "awx_configure_plan", "-e", f"@{variables}"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)
    assert result.returncode != 0
    assert "Supply awx_configure_machine_username from a Vault-encrypted variables file" in result.stdout
    assert SECRET not in result.stdout + result.stderr


@pytest.mark.parametrize(("setting", "message"), [
    ({"awx_configure_audit_sample_percent": 0}, "audit_sample_percent must be a number greater than 0 and at most 100"),
    ({"awx_configure_patch_days_after": 20}, "days after Patch Tuesday must be a whole number from 0 to 14"),
    ({"awx_configure_scm_url": ""}, "Set awx_configure_organization"),
])  # fmt: skip
def test_bad_settings_stop_the_plan(tmp_path: Path, setting: dict[str, Any], message: str) -> None:
    result = plan(tmp_path, **setting)
    assert result.returncode != 0
    assert message in result.stdout


def load_play() -> dict[str, Any]:
    plays = yaml.safe_load(PLAYBOOK_PATH.read_text(encoding="utf-8"))
    assert len(plays) == 1
    return plays[0]


def module_of(task: dict[str, Any]) -> str:
    return next(key for key in task if key not in TASK_KEYWORDS)


def test_every_task_that_handles_a_secret_has_no_log() -> None:
    for task in load_play()["tasks"]:
        module = module_of(task)
        if SECRET_VARIABLES.search(yaml.safe_dump(task[module])):
            assert task.get("no_log") is True, task["name"]


def test_the_controller_tasks_use_awx_awx_and_the_plan_tasks_run_alone() -> None:
    for task in load_play()["tasks"]:
        module = module_of(task)
        tags = task.get("tags", [])
        if module.startswith("ansible.builtin."):
            assert tags == ["always", "awx_configure_plan"], task["name"]
        else:
            assert module.startswith("awx.awx."), task["name"]
            assert not tags, task["name"]


def test_the_job_templates_run_the_playbooks_of_the_issue() -> None:
    play = load_play()
    playbooks = {entry["playbook"] for entry in play["vars"]["awx_configure_job_templates"]}
    assert playbooks == {f"playbooks/{name}.yml" for name in ("audit", "harden", "rollout", "patch_compliance", "integrity_verify", "discover")}
    # playbooks/rollout.yml is written in parallel; every other playbook exists.
    assert {p for p in playbooks if not (ROOT / p).is_file()} <= {"playbooks/rollout.yml"}
    assert play["vars"]["awx_configure_test_inventory_source_path"] == "inventories/example/"
    assert play["vars"]["awx_configure_production_inventory_source_path"] == "inventories/example/"


def test_the_workflow_runs_test_then_approval_then_production() -> None:
    task = next(t for t in load_play()["tasks"] if module_of(t) == "awx.awx.workflow_job_template")
    nodes = {node["identifier"]: node for node in task["awx.awx.workflow_job_template"]["workflow_nodes"]}
    assert nodes["test-stage"]["related"]["success_nodes"] == [{"identifier": "approve-production"}]
    assert nodes["approve-production"]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes["approve-production"]["related"]["success_nodes"] == [{"identifier": "production-stage"}]
    assert "related" not in nodes["production-stage"]
    assert "test_inventory" in nodes["test-stage"]["inventory"]["name"]
    assert "production_inventory" in nodes["production-stage"]["inventory"]["name"]
    assert task["awx.awx.workflow_job_template"]["notification_templates_error"] == "{{ awx_configure_notifications }}"
