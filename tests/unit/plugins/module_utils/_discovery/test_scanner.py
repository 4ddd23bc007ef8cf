# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery against real servers on loopback addresses (127.0.0.0/8 is all loopback on Linux)."""

from __future__ import annotations

import asyncio
import datetime
import errno
import resource
import socket
import socketserver
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ansible_collections.hardened.iis.plugins.module_utils._discovery import scanner
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scanner import (
    ProbeResult,
    RoundTrips,
    ScanError,
    can_offer,
    classify,
    describe_certificate,
    effective_concurrency,
    probe,
    probe_all,
    scan,
)

NOBODY = "127.0.0.9"
IIS_START = b'<!DOCTYPE html><html><head><title>IIS Windows Server</title></head><body><img src="iisstart.png" alt="IIS"></body></html>'


@dataclass(frozen=True)
class Reply:
    status: int
    server: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    chunked: bool = False


class ReplyHandler(BaseHTTPRequestHandler):
    """Answers every GET with ``reply``; like http.sys and nginx, rejects a TLS ClientHello at once."""

    protocol_version = "HTTP/1.1"
    timeout = 5
    reply: ClassVar[Reply]
    rejects_tls: ClassVar[bool] = True
    tls: ClassVar[ssl.SSLContext | None] = None

    def setup(self) -> None:
        if self.tls is not None:
            self.request.settimeout(5)
            self.request = self.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def handle_one_request(self) -> None:
        if self.rejects_tls and self.tls is None and self.connection.recv(1, socket.MSG_PEEK) == b"\x16":
            self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.close_connection = True
            return
        super().handle_one_request()

    def version_string(self) -> str:
        return self.reply.server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        reply = self.reply
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding" if reply.chunked else "Content-Length", "chunked" if reply.chunked else str(len(reply.body)))
        self.end_headers()
        if not reply.chunked:
            self.wfile.write(reply.body)
            return
        for start in range(0, len(reply.body), 7000):
            chunk = reply.body[start : start + 7000]
            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse lookup of the address
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up early (the scan, the version handshakes) are expected


@dataclass(frozen=True)
class Lab:
    endpoints: dict[str, tuple[str, int]]
    closed_port: int
    certificate: x509.Certificate


def make_certificate(
    common_name: str, dns_names: list[str], key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None = None, signer: Any = None
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in dns_names]), critical=False)
    )
    return builder.sign(signer or key, hashes.SHA256())


