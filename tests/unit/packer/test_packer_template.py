# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The golden-image template (packer/*.pkr.hcl) and playbooks/build_image.yml, read as data.

Each check is a function returning the problems it finds, run on the real files (no problem)
and on a mutated copy (the problem is found), so every check is shown to be able to fail.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PACKER_DIR = ROOT / "packer"
PLUGINS_FILE = "plugins.pkr.hcl"
BUILD_PLAYBOOK = ROOT / "playbooks" / "build_image.yml"

HYPERVISOR_BUILDERS = frozenset({"hyperv-iso", "vsphere-iso"})
CLOUD_BUILDERS = frozenset({"azure-arm", "amazon-ebs"})
# A variable whose name says it holds a secret; "_id" names (a Key Vault or identity id) do not.
SECRET_NAME = re.compile(r"password|passphrase|secret|token|private_key|credential|api_key", re.IGNORECASE)
STAGES = ["features", "patches", "harden", "integrity", "gate"]
HCL_OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


@dataclass
class Template:
    """The blocks of every *.pkr.hcl file of a directory, merged as Packer merges them."""

    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)  # "type.name" -> attributes
    builds: list[dict[str, Any]] = field(default_factory=list)
    packer_blocks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # file name -> packer {} blocks


@dataclass(frozen=True)
class Step:
    """What Packer does on a build machine, in order: a provisioner, or the shutdown_command."""

    kind: str  # the provisioner type, or "shutdown"
    body: dict[str, Any]
    text: str


def parse_hcl(path: Path) -> dict[str, Any]:
    return dict(hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=HCL_OPTIONS))


def load_template(directory: Path) -> Template:
    template = Template()
    for path in sorted(directory.glob("*.pkr.hcl")):
        document = parse_hcl(path)
        for block in document.get("variable", []):
            template.variables.update(block)
        for block in document.get("source", []):
            for builder, named in block.items():
                for name, body in named.items():
                    template.sources[f"{builder}.{name}"] = body
        template.builds.extend(document.get("build", []))
        if "packer" in document:
            template.packer_blocks[path.name] = document["packer"]
    return template


