# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Static checks of the collection's PowerShell, which cannot run here (there is no pwsh).

Every ``.ps1`` and ``.psm1`` file is parsed with tree-sitter's PowerShell grammar and
any syntax error is reported with its line and column. Modules under
``plugins/modules`` must also use ``Ansible.Basic`` (``#AnsibleRequires -CSharpUtil
Ansible.Basic``), must not write to the host console (``Write-Host``), whose
output corrupts a module's JSON result, and their ``$spec`` must match the options
documented in their Python sidecar (type, required, default, choices, elements,
aliases, no_log, and check mode support); every result key it sets (``$module.Result.<key>``,
read from the syntax tree) must be documented in the sidecar's RETURN, and every RETURN key
documented as ``returned: always`` must be set.

The grammar is more lenient than PowerShell in places (it accepts a ``try`` without
``catch`` or ``finally``, for one), so a clean parse is necessary, not sufficient.

Usage: ``python tools/check_powershell.py [PATH ...]`` (default: the collection).
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_powershell
import yaml

SKIP_DIRECTORIES = {".venv", ".build", ".git", "tests/output"}
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
_WRITE_HOST = re.compile(r"^\s*[^#\n]*\bWrite-Host\b", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def syntax_problems(path: Path, source: bytes) -> list[Problem]:
    """Every ERROR and MISSING node tree-sitter finds, as problems."""
    tree = _PARSER.parse(source)
    problems: list[Problem] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            problems.append(Problem(str(path), node.start_point[0] + 1, node.start_point[1] + 1, f"syntax error: missing {node.type!r}"))
        elif node.type == "ERROR":
            text = node.text.decode("utf-8", "replace").splitlines()[0][:60] if node.text else ""
            problems.append(Problem(str(path), node.start_point[0] + 1, node.start_point[1] + 1, f"syntax error near {text!r}"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(problems, key=lambda p: (p.line, p.column))


def module_problems(path: Path, source: bytes) -> list[Problem]:
    """Rules for Ansible modules written in PowerShell."""
    text = source.decode("utf-8-sig", "replace")
    problems = []
    if "#AnsibleRequires -CSharpUtil Ansible.Basic" not in text:
        problems.append(Problem(str(path), 1, 1, "module does not use Ansible.Basic (#AnsibleRequires -CSharpUtil Ansible.Basic)"))
    for match in _WRITE_HOST.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        problems.append(Problem(str(path), line, 1, "Write-Host corrupts a module's result; use $module.Warn or $module.Result"))
    return problems


def _value(node: tree_sitter.Node) -> Any:
    """A PowerShell literal as Python data: hashtables, arrays, strings, numbers, $true/$false/$null."""
    kind = node.type
    if kind == "hash_literal_expression":
        result: dict[str, Any] = {}
        body = next((c for c in node.children if c.type == "hash_literal_body"), None)
        for entry in body.children if body is not None else []:
            if entry.type != "hash_entry":
                continue
            key = next(c for c in entry.children if c.type == "key_expression")
            value = next(c for c in entry.children if c.type == "pipeline")
            result[_text(key).strip("'\"")] = _value(value)
        return result
    if kind == "array_literal_expression" and any(c.type == "," for c in node.children):
        return [_value(c) for c in node.children if c.type != ","]
    if kind == "array_expression":
        inner = [c for c in node.children if c.type not in ("@(", ")")]
        if not inner:
            return []
        values: list[Any] = []
        for statement in inner:
            for child in statement.children if statement.type == "statement_list" else [statement]:
                item = _value(child)
                values.extend(item if isinstance(item, list) else [item])
        return values
    if kind in ("string_literal", "verbatim_string_characters", "expandable_string_literal"):
        return _text(node)[1:-1] if _text(node)[:1] in ("'", '"') else _text(node)
    if kind == "variable":
        return {"$true": True, "$false": False, "$null": None}.get(_text(node).lower(), _text(node))
    if kind in ("decimal_integer_literal", "integer_literal"):
        return int(_text(node))
    named = [c for c in node.children if c.is_named]
    if len(named) == 1:
        return _value(named[0])
    return _text(node)


def _text(node: tree_sitter.Node) -> str:
    return node.text.decode("utf-8") if node.text else ""


def module_spec(source: bytes) -> dict[str, Any] | None:
    """The ``$spec`` hashtable a module passes to Ansible.Basic, as Python data."""
    tree = _PARSER.parse(source)
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "assignment_expression":
            left = node.children[0]
            if _text(left).strip().lower() == "$spec":
                value = _value(node.children[-1])
                return value if isinstance(value, dict) else None
        stack.extend(node.children)
    return None


def documented(sidecar: Path, name: str = "DOCUMENTATION") -> dict[str, Any]:
    """The DOCUMENTATION (or RETURN) of a module's Python sidecar."""
    tree = ast.parse(sidecar.read_text(encoding="utf-8"))
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in statement.targets):
            data = yaml.safe_load(ast.literal_eval(statement.value))
            return data if isinstance(data, dict) else {}
    return {}


# Result keys Ansible.Basic and the executor add to every module's result.
COMMON_RESULT_KEYS = {"changed", "failed", "msg", "skipped", "invocation", "warnings", "deprecations", "diff", "exception", "rc"}


def result_keys(source: bytes) -> dict[str, int]:
    """Every top-level key a module sets with ``$module.Result.<key> = ...`` (read from the syntax tree), with its first line."""
    keys: dict[str, int] = {}
    stack = [_PARSER.parse(source).root_node]
    while stack:
        node = stack.pop()
        if node.type == "left_assignment_expression":
            stack.extend(_result_accesses(node))
            continue
        if node.type == "member_access" and node.parent is not None and node.parent.type == "member_access":
            base = node.children[0]
            member = node.children[-1]
            key_node = node.parent.children[-1]
            if base.type == "variable" and _text(base).lower() == "$module" and _text(member).lower() == "result" and key_node.type == "member_name":
                keys.setdefault(_text(key_node), node.start_point[0] + 1)
            continue
        if node.type != "comment":
            stack.extend(node.children)
    return keys


def _result_accesses(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The member accesses of an assignment's left side (where a result key is set)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.type == "member_access":
            found.append(current)
        stack.extend(current.children)
    return found


def result_problems(path: Path, source: bytes) -> list[Problem]:
    """Keys a module sets but does not document in RETURN, and RETURN keys documented as always returned that it never sets."""
    sidecar = path.with_suffix(".py")
    if not sidecar.is_file():
        return []
    returns = documented(sidecar, "RETURN")
    keys = result_keys(source)
    problems = [
        Problem(str(path), line, 1, f"$module.Result.{key} is set but not documented in the RETURN of {sidecar.name}")
        for key, line in sorted(keys.items(), key=lambda item: item[1])
        if key not in returns and key not in COMMON_RESULT_KEYS
    ]
    for key, entry in sorted(returns.items()):
        if str((entry or {}).get("returned", "")).strip() == "always" and key not in keys:
            message = f"RETURN of {sidecar.name} documents {key!r} as returned always, but the module never sets $module.Result.{key}"
            problems.append(Problem(str(path), 1, 1, message))
    return problems


SPEC_FIELDS = ("type", "required", "default", "choices", "elements", "aliases", "no_log")


def documented_no_log(option: dict[str, Any]) -> bool:
    """Whether an option's documentation says it is never logged.

    validate-modules allows no ``no_log`` key in DOCUMENTATION, so a secret option says
    C(no_log) in its description, and ``$spec`` must then set ``no_log = $true`` (and only then).
    """
    description = option.get("description") or ""
    text = " ".join(description) if isinstance(description, list) else str(description)
    return "C(no_log)" in text


def _compare_options(path: Path, sidecar: str, options: dict[str, Any], docs: dict[str, Any], prefix: str) -> list[Problem]:
    """Differences between $spec options and documented options, suboptions included."""
    problems: list[Problem] = []
    for short in sorted(set(options) | set(docs)):
        name = prefix + short
        if short not in docs:
            problems.append(Problem(str(path), 1, 1, f"option {name!r} is in $spec but not documented in {sidecar}"))
            continue
        if short not in options:
            problems.append(Problem(str(path), 1, 1, f"option {name!r} is documented but not in $spec"))
            continue
        for field_name in SPEC_FIELDS:
            in_spec = options[short].get(field_name, "str" if field_name == "type" else None)
            in_docs = documented_no_log(docs[short]) if field_name == "no_log" else docs[short].get(field_name, "str" if field_name == "type" else None)
            if field_name in ("required", "no_log"):
                in_spec, in_docs = bool(in_spec), bool(in_docs)
            if isinstance(in_spec, list) and isinstance(in_docs, list) and field_name == "choices":
                in_spec, in_docs = [str(v) for v in in_spec], [str(v) for v in in_docs]
            if in_spec != in_docs and not (field_name == "default" and in_spec in (None, []) and in_docs in (None, [])):
                problems.append(Problem(str(path), 1, 1, f"option {name!r}: {field_name} is {in_spec!r} in $spec but {in_docs!r} in {sidecar}"))
        nested_spec = options[short].get("options") or {}
        nested_docs = docs[short].get("suboptions") or {}
        if nested_spec or nested_docs:
            problems.extend(_compare_options(path, sidecar, nested_spec, nested_docs, name + "."))
    return problems


def spec_problems(path: Path, source: bytes) -> list[Problem]:
    """Differences between a module's $spec and its documented options."""
    sidecar = path.with_suffix(".py")
    if not sidecar.is_file():
        return [Problem(str(path), 1, 1, f"no documentation sidecar {sidecar.name}")]
    spec = module_spec(source)
    if spec is None:
        return [Problem(str(path), 1, 1, "no $spec hashtable found")]
    problems = _compare_options(path, sidecar.name, spec.get("options") or {}, documented(sidecar).get("options") or {}, "")
    check_mode = (documented(sidecar).get("attributes") or {}).get("check_mode", {}).get("support")
    if bool(spec.get("supports_check_mode")) != (check_mode in ("full", "partial")):
        problems.append(
            Problem(str(path), 1, 1, f"supports_check_mode is {spec.get('supports_check_mode')!r} but the documented check_mode support is {check_mode!r}")
        )
    return problems


def powershell_files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if any(relative == d or relative.startswith(d + "/") for d in SKIP_DIRECTORIES):
            continue
        if path.suffix.lower() in (".ps1", ".psm1") and path.is_file():
            found.append(path)
    return found


def check(paths: list[Path]) -> list[Problem]:
    problems: list[Problem] = []
    for path in paths:
        source = path.read_bytes()
        problems.extend(syntax_problems(path, source))
        if path.parent.name == "modules" and path.suffix.lower() == ".ps1":
            problems.extend(module_problems(path, source))
            problems.extend(spec_problems(path, source))
            problems.extend(result_problems(path, source))
    return problems


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path.cwd()]
    files = [f for root in roots for f in (powershell_files(root) if root.is_dir() else [root])]
    problems = check(files)
    for problem in problems:
        print(problem)
    print(f"parsed {len(files)} PowerShell file(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
