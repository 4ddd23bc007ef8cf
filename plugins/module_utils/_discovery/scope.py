# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scope of an active scan: given explicitly, bounded, with exclusions.

A scope entry is a CIDR (``10.1.0.0/24``), a range (``10.1.0.10-10.1.0.40`` or
``10.1.0.10-40``), one address, or a host name (resolved once). Nothing outside the
entries is ever scanned: the result is the exact list of addresses. ``0.0.0.0/0`` (or
``::/0``) is always refused, and a scope larger than ``max_addresses`` (a /16 by default)
is refused unless the caller raises the limit on purpose.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

DEFAULT_MAX_ADDRESSES = 65536  # a /16
_RANGE = re.compile(r"^(?P<start>[0-9.]+)-(?P<end>[0-9.]+)$")


class ScopeError(ValueError):
    """A scope entry is malformed, too large or forbidden; the message names the entry."""


@dataclass(frozen=True)
class Scope:
    addresses: tuple[str, ...]
    names: dict[str, str]
    """Address -> the host name a scope entry gave for it."""


def _network(entry: str) -> Iterator[str] | None:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None
    if network.prefixlen == 0:
        raise ScopeError(f"scope entry {entry!r}: the whole address space is never scanned")
    return (str(address) for address in (network.hosts() if network.num_addresses > 2 else network))


def _range(entry: str) -> Iterator[str] | None:
    match = _RANGE.match(entry)
    if match is None:
        return None
    start_text, end_text = match.group("start"), match.group("end")
    if "." not in end_text:  # 10.1.0.10-40
        end_text = start_text.rsplit(".", 1)[0] + "." + end_text
    try:
        start, end = ipaddress.IPv4Address(start_text), ipaddress.IPv4Address(end_text)
    except ValueError:
        raise ScopeError(f"scope entry {entry!r}: not an address range") from None
    if end < start:
        raise ScopeError(f"scope entry {entry!r}: the range ends before it starts")
    return (str(ipaddress.IPv4Address(value)) for value in range(int(start), int(end) + 1))


def _prefix_length(entry: str) -> int | None:
    try:
        return ipaddress.ip_network(entry, strict=False).prefixlen
    except ValueError:
        return None


def _count(entry: str) -> int:
    try:
        return ipaddress.ip_network(entry, strict=False).num_addresses
    except ValueError:
        pass
    match = _RANGE.match(entry)
    if match is not None:
        end_text = match.group("end")
        if "." not in end_text:
            end_text = match.group("start").rsplit(".", 1)[0] + "." + end_text
        try:
            return int(ipaddress.IPv4Address(end_text)) - int(ipaddress.IPv4Address(match.group("start"))) + 1
        except ValueError:
            return 1
    return 1


def expand_scope(
    entries: list[str],
    exclude: list[str] | None = None,
    max_addresses: int = DEFAULT_MAX_ADDRESSES,
    resolve: Callable[[str], list[str]] | None = None,
) -> Scope:
    """Every address the entries name, minus the exclusions, in order; refuses what it must."""
    if not entries:
        raise ScopeError("the scope is empty: name the networks to scan explicitly (discovery_scope)")
    for entry in entries:
        if _prefix_length(entry.strip()) == 0:
            raise ScopeError(f"scope entry {entry!r}: the whole address space is never scanned")
    total = sum(_count(entry.strip()) for entry in entries)
    if total > max_addresses:
        raise ScopeError(f"the scope holds {total} addresses, more than the limit of {max_addresses}; narrow it, or raise the limit on purpose")
    excluded = set(expand_scope(exclude, None, max_addresses=1 << 24, resolve=resolve).addresses) if exclude else set()
    lookup = resolve or resolve_name
    addresses: dict[str, None] = {}
    names: dict[str, str] = {}
    for raw in entries:
        entry = raw.strip()
        found = _network(entry)
        if found is None:
            found = _range(entry)
        if found is None:
            resolved = lookup(entry)
            if not resolved:
                raise ScopeError(f"scope entry {entry!r}: not a network, range or address, and the name does not resolve")
            for address in resolved:
                names.setdefault(address, entry)
            found = iter(resolved)
        for address in found:
            if address not in excluded:
                addresses[address] = None
    return Scope(tuple(addresses), names)


def resolve_name(name: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
