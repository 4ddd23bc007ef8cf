# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Active discovery of web servers: a TCP connect scan, then an HTTP(S) probe of every open port.

The targets arrive already resolved and bounded (scope parsing and safety limits live elsewhere):
a sequence of addresses (a scope's ``AddressRanges``, read one address at a time, or a list)
and a list of ports. Everything uses ordinary sockets, so no privileges are needed:

* :func:`scan` connects to every address x port from one selector loop over non-blocking sockets
  (no task per target: that is what makes it faster than nmap's connect scan), with bounded
  concurrency (never more sockets than the process may open), retries a connection that timed
  out (not one that was refused) and can pace new connections per host;
* :func:`probe` (asyncio) tries a TLS handshake first (without verifying anything: this is discovery), keeps
  the peer certificate, sends ``GET /`` over TLS or plain HTTP and reads the answer: status,
  ``Server``, ``X-Powered-By``, ``X-AspNet-Version``, ``<title>``, ``Location``, the IIS start page.
  On a TLS port each protocol version from TLS 1.0 to 1.3 is tried in a handshake of its own;
* :func:`probe_all` probes what the scan found, a bounded number at once.

A probe never raises: what went wrong is its ``error`` field.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import errno
import functools
import hashlib
import heapq
import html
import ipaddress
import itertools
import math
import os
import re
import resource
import select
import socket
import ssl
import time
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import AddressRanges
from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
except ImportError as exc:  # the scan and HTTP probes work without it; certificates say what is missing
    CRYPTOGRAPHY_MISSING: str | None = f"certificate details need the Python library cryptography ({exc})"
else:
    CRYPTOGRAPHY_MISSING = None

FD_MARGIN = 64
"""File descriptors left for everything else the process has open (logs, the event loop, modules)."""

FDS_PER_PROBE = 5
"""A probe holds its HTTP connection, then up to four handshakes (one per TLS version) at once."""

MAX_BODY = 64 * 1024
TITLE_LENGTH = 200
WINRM_PORTS = frozenset({5985, 5986})
USER_AGENT = "hardened.iis-discovery"
DISCOVERY_CIPHERS = "ALL:@SECLEVEL=0"
"""Every cipher at security level 0: the local OpenSSL then still offers TLS 1.0 and 1.1 if it can."""

TLS_VERSIONS = {
    "TLSv1.0": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}

_STATUS_LINE = re.compile(r"^HTTP/\d(?:\.\d)?\s+(\d{3})\b")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_IIS = re.compile(r"^Microsoft-IIS/(\S+)", re.IGNORECASE)
_HTTP_SYS = re.compile(r"^Microsoft-HTTPAPI/(\S+)", re.IGNORECASE)
_IIS_START_TITLE = "IIS Windows Server"
_NO_BODY_STATUS = frozenset({204, 304})
_FD_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE})
_LOCAL_SHORTAGE = frozenset({errno.EADDRNOTAVAIL, errno.EAGAIN})
"""``connect`` found no free local port: a shortage on this side, not an answer from the target."""

_STREAM_ERRORS = (OSError, EOFError, TimeoutError, ValueError, asyncio.LimitOverrunError)
"""What a connection or an exchange may fail with; ssl.SSLError is an OSError."""

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
_T = TypeVar("_T")


class NotHttpError(ValueError):
    """The peer answered, but not with an HTTP response."""


@dataclass
class ProbeResult:
    """What one open port told about itself."""

    address: str
    port: int
    tls: bool = False
    status: int | None = None
    server: str | None = None
    powered_by: str | None = None
    aspnet_version: str | None = None
    title: str | None = None
    redirect: str | None = None
    iis_default_page: bool = False
    product: str = "unknown"
    version: str | None = None
    winrm: bool = False
    tls_versions: dict[str, str] = field(default_factory=dict)
    certificate: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The result as plain data (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True)
class _Response:
    status: int
    headers: dict[str, str]
    body: bytes


# --- scanning ---------------------------------------------------------------------------------


