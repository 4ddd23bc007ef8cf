# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reconcile what discovery saw with the inventory: managed, rogue, missing, unapproved.

A service (address, port) belongs to an inventory host when its address is one of the
host's addresses (``ansible_host`` or its resolved name), or when a name the service
presented (certificate SAN, TLS SNI) is the host's name. Addresses are compared by number
(``::ffff:10.0.0.1`` is ``10.0.0.1``, a zone does not count; see ``scope.py``). Then:

* ``managed``: an inventory host with at least one service seen;
* ``rogue``: a service that belongs to no inventory host;
* ``missing``: an inventory host whose address was in scope but showed no service;
* ``unapproved_service``: a service of a managed host on a port outside its allowed list.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._discovery.scope import AddressRanges, ScopeError, address_ranges, canonical_address


@dataclass(frozen=True)
class Service:
    address: str
    port: int
    names: tuple[str, ...] = ()
    """Names the service presented: certificate SANs, TLS SNI."""
    product: str | None = None
    source: str = "active"
    legacy_tls: tuple[str, ...] = ()
    """TLS 1.0 and 1.1, when the service accepts them."""


@dataclass
class InventoryHost:
    name: str
    addresses: set[str]
    allowed_ports: list[int] | None = None


@dataclass
class Reconciliation:
    managed: dict[str, list[Service]] = field(default_factory=dict)
    rogue: list[Service] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unapproved: list[tuple[str, Service]] = field(default_factory=list)
    not_in_scope: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def service(s: Service) -> dict[str, Any]:
            return {"address": s.address, "port": s.port, "names": list(s.names), "product": s.product, "source": s.source, "legacy_tls": list(s.legacy_tls)}

        return {
            "managed": {host: [service(s) for s in services] for host, services in sorted(self.managed.items())},
            "rogue": [service(s) for s in self.rogue],
            "missing": sorted(self.missing),
            "unapproved_service": [{"host": host, **service(s)} for host, s in self.unapproved],
            "not_in_scope": sorted(self.not_in_scope),
        }


def _canonical_or_none(address: str) -> str | None:
    """The canonical spelling of an address; ``None`` for anything else (a name, an ambiguous form such as ``010.0.0.1``)."""
    try:
        return canonical_address(address)
    except ScopeError:
        return None


def _comparable(address: str) -> str:
    """The canonical spelling of an address; anything else as it is, which matches no address."""
    return _canonical_or_none(address) or address


def _in_scope(scanned: AddressRanges | Collection[str]) -> AddressRanges:
    if isinstance(scanned, AddressRanges):
        return scanned
    return address_ranges(address for address in map(_canonical_or_none, scanned) if address is not None)


def _owner(service: Service, by_address: dict[str, str], by_name: dict[str, str]) -> str | None:
    owner = by_address.get(_comparable(service.address))
    if owner is not None:
        return owner
    for name in service.names:
        owner = by_name.get(name.casefold().rstrip("."))
        if owner is not None:
            return owner
    return None


def reconcile(services: list[Service], inventory: list[InventoryHost], scanned: AddressRanges | Collection[str]) -> Reconciliation:
    """Sort what was seen into managed, rogue, missing and unapproved; ``scanned`` is every address in scope (a scope's ranges, or addresses)."""
    in_scope = _in_scope(scanned)
    by_address = {_comparable(address): host.name for host in inventory for address in host.addresses}
    by_name = {host.name.casefold(): host.name for host in inventory}
    hosts = {host.name: host for host in inventory}
    result = Reconciliation()
    for service in sorted(services, key=lambda s: (s.address, s.port)):
        owner = _owner(service, by_address, by_name)
        if owner is None:
            result.rogue.append(service)
            continue
        result.managed.setdefault(owner, []).append(service)
        allowed = hosts[owner].allowed_ports
        if allowed is not None and service.port not in allowed:
            result.unapproved.append((owner, service))
    for host in inventory:
        if host.name in result.managed:
            continue
        if any(address in in_scope for address in host.addresses):
            result.missing.append(host.name)
        else:
            result.not_in_scope.append(host.name)
    return result
