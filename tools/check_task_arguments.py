# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check every task's arguments against the documented options of the module it calls.

ansible-lint does not validate the arguments of PowerShell modules, and nothing here
can run them, so this is the guard for tasks that call ``ansible.windows``,
``community.windows``, ``microsoft.iis`` and our own modules: unknown options,
values outside ``choices``, missing required options and wrong types, through
aliases, ``args:``, ``action:``/``local_action:``, free-form ``k=v`` strings, FQCN
and short names, blocks, handlers and the files that ``include_tasks`` and
``import_tasks`` bring in. Values that are Jinja templates are checked only where
their type cannot matter (presence, option names).

Usage: ``python tools/check_task_arguments.py [PATH ...]`` (default: roles playbooks).
Documentation comes from ``ansible-doc --json``, one call for all modules.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ansible.parsing.splitter import parse_kv
from ansible.playbook.block import Block
from ansible.playbook.task import Task

TASK_KEYWORDS = frozenset(Task.fattributes) | frozenset(Block.fattributes) | {"block", "rescue", "always", "action", "local_action"}
PLAY_TASK_LISTS = ("pre_tasks", "tasks", "post_tasks", "handlers")
INCLUDES = {"include_tasks", "import_tasks", "ansible.builtin.include_tasks", "ansible.builtin.import_tasks"}
ROLE_INCLUDES = {"include_role", "import_role", "ansible.builtin.include_role", "ansible.builtin.import_role"}
PLAYBOOK_IMPORTS = {"import_playbook", "ansible.builtin.import_playbook"}
BOOLEANS = {"yes", "no", "true", "false", "on", "off", "1", "0", "y", "n", "t", "f"}


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    task: str
    module: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: task {self.task!r} ({self.module}): {self.message}"


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that records the line of every mapping under the key ``__line__``."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_tagged_scalar(loader: _LineLoader, node: yaml.Node) -> str:
    """``!vault`` and ``!unsafe`` values: text whose content does not matter here."""
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


_LineLoader.add_constructor("!vault", _construct_tagged_scalar)
_LineLoader.add_constructor("!unsafe", _construct_tagged_scalar)


def load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass


def _templated(value: Any) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != "__line__"}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@dataclass
class TaskCall:
    file: Path
    line: int
    name: str
    module: str
    arguments: dict[str, Any]
    text: str = ""
    """Arguments written as a ``k=v`` string, split once the module's documentation says how."""
    templated: bool = False
    """The arguments are a template that stands for all of them: only the module is checked."""


