# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host state's ``acls``: entries read as Get-Acl returns them, rights as sets of bits, hostile input refused by name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._core.acl import (
    FILES,
    FULL_CONTROL,
    MODIFY,
    READ_AND_EXECUTE,
    SUBFOLDERS,
    SYNCHRONIZE,
    THIS_FOLDER,
    parse_entry,
    rights_mask,
    rights_text,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot, state_from_document, state_from_gather
from ansible_collections.hardened.iis.plugins.plugin_utils._core.snapshot import snapshot_content, write_snapshot

USERS = {"identity": "BUILTIN\\Users", "sid": "S-1-5-32-545", "rights": 1179817, "type": "allow", "inheritance_flags": "None", "propagation_flags": "None"}


def state(acls: Any) -> Any:
    return state_from_document({"acls": acls}, MemoryFiles({}), "web01/state.yml", "web01")


def test_rights_are_masks_whatever_way_they_are_written() -> None:
    assert rights_mask(2032127, "x") == FULL_CONTROL
    assert rights_mask("ReadAndExecute, Synchronize", "x") == READ_AND_EXECUTE | SYNCHRONIZE == 1179817
    assert rights_mask(["modify"], "x") == MODIFY
    # Generic rights of inherit-only entries, signed as .NET casts them: what they stand for on files.
    assert rights_mask(268435456, "x") == FULL_CONTROL
    assert rights_mask(-1610612736, "x") == READ_AND_EXECUTE | SYNCHRONIZE
    assert rights_mask(0xA0000000, "x") == READ_AND_EXECUTE | SYNCHRONIZE
    assert rights_text(MODIFY | SYNCHRONIZE) == "Modify, Synchronize"
    assert rights_text(FULL_CONTROL) == "FullControl"
    assert rights_text(0x1000000 | 0x1) == "ListDirectory, 0x1000000"


def test_an_entry_says_where_it_applies() -> None:
    assert parse_entry(USERS, "e").applies_to == {THIS_FOLDER}
    inherit_only = parse_entry({**USERS, "inheritance_flags": "ContainerInherit, ObjectInherit", "propagation_flags": "InheritOnly"}, "e")
    assert inherit_only.applies_to == {SUBFOLDERS, FILES}
    everywhere = parse_entry({**USERS, "inheritance_flags": ["ObjectInherit", "ContainerInherit"], "propagation_flags": ["NoPropagateInherit"]}, "e")
    assert everywhere.applies_to == {THIS_FOLDER, SUBFOLDERS, FILES}
    assert parse_entry({"sid": "s-1-1-0", "rights": "Modify", "type": "Allow"}, "e").principal == "S-1-1-0"


def test_the_host_state_holds_acls_by_path_without_case() -> None:
    found = state({"C:\\inetpub": [USERS]})
    assert found.acl("c:/INETPUB/") is not None
    assert found.acl("C:\\inetpub")[0].principal == "BUILTIN\\Users (S-1-5-32-545)"  # type: ignore[index]
    assert found.acl("C:\\Windows") is None
    assert state(None).acls == {}


@pytest.mark.parametrize(
    ("acls", "message"),
    [
        (["C:\\inetpub"], "web01/state.yml: acls must be a mapping of path to entries, not list"),
        ({"C:\\inetpub": {"identity": "x"}}, r"acls\['C:\\\\inetpub'\] must be a list of entries, not dict"),
        ({"C:\\inetpub": ["Users"]}, r"acls\['C:\\\\inetpub'\]\[0\] must be a mapping, not str"),
        ({"C:\\inetpub": [{**USERS, "owner": "x"}]}, r"\[0\]: unknown key\(s\) owner"),
        ({"C:\\inetpub": [{**USERS, "identity": None, "sid": None}]}, "an entry needs 'identity' or 'sid'"),
        ({"C:\\inetpub": [{**USERS, "identity": ["Users"]}]}, r"\[0\]\.identity must be text, not list"),
        ({"C:\\inetpub": [{**USERS, "sid": "Users"}]}, r"\[0\]\.sid 'Users' is not a security identifier"),
        ({"C:\\inetpub": [{**USERS, "type": "grant"}]}, r"\[0\]\.type must be allow or deny, not 'grant'"),
        ({"C:\\inetpub": [{k: v for k, v in USERS.items() if k != "rights"}]}, "an entry needs 'rights'"),
        ({"C:\\inetpub": [{**USERS, "rights": True}]}, r"\[0\]\.rights: rights must be a number or FileSystemRights names, not True"),
        ({"C:\\inetpub": [{**USERS, "rights": 2**40}]}, "is not a 32-bit access mask"),
        ({"C:\\inetpub": [{**USERS, "rights": "Everything"}]}, "unknown right 'Everything'"),
        ({"C:\\inetpub": [{**USERS, "rights": {"a": 1}}]}, "rights must be a number or FileSystemRights names"),
        ({"C:\\inetpub": [{**USERS, "inherited": "no"}]}, r"\[0\]\.inherited must be true or false, not 'no'"),
        ({"C:\\inetpub": [{**USERS, "inheritance_flags": "Sideways"}]}, r"inheritance_flags: unknown flag\(s\) sideways"),
        ({"C:\\inetpub": [{**USERS, "propagation_flags": 3}]}, "propagation_flags must be flag names"),
        ({7: [USERS]}, "acls key 7 must be a Windows path"),
    ],
)
def test_hostile_acls_are_refused_naming_the_file_the_path_and_the_entry(acls: Any, message: str) -> None:
    with pytest.raises(HostStateError, match=message) as caught:
        state(acls)
    assert str(caught.value).startswith("web01/state.yml: acls")


def test_a_gathered_acl_is_kept_in_the_snapshot_and_read_back(tmp_path: Path) -> None:
    page = {"path": "C:\\inetpub\\wwwroot\\iisstart.htm", "content": "aGk="}
    result = {"state": {"host": "WEB01", "acls": {"C:\\inetpub": [USERS]}}, "files": [page], "probes": []}
    write_snapshot(snapshot_content(result, "web01"), tmp_path / "web01")
    assert load_snapshot(tmp_path / "web01").acl("C:\\inetpub") == state_from_gather(result, "web01").acl("C:\\inetpub")
    with pytest.raises(HostStateError, match=r"web01 \(gathered\): acls\['C:\\\\inetpub'\]\[0\]\.type must be allow or deny"):
        state_from_gather({"state": {"acls": {"C:\\inetpub": [{**USERS, "type": 1}]}}}, "web01")
