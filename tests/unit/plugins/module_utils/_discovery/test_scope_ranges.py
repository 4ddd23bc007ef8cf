# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery stays inside its scope: addresses compared by number in any spelling, names counted, ranges never expanded."""

from __future__ import annotations

import ipaddress
import itertools
import socket
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.hardened.iis.plugins.module_utils._discovery import scanner, scope
from ansible_collections.hardened.iis.plugins.module_utils._discovery.reconcile import InventoryHost, Service, reconcile
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scanner import HostPacer, scan
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import (
    AddressRanges,
    ScopeError,
    canonical_address,
    excluded_addresses,
    expand_scope,
)

MAPPED = 0xFFFF_0000_0000
SETTINGS = settings(max_examples=200, deadline=None)


def resolver(table: dict[str, list[str]]) -> Callable[[str], list[str]]:
    return lambda name: table.get(name, [])


# --- every spelling of an address ---------------------------------------------------------------


def ipv4_spellings(number: int) -> list[str]:
    """Ways to write the IPv4 address ``number`` that are that address (it is at least 1.0.0.0, so IPv4-compatible works too)."""
    dotted = str(ipaddress.IPv4Address(number))
    mapped = ipaddress.IPv6Address(MAPPED + number)
    return [
        dotted,
        f"::ffff:{dotted}",
        f"::FFFF:{dotted}",
        f"::FFFF:{number >> 16:X}:{number & 0xFFFF:X}",
        mapped.exploded.upper(),
        f"0:0:0:0:0:ffff:{dotted}%eth0",
        f"::ffff:{number >> 16:x}:{number & 0xFFFF:x}%1",
        f"::{dotted}",
        f"::{dotted}%lo",
        ipaddress.IPv6Address(number).exploded,
    ]


def ipv6_spellings(number: int) -> list[str]:
    address = ipaddress.IPv6Address(number)
    return [str(address), str(address).upper(), address.exploded, address.exploded.upper(), f"{address}%eth0", f"{address.exploded.upper()}%2"]


@st.composite
def ipv4_scope_and_exclusions(draw: st.DrawFn) -> tuple[ipaddress.IPv4Network, list[str], set[int]]:
    """A network of 10.0.0.0/8, and exclusions inside (and around) it, each in a spelling drawn at random."""
    prefix = draw(st.integers(min_value=24, max_value=32))
    network = ipaddress.IPv4Network((draw(st.integers(min_value=0x0A00_0000, max_value=0x0AFF_FFFF)), prefix), strict=False)
    first, last = int(network.network_address), int(network.broadcast_address)
    numbers = draw(st.lists(st.integers(min_value=first - 2, max_value=last + 2), max_size=12))
    exclusions = [draw(st.sampled_from(ipv4_spellings(number))) for number in numbers]
    return network, exclusions, set(numbers)


@st.composite
def ipv6_scope_and_exclusions(draw: st.DrawFn) -> tuple[ipaddress.IPv6Network, list[str], set[int]]:
    base = draw(st.integers(min_value=0x2001_0DB8 << 96, max_value=(0x2001_0DB9 << 96) - 1))
    network = ipaddress.IPv6Network((base, draw(st.integers(min_value=120, max_value=128))), strict=False)
    first, last = int(network.network_address), int(network.broadcast_address)
    numbers = draw(st.lists(st.integers(min_value=first - 2, max_value=last + 2), max_size=12))
    return network, [draw(st.sampled_from(ipv6_spellings(number))) for number in numbers], set(numbers)


@given(ipv4_scope_and_exclusions())
@SETTINGS
def test_no_excluded_ipv4_address_is_ever_in_the_scope_however_it_is_written(case: tuple[ipaddress.IPv4Network, list[str], set[int]]) -> None:
    network, exclusions, excluded = case

    addresses = expand_scope([str(network)], exclusions).addresses

    yielded = [int(ipaddress.IPv4Address(address)) for address in addresses]
    assert not excluded & set(yielded)
    assert sorted(yielded) == sorted({int(host) for host in (network.hosts() if network.num_addresses > 2 else network)} - excluded)
    assert len(addresses) == len(yielded)


