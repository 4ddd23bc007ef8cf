# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What hotfix compliance reads about a host: OS build facts, installed updates, Defender.

The facts come from the host state (``os``, ``updates``, ``defender`` in ``state.yml`` or a
gather result, see docs/host-state.md) or from evidence files (``systeminfo``, ``wmic qfe``)
of machines Ansible cannot reach.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

_KB = re.compile(r"^\s*(?:KB)?\s*(\d{6,8})\s*$", re.IGNORECASE)
UPDATE_SOURCES = ("hotfix", "msu", "history", "cbs", "systeminfo", "qfe")


class HostFactsError(HardenedIisError, ValueError):
    """The host's OS or update facts are missing or malformed; the message names the source and key."""


def normalize_kb(text: Any, where: str) -> str:
    """'KB5009555' from '5009555', 'kb5009555' or 'KB5009555'."""
    match = _KB.match(str(text))
    if match is None:
        raise HostFactsError(f"{where}: {text!r} is not a KB number (expected KB followed by 6 to 8 digits)")
    return f"KB{match.group(1)}"


def _date(value: Any, where: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise HostFactsError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def _datetime(value: Any, where: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        found = value
    elif isinstance(value, datetime.date):
        found = datetime.datetime(value.year, value.month, value.day)
    else:
        try:
            found = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise HostFactsError(f"{where}: {value!r} is not a date and time (ISO 8601)") from None
    return found if found.tzinfo else found.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class InstalledUpdate:
    kb: str
    source: str
    installed_on: datetime.date | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> InstalledUpdate:
        if not isinstance(data, dict) or "kb" not in data:
            raise HostFactsError(f"{where}: an installed update needs 'kb' (and may have 'source', 'installed_on')")
        source = str(data.get("source") or "hotfix")
        if source not in UPDATE_SOURCES:
            raise HostFactsError(f"{where}: source {source!r} is not one of {', '.join(UPDATE_SOURCES)}")
        return cls(normalize_kb(data["kb"], where), source, _date(data.get("installed_on"), f"{where}: installed_on"))

    def as_dict(self) -> dict[str, Any]:
        return {"kb": self.kb, "source": self.source, "installed_on": self.installed_on.isoformat() if self.installed_on else None}


@dataclass(frozen=True)
class DefenderStatus:
    enabled: bool
    signature_version: str | None = None
    signature_updated: datetime.datetime | None = None

    @classmethod
    def parse(cls, data: Any, where: str) -> DefenderStatus | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise HostFactsError(f"{where} must be a mapping, not {type(data).__name__}")
        return cls(
            enabled=bool(data.get("enabled", False)),
            signature_version=str(data["signature_version"]) if data.get("signature_version") else None,
            signature_updated=_datetime(data.get("signature_updated"), f"{where}: signature_updated"),
        )

    def signature_age_days(self, now: datetime.datetime) -> float | None:
        if self.signature_updated is None:
            return None
        return round((now - self.signature_updated).total_seconds() / 86400, 1)


@dataclass(frozen=True)
class HostFacts:
    """The OS facts that decide which MSRC products a host is, and how far it is patched."""

    product_name: str
    current_build: int
    ubr: int = 0
    edition_id: str = ""
    installation_type: str = "Server"
    display_version: str = ""
    architecture: str = "AMD64"
    dotnet_framework: tuple[str, ...] = ()
    hotpatch_enrolled: bool = False
    updates: tuple[InstalledUpdate, ...] = field(default=())
    defender: DefenderStatus | None = None

    @property
    def build(self) -> tuple[int, int]:
        return (self.current_build, self.ubr)

    @property
    def installed_kbs(self) -> frozenset[str]:
        return frozenset(u.kb for u in self.updates)

    @property
    def server_core(self) -> bool:
        return self.installation_type.casefold().replace(" ", "") == "servercore"

    @classmethod
    def from_state(cls, os_facts: dict[str, Any], updates: Any, defender: Any, where: str) -> HostFacts:
        """Facts from a host state's ``os`` mapping, ``updates`` list and ``defender`` mapping."""
        for key in ("product_name", "current_build"):
            if not os_facts.get(key):
                raise HostFactsError(f"{where}: os.{key} is missing; hotfix compliance needs the OS build facts")
        try:
            build = int(str(os_facts["current_build"]))
            ubr = int(str(os_facts.get("ubr") or 0))
        except ValueError:
            raise HostFactsError(f"{where}: os.current_build and os.ubr must be numbers") from None
        if updates is not None and not isinstance(updates, list):
            raise HostFactsError(f"{where}: updates must be a list, not {type(updates).__name__}")
        dotnet = os_facts.get("dotnet_framework") or []
        if not isinstance(dotnet, list):
            raise HostFactsError(f"{where}: os.dotnet_framework must be a list of versions")
        return cls(
            product_name=str(os_facts["product_name"]),
            current_build=build,
            ubr=ubr,
            edition_id=str(os_facts.get("edition_id") or ""),
            installation_type=str(os_facts.get("installation_type") or "Server"),
            display_version=str(os_facts.get("display_version") or ""),
            architecture=str(os_facts.get("architecture") or "AMD64"),
            dotnet_framework=tuple(str(v) for v in dotnet),
            hotpatch_enrolled=bool(os_facts.get("hotpatch_enrolled", False)),
            updates=tuple(InstalledUpdate.parse(u, f"{where}: updates[{i}]") for i, u in enumerate(updates or [])),
            defender=DefenderStatus.parse(defender, f"{where}: defender"),
        )
