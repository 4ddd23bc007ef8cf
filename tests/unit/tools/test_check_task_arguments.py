# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The task-argument guard finds every kind of mistake, and our own tasks have none."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tools import check_task_arguments as checker

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ANSIBLE_DOC = shutil.which("ansible-doc", path=str(Path(sys.executable).parent)) or "ansible-doc"


@pytest.fixture(scope="module")
def bad_problems() -> list[str]:
    return [str(p) for p in checker.check([FIXTURES / "roles"], ansible_doc=ANSIBLE_DOC)]


@pytest.mark.parametrize(
    "expected",
    [
        "main.yml:2: task 'Install IIS sideways' (ansible.windows.win_feature): option 'state' value 'sideways' is not one of ['absent', 'present']",
        "main.yml:6: task 'Use an option that does not exist' (ansible.windows.win_service): unknown option 'colour'",
        "main.yml:11: task 'Forget a required option' (ansible.windows.win_regedit): missing required option 'path'",
        "main.yml:14: task 'Pass a list where a string goes' (win_regedit): option 'path' expects a string, got a list",
        "main.yml:18: task 'Free-form arguments with a bad choice' (ansible.windows.win_service): option 'state' value 'paused-forever' is not one of",
        "main.yml:22: task 'Bad integer' (community.windows.win_firewall_rule): option 'direction' value 'sideways' is not one of ['in', 'out']",
        "main.yml:30: task 'Args keyword is merged' (ansible.windows.win_file): option 'state' value 'vanished' is not one of",
        "more.yml:2: task 'Included file is checked too' (microsoft.iis.website): option 'state' value 'exploded' is not one of",
        "main.yml:37: task 'Call a module that does not exist' (ansible.windows.win_teleport): module not found",
        "main.yml:40: task 'Local action string form' (ansible.builtin.stat): unknown option 'nosuch'",
        "main.yml:42: task 'Alias given twice' (ansible.windows.win_regedit): option 'type' given twice (as 'type' and 'datatype')",
    ],
)
def test_each_mistake_is_reported_with_file_line_and_task(bad_problems: list[str], expected: str) -> None:
    assert any(expected in problem for problem in bad_problems), "\n".join(bad_problems)


def test_nothing_else_is_reported(bad_problems: list[str]) -> None:
    assert len(bad_problems) == 11, "\n".join(bad_problems)


def test_correct_tasks_pass_aliases_templates_free_form_and_handlers_included() -> None:
    problems = checker.check([FIXTURES / "playbooks" / "good.yml"], ansible_doc=ANSIBLE_DOC)
    assert [str(p) for p in problems] == []


def test_every_task_of_the_collection_passes() -> None:
    paths = [ROOT / "roles", ROOT / "playbooks"]
    problems = checker.check([p for p in paths if p.exists()], ansible_doc=ANSIBLE_DOC)
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize(
    ("value", "spec", "ok"),
    [
        (True, {"type": "bool"}, True),
        ("yes", {"type": "bool"}, True),
        ("maybe", {"type": "bool"}, False),
        ("42", {"type": "int"}, True),
        ("4x", {"type": "int"}, False),
        (True, {"type": "int"}, False),
        ({"a": 1}, {"type": "list"}, False),
        ("a,b", {"type": "list"}, True),
        ([1], {"type": "dict"}, False),
        ("{{ anything }}", {"type": "int"}, True),
        (False, {"type": "bool", "choices": [True, False]}, True),
        ("on", {"type": "str", "choices": ["on", "off"]}, True),
    ],
)
def test_type_and_choice_rules(value: object, spec: dict[str, object], ok: bool) -> None:
    messages = checker.check_arguments({"option": value}, {"option": spec})
    assert (messages == []) is ok, messages


def test_suboptions_are_checked() -> None:
    options = {"rules": {"type": "list", "elements": "dict", "suboptions": {"port": {"type": "int", "required": True}}}}
    messages = checker.check_arguments({"rules": [{"port": 80}, {"prot": 1}]}, options)
    assert messages == ["unknown option rules.'prot' (documented: port)", "missing required option rules.'port'"]
