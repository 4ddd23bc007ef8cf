# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scope of an active scan: given explicitly, bounded, with exclusions.

A scope entry is a CIDR (``10.1.0.0/24``), a range (``10.1.0.10-10.1.0.40``, ``10.1.0.10-40``
or two IPv6 addresses), one address, or a host name (resolved once). Nothing outside the
entries is ever scanned. Exclusions take the same forms and are never touched.

Every address is compared by its number, never by its text. It is canonicalised wherever it
enters (entries, exclusions, the addresses a name resolves to, inventory addresses):

* an IPv4-mapped IPv6 address (``::ffff:10.0.0.1``, ``::FFFF:A00:1``) is its IPv4 address, and
  so is an IPv4-compatible one (``::10.0.0.1``; ``::/104``, which holds ``::`` and ``::1``,
  stays IPv6); a network inside either block is the IPv4 network (``::ffff:10.0.0.0/104`` is
  ``10.0.0.0/8``);
* a zone (``fe80::1%eth0``) names the interface to reach an address through, not another
  address: an exclusion with a zone excludes the address on every interface, an address a name
  resolves to loses its zone, and a scope entry with a zone is refused (the scan cannot choose
  an interface, and would silently reach nothing);
* IPv4 is written as four decimal numbers: ``010.0.0.1`` (octal to the C library: 8.0.0.1),
  ``127.1``, ``0x7f.0.0.1`` or ``2130706433`` are refused with a message, never resolved;
  IPv6 text may use any case and any valid compression.

Scopes and exclusions are :class:`AddressRanges`: sorted, merged runs of integers per family,
so a /8 (or an IPv6 /64) costs the same memory as one address, counts are arithmetic, and the
addresses are made one at a time when the scan reads them. The whole address space
(``0.0.0.0/0``, ``::/0``, ``::ffff:0.0.0.0/96``, ``::/96`` or anything covering one of them)
is always refused, and a scope naming more than ``max_addresses`` addresses (a /16 by
default) is refused unless the caller raises the limit on purpose; a host name counts as
the distinct addresses it resolves to.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, overload

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

DEFAULT_MAX_ADDRESSES = 65536  # a /16

Interval = tuple[int, int]
"""The first and the last address of a run, as integers, both included."""

Run = tuple[int, Interval]
"""A run of one IP version (4 or 6)."""

Role = Literal["scope entry", "exclusion"]

IPV4_LAST = (1 << 32) - 1
IPV6_LAST = (1 << 128) - 1

_MAPPED_OFFSET = 0xFFFF_0000_0000
_EMBEDDED_IPV4: tuple[tuple[int, int, int], ...] = (
    (_MAPPED_OFFSET, _MAPPED_OFFSET + IPV4_LAST, _MAPPED_OFFSET),  # ::ffff:0.0.0.0/96, IPv4-mapped
    (0x0100_0000, IPV4_LAST, 0),  # ::1.0.0.0 - ::255.255.255.255, IPv4-compatible (::/104 holds :: and ::1)
)
"""IPv6 blocks that are IPv4 addresses: first, last, and what to subtract to get the IPv4 number."""

_NUMERIC_LABEL = r"(?:0[xX][0-9a-fA-F]*|[0-9]+)"
_NUMERIC_IPV4 = re.compile(rf"^{_NUMERIC_LABEL}(?:\.{_NUMERIC_LABEL})*\.?$")
"""What the C library's inet_aton reads as an IPv4 address: 1 to 4 parts, each decimal, octal or hex."""

_HOST_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?$")
_SHORT_RANGE_END = re.compile(r"^[0-9]{1,3}$")


class ScopeError(HardenedIisError, ValueError):
    """A scope entry is malformed, too large or forbidden; the message names the entry."""


# --- runs of integers ---------------------------------------------------------------------------


