# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A live host's gather result becomes the same host state as its snapshot."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import load_snapshot, state_from_gather

ROOT = Path(__file__).resolve().parents[4]
WEB01 = ROOT / "inventories" / "lab" / "snapshots" / "web01"
CATALOG = ROOT / "tests" / "unit" / "plugins" / "plugin_utils" / "_audit" / "fixtures" / "catalog.yml"


def gather_result_of(snapshot: Path) -> dict[str, object]:
    """What hardened.iis.iis_host_state returns for the host the snapshot was taken of."""
    files = []
    for path in sorted((snapshot / "files").rglob("*")):
        if path.is_file():
            parts = path.relative_to(snapshot / "files").parts
            files.append({"path": parts[0] + ":\\" + "\\".join(parts[1:]), "content": base64.b64encode(path.read_bytes()).decode("ascii")})
    return {"changed": False, "state": yaml.safe_load((snapshot / "state.yml").read_text(encoding="utf-8")), "files": files}


def test_gathered_and_snapshot_host_states_give_the_same_findings() -> None:
    rules = load_catalog(CATALOG).rules
    gathered = Evaluator(state_from_gather(gather_result_of(WEB01), "web01")).evaluate(rules)
    from_snapshot = Evaluator(load_snapshot(WEB01)).evaluate(rules)
    skip = {"t-start-page-removed"}  # a file check: MemoryFiles and SnapshotFiles answer it alike, compared below
    assert [f.as_dict() for f in gathered if f.rule_id not in skip] == [f.as_dict() for f in from_snapshot if f.rule_id not in skip]
    assert [f.status for f in gathered if f.rule_id in skip] == [f.status for f in from_snapshot if f.rule_id in skip]


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ({"files": [{"path": "C:\\x"}]}, "web01: gather result files[0] needs 'path' and 'content'"),
        ({"files": [{"path": "C:\\x", "content": "***"}]}, "content is not base64"),
        ({"state": {"features": {"Web-Server": "yes"}}}, "features['Web-Server'] must be one of installed, absent"),
        ({"state": {"colour": "blue"}}, "unknown key(s) colour"),
    ],
)
def test_a_malformed_gather_result_is_named(result: dict[str, object], message: str) -> None:
    with pytest.raises(HostStateError) as caught:
        state_from_gather(result, "web01")
    assert message in str(caught.value)
