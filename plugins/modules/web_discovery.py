#!/usr/bin/python
# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: web_discovery
short_description: Find the web servers in an address scope, actively (TCP connect scan and HTTP/TLS probes) and passively (Zeek logs)
version_added: 0.1.0
description:
  - Scans exactly the addresses O(scope) names (CIDRs, ranges, addresses, host names) minus O(exclude) on O(ports) with
    TCP connect (no raw sockets, no root), with bounded concurrency kept below the open-file limit, a per-host rate
    limit, timeouts and one retry; then probes every open port over HTTP and TLS (status, C(Server), C(X-Powered-By),
    C(X-AspNet-Version), title, redirect, the IIS start page, http.sys; TLS versions accepted, certificate subject,
    issuer, SANs, expiry, self-signed) and classifies it (IIS with version, http.sys, another server, unknown).
  - The whole address space is always refused, and a scope larger than O(max_addresses) is refused.
  - Addresses are compared by number, never by text - an IPv4-mapped or IPv4-compatible IPv6 address
    (C(::ffff:10.0.0.1), C(::10.0.0.1)) is its IPv4 address, in O(scope), O(exclude) and what names resolve to.
    IPv4 is written as four decimal numbers (C(010.0.0.1), C(127.1) are refused).
    A zone (C(fe80::1%eth0)) is refused in O(scope) and dropped in O(exclude), which excludes the address on every interface.
  - Optionally reads Zeek logs (O(zeek_logs), TSV or JSON) and packet captures (O(pcaps)) and lists the web servers they saw.
  - Run it on the control node or a scanning host (C(delegate_to)); it changes nothing anywhere.
author: hardened.iis maintainers (@hardened-iis)
requirements:
  - Python 3.10 or later where it runs (the control node has it; a separate scanning host may not)
  - dpkt, only to read O(pcaps)
  - cryptography, for certificate details (without it a certificate reports only its SHA-256)
options:
  scope:
    description:
      - What to scan, explicitly; nothing else is ever scanned.
      - CIDRs, ranges (C(10.1.0.10-40), or two full IPv4 or IPv6 addresses), addresses, host names.
    type: list
    elements: str
    required: true
  exclude:
    description:
      - Addresses, ranges, networks or host names never to touch, in the forms O(scope) takes; any size.
      - Every address named (or resolved to) is excluded whatever its spelling, so C(::ffff:127.0.0.1) excludes C(127.0.0.1).
    type: list
    elements: str
    default: []
  ports:
    description: The TCP ports to scan (5985 and 5986 are flagged as WinRM).
    type: list
    elements: int
    default: [80, 443, 8080, 8443, 8000, 8888, 81, 591, 5985, 5986]
  max_addresses:
    description:
      - The largest scope accepted (a /16 by default); raise it on purpose for larger scans.
      - Counts the distinct addresses O(scope) names before exclusions - a network whole, a host name as every address it resolves to.
    type: int
    default: 65536
  concurrency:
    description: Connections in flight at most (kept below the open-file limit).
    type: int
    default: 256
  timeout:
    description:
      - Seconds to wait for a connection at most, and before any address has answered.
      - Once answers come in, the wait adapts to the round trips measured (per host, else for the whole scan), as nmap's does.
    type: float
    default: 1.5
  min_timeout:
    description: Seconds to wait for a connection at least, however fast the answers so far; raise it for slow or lossy links.
    type: float
    default: 0.1
  retries:
    description: How many more times a connection that timed out is tried (one that was refused is not).
    type: int
    default: 1
  per_host_rate:
    description: New connections per second per host at most; unset means no per-host limit.
    type: float
  zeek_logs:
    description: Zeek logs (conn, http, ssl, x509, software, known_services; TSV or JSON) to read for passive discovery.
    type: list
    elements: path
    default: []
  pcaps:
    description:
      - Packet captures (pcap or pcapng; Ethernet or Linux cooked) to read for passive discovery (with C(dpkt)) - servers
        that answer a SYN and speak HTTP or TLS, their Server header, SNI and TLS version.
    type: list
    elements: path
    default: []