def text_of(value: Any) -> str:
    """Every string in a value, joined: what a command line or an inline script says."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(text_of(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(text_of(v) for v in value)
    return str(value)


def provisioners(build: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(kind, body) for block in build.get("provisioner", []) for kind, body in block.items()]


def applies_to(body: dict[str, Any], source: str) -> bool:
    """Whether a provisioner runs for a source ("type.name"), after its only and except."""
    only, excluded = body.get("only"), body.get("except", [])
    return (only is None or source in only) and source not in excluded


def build_sources(build: dict[str, Any]) -> list[str]:
    return [reference.removeprefix("source.").removeprefix("sources.") for reference in build.get("sources", [])]


def steps(template: Template, build: dict[str, Any], source: str) -> list[Step]:
    """The steps Packer takes on the build machine of one source: its provisioners, then its shutdown_command."""
    found = [Step(kind, body, text_of(body.get("inline", body.get("script", "")))) for kind, body in provisioners(build) if applies_to(body, source)]
    shutdown = template.sources[source].get("shutdown_command")
    if shutdown:
        found.append(Step("shutdown", {}, str(shutdown)))
    return found


def normalise(command: str) -> str:
    return re.sub(r"\s+", " ", command.replace("$env:SystemRoot", "C:\\Windows")).casefold()


def is_sysprep(step: Step) -> bool:
    return "sysprep.exe" in normalise(step.text) and "/generalize" in normalise(step.text)


# ---------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------


def check_sources(template: Template) -> list[str]:
    problems = []
    builders = {name.split(".", 1)[0] for name in template.sources}
    if len(template.sources) < 2:
        problems.append(f"{len(template.sources)} source(s), at least 2 needed")
    if not builders & HYPERVISOR_BUILDERS:
        problems.append(f"no local hypervisor builder ({', '.join(sorted(HYPERVISOR_BUILDERS))})")
    if not builders & CLOUD_BUILDERS:
        problems.append(f"no cloud builder ({', '.join(sorted(CLOUD_BUILDERS))})")
    for name, body in template.sources.items():
        if body.get("communicator") != "winrm":
            problems.append(f"{name}: communicator is {body.get('communicator')!r}, not winrm")
        if body.get("winrm_use_ssl") is not True:
            problems.append(f"{name}: winrm_use_ssl is not true")
        if body.get("winrm_insecure") is not False:
            problems.append(f"{name}: winrm_insecure is not false: the listener's certificate must be validated")
        if body.get("winrm_port", 5986) != 5986:
            problems.append(f"{name}: winrm_port is {body.get('winrm_port')}, not 5986")
    for build in template.builds:
        for source in build_sources(build):
            if source not in template.sources:
                problems.append(f"build uses {source}, which is not defined")
    return problems


def check_ansible_provisioner(template: Template) -> list[str]:
    problems = []
    for build in template.builds:
        ansible = [body for kind, body in provisioners(build) if kind == "ansible"]
        if len(ansible) != 1:
            problems.append(f"{len(ansible)} ansible provisioner(s), one needed")
            continue
        body = ansible[0]
        for source in build_sources(build):
            if not applies_to(body, source):
                problems.append(f"the ansible provisioner does not run for {source}")
        if not str(body.get("playbook_file", "")).endswith("playbooks/build_image.yml"):
            problems.append(f"the ansible provisioner runs {body.get('playbook_file')!r}, not playbooks/build_image.yml")
        if body.get("use_proxy") is not False:
            problems.append("use_proxy is not false (Packer's recommendation for WinRM)")
        if not body.get("user"):
            problems.append("no user: Ansible would connect as the user running Packer")
        arguments = text_of(body.get("extra_arguments", []))
        for setting in ("ansible_connection=winrm", "ansible_shell_type=powershell", "ansible_winrm_server_cert_validation=validate"):
            if setting not in arguments:
                problems.append(f"extra_arguments do not set {setting}")
        if "ansible_winrm_server_cert_validation=ignore" in arguments:
            problems.append("extra_arguments turn certificate validation off")
        if "ansible_password" in arguments:
            problems.append("extra_arguments carry the password: the provisioner adds it from the communicator, masked")
    return problems


def check_sysprep_last(template: Template) -> list[str]:
    problems = []
    for build in template.builds:
        for source in build_sources(build):
            builder = source.split(".", 1)[0]
            found = steps(template, build, source)
            sysprep = [step for step in found if is_sysprep(step)]
            if len(sysprep) != 1:
                problems.append(f"{source}: sysprep runs {len(sysprep)} time(s), once needed")
                continue
            if found[-1] is not sysprep[0]:
                problems.append(f"{source}: sysprep is not the last step (last: {found[-1].kind})")
            kinds = [step.kind for step in found]
            if "ansible" not in kinds or kinds.index("ansible") > found.index(sysprep[0]):
                problems.append(f"{source}: the ansible provisioner does not run before sysprep")
            command = normalise(sysprep[0].text)
            if builder in HYPERVISOR_BUILDERS:
                if sysprep[0].kind != "shutdown" or not all(flag in command for flag in ("/generalize", "/oobe", "/shutdown")):
                    problems.append(f"{source}: sysprep /generalize /oobe /shutdown must be the shutdown_command")
            elif builder == "azure-arm":
                wanted = "c:\\windows\\system32\\sysprep\\sysprep.exe /oobe /generalize /quiet /quit /mode:vm"
                if sysprep[0].kind != "powershell" or wanted not in command or "image_state_generalize_reseal_to_oobe" not in command:
                    problems.append(f"{source}: the last provisioner must run {wanted} and wait for IMAGE_STATE_GENERALIZE_RESEAL_TO_OOBE")
    return problems


def check_secrets(template: Template) -> list[str]:
    problems = []
    for name, body in template.variables.items():
        secret = bool(SECRET_NAME.search(name)) or body.get("sensitive") is True
        if secret and body.get("sensitive") is not True:
            problems.append(f"variable {name} holds a secret but is not sensitive = true")
        if secret and "default" in body:
            problems.append(f"variable {name} holds a secret and has a default")
    for source, body in template.sources.items():
        for attribute, value in body.items():
            if SECRET_NAME.search(attribute):
                match = re.fullmatch(r"\$\{var\.(\w+)\}", str(value))
                if not match or template.variables.get(match.group(1), {}).get("sensitive") is not True:
                    problems.append(f"{source}: {attribute} is not a sensitive variable")
    return problems


def check_plugins_file(template: Template) -> list[str]:
    """required_plugins only in plugins.pkr.hcl, which Packer 1.6.6 cannot read and CI leaves out."""
    problems = []
    for file_name, blocks in template.packer_blocks.items():
        if file_name != PLUGINS_FILE and any("required_plugins" in block for block in blocks):
            problems.append(f"{file_name}: required_plugins outside {PLUGINS_FILE}")
    plugins = [block for block in template.packer_blocks.get(PLUGINS_FILE, []) if "required_plugins" in block]
    names = {name for block in plugins for entry in block["required_plugins"] for name in entry}
    for needed in ("ansible",):
        if needed not in names:
            problems.append(f"{PLUGINS_FILE} does not require the {needed} plugin")
    return problems


def check_example(template: Template, values: dict[str, Any]) -> list[str]:
    """variables.pkrvars.hcl.example: only declared variables, every required one, and no secret."""
    problems = [f"{name} is not a declared variable" for name in values if name not in template.variables]
    for name, body in template.variables.items():
        secret = bool(SECRET_NAME.search(name)) or body.get("sensitive") is True
        if secret and name in values:
            problems.append(f"{name} is a secret and must not be in the example")
        if not secret and "default" not in body and name not in values:
            problems.append(f"{name} is required and missing from the example")
    return problems


# ---------------------------------------------------------------------------------------------
# playbooks/build_image.yml
# ---------------------------------------------------------------------------------------------


def load_playbook() -> list[dict[str, Any]]:
    return list(yaml.safe_load(BUILD_PLAYBOOK.read_text(encoding="utf-8")))


def tasks_of(play: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for section in ("pre_tasks", "tasks", "post_tasks"):
        for task in play.get(section, []):
            found.extend([task, *task.get("block", []), *task.get("rescue", []), *task.get("always", [])])
    return found


def modules_of(play: dict[str, Any]) -> set[str]:
    return {key for task in tasks_of(play) for key in task if "." in key}


def roles_of(play: dict[str, Any]) -> set[str]:
    roles = {role if isinstance(role, str) else role.get("role", role.get("name", "")) for role in play.get("roles", [])}
    for task in tasks_of(play):
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
            if key in task:
                roles.add(task[key]["name"])
    return roles


def stage_of(entry: dict[str, Any]) -> str:
    """Which stage of the image build a top-level entry of the playbook is, from what it does."""
    imported = entry.get("ansible.builtin.import_playbook", entry.get("import_playbook"))
    if imported is not None:
        return "harden" if imported in {"harden.yml", "hardened.iis.harden"} else "unknown"
    modules, roles = modules_of(entry), roles_of(entry)
    if "ansible.windows.win_feature" in modules:
        return "features"
    if "hardened.iis.patches" in roles:
        return "patches"
    if "hardened.iis.integrity" in roles:
        return "integrity"
    if {"hardened.iis.audit", "hardened.iis.hotfix_compliance", "ansible.builtin.assert"} <= modules:
        return "gate"
    return "unknown"


def stage_order(playbook: list[dict[str, Any]]) -> list[str]:
    return [stage_of(entry) for entry in playbook]


def check_gate(play: dict[str, Any]) -> list[str]:
    """The gate fails the build: assertions on the audit's failures and on hotfix compliance, nothing that swallows a failure."""
    problems = []
    tasks = tasks_of(play)
    registered = {task.get("register"): key for task in tasks for key in task if key.startswith("hardened.iis.")}
    audit = next((name for name, module in registered.items() if module == "hardened.iis.audit"), None)
    patch = next((name for name, module in registered.items() if module == "hardened.iis.hotfix_compliance"), None)
    if not audit or not patch:
        return ["the gate does not register the audit and the hotfix compliance results"]
    asserted = " ".join(
        text_of(task["ansible.builtin.assert"].get("that")) + " " + text_of(task.get("vars", {})) for task in tasks if "ansible.builtin.assert" in task
    )
    if f"{audit}.findings" not in asserted or "difference(build_image_manual_rules)" not in asserted:
        problems.append("no assertion fails the build when a rule with automated remediation fails")
    if f"{audit}.score.errors" not in asserted:
        problems.append("no assertion fails the build when a rule could not be evaluated")
    if f"{patch}.compliant" not in asserted:
        problems.append("no assertion fails the build when the host is not patch-compliant")
    for task in tasks:
        if task.get("ignore_errors") or task.get("failed_when") in (False, "false") or "rescue" in task:
            problems.append(f"task {task.get('name')!r} swallows a failure")
    return problems


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template(PACKER_DIR)


