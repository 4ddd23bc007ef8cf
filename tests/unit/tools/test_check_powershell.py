# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every PowerShell file parses, and the checker catches what it claims to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import check_powershell as checker

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "powershell"


COLLECTION_SCRIPTS = [p for p in checker.powershell_files(ROOT) if FIXTURES not in p.parents]


def test_a_correct_module_has_no_problem() -> None:
    assert checker.check([FIXTURES / "modules" / "good_module.ps1"]) == []


def test_a_broken_module_is_reported_with_lines() -> None:
    problems = [str(p) for p in checker.check([FIXTURES / "modules" / "bad_module.ps1"])]
    text = "\n".join(problems)
    assert any(":1:1: module does not use Ansible.Basic" in p for p in problems), text
    assert any(":8:1: Write-Host corrupts" in p for p in problems), text
    assert any(":9:" in p and "syntax error" in p for p in problems), text


@pytest.mark.parametrize(
    ("source", "line"),
    [
        (b"function Get-X {\n    param($a)\n    if ($a) { 'x'\n}\n", 3),
        (b"$h = @{ a = 1\n", 1),
        (b"Get-Item (Join-Path $env:TEMP 'x'\n$y = 1\n", 1),
    ],
)
def test_syntax_errors_are_found(source: bytes, line: int) -> None:
    problems = checker.syntax_problems(Path("x.ps1"), source)
    assert problems, "no problem found"
    assert problems[0].line >= line


@pytest.mark.parametrize("path", COLLECTION_SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_powershell_file_of_the_collection_parses(path: Path) -> None:
    assert [str(p) for p in checker.check([path])] == []
