# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Passive discovery of web servers from Zeek logs.

Zeek writes its logs in two forms, both read here:

* TSV (the default ``LogAscii`` writer): ``#separator``, ``#set_separator``,
  ``#empty_field``, ``#unset_field``, ``#path``, ``#fields`` and ``#types`` header lines,
  then one tab-separated row per record; values are converted by their ``#types``
  (``time`` and ``interval`` to float, ``count``/``int``/``port`` to int, ``bool`` to
  bool, ``set[..]``/``vector[..]`` to lists, the unset field to None);
* JSON (``LogAscii::use_json=T``): one object per line, record fields flattened with
  dots (``id.orig_h``), unset fields left out. The log's path comes from ``_path`` when
  present, else from the fields its rows carry.

Values that btest canonified (``XXXXXXXXXX.XXXXXX`` in place of a time) read as None.

``observed_servers`` joins ``conn``, ``http``, ``ssl``, ``x509``, ``software``,
``known_services`` and ``known_certs`` logs into one entry per responder address and
port that spoke HTTP or TLS: a conn ``service`` naming http or ssl, an http or ssl
record, an ``HTTP::SERVER`` software record or a known service HTTP or SSL.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

WEB_SERVICES = ("http", "ssl")
_CANONIFIED = re.compile(r"^X+(\.X+)?$")
_ESCAPE = re.compile(r"\\x([0-9a-fA-F]{2})")
_TIME_FIELDS = frozenset({"ts", "certificate.not_valid_before", "certificate.not_valid_after"})
_FLOAT_TYPES = frozenset({"time", "interval", "double"})
_INT_TYPES = frozenset({"count", "int", "port"})
# Fields that tell a JSON log's path when it has no ``_path``, most specific first.
_PATH_MARKERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("x509", frozenset({"certificate.subject", "certificate.serial"})),
    ("known_certs", frozenset({"issuer_subject"})),
    ("known_services", frozenset({"port_proto"})),
    ("software", frozenset({"software_type"})),
    ("ssl", frozenset({"cipher", "cert_chain_fps", "cert_chain_fuids", "server_name"})),
    ("http", frozenset({"method", "status_code", "trans_depth"})),
    ("conn", frozenset({"conn_state", "history", "orig_pkts"})),
)
_PRODUCTS = {"microsoft-iis": "IIS", "microsoft-httpapi": "http.sys"}


class ZeekError(HardenedIisError, ValueError):
    """A Zeek log that cannot be read; the message names the source and line."""


Row = dict[str, Any]


# --- reading ---------------------------------------------------------------------------


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def _lines(data: bytes) -> Iterable[tuple[int, str]]:
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def _time(value: Any, where: str) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return None if value is None else float(value)
    text = str(value)
    if _CANONIFIED.match(text):
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ZeekError(f"{where}: {text!r} is not a time") from None


def _scalar(text: str, zeek_type: str, where: str) -> Any:
    if zeek_type in _FLOAT_TYPES:
        return _time(text, where)
    if zeek_type in _INT_TYPES:
        try:
            return int(text)
        except ValueError:
            raise ZeekError(f"{where}: {text!r} is not a {zeek_type}") from None
    if zeek_type == "bool":
        if text not in ("T", "F"):
            raise ZeekError(f"{where}: {text!r} is not a bool")
        return text == "T"
    return _unescape(text)


@dataclass
class _TsvHeader:
    separator: str = "\t"
    set_separator: str = ","
    empty: str = "(empty)"
    unset: str = "-"
    path: str = ""
    fields: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def directive(self, line: str) -> None:
        if line.startswith("#separator "):
            self.separator = _unescape(line.split(" ", 1)[1])
            return
        name, _separator, value = line.partition(self.separator)
        if name == "#set_separator":
            self.set_separator = _unescape(value)
        elif name == "#empty_field":
            self.empty = value
        elif name == "#unset_field":
            self.unset = value
        elif name == "#path":
            self.path = value
        elif name == "#fields":
            self.fields = value.split(self.separator)
        elif name == "#types":
            self.types = value.split(self.separator)

    def value(self, text: str, zeek_type: str, where: str) -> Any:
        if text == self.unset:
            return None
        if zeek_type.startswith(("set[", "vector[")):
            if text == self.empty:
                return []
            inner = zeek_type[zeek_type.index("[") + 1 : -1]
            return [_scalar(item, inner, where) for item in text.split(self.set_separator)]
        return _scalar(text, zeek_type, where)

    def row(self, line: str, where: str) -> Row:
        if not self.fields:
            raise ZeekError(f"{where}: no #fields header before this row")
        values = line.split(self.separator)
        if len(values) != len(self.fields):
            raise ZeekError(f"{where}: {len(values)} columns, #fields names {len(self.fields)}")
        types = self.types if len(self.types) == len(self.fields) else ["string"] * len(self.fields)
        return {name: self.value(text, kind, where) for name, text, kind in zip(self.fields, values, types, strict=True)}


