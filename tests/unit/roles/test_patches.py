# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The patches role: static guards (task arguments, PowerShell, variables, tags) and the steps that run here.

The Windows modules of the install and Defender steps cannot run without a Windows host; the
controller-side steps (manifest, stage, argument validation) and the compliance step run on a
scratch copy of the lab.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools import check_task_arguments

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "patches"
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
ANSIBLE_DOC = shutil.which("ansible-doc", path=str(Path(sys.executable).parent)) or "ansible-doc"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
needs_corpus = pytest.mark.skipif(not CORPUS or not (Path(CORPUS) / "cvrf").is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
STEP_TAGS = {"patches_install", "patches_defender", "patches_compliance", "patches_integrity"}
SHA = "9f2c6a1e8b7d4c3a9e5f1b2d6c8a0e4f7b3d9c1a5e2f8b4d6a0c3e7f9b1d5a2c"
VARIABLE = re.compile(r"\bpatches_[a-z0-9_]+\b")


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tasks_of(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every task of a task list, blocks and their rescue/always sections included (blocks too)."""
    found: list[dict[str, Any]] = []
    for task in data:
        found.append(task)
        for key in ("block", "rescue", "always"):
            found.extend(tasks_of(task.get(key) or []))
    return found


def task_files() -> dict[str, list[dict[str, Any]]]:
    return {path.name: tasks_of(load(path)) for path in sorted((ROLE / "tasks").glob("*.yml"))}


def test_every_task_passes_the_argument_guard() -> None:
    problems = check_task_arguments.check([ROLE], ansible_doc=ANSIBLE_DOC)
    assert [str(p) for p in problems] == []


def test_every_module_the_role_calls_is_one_that_exists_here() -> None:
    modules = set()
    for tasks in task_files().values():
        for task in tasks:
            modules.update(k for k in task if "." in k)
    assert {"ansible.windows.win_updates", "ansible.windows.win_hotfix", "ansible.windows.win_get_url", "ansible.windows.win_copy"} <= modules
    assert {"ansible.windows.win_stat", "ansible.windows.win_reboot", "hardened.iis.hotfix_compliance"} <= modules
    # Every step on the host has a documented contract: no inline or script PowerShell.
    assert {"hardened.iis.installed_updates", "hardened.iis.defender_update"} <= modules
    assert not {"ansible.windows.win_powershell", "ansible.windows.win_shell", "ansible.windows.win_command"} & modules
    assert not any(m.startswith("community.windows.") for m in modules)


def test_the_argument_spec_covers_every_variable_and_default() -> None:
    options = load(ROLE / "meta" / "argument_specs.yml")["argument_specs"]["main"]["options"]
    defaults = load(ROLE / "defaults" / "main.yml")
    assert set(defaults) == set(options)
    internal: set[str] = set()
    used: set[str] = set()
    for tasks in task_files().values():
        for task in tasks:
            if "register" in task:
                internal.add(task["register"])
            internal.update((task.get("ansible.builtin.set_fact") or {}).keys())
            internal.update((task.get("vars") or {}).keys())
            internal.add((task.get("loop_control") or {}).get("loop_var", ""))
    for path in [*(ROLE / "tasks").glob("*.yml"), ROLE / "defaults" / "main.yml"]:
        text = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#"))
        used.update(VARIABLE.findall(text))
    inputs = used - internal - STEP_TAGS - {"patches"}
    assert inputs - set(options) == set(), "variables used but not in meta/argument_specs.yml"
    assert set(options) - inputs == set(), "documented variables the role never uses"
    # Variables the role sets are its own, or handed to the integrity role it includes at the end.
    assert all(name.startswith(("patches_", "integrity_")) for name in internal - {""})
    assert defaults["patches_categories"] == ["SecurityUpdates", "CriticalUpdates", "UpdateRollups"]
    assert defaults["patches_fail_on_noncompliant"] is True
    assert options["patches_source"]["choices"] == ["windows_update", "archive"]
    assert options["patches_stage"]["choices"] == ["test", "production"]


def test_each_step_has_one_tag_and_every_task_reads_as_a_sentence() -> None:
    files = task_files()
    for task in load(ROLE / "tasks" / "main.yml"):
        assert len(STEP_TAGS & set(task["tags"])) == 1, task["name"]
    for task in load(ROLE / "tasks" / "archive_update.yml"):  # an included file does not inherit the include's tags
        assert set(task["tags"]) & STEP_TAGS == {"patches_install"}, task["name"]
    for name, tasks in files.items():
        for task in tasks:
            title = task.get("name", "")
            assert title[:1].isupper() and not title.endswith("."), (name, title)
            assert len(title.split()) >= 3, (name, title)


def test_tasks_that_cannot_run_in_check_mode_are_guarded() -> None:
    """The downloaded file does not exist in check mode: verification and installation are skipped."""
    [guarded] = [t for t in task_files()["archive_update.yml"] if "block" in t]
    assert guarded["when"] == "not ansible_check_mode"
    assert {m for t in guarded["block"] for m in t if "." in m} >= {"ansible.windows.win_stat", "ansible.builtin.assert", "ansible.windows.win_hotfix"}


def test_windows_update_gets_the_approved_kbs_and_never_an_empty_accept_list() -> None:
    tasks = task_files()["windows_update.yml"]
    calls = [t["ansible.windows.win_updates"] for t in tasks if "ansible.windows.win_updates" in t]
    assert len(calls) == 2  # the attempt and the one after a dropped connection
    for call in calls:
        assert call["accept_list"] == "{{ patches_approved | map(attribute='kb') | list }}"
        assert (call["reboot"], call["reboot_timeout"]) == ("{{ patches_reboot }}", "{{ patches_reboot_timeout }}")
    [block] = [t for t in tasks if "block" in t]
    assert block["when"] == "patches_approved | length > 0"
    assert block["block"][0]["ignore_unreachable"] is True
    assert "ansible.builtin.wait_for_connection" in block["rescue"][0]


# The controller-side steps on a scratch copy of the lab.


def manifest(path: Path, *, promoted: bool = False, file: str = "2025-11/windows10.0-kb5068787-x64.msu", twice: bool = False) -> Path:
    item = {
        "kb": "KB5068787",
        "title": "2025-11 Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems",
        "products": ["Windows Server 2022"],
        "file": file,
        "sha256": SHA,
        "approved_on": "2025-11-14",
        "tested_in": ["test"],
    }
    if promoted:
        item["promoted_on"] = "2025-11-21"
    path.write_text(yaml.safe_dump({"updates": [item, item] if twice else [item]}), encoding="utf-8")
    return path


def run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    lab = tmp_path / "lab"
    if not lab.exists():
        shutil.copytree(ROOT / "inventories" / "lab", lab)
    play = tmp_path / "patches.yml"
    play.write_text("- name: Patch the hosts\n  hosts: all\n  gather_facts: false\n  roles:\n    - hardened.iis.patches\n", encoding="utf-8")
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [PLAYBOOK, "-i", str(lab / "hosts.yml"), str(play), "-e", '{"patches_policy": {"max_signature_age_days": 36500}}', *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_an_unknown_stage_is_refused_by_the_argument_spec(tmp_path: Path) -> None:
    result = run(tmp_path, "--limit", "web03", "-e", "patches_stage=staging")
    assert result.returncode != 0
    assert "patches_stage" in result.stdout and "staging" in result.stdout


def test_the_install_step_needs_a_manifest(tmp_path: Path) -> None:
    result = run(tmp_path, "--limit", "web03", "--tags", "patches_install")
    assert result.returncode != 0
    assert "patches_archive_manifest must name the approved-updates manifest on the controller" in result.stdout


def test_a_manifest_mistake_stops_the_install_step_with_entry_and_key(tmp_path: Path) -> None:
    path = manifest(tmp_path / "manifest.yml", twice=True)
    result = run(tmp_path, "--limit", "web03", "--tags", "patches_install", "-e", f"patches_archive_manifest={path}")
    assert result.returncode != 0
    assert "approved_updates: entry 1 (kb): KB5068787 is listed twice (entries 0 and 1)" in result.stdout


def test_nothing_promoted_means_windows_update_is_not_run_in_production(tmp_path: Path) -> None:
    path = manifest(tmp_path / "manifest.yml")
    result = run(tmp_path, "--limit", "web03", "--tags", "patches_install", "-e", f"patches_archive_manifest={path}", "-e", "patches_stage=production")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web03: 0 approved update(s) at stage production from windows_update" in result.stdout
    assert "no update of the manifest is approved for stage production; Windows Update is not run" in result.stdout


def test_the_archive_installs_msu_files_only(tmp_path: Path) -> None:
    path = manifest(tmp_path / "manifest.yml", promoted=True, file="2025-11/windows10.0-kb5068787-x64.cab")
    extra = ["-e", f"patches_archive_manifest={path}", "-e", "patches_source=archive", "-e", "patches_archive_root=\\\\fs01\\patches"]
    result = run(tmp_path, "--limit", "web03", "--tags", "patches_install", *extra)
    assert result.returncode != 0
    assert "ansible.windows.win_hotfix installs .msu files only; not one: KB5068787" in result.stdout


@needs_corpus
def test_the_compliance_step_judges_each_host_and_fails_the_non_compliant_ones(tmp_path: Path) -> None:
    result = run(tmp_path, "--tags", "patches_compliance")
    assert result.returncode != 0
    assert "web03: compliant, build 20348.4405, patch level 2025-Nov, 0 missing" in result.stdout
    assert "web01 is not compliant: 2 required update(s) missing" in result.stdout
    assert "web02 is not compliant: 1 required update(s) missing" in result.stdout


@needs_corpus
def test_the_compliance_step_reports_without_failing_when_told_to(tmp_path: Path) -> None:
    result = run(tmp_path, "--tags", "patches_compliance", "-e", "patches_fail_on_noncompliant=false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web01: NOT COMPLIANT, build 17763.5936, patch level 2024-Jan, 2 missing: KB5068791 KB5066586" in result.stdout
    assert "web02: NOT COMPLIANT, build 20348.4405, patch level 2025-Nov, 1 missing: KB5034272" in result.stdout