@dataclass
class Collector:
    """Walks playbooks and task files and collects every module call."""

    root: Path
    calls: list[TaskCall] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seen: set[Path] = field(default_factory=set)

    def playbook(self, path: Path) -> None:
        data = self._load(path)
        if data is None:
            return
        if not isinstance(data, list):
            self.problems.append(Problem(str(path), 1, "", "", "a playbook must be a list of plays"))
            return
        for play in data:
            if not isinstance(play, dict):
                continue
            if any(k in play for k in PLAYBOOK_IMPORTS):
                continue
            for key in PLAY_TASK_LISTS:
                self.tasks(play.get(key) or [], path)

    def task_file(self, path: Path) -> None:
        data = self._load(path)
        if data is None:
            return
        if not isinstance(data, list):
            self.problems.append(Problem(str(path), 1, "", "", "a task file must be a list of tasks"))
            return
        self.tasks(data, path)

    def _load(self, path: Path) -> Any:
        resolved = path.resolve()
        if resolved in self.seen:
            return None
        self.seen.add(resolved)
        try:
            return load_yaml(path)
        except (OSError, yaml.YAMLError) as exc:
            self.problems.append(Problem(str(path), 1, "", "", f"cannot read: {exc}"))
            return None

    def tasks(self, tasks: list[Any], path: Path) -> None:
        for task in tasks:
            if not isinstance(task, dict):
                self.problems.append(Problem(str(path), 1, "", "", f"a task must be a mapping, not {type(task).__name__}"))
                continue
            if "block" in task:
                for key in ("block", "rescue", "always"):
                    self.tasks(task.get(key) or [], path)
                continue
            self.task(task, path)

    def task(self, task: dict[str, Any], path: Path) -> None:
        line = int(task.get("__line__", 1))
        call = self._call(task, path, line, str(task.get("name", "")))
        if call is None:
            return
        self.calls.append(call)
        if call.module in INCLUDES:
            target = call.arguments.get("file") or (parse_kv(call.text, check_raw=True).get("_raw_params") if call.text else None)
            if isinstance(target, str) and not _templated(target):
                self._include(path, target, line, call.name, call.module)

    def _call(self, task: dict[str, Any], path: Path, line: int, name: str) -> TaskCall | None:
        candidates = [k for k in task if k != "__line__" and k not in TASK_KEYWORDS and not str(k).startswith("with_")]
        action = task.get("action", task.get("local_action"))
        if action is not None:
            if candidates:
                self.problems.append(Problem(str(path), line, name, "", f"unknown task keywords {sorted(candidates)} beside action"))
            if isinstance(action, str):
                module, _sep, text = action.strip().partition(" ")
                call = TaskCall(path, line, name, module, {}, text.strip())
            elif isinstance(action, dict):
                arguments = _clean(action)
                call = TaskCall(path, line, name, str(arguments.pop("module", "")), arguments)
            else:
                self.problems.append(Problem(str(path), line, name, "", "action must be a string or a mapping"))
                return None
        else:
            if len(candidates) != 1:
                message = "no module in task" if not candidates else f"more than one module or unknown keywords: {sorted(candidates)}"
                self.problems.append(Problem(str(path), line, name, "", message))
                return None
            module = str(candidates[0])
            value = task[module]
            if value is None or isinstance(value, dict):
                call = TaskCall(path, line, name, module, _clean(value or {}))
            elif isinstance(value, (str, int, float)):
                call = TaskCall(path, line, name, module, {}, str(value))
            else:
                self.problems.append(Problem(str(path), line, name, module, f"arguments must be a mapping or a k=v string, not {type(value).__name__}"))
                return None
        extra = task.get("args")
        if isinstance(extra, str) and _templated(extra):
            call.templated = True
        elif isinstance(extra, dict):
            call.arguments = {**_clean(extra), **call.arguments}
        return call

    def _include(self, path: Path, target: str, line: int, name: str, module: str) -> None:
        bases = [path.parent]
        if path.parent.name in ("tasks", "handlers"):
            bases.append(path.parent.parent / "tasks")
        for base in bases:
            candidate = base / target
            if candidate.is_file():
                self.task_file(candidate)
                return
        self.problems.append(Problem(str(path), line, name, module, f"included file {target!r} not found"))


def module_documentation(modules: list[str], ansible_doc: str) -> dict[str, dict[str, Any]]:
    """Documentation of each module, by the name the task used (missing ones are absent)."""
    if not modules:
        return {}
    result = subprocess.run([ansible_doc, "--json", "-t", "module", *modules], check=False, capture_output=True, text=True)
    if result.returncode != 0 and not result.stdout.strip():
        raise SystemExit(f"ansible-doc failed: {result.stderr.strip()}")
    documents: dict[str, dict[str, Any]] = json.loads(result.stdout or "{}")
    return {name: body.get("doc") or {} for name, body in documents.items()}


def _type_error(value: Any, spec: dict[str, Any]) -> str | None:
    expected = spec.get("type", "str")
    if value is None or _templated(value):
        return None
    if expected == "bool":
        if isinstance(value, bool) or (isinstance(value, (str, int)) and str(value).lower() in BOOLEANS):
            return None
        return f"expects a boolean, got {value!r}"
    if expected == "int":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())):
            return f"expects an integer, got {value!r}"
        return None
    if expected == "float":
        try:
            float(value)
        except (TypeError, ValueError):
            return f"expects a number, got {value!r}"
        return None
    if expected in ("str", "path"):
        if isinstance(value, (dict, list)):
            return f"expects a string, got a {type(value).__name__}"
        return None
    if expected == "list":
        if isinstance(value, dict):
            return "expects a list, got a mapping"
        return None
    if expected == "dict":
        if isinstance(value, (list, int, float, bool)):
            return f"expects a mapping, got {value!r}"
        return None
    return None