def _read_tsv(data: bytes, source: str) -> tuple[str, list[Row]]:
    header = _TsvHeader()
    rows: list[Row] = []
    for number, line in _lines(data):
        if line.startswith("#"):
            header.directive(line)
        else:
            rows.append(header.row(line, f"{source}: line {number}"))
    if not header.fields:
        raise ZeekError(f"{source}: line 1: no #fields header, not a Zeek log")
    return header.path, rows


def _json_path(rows: list[Row], source: str) -> str:
    for row in rows:
        if isinstance(row.get("_path"), str):
            return str(row["_path"])
    keys = {key for row in rows for key in row}
    for path, markers in _PATH_MARKERS:
        if keys & markers:
            return path
    raise ZeekError(f"{source}: line 1: cannot tell which Zeek log these fields belong to")


def _json_row(line: str, where: str) -> Row:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ZeekError(f"{where}: bad JSON: {error.msg}") from None
    if not isinstance(row, dict):
        raise ZeekError(f"{where}: a JSON object per line expected")
    for name in _TIME_FIELDS & row.keys():
        row[name] = _time(row[name], where)
    return row


def _read_json(data: bytes, source: str) -> tuple[str, list[Row]]:
    rows = [_json_row(line, f"{source}: line {number}") for number, line in _lines(data)]
    return _json_path(rows, source), rows


def read_zeek_log(data: bytes, source: str) -> tuple[str, list[Row]]:
    """Read one Zeek log, TSV or JSON: its path (``http``, ``conn``...) and its rows."""
    first = next(iter(_lines(data)), (1, ""))[1]
    if first.lstrip().startswith("{"):
        return _read_json(data, source)
    return _read_tsv(data, source)


# --- joining ---------------------------------------------------------------------------


@dataclass
class ObservedServer:
    """One address and port seen serving HTTP or TLS."""

    address: str
    port: int
    services: set[str] = field(default_factory=set)
    server_headers: list[str] = field(default_factory=list)
    product: str | None = None
    version: str | None = None
    sni: set[str] = field(default_factory=set)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    tls_versions: set[str] = field(default_factory=set)
    first_seen: float | None = None
    last_seen: float | None = None
    connections: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form: sets as sorted lists."""
        return {
            "address": self.address,
            "port": self.port,
            "services": sorted(self.services),
            "server_headers": list(self.server_headers),
            "product": self.product,
            "version": self.version,
            "sni": sorted(self.sni),
            "certificates": [dict(cert) for cert in self.certificates],
            "tls_versions": sorted(self.tls_versions),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "connections": self.connections,
        }

    def seen(self, ts: Any) -> None:
        if not isinstance(ts, (int, float)):
            return
        self.first_seen = ts if self.first_seen is None else min(self.first_seen, ts)
        self.last_seen = ts if self.last_seen is None else max(self.last_seen, ts)

    def add_certificate(self, cert: dict[str, Any]) -> None:
        serial = cert.get("serial")
        if cert not in self.certificates and not (serial and any(known.get("serial") == serial for known in self.certificates)):
            self.certificates.append({**cert, "san_dns": list(cert.get("san_dns") or [])})


def split_server_header(header: str) -> tuple[str, str | None]:
    """``Microsoft-IIS/7.5`` → (``Microsoft-IIS``, ``7.5``); no slash → (header, None)."""
    first = header.strip().split(" ", 1)[0]
    name, slash, version = first.partition("/")
    return (name, version or None) if slash else (header.strip(), None)


def product_of(name: str, version: str | None) -> tuple[str, str | None]:
    """The product a server name stands for: IIS and http.sys by their Microsoft names."""
    return _PRODUCTS.get(name.lower(), name), version


def _software_version(row: Row) -> str | None:
    unparsed = row.get("unparsed_version") or ""
    name = row.get("name") or ""
    if unparsed.startswith(f"{name}/"):
        return split_server_header(unparsed)[1]
    parts = [str(row[key]) for key in ("version.major", "version.minor", "version.minor2", "version.minor3") if row.get(key) is not None]
    return ".".join(parts) or None


class _Servers:
    """The servers being gathered, with the ones shown to speak HTTP or TLS."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, int], ObservedServer] = {}
        self.web: set[tuple[str, int]] = set()
        self.names: dict[tuple[str, int], list[tuple[str, str | None]]] = {}

    def get(self, address: Any, port: Any) -> ObservedServer | None:
        if not isinstance(address, str) or not isinstance(port, int):
            return None
        key = (address, port)
        if key not in self.by_key:
            self.by_key[key] = ObservedServer(address, port)
        return self.by_key[key]

    def speaks(self, server: ObservedServer, services: Iterable[str]) -> None:
        found = {service for service in services if service in WEB_SERVICES}
        server.services |= found
        if found:
            self.web.add((server.address, server.port))

    def server_name(self, server: ObservedServer, header: str, name: str, version: str | None) -> None:
        if header not in server.server_headers:
            server.server_headers.append(header)
            server.server_headers.sort()
        self.names.setdefault((server.address, server.port), []).append((name, version))

    def finish(self) -> list[ObservedServer]:
        servers = [server for key, server in self.by_key.items() if key in self.web]
        for server in servers:
            server.product, server.version = _pick_product(self.names.get((server.address, server.port), []))
        return sorted(servers, key=_address_order)


