# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where hotfix compliance reads a host's facts: gather results, snapshots, evidence files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.action.hotfix_compliance import _evidence_facts, _state_facts
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFactsError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot, state_from_gather

ROOT = Path(__file__).resolve().parents[4]
LAB = ROOT / "inventories" / "lab" / "snapshots"
CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
HOTFIX = Path(CORPUS) / "hotfix" if CORPUS else Path("/nonexistent")


def test_a_gather_result_gives_the_same_facts_as_the_snapshot() -> None:
    state = yaml.safe_load((LAB / "web01" / "state.yml").read_text(encoding="utf-8"))
    gathered = _state_facts(state_from_gather({"state": state, "files": []}, "web01"))
    from_snapshot = _state_facts(load_snapshot(LAB / "web01"))
    assert gathered == from_snapshot
    assert (from_snapshot.current_build, from_snapshot.ubr, from_snapshot.dotnet_framework) == (17763, 5936, ("3.5", "4.8"))
    assert "KB5034273" in from_snapshot.installed_kbs
    assert from_snapshot.defender is not None and from_snapshot.defender.signature_version == "1.419.512.0"


@pytest.mark.skipif(not HOTFIX.is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
def test_evidence_files_add_the_qfe_updates_to_systeminfo() -> None:
    facts = _evidence_facts({"systeminfo": str(HOTFIX / "wesng_srv_2012r2_u1_systeminfo.txt"), "qfe": str(HOTFIX / "wesng_srv_2012r2_u1_qfe.txt")})
    assert facts.current_build == 9600
    assert len(facts.installed_kbs) == 154
    assert {u.source for u in facts.updates} == {"systeminfo"}  # the qfe listing names the same 154 KBs


def test_an_unreadable_evidence_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(HostFactsError, match=f"{tmp_path / 'absent.txt'}: cannot be read"):
        _evidence_facts({"systeminfo": str(tmp_path / "absent.txt")})
