# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An action fails its task with the message of any HardenedIisError, caught in one place; anything else is a bug and escapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.change_set import ActionModule as ChangeSet
from ansible_collections.hardened.iis.plugins.action.evidence_bundle import ActionModule as EvidenceBundle
from ansible_collections.hardened.iis.plugins.action.hotfix_compliance import ActionModule as HotfixCompliance
from ansible_collections.hardened.iis.plugins.action.snapshot_write import ActionModule as SnapshotWrite

from .conftest import LAB, Runner

WEB01 = str(LAB / "web01")
LATE = [{"rule": "iis-directory-browsing-off", "reason": "r", "expires": "soon"}]
WINDOW = {"window_start": "noon", "window_end": "2026-11-19T09:00:00Z"}


@pytest.mark.parametrize(
    ("action", "args", "prefix", "fragment"),
    [
        (Audit, {"snapshot": WEB01, "today": "yesterday"}, "audit of web01: today: ", "Invalid isoformat string: 'yesterday'"),
        (Audit, {"snapshot": WEB01, "rules": ["no-such-rule"]}, "audit of web01: ", "iis10.yml: unknown rule id(s): no-such-rule"),
        (Audit, {"snapshot": WEB01, "exceptions": LATE}, "audit of web01: ", "exceptions[0]: expires must be a date"),
        (HotfixCompliance, {"snapshot": WEB01, "cvrf_dir": "/nowhere", "today": "yesterday"}, "hotfix compliance of web01: today: ", "Invalid isoformat"),
        (EvidenceBundle, {"snapshot": WEB01, "dest": "{tmp}/bundle", **WINDOW}, "evidence of web01: ", "evidence_since: 'noon' is not an ISO 8601 time"),
        (SnapshotWrite, {"dest": "{tmp}/copy", "host_state": {"files": [{"path": "C:\\x"}]}}, "snapshot of web01: ", "files[0] needs 'path' and 'content'"),
        (ChangeSet, {"path": "{tmp}/missing.yml"}, "", "missing.yml: cannot be read"),
    ],
)
def test_a_refused_input_fails_the_task_with_what_the_action_was_doing(action: type, args: dict[str, Any], prefix: str, fragment: str, tmp_path: Path) -> None:
    given = {key: value.replace("{tmp}", str(tmp_path)) if isinstance(value, str) else value for key, value in args.items()}

    result = Runner(None).run(action, given)

    assert result["failed"]
    assert result["msg"].startswith(prefix) and fragment in result["msg"], result["msg"]


def test_a_failed_hotfix_compliance_reports_the_remote_calls_it_made() -> None:
    result = Runner(None).run(HotfixCompliance, {"today": "yesterday", "cvrf_dir": "/nowhere", "snapshot": WEB01})

    assert result["failed"] and result["remote_calls"] == 0


def test_an_error_that_is_no_hardened_iis_error_is_a_bug_and_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> dict[str, Any]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(Audit, "act", broken)
    with pytest.raises(ZeroDivisionError, match="a bug"):
        Runner(None).run(Audit, {"snapshot": WEB01})