def _version_key(version: str | None) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def _pick_product(names: list[tuple[str, str | None]]) -> tuple[str | None, str | None]:
    products = sorted({product_of(name, version) for name, version in names}, key=lambda item: (item[0], _version_key(item[1]), item[1] or ""))
    for wanted in ("IIS", "http.sys"):
        matching = [item for item in products if item[0] == wanted]
        if matching:
            return matching[-1]
    return products[0] if products else (None, None)


def _address_order(server: ObservedServer) -> tuple[int, int, str, int]:
    try:
        address = ipaddress.ip_address(server.address)
    except ValueError:
        return (99, 0, server.address, server.port)
    return (address.version, int(address), "", server.port)


def _services(value: Any) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value or [])
    return [str(item).strip().lower() for item in items]


def _certificate(row: Row) -> dict[str, Any]:
    return {
        "fingerprint": row.get("fingerprint"),
        "serial": row.get("certificate.serial"),
        "subject": row.get("certificate.subject"),
        "issuer": row.get("certificate.issuer"),
        "not_valid_before": row.get("certificate.not_valid_before"),
        "not_valid_after": row.get("certificate.not_valid_after"),
        "san_dns": list(row.get("san.dns") or []),
    }


def _x509_index(logs: list[tuple[str, list[Row]]]) -> dict[str, dict[str, Any]]:
    index: dict[str, dict[str, Any]] = {}
    for path, rows in logs:
        if path != "x509":
            continue
        for row in rows:
            for key in (row.get("fingerprint"), row.get("id")):
                if isinstance(key, str):
                    index.setdefault(key, _certificate(row))
    return index


def _conn(servers: _Servers, row: Row, _certs: dict[str, dict[str, Any]]) -> None:
    server = servers.get(row.get("id.resp_h"), row.get("id.resp_p"))
    if server:
        server.connections += 1
        server.seen(row.get("ts"))
        servers.speaks(server, _services(row.get("service")))


def _http(servers: _Servers, row: Row, _certs: dict[str, dict[str, Any]]) -> None:
    server = servers.get(row.get("id.resp_h"), row.get("id.resp_p"))
    if server:
        server.seen(row.get("ts"))
        servers.speaks(server, ["http"])
        header = row.get("server")
        if isinstance(header, str) and header:
            servers.server_name(server, header, *split_server_header(header))


def _ssl(servers: _Servers, row: Row, certs: dict[str, dict[str, Any]]) -> None:
    server = servers.get(row.get("id.resp_h"), row.get("id.resp_p"))
    if not server:
        return
    server.seen(row.get("ts"))
    servers.speaks(server, ["ssl"])
    if row.get("server_name"):
        server.sni.add(str(row["server_name"]))
    if row.get("version"):
        server.tls_versions.add(str(row["version"]))
    for key in list(row.get("cert_chain_fps") or []) + list(row.get("cert_chain_fuids") or []):
        if key in certs:
            server.add_certificate(certs[key])


def _software(servers: _Servers, row: Row, _certs: dict[str, dict[str, Any]]) -> None:
    if row.get("software_type") != "HTTP::SERVER":
        return
    server = servers.get(row.get("host"), row.get("host_p"))
    if server:
        server.seen(row.get("ts"))
        servers.speaks(server, ["http"])
        name = str(row.get("name") or "")
        servers.server_name(server, str(row.get("unparsed_version") or name), name, _software_version(row))


def _known_services(servers: _Servers, row: Row, _certs: dict[str, dict[str, Any]]) -> None:
    server = servers.get(row.get("host"), row.get("port_num"))
    if server:
        server.seen(row.get("ts"))
        servers.speaks(server, _services(row.get("service")))


def _known_certs(servers: _Servers, row: Row, _certs: dict[str, dict[str, Any]]) -> None:
    server = servers.get(row.get("host"), row.get("port_num"))
    if server:
        server.add_certificate(
            {
                "fingerprint": None,
                "serial": row.get("serial"),
                "subject": row.get("subject"),
                "issuer": row.get("issuer_subject"),
                "not_valid_before": None,
                "not_valid_after": None,
                "san_dns": [],
            }
        )


_HANDLERS = {
    "conn": _conn,
    "http": _http,
    "ssl": _ssl,
    "software": _software,
    "known_services": _known_services,
    "known_certs": _known_certs,
}
# known_certs last: a certificate already read from x509 (same serial) is not repeated.
_ORDER = ("conn", "http", "ssl", "software", "known_services", "known_certs")


def observed_servers(logs: list[tuple[str, list[Row]]]) -> list[ObservedServer]:
    """The servers the logs show speaking HTTP or TLS, sorted by address and port."""
    certs = _x509_index(logs)
    servers = _Servers()
    for path in _ORDER:
        handler = _HANDLERS[path]
        for log_path, rows in logs:
            if log_path == path:
                for row in rows:
                    handler(servers, row, certs)
    return servers.finish()
