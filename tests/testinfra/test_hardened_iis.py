# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A hardened IIS host, checked with testinfra and our own XPath against the benchmark texts.

Each check quotes what CIS Microsoft IIS 10 Benchmark v1.2.1 or the DISA IIS 10.0 STIGs audit.
It reads the host's files and registry as they are (no effective-configuration engine): a server
value must be set as the benchmark says, and no site's web.config may set it back.
"""

from __future__ import annotations

from xml.etree import ElementTree

from conftest import IisHost

APPHOST = "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"
SCHANNEL = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL"


def apphost(iis: IisHost) -> ElementTree.Element:
    data = iis.read(APPHOST)
    assert data is not None, "applicationHost.config is missing"
    return ElementTree.fromstring(data)


def site_web_configs(iis: IisHost) -> list[tuple[str, ElementTree.Element]]:
    """Every web.config below every virtual directory, parsed."""
    folders = sorted({str(d.get("physicalPath")).replace("%SystemDrive%", "C:") for d in apphost(iis).iterfind(".//sites/site/application/virtualDirectory")})
    parsed = []
    for path in iis.web_configs(folders):
        data = iis.read(path)
        if data:
            parsed.append((path, ElementTree.fromstring(data)))
    return parsed


def test_directory_browsing_is_off(iis: IisHost) -> None:
    """CIS 1.3 / V-218808: directoryBrowse enabled is False, at the server and in every web.config."""
    server = apphost(iis).find("./system.webServer/directoryBrowse")
    assert server is None or server.get("enabled", "false").lower() == "false"
    offenders = [path for path, document in site_web_configs(iis) for e in document.iter("directoryBrowse") if e.get("enabled", "").lower() == "true"]
    assert offenders == []


def test_double_escaping_is_refused(iis: IisHost) -> None:
    """CIS 4.5: requestFiltering allowDoubleEscaping is False."""
    offenders = [e for e in apphost(iis).iter("requestFiltering") if e.get("allowDoubleEscaping", "false").lower() == "true"]
    for _path, document in site_web_configs(iis):
        offenders += [e for e in document.iter("requestFiltering") if e.get("allowDoubleEscaping", "").lower() == "true"]
    assert offenders == []


def test_detailed_errors_are_not_sent_to_remote_clients(iis: IisHost) -> None:
    """CIS 3.4 / V-218813: httpErrors errorMode is DetailedLocalOnly or Custom, nowhere Detailed."""
    modes = [e.get("errorMode") for e in apphost(iis).iter("httpErrors")] + [
        e.get("errorMode") for _path, document in site_web_configs(iis) for e in document.iter("httpErrors")
    ]
    assert "Detailed" not in modes


def test_asp_net_custom_errors_are_not_off(iis: IisHost) -> None:
    """CIS 3.3 / V-218814: system.web/customErrors mode is not Off in any web.config."""
    offenders = [path for path, document in site_web_configs(iis) for e in document.iter("customErrors") if e.get("mode", "").lower() == "off"]
    assert offenders == []


def test_debug_compilation_is_off(iis: IisHost) -> None:
    """CIS 3.2: system.web/compilation debug is false."""
    offenders = [path for path, document in site_web_configs(iis) for e in document.iter("compilation") if e.get("debug", "").lower() == "true"]
    assert offenders == []


def test_old_protocols_are_off_for_the_server(iis: IisHost) -> None:
    """CIS 7.2-7.5 / V-218820-V-218823: SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1 Server: Enabled 0, DisabledByDefault 1."""
    for protocol in ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1"):
        key = f"{SCHANNEL}\\Protocols\\{protocol}\\Server"
        assert (iis.registry(key, "Enabled"), iis.registry(key, "DisabledByDefault")) == (0, 1), protocol


def test_tls_1_2_is_on(iis: IisHost) -> None:
    """CIS 7.6: TLS 1.2 Server: Enabled 1, DisabledByDefault 0."""
    key = f"{SCHANNEL}\\Protocols\\TLS 1.2\\Server"
    assert (iis.registry(key, "Enabled"), iis.registry(key, "DisabledByDefault")) == (1, 0)


def test_weak_ciphers_are_off_and_aes_256_on(iis: IisHost) -> None:
    """CIS 7.7-7.11: NULL, DES 56/56, RC4 40/128, 56/128, 64/128, 128/128 and AES 128/128 Enabled 0; AES 256/256 Enabled 1."""
    for cipher in ("NULL", "DES 56/56", "RC4 40/128", "RC4 56/128", "RC4 64/128", "RC4 128/128", "AES 128/128"):
        assert iis.registry(f"{SCHANNEL}\\Ciphers\\{cipher}", "Enabled") == 0, cipher
    assert iis.registry(f"{SCHANNEL}\\Ciphers\\AES 256/256", "Enabled") == 1
