# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole catalog evaluates on every real applicationHost.config, each as a one-host snapshot."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import state_from_document

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
FILES = sorted((Path(CORPUS) / "applicationhost").glob("*.config")) if CORPUS else []
APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
CATALOG = load_catalog()


@pytest.mark.skipif(not FILES, reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_rule_evaluates_on_a_real_file(path: Path) -> None:
    state = state_from_document({"host": path.stem, "features": {}, "services": {}}, MemoryFiles({APPHOST: path.read_bytes()}), path.name, path.stem)
    findings = Evaluator(state).evaluate(CATALOG.rules)
    assert {f.rule_id for f in findings} == {r.id for r in CATALOG.rules}
    unexpected = [
        f"{f.rule_id} {f.scope}: {f.evidence.actual}" for f in findings if f.status == "error" and "does not list feature" not in str(f.evidence.actual)
    ]
    assert unexpected == []
    config_findings = [f for f in findings if CATALOG.rule(f.rule_id).check.kind in ("config", "config_collection", "app_pools")]
    assert {f.status for f in config_findings} <= {"pass", "fail", "not_applicable", "manual"}
    # manual only where applicability hangs on what the file cannot say: a site's role, a feature nobody gathered
    assert all("a person decides whether the rule applies" in str(f.evidence.actual) for f in config_findings if f.status == "manual")
