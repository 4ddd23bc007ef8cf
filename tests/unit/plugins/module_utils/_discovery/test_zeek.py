# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Zeek log reading and passive web server discovery, on small logs and on real Zeek baselines."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._discovery.zeek import (
    ObservedServer,
    ZeekError,
    observed_servers,
    product_of,
    read_zeek_log,
    split_server_header,
)

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
ZEEK = Path(CORPUS) / "zeek" if CORPUS else None
needs_corpus = pytest.mark.skipif(ZEEK is None or not ZEEK.is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")

HEADER = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t{path}\n#open\t2024-01-01-00-00-00\n"


def tsv(path: str, fields: str, types: str, *rows: str) -> bytes:
    text = HEADER.format(path=path) + f"#fields\t{fields}\n#types\t{types}\n" + "".join(f"{row}\n" for row in rows) + "#close\t2024-01-01-00-00-01\n"
    return text.encode()


CONN = tsv(
    "conn",
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\ttunnel_parents",
    "time\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tset[string]",
    "1700000000.5\tC1\t10.0.0.5\t50000\t10.0.0.10\t80\ttcp\thttp\t0.25\t(empty)",
    "1700000100.0\tC2\t10.0.0.5\t50001\t10.0.0.10\t80\ttcp\t-\t-\t-",
    "1700000050.0\tC3\t10.0.0.5\t50002\t10.0.0.9\t443\ttcp\tssl\t1.0\t(empty)",
    "1700000060.0\tC4\t10.0.0.5\t50003\t10.0.0.1\t53\tudp\tdns\t0.01\t(empty)",
)
SSL = tsv(
    "ssl",
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tserver_name\tcert_chain_fps",
    "time\tstring\taddr\tport\taddr\tport\tstring\tstring\tvector[string]",
    "1700000050.0\tC3\t10.0.0.5\t50002\t10.0.0.9\t443\tTLSv12\tweb.example.test\tfp1",
)
X509 = tsv(
    "x509",
    "ts\tfingerprint\tcertificate.serial\tcertificate.subject\tcertificate.issuer\tcertificate.not_valid_before\tcertificate.not_valid_after\tsan.dns",
    "time\tstring\tstring\tstring\tstring\ttime\ttime\tvector[string]",
    "1700000050.0\tfp1\t01\tCN=web.example.test\tCN=Example CA\t1690000000.0\t1720000000.0\tweb.example.test,www.example.test",
)
SOFTWARE = tsv(
    "software",
    "ts\thost\thost_p\tsoftware_type\tname\tversion.major\tversion.minor\tunparsed_version",
    "time\taddr\tport\tenum\tstring\tcount\tcount\tstring",
    "1700000001.0\t10.0.0.10\t80\tHTTP::SERVER\tMicrosoft-IIS\t7\t5\tMicrosoft-IIS/7.5",
    "1700000002.0\t10.0.0.10\t80\tHTTP::APPSERVER\tASP.NET\t-\t-\tASP.NET",
    "1700000003.0\t10.0.0.5\t-\tHTTP::BROWSER\tcurl\t8\t0\tcurl/8.0",
    "1700000004.0\t10.0.0.11\t47001\tHTTP::SERVER\tMicrosoft-HTTPAPI\t2\t0\tMicrosoft-HTTPAPI/2.0",
)


def jsonl(*rows: dict[str, object]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def ids(port: int, resp: str, resp_p: int) -> dict[str, object]:
    return {"id.orig_h": "10.0.0.5", "id.orig_p": port, "id.resp_h": resp, "id.resp_p": resp_p}


CONN_JSON = jsonl(
    {"ts": 1700000000.5, "uid": "C1", **ids(50000, "10.0.0.10", 80), "proto": "tcp", "service": "http", "duration": 0.25, "conn_state": "SF"},
    {"ts": "2023-11-14T22:15:00+00:00", "uid": "C2", **ids(50001, "10.0.0.10", 80), "proto": "tcp", "conn_state": "S0"},
    {"ts": 1700000050.0, "uid": "C3", **ids(50002, "10.0.0.9", 443), "proto": "tcp", "service": "ssl", "duration": 1.0},
    {"ts": 1700000060.0, "uid": "C4", **ids(50003, "10.0.0.1", 53), "proto": "udp", "service": "dns"},
)
SSL_JSON = jsonl(
    {"ts": 1700000050.0, "uid": "C3", **ids(50002, "10.0.0.9", 443), "version": "TLSv12", "server_name": "web.example.test", "cert_chain_fps": ["fp1"]}
)
X509_JSON = jsonl(
    {
        "ts": 1700000050.0,
        "fingerprint": "fp1",
        "certificate.serial": "01",
        "certificate.subject": "CN=web.example.test",
        "certificate.issuer": "CN=Example CA",
        "certificate.not_valid_before": 1690000000.0,
        "certificate.not_valid_after": 1720000000.0,
        "san.dns": ["web.example.test", "www.example.test"],
    }
)
SOFTWARE_JSON = jsonl(
    {"_path": "software", "ts": 1700000001.0, "host": "10.0.0.10", "host_p": 80, "software_type": "HTTP::SERVER", "name": "Microsoft-IIS"}
    | {"version.major": 7, "version.minor": 5, "unparsed_version": "Microsoft-IIS/7.5"},
    {
        "_path": "software",
        "ts": 1700000002.0,
        "host": "10.0.0.10",
        "host_p": 80,
        "software_type": "HTTP::APPSERVER",
        "name": "ASP.NET",
        "unparsed_version": "ASP.NET",
    },
    {"_path": "software", "ts": 1700000003.0, "host": "10.0.0.5", "software_type": "HTTP::BROWSER", "name": "curl", "unparsed_version": "curl/8.0"},
    {"_path": "software", "ts": 1700000004.0, "host": "10.0.0.11", "host_p": 47001, "software_type": "HTTP::SERVER", "name": "Microsoft-HTTPAPI"}
    | {"version.major": 2, "version.minor": 0, "unparsed_version": "Microsoft-HTTPAPI/2.0"},
)


def small_servers(*logs: tuple[bytes, str]) -> list[ObservedServer]:
    return observed_servers([read_zeek_log(data, source) for data, source in logs])


# --- reading ---------------------------------------------------------------------------


def test_tsv_values_are_typed() -> None:
    path, rows = read_zeek_log(CONN, "conn.log")
    assert path == "conn"
    assert len(rows) == 4
    assert rows[0]["ts"] == 1700000000.5
    assert rows[0]["id.resp_p"] == 80
    assert rows[0]["duration"] == 0.25
    assert rows[0]["tunnel_parents"] == []  # (empty)
    assert rows[1]["service"] is None  # -
    assert rows[1]["tunnel_parents"] is None


def test_tsv_escapes_and_bool() -> None:
    data = tsv("http", "ts\tid.resp_h\tid.resp_p\turi\tproxied\tresumed", "time\taddr\tport\tstring\tset[string]\tbool", "1.0\t10.0.0.1\t80\t/a\\x09b\t-\tT")
    _path, rows = read_zeek_log(data, "http.log")
    assert rows == [{"ts": 1.0, "id.resp_h": "10.0.0.1", "id.resp_p": 80, "uri": "/a\tb", "proxied": None, "resumed": True}]


def test_wrong_column_count_names_source_and_line() -> None:
    data = CONN.replace(b"\tdns\t0.01\t(empty)", b"\tdns\t0.01")
    with pytest.raises(ZeekError, match=r"conn\.log: line 12: 9 columns, #fields names 10"):
        read_zeek_log(data, "conn.log")


def test_no_fields_header() -> None:
    with pytest.raises(ZeekError, match=r"notes\.txt: line 1: no #fields"):
        read_zeek_log(b"just some text\n", "notes.txt")


def test_bad_value_names_line() -> None:
    data = CONN.replace(b"\t53\tudp", b"\tfifty\tudp")
    with pytest.raises(ZeekError, match=r"conn\.log: line 12: 'fifty' is not a port"):
        read_zeek_log(data, "conn.log")


def test_bad_json_names_line() -> None:
    with pytest.raises(ZeekError, match=r"conn\.json: line 2: bad JSON"):
        read_zeek_log(CONN_JSON.splitlines()[0] + b"\n{not json\n", "conn.json")
    with pytest.raises(ZeekError, match=r"x\.json: line 2: a JSON object per line"):
        read_zeek_log(b'{"ts": 1.0, "method": "GET"}\n[1, 2]\n', "x.json")


def test_json_path_inferred_from_fields() -> None:
    assert read_zeek_log(CONN_JSON, "c")[0] == "conn"
    assert read_zeek_log(SSL_JSON, "s")[0] == "ssl"
    assert read_zeek_log(X509_JSON, "x")[0] == "x509"
    assert read_zeek_log(SOFTWARE_JSON, "sw")[0] == "software"
    _path, rows = read_zeek_log(CONN_JSON, "c")
    assert rows[1]["ts"] == 1700000100.0  # ISO 8601 timestamps read as epoch seconds


# --- joining ---------------------------------------------------------------------------


def test_small_logs_give_servers() -> None:
    servers = small_servers((CONN, "conn.log"), (SSL, "ssl.log"), (X509, "x509.log"), (SOFTWARE, "software.log"))
    assert [(server.address, server.port) for server in servers] == [("10.0.0.9", 443), ("10.0.0.10", 80), ("10.0.0.11", 47001)]
    tls, iis, httpapi = servers
    assert tls.services == {"ssl"}
    assert tls.sni == {"web.example.test"}
    assert tls.tls_versions == {"TLSv12"}
    assert tls.certificates == [
        {
            "fingerprint": "fp1",
            "serial": "01",
            "subject": "CN=web.example.test",
            "issuer": "CN=Example CA",
            "not_valid_before": 1690000000.0,
            "not_valid_after": 1720000000.0,
            "san_dns": ["web.example.test", "www.example.test"],
        }
    ]
    assert (iis.product, iis.version, iis.server_headers) == ("IIS", "7.5", ["Microsoft-IIS/7.5"])
    assert iis.connections == 2
    assert (iis.first_seen, iis.last_seen) == (1700000000.5, 1700000100.0)
    assert (httpapi.product, httpapi.version, httpapi.connections) == ("http.sys", "2.0", 0)
    assert iis.as_dict()["services"] == ["http"]


def test_json_form_gives_the_same_servers() -> None:
    from_tsv = small_servers((CONN, "conn.log"), (SSL, "ssl.log"), (X509, "x509.log"), (SOFTWARE, "software.log"))
    from_json = small_servers((CONN_JSON, "conn.json"), (SSL_JSON, "ssl.json"), (X509_JSON, "x509.json"), (SOFTWARE_JSON, "software.json"))
    assert [server.as_dict() for server in from_json] == [server.as_dict() for server in from_tsv]


def test_dns_only_and_empty_known_service_are_not_web_servers() -> None:
    known = tsv(
        "known_services",
        "ts\thost\tport_num\tport_proto\tservice",
        "time\taddr\tport\tenum\tset[string]",
        "1.0\t10.0.0.1\t53\tudp\tDNS",
        "2.0\t10.0.0.7\t8080\ttcp\t(empty)",
        "3.0\t10.0.0.8\t8443\ttcp\tSSL,HTTP",
    )
    servers = small_servers((CONN, "conn.log"), (known, "known_services.log"))
    assert [(server.address, server.port) for server in servers] == [("10.0.0.8", 8443), ("10.0.0.9", 443), ("10.0.0.10", 80)]
    assert servers[0].services == {"http", "ssl"}


def test_addresses_sort_numerically_ipv4_before_ipv6() -> None:
    http = tsv(
        "http",
        "ts\tid.resp_h\tid.resp_p\tserver",
        "time\taddr\tport\tstring",
        "1.0\t2001:db8::1\t80\tnginx/1.25.0",
        "2.0\t10.0.0.100\t80\t-",
        "3.0\t10.0.0.20\t8080\tMicrosoft-IIS/10.0",
        "4.0\t10.0.0.20\t80\t-",
    )
    servers = small_servers((http, "http.log"))
    assert [(server.address, server.port) for server in servers] == [("10.0.0.20", 80), ("10.0.0.20", 8080), ("10.0.0.100", 80), ("2001:db8::1", 80)]
    assert (servers[1].product, servers[1].version) == ("IIS", "10.0")
    assert (servers[3].product, servers[3].version, servers[3].server_headers) == ("nginx", "1.25.0", ["nginx/1.25.0"])
    assert servers[0].product is None


def test_server_names() -> None:
    assert split_server_header("Microsoft-IIS/7.5") == ("Microsoft-IIS", "7.5")
    assert split_server_header("Apache/2.2.9 (Debian) PHP/5.2.6") == ("Apache", "2.2.9")
    assert split_server_header("BigIP") == ("BigIP", None)
    assert product_of("Microsoft-HTTPAPI", "2.0") == ("http.sys", "2.0")
    assert product_of("Microsoft-IIS", "7.5") == ("IIS", "7.5")


# --- real Zeek baselines ---------------------------------------------------------------


def corpus_log(name: str) -> tuple[str, list[dict[str, object]]]:
    if ZEEK is None or not ZEEK.is_dir():
        pytest.skip("HARDENED_IIS_CORPUS is not set to the shared corpus directory")
    return read_zeek_log((ZEEK / name).read_bytes(), name)


M57 = [f"m57-short_{kind}.log" for kind in ("conn", "http", "ssl", "x509", "software", "known_services", "known_certs")]


@needs_corpus
def test_every_corpus_log_reads() -> None:
    assert ZEEK is not None
    paths = {log.name: read_zeek_log(log.read_bytes(), log.name)[0] for log in sorted(ZEEK.glob("*.log"))}
    assert len(paths) == 12
    assert all(name.removesuffix(".log").split("_", 1)[1] == path for name, path in paths.items())


@needs_corpus
def test_ctu_sme_11_iis_servers() -> None:
    servers = observed_servers([corpus_log("ctu-sme-11_software.log")])
    iis = [(server.address, server.port, server.version) for server in servers if server.product == "IIS"]
    assert iis == [
        ("8.238.187.126", 80, "10.0"),
        ("8.253.240.121", 80, "10.0"),
        ("67.27.213.254", 80, "10.0"),
        ("178.79.227.128", 80, "10.0"),
        ("204.79.197.203", 80, "10.0"),
    ]
    edge = next(server for server in servers if server.address == "67.27.213.254")
    assert edge.server_headers == ["ECAcc (dcb/735B)", "Microsoft-IIS/10.0"]


@needs_corpus
def test_m57_short_servers() -> None:
    servers = observed_servers([corpus_log(name) for name in M57])
    assert len(servers) == 40
    http = [server for server in servers if "http" in server.services]
    assert len(http) == 35
    assert {server.port for server in http} == {80}
    tls = {server.address: server for server in servers if "ssl" in server.services}
    assert sorted(tls) == ["207.46.21.123", "65.55.200.139", "65.55.25.59", "65.55.25.60", "65.55.27.220"]
    for server in tls.values():
        assert server.port == 443
        assert server.tls_versions == {"TLSv10"}
        # btest canonified the subject and issuer to "+": the fingerprint and serial are real.
        assert [(cert["fingerprint"], cert["serial"], cert["subject"]) for cert in server.certificates] == [
            ("6b92e440781d194e67c6028f597594b0841a7a959185c7b4adeffce46fcf16dc", "36B3335E000500013491", "+")
        ]
    assert tls["65.55.200.139"].sni == {"www.update.microsoft.com"}
    assert tls["65.55.200.139"].connections == 3
    assert tls["207.46.21.123"].sni == set()
    iis = {server.address: server.version for server in servers if server.product == "IIS"}
    assert sorted(iis.values()).count("6.0") == 10
    assert sorted(iis.values()).count("7.0") == 6
    assert iis["207.46.21.123"] == "7.0"
    mixed = next(server for server in servers if server.address == "198.189.255.75")
    assert (mixed.product, mixed.server_headers, mixed.connections) == ("IIS", ["Apache", "Microsoft-IIS/6.0"], 80)
    assert all(server.first_seen is None for server in servers)  # canonified timestamps


@needs_corpus
def test_zeek_ssl_basic_certificate_chain() -> None:
    servers = observed_servers([corpus_log("zeek-ssl.basic_ssl.log"), corpus_log("zeek-ssl.basic_x509.log")])
    assert [(server.address, server.port, server.sni) for server in servers] == [("74.125.224.79", 443, {"ssl.gstatic.com"})]
    leaf, intermediate = servers[0].certificates
    assert leaf["subject"] == "CN=*.gstatic.com,O=Google Inc,L=Mountain View,ST=California,C=US"
    assert leaf["issuer"] == "CN=Google Internet Authority,O=Google Inc,C=US"
    assert leaf["san_dns"] == ["*.gstatic.com", "gstatic.com", "*.metric.gstatic.com"]
    assert (leaf["not_valid_before"], leaf["not_valid_after"]) == (1334102677.0, 1365639277.0)
    assert intermediate["issuer"] == "OU=Equifax Secure Certificate Authority,O=Equifax,C=US"


@needs_corpus
def test_zeek_http_methods_and_software_without_port() -> None:
    servers = observed_servers([corpus_log("zeek-http.http-methods_http.log")])
    assert [(server.address, server.port, server.services) for server in servers] == [("173.194.75.103", 80, {"http"})]
    path, rows = corpus_log("zeek-software.version-changes_software.log")
    assert path == "software"
    assert [row["unparsed_version"] for row in rows] == [f"my_fake_software 1.{minor}.0" for minor in range(4)]
    assert all(row["host_p"] is None for row in rows)
    assert observed_servers([(path, rows)]) == []
