# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of active web server discovery against nmap, side by side in one run.

Targets: 127.0.0.0/24 (the 254 hosts 127.0.0.1-254) x 8 high ports (8000, 8008, 8080, 8081,
8443, 8888, 9080, 9443). About 20 listeners are started first, in threads of a forked child
process (so serving never competes with the timed side for the GIL): on 12 addresses drawn
from 127.0.0.2-254 with ``random.Random(seed)``, each (address, port) kept only if it can be
bound (so it was free: nothing listened there, nor on the port's wildcard address). They are
real HTTP servers with the headers and start pages of IIS 10 over HTTP and HTTPS, http.sys
(``Microsoft-HTTPAPI/2.0`` 404), nginx over HTTP and HTTPS and Apache; every HTTPS listener
has its own self-signed RSA certificate made with ``cryptography`` (CN ``<kind>-<n>.bench.example``).

Then, one after another, best of N runs each:

(a) port scan of the 2,032 targets: ``scan`` of hardened.iis (its defaults, as ``discover``
    and the ``web_discovery`` module use them) against
    ``nmap -sT -T4 -n -Pn -p <ports> 127.0.0.1-254 -oG -``; both open sets must be identical
    (the script fails otherwise) and are checked against the listeners started;
(b) fingerprinting of the open ports: ``discover``'s probe stage (``probe`` of every open
    port under the same concurrency gate and timeout as ``discover``) against
    ``nmap -sT -sV --script http-server-header,http-title,ssl-cert -n -Pn -p <ports>
    <addresses with an open port> -oX -``; then, per open port, the ``Server`` header, the
    page title, the certificate subject CN and TLS as found by each, with agreement counts
    (between the two, and with what the listener really serves).

(d) the scope, before any connection (no listener, no nmap): ``expand_scope`` of a /24 minus
    a /8 exclusion, of a /8 (the limit raised) with its address count, and reading the
    addresses of a /12 one at a time as the scan does (whole and dealt out to 4 threads);
    best of N wall time each, and the peak of memory allocated in Python (``tracemalloc``,
    in a separate untimed run).

nmap is Debian's package (``apt-get install nmap``); this script installs nothing: without
nmap on PATH it says so and times only its own side. Wall times include nmap's process
start-up; the probe stage's include ``asyncio.run``'s event loop set-up.

Usage: python benchmarks/bench_discovery.py [--runs 3] [--seed 7] [--json out.json] [--scan-only | --scope-only]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import errno
import http.server
import inspect
import itertools
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import socket
import socketserver
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.hardened.iis.plugins.module_utils._discovery.scanner import (  # noqa: E402
    ProbeResult,
    probe_all,
    scan,
)
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import DEFAULT_MAX_ADDRESSES, expand_scope  # noqa: E402

PORTS = (8000, 8008, 8080, 8081, 8443, 8888, 9080, 9443)
ADDRESSES = [f"127.0.0.{host}" for host in range(1, 255)]
NMAP_RANGE = "127.0.0.1-254"
SILENT_ADDRESSES = [f"127.0.1.{host}" for host in range(1, 255)]
SILENT_RANGE = "127.0.1.1-254"
SILENT_COUNT = 60
LISTENER_ADDRESSES = 12
NSE_SCRIPTS = "http-server-header,http-title,ssl-cert"


def _defaults(function: Callable[..., Any]) -> dict[str, Any]:
    return {name: parameter.default for name, parameter in inspect.signature(function).parameters.items() if parameter.default is not parameter.empty}


SCAN_DEFAULTS = _defaults(scan)
PROBE_DEFAULTS = _defaults(probe_all)

