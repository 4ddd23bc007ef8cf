# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Passive web server discovery from packet captures built here with dpkt."""

from __future__ import annotations

import io
import ipaddress
import struct

import dpkt
import pytest

from ansible_collections.hardened.iis.plugins.module_utils._discovery.pcap import PcapError, read_pcap
from ansible_collections.hardened.iis.plugins.module_utils._discovery.zeek import ObservedServer

SYN, ACK, RST, PSH = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK, dpkt.tcp.TH_RST, dpkt.tcp.TH_PUSH
CLIENT_MAC, SERVER_MAC = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"


def frame(src: str, sport: int, dst: str, dport: int, flags: int, payload: bytes = b"") -> bytes:
    tcp = dpkt.tcp.TCP(sport=sport, dport=dport, flags=flags, seq=1000, ack=1 if flags & ACK else 0, data=payload)
    source, target = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if source.version == 6:
        ip: dpkt.Packet = dpkt.ip6.IP6(src=source.packed, dst=target.packed, nxt=dpkt.ip.IP_PROTO_TCP, hlim=64, plen=len(bytes(tcp)), data=tcp)
        kind = dpkt.ethernet.ETH_TYPE_IP6
    else:
        ip = dpkt.ip.IP(src=source.packed, dst=target.packed, p=dpkt.ip.IP_PROTO_TCP, ttl=64, data=tcp)
        ip.len = len(bytes(ip))
        kind = dpkt.ethernet.ETH_TYPE_IP
    return bytes(dpkt.ethernet.Ethernet(src=CLIENT_MAC, dst=SERVER_MAC, type=kind, data=ip))


def capture(*packets: tuple[float, bytes]) -> bytes:
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=dpkt.pcap.DLT_EN10MB)
    for ts, data in packets:
        writer.writepkt(data, ts=ts)
    return out.getvalue()


def vector(size: int, data: bytes) -> bytes:
    return len(data).to_bytes(size, "big") + data


def extension(kind: int, data: bytes) -> bytes:
    return struct.pack(">H", kind) + vector(2, data)


def tls_record(handshake_type: int, body: bytes, record_version: int = 0x0301) -> bytes:
    message = bytes([handshake_type]) + len(body).to_bytes(3, "big") + body
    return bytes([22]) + struct.pack(">HH", record_version, len(message)) + message


def client_hello(sni: str) -> bytes:
    server_name = vector(2, b"\x00" + vector(2, sni.encode()))
    body = b"\x03\x03" + b"\x11" * 32 + vector(1, b"") + vector(2, b"\x13\x01\xc0\x2f") + vector(1, b"\x00")
    body += vector(2, extension(0, server_name) + extension(10, vector(2, b"\x00\x1d")))
    return tls_record(1, body)


def server_hello(version: int, supported: int | None = None) -> bytes:
    body = struct.pack(">H", version) + b"\x22" * 32 + vector(1, b"") + b"\xc0\x2f" + b"\x00"
    extensions = extension(0xFF01, b"\x00")
    if supported is not None:
        extensions += extension(43, struct.pack(">H", supported))
    return tls_record(2, body + vector(2, extensions), record_version=0x0303)


HTTP_REQUEST = b"GET / HTTP/1.1\r\nHost: web05\r\n\r\n"
IIS_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nServer: Microsoft-IIS/10.0\r\nContent-Length: 0\r\n\r\n"
HTTPAPI_RESPONSE = b"HTTP/1.1 404 Not Found\r\nServer: Microsoft-HTTPAPI/2.0\r\n\r\n"


def http_exchange(client: str, server: str, port: int, start: float, response: bytes, cport: int = 50000) -> list[tuple[float, bytes]]:
    return [
        (start, frame(client, cport, server, port, SYN)),
        (start + 0.001, frame(server, port, client, cport, SYN | ACK)),
        (start + 0.002, frame(client, cport, server, port, ACK)),
        (start + 0.003, frame(client, cport, server, port, PSH | ACK, HTTP_REQUEST)),
        (start + 0.010, frame(server, port, client, cport, PSH | ACK, response)),
    ]


