# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Change sets: checks that name the file and key, identity, and the approval record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog
from ansible_collections.hardened.iis.plugins.plugin_utils._rollout.change_set import (
    ChangeSetError,
    approval_path,
    load_change_set,
    record_approval,
    require_approval,
)

CATALOG = load_catalog()
GOOD = "name: November\nbaseline:\n  rules: [iis-directory-browsing-off]\n  params: {}\n"


def write(tmp_path: Path, text: str, name: str = "change-set.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_change_set_is_read_and_identified_by_its_content(tmp_path: Path) -> None:
    first = load_change_set(write(tmp_path, GOOD), CATALOG)
    assert first.name == "November"
    assert first.baseline == {"rules": ["iis-directory-browsing-off"], "skip_rules": [], "params": {}, "exceptions": []}
    reformatted = load_change_set(write(tmp_path, "baseline: {params: {}, rules: [iis-directory-browsing-off]}\nname: November\n", "other.yml"), CATALOG)
    assert reformatted.sha256 == first.sha256  # the same content in another layout is the same change set
    edited = load_change_set(write(tmp_path, GOOD.replace("rules: [", "rules: [iis-app-pool-identity, "), "edited.yml"), CATALOG)
    assert edited.sha256 != first.sha256


def test_the_updates_manifest_bytes_are_part_of_the_identity(tmp_path: Path) -> None:
    write(tmp_path, "updates: []\n", "approved.yml")
    path = write(tmp_path, "name: updates only\nupdates:\n  manifest: approved.yml\n")
    before = load_change_set(path, CATALOG)
    assert before.manifest == (tmp_path / "approved.yml").resolve()
    write(tmp_path, "updates: []  # promoted\n", "approved.yml")
    assert load_change_set(path, CATALOG).sha256 != before.sha256


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nbaseline: {rules: [no-such-rule]}\n", r"change-set.yml: baseline.rules: unknown rule id\(s\) no-such-rule"),
        ("name: x\nbaseline: {params: {no-such-rule: {}}}\n", r"baseline.params: unknown rule id\(s\) no-such-rule"),
        ("name: x\nbaseline: {exceptions: [{rule: nope, reason: r}]}\n", r"baseline.exceptions: unknown rule id\(s\) nope"),
        ("name: x\nbaseline: {rule: [a]}\n", r"baseline: unknown key\(s\) rule"),
        ("name: x\nbaselines: {}\n", r"unknown key\(s\) baselines"),
        ("baseline: {}\n", "a change set needs a name"),
        ("name: x\n", "needs a baseline, updates, or both"),
        ("name: x\nupdates: {manifest: missing.yml}\n", r"updates.manifest: .*missing.yml cannot be read"),
        ("name: x\nbaseline: [\n", r"change-set.yml:\d+:\d+: not valid YAML"),
        ("- a list\n", "must be a mapping"),
    ],
)
def test_a_wrong_change_set_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ChangeSetError, match=message):
        load_change_set(write(tmp_path, text), CATALOG)


def test_production_needs_the_record_of_exactly_this_change_set(tmp_path: Path) -> None:
    approvals = tmp_path / "approvals"
    path = write(tmp_path, GOOD)
    change_set = load_change_set(path, CATALOG)
    with pytest.raises(ChangeSetError, match="has not passed the test stage"):
        require_approval(approvals, change_set)

    record, written = record_approval(approvals, change_set, {"test1": "passed"}, "alice")
    assert written and require_approval(approvals, change_set) == record
    assert json.loads(approval_path(approvals, change_set).read_text(encoding="utf-8"))["approved_by"] == "alice"
    again, written_again = record_approval(approvals, change_set, {"test1": "passed"}, "bob")
    assert not written_again and again == record  # a second run keeps the record as it was

    edited = load_change_set(write(tmp_path, GOOD.replace("rules: [", "rules: [iis-app-pool-identity, ")), CATALOG)
    with pytest.raises(ChangeSetError, match="changed since it passed the test stage"):
        require_approval(approvals, edited)


def test_nothing_is_approved_without_a_tested_host_and_check_mode_writes_nothing(tmp_path: Path) -> None:
    change_set = load_change_set(write(tmp_path, GOOD), CATALOG)
    with pytest.raises(ChangeSetError, match="no test host passed"):
        record_approval(tmp_path / "approvals", change_set, {}, "alice")
    record_approval(tmp_path / "approvals", change_set, {"test1": "passed"}, "alice", check_mode=True)
    assert not (tmp_path / "approvals").exists()