@pytest.fixture(scope="module")
def playbook() -> list[dict[str, Any]]:
    return load_playbook()


def test_every_packer_file_parses(template: Template) -> None:
    assert sorted(p.name for p in PACKER_DIR.glob("*.pkr.hcl")) == ["build.pkr.hcl", PLUGINS_FILE, "sources.pkr.hcl", "variables.pkr.hcl"]
    assert template.builds and template.sources and template.variables


def test_sources_are_a_hypervisor_and_a_cloud_builder_over_validated_winrm_https(template: Template) -> None:
    assert check_sources(template) == []
    assert {name.split(".")[0] for name in template.sources} == {"hyperv-iso", "azure-arm"}


@pytest.mark.parametrize(
    ("source", "attribute", "value", "problem"),
    [
        ("azure-arm.azure", "winrm_insecure", True, "winrm_insecure is not false"),
        ("hyperv-iso.hyperv", "winrm_use_ssl", False, "winrm_use_ssl is not true"),
        ("hyperv-iso.hyperv", "communicator", "ssh", "not winrm"),
        ("azure-arm.azure", "winrm_port", 5985, "not 5986"),
    ],
)
def test_check_sources_finds_an_unsafe_communicator(template: Template, source: str, attribute: str, value: Any, problem: str) -> None:
    mutated = copy.deepcopy(template)
    mutated.sources[source][attribute] = value
    assert any(problem in found for found in check_sources(mutated))