IIS_START = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\r\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\r\n<head>\r\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1" />\r\n'
    '<title>IIS Windows Server</title>\r\n<style type="text/css">\r\n<!--\r\nbody {\r\n\tcolor:#000000;\r\n'
    "\tbackground-color:#0072C6;\r\n\tmargin:0;\r\n}\r\n-->\r\n</style>\r\n</head>\r\n<body>\r\n"
    '<div id="container">\r\n<a href="http://go.microsoft.com/fwlink/?linkid=66138&amp;clcid=0x409">'
    '<img src="iisstart.png" alt="IIS" width="960" height="600" /></a>\r\n</div>\r\n</body>\r\n</html>'
)
HTTPAPI_404 = (
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
    '<HTML><HEAD><TITLE>Not Found</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
    "<BODY><h2>Not Found</h2>\r\n<hr><p>HTTP Error 404. The requested resource is not found.</p>\r\n</BODY></HTML>\r\n"
)
NGINX_WELCOME = (
    "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n"
    "<p>If you see this page, the nginx web server is successfully installed and working.</p>\n</body>\n</html>\n"
)
APACHE_DEFAULT = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml">\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />\n'
    "    <title>Apache2 Debian Default Page: It works</title>\n  </head>\n  <body>\n    <p>It works!</p>\n  </body>\n</html>\n"
)


@dataclass(frozen=True)
class Kind:
    """What a listener serves on ``GET /``."""

    name: str
    tls: bool
    status: int
    server: str
    title: str
    body: str
    content_type: str
    extra_headers: tuple[tuple[str, str], ...] = ()


_IIS_HEADERS = (("X-Powered-By", "ASP.NET"), ("Accept-Ranges", "bytes"), ("ETag", '"5b8d1cb3a5d5d91:0"'))
KINDS = {
    kind.name: kind
    for kind in (
        Kind("iis-http", False, 200, "Microsoft-IIS/10.0", "IIS Windows Server", IIS_START, "text/html", _IIS_HEADERS),
        Kind("iis-https", True, 200, "Microsoft-IIS/10.0", "IIS Windows Server", IIS_START, "text/html", _IIS_HEADERS),
        Kind("httpapi", False, 404, "Microsoft-HTTPAPI/2.0", "Not Found", HTTPAPI_404, "text/html; charset=us-ascii"),
        Kind("nginx-http", False, 200, "nginx/1.24.0", "Welcome to nginx!", NGINX_WELCOME, "text/html"),
        Kind("nginx-https", True, 200, "nginx/1.24.0", "Welcome to nginx!", NGINX_WELCOME, "text/html"),
        Kind("apache-http", False, 200, "Apache/2.4.57 (Debian)", "Apache2 Debian Default Page: It works", APACHE_DEFAULT, "text/html"),
    )
}
MIX = ["iis-http"] * 7 + ["iis-https"] * 4 + ["httpapi"] * 2 + ["nginx-http"] * 3 + ["nginx-https"] * 2 + ["apache-http"] * 2
"""The 20 listeners, in the order they are placed."""


@dataclass(frozen=True)
class Listener:
    address: str
    port: int
    kind: str
    cn: str | None


Target = tuple[str, int]
Facts = dict[str, str | bool | None]
FIELDS = ("server", "title", "cert_cn", "tls")
_T = TypeVar("_T")


# --- listeners (in the child process) --------------------------------------------------------


