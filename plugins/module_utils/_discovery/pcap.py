# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Passive discovery of web servers from packet captures (pcap and pcapng).

``read_pcap`` reads a capture with dpkt (the format told by its magic number) and
returns the same ``ObservedServer`` entries as the Zeek reader, one per address and
port seen speaking HTTP or TLS, sorted by address and port:

* link types Ethernet and Linux cooked capture (SLL and SLL2); IPv4 and IPv6; TCP only;
* a server is the side that answers a SYN with a SYN-ACK; each such handshake counts
  one connection of that server address and port, and every packet of a connection
  seen so widens ``first_seen``/``last_seen`` (capture timestamps). Traffic of
  connections whose handshake is not in the capture is ignored;
* the server's first payload starting with ``HTTP/1.`` gives service ``http`` and its
  ``Server`` header (classified as Zeek's is: ``Microsoft-IIS/10.0`` is IIS 10.0,
  ``Microsoft-HTTPAPI/2.0`` is http.sys 2.0);
* the client's first payload holding a TLS ClientHello gives service ``ssl`` and the
  SNI; the server's first payload holding a ServerHello gives the version in Zeek's
  names (``TLSv12``; ``TLSv13`` from the supported_versions extension).

There is no TCP reassembly: only the first payload-bearing segment of each direction
of a connection is looked at, so a ClientHello, ServerHello or HTTP response header
split over segments is read as far as the first one reaches (a ``Server`` header or
SNI beyond it is missed). Certificates are not read (TLS 1.3 encrypts them anyway).

A file that is not a capture, or whose records are cut short, raises ``PcapError``
naming the source; a packet cut short by the snap length is only skipped.
"""

from __future__ import annotations

import io
import ipaddress
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

try:
    import dpkt
except ImportError as exc:  # the active scan and Zeek logs work without it; a capture says what is missing
    DPKT_MISSING: str | None = f"reading packet captures needs the Python library dpkt ({exc})"
else:
    DPKT_MISSING = None

from ansible_collections.hardened.iis.plugins.module_utils._discovery.zeek import ObservedServer, _Servers, split_server_header

_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
# Classic pcap magic numbers (microsecond and nanosecond) as they appear in the file.
_PCAP_BIG = (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d")
_PCAP_LITTLE = (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1")
_PCAP_HEADER = 24
_RECORD_HEADER = 16
_TLS_VERSIONS = {0x0300: "SSLv3", 0x0301: "TLSv10", 0x0302: "TLSv11", 0x0303: "TLSv12", 0x0304: "TLSv13"}
_HANDSHAKE = 22
_CLIENT_HELLO = 1
_SERVER_HELLO = 2
_EXT_SERVER_NAME = 0
_EXT_SUPPORTED_VERSIONS = 43

Endpoint = tuple[str, int]


class PcapError(HardenedIisError, ValueError):
    """A capture that cannot be read; the message names the source."""


@dataclass
class _Connection:
    """One TCP connection whose handshake was seen: which side serves, what was looked at."""

    server: ObservedServer
    server_end: Endpoint
    client_payload_seen: bool = False
    server_payload_seen: bool = False


# --- reading the capture ---------------------------------------------------------------


def _check_pcap_records(data: bytes, source: str) -> None:
    """dpkt's pcap reader stops quietly at a cut record; tell it as an error instead."""
    order = ">" if data[:4] in _PCAP_BIG else "<"
    if len(data) < _PCAP_HEADER:
        raise PcapError(f"{source}: pcap file header cut short")
    offset, number = _PCAP_HEADER, 1
    while offset < len(data):
        if offset + _RECORD_HEADER > len(data):
            raise PcapError(f"{source}: packet {number}: record header cut short")
        (caplen,) = struct.unpack_from(f"{order}I", data, offset + 8)
        offset += _RECORD_HEADER + caplen
        if offset > len(data):
            raise PcapError(f"{source}: packet {number}: {caplen} bytes announced, the file ends before")
        number += 1


def _packets(data: bytes, source: str) -> tuple[int, list[tuple[float, bytes]]]:
    """The capture's link type and its (timestamp, frame) records."""
    magic = data[:4]
    try:
        if magic in _PCAP_BIG + _PCAP_LITTLE:
            _check_pcap_records(data, source)
            reader = dpkt.pcap.Reader(io.BytesIO(data))
        elif magic == _PCAPNG_MAGIC:
            reader = dpkt.pcapng.Reader(io.BytesIO(data))
        else:
            raise PcapError(f"{source}: not a pcap or pcapng file (magic {magic.hex() or 'missing'})")
        linktype = int(reader.datalink())
        return linktype, [(float(ts), bytes(frame)) for ts, frame in reader]
    except (dpkt.Error, ValueError, struct.error, EOFError) as error:
        if isinstance(error, PcapError):
            raise
        raise PcapError(f"{source}: cannot read capture: {error or type(error).__name__}") from None


def _tcp_of(linktype: int, frame: bytes) -> tuple[str, str, dpkt.tcp.TCP] | None:
    """Source address, destination address and TCP segment of a frame; None when not TCP/IP."""
    try:
        if linktype == dpkt.pcap.DLT_EN10MB:
            link = dpkt.ethernet.Ethernet(frame)
        elif linktype == dpkt.pcap.DLT_LINUX_SLL:
            link = dpkt.sll.SLL(frame)
        elif linktype == dpkt.pcap.DLT_LINUX_SLL2:
            link = dpkt.sll2.SLL2(frame)
        else:
            return None
    except (dpkt.Error, struct.error):
        return None
    ip = link.data
    if not isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) or not isinstance(ip.data, dpkt.tcp.TCP):
        return None
    return str(ipaddress.ip_address(ip.src)), str(ipaddress.ip_address(ip.dst)), ip.data