def tls_server_context(tmp: Path) -> tuple[ssl.SSLContext, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = make_certificate("iis.example.test", ["iis.example.test", "www.example.test"], key)
    (tmp / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2  # an IIS with TLS 1.2 only
    return context, certificate


def start(address: str, reply: Reply, servers: list[QuietServer], **attributes: Any) -> tuple[str, int]:
    handler = type("Handler", (ReplyHandler,), {"reply": reply, **attributes})
    server = QuietServer((address, 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    servers.append(server)
    return address, server.server_address[1]


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    tls, certificate = tls_server_context(tmp_path_factory.mktemp("tls"))
    iis_headers = (("X-Powered-By", "ASP.NET"), ("X-AspNet-Version", "4.0.30319"), ("Content-Type", "text/html"))
    servers: list[QuietServer] = []
    endpoints = {
        "iis": start("127.0.0.2", Reply(200, "Microsoft-IIS/10.0", iis_headers, IIS_START + b"<!--" + b"x" * 100_000 + b"-->"), servers),
        "https": start(
            "127.0.0.2",
            Reply(200, "Microsoft-IIS/10.0", (("Content-Type", "text/html; charset=utf-8"),), "<title>\n  Contoso &amp; Co\tintranet – été </title>".encode()),
            servers,
            tls=tls,
        ),
        "httpsys": start(
            "127.0.0.3", Reply(404, "Microsoft-HTTPAPI/2.0", (), b"<HTML><HEAD><TITLE>Not Found</TITLE></HEAD><BODY>Not Found</BODY></HTML>"), servers
        ),
        "nginx": start(
            "127.0.0.3", Reply(200, "nginx/1.24.0", (), b"<html><head><title>Welcome to nginx!</title></head>" + b" " * 20_000, chunked=True), servers
        ),
        # Like Python's own http.server, this one reads a ClientHello as a request line: a 400 at its first line end, else a TLS timeout.
        "redirect": start("127.0.0.4", Reply(301, "Microsoft-IIS/8.5", (("Location", "https://www.example.test/"),)), servers, rejects_tls=False),
    }
    yield Lab(endpoints, free_port("127.0.0.2"), certificate)
    for server in servers:
        server.shutdown()
        server.server_close()


def all_ports(lab: Lab) -> list[int]:
    return sorted({port for _address, port in lab.endpoints.values()} | {lab.closed_port})


ADDRESSES = ["127.0.0.4", "127.0.0.2", NOBODY, "127.0.0.3"]


def test_scan_finds_exactly_the_listening_ports(lab: Lab) -> None:
    result = scan(ADDRESSES, all_ports(lab), timeout=0.5)

    assert result.open == sorted(lab.endpoints.values(), key=lambda target: (int(target[0].split(".")[-1]), target[1]))
    assert ("127.0.0.2", lab.closed_port) not in result.open
    assert all(address != NOBODY for address, _port in result.open)
    assert result.unanswered == []
    assert result.attempts == len(ADDRESSES) * len(all_ports(lab))


def test_one_worker_and_several_find_the_same(lab: Lab) -> None:
    assert scan(ADDRESSES, all_ports(lab), workers=1).open == scan(ADDRESSES, all_ports(lab), workers=3).open


@pytest.fixture
def silent() -> Iterator[Callable[[str, int], list[tuple[str, int]]]]:
    """Ports that never answer: a listener whose accept queue is full drops new SYNs (as a firewall would)."""
    held: list[socket.socket] = []

    def make(address: str, count: int) -> list[tuple[str, int]]:
        targets = []
        for _index in range(count):
            listener = socket.socket()
            listener.bind((address, 0))
            listener.listen(0)
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            held.extend((listener, filler))
            targets.append(listener.getsockname())
        time.sleep(0.05)  # the fillers' handshakes complete
        return targets

    yield make
    for sock in held:
        sock.close()


def test_concurrency_is_clamped_below_the_open_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limits = {"soft": 100}
    monkeypatch.setattr(scanner.resource, "getrlimit", lambda _which: (limits["soft"], 4096))
    assert effective_concurrency(256) == 100 - scanner.FD_MARGIN
    assert effective_concurrency(8) == 8
    limits["soft"] = 10
    assert effective_concurrency(256) == 1
    limits["soft"] = resource.RLIM_INFINITY
    assert effective_concurrency(256) == 256


@pytest.mark.parametrize("workers", [1, 2])
def test_a_scan_never_holds_more_sockets_than_the_open_file_limit_allows(
    silent: Callable[[str, int], list[tuple[str, int]]], monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    targets = silent("127.0.0.5", 40) + silent("127.0.0.6", 40)
    monkeypatch.setattr(scanner.resource, "getrlimit", lambda _which: (128, 4096))

    result = scan(["127.0.0.5", "127.0.0.6"], sorted({port for _address, port in targets}), concurrency=100_000, timeout=0.3, retries=0, workers=workers)

    assert result.peak_sockets == 128 - scanner.FD_MARGIN
    assert set(targets) <= set(result.unanswered)
    assert result.open == []


def test_a_timeout_is_retried_a_refusal_is_not(lab: Lab, silent: Callable[[str, int], list[tuple[str, int]]]) -> None:
    [(address, hanging)] = silent("127.0.0.2", 1)
    listening = lab.endpoints["iis"][1]

    result = scan([address], [hanging, lab.closed_port, listening], timeout=0.3, retries=1)

    assert result.open == [(address, listening)]
    assert result.unanswered == [(address, hanging)]
    assert result.attempts == 4  # the silent port twice, the refusing and the listening port once


def test_timeouts_follow_the_round_trips_seen(silent: Callable[[str, int], list[tuple[str, int]]]) -> None:
    hanging = silent("127.0.0.7", 20)
    closed = [free_port("127.0.0.7") for _index in range(20)]

    started = time.monotonic()
    result = scan(["127.0.0.7"], closed + [port for _address, port in hanging], timeout=5.0, min_timeout=0.1, retries=1)
    elapsed = time.monotonic() - started

    assert sorted(result.unanswered) == sorted(hanging)
    assert elapsed < 2.5  # without learning, every silent port would wait 5 s, twice


def test_round_trip_estimates() -> None:
    trips = RoundTrips(floor=0.1, ceiling=1.5)
    assert trips.timeout("192.0.2.1") == 1.5  # nothing learnt yet

    for _index in range(20):
        trips.sample("192.0.2.1", 0.001)
    assert trips.timeout("192.0.2.1") == 0.1  # fast answers: the floor
    assert trips.timeout("192.0.2.2") == 0.1  # a host with no answers of its own: the scan's estimate

    for seconds in (0.4, 0.9, 0.3, 1.2):
        trips.sample("198.51.100.1", seconds)
    far = trips.timeout("198.51.100.1")
    assert 0.7 < far <= 1.5 and far > trips.timeout("192.0.2.1")

    for _index in range(5):
        trips.sample("203.0.113.1", 10.0)
    assert trips.timeout("203.0.113.1") == 1.5  # never beyond the ceiling


def test_running_out_of_descriptors_slows_the_scan_down_but_skips_nothing(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = scanner._new_socket, [0]

    def flaky(family: socket.AddressFamily) -> socket.socket:
        calls[0] += 1
        if calls[0] in {5, 6, 7}:
            raise OSError(errno.EMFILE, "Too many open files")
        return real(family)

    monkeypatch.setattr(scanner, "_new_socket", flaky)
    monkeypatch.setattr(scanner, "RESOURCE_WAIT", 0.001)
    result = scan(ADDRESSES, all_ports(lab), timeout=0.5, workers=1)

    assert result.open == scan(ADDRESSES, all_ports(lab), timeout=0.5).open
    assert result.attempts == len(ADDRESSES) * len(all_ports(lab))


def test_a_scan_that_can_open_no_socket_at_all_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    def exhausted(_family: socket.AddressFamily) -> socket.socket:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(scanner, "_new_socket", exhausted)
    monkeypatch.setattr(scanner, "RESOURCE_WAIT", 0.0)
    with pytest.raises(ScanError, match="cannot open a connection for the scan: Too many open files"):
        scan(["127.0.0.2"], [80])


def test_the_rate_is_per_host() -> None:
    started = time.monotonic()
    scan([NOBODY, "127.0.0.10"], list(range(42001, 42007)), per_host_rate=10)
    elapsed = time.monotonic() - started

    assert 0.45 <= elapsed < 0.95  # 6 connections per host at 10/s: 5 intervals; both hosts at once


def expected_certificate(certificate: x509.Certificate) -> dict[str, Any]:
    return {
        "subject_cn": "iis.example.test",
        "issuer_cn": "iis.example.test",
        "san_dns": ["iis.example.test", "www.example.test"],
        "not_valid_after": certificate.not_valid_after_utc.isoformat(),
        "self_signed": True,
        "sha256": certificate.fingerprint(hashes.SHA256()).hex(),
    }


def expected_results(lab: Lab) -> dict[str, dict[str, Any]]:
    old = "refused" if can_offer(ssl.TLSVersion.TLSv1) else "untested"
    old_1_1 = "refused" if can_offer(ssl.TLSVersion.TLSv1_1) else "untested"
    base = {"tls": False, "status": 200, "powered_by": None, "aspnet_version": None, "redirect": None, "iis_default_page": False}
    base |= {"winrm": False, "tls_versions": {}, "certificate": None, "error": None}
    return {
        "iis": base
        | {"server": "Microsoft-IIS/10.0", "powered_by": "ASP.NET", "aspnet_version": "4.0.30319", "title": "IIS Windows Server"}
        | {"iis_default_page": True, "product": "IIS", "version": "10.0"},
        "https": base
        | {"tls": True, "server": "Microsoft-IIS/10.0", "title": "Contoso & Co intranet – été", "product": "IIS", "version": "10.0"}
        | {
            "tls_versions": {"TLSv1.0": old, "TLSv1.1": old_1_1, "TLSv1.2": "accepted", "TLSv1.3": "refused"},
            "certificate": expected_certificate(lab.certificate),
        },
        "httpsys": base | {"status": 404, "server": "Microsoft-HTTPAPI/2.0", "title": "Not Found", "product": "http.sys", "version": "2.0"},
        "nginx": base | {"server": "nginx/1.24.0", "title": "Welcome to nginx!", "product": "nginx", "version": "1.24.0"},
        "redirect": base
        | {"status": 301, "server": "Microsoft-IIS/8.5", "title": None, "redirect": "https://www.example.test/", "product": "IIS", "version": "8.5"},
    }


def test_discover_probes_every_open_port(lab: Lab) -> None:
    open_ports = scan(ADDRESSES, all_ports(lab), timeout=0.5).open
    results = asyncio.run(probe_all(open_ports, timeout=1.0))

    by_endpoint = {(result.address, result.port): result.as_dict() for result in results}
    assert [(result.address, result.port) for result in results] == open_ports
    for name, expected in expected_results(lab).items():
        address, port = lab.endpoints[name]
        assert by_endpoint[(address, port)] == {"address": address, "port": port, **expected}, name


def test_a_probe_of_a_closed_winrm_port_reports_the_error() -> None:
    result = asyncio.run(probe(NOBODY, 5985, timeout=0.5))

    assert result.error is not None
    assert "refused" in result.error.lower()
    assert result == ProbeResult(address=NOBODY, port=5985, winrm=True, error=result.error)


def test_a_port_that_answers_no_http_is_an_error_field() -> None:
    async def run() -> ProbeResult:
        async def babble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"SSH-2.0-OpenSSH_9.6\r\n")
            await writer.drain()
            await reader.read(4096)
            writer.close()

        server = await asyncio.start_server(babble, "127.0.0.5", 0)
        async with server:
            return await probe("127.0.0.5", server.sockets[0].getsockname()[1], timeout=0.5)

    result = asyncio.run(run())

    assert result.tls is False
    assert result.status is None
    assert result.product == "unknown"
    assert result.error is not None
    assert "not an HTTP response" in result.error


def test_certificates_signed_by_another_key_are_not_self_signed() -> None:
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Contoso CA")])
    issued = make_certificate("web.example.test", [], leaf_key, issuer=ca_name, signer=ca_key)
    forged = make_certificate("web.example.test", ["web.example.test"], leaf_key, signer=ca_key)

    issued_facts = describe_certificate(issued.public_bytes(serialization.Encoding.DER))
    assert (issued_facts["subject_cn"], issued_facts["issuer_cn"], issued_facts["san_dns"], issued_facts["self_signed"]) == (
        "web.example.test",
        "Contoso CA",
        [],
        False,
    )
    assert describe_certificate(forged.public_bytes(serialization.Encoding.DER))["self_signed"] is False


@pytest.mark.parametrize(
    ("server", "start_page", "expected"),
    [
        ("Microsoft-IIS/10.0", False, ("IIS", "10.0")),
        ("Microsoft-HTTPAPI/2.0", False, ("http.sys", "2.0")),
        ("Apache/2.4.57 (Debian)", False, ("Apache", "2.4.57")),
        ("cloudflare", False, ("cloudflare", None)),
        (None, True, ("IIS", None)),
        (None, False, ("unknown", None)),
    ],
)
def test_the_product_comes_from_the_server_header(server: str | None, start_page: bool, expected: tuple[str, str | None]) -> None:
    assert classify(server, start_page) == expected
