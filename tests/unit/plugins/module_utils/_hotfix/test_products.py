# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which MSRC products a host is."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import HostFacts
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.products import UnknownReleaseError, dotnet_versions, host_products, windows_product_name

from .conftest import needs_corpus


def facts(**os_facts: Any) -> HostFacts:
    return HostFacts.from_state({"product_name": "Windows Server", "current_build": "20348", **os_facts}, [], None, "test")


@pytest.mark.parametrize(
    ("os_facts", "name"),
    [
        ({"current_build": "20348"}, "Windows Server 2022"),
        ({"current_build": "20348", "installation_type": "Server Core"}, "Windows Server 2022 (Server Core installation)"),
        ({"current_build": "17763"}, "Windows Server 2019"),
        ({"current_build": "14393"}, "Windows Server 2016"),
        ({"current_build": "9600"}, "Windows Server 2012 R2"),
        ({"current_build": "26100"}, "Windows Server 2025"),
        ({"current_build": "7601"}, "Windows Server 2008 R2 for x64-based Systems Service Pack 1"),
        ({"current_build": "6003", "architecture": "x86"}, "Windows Server 2008 for 32-bit Systems Service Pack 2"),
    ],
)
def test_the_release_comes_from_the_build(os_facts: dict[str, Any], name: str) -> None:
    assert windows_product_name(facts(**os_facts)) == name


def test_a_build_that_is_no_server_release_is_named_in_the_error() -> None:
    with pytest.raises(UnknownReleaseError, match=r"build 22631 \(Windows Server\) is not a Windows Server release"):
        windows_product_name(facts(current_build="22631"))


def test_dotnet_product_names_give_versions_and_the_windows_product() -> None:
    assert dotnet_versions("Microsoft .NET Framework 3.5 AND 4.8.1 on Windows Server 2022") == (frozenset({"3.5", "4.8.1"}), "Windows Server 2022")
    assert dotnet_versions("Microsoft .NET Framework 4.6.2/4.7/4.7.1/4.7.2 on Windows Server 2016  (Server Core installation)") == (
        frozenset({"4.6.2", "4.7", "4.7.1", "4.7.2"}),
        "Windows Server 2016 (Server Core installation)",
    )
    assert dotnet_versions("Windows Server 2022") is None


@needs_corpus
def test_desktop_and_server_core_hosts_are_different_products(real_catalog: UpdateCatalog) -> None:
    names = real_catalog.product_names
    desktop = {p.id for p in host_products(facts(dotnet_framework=["4.8"]), names)}
    core = {p.id for p in host_products(facts(installation_type="Server Core", dotnet_framework=["4.8"]), names)}
    assert desktop == {"11923", "11676-11923"}
    assert core == {"11924", "11676-11924"}


@needs_corpus
def test_the_dotnet_package_follows_the_installed_framework(real_catalog: UpdateCatalog) -> None:
    names = real_catalog.product_names
    framework_48 = {p.name for p in host_products(facts(dotnet_framework=["3.5", "4.8"]), names) if p.kind == "dotnet"}
    framework_481 = {p.name for p in host_products(facts(dotnet_framework=["3.5", "4.8.1"]), names) if p.kind == "dotnet"}
    assert framework_48 == {"Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"}
    assert framework_481 == {"Microsoft .NET Framework 3.5 AND 4.8.1 on Windows Server 2022"}
    older = {p.name for p in host_products(facts(current_build="17763", dotnet_framework=["3.5", "4.7.2"]), names) if p.kind == "dotnet"}
    assert older == {
        "Microsoft .NET Framework 3.5 on Windows Server 2019",
        "Microsoft .NET Framework 4.7.2 on Windows Server 2019",
        "Microsoft .NET Framework 3.5 AND 4.7.2 on Windows Server 2019",
    }


def test_a_release_no_document_covers_is_an_error_not_a_pass() -> None:
    names = {"11571": "Windows Server 2019"}
    with pytest.raises(UnknownReleaseError, match=r"no security update document names the product 'Windows Server 2022' \(build 20348\)"):
        host_products(facts(), names)
    assert windows_product_name(facts(current_build="25398")) == "Windows Server 2022, 23H2 Edition (Server Core installation)"
