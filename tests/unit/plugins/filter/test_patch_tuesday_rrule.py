# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The patch_tuesday_rrule filter, checked against real calendars with python-dateutil (what AWX parses rrules with)."""

from __future__ import annotations

import calendar
import datetime
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from dateutil.rrule import rrule, rrulestr

from ansible_collections.hardened.iis.plugins.filter import patch_tuesday_rrule as plugin
from ansible_collections.hardened.iis.plugins.filter.patch_tuesday_rrule import MAX_DAYS_AFTER, patch_tuesday_rrule

ROOT = Path(__file__).resolve().parents[4]
FIRST_YEAR, LAST_YEAR = 2000, 2060
# The table in docs/awx.md.
TABLE = {
    0: "FREQ=MONTHLY;INTERVAL=1;BYDAY=TU;BYMONTHDAY=8,9,10,11,12,13,14",
    1: "FREQ=MONTHLY;INTERVAL=1;BYDAY=WE;BYMONTHDAY=9,10,11,12,13,14,15",
    2: "FREQ=MONTHLY;INTERVAL=1;BYDAY=TH;BYMONTHDAY=10,11,12,13,14,15,16",
    3: "FREQ=MONTHLY;INTERVAL=1;BYDAY=FR;BYMONTHDAY=11,12,13,14,15,16,17",
    4: "FREQ=MONTHLY;INTERVAL=1;BYDAY=SA;BYMONTHDAY=12,13,14,15,16,17,18",
    5: "FREQ=MONTHLY;INTERVAL=1;BYDAY=SU;BYMONTHDAY=13,14,15,16,17,18,19",
    6: "FREQ=MONTHLY;INTERVAL=1;BYDAY=MO;BYMONTHDAY=14,15,16,17,18,19,20",
}


def second_tuesday(year: int, month: int) -> datetime.date:
    """Counted with the standard library's calendar, independently of the rule."""
    tuesdays = [week[calendar.TUESDAY] for week in calendar.monthcalendar(year, month) if week[calendar.TUESDAY]]
    return datetime.date(year, month, tuesdays[1])


def expected(days_after: int) -> list[datetime.date]:
    return [second_tuesday(year, month) + datetime.timedelta(days=days_after) for year in range(FIRST_YEAR, LAST_YEAR + 1) for month in range(1, 13)]


def occurrences(rule: str) -> list[datetime.date]:
    parsed = rrulestr(rule)
    assert isinstance(parsed, rrule)
    start = parsed._dtstart  # the parsed DTSTART, with its zone
    end = datetime.datetime(LAST_YEAR, 12, 31, 23, 59, tzinfo=start.tzinfo)
    return [moment.date() for moment in parsed.between(start, end, inc=True)]


@pytest.mark.parametrize("days_after", range(MAX_DAYS_AFTER + 1))
def test_the_rule_matches_the_day_n_days_after_every_second_tuesday(days_after: int) -> None:
    rule = f"DTSTART;TZID=Europe/Berlin:{FIRST_YEAR}0101T030000 RRULE:{patch_tuesday_rrule(days_after)}"
    assert occurrences(rule) == expected(days_after)


def test_the_documented_table_is_what_the_filter_returns() -> None:
    assert {n: patch_tuesday_rrule(n) for n in TABLE} == TABLE
    documentation = (ROOT / "docs" / "awx.md").read_text(encoding="utf-8")
    for rule in TABLE.values():
        assert rule in documentation


def test_known_months() -> None:
    # Patch Tuesdays: 2026-03-10, 2026-09-08 (earliest possible), 2025-10-14 (latest possible).
    rule = rrulestr(f"DTSTART;TZID=UTC:20250901T020000 RRULE:{patch_tuesday_rrule(3)}")
    dates = [
        moment.date().isoformat()
        for moment in rule.between(datetime.datetime(2025, 9, 1, tzinfo=datetime.UTC), datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC))
    ]
    assert dates[1] == "2025-10-17"
    assert "2026-03-13" in dates
    assert dates[-1] == "2026-09-11"


@pytest.mark.parametrize("days_after", range(MAX_DAYS_AFTER + 1))
def test_awx_accepts_the_rule(days_after: int) -> None:
    """The checks of AWX's schedule serializer: INTERVAL given, no numeric BYDAY prefix, a zoned DTSTART."""
    rule = f"DTSTART;TZID=America/New_York:20260101T020000 RRULE:{patch_tuesday_rrule(str(days_after))}"
    for body in re.findall(r"RULE:(\S*)", rule):
        assert "INTERVAL=" in body
        assert not re.match(r".*?BYDAY[:=][0-9]+[a-zA-Z]{2}", body)
    assert not re.findall(r"DTSTART:[0-9]+T[0-9]+ ", rule)
    assert len(re.findall(r"DTSTART(;[^:]+)?:[0-9]+T[0-9]+Z?", rule)) == 1


@pytest.mark.parametrize("days_after", [-1, 15, 3.0, "three", "", None, True, [3]])
def test_a_bad_number_of_days_is_refused(days_after: Any) -> None:
    with pytest.raises(AnsibleFilterError, match="days after Patch Tuesday must be a whole number from 0 to 14"):
        patch_tuesday_rrule(days_after)


def test_the_filter_is_registered_and_documented() -> None:
    assert plugin.FilterModule().filters() == {"patch_tuesday_rrule": patch_tuesday_rrule}
    documentation = yaml.safe_load((ROOT / "plugins" / "filter" / "patch_tuesday_rrule.yml").read_text(encoding="utf-8"))
    assert documentation["DOCUMENTATION"]["name"] == "patch_tuesday_rrule"
    assert set(documentation["DOCUMENTATION"]["options"]) == {"_input"}
    assert TABLE[3] in documentation["RETURN"]["_value"]["description"]