def _self_signed(cn: str, directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hardened.iis benchmark")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{cn}.crt", directory / f"{cn}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


class _Server(socketserver.ThreadingTCPServer):
    """One listener: a thread per connection, TLS handshakes in that thread (never in the accept loop)."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, target: Target, kind: Kind, context: ssl.SSLContext | None) -> None:
        self.kind = kind
        self.context = context
        super().__init__(target, _Handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, client = super().get_request()
        if self.context is not None:
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, client

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Scanners hang up mid-handshake and send anything: not worth a traceback."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10
    server: _Server

    def setup(self) -> None:
        super().setup()
        if isinstance(self.request, ssl.SSLSocket):
            self.request.do_handshake()

    def version_string(self) -> str:
        return self.server.kind.server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def _answer(self, with_body: bool) -> None:
        kind = self.server.kind
        body = kind.body.encode("latin-1")
        self.send_response(kind.status)
        self.send_header("Content-Type", kind.content_type)
        for name, value in kind.extra_headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)


def _placements(seed: int) -> list[Target]:
    """Candidate (address, port) pairs on LISTENER_ADDRESSES addresses, in the order they are tried."""
    rng = random.Random(seed)
    hosts = rng.sample(ADDRESSES[1:], LISTENER_ADDRESSES)
    first = [(host, rng.choice(PORTS)) for host in hosts]  # every address gets one port first
    rest = [pair for pair in itertools.product(hosts, PORTS) if pair not in first]
    rng.shuffle(rest)
    return first + rest


def _serve(conn: Connection, seed: int) -> None:
    """Child process: bind the listeners, report them, serve until told to stop."""
    servers: list[_Server] = []
    listeners: list[Listener] = []
    skipped: list[Target] = []
    with tempfile.TemporaryDirectory(prefix="bench-discovery-") as directory:
        candidates = iter(_placements(seed))
        for index, kind_name in enumerate(MIX):
            kind = KINDS[kind_name]
            cn = f"{kind.name}-{index:02d}.bench.example" if kind.tls else None
            context = None
            if cn is not None:
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(*_self_signed(cn, Path(directory)))
            for target in candidates:
                try:
                    server = _Server(target, kind, context)
                except OSError as exc:
                    if exc.errno != errno.EADDRINUSE:
                        raise
                    skipped.append(target)
                    continue
                servers.append(server)
                listeners.append(Listener(target[0], target[1], kind.name, cn))
                threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
                break
        conn.send((listeners, skipped))
        conn.recv()
        stoppers = [threading.Thread(target=server.shutdown) for server in servers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in servers:
            server.server_close()
    conn.send("stopped")


class Listeners:
    """The child process serving every listener; a context manager."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.listeners: list[Listener] = []
        self.skipped: list[Target] = []

    def __enter__(self) -> Listeners:
        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.seed), daemon=True)
        self._process.start()
        if not self._conn.poll(60):
            raise RuntimeError("the listeners did not start within 60 s")
        self.listeners, self.skipped = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._conn.send("stop")
            self._conn.poll(10)
        finally:
            self._process.join(5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join()


# --- hardened.iis --------------------------------------------------------------------------------


def ours_facts(result: ProbeResult) -> Facts:
    certificate = result.certificate or {}
    return {"server": result.server, "title": result.title, "cert_cn": certificate.get("subject_cn"), "tls": result.tls}


# --- nmap --------------------------------------------------------------------------------------


def nmap_version(nmap: str) -> str:
    output = subprocess.run([nmap, "--version"], capture_output=True, text=True, check=True).stdout
    return output.splitlines()[0].strip() if output else "nmap"


def nmap_scan(nmap: str, target_range: str = NMAP_RANGE) -> dict[str, list[Target]]:
    """``nmap -sT -T4 -n -Pn`` over ``target_range`` x PORTS: the pairs in each state (open, filtered, ...) from its greppable output."""
    command = [nmap, "-sT", "-T4", "-n", "-Pn", "-p", ",".join(map(str, PORTS)), target_range, "-oG", "-"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found: dict[str, list[Target]] = {}
    for line in output.splitlines():
        match = re.match(r"Host: (\S+) .*?\tPorts: ([^\t]*)", line)
        if match is None:
            continue
        for entry in match[2].split(", "):
            port, state = entry.split("/")[:2]
            found.setdefault(state, []).append((match[1], int(port)))
    return found


def nmap_fingerprint(nmap: str, addresses: Sequence[str]) -> str:
    command = [nmap, "-sT", "-sV", "--script", NSE_SCRIPTS, "-n", "-Pn", "-p", ",".join(map(str, PORTS)), *addresses, "-oX", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _script_elem(script: ET.Element | None, key: str | None = None) -> str | None:
    if script is None:
        return None
    for elem in script.iter("elem"):
        if elem.get("key") == key:
            return elem.text
    return None


def nmap_facts(xml: str) -> dict[Target, Facts]:
    """Per open port of ``nmap -sV -oX``: Server header, title, certificate subject CN, TLS."""
    root = ET.fromstring(xml)  # noqa: S314 - the output of the local nmap, not untrusted input
    facts: dict[Target, Facts] = {}
    for host in root.iter("host"):
        address = next((a.get("addr", "") for a in host.iter("address") if a.get("addrtype") == "ipv4"), "")
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            scripts = {script.get("id"): script for script in port.iter("script")}
            service = port.find("service")
            subject = scripts.get("ssl-cert")
            cn = None
            if subject is not None:
                table = next((t for t in subject.iter("table") if t.get("key") == "subject"), None)
                cn = _script_elem(table, "commonName")
            facts[(address, int(port.get("portid", "0")))] = {
                "server": _script_elem(scripts.get("http-server-header")),
                "title": _script_elem(scripts.get("http-title"), "title"),
                "cert_cn": cn,
                "tls": service is not None and service.get("tunnel") == "ssl",
                "service": " ".join(filter(None, (service.get(k) for k in ("name", "product", "version")))) if service is not None else None,
            }
    return facts


# --- timing and reporting ----------------------------------------------------------------------


def timed(function: Callable[[], _T]) -> tuple[float, _T]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def summary(times: list[float]) -> dict[str, Any]:
    return {"best_seconds": min(times), "median_seconds": statistics.median(times), "seconds": times}


def truth(listener: Listener) -> Facts:
    kind = KINDS[listener.kind]
    return {"server": kind.server, "title": kind.title, "cert_cn": listener.cn, "tls": kind.tls}


def _show(value: str | bool | None) -> str:
    return "-" if value is None else str(value)


def compare(open_ports: list[Target], ours: dict[Target, Facts], theirs: dict[Target, Facts] | None, listeners: dict[Target, Listener]) -> dict[str, Any]:
    """Per field: how many open ports both tools agree on, and how many each gets right."""
    counts: dict[str, dict[str, int]] = {name: {"agree": 0, "ours_right": 0, "nmap_right": 0, "ports": len(open_ports)} for name in FIELDS}
    print(f"  {'target':<20} {'kind':<12} {'Server (ours | nmap)':<46} {'title (ours | nmap)':<50} cert CN (ours | nmap)")
    for target in open_ports:
        mine, other = ours[target], (theirs or {}).get(target, {})
        real = truth(listeners[target]) if target in listeners else {}
        for name in FIELDS:
            counts[name]["agree"] += theirs is not None and mine.get(name) == other.get(name)
            counts[name]["ours_right"] += bool(real) and mine.get(name) == real.get(name)
            counts[name]["nmap_right"] += bool(real) and theirs is not None and other.get(name) == real.get(name)
        kind = listeners[target].kind if target in listeners else "?"
        columns = [f"{_show(mine.get(name))} | {_show(other.get(name)) if theirs is not None else 'n/a'}" for name in ("server", "title", "cert_cn")]
        print(f"  {target[0] + ':' + str(target[1]):<20} {kind:<12} {columns[0]:<46} {columns[1]:<50} {columns[2]}")
    return counts


def fingerprint_stage(runs: int, nmap: str | None, ours_open: list[Target], listeners: dict[Target, Listener]) -> dict[str, Any]:
    """(b): probe the open ports, and nmap -sV with scripts on the same ones; timings and agreement."""
    addresses = sorted({address for address, _port in ours_open}, key=lambda a: tuple(map(int, a.split("."))))
    print(f"(b) fingerprinting: {len(ours_open)} open ports on {len(addresses)} addresses, best of {runs}")
    probe_times: list[float] = []
    sv_times: list[float] = []
    probes: list[ProbeResult] = []
    xml = ""
    for _run in range(runs):
        seconds, probes = timed(lambda: asyncio.run(probe_all(ours_open)))
        probe_times.append(seconds)
        if nmap:
            seconds, xml = timed(lambda: nmap_fingerprint(nmap, addresses))
            sv_times.append(seconds)
    ours = {(item.address, item.port): ours_facts(item) for item in probes}
    theirs = nmap_facts(xml) if nmap else None
    errors = [f"{item.address}:{item.port} {item.error}" for item in probes if item.error]
    fingerprint_result: dict[str, Any] = {"ports": len(ours_open), "hardened_iis": summary(probe_times), "probe_errors": errors}
    print(f"  hardened.iis probe: best {min(probe_times):.3f} s, median {statistics.median(probe_times):.3f} s" + (f"; errors: {errors}" if errors else ""))
    if sv_times:
        ratio = min(sv_times) / min(probe_times)
        fingerprint_result.update({"nmap": summary(sv_times), "ratio": ratio})
        print(f"  nmap -sV + NSE:     best {min(sv_times):.3f} s, median {statistics.median(sv_times):.3f} s")
        print(f"  ratio (nmap / hardened.iis, best): {ratio:.2f}x")
    counts = compare(ours_open, ours, theirs, listeners)
    for name, tally in counts.items():
        line = f"  {name:<8}: hardened.iis right on {tally['ours_right']}/{tally['ports']}"
        if theirs is not None:
            line += f", nmap right on {tally['nmap_right']}/{tally['ports']}, the two agree on {tally['agree']}/{tally['ports']}"
        print(line)
    fingerprint_result["agreement"] = counts
    fingerprint_result["per_port"] = [
        {
            "target": f"{address}:{port}",
            "kind": listeners[(address, port)].kind if (address, port) in listeners else None,
            "hardened_iis": ours[(address, port)],
        }
        | ({"nmap": theirs.get((address, port))} if theirs is not None else {})
        for address, port in ours_open
    ]
    return fingerprint_result


@contextlib.contextmanager
def silent_ports(addresses: Sequence[str]) -> Iterator[list[Target]]:
    """Every PORT of ``addresses`` stops answering: a listener whose accept queue is full drops new SYNs, as a firewall would."""
    held: list[socket.socket] = []
    try:
        for address in addresses:
            for port in PORTS:
                listener = socket.socket()
                listener.bind((address, port))
                listener.listen(0)
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex((address, port))
                held.extend((listener, filler))
        time.sleep(0.1)  # the fillers' handshakes complete
        yield [(address, port) for address in addresses for port in PORTS]
    finally:
        for sock in held:
            sock.close()


def silent_stage(runs: int, nmap: str | None, seed: int) -> dict[str, Any]:
    """(c): a /24 where some addresses drop every SYN (filtered) and the rest refuse: the cost of waiting."""
    chosen = sorted(random.Random(seed).sample(SILENT_ADDRESSES, SILENT_COUNT), key=lambda a: tuple(map(int, a.split("."))))
    targets = len(SILENT_ADDRESSES) * len(PORTS)
    print(f"(c) silent hosts: {len(SILENT_ADDRESSES)} hosts x {len(PORTS)} ports = {targets:,} targets, {SILENT_COUNT} hosts drop SYNs, best of {runs}")
    ours_times: list[float] = []
    nmap_times: list[float] = []
    with silent_ports(chosen) as silent:
        for _run in range(runs):
            seconds, found = timed(lambda: scan(SILENT_ADDRESSES, list(PORTS)))
            ours_times.append(seconds)
            if found.open or set(found.unanswered) != set(silent):
                raise SystemExit(f"hardened.iis: {len(found.unanswered)} unanswered, {len(found.open)} open; expected {len(silent)} unanswered")
            if nmap:
                seconds, states = timed(lambda: nmap_scan(nmap, SILENT_RANGE))
                nmap_times.append(seconds)
                if set(states.get("filtered", [])) != set(silent) or states.get("open"):
                    raise SystemExit(f"nmap: {len(states.get('filtered', []))} filtered, {len(states.get('open', []))} open; expected {len(silent)} filtered")
    stage: dict[str, Any] = {"targets": targets, "silent_hosts": SILENT_COUNT, "unanswered": len(silent), "hardened_iis": summary(ours_times)}
    print(f"  hardened.iis scan: best {min(ours_times):.3f} s, median {statistics.median(ours_times):.3f} s; {len(silent)} unanswered")
    if nmap_times:
        ratio = min(nmap_times) / min(ours_times)
        stage.update({"nmap": summary(nmap_times), "identical": True, "ratio": ratio})
        print(f"  nmap -sT -T4:      best {min(nmap_times):.3f} s, median {statistics.median(nmap_times):.3f} s; the same {len(silent)} filtered in every run")
        print(f"  ratio (nmap / hardened.iis, best): {ratio:.2f}x")
    return stage


@dataclass(frozen=True)
class ScopeCase:
    """One measurement of (d): what is timed, and what it must come to (the script fails otherwise)."""

    name: str
    work: Callable[[], int]
    expected: int


def _read_all(addresses: Sequence[str]) -> int:
    return sum(1 for _address in addresses)


def _read_in_shards(addresses: Sequence[str], shards: int) -> int:
    return sum(_read_all(addresses[index::shards]) for index in range(shards))


SLASH_12 = expand_scope(["10.16.0.0/12"], max_addresses=1 << 20).addresses
SCOPE_CASES = (
    ScopeCase("/24 minus a /8 exclusion", lambda: len(expand_scope(["192.168.7.0/24"], ["10.0.0.0/8"]).addresses), 254),
    ScopeCase("/24 inside a /8 exclusion", lambda: len(expand_scope(["10.20.30.0/24"], ["10.0.0.0/8"]).addresses), 0),
    ScopeCase("/8 scope, counted", lambda: len(expand_scope(["10.0.0.0/8"], max_addresses=1 << 24).addresses), (1 << 24) - 2),
    ScopeCase(
        "/8 minus 4,096 scattered /24 exclusions, counted",
        lambda: len(expand_scope(["10.0.0.0/8"], [f"10.{n >> 4}.{(n & 15) << 4}.0/24" for n in range(4096)], max_addresses=1 << 24).addresses),
        (1 << 24) - 2 - 4096 * 256 + 1,
    ),
    ScopeCase("reading a /12 (1,048,574 addresses) one by one", lambda: _read_all(SLASH_12), (1 << 20) - 2),
    ScopeCase("reading a /12 dealt out to 4 threads' shares", lambda: _read_in_shards(SLASH_12, 4), (1 << 20) - 2),
)


def peak_allocated(work: Callable[[], int]) -> int:
    """The most memory Python had allocated at once while ``work`` ran (bytes)."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def scope_stage(runs: int) -> dict[str, Any]:
    """(d): building, counting and reading scopes; no connection is made."""
    print(f"(d) scope: building, counting and reading (default limit {DEFAULT_MAX_ADDRESSES:,}), best of {runs}")
    stage: dict[str, Any] = {}
    for case in SCOPE_CASES:
        times: list[float] = []
        for _run in range(runs):
            seconds, count = timed(case.work)
            if count != case.expected:
                raise SystemExit(f"scope, {case.name}: {count} addresses, expected {case.expected}")
            times.append(seconds)
        peak = peak_allocated(case.work)
        stage[case.name] = {"addresses": case.expected, "peak_bytes": peak} | summary(times)
        timing = f"best {min(times):.6f} s, median {statistics.median(times):.6f} s"
        print(f"  {case.name:<52} {case.expected:>10,} addresses: {timing}, peak {peak / 1024:,.1f} KiB")
    return stage


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--scan-only", action="store_true", help="time the port scan only (nmap -sV takes about 90 s a run)")
    parser.add_argument("--scope-only", action="store_true", help="measure (d), the scope, only: no listener, no connection, no nmap")
    arguments = parser.parse_args()
    runs = max(1, arguments.runs)
    nmap = shutil.which("nmap")
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "runs": runs,
        "targets": {"addresses": len(ADDRESSES), "ports": list(PORTS), "pairs": len(ADDRESSES) * len(PORTS)},
        "scan_defaults": SCAN_DEFAULTS,
        "probe_defaults": PROBE_DEFAULTS,
        "nmap": nmap_version(nmap) if nmap else None,
    }
    result["scope"] = scope_stage(runs)
    if arguments.scope_only:
        return write_result(result, arguments.json)
    if nmap is None:
        print("nmap not found on PATH (Debian: apt-get install nmap): timing hardened.iis alone, no comparison")
    else:
        print(f"comparing with {result['nmap']} ({nmap})")

    with Listeners(arguments.seed) as served:
        listeners = {(item.address, item.port): item for item in served.listeners}
        result["listeners"] = [asdict(item) for item in served.listeners]
        result["skipped_busy"] = served.skipped
        kinds = ", ".join(f"{sum(item.kind == name for item in served.listeners)} {name}" for name in KINDS)
        print(
            f"listeners: {len(listeners)} on {len({a for a, _p in listeners})} addresses ({kinds})"
            + (f"; busy, skipped: {served.skipped}" if served.skipped else "")
        )

        # (a) port scan
        print(f"(a) port scan: {len(ADDRESSES)} hosts x {len(PORTS)} ports = {len(ADDRESSES) * len(PORTS):,} targets, best of {runs}")
        ours_times: list[float] = []
        nmap_times: list[float] = []
        ours_open: list[Target] | None = None
        for _run in range(runs):
            seconds, found = timed(lambda: scan(ADDRESSES, list(PORTS)).open)
            ours_times.append(seconds)
            assert ours_open is None or found == ours_open, f"hardened.iis scan runs disagree: {found} != {ours_open}"
            ours_open = found
            if nmap:
                seconds, nmap_states = timed(lambda: nmap_scan(nmap))
                nmap_open = nmap_states.get("open", [])
                nmap_times.append(seconds)
                if set(nmap_open) != set(found):
                    only_ours, only_nmap = sorted(set(found) - set(nmap_open)), sorted(set(nmap_open) - set(found))
                    raise SystemExit(f"open ports differ: only hardened.iis {only_ours}, only nmap {only_nmap}")
        assert ours_open is not None
        expected = set(listeners)
        if set(ours_open) != expected:
            print(f"  note: open set differs from the listeners: extra {sorted(set(ours_open) - expected)}, missing {sorted(expected - set(ours_open))}")
        scan_result: dict[str, Any] = {"open": len(ours_open), "matches_listeners": set(ours_open) == expected, "hardened_iis": summary(ours_times)}
        print(f"  hardened.iis scan: best {min(ours_times):.3f} s, median {statistics.median(ours_times):.3f} s; {len(ours_open)} open")
        if nmap_times:
            ratio = min(nmap_times) / min(ours_times)
            scan_result.update({"nmap": summary(nmap_times), "identical": True, "ratio": ratio, "target_3x_met": ratio >= 3})
            print(
                f"  nmap -sT -T4:      best {min(nmap_times):.3f} s, median {statistics.median(nmap_times):.3f} s; the same {len(ours_open)} open in every run"
            )
            print(f"  ratio (nmap / hardened.iis, best): {ratio:.2f}x -> target >= 3x {'met' if ratio >= 3 else 'NOT met'}")
        result["scan"] = scan_result

        if not arguments.scan_only:
            result["fingerprint"] = fingerprint_stage(runs, nmap, ours_open, listeners)

    result["silent"] = silent_stage(runs, nmap, arguments.seed)
    return write_result(result, arguments.json)


def write_result(result: dict[str, Any], path: Path | None) -> int:
    if path:
        path.write_text(json.dumps(result, indent=2, default=list) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