def test_check_sources_needs_a_hypervisor_and_a_cloud_builder(template: Template) -> None:
    only_cloud = copy.deepcopy(template)
    del only_cloud.sources["hyperv-iso.hyperv"]
    assert "no local hypervisor builder (hyperv-iso, vsphere-iso)" in check_sources(only_cloud)
    assert "1 source(s), at least 2 needed" in check_sources(only_cloud)
    only_local = copy.deepcopy(template)
    only_local.sources["vsphere-iso.vsphere"] = only_local.sources.pop("azure-arm.azure")
    assert check_sources(only_local) == ["no cloud builder (amazon-ebs, azure-arm)", "build uses azure-arm.azure, which is not defined"]


def test_ansible_provisioner_runs_build_image_without_the_proxy_and_validates_certificates(template: Template) -> None:
    assert check_ansible_provisioner(template) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"use_proxy": True}, "use_proxy is not false"),
        ({"playbook_file": "../playbooks/harden.yml"}, "not playbooks/build_image.yml"),
        ({"extra_arguments": ["-e", "ansible_connection=winrm ansible_shell_type=powershell"]}, "do not set ansible_winrm_server_cert_validation=validate"),
        ({"extra_arguments": ["-e", "ansible_connection=winrm ansible_winrm_server_cert_validation=ignore"]}, "do not set ansible_shell_type=powershell"),
        ({"only": ["azure-arm.azure"]}, "does not run for hyperv-iso.hyperv"),
        ({"user": None}, "no user"),
    ],
)
def test_check_ansible_provisioner_finds_a_wrong_setting(template: Template, change: dict[str, Any], problem: str) -> None:
    mutated = copy.deepcopy(template)
    body = next(body for kind, body in provisioners(mutated.builds[0]) if kind == "ansible")
    body.update(change)
    assert any(problem in found for found in check_ansible_provisioner(mutated))


