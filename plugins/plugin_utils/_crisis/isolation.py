# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The Windows Firewall rules that cut a compromised host off while keeping its management path.

Windows Firewall evaluates block rules before allow rules, so "block everything except
management" cannot be a block-all rule plus an allow rule: the block would win. Instead:

* the profiles' default actions become block, inbound and outbound (``ansible.windows.win_firewall``);
* block rules cover every remote address *except* the management addresses (and, outbound,
  the addresses the host may still reach), written as the complement of those addresses in
  IPv4 and IPv6 ranges, so rules that already allow traffic (HTTP, HTTPS, file sharing) no
  longer let anyone else in or out;
* from the management addresses, TCP and UDP on every other local port are blocked, and one
  allow rule lets WinRM over HTTPS (5986) in. Replies to those connections leave through the
  firewall's connection state; outbound traffic to the management addresses is left to the
  profile's default (block) and is never named in a block rule; nor is loopback.

Every rule carries the group name and a name that starts with :data:`PREFIX`; un-isolating
removes exactly these names.
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

PREFIX = "hardened-iis-isolation"
GROUP = "hardened.iis isolation"
PROFILES = ["domain", "private", "public"]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_ALL = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
LOOPBACK: list[Network] = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
"""Never named in a block rule: the host's own services talk to each other over loopback."""


def parse_addresses(values: Any, name: str, required: bool = True) -> list[Network]:
    """Addresses and CIDR networks, validated; host bits set and the whole address space are refused."""
    if values is None or values == "":
        values = []
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        raise ValueError(f"{name} must be a list of IP addresses or CIDR networks, not {type(values).__name__}")
    if required and not values:
        raise ValueError(f"{name} is required: the addresses the host stays reachable from (WinRM), as IP addresses or CIDR networks")
    networks: list[Network] = []
    for index, value in enumerate(values):
        text = str(value).strip()
        try:
            network = ipaddress.ip_network(text, strict=True)
        except ValueError as exc:
            hint = ""
            with contextlib.suppress(ValueError):
                hint = f" (did you mean {ipaddress.ip_network(text, strict=False)}?)"
            raise ValueError(f"{name}[{index}]: {text!r} is not an IP address or CIDR network: {exc}{hint}") from None
        if network.prefixlen == 0:
            raise ValueError(f"{name}[{index}]: {text} is the whole address space; isolation would isolate nothing")
        networks.append(network)
    return sorted(set(networks), key=lambda n: (n.version, n.network_address, n.prefixlen))


def _text(network: Network) -> str:
    return str(network.network_address) if network.num_addresses == 1 else str(network)


def complement(networks: list[Network]) -> list[str]:
    """Every address not in ``networks``, IPv4 then IPv6, as ranges ``first-last`` (or single addresses)."""
    ranges: list[str] = []
    for whole in _ALL:
        spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in networks if n.version == whole.version)
        start = int(whole.network_address)
        end = int(whole.broadcast_address)
        cls = type(whole.network_address)
        for first, last in spans:
            if last < start:
                continue
            if first > start:
                ranges.append(_range(cls(start), cls(first - 1)))
            start = max(start, last + 1)
        if start <= end:
            ranges.append(_range(cls(start), cls(end)))
    return ranges


def _range(first: Any, last: Any) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _ports_except(port: int) -> str:
    parts = []
    if port > 1:
        parts.append("1" if port == 2 else f"1-{port - 1}")
    if port < 65535:
        parts.append("65535" if port == 65534 else f"{port + 1}-65535")
    return ",".join(parts)


def isolation_rules(management: Any, outbound: Any = None, port: int = 5986) -> list[dict[str, Any]]:
    """The firewall rules of an isolation, in the order they are applied (allow first).

    Each rule has the options of ``community.windows.win_firewall_rule``: name, group,
    description, direction, action, protocol, localport, remoteip, profiles, enabled.
    """
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ValueError(f"isolate_management_port must be a TCP port (1-65535), not {port!r}")
    managers = parse_addresses(management, "isolate_management_addresses")
    reachable = parse_addresses(outbound, "isolate_outbound_addresses", required=False)
    managed = ",".join(_text(n) for n in managers)

    def rule(suffix: str, description: str, direction: str, action: str, protocol: str, remoteip: str, localport: str = "any") -> dict[str, Any]:
        return {
            "name": f"{PREFIX}-{suffix}",
            "group": GROUP,
            "description": f"hardened.iis isolation: {description}",
            "direction": direction,
            "action": action,
            "protocol": protocol,
            "localport": localport,
            "remoteip": remoteip,
            "profiles": list(PROFILES),
            "enabled": True,
        }

    rules = [
        rule("allow-management-in", f"WinRM over HTTPS (TCP {port}) from the management addresses", "in", "allow", "tcp", managed, str(port)),
        rule(
            "block-management-other-tcp-in", f"TCP from the management addresses to every port but {port}", "in", "block", "tcp", managed, _ports_except(port)
        ),
        rule("block-management-udp-in", "UDP from the management addresses", "in", "block", "udp", managed),
        rule("block-in", "everything inbound from any other address", "in", "block", "any", ",".join(complement(managers + LOOPBACK))),
    ]
    if reachable:
        rules.append(rule("allow-out", "outbound to the addresses the host may still reach", "out", "allow", "any", ",".join(_text(n) for n in reachable)))
    rules.append(rule("block-out", "everything outbound to any other address", "out", "block", "any", ",".join(complement(managers + reachable + LOOPBACK))))
    return rules


RULE_NAMES = [
    f"{PREFIX}-{suffix}" for suffix in ("allow-management-in", "block-management-other-tcp-in", "block-management-udp-in", "block-in", "allow-out", "block-out")
]
"""Every name an isolation can create: what un-isolating removes."""