def effective_concurrency(requested: int) -> int:
    """``requested``, clamped below the soft RLIMIT_NOFILE minus :data:`FD_MARGIN` (at least 1)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return max(1, requested)
    return max(1, min(requested, soft - FD_MARGIN))


class ScanError(HardenedIisError, OSError):
    """The scan cannot go on: not even one socket could be opened."""


@dataclass
class ScanResult:
    """What a connect scan found, and what it took."""

    open: list[tuple[str, int]]
    """The ``(address, port)`` pairs that accepted a connection, sorted."""
    unanswered: list[tuple[str, int]]
    """The pairs that timed out on every attempt (a firewall dropping SYNs, a host that is down), sorted."""
    attempts: int = 0
    """Connections started, retries included."""
    peak_sockets: int = 0
    """The most connections that were pending at once."""


class HostPacer:
    """At most ``rate`` new connections per second to each host (``None``: no pacing).

    Only hosts whose next slot is still ahead are remembered (a slot in the past is the same as
    none), so pacing a /8 holds the hosts contacted in the last interval, not every host.
    """

    KEEP = 1024
    """Below this many remembered hosts, none is forgotten."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next: dict[str, float] = {}
        self._forget_above = self.KEEP

    def slot(self, host: str, now: float) -> float:
        """Reserve the next connection slot of ``host``: the time (at or after ``now``) it may start."""
        if not self._interval:
            return now
        slot = max(now, self._next.get(host, now))
        self._next[host] = slot + self._interval
        if len(self._next) > self._forget_above:
            self._forget_passed(now)
        return slot

    def _forget_passed(self, now: float) -> None:
        self._next = {host: due for host, due in self._next.items() if due > now}
        self._forget_above = max(self.KEEP, 2 * len(self._next))

    @property
    def remembered(self) -> int:
        """How many hosts have a slot ahead on record."""
        return len(self._next)


_NONBLOCK_FLAG: int = getattr(socket, "SOCK_NONBLOCK", 0)
"""Non-blocking from creation where the platform allows it (Linux): one system call less per target."""


def _new_socket(family: socket.AddressFamily) -> socket.socket:
    """A non-blocking TCP socket (the one place the scan opens descriptors)."""
    sock = socket.socket(family, socket.SOCK_STREAM | _NONBLOCK_FLAG)
    if not _NONBLOCK_FLAG:
        sock.setblocking(False)
    return sock


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


class RoundTrips:
    """How long to wait for an answer, learnt from the answers so far (RFC 6298's estimator).

    Every completed connection (accepted or refused) is a round-trip sample for its host and for
    the scan as a whole. The timeout for a host is its smoothed round trip plus four times the
    variation (at least ``GRANULARITY``), from its own samples or, while it has none, the scan's;
    before any sample it is ``ceiling``; always within ``[floor, ceiling]``. A network where most
    addresses never answer is then scanned at the pace of the ones that do, as nmap does.
    """

    GRANULARITY = 0.01

    def __init__(self, floor: float, ceiling: float) -> None:
        self.floor = min(floor, ceiling)
        self.ceiling = ceiling
        self._hosts: dict[str, tuple[float, float]] = {}
        self._scan: tuple[float, float] | None = None

    @staticmethod
    def _update(estimate: tuple[float, float] | None, seconds: float) -> tuple[float, float]:
        if estimate is None:
            return seconds, seconds / 2
        smoothed, variation = estimate
        return smoothed + (seconds - smoothed) / 8, variation + (abs(smoothed - seconds) - variation) / 4

    def sample(self, host: str, seconds: float) -> None:
        """Record that ``host`` answered after ``seconds``."""
        self._hosts[host] = self._update(self._hosts.get(host), seconds)
        self._scan = self._update(self._scan, seconds)

    def timeout(self, host: str) -> float:
        """How long to wait for ``host`` now."""
        estimate = self._hosts.get(host, self._scan)
        if estimate is None:
            return self.ceiling
        smoothed, variation = estimate
        return min(self.ceiling, max(self.floor, smoothed + max(self.GRANULARITY, 4 * variation)))