def test_http_tls_rst_and_ipv6() -> None:
    packets = http_exchange("10.0.0.1", "10.0.0.5", 80, 1700000000.0, IIS_RESPONSE)
    packets += [
        (1700000001.0, frame("10.0.0.1", 50001, "10.0.0.6", 443, SYN)),
        (1700000001.001, frame("10.0.0.6", 443, "10.0.0.1", 50001, SYN | ACK)),
        (1700000001.002, frame("10.0.0.1", 50001, "10.0.0.6", 443, ACK)),
        (1700000001.003, frame("10.0.0.1", 50001, "10.0.0.6", 443, PSH | ACK, client_hello("web06.example.org"))),
        (1700000001.020, frame("10.0.0.6", 443, "10.0.0.1", 50001, PSH | ACK, server_hello(0x0303))),
        # A SYN answered by RST: port closed, no server.
        (1700000002.0, frame("10.0.0.1", 50002, "10.0.0.7", 80, SYN)),
        (1700000002.001, frame("10.0.0.7", 80, "10.0.0.1", 50002, RST | ACK)),
    ]
    packets += http_exchange("2001:db8::1", "2001:db8::80", 80, 1700000003.0, HTTPAPI_RESPONSE)
    # A second connection to the IIS server, later.
    packets += http_exchange("10.0.0.2", "10.0.0.5", 80, 1700000010.0, IIS_RESPONSE, cport=50010)
    servers = read_pcap(capture(*packets), "lab.pcap")
    assert [server.as_dict() for server in servers] == [
        ObservedServer(
            address="10.0.0.5",
            port=80,
            services={"http"},
            server_headers=["Microsoft-IIS/10.0"],
            product="IIS",
            version="10.0",
            first_seen=1700000000.0,
            last_seen=pytest.approx(1700000010.010),
            connections=2,
        ).as_dict(),
        ObservedServer(
            address="10.0.0.6",
            port=443,
            services={"ssl"},
            sni={"web06.example.org"},
            tls_versions={"TLSv12"},
            first_seen=1700000001.0,
            last_seen=pytest.approx(1700000001.020),
            connections=1,
        ).as_dict(),
        ObservedServer(
            address="2001:db8::80",
            port=80,
            services={"http"},
            server_headers=["Microsoft-HTTPAPI/2.0"],
            product="http.sys",
            version="2.0",
            first_seen=1700000003.0,
            last_seen=pytest.approx(1700000003.010),
            connections=1,
        ).as_dict(),
    ]
    assert all(server.certificates == [] for server in servers)


def test_tls13_from_supported_versions() -> None:
    packets = [
        (1.0, frame("10.0.0.1", 50001, "10.0.0.9", 443, SYN)),
        (1.1, frame("10.0.0.9", 443, "10.0.0.1", 50001, SYN | ACK)),
        (1.2, frame("10.0.0.1", 50001, "10.0.0.9", 443, PSH | ACK, client_hello("a.example.org"))),
        (1.3, frame("10.0.0.9", 443, "10.0.0.1", 50001, PSH | ACK, server_hello(0x0303, supported=0x0304))),
    ]
    (server,) = read_pcap(capture(*packets), "tls13.pcap")
    assert server.tls_versions == {"TLSv13"}
    assert server.sni == {"a.example.org"}


def test_no_handshake_no_server() -> None:
    # Mid-connection traffic: the SYN-ACK is not in the capture.
    packets = [(1.0, frame("10.0.0.5", 80, "10.0.0.1", 50000, PSH | ACK, IIS_RESPONSE))]
    assert read_pcap(capture(*packets), "mid.pcap") == []


def test_pcapng_and_sll() -> None:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, linktype=dpkt.pcap.DLT_EN10MB)
    for ts, data in http_exchange("10.0.0.1", "10.0.0.5", 80, 5.0, IIS_RESPONSE):
        writer.writepkt(data, ts=ts)
    (server,) = read_pcap(out.getvalue(), "lab.pcapng")
    assert (server.address, server.product, server.version, server.connections) == ("10.0.0.5", "IIS", "10.0", 1)

    cooked = io.BytesIO()
    sll_writer = dpkt.pcap.Writer(cooked, linktype=dpkt.pcap.DLT_LINUX_SLL)
    for ts, data in http_exchange("10.0.0.1", "10.0.0.5", 80, 5.0, IIS_RESPONSE):
        ip = dpkt.ethernet.Ethernet(data).data
        sll = dpkt.sll.SLL(type=0, hrd=1, hlen=6, hdr=CLIENT_MAC + b"\x00\x00", ethtype=dpkt.ethernet.ETH_TYPE_IP, data=ip)
        sll_writer.writepkt(bytes(sll), ts=ts)
    (server,) = read_pcap(cooked.getvalue(), "cooked.pcap")
    assert (server.address, server.server_headers, server.connections) == ("10.0.0.5", ["Microsoft-IIS/10.0"], 1)


@pytest.mark.parametrize("cut", [10, 30, -5])
def test_truncated_file(cut: int) -> None:
    data = capture(*http_exchange("10.0.0.1", "10.0.0.5", 80, 1.0, IIS_RESPONSE))
    with pytest.raises(PcapError, match=r"^broken\.pcap: "):
        read_pcap(data[:cut], "broken.pcap")


def test_truncated_pcapng() -> None:
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, linktype=dpkt.pcap.DLT_EN10MB)
    for ts, data in http_exchange("10.0.0.1", "10.0.0.5", 80, 1.0, IIS_RESPONSE):
        writer.writepkt(data, ts=ts)
    with pytest.raises(PcapError, match=r"^broken\.pcapng: "):
        read_pcap(out.getvalue()[:-7], "broken.pcapng")


def test_not_a_capture() -> None:
    with pytest.raises(PcapError, match=r"^notes\.txt: not a pcap"):
        read_pcap(b"hello world", "notes.txt")
    with pytest.raises(PcapError, match=r"^empty\.pcap: not a pcap"):
        read_pcap(b"", "empty.pcap")