def test_sysprep_is_the_last_step_of_every_build(template: Template) -> None:
    assert check_sysprep_last(template) == []
    build = template.builds[0]
    assert [step.kind for step in steps(template, build, "hyperv-iso.hyperv")] == ["ansible", "shutdown"]
    assert [step.kind for step in steps(template, build, "azure-arm.azure")] == ["ansible", "powershell"]


def test_check_sysprep_last_finds_a_step_after_sysprep(template: Template) -> None:
    mutated = copy.deepcopy(template)
    mutated.builds[0]["provisioner"].append({"powershell": {"inline": ["Write-Output 'too late'"]}})
    problems = check_sysprep_last(mutated)
    assert "hyperv-iso.hyperv: sysprep is not the last step (last: shutdown)" not in problems  # the shutdown still comes last
    assert "azure-arm.azure: sysprep is not the last step (last: powershell)" in problems


def test_check_sysprep_last_finds_sysprep_before_ansible(template: Template) -> None:
    mutated = copy.deepcopy(template)
    mutated.builds[0]["provisioner"].reverse()
    assert "azure-arm.azure: the ansible provisioner does not run before sysprep" in check_sysprep_last(mutated)


def test_check_sysprep_last_finds_a_missing_or_doubled_sysprep(template: Template) -> None:
    no_shutdown = copy.deepcopy(template)
    no_shutdown.sources["hyperv-iso.hyperv"]["shutdown_command"] = "shutdown /s /t 0"
    assert "hyperv-iso.hyperv: sysprep runs 0 time(s), once needed" in check_sysprep_last(no_shutdown)
    everywhere = copy.deepcopy(template)
    for _kind, body in provisioners(everywhere.builds[0]):
        body.pop("only", None)
    assert "hyperv-iso.hyperv: sysprep runs 2 time(s), once needed" in check_sysprep_last(everywhere)


def test_check_sysprep_last_wants_the_documented_azure_command(template: Template) -> None:
    mutated = copy.deepcopy(template)
    body = next(body for kind, body in provisioners(mutated.builds[0]) if kind == "powershell")
    body["inline"] = [line.replace("/quit", "/shutdown") for line in body["inline"]]
    assert any("must run c:\\windows\\system32\\sysprep\\sysprep.exe" in found for found in check_sysprep_last(mutated))


def test_secrets_are_sensitive_variables_without_defaults(template: Template) -> None:
    assert check_secrets(template) == []
    assert template.variables["hyperv_winrm_password"] == {
        "type": "string",
        "description": template.variables["hyperv_winrm_password"]["description"],
        "sensitive": True,
    }


def test_check_secrets_finds_a_default_a_plain_secret_and_a_literal_password(template: Template) -> None:
    with_default = copy.deepcopy(template)
    with_default.variables["hyperv_winrm_password"]["default"] = "P@ssw0rd"
    assert check_secrets(with_default) == ["variable hyperv_winrm_password holds a secret and has a default"]
    not_sensitive = copy.deepcopy(template)
    not_sensitive.variables["azure_client_secret"] = {"type": "string"}
    assert check_secrets(not_sensitive) == ["variable azure_client_secret holds a secret but is not sensitive = true"]
    literal = copy.deepcopy(template)
    literal.sources["hyperv-iso.hyperv"]["winrm_password"] = "P@ssw0rd"
    assert check_secrets(literal) == ["hyperv-iso.hyperv: winrm_password is not a sensitive variable"]


def test_required_plugins_are_only_in_their_own_file(template: Template) -> None:
    assert check_plugins_file(template) == []
    mutated = copy.deepcopy(template)
    mutated.packer_blocks["build.pkr.hcl"] = copy.deepcopy(mutated.packer_blocks[PLUGINS_FILE])
    assert check_plugins_file(mutated) == [f"build.pkr.hcl: required_plugins outside {PLUGINS_FILE}"]


def test_example_values_are_declared_required_and_not_secret(template: Template) -> None:
    example = parse_hcl(PACKER_DIR / "variables.pkrvars.hcl.example")
    assert check_example(template, example) == []
    mutated = {key: value for key, value in example.items() if key != "image_version"} | {"hyperv_winrm_password": "x", "iso": "y"}
    assert check_example(template, mutated) == [
        "iso is not a declared variable",
        "image_version is required and missing from the example",
        "hyperv_winrm_password is a secret and must not be in the example",
    ]


