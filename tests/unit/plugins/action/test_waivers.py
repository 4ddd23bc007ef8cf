# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waivers that lapse say so: on the console before they lapse, and when harden is about to revert one (issue 17, section 4)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.action.audit import ActionModule as Audit
from ansible_collections.hardened.iis.plugins.action.harden import ActionModule as Harden

from .conftest import LAB, Runner

TODAY = datetime.date.today()


def waiver(days: int, **extra: Any) -> dict[str, Any]:
    return {
        "rule": "iis-directory-browsing-off",
        "scope": "Default Web Site*",
        "reason": "the catalogue needs it",
        "expires": str(TODAY + datetime.timedelta(days=days)),
        **extra,
    }


@pytest.mark.parametrize(
    ("days", "window", "expected"),
    [
        (-1, None, "expired on"),
        (10, None, "expires on"),
        (10, 5, None),
        (40, None, None),
        (0, 0, "expires on"),
    ],
)
def test_the_audit_warns_about_each_waiver_that_lapsed_or_lapses_soon(days: int, window: int | None, expected: str | None) -> None:
    args: dict[str, Any] = {"exceptions": [waiver(days, owner="web team")], "today": TODAY.isoformat()}
    if window is not None:
        args["waiver_warning_days"] = window
    result = Runner(None).run(Audit, args, hardened_iis_snapshot=str(LAB / "web01"))
    warnings = [w for w in result.get("warnings", []) if "exception for iis-directory-browsing-off" in w]
    if expected is None:
        assert warnings == []
    else:
        (warning,) = warnings
        assert warning.startswith("audit of web01: the exception for iis-directory-browsing-off @ Default Web Site* ('the catalogue needs it', owner web team)")
        assert expected in warning and (TODAY + datetime.timedelta(days=days)).isoformat() in warning


def test_the_window_comes_from_the_host_variable_and_a_bad_one_is_named() -> None:
    quiet = Runner(None).run(Audit, {"exceptions": [waiver(10)]}, hardened_iis_snapshot=str(LAB / "web01"), hardened_iis_waiver_warning_days=3)
    assert not [w for w in quiet.get("warnings", []) if "exception for" in w]
    bad = Runner(None).run(Audit, {"exceptions": [waiver(10)]}, hardened_iis_snapshot=str(LAB / "web01"), hardened_iis_waiver_warning_days="soon")
    assert bad["failed"] and "waiver_warning_days (hardened_iis_waiver_warning_days): a whole number of days, not 'soon'" in bad["msg"]


def test_harden_names_the_expired_waiver_whose_deviation_it_is_about_to_revert_in_check_mode_too() -> None:
    result = Runner(None).run(
        Harden,
        {"rules": ["iis-directory-browsing-off"], "exceptions": [waiver(-3, owner="web team")]},
        check_mode=True,
        hardened_iis_snapshot=str(LAB / "web01"),
    )
    assert not result.get("failed"), result.get("msg")
    reverting = [w for w in result.get("warnings", []) if "reverting the deviation" in w]
    assert reverting and all("owner web team" in w and "expired on" in w for w in reverting)
    assert any("iis-directory-browsing-off @ Default Web Site" in w for w in reverting)
    unexpired = Runner(None).run(
        Harden, {"rules": ["iis-directory-browsing-off"], "exceptions": [waiver(60)]}, check_mode=True, hardened_iis_snapshot=str(LAB / "web01")
    )
    assert not [w for w in unexpired.get("warnings", []) if "reverting" in w]
