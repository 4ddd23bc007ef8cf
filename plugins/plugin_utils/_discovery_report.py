# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Discovery in the shared findings format, and the console table.

Per service: ``discovery-web-server-managed`` (pass), ``discovery-rogue-web-server`` (fail,
host = the address), ``discovery-unapproved-service`` (fail), ``discovery-legacy-tls-accepted``
(fail, a managed service that still accepts TLS 1.0 or 1.1); per inventory host that showed
nothing although its address was scanned: ``discovery-host-missing`` (fail).
"""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.module_utils._discovery.reconcile import Reconciliation, Service
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding


def _finding(host: str, rule: str, title: str, status: str, scope: str, actual: str, expected: str, remediation: str) -> Finding:
    return Finding(
        host=host,
        rule_id=rule,
        title=title,
        references={},
        severity="high" if status == "fail" else "low",
        status=status,
        scope=scope,
        evidence=Evidence(file="discovery", actual=actual, expected=expected),
        remediation=remediation,
    )


def _described(service: Service) -> str:
    product = service.product or "unknown server"
    return f"{product} on {service.address}:{service.port} (seen {service.source})"


def findings_of(result: Reconciliation) -> list[Finding]:
    findings: list[Finding] = []
    unapproved = {(host, s.address, s.port) for host, s in result.unapproved}
    for host, services in sorted(result.managed.items()):
        for service in services:
            scope = f"{service.address}:{service.port}"
            if (host, service.address, service.port) in unapproved:
                findings.append(
                    _finding(
                        host,
                        "discovery-unapproved-service",
                        "Managed hosts serve the web only on approved ports",
                        "fail",
                        scope,
                        _described(service),
                        "a port in the host's allowed list",
                        "Stop the service or add the port to the host's allowed list after review",
                    )
                )
            else:
                findings.append(
                    _finding(
                        host,
                        "discovery-web-server-managed",
                        "Every web server found is a managed host",
                        "pass",
                        scope,
                        _described(service),
                        "in the inventory",
                        "",
                    )
                )
    for host, services in sorted(result.managed.items()):
        for service in services:
            if service.legacy_tls:
                findings.append(
                    _finding(
                        host,
                        "discovery-legacy-tls-accepted",
                        "Web servers accept neither TLS 1.0 nor TLS 1.1",
                        "fail",
                        f"{service.address}:{service.port}",
                        f"accepts {', '.join(service.legacy_tls)}",
                        "TLS 1.2 or later only",
                        "Run the tls role (hardened.iis.harden) on the host",
                    )
                )
    for service in result.rogue:
        findings.append(
            _finding(
                service.address,
                "discovery-rogue-web-server",
                "Every web server found is a managed host",
                "fail",
                f"{service.address}:{service.port}",
                _described(service),
                "in the inventory",
                "Find the owner; bring the server under management (inventory, baseline) or shut it down",
            )
        )
    for host in result.missing:
        findings.append(
            _finding(
                host,
                "discovery-host-missing",
                "Every inventory host in scope answers on a web port",
                "fail",
                "server",
                "no web port answered",
                "at least one web port open",
                "Check whether the host is down, moved, or its service stopped",
            )
        )
    return findings


def table_lines(result: Reconciliation) -> list[str]:
    lines = [f"{'status':<20} {'host':<28} {'address:port':<22} server"]
    for host, services in sorted(result.managed.items()):
        for service in services:
            status = "UNAPPROVED PORT" if any(h == host and s == service for h, s in result.unapproved) else "managed"
            lines.append(f"{status:<20} {host:<28} {service.address + ':' + str(service.port):<22} {service.product or '-'}")
    for service in result.rogue:
        lines.append(f"{'ROGUE':<20} {'-':<28} {service.address + ':' + str(service.port):<22} {service.product or '-'}")
    for host in result.missing:
        lines.append(f"{'MISSING':<20} {host:<28} {'-':<22} -")
    lines.append(f"managed {len(result.managed)}, rogue {len(result.rogue)}, missing {len(result.missing)}, unapproved {len(result.unapproved)}")
    return lines
