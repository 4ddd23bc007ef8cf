# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Active discovery of web servers: a TCP connect scan, then an HTTP(S) probe of every open port.

The targets arrive already resolved and bounded (scope parsing and safety limits live elsewhere):
a list of addresses and a list of ports. Everything runs on asyncio with ordinary sockets, so no
privileges are needed:

* :func:`scan` connects to every address x port with bounded concurrency (never more sockets than
  the process may open), retries a connection that timed out (not one that was refused) and can
  pace new connections per host;
* :func:`probe` tries a TLS handshake first (without verifying anything: this is discovery), keeps
  the peer certificate, sends ``GET /`` over TLS or plain HTTP and reads the answer: status,
  ``Server``, ``X-Powered-By``, ``X-AspNet-Version``, ``<title>``, ``Location``, the IIS start page.
  On a TLS port each protocol version from TLS 1.0 to 1.3 is tried in a handshake of its own;
* :func:`discover` does both.

A probe never raises: what went wrong is its ``error`` field.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import hashlib
import html
import ipaddress
import itertools
import re
import resource
import ssl
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

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


class HostPacer:
    """At most ``rate`` new connections per second to each host (``None``: no pacing)."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next: dict[str, float] = {}

    async def wait(self, host: str) -> None:
        """Wait for the next connection slot of ``host``."""
        if not self._interval:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next.get(host, now))
        self._next[host] = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)


async def _connect_once(address: str, port: int, timeout: float) -> str:
    """``'open'``, ``'closed'`` (refused, unreachable), ``'timeout'`` or ``'busy'`` (no descriptor left)."""
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except TimeoutError:
        return "timeout"
    except OSError as exc:
        return "busy" if exc.errno in _FD_EXHAUSTED else "closed"
    await _close(writer, timeout)
    return "open"


async def _is_open(address: str, port: int, timeout: float, retries: int, pacer: HostPacer) -> bool:
    for _attempt in range(retries + 1):
        await pacer.wait(address)
        outcome = await _connect_once(address, port, timeout)
        if outcome in {"open", "closed"}:
            return outcome == "open"
    return False


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


async def scan(
    addresses: list[str],
    ports: list[int],
    *,
    concurrency: int = 256,
    timeout: float = 1.5,
    retries: int = 1,
    per_host_rate: float | None = None,
) -> list[tuple[str, int]]:
    """The open ``(address, port)`` pairs among every address x port, sorted.

    Ports are walked in the outer loop so consecutive connections go to different hosts. A
    connection slot is taken before its task exists, so neither sockets nor tasks exceed the
    clamped concurrency.
    """
    gate = asyncio.Semaphore(effective_concurrency(concurrency))
    pacer = HostPacer(per_host_rate)
    found: list[tuple[str, int]] = []

    async def check(address: str, port: int) -> None:
        try:
            if await _is_open(address, port, timeout, retries, pacer):
                found.append((address, port))
        finally:
            gate.release()

    async with asyncio.TaskGroup() as group:
        for port, address in itertools.product(_unique(ports), _unique(addresses)):
            await gate.acquire()
            group.create_task(check(address, port))
    return sorted(found, key=_target_key)


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


async def discover(
    addresses: list[str],
    ports: list[int],
    *,
    concurrency: int = 256,
    timeout: float = 1.5,
    retries: int = 1,
    per_host_rate: float | None = None,
    probe_timeout: float = 3.0,
    probe_concurrency: int = 32,
) -> list[ProbeResult]:
    """:func:`scan`, then :func:`probe` every open port (bounded concurrency), in scan order."""
    open_ports = await scan(addresses, ports, concurrency=concurrency, timeout=timeout, retries=retries, per_host_rate=per_host_rate)
    gate = asyncio.Semaphore(max(1, effective_concurrency(probe_concurrency * FDS_PER_PROBE) // FDS_PER_PROBE))

    async def bounded(address: str, port: int) -> ProbeResult:
        async with gate:
            return await probe(address, port, timeout=probe_timeout)

    return list(await asyncio.gather(*(bounded(address, port) for address, port in open_ports)))