@given(ipv4_scope_and_exclusions())
@SETTINGS
def test_a_scope_written_in_ipv6_spellings_is_the_same_ipv4_scope(case: tuple[ipaddress.IPv4Network, list[str], set[int]]) -> None:
    network, exclusions, _excluded = case
    mapped = f"::ffff:{network.network_address}/{96 + network.prefixlen}"

    assert expand_scope([mapped], exclusions).addresses == expand_scope([str(network)], exclusions).addresses


@given(ipv6_scope_and_exclusions())
@SETTINGS
def test_no_excluded_ipv6_address_is_ever_in_the_scope_however_it_is_written(case: tuple[ipaddress.IPv6Network, list[str], set[int]]) -> None:
    network, exclusions, excluded = case

    yielded = {int(ipaddress.IPv6Address(address)) for address in expand_scope([str(network)], exclusions).addresses}

    assert not excluded & yielded
    assert yielded == {int(host) for host in (network.hosts() if network.num_addresses > 2 else network)} - excluded


@given(st.integers(min_value=0x0100_0000, max_value=0xFFFF_FFFF), st.data())
@SETTINGS
def test_every_spelling_of_an_ipv4_address_has_one_canonical_form(number: int, data: st.DataObject) -> None:
    spelling = data.draw(st.sampled_from(ipv4_spellings(number)))

    assert canonical_address(spelling) == str(ipaddress.IPv4Address(number))
    assert spelling in AddressRanges(ipv4=((number, number),))


INTERVALS = st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)).map(lambda pair: (pair[0], pair[0] + pair[1])), max_size=8)


@given(INTERVALS, INTERVALS, st.data())
@SETTINGS
def test_ranges_behave_as_the_sets_of_addresses_they_stand_for(kept: list[tuple[int, int]], removed: list[tuple[int, int]], data: st.DataObject) -> None:
    def members(intervals: list[tuple[int, int]]) -> set[int]:
        return {number for first, last in intervals for number in range(first, last + 1)}

    ranges = AddressRanges.of((4, interval) for interval in kept).without(AddressRanges.of((4, interval) for interval in removed))
    expected = sorted(members(kept) - members(removed))

    assert [int(ipaddress.IPv4Address(address)) for address in ranges] == expected
    assert [ranges[index] for index in range(len(ranges))] == list(ranges)
    assert sorted(address for shard in range(3) for address in ranges[shard::3]) == sorted(ranges)
    some = data.draw(st.slices(len(expected)))
    assert list(ranges[some]) == list(ranges)[some]
    assert all(earlier[1] + 1 < later[0] for earlier, later in itertools.pairwise(ranges.ipv4))  # merged: no two runs touch


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["::ffff:0.0.0.0/96"], "the whole address space is never scanned"),
        (["::ffff:0:0/95"], "the whole address space is never scanned"),
        (["::/96"], "the whole address space is never scanned"),
        (["::/1"], "the whole address space is never scanned"),
        (["0.0.0.0-255.255.255.255"], "the whole address space is never scanned"),
        (["0.0.0.0/1", "128.0.0.0/1"], "the scope entries together: the whole address space is never scanned"),
        (["::ffff:10.0.0.0/104"], "the scope holds 16777216 addresses, more than the limit of 65536"),
        (["010.0.0.1"], "'010.0.0.1' is not an IPv4 address written as four decimal numbers"),
        (["010.0.0.0/8"], "'010.0.0.0' is not an IPv4 address written as four decimal numbers"),
        (["127.1"], "'127.1' is not an IPv4 address written as four decimal numbers"),
        (["0x7f.0.0.1"], "is not an IPv4 address written as four decimal numbers"),
        (["2130706433"], "is not an IPv4 address written as four decimal numbers"),
        (["10.0.0.1-010.0.0.9"], "'010.0.0.9' is not an IPv4 address written as four decimal numbers"),
        (["fe80::1%eth0"], r"a zone \(%eth0\) is not accepted in the scope"),
        (["fe80::%eth0/64"], r"a zone \(%eth0\) is not accepted in the scope"),
        (["::ffff:010.0.0.1"], "not an IPv6 address, network or range"),
        (["10.0.0.1-::5"], "the range starts and ends in different address families"),
        (["web 01.example.org"], "not a network, range, address or host name"),
    ],
)
def test_ambiguous_or_forbidden_spellings_are_refused_before_anything_is_resolved(entries: list[str], message: str) -> None:
    def no_lookup(name: str) -> list[str]:
        raise AssertionError(f"{name} was resolved")

    with pytest.raises(ScopeError, match=message):
        expand_scope(entries, resolve=no_lookup)