# --- payloads ---------------------------------------------------------------------------


def _server_header(payload: bytes) -> str | None:
    head = payload.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\n")[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip().lower() == "server" and value.strip():
            return value.strip()
    return None


def _handshake(payload: bytes, wanted: int) -> bytes | None:
    """The body of the first handshake message in a TLS record, if it is of type ``wanted``."""
    if len(payload) < 9 or payload[0] != _HANDSHAKE or payload[1] != 3 or payload[5] != wanted:
        return None
    record_length = int.from_bytes(payload[3:5], "big")
    body_length = int.from_bytes(payload[6:9], "big")
    return payload[9 : 9 + min(body_length, record_length - 4)]


class _Cursor:
    """Reads big-endian fields of a handshake body; IndexError when it runs out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, count: int) -> bytes:
        if self.offset + count > len(self.data):
            raise IndexError("handshake cut short")
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def number(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def vector(self, size: int) -> bytes:
        return self.take(self.number(size))

    def extensions(self) -> Iterable[tuple[int, bytes]]:
        block = _Cursor(self.vector(2))
        while block.offset < len(block.data):
            kind = block.number(2)
            yield kind, block.vector(2)


def _client_hello_sni(body: bytes) -> list[str]:
    cursor = _Cursor(body)
    names: list[str] = []
    try:
        cursor.take(2 + 32)
        cursor.vector(1)  # session id
        cursor.vector(2)  # cipher suites
        cursor.vector(1)  # compression methods
        if cursor.offset == len(body):
            return names
        for kind, value in cursor.extensions():
            if kind != _EXT_SERVER_NAME:
                continue
            entries = _Cursor(_Cursor(value).vector(2))
            while entries.offset < len(entries.data):
                name_type = entries.number(1)
                name = entries.vector(2)
                if name_type == 0:
                    names.append(name.decode("ascii", errors="replace"))
    except IndexError:
        pass
    return names


def _server_hello_version(body: bytes) -> str | None:
    if len(body) < 2:
        return None
    cursor = _Cursor(body)
    version = cursor.number(2)
    try:
        cursor.take(32)
        cursor.vector(1)  # session id
        cursor.take(2 + 1)  # cipher suite, compression method
        if cursor.offset < len(body):
            for kind, value in cursor.extensions():
                if kind == _EXT_SUPPORTED_VERSIONS and len(value) == 2:
                    version = int.from_bytes(value, "big")
    except IndexError:
        pass
    return _TLS_VERSIONS.get(version)


def _client_payload(servers: _Servers, server: ObservedServer, payload: bytes) -> None:
    body = _handshake(payload, _CLIENT_HELLO)
    if body is not None:
        servers.speaks(server, ["ssl"])
        server.sni.update(_client_hello_sni(body))


def _server_payload(servers: _Servers, server: ObservedServer, payload: bytes) -> None:
    if payload.startswith(b"HTTP/1."):
        servers.speaks(server, ["http"])
        header = _server_header(payload)
        if header:
            servers.server_name(server, header, *split_server_header(header))
        return
    body = _handshake(payload, _SERVER_HELLO)
    if body is not None:
        servers.speaks(server, ["ssl"])
        version = _server_hello_version(body)
        if version:
            server.tls_versions.add(version)


# --- joining ----------------------------------------------------------------------------


def read_pcap(data: bytes, source: str) -> list[ObservedServer]:
    """The servers a capture shows speaking HTTP or TLS, sorted by address and port."""
    if DPKT_MISSING:
        raise PcapError(f"{source}: {DPKT_MISSING}")
    linktype, packets = _packets(data, source)
    servers = _Servers()
    syns: dict[tuple[Endpoint, Endpoint], float] = {}
    connections: dict[tuple[Endpoint, Endpoint], _Connection] = {}
    for ts, frame in packets:
        found = _tcp_of(linktype, frame)
        if found is None:
            continue
        src_address, dst_address, tcp = found
        src, dst = (src_address, int(tcp.sport)), (dst_address, int(tcp.dport))
        syn, ack = bool(tcp.flags & dpkt.tcp.TH_SYN), bool(tcp.flags & dpkt.tcp.TH_ACK)
        if syn and not ack:
            syns.setdefault((src, dst), ts)
            continue
        key = (dst, src) if (dst, src) in connections else (src, dst)
        if syn and ack and key not in connections and (dst, src) in syns:
            server = servers.get(*src)
            if server is None:  # an address or port get() cannot key on
                continue
            server.connections += 1
            server.seen(syns.pop((dst, src)))
            key = (dst, src)
            connections[key] = _Connection(server, src)
        connection = connections.get(key)
        if connection is None:
            continue
        connection.server.seen(ts)
        payload = bytes(tcp.data)
        if not payload:
            continue
        if src == connection.server_end and not connection.server_payload_seen:
            connection.server_payload_seen = True
            _server_payload(servers, connection.server, payload)
        elif src != connection.server_end and not connection.client_payload_seen:
            connection.client_payload_seen = True
            _client_payload(servers, connection.server, payload)
    return servers.finish()
