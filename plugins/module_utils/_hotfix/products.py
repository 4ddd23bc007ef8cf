# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which MSRC products a host is: its Windows Server release and its .NET Framework.

The release comes from the build number (``CurrentBuild``), which, unlike ``ProductName``,
names one release only; Server Core installations are separate products
(``… (Server Core installation)``). .NET Framework products are named
``Microsoft .NET Framework <versions> on <Windows product>``; one applies when the host has
one of its versions installed. MSRC's names vary in spacing and capitals over the years
(``Windows Server 2016  (Server Core Installation)``), so names compare normalised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

from .host import HostFacts

# CurrentBuild -> the MSRC name of the Windows Server release ({arch} for the 2008 family).
SERVER_RELEASES = {
    6002: "Windows Server 2008 for {arch} Systems Service Pack 2",
    6003: "Windows Server 2008 for {arch} Systems Service Pack 2",
    7601: "Windows Server 2008 R2 for {arch} Systems Service Pack 1",
    9200: "Windows Server 2012",
    9600: "Windows Server 2012 R2",
    14393: "Windows Server 2016",
    17763: "Windows Server 2019",
    20348: "Windows Server 2022",
    25398: "Windows Server 2022, 23H2 Edition",
    26100: "Windows Server 2025",
}
_ARCHITECTURES = {"amd64": "x64-based", "x64": "x64-based", "x86": "32-bit", "ia64": "Itanium-Based"}
_CORE = " (Server Core installation)"
_DOTNET = re.compile(r"^Microsoft \.NET Framework (?P<versions>.+?) on (?P<os>.+)$", re.IGNORECASE)
_VERSION = re.compile(r"\d+(?:\.\d+)+")


def normalize_name(name: str) -> str:
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class HostProduct:
    id: str
    name: str
    kind: str
    """'windows' or 'dotnet'."""


class UnknownReleaseError(HardenedIisError, ValueError):
    """The host's build is not a Windows Server release this collection knows."""


def windows_product_name(facts: HostFacts) -> str:
    """The MSRC name of the host's Windows release, e.g. 'Windows Server 2022 (Server Core installation)'."""
    template = SERVER_RELEASES.get(facts.current_build)
    if template is None:
        known = ", ".join(f"{build} ({name.format(arch='x64-based')})" for build, name in SERVER_RELEASES.items())
        raise UnknownReleaseError(f"build {facts.current_build} ({facts.product_name}) is not a Windows Server release this collection knows; known: {known}")
    name = template.format(arch=_ARCHITECTURES.get(facts.architecture.casefold(), "x64-based"))
    # Windows Server 2022, 23H2 Edition exists only as Server Core.
    return name + _CORE if facts.server_core or facts.current_build == 25398 else name


def dotnet_versions(product_name: str) -> tuple[frozenset[str], str] | None:
    """({'3.5', '4.8'}, 'Windows Server 2022') from 'Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022'."""
    match = _DOTNET.match(" ".join(product_name.split()))
    if match is None:
        return None
    versions = frozenset(_VERSION.findall(match.group("versions")))
    return versions, match.group("os")


def host_products(facts: HostFacts, names: dict[str, str]) -> list[HostProduct]:
    """The catalog's products (id -> name) that the host is or runs."""
    windows = normalize_name(windows_product_name(facts))
    installed = _with_aliases(facts.dotnet_framework)
    found: list[HostProduct] = []
    for product_id, name in names.items():
        if normalize_name(name) == windows:
            found.append(HostProduct(product_id, name, "windows"))
            continue
        dotnet = dotnet_versions(name)
        if dotnet is not None and normalize_name(dotnet[1]) == windows and _dotnet_applies(dotnet[0], installed):
            found.append(HostProduct(product_id, name, "dotnet"))
    if not any(p.kind == "windows" for p in found):
        raise UnknownReleaseError(
            f"no security update document names the product '{windows_product_name(facts)}' (build {facts.current_build}); "
            "add the monthly documents that cover it, or check os.current_build and os.installation_type"
        )
    return found


def _with_aliases(versions: tuple[str, ...]) -> frozenset[str]:
    """The host's versions, with 3.5 and 3.5.1 as one: MSRC calls .NET 3.5 SP1 '3.5.1' on 2008 R2 and '3.5' later."""
    found = set(versions)
    if found & {"3.5", "3.5.1"}:
        found |= {"3.5", "3.5.1"}
    return frozenset(found)


def _dotnet_applies(versions: frozenset[str], installed: frozenset[str]) -> bool:
    """A '3.5 AND 4.8.1' product is the 4.8.1 package (which also serves 3.5): it applies where 4.8.1 is installed."""
    framework4 = {v for v in versions if v.startswith("4.")}
    return bool((framework4 or versions) & installed)
