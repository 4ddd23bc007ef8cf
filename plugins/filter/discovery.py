# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.module_utils._discovery.reconcile import InventoryHost, Service, reconcile
from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import (
    DEFAULT_MAX_ADDRESSES,
    ScopeError,
    canonical_address,
    expand_scope,
    resolve_name,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._discovery_report import findings_of, table_lines
from ansible_collections.hardened.iis.plugins.plugin_utils._report_text import csv_text

DISCOVERY_CSV_COLUMNS = ["address", "port", "tls", "status", "server", "product", "version", "title", "certificate_subject", "certificate_expires"]


def _services(discovery: dict[str, Any]) -> list[Service]:
    found: list[Service] = []
    for probe in discovery.get("services") or []:
        certificate = probe.get("certificate") or {}
        names = tuple(n for n in [certificate.get("subject_cn"), *(certificate.get("san_dns") or [])] if n)
        legacy = tuple(v for v in ("TLSv1.0", "TLSv1.1") if (probe.get("tls_versions") or {}).get(v) == "accepted")
        found.append(Service(str(probe["address"]), int(probe["port"]), names, probe.get("product"), "active", legacy))
    for server in discovery.get("passive") or []:
        names = tuple(list(server.get("sni") or []) + [n for c in server.get("certificates") or [] for n in c.get("san_dns") or []])
        legacy = tuple(v for v in ("TLSv10", "TLSv11") if v in (server.get("tls_versions") or []))
        found.append(Service(str(server["address"]), int(server["port"]), names, server.get("product"), "passive", legacy))
    return found


def _canonical(value: str, what: str) -> str | None:
    try:
        return canonical_address(value)
    except ScopeError as exc:
        raise AnsibleFilterError(f"discovery_reconcile: {what}: {exc}") from None


def _addresses(values: list[str], resolve: Callable[[str], list[str]], host: str) -> set[str]:
    """Addresses in their canonical spelling, and host names resolved (an inventory may name hosts rather than number them)."""
    found: set[str] = set()
    for value in values:
        address = _canonical(value, f"inventory host {host!r}")
        if address is not None:
            found.add(address)
            continue
        for resolved in resolve(value):
            address = _canonical(resolved, f"inventory host {host!r} (resolved from {value!r})")
            if address is not None:
                found.add(address)
    return found


def _inventory(hosts: Any, resolve: Callable[[str], list[str]]) -> list[InventoryHost]:
    if not isinstance(hosts, list):
        raise AnsibleFilterError("discovery_reconcile: inventory must be a list of {name, addresses, allowed_ports}")
    parsed = []
    for index, host in enumerate(hosts):
        if not isinstance(host, dict) or "name" not in host:
            raise AnsibleFilterError(f"discovery_reconcile: inventory[{index}] needs 'name'")
        ports = host.get("allowed_ports")
        addresses = _addresses([str(a) for a in host.get("addresses") or [host["name"]]], resolve, str(host["name"]))
        parsed.append(InventoryHost(str(host["name"]), addresses, [int(p) for p in ports] if ports else None))
    return parsed


def discovery_reconcile(discovery: Any, inventory: Any, scope: Any, exclude: Any = None, max_addresses: int = DEFAULT_MAX_ADDRESSES) -> dict[str, Any]:
    """Managed, rogue, missing and unapproved services, with findings and table lines."""
    if not isinstance(discovery, dict) or "services" not in discovery:
        raise AnsibleFilterError("discovery_reconcile expects the result of hardened.iis.web_discovery")
    try:
        scanned = expand_scope(list(scope), list(exclude or []), max_addresses).addresses
    except ScopeError as exc:
        raise AnsibleFilterError(f"discovery_reconcile: {exc}") from None
    result = reconcile(_services(discovery), _inventory(inventory, resolve_name), scanned)
    report = result.as_dict()
    report["findings"] = [f.as_dict() for f in findings_of(result)]
    report["table"] = table_lines(result)
    return report


def discovery_inventory_entry(host_variables: Any) -> dict[str, Any]:
    """{name, addresses, allowed_ports} of one host from its hostvars (ansible_host, discovery_allowed_ports)."""
    if not isinstance(host_variables, Mapping) or "inventory_hostname" not in host_variables:
        raise AnsibleFilterError("discovery_inventory_entry expects a host's hostvars")
    name = str(host_variables["inventory_hostname"])
    entry: dict[str, Any] = {"name": name, "addresses": [str(host_variables.get("ansible_host") or name)]}
    if host_variables.get("discovery_allowed_ports"):
        entry["allowed_ports"] = [int(p) for p in host_variables["discovery_allowed_ports"]]
    return entry


def discovery_csv(discovery: Any) -> str:
    """One line per web server found, every text cell safe for spreadsheets (headers and titles come from the network)."""
    if not isinstance(discovery, Mapping) or not isinstance(discovery.get("services"), list):
        raise AnsibleFilterError("discovery_csv expects the result of hardened.iis.web_discovery (with services)")
    rows = []
    for service in discovery["services"]:
        certificate = service.get("certificate") or {}
        values = [service.get(k) for k in DISCOVERY_CSV_COLUMNS[:8]] + [certificate.get("subject_cn"), certificate.get("not_valid_after")]
        rows.append(["" if v is None else str(v) for v in values])
    return csv_text(DISCOVERY_CSV_COLUMNS, rows)


class FilterModule:
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {"discovery_reconcile": discovery_reconcile, "discovery_inventory_entry": discovery_inventory_entry, "discovery_csv": discovery_csv}