@pytest.mark.parametrize(
    ("exclusion", "message"),
    [
        ("010.0.0.1", "is not an IPv4 address written as four decimal numbers"),
        ("10.0.0.1%eth0", "a zone .* follows an IPv6 address"),
        ("fe80::1%eth0-fe80::9", "'eth0-fe80::9' is not an interface name; write a range without zones"),
        ("no-such-host.invalid", "the name does not resolve"),
    ],
)
def test_an_exclusion_that_cannot_be_read_exactly_stops_the_scan(exclusion: str, message: str) -> None:
    with pytest.raises(ScopeError, match=message):
        expand_scope(["10.0.0.0/24"], [exclusion], resolve=resolver({}))


def test_a_zone_in_an_exclusion_excludes_the_address_on_every_interface() -> None:
    assert list(expand_scope(["fe80::1-fe80::3"], ["fe80::2%eth0", "FE80::3%7"]).addresses) == ["fe80::1"]


def test_ipv4_compatible_addresses_are_ipv4_but_the_ipv6_loopback_is_not() -> None:
    assert list(expand_scope(["::10.0.0.1", "::1", "::"]).addresses) == ["10.0.0.1", "::", "::1"]
    assert list(expand_scope(["::ffff:10.0.0.1-::ffff:10.0.0.3", "10.0.0.9-::ffff:10.0.0.10"]).addresses) == [
        "10.0.0.1",
        "10.0.0.2",
        "10.0.0.3",
        "10.0.0.9",
        "10.0.0.10",
    ]


def test_an_exclusion_may_be_as_large_as_wanted() -> None:
    mapped_or_compatible = (1 << 32) + (0xFFFF_FFFF - 0x0100_0000 + 1)  # ::ffff:0:0/96, and ::1.0.0.0 - ::255.255.255.255
    assert excluded_addresses(["0.0.0.0/0", "::/0"]).size == (1 << 32) + (1 << 128) - mapped_or_compatible
    assert len(expand_scope(["10.0.0.0/24", "2001:db8::/120"], ["2000::/3"]).addresses) == 254
    assert len(expand_scope(["10.0.0.0/24", "2001:db8::/120"], ["::/0"]).addresses) == 0  # ::/0 holds every IPv4-mapped address


# --- host names -------------------------------------------------------------------------------


def test_a_name_counts_as_every_distinct_address_it_resolves_to() -> None:
    farm = [f"10.9.0.{host}" for host in range(1, 6)] + ["::ffff:10.9.0.1", "2001:db8::1", "2001:DB8:0::1%eth0"]
    lookup = resolver({"farm.example.test": farm})  # 5 IPv4 addresses (one twice), 1 IPv6 address (twice)

    with pytest.raises(ScopeError, match="the scope holds 6 addresses, more than the limit of 5"):
        expand_scope(["farm.example.test"], max_addresses=5, resolve=lookup)
    found = expand_scope(["farm.example.test"], max_addresses=6, resolve=lookup)
    assert list(found.addresses) == [*farm[:5], "2001:db8::1"]
    assert found.names == dict.fromkeys(found.addresses, "farm.example.test")