class _Attempt:
    """One connection in flight."""

    __slots__ = ("deadline", "number", "sock", "started", "target")

    def __init__(self, target: tuple[str, int], number: int, sock: socket.socket, started: float, deadline: float) -> None:
        self.target = target
        self.number = number
        self.sock = sock
        self.started = started
        self.deadline = deadline

    @property
    def over(self) -> bool:
        """Answered or given up: its socket is closed."""
        return self.sock.fileno() == -1


_Queued = tuple[tuple[str, int], int, bool]
"""A target, its attempt number, and whether its pacing slot is already reserved."""

MAX_WORKERS = 4
"""Scanning threads at most: past a few, the work is waiting for the network, not the processor."""

RESOURCE_WAIT = 0.01
RESOURCE_TRIES = 100
"""With no connection of its own pending, a scan short of descriptors waits up to 1 s for some."""


class _ConnectScan:
    """One ``poll`` loop over non-blocking sockets: no task, coroutine or thread per target.

    Connections are started while fewer than ``limit`` are pending; ``poll`` reports each one as
    it completes (``SO_ERROR`` tells accepted from refused) and a heap of deadlines (from
    :class:`RoundTrips`, shortened for pending connections as answers come in; an entry whose
    connection is over is skipped) ends the ones nobody answers.
    """

    def __init__(self, limit: int, round_trips: RoundTrips, retries: int, pacer: HostPacer) -> None:
        self._limit = limit
        self._round_trips = round_trips
        self._retries = retries
        self._pacer = pacer
        self._ready: collections.deque[_Queued] = collections.deque()
        self._fresh: Iterator[tuple[str, int]] | None = None
        self._to_retry: collections.deque[_Queued] = collections.deque()
        self._delayed: list[tuple[float, int, tuple[str, int], int]] = []
        self._order = itertools.count()
        self._pending: dict[int, _Attempt] = {}
        self._deadlines: list[tuple[float, int, _Attempt]] = []
        self._poll = select.poll()
        self._short_of_resources = 0
        self._next_review = 0.0
        self.result = ScanResult(open=[], unanswered=[])

    def run(self, targets: Iterable[tuple[str, int]]) -> ScanResult:
        """Scan ``targets``, read as the scan goes (never all held at once); every socket is closed when this returns or raises."""
        self._fresh = iter(targets)
        try:
            while self._busy():
                self._launch(time.monotonic())
                self._wait(time.monotonic())
                self._tighten(time.monotonic())
                self._expire(time.monotonic())
        finally:
            for attempt in self._pending.values():
                attempt.sock.close()
        self.result.open.sort(key=_target_key)
        self.result.unanswered.sort(key=_target_key)
        return self.result

    def _busy(self) -> bool:
        """Targets left to try, waiting for their slot, or pending."""
        return bool(self._ready or self._delayed or self._pending or self._to_retry or self._fresh is not None)

    def _launch(self, now: float) -> None:
        due: list[_Queued] = []
        while self._delayed and self._delayed[0][0] <= now:
            _slot, _order, target, number = heapq.heappop(self._delayed)
            due.append((target, number, True))
        self._ready.extendleft(reversed(due))
        while len(self._pending) < self._limit:
            queued = self._next_queued()
            if queued is None:
                return
            target, number, reserved = queued
            slot = now if reserved else self._pacer.slot(target[0], now)
            if slot > now:
                heapq.heappush(self._delayed, (slot, next(self._order), target, number))
            elif not self._start(target, number, now):
                self._ready.appendleft((target, number, True))
                return

    def _next_queued(self) -> _Queued | None:
        """What to start next: a target put back or due, else one not tried yet, else a retry.

        Retries wait for the targets not tried yet (the round trips learnt meanwhile shorten their
        wait), unless ``limit`` of them are waiting: then they go first, so a scan of dark space
        holds a bounded number of them. Targets not tried yet are read only while fewer than
        ``limit`` wait for a pacing slot.
        """
        if self._ready:
            return self._ready.popleft()
        if len(self._to_retry) < self._limit and len(self._delayed) < self._limit:
            fresh = self._next_fresh()
            if fresh is not None:
                return fresh, 0, False
        return self._to_retry.popleft() if self._to_retry else None

    def _next_fresh(self) -> tuple[str, int] | None:
        if self._fresh is None:
            return None
        target = next(self._fresh, None)
        if target is None:
            self._fresh = None
        return target

    def _start(self, target: tuple[str, int], number: int, now: float) -> bool:
        """Start one connection; ``False`` when the process is out of descriptors or local ports."""
        try:
            sock = _new_socket(_family(target[0]))
        except OSError as exc:
            if exc.errno not in _FD_EXHAUSTED:
                raise
            return self._out_of_resources(exc)
        code = sock.connect_ex(target)
        if code in _LOCAL_SHORTAGE:
            sock.close()
            return self._out_of_resources(OSError(code, os.strerror(code)))
        self._short_of_resources = 0
        self.result.attempts += 1
        if code == errno.EINPROGRESS:
            attempt = _Attempt(target, number, sock, now, now + self._round_trips.timeout(target[0]))
            fd = sock.fileno()
            self._poll.register(fd, select.POLLOUT)
            self._pending[fd] = attempt
            heapq.heappush(self._deadlines, (attempt.deadline, next(self._order), attempt))
            self.result.peak_sockets = max(self.result.peak_sockets, len(self._pending))
        else:  # 0: accepted at once; otherwise refused, unreachable or not permitted
            self._settle(target, sock, accepted=code == 0)
        return True

    def _out_of_resources(self, exc: OSError) -> bool:
        """Go on with fewer connections at once; with none of its own pending, wait a little, then give up."""
        if self._pending:
            self._limit = len(self._pending)
            return False
        self._short_of_resources += 1
        if self._short_of_resources > RESOURCE_TRIES:
            raise ScanError(exc.errno, f"cannot open a connection for the scan: {exc.strerror}")
        time.sleep(RESOURCE_WAIT)
        return False

    def _settle(self, target: tuple[str, int], sock: socket.socket, *, accepted: bool) -> None:
        sock.close()
        if accepted:
            self.result.open.append(target)

    def _wait(self, now: float) -> None:
        wake = [self._deadlines[0][0]] if self._deadlines else []
        if self._delayed:
            wake.append(self._delayed[0][0])
        if not wake:
            return
        events = self._poll.poll(math.ceil(max(0.0, min(wake) - now) * 1000))
        answered = time.monotonic()
        for fd, _events in events:
            attempt = self._pending.pop(fd)
            self._poll.unregister(fd)
            error = attempt.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            self._round_trips.sample(attempt.target[0], answered - attempt.started)
            self._settle(attempt.target, attempt.sock, accepted=error == 0)

    def _tighten(self, now: float) -> None:
        """Bring pending deadlines in line with what was learnt since they were set (now and then)."""
        if now < self._next_review:
            return
        self._next_review = now + self._round_trips.floor / 2
        for attempt in self._pending.values():
            deadline = attempt.started + self._round_trips.timeout(attempt.target[0])
            if deadline < attempt.deadline:
                attempt.deadline = deadline
                heapq.heappush(self._deadlines, (deadline, next(self._order), attempt))

    def _expire(self, now: float) -> None:
        deadlines = self._deadlines
        while deadlines and (deadlines[0][2].over or deadlines[0][0] <= now):
            attempt = heapq.heappop(deadlines)[2]
            if attempt.over:
                continue
            fd = attempt.sock.fileno()
            del self._pending[fd]
            self._poll.unregister(fd)
            attempt.sock.close()
            if attempt.number < self._retries:
                self._to_retry.append((attempt.target, attempt.number + 1, False))
            else:
                self.result.unanswered.append(attempt.target)


