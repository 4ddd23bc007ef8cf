# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bad organisation value stops audit and harden before any host changes; a number given as text is one (issue 17, section 3)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden

from .conftest import LAB, Runner


def digest(tree: Path) -> dict[str, str]:
    return {str(p.relative_to(tree)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tree.rglob("*")) if p.is_file()}


def test_a_value_iis_would_refuse_stops_harden_before_anything_changes(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    before = digest(snapshot)
    args = {"rules": ["iis-request-max-url"], "params": {"iis-request-max-url": {"max_url": "four thousand"}}, "allow_disruptive": ["iis-request-max-url"]}
    result = Runner(None).run(Harden, args, hardened_iis_snapshot=str(snapshot))
    assert result["failed"]
    assert result["msg"] == (
        "harden of web01: params (hardened_iis_params)['iis-request-max-url']['max_url']: 'four thousand' is not allowed: "
        "max_url takes a whole number from 0 to 4294967295"
    )
    assert digest(snapshot) == before


def test_a_number_given_as_text_is_written_as_the_number_and_audited_as_one(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(LAB / "web01", snapshot)
    params = {"iis-request-max-url": {"max_url": "2048"}}
    hardened = Runner(None).run(
        Harden, {"rules": ["iis-request-max-url"], "params": params, "allow_disruptive": ["iis-request-max-url"]}, hardened_iis_snapshot=str(snapshot)
    )
    assert not hardened.get("failed"), hardened.get("msg")
    assert 'maxUrl="2048"' in (snapshot / "files/C/inetpub/shop/web.config").read_text(encoding="utf-8")
    audited = Runner(None).run(Audit, {"rules": ["iis-request-max-url"], "params": params}, hardened_iis_snapshot=str(snapshot))
    assert {f["status"] for f in audited["findings"]} == {"pass"}


def test_a_misspelt_parameter_is_named_with_the_nearest_known_one() -> None:
    result = Runner(None).run(Audit, {"params": {"iis-request-max-url": {"maxurl": 2048}}}, hardened_iis_snapshot=str(LAB / "web02"))
    assert result["failed"] and "unknown parameter 'maxurl' (did you mean 'max_url'?)" in result["msg"]


def test_a_misspelt_collection_variable_stops_the_task_naming_the_nearest_known_one() -> None:
    result = Runner(None).run(Harden, {}, check_mode=True, hardened_iis_snapshot=str(LAB / "web02"), hardened_iis_excepttions=[])
    assert result["failed"]
    assert "unknown variable(s): hardened_iis_excepttions (did you mean 'hardened_iis_exceptions'?)" in result["msg"]
    audited = Runner(None).run(Audit, {}, hardened_iis_snapshot=str(LAB / "web02"), hardened_iis_site_roles={"*": "public"})
    assert not audited.get("failed"), audited.get("msg")


def test_every_collection_variable_the_repository_uses_is_known() -> None:
    import re

    from ansible_collections.hardened.iis.plugins.plugin_utils._baseline_args import KNOWN_VARIABLES

    root = LAB.parents[2]
    used: set[str] = set()
    for folder in ("playbooks", "roles", "plugins", "inventories", "docs", "molecule", "packer", "extensions", "tests/standin"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in (".yml", ".yaml", ".py", ".md", ".j2", ".hcl", ".ps1", ".psm1"):
                used |= set(re.findall(r"\bhardened_iis_[a-z0-9_]*[a-z0-9]\b", path.read_text(encoding="utf-8", errors="replace")))
    used |= set(re.findall(r"\bhardened_iis_[a-z0-9_]*[a-z0-9]\b", (root / "README.md").read_text(encoding="utf-8")))
    assert sorted(used - KNOWN_VARIABLES) == []
