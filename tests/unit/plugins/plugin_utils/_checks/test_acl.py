# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``acl`` check: every allow entry within its principal's rights and places; no ACL gathered is a person's to check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._checks import kind_of
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import catalog_from_data, load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Finding
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import HostState, load_snapshot, state_from_document

ROOT = Path(__file__).resolve().parents[5]
LAB = ROOT / "inventories" / "lab" / "snapshots"
ALLOW = [
    {"principal": "SYSTEM", "sid": "S-1-5-18", "rights": ["FullControl"]},
    {"principal": "Users", "sid": "S-1-5-32-545", "rights": ["ReadAndExecute", "ListDirectory"]},
    {"principal": "CREATOR OWNER", "rights": ["FullControl"], "applies_to": ["subfolders", "files"]},
]
SPEC = {"path": "%SystemDrive%\\inetpub", "allow": ALLOW}
INHERITED = {"inheritance_flags": "ContainerInherit, ObjectInherit", "propagation_flags": "InheritOnly"}


def rule(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "t-acl",
        "title": "t",
        "severity": "medium",
        "scope": "server",
        "references": {},
        "check": {"acl": spec},
        "remediation": {"manual": {"guidance": "reset it"}},
    }


def finding(state: HostState, spec: dict[str, Any] | None = None) -> Finding:
    (found,) = Evaluator(state).evaluate(catalog_from_data([rule(spec if spec is not None else SPEC)], "rules.yml").rules)
    return found


def host(entries: list[dict[str, Any]] | None, drive: str = "C:") -> HostState:
    document: dict[str, Any] = {"environment": {"SystemDrive": drive}}
    if entries is not None:
        document["acls"] = {f"{drive}\\inetpub": entries}
    return state_from_document(document, MemoryFiles({}), "web01/state.yml", "web01")


def entry(identity: str, sid: str | None, rights: Any, **more: Any) -> dict[str, Any]:
    return {"identity": identity, **({"sid": sid} if sid else {}), "rights": rights, "type": "allow", **more}


def test_the_default_inetpub_acl_of_the_lab_passes_and_an_extra_grant_fails() -> None:
    catalog = load_catalog()
    (web01,) = [f for f in Evaluator(load_snapshot(LAB / "web01")).evaluate(catalog.rules) if f.rule_id == "iis-inetpub-permissions"]
    (web02,) = [f for f in Evaluator(load_snapshot(LAB / "web02")).evaluate(catalog.rules) if f.rule_id == "iis-inetpub-permissions"]
    assert (web01.status, web01.evidence.file, web01.evidence.actual) == ("pass", "C:\\inetpub", "13 allow entries, each within its principal's rights")
    assert web02.status == "fail"
    assert web02.evidence.actual == "not allowed: Everyone (S-1-1-0): Modify, Synchronize (this folder, subfolders, files)"
    assert "CREATOR OWNER: FullControl on subfolders, files only" in str(web02.evidence.expected)
    assert web02.remediation.startswith("%SystemDrive%\\inetpub > Properties > Security")


def test_no_acl_in_the_host_state_is_for_a_person_not_an_error() -> None:
    found = finding(host(None))
    assert found.status == "manual"
    assert found.evidence.actual.startswith("the ACL of C:\\inetpub was not gathered")


def test_the_path_is_expanded_with_the_host_s_system_drive() -> None:
    assert finding(host([entry("NT AUTHORITY\\SYSTEM", "S-1-5-18", 2032127)], drive="D:")).status == "pass"
    assert finding(host([entry("NT AUTHORITY\\SYSTEM", "S-1-5-18", 2032127)], drive="D:")).evidence.file == "D:\\inetpub"


def test_principals_match_by_sid_so_localised_names_pass() -> None:
    german = [entry("NT-AUTORITÄT\\SYSTEM", "S-1-5-18", 2032127), entry("VORDEFINIERT\\Benutzer", "S-1-5-32-545", 1179817)]
    assert finding(host(german)).status == "pass"
    # Same name, other SID: not the allowed account.
    assert finding(host([entry("BUILTIN\\Users", "S-1-5-21-1-2-3-545", 1179817)])).status == "fail"