def _merged(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, with overlapping and adjacent intervals joined."""
    runs: list[Interval] = []
    for first, last in sorted(intervals):
        if runs and first <= runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], max(runs[-1][1], last))
        else:
            runs.append((first, last))
    return tuple(runs)


def _subtracted(kept: tuple[Interval, ...], removed: tuple[Interval, ...]) -> tuple[Interval, ...]:
    """``kept`` without ``removed`` (both sorted and merged), in one sweep over both."""
    runs: list[Interval] = []
    skipped = 0
    for first, last in kept:
        while skipped < len(removed) and removed[skipped][1] < first:
            skipped += 1
        start = first
        for cut_first, cut_last in removed[skipped:]:
            if cut_first > last:
                break
            if cut_first > start:
                runs.append((start, cut_first - 1))
            start = max(start, cut_last + 1)
            if start > last:
                break
        if start <= last:
            runs.append((start, last))
    return tuple(runs)


def _canonical_runs(version: int, first: int, last: int) -> list[Run]:
    """The run ``first..last`` with its IPv4-mapped and IPv4-compatible parts turned into IPv4 runs."""
    if version == 4:
        return [(4, (first, last))]
    runs: list[Run] = []
    rest: tuple[Interval, ...] = ((first, last),)
    for block_first, block_last, offset in _EMBEDDED_IPV4:
        low, high = max(first, block_first), min(last, block_last)
        if low <= high:
            runs.append((4, (low - offset, high - offset)))
            rest = _subtracted(rest, ((block_first, block_last),))
    runs.extend((6, interval) for interval in rest)
    return runs


def _address_text(version: int, number: int) -> str:
    if version == 4:
        return socket.inet_ntoa(number.to_bytes(4, "big"))
    return str(ipaddress.IPv6Address(number))


class _Strided(Sequence[str]):
    """Some positions of an :class:`AddressRanges` (a slice of it), read lazily like the whole."""

    def __init__(self, addresses: AddressRanges, positions: range) -> None:
        self._addresses = addresses
        self._positions = positions

    def __len__(self) -> int:
        return len(self._positions)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> _Strided: ...

    def __getitem__(self, index: int | slice) -> str | _Strided:
        if isinstance(index, slice):
            return _Strided(self._addresses, self._positions[index])
        return self._addresses[self._positions[index]]

    def __iter__(self) -> Iterator[str]:
        positions = self._positions
        if positions.step < 0:
            return (self._addresses[position] for position in positions)
        return self._addresses.stepped(positions.start, positions.stop, positions.step)


@dataclass(frozen=True)
class AddressRanges(Sequence[str]):
    """A set of addresses as sorted, merged runs of integers per family: the same memory for a /8 as for one address.

    As a sequence it holds the IPv4 addresses in numeric order, then the IPv6 ones: its length
    (:attr:`size` when it may exceed an index) is computed from the runs, ``in`` is a binary
    search by number (any spelling of an address matches), an item is made only when read,
    and a slice (``addresses[1::4]``) is a lazy view.
    """

    ipv4: tuple[Interval, ...] = ()
    ipv6: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, runs: Iterable[Run]) -> AddressRanges:
        """The set of addresses the runs hold (in any order, overlapping or not)."""
        by_version: dict[int, list[Interval]] = {4: [], 6: []}
        for version, interval in runs:
            by_version[version].append(interval)
        return cls(_merged(by_version[4]), _merged(by_version[6]))

    @property
    def runs(self) -> Iterator[Run]:
        """Every run, IPv4 first."""
        yield from ((4, interval) for interval in self.ipv4)
        yield from ((6, interval) for interval in self.ipv6)

    @functools.cached_property
    def size(self) -> int:
        """How many addresses, however many (``len`` stops at the largest index)."""
        return sum(last - first + 1 for _version, (first, last) in self.runs)

    def union(self, *others: AddressRanges) -> AddressRanges:
        """Every address in this set or in any of ``others``."""
        return AddressRanges.of(run for ranges in (self, *others) for run in ranges.runs)

    def without(self, other: AddressRanges) -> AddressRanges:
        """The addresses of this set that are not in ``other``."""
        return AddressRanges(_subtracted(self.ipv4, other.ipv4), _subtracted(self.ipv6, other.ipv6))

    @functools.cached_property
    def _layout(self) -> tuple[list[int], list[tuple[int, int]]]:
        """Where each run starts in the sequence, and its version and first number."""
        starts: list[int] = []
        heads: list[tuple[int, int]] = []
        position = 0
        for version, (first, last) in self.runs:
            starts.append(position)
            heads.append((version, first))
            position += last - first + 1
        return starts, heads

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> _Strided: ...

    def __getitem__(self, index: int | slice) -> str | _Strided:
        size = self.size
        if isinstance(index, slice):
            return _Strided(self, range(size)[index])
        position = index + size if index < 0 else index
        if not 0 <= position < size:
            raise IndexError("address index out of range")
        starts, heads = self._layout
        run = bisect.bisect_right(starts, position) - 1
        version, first = heads[run]
        return _address_text(version, first + position - starts[run])

    def __iter__(self) -> Iterator[str]:
        for version, (first, last) in self.runs:
            for number in range(first, last + 1):
                yield _address_text(version, number)

    def stepped(self, start: int, stop: int, step: int) -> Iterator[str]:
        """The addresses at positions ``start``, ``start + step``, ... below ``stop``, walked run by run (no search per address)."""
        position = start
        for run_start, (version, (first, last)) in zip(self._layout[0], self.runs, strict=True):
            if position >= stop:
                return
            run_stop = min(run_start + last - first + 1, stop)
            if position >= run_stop:
                continue
            yield from (_address_text(version, number) for number in range(first + position - run_start, first + run_stop - run_start, step))
            position += (run_stop - position + step - 1) // step * step

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        found = _lenient_number(value)
        if found is None:
            return False
        version, number = found
        runs = self.ipv4 if version == 4 else self.ipv6
        run = bisect.bisect_right(runs, (number, IPV6_LAST)) - 1
        return run >= 0 and runs[run][0] <= number <= runs[run][1]


_WHOLE_IPV4 = AddressRanges(ipv4=((0x0100_0000, IPV4_LAST),))
"""Every IPv4 address that can be a destination (0.0.0.0/8 is "this network")."""
_WHOLE_IPV6 = AddressRanges.of(run for run in _canonical_runs(6, 0, IPV6_LAST) if run[0] == 6)
"""Every IPv6 address that is not an IPv4 address written in IPv6."""


def covers_a_whole_family(ranges: AddressRanges) -> bool:
    """Whether ``ranges`` holds every IPv4 address (from 1.0.0.0 up) or every IPv6 one."""
    return not _WHOLE_IPV4.without(ranges).size or not _WHOLE_IPV6.without(ranges).size


# --- reading addresses ---------------------------------------------------------------------------


def _embedded_ipv4(version: int, number: int) -> tuple[int, int]:
    """An IPv4-mapped or IPv4-compatible IPv6 number as IPv4; any other as it is."""
    if version == 6:
        for first, last, offset in _EMBEDDED_IPV4:
            if first <= number <= last:
                return 4, number - offset
    return version, number


def _without_zone(text: str, role: Role | None, entry: str) -> str:
    """``text`` without its ``%zone``: refused in a scope entry (``role``), dropped otherwise."""
    address, percent, zone = text.partition("%")
    if not percent:
        return text
    if role == "scope entry":
        raise ScopeError(
            f"scope entry {entry!r}: a zone (%{zone}) is not accepted in the scope: the scan cannot choose an interface; "
            "give the address without it (exclusions accept zones and exclude the address on every interface)"
        )
    if not zone or ":" not in address:
        raise ScopeError(f"{role or 'address'} {entry!r}: a zone (%) follows an IPv6 address and names an interface")
    if ":" in zone:
        raise ScopeError(f"{role or 'address'} {entry!r}: {zone!r} is not an interface name; write a range without zones")
    return address


def _refuse_odd_ipv4(text: str, role: Role | None, entry: str) -> None:
    """Refuse what the C library would read as an IPv4 address in its own way (octal, hex, fewer parts)."""
    if _NUMERIC_IPV4.match(text):
        raise ScopeError(
            f"{role or 'address'} {entry!r}: {text!r} is not an IPv4 address written as four decimal numbers without leading zeros "
            "(tools read leading zeros as octal, 0x as hex and fewer parts as a number: 010.0.0.1 is 8.0.0.1, 127.1 is 127.0.0.1); write it in full"
        )


def _written_number(text: str, role: Role | None, entry: str) -> tuple[int, int] | None:
    """``(version, number)`` of one address as written (before IPv4 is taken out of IPv6), ``None`` if it is not an address."""
    unzoned = _without_zone(text, role, entry)
    try:
        address = ipaddress.ip_address(unzoned)
    except ValueError:
        _refuse_odd_ipv4(unzoned, role, entry)
        return None
    return address.version, int(address)


def _number(text: str, role: Role | None, entry: str) -> tuple[int, int] | None:
    """``(version, number)`` of one canonical address, ``None`` if ``text`` is not written as an address."""
    found = _written_number(text, role, entry)
    return None if found is None else _embedded_ipv4(*found)


def _lenient_number(text: str) -> tuple[int, int] | None:
    """``(version, number)`` of an address in any valid spelling (a zone dropped), ``None`` otherwise."""
    address, _percent, _zone = text.strip().partition("%")
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    return _embedded_ipv4(parsed.version, int(parsed))


def canonical_address(text: str) -> str | None:
    """The one spelling of an address: IPv4-mapped and -compatible IPv6 as IPv4, no zone, IPv6 compressed in lower case.

    ``None`` when ``text`` is not written as an address (a host name, say); :class:`ScopeError`
    when it is an IPv4 address in a form the C library reads its own way (``010.0.0.1``,
    ``127.1``), which is never guessed at.
    """
    found = _number(text.strip(), None, text)
    return None if found is None else _address_text(*found)


def address_ranges(addresses: Iterable[str]) -> AddressRanges:
    """The set of ``addresses`` (any spelling); ScopeError for one that is not an address."""
    runs: list[Run] = []
    for text in addresses:
        found = _number(text.strip(), None, text)
        if found is None:
            raise ScopeError(f"address {text!r}: not an IPv4 or IPv6 address")
        runs.append((found[0], (found[1], found[1])))
    return AddressRanges.of(runs)


# --- reading scope entries ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    named: AddressRanges
    """Every address the entry names: what ``max_addresses`` counts and what an exclusion removes."""
    scanned: AddressRanges
    """What is scanned of it: a network's hosts (no network or broadcast address), everything else."""


def _as_ipv4_if_embedded(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """An IPv6 network inside an IPv4-mapped or -compatible block is that IPv4 network."""
    if network.version == 6:
        first, last = int(network.network_address), int(network.broadcast_address)
        for block_first, block_last, offset in _EMBEDDED_IPV4:
            if block_first <= first and last <= block_last:
                return ipaddress.IPv4Network((first - offset, network.prefixlen - 96))
    return network


def _host_bounds(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Interval:
    """The hosts of a network as ``ipaddress`` counts them: IPv4 without network and broadcast, IPv6 without its first address."""
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.num_addresses <= 2:
        return first, last
    return (first + 1, last - 1) if network.version == 4 else (first + 1, last)


def _network_entry(entry: str, role: Role) -> _Entry:
    address, _slash, prefix = entry.partition("/")
    address = _without_zone(address, role, entry)
    try:
        network = _as_ipv4_if_embedded(ipaddress.ip_network(f"{address}/{prefix}", strict=False))
    except ValueError as exc:
        _refuse_odd_ipv4(address, role, entry)
        raise ScopeError(f"{role} {entry!r}: not a network ({exc})") from None
    hosts = _host_bounds(network)
    named = AddressRanges.of(_canonical_runs(network.version, int(network.network_address), int(network.broadcast_address)))
    return _Entry(named, AddressRanges.of(_canonical_runs(network.version, *hosts)))


def _range_end(start: str, end: str) -> str:
    """``10.1.0.10-40`` ends at ``10.1.0.40``."""
    if "." in start and ":" not in start and _SHORT_RANGE_END.match(end):
        return start.rsplit(".", 1)[0] + "." + end
    return end


def _range_runs(start: tuple[int, int], end: tuple[int, int], role: Role, entry: str) -> list[Run]:
    """The canonical runs from ``start`` to ``end``: both written in one family, or both IPv4 once canonical."""
    if start[0] != end[0]:
        start, end = _embedded_ipv4(*start), _embedded_ipv4(*end)
    if start[0] != end[0]:
        raise ScopeError(f"{role} {entry!r}: the range starts and ends in different address families")
    if end[1] < start[1]:
        raise ScopeError(f"{role} {entry!r}: the range ends before it starts")
    return _canonical_runs(start[0], start[1], end[1])


def _range_entry(entry: str, role: Role) -> _Entry | None:
    start_text, dash, end_text = entry.partition("-")
    if not dash:
        return None
    start = _written_number(start_text, role, entry)
    if start is None:
        return None
    end = _written_number(_range_end(start_text, end_text), role, entry)
    if end is None:
        raise ScopeError(f"{role} {entry!r}: not an address range")
    ranges = AddressRanges.of(_range_runs(start, end, role, entry))
    return _Entry(ranges, ranges)


def _literal_entry(entry: str, role: Role) -> _Entry | None:
    """A network, range or address; ``None`` for a host name; ScopeError for anything else."""
    if not entry:
        raise ScopeError(f"{role} {entry!r}: empty")
    if "/" in entry:
        return _network_entry(entry, role)
    single = _number(entry, role, entry)
    if single is not None:
        ranges = AddressRanges.of([(single[0], (single[1], single[1]))])
        return _Entry(ranges, ranges)
    found = _range_entry(entry, role)
    if found is not None:
        return found
    if ":" in entry:
        raise ScopeError(f"{role} {entry!r}: not an IPv6 address, network or range")
    if not _HOST_NAME.match(entry):
        raise ScopeError(f"{role} {entry!r}: not a network, range, address or host name")
    return None


def _resolved(name: str, role: Role, lookup: Callable[[str], list[str]]) -> AddressRanges:
    """The distinct canonical addresses ``name`` resolves to (zones dropped); ScopeError if none."""
    numbers: list[Run] = []
    for text in lookup(name):
        found = _lenient_number(text)
        if found is None:
            raise ScopeError(f"{role} {name!r}: the name resolved to {text!r}, which is not an address")
        numbers.append((found[0], (found[1], found[1])))
    if not numbers:
        raise ScopeError(f"{role} {name!r}: not a network, range or address, and the name does not resolve")
    return AddressRanges.of(numbers)


def _refuse_whole_space(ranges: AddressRanges, what: str) -> None:
    if covers_a_whole_family(ranges):
        raise ScopeError(f"{what}: the whole address space is never scanned")


def _refuse_over_limit(named: AddressRanges, max_addresses: int) -> None:
    total = named.size
    if total > max_addresses:
        raise ScopeError(f"the scope holds {total} addresses, more than the limit of {max_addresses}; narrow it, or raise the limit on purpose")


def _read(entries: Iterable[str], role: Role) -> tuple[list[_Entry], list[str]]:
    """The literal entries read, and the host names among them (not resolved yet)."""
    literals: list[_Entry] = []
    names: list[str] = []
    for raw in entries:
        entry = raw.strip()
        found = _literal_entry(entry, role)
        if found is None:
            names.append(entry)
            continue
        if role == "scope entry":
            _refuse_whole_space(found.named, f"scope entry {entry!r}")
        literals.append(found)
    return literals, names


def excluded_addresses(exclude: Iterable[str], resolve: Callable[[str], list[str]] | None = None) -> AddressRanges:
    """Every address the exclusions name, names resolved (an exclusion may be as large as wanted)."""
    literals, names = _read(exclude, "exclusion")
    lookup = resolve or resolve_name
    return AddressRanges().union(*(entry.named for entry in literals), *(_resolved(name, "exclusion", lookup) for name in names))


@dataclass(frozen=True)
class Scope:
    addresses: AddressRanges
    """Every address to scan: IPv4 then IPv6, in numeric order, made one at a time when read."""
    names: dict[str, str]
    """Address -> the host name a scope entry gave for it."""


def expand_scope(
    entries: list[str],
    exclude: list[str] | None = None,
    max_addresses: int = DEFAULT_MAX_ADDRESSES,
    resolve: Callable[[str], list[str]] | None = None,
) -> Scope:
    """Every address the entries name, minus the exclusions, in numeric order; refuses what it must.

    Nothing is resolved before the literal entries have passed the whole-space and size checks;
    the size check counts the distinct addresses the entries name (a network whole, a host name
    as the addresses it resolves to), before exclusions.
    """
    if not entries:
        raise ScopeError("the scope is empty: name the networks to scan explicitly (discovery_scope)")
    literals, host_names = _read(entries, "scope entry")
    named = AddressRanges().union(*(entry.named for entry in literals))
    _refuse_whole_space(named, "the scope entries together")
    _refuse_over_limit(named, max_addresses)
    lookup = resolve or resolve_name
    resolved = {name: _resolved(name, "scope entry", lookup) for name in host_names}
    named = named.union(*resolved.values())
    _refuse_whole_space(named, "the scope entries together")
    _refuse_over_limit(named, max_addresses)
    excluded = excluded_addresses(exclude or [], lookup)
    addresses = AddressRanges().union(*(entry.scanned for entry in literals), *resolved.values()).without(excluded)
    names: dict[str, str] = {}
    for name, found in resolved.items():
        for address in found:
            if address in addresses:
                names.setdefault(address, name)
    return Scope(addresses, names)


def resolve_name(name: str) -> list[str]:
    """Every address ``name`` resolves to, as the resolver spells them (:func:`expand_scope` canonicalises)."""
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in infos})
