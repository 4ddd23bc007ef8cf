# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A deterministic random sample of hosts for random audits (playbooks/audit.yml).

Each host is ranked by SHA-256 of the seed and its name, and the lowest-ranked
``ceil(count * percent / 100)`` hosts are chosen: the same seed and hosts always give the
same sample (whatever the order of the list, the Python version or the hash seed), any
percentage above 0 chooses at least one host, and a host added to or removed from the
inventory changes the sample of the others by at most that host. The sample comes back in
the order of the input. Errors name the playbook variables, ``audit_sample_percent`` and
``audit_sample_seed``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ansible.errors import AnsibleFilterError

PERCENT_VARIABLE = "audit_sample_percent"
SEED_VARIABLE = "audit_sample_seed"


def sample_percent(percent: Any) -> Decimal:
    """``percent`` as an exact number, or an error naming ``audit_sample_percent``."""
    expected = f"{PERCENT_VARIABLE} must be a number greater than 0 and at most 100 (the share of hosts to audit)"
    if percent is None:
        raise AnsibleFilterError(f"{expected}; it is not set")
    if isinstance(percent, bool) or not isinstance(percent, int | float | str | Decimal):
        raise AnsibleFilterError(f"{expected}, not a {type(percent).__name__} ({percent!r})")
    try:
        value = Decimal(percent.strip()) if isinstance(percent, str) else Decimal(str(percent))
    except InvalidOperation:
        raise AnsibleFilterError(f"{expected}, not {percent!r}") from None
    if not value.is_finite() or not 0 < value <= 100:
        raise AnsibleFilterError(f"{expected}, not {percent!r}")
    return value


def _seed_text(seed: Any) -> str:
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise AnsibleFilterError(f"{SEED_VARIABLE} must be a string or an integer, not a {type(seed).__name__} ({seed!r})")
    return str(seed)


def _rank(seed: str, host: str) -> bytes:
    return hashlib.sha256(f"{seed}\n{host}".encode()).digest()


def sample_hosts(hosts: Any, percent: Any, seed: Any = "") -> list[str]:
    """The hosts of ``hosts`` chosen for a sample of ``percent`` per cent with ``seed``, in input order."""
    if not isinstance(hosts, list | tuple):
        raise AnsibleFilterError(f"sample_hosts expects a list of host names, not a {type(hosts).__name__}")
    for host in hosts:
        if not isinstance(host, str):
            raise AnsibleFilterError(f"sample_hosts expects host names, not a {type(host).__name__} ({host!r})")
    names = list(dict.fromkeys(hosts))
    share = sample_percent(percent)
    seed_text = _seed_text(seed)
    count = math.ceil(len(names) * share / 100)
    chosen = set(sorted(names, key=lambda host: (_rank(seed_text, host), host))[:count])
    return [host for host in names if host in chosen]


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"sample_hosts": sample_hosts}
