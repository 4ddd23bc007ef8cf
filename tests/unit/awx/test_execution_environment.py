# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""execution-environment.yml and meta/execution-environment.yml: the build context ansible-builder
writes from them, and pins that match constraints.txt (what CI tests is what the EE runs)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
BUILDER = shutil.which("ansible-builder", path=str(Path(sys.executable).parent))
EE_REQUIREMENTS = ROOT / "meta" / "ee-requirements.txt"
BINDEP = ROOT / "meta" / "bindep.txt"
DEPENDENCY_COLLECTIONS = ("ansible.windows", "community.windows", "microsoft.iis")


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, by canonical name."""
    found: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", f"{path.name}: {line!r} is not pinned with =="
        found[canonicalize_name(requirement.name)] = specifiers[0].version
    return found


CONSTRAINTS = pins(ROOT / "constraints.txt")


def ee_definition() -> dict[str, object]:
    document = yaml.safe_load((ROOT / "execution-environment.yml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if BUILDER is None:
        pytest.fail("ansible-builder is not installed in the venv: requirements.txt must pin ansible-builder 3")
    target = tmp_path_factory.mktemp("ee") / "context"
    command = [BUILDER, "create", "-f", str(ROOT / "execution-environment.yml"), "--context", str(target), "--output-filename", "Containerfile"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_the_definition_is_version_3_with_a_base_image_that_names_no_registry() -> None:
    definition = ee_definition()
    assert definition["version"] == 3
    images = definition["images"]
    assert isinstance(images, dict)
    name = images["base_image"]["name"]
    assert "{" not in name and "$" not in name
    first = name.split("/", 1)[0]
    assert "/" not in name or not ("." in first or ":" in first or first == "localhost"), f"{name} names a registry host"


def test_the_containerfile_installs_the_pinned_ansible_core_and_the_collection(context: Path) -> None:
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', containerfile, re.MULTILINE)
    assert refs is not None
    assert f"ansible-core=={CONSTRAINTS['ansible-core']}" in refs.group(1).split()
    assert "--user-pip=requirements.txt --user-bindep=bindep.txt" in containerfile
    assert "ln -sfn /runner/project /usr/share/ansible/collections/ansible_collections/hardened/iis" in containerfile
    assert "ENV ANSIBLE_COLLECTIONS_PATH=/runner/requirements_collections:/usr/share/ansible/collections" in containerfile


def test_the_python_and_system_requirements_landed_in_the_context(context: Path) -> None:
    assert (context / "_build" / "requirements.txt").read_text(encoding="utf-8") == EE_REQUIREMENTS.read_text(encoding="utf-8")
    assert (context / "_build" / "bindep.txt").read_text(encoding="utf-8") == BINDEP.read_text(encoding="utf-8")


def test_the_galaxy_collections_are_the_versions_the_pinned_ansible_package_ships(context: Path) -> None:
    assert importlib.metadata.version("ansible") == CONSTRAINTS["ansible"], "the venv does not hold constraints.txt's ansible"
    requested = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))["collections"]
    versions = {entry["name"]: entry["version"] for entry in requested}
    import ansible_collections

    shipped = {}
    for name in DEPENDENCY_COLLECTIONS:
        namespace, collection = name.split(".")
        manifests = [Path(p) / namespace / collection / "MANIFEST.json" for p in ansible_collections.__path__]
        manifest = next(m for m in manifests if m.is_file())
        shipped[name] = json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]
    assert versions == shipped
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert set(galaxy["dependencies"]) <= set(versions)


def test_every_python_pin_is_the_version_in_constraints() -> None:
    ee_pins = pins(EE_REQUIREMENTS)
    assert ee_pins
    assert {name: CONSTRAINTS.get(name) for name in ee_pins} == ee_pins


def test_the_python_pins_hold_every_dependency_of_the_pinned_packages() -> None:
    """The pins are a closed set: no package comes into the EE at a version CI did not test."""
    ee_pins = pins(EE_REQUIREMENTS)
    missing = set()
    for name in ee_pins:
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            applies = requirement.marker is None or requirement.marker.evaluate({"extra": ""})
            if applies and canonicalize_name(requirement.name) not in ee_pins:
                missing.add(f"{requirement.name} (for {name})")
    assert not missing


def test_every_third_party_import_of_the_plugins_is_pinned() -> None:
    distributions = importlib.metadata.packages_distributions()
    ee_pins = pins(EE_REQUIREMENTS)
    unpinned = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top in sys.stdlib_module_names or top in ("ansible", "ansible_collections", "__future__"):
                    continue
                for distribution in distributions.get(top, [top]):
                    if canonicalize_name(distribution) not in ee_pins:
                        unpinned.add(f"{top} ({path.relative_to(ROOT)})")
    assert not unpinned


def test_the_collection_metadata_names_existing_relative_files() -> None:
    metadata = yaml.safe_load((ROOT / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert metadata["version"] == 1
    assert metadata["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "meta/bindep.txt"}
    for relative in metadata["dependencies"].values():
        assert not Path(relative).is_absolute()
        assert (ROOT / relative).is_file()
    dependencies = ee_definition()["dependencies"]
    assert isinstance(dependencies, dict)
    assert (dependencies["python"], dependencies["system"]) == (metadata["dependencies"]["python"], metadata["dependencies"]["system"])


def test_the_system_requirements_parse_with_bindep_for_rpm_and_dpkg() -> None:
    from bindep.depends import Depends

    depends = Depends(BINDEP.read_text(encoding="utf-8"))
    rpm = {rule[0] for rule in depends.active_rules(["platform:rpm", "platform:redhat", "platform:centos"])}
    dpkg = {rule[0] for rule in depends.active_rules(["platform:dpkg", "platform:debian"])}
    assert {"ca-certificates", "openssh-clients"} <= rpm
    assert {"ca-certificates", "openssh-client"} <= dpkg
