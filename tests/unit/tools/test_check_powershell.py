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
    assert any("no documentation sidecar bad_module.py" in p for p in problems), text
    assert any(":8:1: Write-Host corrupts" in p for p in problems), text
    assert any(":9:" in p and "syntax error" in p for p in problems), text


def test_spec_and_documentation_drift_is_reported() -> None:
    problems = sorted(p.message for p in checker.check([FIXTURES / "modules" / "drift_module.ps1"]))
    assert problems == [
        "$module.Result.attempts is set but not documented in the RETURN of drift_module.py",
        "RETURN of drift_module.py documents 'elapsed' as returned always, but the module never sets $module.Result.elapsed",
        "option 'mode': choices is ['fast', 'safe'] in $spec but ['fast', 'safe', 'reckless'] in drift_module.py",
        "option 'name': required is True in $spec but False in drift_module.py",
        "option 'password' is in $spec but not documented in drift_module.py",
        "option 'retries': default is 3 in $spec but 5 in drift_module.py",
        "option 'targets.host': required is True in $spec but False in drift_module.py",
        "option 'targets.port': type is 'int' in $spec but 'str' in drift_module.py",
        "option 'timeout' is documented but not in $spec",
        "option 'token': no_log is False in $spec but True in drift_module.py",
        "supports_check_mode is True but the documented check_mode support is 'none'",
    ]


def test_the_result_keys_of_a_module_are_read_from_its_syntax_tree() -> None:
    keys = checker.result_keys((ROOT / "plugins" / "modules" / "iis_apply.ps1").read_bytes())
    assert set(keys) == {"changed", "backup", "backup_path", "restored", "files", "registry", "recovered_interrupted_apply"}


def test_the_spec_of_a_module_is_read_as_data() -> None:
    spec = checker.module_spec((ROOT / "plugins" / "modules" / "iis_host_state.ps1").read_bytes())
    assert spec is not None
    assert spec["supports_check_mode"] is True
    assert spec["options"]["include_web_configs"] == {"type": "bool", "default": True}
    assert spec["options"]["registry_keys"]["default"][0] == "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"


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