def _normal(value: Any) -> str:
    """A value as Ansible compares it with choices: booleans by their truth, the rest as text."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if text.lower() in ("yes", "on", "true"):
        return "true"
    if text.lower() in ("no", "off", "false"):
        return "false"
    return text


def _choice_error(value: Any, spec: dict[str, Any]) -> str | None:
    choices = spec.get("choices")
    if not choices or value is None:
        return None
    choice_list = list(choices)
    allowed = {_normal(c) for c in choice_list}
    for item in value if isinstance(value, list) else [value]:
        if not _templated(item) and _normal(item) not in allowed:
            return f"value {item!r} is not one of {choice_list}"
    return None


def _is_free_form(options: dict[str, Any]) -> bool:
    """Whether a module takes free-form text (command-style modules and includes)."""
    return "free_form" in options or "free-form" in options


def check_arguments(arguments: dict[str, Any], options: dict[str, Any], where: str = "") -> list[str]:
    """Problems of one set of arguments against an options specification."""
    messages: list[str] = []
    names: dict[str, str] = {}
    for option, spec in options.items():
        names[option] = option
        for alias in spec.get("aliases") or []:
            names[alias] = option
    free_form = _is_free_form(options) or "key_value" in options
    seen: dict[str, str] = {}
    for given, value in arguments.items():
        if given == "_raw_params" and free_form:
            continue
        found = names.get(given)
        if found is None:
            if "key_value" not in options:
                messages.append(f"unknown option {where}{given!r} (documented: {', '.join(sorted(options))})")
            continue
        option = found
        if option in seen:
            messages.append(f"option {where}{option!r} given twice (as {seen[option]!r} and {given!r})")
        seen[option] = given
        spec = options[option]
        for error in (_type_error(value, spec), _choice_error(value, spec)):
            if error:
                messages.append(f"option {where}{given!r} {error}")
        suboptions = spec.get("suboptions")
        if suboptions:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict):
                    messages.extend(check_arguments(item, suboptions, where=f"{where}{option}."))
    for option, spec in options.items():
        if spec.get("required") and option not in seen and option not in ("free_form", "free-form", "key_value"):
            messages.append(f"missing required option {where}{option!r}")
    return messages


def check(paths: list[Path], ansible_doc: str = "ansible-doc") -> list[Problem]:
    collector = Collector(root=Path.cwd())
    for path in paths:
        files = sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            parts = file.parts
            if "roles" in parts and any(p in ("tasks", "handlers") for p in parts):
                collector.task_file(file)
            elif "roles" not in parts and not any(
                p in ("vars", "group_vars", "host_vars", "defaults", "meta", "files", "templates", "molecule") for p in parts
            ):
                data = load_yaml(file)
                if isinstance(data, list) and data and isinstance(data[0], dict) and any(k in data[0] for k in ("hosts", *PLAYBOOK_IMPORTS)):
                    collector.playbook(file)
                elif isinstance(data, list):
                    collector.task_file(file)
    documentation = module_documentation(sorted({c.module for c in collector.calls}), ansible_doc)
    problems = list(collector.problems)
    for call in collector.calls:
        doc = documentation.get(call.module)
        if doc is None:
            problems.append(Problem(str(call.file), call.line, call.name, call.module, "module not found (ansible-doc has no documentation for it)"))
            continue
        if call.templated:
            continue
        options = doc.get("options") or {}
        arguments = dict(call.arguments)
        if call.text:
            arguments.update(parse_kv(call.text, check_raw=_is_free_form(options)))
        for message in check_arguments(arguments, options):
            problems.append(Problem(str(call.file), call.line, call.name, call.module, message))
    return problems


def iter_default_paths(root: Path) -> Iterator[Path]:
    for name in ("roles", "playbooks"):
        if (root / name).is_dir():
            yield root / name


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or list(iter_default_paths(Path.cwd()))
    problems = check(paths)
    for problem in problems:
        print(problem)
    print(f"checked task arguments in {', '.join(map(str, paths))}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