def test_build_image_runs_its_stages_in_order_and_nothing_else(playbook: list[dict[str, Any]]) -> None:
    assert stage_order(playbook) == STAGES


def test_stage_order_detects_a_reordered_or_extra_stage(playbook: list[dict[str, Any]]) -> None:
    swapped = [playbook[0], playbook[2], playbook[1], *playbook[3:]]
    assert stage_order(swapped) == ["features", "harden", "patches", "integrity", "gate"]
    gate_first = [playbook[-1], *playbook[:-1]]
    assert stage_order(gate_first) != STAGES
    extra = [*playbook, {"name": "Shut the host down", "hosts": "all", "tasks": [{"name": "Stop", "ansible.windows.win_shell": "Stop-Computer"}]}]
    assert stage_order(extra) == [*STAGES, "unknown"]


def test_the_gate_fails_the_build_on_automated_rules_errors_and_patch_compliance(playbook: list[dict[str, Any]]) -> None:
    assert check_gate(playbook[-1]) == []


def test_check_gate_finds_a_missing_assertion_or_a_swallowed_failure(playbook: list[dict[str, Any]]) -> None:
    gate = playbook[-1]
    without_compliance = copy.deepcopy(gate)
    without_compliance["tasks"] = [task for task in without_compliance["tasks"] if "compliant" not in text_of(task.get("ansible.builtin.assert", {}))]
    assert check_gate(without_compliance) == ["no assertion fails the build when the host is not patch-compliant"]
    ignoring = copy.deepcopy(gate)
    ignoring["tasks"][1]["ignore_errors"] = True
    assert check_gate(ignoring) == ["task 'Audit the image against the baseline on the controller' swallows a failure"]


def test_features_are_minimal_and_exclude_webdav_directory_browsing_and_cgi(playbook: list[dict[str, Any]]) -> None:
    variables = playbook[0]["vars"]
    wanted, unwanted = set(variables["build_image_default_features"]), set(variables["build_image_default_absent_features"])
    assert {"Web-Server", "Web-Static-Content", "Web-Http-Logging", "Web-Filtering"} <= wanted
    assert {"Web-DAV-Publishing", "Web-Dir-Browsing", "Web-CGI"} <= unwanted
    assert not wanted & unwanted
    assert not any(name.startswith(("Web-Mgmt", "Web-Asp", "Web-Net-Ext", "Web-ISAPI", "Web-Dyn")) for name in wanted)


def _packer_or_skip() -> str:
    packer = shutil.which("packer")
    if packer is None:
        if os.environ.get("CI"):
            pytest.fail("packer is not on PATH but CI is set: the template's syntax check must run in CI (apt-get install packer)")
        pytest.skip("packer is not on PATH (Debian: apt-get install packer); with CI set this is a failure")
    return packer


def syntax_check(packer: str, directory: Path) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, CHECKPOINT_DISABLE="1", PACKER_LOG="0")
    return subprocess.run([packer, "validate", "-syntax-only", str(directory)], capture_output=True, text=True, env=environment, check=False, timeout=120)


def copy_without_plugins(target: Path) -> Path:
    target.mkdir()
    for path in PACKER_DIR.glob("*.pkr.hcl"):
        if path.name != PLUGINS_FILE:
            shutil.copy2(path, target / path.name)
    return target


def test_template_passes_packer_syntax_check_without_the_plugins_file(tmp_path: Path) -> None:
    packer = _packer_or_skip()
    result = syntax_check(packer, copy_without_plugins(tmp_path / "template"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_packer_syntax_check_fails_on_a_broken_template(tmp_path: Path) -> None:
    packer = _packer_or_skip()
    directory = copy_without_plugins(tmp_path / "template")
    with (directory / "build.pkr.hcl").open("a", encoding="utf-8") as handle:
        handle.write('\nvariable "broken" {\n  sensitivity = true\n}\n')
    result = syntax_check(packer, directory)
    assert result.returncode != 0
    assert "sensitivity" in result.stdout + result.stderr