def _unique(items: Iterable[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def _target_key(target: tuple[str, int]) -> tuple[int, int, int, str, int]:
    """Addresses in numeric order (IPv4 before IPv6), then names; then ports."""
    address, port = target
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (1, 0, 0, address, port)
    return (0, ip.version, int(ip), "", port)


def default_workers() -> int:
    """One scanning thread per processor, at most :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def _merge(parts: list[ScanResult]) -> ScanResult:
    return ScanResult(
        open=sorted(itertools.chain.from_iterable(part.open for part in parts), key=_target_key),
        unanswered=sorted(itertools.chain.from_iterable(part.unanswered for part in parts), key=_target_key),
        attempts=sum(part.attempts for part in parts),
        peak_sockets=sum(part.peak_sockets for part in parts),
    )


def _distinct(addresses: Sequence[str]) -> Sequence[str]:
    """A scope's :class:`AddressRanges` as it is (a set already, read lazily); any other sequence without repeats."""
    return addresses if isinstance(addresses, AddressRanges) else _unique(addresses)


def scan(
    addresses: Sequence[str],
    ports: list[int],
    *,
    concurrency: int = 256,
    timeout: float = 1.5,
    min_timeout: float = 0.1,
    retries: int = 1,
    per_host_rate: float | None = None,
    workers: int | None = None,
) -> ScanResult:
    """Connect to every address x port; which accepted, which never answered.

    At most ``concurrency`` connections are pending at once, clamped below the open file limit
    and lowered further if the process still runs out of descriptors or local ports. A
    connection is given up after a timeout learnt from the round trips seen so far, between
    ``min_timeout`` and ``timeout`` (:class:`RoundTrips`); one that timed out is tried
    ``retries`` more times, a refused one is not. Ports are walked in the outer loop so
    consecutive connections go to different hosts.

    The addresses are dealt out to ``workers`` threads (default: :func:`default_workers`), each
    with its own loop and its share of the concurrency: the system calls of a connect scan run in
    parallel, and each host stays with one thread, so its pacing holds. A scope's
    :class:`~.scope.AddressRanges` is read one address at a time: each thread takes every
    ``workers``-th address by position, so no list of addresses or targets is ever built.
    """
    hosts, port_list = _distinct(addresses), _unique(ports)
    limit = effective_concurrency(concurrency)
    shards = max(1, min(workers or default_workers(), len(hosts), limit))

    def scan_shard(index: int) -> ScanResult:
        engine = _ConnectScan(max(1, limit // shards), RoundTrips(min_timeout, timeout), retries, HostPacer(per_host_rate))
        mine = hosts[index::shards]
        return engine.run((address, port) for port in port_list for address in mine)

    if shards == 1:
        return scan_shard(0)
    with concurrent.futures.ThreadPoolExecutor(max_workers=shards, thread_name_prefix="scan") as pool:
        return _merge(list(pool.map(scan_shard, range(shards))))


# --- TLS ----------------------------------------------------------------------------------------


def _discovery_context() -> ssl.SSLContext:
    """A client context that verifies nothing and offers every version and cipher it can."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    context.set_ciphers(DISCOVERY_CIPHERS)
    return context


def _pinned_context(version: ssl.TLSVersion) -> ssl.SSLContext:
    """A discovery context that offers ``version`` only (ValueError or SSLError if it cannot be set)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0 and 1.1 are deprecated: testing whether a server still accepts them is the point
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = version
        context.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_2:
        context.set_ciphers(DISCOVERY_CIPHERS)
    return context


@functools.cache
def can_offer(version: ssl.TLSVersion) -> bool:
    """Whether the local OpenSSL can send a ClientHello for ``version`` (tried in memory, no network)."""
    try:
        client = _pinned_context(version).wrap_bio(ssl.MemoryBIO(), ssl.MemoryBIO())
        client.do_handshake()
    except ssl.SSLWantReadError:
        return True
    except (ssl.SSLError, ValueError):
        return False
    return True


async def _version_state(address: str, port: int, version: ssl.TLSVersion, timeout: float) -> str:
    if not can_offer(version):
        return "untested"
    try:
        _reader, writer = await _open(address, port, timeout, _pinned_context(version))
    except _STREAM_ERRORS:
        return "refused"
    await _close(writer, timeout)
    return "accepted"


async def tls_versions(address: str, port: int, timeout: float) -> dict[str, str]:
    """Each TLS version: ``'accepted'``, ``'refused'`` or ``'untested'`` (the local OpenSSL cannot offer it)."""
    states = await asyncio.gather(*(_version_state(address, port, version, timeout) for version in TLS_VERSIONS.values()))
    return dict(zip(TLS_VERSIONS, states, strict=True))


def _common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not values:
        return None
    value = values[0].value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _san_dns(certificate: x509.Certificate) -> list[str]:
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return names.get_values_for_type(x509.DNSName)


def _is_self_signed(certificate: x509.Certificate) -> bool:
    """Subject is issuer and, when the key type allows checking it, the certificate's own key signed it."""
    if certificate.subject != certificate.issuer:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return True
    return True


def describe_certificate(der: bytes) -> dict[str, Any]:
    """The facts discovery keeps from a DER certificate (ValueError if it cannot be parsed)."""
    if CRYPTOGRAPHY_MISSING:
        return {"error": CRYPTOGRAPHY_MISSING, "sha256": hashlib.sha256(der).hexdigest()}
    certificate = x509.load_der_x509_certificate(der)
    return {
        "subject_cn": _common_name(certificate.subject),
        "issuer_cn": _common_name(certificate.issuer),
        "san_dns": _san_dns(certificate),
        "not_valid_after": certificate.not_valid_after_utc.isoformat(),
        "self_signed": _is_self_signed(certificate),
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
    }


def _peer_certificate(writer: asyncio.StreamWriter) -> dict[str, Any] | None:
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if isinstance(ssl_object, ssl.SSLObject) else None
    if not der:
        return None
    try:
        return describe_certificate(der)
    except ValueError as exc:
        return {"error": f"unreadable certificate: {exc}"}


# --- connections and HTTP ----------------------------------------------------------------------


async def _open(address: str, port: int, timeout: float, context: ssl.SSLContext | None = None) -> Streams:
    connect = asyncio.open_connection(address, port, ssl=context, ssl_handshake_timeout=timeout if context else None)
    return await asyncio.wait_for(connect, timeout)


async def _close(writer: asyncio.StreamWriter, timeout: float) -> None:
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), min(timeout, 1.0))
    except _STREAM_ERRORS:
        writer.transport.abort()


def _request(address: str, port: int, tls: bool) -> bytes:
    host = f"[{address}]" if ":" in address else address
    if port != (443 if tls else 80):
        host = f"{host}:{port}"
    lines = ("GET / HTTP/1.1", f"Host: {host}", f"User-Agent: {USER_AGENT}", "Accept: */*", "Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii", "replace")


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    status = _STATUS_LINE.match(lines[0])
    if status is None:
        raise NotHttpError(f"not an HTTP response: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), value.strip())
    return int(status[1]), headers


async def _read_up_to(reader: asyncio.StreamReader, limit: int) -> bytes:
    data = bytearray()
    while len(data) < limit:
        chunk = await reader.read(limit - len(data))
        if not chunk:
            break
        data += chunk
    return bytes(data)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while len(body) < MAX_BODY:
        size_field = (await reader.readline()).split(b";")[0].strip()
        size = int(size_field, 16) if size_field else 0
        if size == 0:
            break
        body += await _read_up_to(reader, min(size, MAX_BODY - len(body)))
        await reader.readline()
    return bytes(body)


async def _read_body(reader: asyncio.StreamReader, status: int, headers: dict[str, str]) -> bytes:
    if status in _NO_BODY_STATUS or status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader)
    length = headers.get("content-length", "")
    limit = min(int(length), MAX_BODY) if length.isdigit() else MAX_BODY
    return await _read_up_to(reader, limit)


async def _exchange(streams: Streams, request: bytes, timeout: float) -> _Response:
    reader, writer = streams
    writer.write(request)
    await asyncio.wait_for(writer.drain(), timeout)
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.IncompleteReadError as exc:
        _parse_head(exc.partial)  # a peer that said something else is named for what it said
        raise
    status, headers = _parse_head(head)
    body = await asyncio.wait_for(_read_body(reader, status, headers), timeout)
    return _Response(status, headers, body)


def _text(body: bytes, headers: dict[str, str]) -> str:
    charset = _CHARSET.search(headers.get("content-type", ""))
    try:
        return body.decode(charset[1] if charset else "utf-8", "replace")
    except LookupError:
        return body.decode("utf-8", "replace")


def page_title(text: str) -> str | None:
    """The first ``<title>``: entities unescaped, whitespace collapsed, at most 200 characters."""
    match = _TITLE.search(text)
    if match is None:
        return None
    return " ".join(html.unescape(match[1]).split())[:TITLE_LENGTH]


# --- probing -------------------------------------------------------------------------------------


def _apply_response(result: ProbeResult, response: _Response) -> None:
    headers = response.headers
    text = _text(response.body, headers)
    result.status = response.status
    result.server = headers.get("server")
    result.powered_by = headers.get("x-powered-by")
    result.aspnet_version = headers.get("x-aspnet-version")
    result.redirect = headers.get("location")
    result.title = page_title(text)
    result.iis_default_page = result.title == _IIS_START_TITLE or "iisstart" in text.lower()


def classify(server: str | None, iis_default_page: bool) -> tuple[str, str | None]:
    """``(product, version)`` from the ``Server`` header; the IIS start page alone also means IIS."""
    if server:
        for pattern, product in ((_IIS, "IIS"), (_HTTP_SYS, "http.sys")):
            match = pattern.match(server)
            if match:
                return product, match[1]
        name, _slash, version = server.split()[0].partition("/")
        return name, version or None
    return ("IIS", None) if iis_default_page else ("unknown", None)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _connect(result: ProbeResult, timeout: float) -> Streams:
    """A TLS connection if the port completes a handshake, else a plain one (which may raise)."""
    try:
        streams = await _open(result.address, result.port, timeout, _discovery_context())
    except _STREAM_ERRORS:
        return await _open(result.address, result.port, timeout)
    result.tls = True
    result.certificate = _peer_certificate(streams[1])
    return streams


async def _probe_into(result: ProbeResult, timeout: float) -> None:
    streams = await _connect(result, timeout)
    try:
        response = await _exchange(streams, _request(result.address, result.port, result.tls), timeout)
    except _STREAM_ERRORS as exc:
        result.error = _describe(exc)
    else:
        _apply_response(result, response)
    finally:
        await _close(streams[1], timeout)
    if result.tls:
        result.tls_versions = await tls_versions(result.address, result.port, timeout)


async def probe(address: str, port: int, *, timeout: float = 3.0) -> ProbeResult:
    """What ``address:port`` serves; every failure is the ``error`` field, never an exception."""
    result = ProbeResult(address=address, port=port, winrm=port in WINRM_PORTS)
    try:
        await _probe_into(result, timeout)
    except Exception as exc:  # a probe reports, it never raises
        result.error = _describe(exc)
    result.product, result.version = classify(result.server, result.iis_default_page)
    return result


async def probe_all(targets: Iterable[tuple[str, int]], *, timeout: float = 3.0, concurrency: int = 32) -> list[ProbeResult]:
    """:func:`probe` every target, ``concurrency`` at once (clamped: a probe may hold several sockets), in order."""
    gate = asyncio.Semaphore(max(1, effective_concurrency(concurrency * FDS_PER_PROBE) // FDS_PER_PROBE))

    async def bounded(address: str, port: int) -> ProbeResult:
        async with gate:
            return await probe(address, port, timeout=timeout)

    return list(await asyncio.gather(*(bounded(address, port) for address, port in targets)))