attributes:
  check_mode:
    description: Scanning changes nothing, so it runs in check mode as well.
    support: full
  diff_mode:
    description: Nothing changes.
    support: none
  platform:
    description: The control node or a Linux scanning host.
    support: full
    platforms: posix
seealso:
  - module: hardened.iis.integrity
"""

EXAMPLES = r"""
- name: Find every web server in the server networks
  hardened.iis.web_discovery:
    scope: [10.20.0.0/22, 10.20.8.10-10.20.8.60]
    exclude: [10.20.1.1]
  delegate_to: localhost
  run_once: true
  register: discovery
"""

RETURN = r"""
scanned:
  description: How many addresses were scanned.
  returned: success
  type: int
unanswered:
  description: The address and port pairs that never answered (dropped by a firewall, or the host is down), as C(address:port).
  returned: success
  type: list
  elements: str
services:
  description: Every open web port with its probe result (address, port, tls, status, server, product, version, title, certificate, tls_versions, ...).
  returned: success
  type: list
  elements: dict
passive:
  description: The web servers the Zeek logs and packet captures saw.
  returned: success
  type: list
  elements: dict
names:
  description: Address -> the host name a scope entry gave for it.
  returned: success
  type: dict
"""

import asyncio
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hardened.iis.plugins.module_utils._discovery.pcap import PcapError, read_pcap
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scanner import ScanError, probe_all, scan
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import ScopeError, expand_scope
from ansible_collections.hardened.iis.plugins.module_utils._discovery.zeek import ZeekError, observed_servers, read_zeek_log


def passive(zeek_logs: list[str], pcaps: list[str]) -> list[dict[str, Any]]:
    logs = [read_zeek_log(Path(path).read_bytes(), path) for path in zeek_logs]
    servers = [server.as_dict() for server in observed_servers(logs)] if logs else []
    for path in pcaps:
        servers.extend(server.as_dict() for server in read_pcap(Path(path).read_bytes(), path))
    return servers


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "scope": {"type": "list", "elements": "str", "required": True},
            "exclude": {"type": "list", "elements": "str", "default": []},
            "ports": {"type": "list", "elements": "int", "default": [80, 443, 8080, 8443, 8000, 8888, 81, 591, 5985, 5986]},
            "max_addresses": {"type": "int", "default": 65536},
            "concurrency": {"type": "int", "default": 256},
            "timeout": {"type": "float", "default": 1.5},
            "min_timeout": {"type": "float", "default": 0.1},
            "retries": {"type": "int", "default": 1},
            "per_host_rate": {"type": "float"},
            "zeek_logs": {"type": "list", "elements": "path", "default": []},
            "pcaps": {"type": "list", "elements": "path", "default": []},
        },
        supports_check_mode=True,
    )
    params = module.params
    bad_ports = [p for p in params["ports"] if not 0 < p < 65536]
    if bad_ports:
        module.fail_json(msg=f"ports: {bad_ports} are not TCP ports")
    for name, smallest in (("concurrency", 1), ("timeout", 0.001), ("min_timeout", 0), ("retries", 0), ("per_host_rate", 0.001)):
        if params[name] is not None and params[name] < smallest:
            module.fail_json(msg=f"{name}: {params[name]} is below {smallest}")
    try:
        scope = expand_scope(params["scope"], params["exclude"], params["max_addresses"])
        seen = passive(params["zeek_logs"], params["pcaps"])
    except (ScopeError, ZeekError, PcapError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"{exc.filename}: cannot be read ({exc.strerror})")
    settings = {name: params[name] for name in ("concurrency", "timeout", "min_timeout", "retries", "per_host_rate")}
    try:
        found = scan(scope.addresses, params["ports"], **settings)
    except ScanError as exc:
        module.fail_json(msg=str(exc))
    results = asyncio.run(probe_all(found.open))
    module.exit_json(
        changed=False,
        scanned=len(scope.addresses),
        unanswered=[f"[{address}]:{port}" if ":" in address else f"{address}:{port}" for address, port in found.unanswered],
        services=[result.as_dict() for result in results],
        passive=seen,
        names=scope.names,
    )


if __name__ == "__main__":
    main()
