# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iCalendar RRULE of "N days after Patch Tuesday" for AWX schedules.

Patch Tuesday is the second Tuesday of the month, which falls on day 8 to 14. The day N
days later falls on day 8+N to 14+N and on the weekday N days after Tuesday; any 7
consecutive days hold each weekday exactly once, so ``BYDAY=<that weekday>`` with
``BYMONTHDAY=<those 7 days>`` matches exactly one day a month. AWX refuses the shorter
``BYDAY=2TU`` (no numeric BYDAY prefix) and an RRULE cannot add days, hence this form.
Up to 14 days after, every day lies within day 28, so no month is ever skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
MAX_DAYS_AFTER = 14
_TUESDAY = WEEKDAYS.index("TU")
_FIRST_POSSIBLE_DAY = 8


def patch_tuesday_rrule(days_after: Any) -> str:
    """``FREQ=MONTHLY;INTERVAL=1;BYDAY=..;BYMONTHDAY=..`` for the day ``days_after`` days after the second Tuesday."""
    if isinstance(days_after, bool) or not isinstance(days_after, int | str):
        raise AnsibleFilterError(f"patch_tuesday_rrule: days after Patch Tuesday must be a whole number from 0 to {MAX_DAYS_AFTER}, not {days_after!r}")
    try:
        days = int(days_after)
    except ValueError:
        days = -1
    if not 0 <= days <= MAX_DAYS_AFTER:
        raise AnsibleFilterError(f"patch_tuesday_rrule: days after Patch Tuesday must be a whole number from 0 to {MAX_DAYS_AFTER}, not {days_after!r}")
    weekday = WEEKDAYS[(_TUESDAY + days) % 7]
    first = _FIRST_POSSIBLE_DAY + days
    monthdays = ",".join(str(day) for day in range(first, first + 7))
    return f"FREQ=MONTHLY;INTERVAL=1;BYDAY={weekday};BYMONTHDAY={monthdays}"


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"patch_tuesday_rrule": patch_tuesday_rrule}
