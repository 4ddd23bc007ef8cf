# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's environment is data from the host: a value that is not a drive or a path is refused
by name, and no value is ever read as a pattern (issue 15)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot, state_from_document

ROOT = Path(__file__).resolve().parents[5]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"
BACKSLASH_SEQUENCES = ["C:\\o", "C:\\1", "\\g<0>", "C:\\"]


@pytest.mark.parametrize("drive", BACKSLASH_SEQUENCES)
def test_a_gathered_system_drive_that_is_not_a_drive_is_refused_by_name(drive: str) -> None:
    with pytest.raises(HostStateError) as caught:
        state_from_document({"environment": {"SystemDrive": drive}}, MemoryFiles({}), "web01 (gathered)", "web01")
    assert str(caught.value).startswith(f"web01 (gathered): environment['SystemDrive'] = {drive!r}: must be a drive letter and a colon")


def test_a_snapshot_whose_state_names_a_bad_system_drive_is_refused_before_any_rule(tmp_path: Path) -> None:
    snapshot = tmp_path / "web01"
    shutil.copytree(WEB01, snapshot)
    state = yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8"))
    state["environment"]["SystemDrive"] = "C:\\o"
    (snapshot / "state.yml").write_text(yaml.safe_dump(state), encoding="utf-8")
    with pytest.raises(HostStateError, match=r"state\.yml: environment\['SystemDrive'\] = 'C:\\\\o'"):
        load_snapshot(snapshot, "web01")


@pytest.mark.parametrize("drive", BACKSLASH_SEQUENCES)
def test_the_system_drive_is_never_read_as_a_replacement_pattern(drive: str) -> None:
    """Even a drive that got past the state checks is inserted literally."""
    expectation = Expectation.parse({"not_on_system_drive": True}, "t")
    assert expectation.holds("%SystemDrive%\\inetpub\\logs", {}, drive) is False
    assert expectation.holds("Q:\\logs", {}, drive) is True
