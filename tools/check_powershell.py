# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Static checks of the collection's PowerShell, which cannot run here (there is no pwsh).

Every ``.ps1`` and ``.psm1`` file is parsed with tree-sitter's PowerShell grammar and
any syntax error is reported with its line and column. Modules under
``plugins/modules`` must also use ``Ansible.Basic`` (``#AnsibleRequires -CSharpUtil
Ansible.Basic``) and must not write to the host console (``Write-Host``), whose
output corrupts a module's JSON result.

The grammar is more lenient than PowerShell in places (it accepts a ``try`` without
``catch`` or ``finally``, for one), so a clean parse is necessary, not sufficient.

Usage: ``python tools/check_powershell.py [PATH ...]`` (default: the collection).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tree_sitter
import tree_sitter_powershell

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