def test_without_a_sid_the_name_matches_with_or_without_its_domain() -> None:
    assert finding(host([entry("BUILTIN\\Users", None, "ReadAndExecute, Synchronize"), entry("CREATOR OWNER", None, 268435456, **INHERITED)])).status == "pass"
    assert finding(host([entry("CONTOSO\\webadmins", None, "Read")])).status == "fail"


@pytest.mark.parametrize(
    ("entries", "named"),
    [
        ([entry("BUILTIN\\Users", "S-1-5-32-545", "Modify, Synchronize")], "BUILTIN\\Users (S-1-5-32-545): Modify, Synchronize (this folder)"),
        ([entry("BUILTIN\\Users", "S-1-5-32-545", ["ReadAndExecute", "WriteData"])], "ReadAndExecute, CreateFiles (this folder)"),
        ([entry("CREATOR OWNER", "S-1-3-0", 2032127)], "CREATOR OWNER (S-1-3-0): FullControl (this folder)"),
        ([entry("Everyone", "S-1-1-0", 1179817, inherited=True)], "Everyone (S-1-1-0): ReadAndExecute, Synchronize (this folder, inherited)"),
    ],
)
def test_more_rights_more_places_or_another_principal_fail_and_are_named(entries: list[dict[str, Any]], named: str) -> None:
    found = finding(host([entry("NT AUTHORITY\\SYSTEM", "S-1-5-18", 2032127), *entries]))
    assert found.status == "fail"
    assert named in found.evidence.actual


def test_deny_entries_only_take_away_and_pass() -> None:
    assert finding(host([{**entry("Everyone", "S-1-1-0", 2032127), "type": "deny"}])).status == "pass"


def test_the_catalog_rule_follows_the_stig_list() -> None:
    found = load_catalog().rule("iis-inetpub-permissions")
    assert found.check.kind == "acl" and found.automated
    assert {a["sid"] for a in found.check.spec["allow"]} == {
        "S-1-5-18",
        "S-1-5-32-544",
        "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
        "S-1-15-2-1",
        "S-1-15-2-2",
        "S-1-5-32-545",
        "S-1-3-0",
    }
    assert next(iter(found.remediation)) == "manual"
    assert kind_of("acl").summary(found.check.spec).startswith("acl `%SystemDrive%\\inetpub`: allow entries only for SYSTEM, Administrators")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"path": "C:\\inetpub"}, "check 'acl' lacks allow"),
        ({"path": 5, "allow": ALLOW}, "path must be a Windows path"),
        ({"path": "C:\\x", "allow": []}, "needs 'allow', a non-empty list"),
        ({"path": "C:\\x", "allow": "Users"}, "needs 'allow', a non-empty list"),
        ({"path": "C:\\x", "allow": ["Users"]}, r"allow\[0\]: an allowed entry is \{principal, rights\}"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "rights": ["Read"], "who": 1}]}, r"allow\[0\]: an allowed entry"),
        ({"path": "C:\\x", "allow": [{"principal": 7, "rights": ["Read"]}]}, r"allow\[0\]\.principal must be an account name"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "sid": "545", "rights": ["Read"]}]}, "is not a security identifier"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "rights": "Read"}]}, r"rights must be a non-empty list"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "rights": ["Everything"]}]}, "unknown right 'Everything'"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "rights": [3]}]}, "rights must be a number or FileSystemRights names"),
        ({"path": "C:\\x", "allow": [{"principal": "Users", "rights": ["Read"], "applies_to": ["everywhere"]}]}, "applies_to must be a non-empty list"),
    ],
)
def test_a_malformed_acl_check_is_refused_by_the_catalog(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message) as caught:
        catalog_from_data([rule(spec)], "rules.yml")
    assert str(caught.value).startswith("rules.yml: rule 1 (t-acl)")