def test_addresses_named_twice_are_counted_once() -> None:
    lookup = resolver({"a.example.test": ["10.9.0.1", "10.9.0.2"], "b.example.test": ["10.9.0.2", "::ffff:10.9.0.3"]})

    found = expand_scope(["a.example.test", "b.example.test", "10.9.0.3"], max_addresses=3, resolve=lookup)

    assert list(found.addresses) == ["10.9.0.1", "10.9.0.2", "10.9.0.3"]


def test_the_system_resolver_is_counted_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = [f"192.0.2.{host}" for host in range(1, 9)] + ["::ffff:192.0.2.1"]
    infos = [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in answers]
    monkeypatch.setattr(scope.socket, "getaddrinfo", lambda *_args, **_kwargs: infos)

    with pytest.raises(ScopeError, match="the scope holds 8 addresses, more than the limit of 7"):
        expand_scope(["many.example.test"], max_addresses=7)
    assert len(expand_scope(["many.example.test"], max_addresses=8).addresses) == 8


def test_a_name_resolving_to_an_excluded_address_does_not_reach_it() -> None:
    lookup = resolver({"local.example.test": ["::ffff:127.0.0.1", "127.0.0.2"]})

    found = expand_scope(["local.example.test"], ["127.0.0.1"], resolve=lookup)

    assert list(found.addresses) == ["127.0.0.2"]
    assert found.names == {"127.0.0.2": "local.example.test"}


# --- size: ranges, never lists ------------------------------------------------------------------


@pytest.fixture
def peak_memory() -> Iterator[Callable[[], int]]:
    tracemalloc.start()
    tracemalloc.reset_peak()
    yield lambda: tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()


def test_a_slash_24_minus_a_slash_8_exclusion_is_computed_without_listing_addresses(peak_memory: Callable[[], int]) -> None:
    outside = expand_scope(["192.168.7.0/24"], ["10.0.0.0/8"])
    inside = expand_scope(["10.20.30.0/24"], ["::ffff:10.0.0.0/104"])

    assert peak_memory() < 1_000_000
    assert (len(outside.addresses), len(inside.addresses)) == (254, 0)


def test_a_slash_8_minus_large_exclusions_is_counted_exactly(peak_memory: Callable[[], int]) -> None:
    found = expand_scope(["10.0.0.0/8"], ["10.0.0.0/9", "::ffff:10.128.0.0/112", "10.200.0.0/16", "10.255.255.0-10.255.255.9"], max_addresses=1 << 24)
    addresses = found.addresses

    assert peak_memory() < 1_000_000
    # 10.0.0.1 - 10.255.255.254, minus the lower half (10.0.0.1 - 10.127.255.255), two /16 and 10 addresses
    assert len(addresses) == (1 << 23) - 1 - 2 * 65536 - 10
    assert (addresses[0], addresses[-1]) == ("10.129.0.0", "10.255.255.254")
    assert "10.200.1.1" not in addresses and "::ffff:10.201.0.1" in addresses and "10.255.255.9" not in addresses


class Enough(Exception):
    """Stops a scan that has shown what it does."""


