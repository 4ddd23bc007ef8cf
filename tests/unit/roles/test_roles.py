# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lockdown, urlscan and tls roles: generated from the catalog, complete, effective, idempotent."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot
from tools import generate_roles

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
CATALOG = load_catalog()


def run(lab: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    environment = dict(
        os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"
    )
    command = [PLAYBOOK, "-i", str(lab / "hosts.yml"), "playbooks/harden.yml", *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=600)


def changed_hosts(result: subprocess.CompletedProcess[str]) -> dict[str, int]:
    stats = json.loads(result.stdout)["stats"]
    return {host: values["changed"] for host, values in stats.items()}


def test_the_roles_are_generated_from_the_catalog() -> None:
    assert generate_roles.main(["--check"]) == 0


def test_every_rule_belongs_to_exactly_one_role() -> None:
    roles = {rule.id: generate_roles.role_of(rule) for rule in CATALOG.rules}
    assert set(roles.values()) == set(generate_roles.ROLES)
    for role in generate_roles.ROLES:
        defaults = (ROOT / "roles" / role / "defaults" / "main.yml").read_text(encoding="utf-8")
        switches = {line.split(":")[0] for line in defaults.splitlines() if line.endswith(": true")}
        for rule_id, owner in roles.items():
            assert (generate_roles.switch(role, CATALOG.rule(rule_id)) in switches) == (owner == role), (role, rule_id)


def lab_state(lab: Path, host: str) -> HostState:
    """A lab host's snapshot with the site roles its inventory states (``hardened_iis_site_roles``), as harden sees it."""
    import yaml

    state = load_snapshot(lab / "snapshots" / host)
    hosts = yaml.safe_load((lab / "hosts.yml").read_text(encoding="utf-8"))
    for group in hosts["all"].get("children", {}).values():
        state.site_roles = dict(group.get("hosts", {}).get(host, {}).get("hardened_iis_site_roles", state.site_roles))
    return state


def held_back(result: subprocess.CompletedProcess[str]) -> dict[str, set[tuple[str, str]]]:
    """Per host, the (rule, scope) remediations the harden task left to a person (``breaks-if-in-use``, no precondition, no opt-in)."""
    held: dict[str, set[tuple[str, str]]] = {}
    for play in json.loads(result.stdout)["plays"]:
        for task in play["tasks"]:
            for host, outcome in task["hosts"].items():
                if "held_back" in outcome:
                    held.setdefault(host, set()).update((h["rule"], h["scope"]) for h in outcome["held_back"])
    return held


def test_the_roles_harden_the_lab_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    first = run(lab)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert changed_hosts(first) == {"web01": 1, "web02": 1, "web03": 0}
    held = held_back(first)
    for host in ("web01", "web02", "web03"):
        assert all(CATALOG.rule(rule).impact == "breaks-if-in-use" for rule, _scope in held.get(host, set())), host
        findings = Evaluator(lab_state(lab, host)).evaluate(CATALOG.rules)
        fixable = {(f.rule_id, f.scope) for f in findings if f.status == "fail" and CATALOG.rule(f.rule_id).automated_remediation}
        assert fixable == held.get(host, set()), host
    second = run(lab)
    assert second.returncode == 0
    assert changed_hosts(second) == {"web01": 0, "web02": 0, "web03": 0}
    assert held_back(second) == held


def test_a_rule_id_tag_applies_that_rule_alone(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    result = run(lab, "--tags", "iis-directory-browsing-off", "--limit", "web01")
    assert result.returncode == 0, result.stdout[-3000:]
    findings = Evaluator(load_snapshot(lab / "snapshots" / "web01")).evaluate(CATALOG.rules)
    status = {(f.rule_id, f.scope): f.status for f in findings}
    assert status[("iis-directory-browsing-off", "Default Web Site/shop")] == "pass"
    assert status[("iis-directory-browsing-off", "Default Web Site/shop/uploads")] == "pass"
    assert status[("aspnet-compilation-debug-off", "Default Web Site/shop")] == "fail"
    assert status[("tls-1-0-server-disabled", "server")] == "fail"


def test_check_mode_with_diff_changes_nothing(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    before = {p: p.read_bytes() for p in lab.rglob("*") if p.is_file()}
    result = run(lab, "--check", "--diff")
    assert result.returncode == 0, result.stdout[-3000:]
    assert changed_hosts(result)["web01"] == 1
    assert {p: p.read_bytes() for p in lab.rglob("*") if p.is_file()} == before


def test_tls_profiles_choose_the_cipher_suites_and_fips_adds_its_policy(tmp_path: Path) -> None:
    import yaml

    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    profiles = yaml.safe_load((ROOT / "roles" / "tls" / "defaults" / "main.yml").read_text(encoding="utf-8"))["tls_profiles"]
    order = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Cryptography\\Configuration\\SSL\\00010002"
    fips = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa\\FipsAlgorithmPolicy"

    def registry() -> dict[str, dict[str, object]]:
        return yaml.safe_load((lab / "snapshots" / "web02" / "state.yml").read_text(encoding="utf-8"))["registry"]

    result = run(lab, "--limit", "web02", "--tags", "tls", "-e", "tls_profile=strict")
    assert result.returncode == 0, result.stdout[-3000:]
    assert registry()[order]["Functions"] == ",".join(profiles["strict"]["cipher_suites"])
    assert "CBC" not in str(registry()[order]["Functions"])
    assert fips not in registry()
    result = run(lab, "--limit", "web02", "--tags", "tls", "-e", "tls_profile=fips")
    assert result.returncode == 0, result.stdout[-3000:]
    assert registry()[fips] == {"Enabled": 1}
    assert registry()[order]["Functions"] == ",".join(profiles["fips"]["cipher_suites"])
    result = run(lab, "--limit", "web02", "--tags", "tls", "-e", "tls_profile=sideways")
    assert result.returncode != 0
    assert "tls_profile" in result.stdout


def test_a_role_run_alone_applies_its_own_rules(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    adhoc = shutil.which("ansible", path=str(Path(sys.executable).parent)) or "ansible"
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [adhoc, "-i", str(lab / "hosts.yml"), "web02", "-m", "ansible.builtin.include_role", "-a", "name=hardened.iis.urlscan"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:]
    findings = Evaluator(load_snapshot(lab / "snapshots" / "web02")).evaluate(CATALOG.rules)
    status = {(f.rule_id, f.scope): f.status for f in findings}
    assert status[("iis-server-header-removed", "Default Web Site")] == "pass"
    assert status[("iis-request-high-bit-characters-denied", "Default Web Site")] == "fail", "breaks-if-in-use: held back without an opt-in"
    assert status[("tls-1-0-server-disabled", "server")] == "fail"
    opted_in = subprocess.run(
        [*command, "-e", '{"hardened_iis_allow_disruptive": ["iis-request-high-bit-characters-denied"]}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=300,
    )
    assert opted_in.returncode == 0, opted_in.stdout[-3000:]
    findings = Evaluator(load_snapshot(lab / "snapshots" / "web02")).evaluate(CATALOG.rules)
    status = {(f.rule_id, f.scope): f.status for f in findings}
    assert status[("iis-request-high-bit-characters-denied", "Default Web Site")] == "pass"
    assert status[("tls-1-0-server-disabled", "server")] == "fail"


def statuses_of(lab: Path, host: str) -> dict[tuple[str, str], str]:
    return {(f.rule_id, f.scope): f.status for f in Evaluator(lab_state(lab, host)).evaluate(CATALOG.rules)}


def test_skipping_one_rule_by_tag_applies_every_other(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    result = run(lab, "--skip-tags", "iis-directory-browsing-off", "--limit", "web01")
    assert result.returncode == 0, result.stdout[-3000:]
    status = statuses_of(lab, "web01")
    assert status[("iis-directory-browsing-off", "Default Web Site/shop")] == "fail"
    assert status[("aspnet-compilation-debug-off", "Default Web Site/shop")] == "pass"
    assert status[("tls-1-0-server-disabled", "server")] == "pass"
    assert status[("iis-server-header-removed", "Default Web Site")] == "pass"


def test_a_role_tag_applies_that_role_only(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    result = run(lab, "--tags", "lockdown", "--limit", "web01")
    assert result.returncode == 0, result.stdout[-3000:]
    status = statuses_of(lab, "web01")
    assert status[("aspnet-compilation-debug-off", "Default Web Site/shop")] == "pass"
    assert status[("tls-1-0-server-disabled", "server")] == "fail"  # tls
    assert status[("iis-server-header-removed", "Default Web Site")] == "fail"  # urlscan


def test_one_rule_turned_off_in_group_vars_and_another_in_host_vars_leave_every_other_rule_on(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    (lab / "group_vars").mkdir()
    (lab / "group_vars" / "lab.yml").write_text("---\nlockdown_aspnet_compilation_debug_off: false\n", encoding="utf-8")
    (lab / "host_vars").mkdir()
    (lab / "host_vars" / "web01.yml").write_text(
        "---\nlockdown_iis_directory_browsing_off: false\nurlscan_iis_server_header_removed: 'false'\n", encoding="utf-8"
    )
    result = run(lab, "--limit", "web01,web02")
    assert result.returncode == 0, result.stdout[-3000:]
    web01, web02 = statuses_of(lab, "web01"), statuses_of(lab, "web02")
    assert web01[("aspnet-compilation-debug-off", "Default Web Site/shop")] == "fail"  # group_vars
    assert web01[("iis-directory-browsing-off", "Default Web Site/shop")] == "fail"  # host_vars
    assert web01[("iis-server-header-removed", "Default Web Site")] == "fail"  # "false" from a string is off too
    assert web01[("aspnet-trace-off", "Default Web Site/shop")] == "pass"  # every other rule still applied
    assert web01[("tls-1-0-server-disabled", "server")] == "pass"
    assert web02[("iis-server-header-removed", "Default Web Site")] == "pass"  # host_vars of web01 only


def test_the_former_rules_mapping_is_refused_with_what_replaces_it(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    result = run(lab, "--limit", "web02", "-e", '{"lockdown_rules": {"iis-require-ssl": false}}')
    assert result.returncode != 0
    assert "lockdown_rules is no longer read" in result.stdout and "lockdown_iis_web_content_not_on_system_drive: false" in result.stdout


def test_ansible_doc_shows_each_roles_real_defaults() -> None:
    doc = shutil.which("ansible-doc", path=str(Path(sys.executable).parent)) or "ansible-doc"
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    shown = subprocess.run([doc, "-t", "role", "--json", "hardened.iis.tls"], capture_output=True, text=True, env=environment, check=False, timeout=120)
    assert shown.returncode == 0, shown.stderr
    options = json.loads(shown.stdout)["hardened.iis.tls"]["entry_points"]["main"]["options"]
    assert options["tls_reboot"]["default"] is True and options["tls_reboot_timeout"]["default"] == 600
    assert options["tls_profile"]["default"] == "best_practices" and options["tls_backup_retention"]["default"] == 5
    assert options["tls_tls_1_0_server_disabled"]["default"] is True
    assert "breaks-if-in-use" in " ".join(json.loads(shown.stdout)["hardened.iis.tls"]["entry_points"]["main"]["description"])
