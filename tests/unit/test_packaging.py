# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection as a user gets it: the tarball's licence and contents, and the baseline action group (issue 17, section 6)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CACHES = (".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache")


def test_the_tarball_carries_the_licence_and_no_test_caches(tmp_path: Path) -> None:
    for cache in CACHES:  # as a test run leaves them, at the top and below
        (ROOT / "tests" / cache).mkdir(exist_ok=True)
        (ROOT / "tests" / cache / "leftover").write_text("x", encoding="utf-8")
    try:
        galaxy = shutil.which("ansible-galaxy", path=str(BIN)) or "ansible-galaxy"
        built = subprocess.run(
            [galaxy, "collection", "build", "--output-path", str(tmp_path), str(ROOT)], capture_output=True, text=True, check=False, timeout=300
        )
        assert built.returncode == 0, built.stderr
    finally:
        for cache in CACHES:
            shutil.rmtree(ROOT / "tests" / cache, ignore_errors=True)
    (tarball,) = tmp_path.glob("hardened-iis-*.tar.gz")
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        licence = archive.extractfile("LICENSE")
        assert licence is not None and b"GNU GENERAL PUBLIC LICENSE" in licence.read()
    assert "LICENSES/GPL-3.0-or-later.txt" in names
    assert [n for n in names if any(part in CACHES for part in Path(n).parts)] == []
    assert not any(n.startswith("tests/standin") for n in names)


def test_module_defaults_for_the_baseline_group_reach_audit_and_harden(tmp_path: Path) -> None:
    playbook = tmp_path / "policy.yml"
    playbook.write_text(
        "- hosts: web02\n  gather_facts: false\n  module_defaults:\n    group/hardened.iis.baseline:\n"
        "      params: {iis-request-max-urll: {max_url: 1}}\n  tasks:\n"
        "    - hardened.iis.audit:\n      ignore_errors: true\n      register: audited\n"
        "    - hardened.iis.harden:\n      check_mode: true\n      ignore_errors: true\n      register: hardened\n"
        "    - ansible.builtin.assert:\n        that:\n          - audited is failed and hardened is failed\n"
        "          - \"'did you mean' in audited.msg and 'did you mean' in hardened.msg\"\n",
        encoding="utf-8",
    )
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    playbook_bin = shutil.which("ansible-playbook", path=str(BIN)) or "ansible-playbook"
    result = subprocess.run(
        [playbook_bin, "-i", str(ROOT / "inventories" / "lab" / "hosts.yml"), str(playbook)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "unknown rule id 'iis-request-max-urll' (did you mean 'iis-request-max-url'?)" in result.stdout


def test_the_installed_tarball_audits_from_a_separate_project(tmp_path: Path) -> None:
    """As a user: the tarball installed into its own collections path, run from another directory with its own inventory."""
    galaxy = shutil.which("ansible-galaxy", path=str(BIN)) or "ansible-galaxy"
    built = subprocess.run([galaxy, "collection", "build", "--output-path", str(tmp_path), str(ROOT)], capture_output=True, text=True, check=False, timeout=300)
    assert built.returncode == 0, built.stderr
    (tarball,) = tmp_path.glob("hardened-iis-*.tar.gz")
    collections = tmp_path / "collections"
    user = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_CONFIG=str(tmp_path / "none.cfg"))
    installed = subprocess.run(
        [galaxy, "collection", "install", "--no-deps", "-p", str(collections), str(tarball)], capture_output=True, text=True, env=user, check=False, timeout=300
    )
    assert installed.returncode == 0, installed.stderr
    assert (collections / "ansible_collections" / "hardened" / "iis" / "LICENSE").is_file()
    project = tmp_path / "project"
    (project / "group_vars").mkdir(parents=True)
    shutil.copytree(ROOT / "inventories" / "lab" / "snapshots" / "web02", project / "web02")
    (project / "hosts.yml").write_text(
        "all:\n  hosts:\n    web02:\n      hardened_iis_snapshot: '{{ inventory_dir }}/web02'\n"
        "      ansible_connection: local\n      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n",
        encoding="utf-8",
    )
    (project / "group_vars" / "all.yml").write_text("hardened_iis_params: {iis-request-max-url: {max_url: '2048'}}\n", encoding="utf-8")
    playbook_bin = shutil.which("ansible-playbook", path=str(BIN)) or "ansible-playbook"
    result = subprocess.run(
        [playbook_bin, "-i", "hosts.yml", "hardened.iis.audit", "-e", f"hardened_iis_report_dir={project / 'reports'}"],
        cwd=project,
        capture_output=True,
        text=True,
        env=user,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = (project / "reports" / "findings.json").read_text(encoding="utf-8")
    assert '"host": "web02"' in report and "lte 2048" in report