def test_scanning_a_slash_8_reads_its_addresses_as_it_goes(monkeypatch: pytest.MonkeyPatch, peak_memory: Callable[[], int]) -> None:
    """The scan starts at once and holds no list of the 16 million addresses (it is stopped after 200 connections)."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        closed_port = probe_socket.getsockname()[1]
    real, opened = scanner._new_socket, []

    def counted(family: socket.AddressFamily) -> socket.socket:
        if len(opened) == 200:
            raise Enough
        opened.append(family)
        return real(family)

    monkeypatch.setattr(scanner, "_new_socket", counted)
    addresses = expand_scope(["127.0.0.0/8"], max_addresses=1 << 24).addresses
    with pytest.raises(Enough):
        scan(addresses, [closed_port], workers=1, retries=0)

    assert len(opened) == 200
    assert peak_memory() < 5_000_000


def test_a_scope_is_dealt_out_to_threads_by_position() -> None:
    addresses = expand_scope(["10.0.0.0/29", "10.0.1.0/30"]).addresses

    shards = [list(addresses[index::3]) for index in range(3)]

    assert shards == [["10.0.0.1", "10.0.0.4", "10.0.1.1"], ["10.0.0.2", "10.0.0.5", "10.0.1.2"], ["10.0.0.3", "10.0.0.6"]]


def test_pacing_forgets_hosts_whose_slot_has_passed_and_still_paces_the_others() -> None:
    pacer = HostPacer(rate=10)
    for index in range(100_000):
        pacer.slot(f"10.{index >> 16}.{(index >> 8) & 255}.{index & 255}", now=index / 1000)

    assert pacer.remembered <= 2 * HostPacer.KEEP
    assert pacer.slot("10.0.0.1", now=200.0) == 200.0
    assert pacer.slot("10.0.0.1", now=200.0) == pytest.approx(200.1)


# --- the scan never reaches an excluded address -------------------------------------------------


@pytest.fixture
def twin_listeners() -> Iterator[tuple[socket.socket, socket.socket, int]]:
    """Listeners on 127.0.0.1 and 127.0.0.2, on one port (nothing is accepted while the scan runs: the kernel queues)."""
    for _attempt in range(20):
        second = socket.socket()
        second.bind(("127.0.0.2", 0))
        port = second.getsockname()[1]
        first = socket.socket()
        try:
            first.bind(("127.0.0.1", port))
        except OSError:
            first.close()
            second.close()
            continue
        first.listen(16)
        second.listen(16)
        yield first, second, port
        first.close()
        second.close()
        return
    pytest.fail("no port free on both 127.0.0.1 and 127.0.0.2")


def accepted(listener: socket.socket) -> int:
    """How many connections reached ``listener`` (its accept queue, emptied)."""
    listener.setblocking(False)
    count = 0
    while True:
        try:
            connection, _peer = listener.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.mark.parametrize("exclusion", ["::ffff:127.0.0.1", "::FFFF:7F00:1", "0:0:0:0:0:FFFF:7F00:0001%lo", "::127.0.0.1", "::ffff:127.0.0.1/128"])
def test_an_excluded_listener_is_never_connected_to(twin_listeners: tuple[socket.socket, socket.socket, int], exclusion: str) -> None:
    excluded, allowed, port = twin_listeners

    addresses = expand_scope(["127.0.0.0/30", "::ffff:127.0.0.1"], [exclusion]).addresses
    result = scan(addresses, [port], timeout=1.0, retries=0)

    assert list(addresses) == ["127.0.0.2"]
    assert result.open == [("127.0.0.2", port)]
    assert (accepted(excluded), accepted(allowed)) == (0, 1)


# --- reconciliation compares by number --------------------------------------------------------


def test_reconciliation_matches_inventory_addresses_in_any_spelling() -> None:
    inventory = [InventoryHost("web01", {"::ffff:127.0.0.2"}), InventoryHost("web02", {"::FFFF:7F00:3"}), InventoryHost("web03", {"fe80::5%eth0"})]
    scanned = expand_scope(["127.0.0.0/29", "fe80::5"]).addresses

    result = reconcile([Service("127.0.0.2", 443), Service("::ffff:127.0.0.4", 80)], inventory, scanned).as_dict()

    assert list(result["managed"]) == ["web01"]
    assert [service["address"] for service in result["rogue"]] == ["::ffff:127.0.0.4"]
    assert result["missing"] == ["web02", "web03"]
    assert result["not_in_scope"] == []
