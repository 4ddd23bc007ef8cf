# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: iis_host_state
short_description: Read an IIS host's whole state in one call, changing nothing
version_added: 0.1.0
description:
  - Returns what the hardened.iis rules need about a Windows IIS host, in one module call over WinRM,
    PSRP or SSH. The IIS configuration files (C(applicationHost.config), its schema files,
    C(machine.config), the .NET root C(web.config) and every C(web.config) below each virtual
    directory) come back inline; registry values under the watched keys, Windows features, services,
    the OS build and the IIS version come back as data.
  - For hotfix compliance it also returns the installed .NET Framework versions, the installed
    updates from every source it can read (C(Win32_QuickFixEngineering), the C(msu) package provider
    and the Windows Update history) and the state of Microsoft Defender Antivirus. A source that
    cannot be read is listed in RV(update_sources) with its error; the other sources are still returned.
  - It also reports the intent record that an apply which never finished left under O(backup_dir)
    (RV(interrupted_apply)); the controller then completes that apply's restore with
    P(hardened.iis.iis_restore#module) before it reads the host again.
  - It reads and reports; it decides nothing. Give its result to P(hardened.iis.audit#module) as
    O(hardened.iis.audit#module:host_state), or let C(playbooks/collect.yml) write it as a snapshot.
author: hardened.iis maintainers (@hardened-iis)
options:
  registry_keys:
    description:
      - Registry keys to read, with all their subkeys and values.
      - The default covers SCHANNEL protocols, ciphers, hashes and key exchange, HTTP.sys parameters,
        .NET strong crypto (64 and 32 bit), the cipher suite order policy and IIS's own key.
    type: list
    elements: str
    default:
      - HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL
      - HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters
      - HKLM:\SOFTWARE\Microsoft\.NETFramework\v4.0.30319
      - HKLM:\SOFTWARE\Wow6432Node\Microsoft\.NETFramework\v4.0.30319
      - HKLM:\SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002
      - HKLM:\SOFTWARE\Microsoft\InetStp
  extra_files:
    description: More files to return, for example a C(configSource) file outside the sites' folders.
    type: list
    elements: path
    default: []
  include_web_configs:
    description: Whether to return every C(web.config) below each virtual directory's physical path.
    type: bool
    default: true
  max_file_size:
    description: Files larger than this many bytes are listed in RV(unreadable) instead of returned.
    type: int
    default: 33554432
  probe_paths:
    description:
      - Files and folders whose existence to report in RV(probes), without reading them; the paths the rules'
        file checks look at (P(hardened.iis.audit#module) and P(hardened.iis.harden#module) pass them).
      - Environment variables (C(%windir%)) are expanded; C({site_root}) stands for each site's root folder, one
        probe per site.
    type: list
    elements: str
    default: []
  backup_dir:
    description: Where P(hardened.iis.iis_apply#module) keeps its backups and its intent record (its own O(hardened.iis.iis_apply#module:backup_dir)).
    type: path
    default: '%ProgramData%\hardened.iis\backups'
  gather_updates:
    description:
      - Whether to read the installed updates (RV(state.updates)) and Microsoft Defender's state
        (RV(state.defender)).
      - Reading the Windows Update history and the C(msu) packages takes a few seconds; an audit that
        does not check hotfix compliance can turn it off. Then RV(state) has neither key and
        RV(update_sources) is empty.
    type: bool
    default: true
  acl_paths:
    description:
      - Files and folders whose access control list to return in RV(state.acls) (C(Get-Acl)), environment variables expanded.
      - The default is what the rules read or name, C(%SystemDrive%\inetpub) (V-218814) and C(InetMgr.exe) (V-218816).
    type: list
    elements: str
    default:
      - '%SystemDrive%\inetpub'
      - '%windir%\System32\inetsrv\InetMgr.exe'
attributes:
  check_mode:
    description: Can run in check mode and return the same result as without it.
    support: full
  diff_mode:
    description: Would show what changes; this module changes nothing.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.audit
"""

EXAMPLES = r"""
- name: Read the host's state
  hardened.iis.iis_host_state:
  register: gathered

- name: Also return a configSource file that lives outside the sites
  hardened.iis.iis_host_state:
    extra_files:
      - D:\shared\connectionStrings.config
"""

RETURN = r"""
state:
  description: Everything that is not a file, in the format of a snapshot's C(state.yml).
  returned: always
  type: dict
  contains:
    host:
      description: The computer name.
      type: str
    collected_at:
      description: When the state was read (UTC, ISO 8601).
      type: str
    environment:
      description: C(SystemDrive), C(SystemRoot), C(windir) and C(ProgramFiles).
      type: dict
    os:
      description:
        - Product name, edition, installation type, build, UBR, display version, architecture.
        - C(dotnet_framework), the installed .NET Framework versions (C(3.5) when
          C(NDP\v3.5) has C(Install=1); the 4.x version named by the C(Release) value of C(NDP\v4\Full),
          for example C(4.8) or C(4.8.1)).
        - C(hotpatch_enrolled), whether the host takes Security Hotpatch Updates. Microsoft documents
          no value on the host that tells, so it is always C(false).
      type: dict
    updates:
      description:
        - Installed updates, one entry per KB and source, each with C(kb) (C(KB5009555)), C(source)
          (C(hotfix), C(msu) or C(history)) and C(installed_on) (C(YYYY-MM-DD), or null when the
          source does not say).
        - Only KB numbers of 6 to 8 digits. A KB whose newest successful Windows Update history
          event is an uninstallation is not listed from C(history).
      returned: when O(gather_updates=true)
      type: list
      elements: dict
      sample: [{kb: KB5009555, source: hotfix, installed_on: '2022-01-12'}]
    defender:
      description:
        - Microsoft Defender Antivirus, from C(Get-MpComputerStatus), with C(enabled),
          C(signature_version), C(signature_updated) (UTC, ISO 8601) and C(engine_version).
        - Null when Defender is not installed or cannot be read; RV(update_sources) says why.
      returned: when O(gather_updates=true)
      type: dict
      sample: {enabled: true, signature_version: 1.413.102.0, signature_updated: '2024-06-04T15:06:27Z', engine_version: 1.1.24050.5}
    iis:
      description: The IIS version (C(10.0)).
      type: dict
    registry:
      description: Values by key (C(HKLM\...)) and value name.
      type: dict
    features:
      description: C(installed) or C(absent) for every C(Web-*) and C(NET-*) Windows feature, and C(Print-Internet) (the catalog checks that it is absent).
      type: dict
    services:
      description: State and start mode of the IIS services.
      type: dict
    acls:
      description:
        - The access rules of each path of O(acl_paths) that exists, by its expanded Windows path, as C(Get-Acl) reads them.
        - Each rule has C(identity) (the account's name, or its SID when it cannot be translated), C(sid), C(rights) (the
          C(FileSystemRights) mask as a signed 32-bit number; inherit-only entries may hold generic rights such as
          C(268435456), GENERIC_ALL), C(type) (C(allow) or C(deny)), C(inheritance_flags) and C(propagation_flags) (as .NET
          names them, C(ContainerInherit, ObjectInherit), C(InheritOnly)) and C(inherited).
        - A path whose ACL cannot be read is left out, with a warning.
      type: dict
      sample:
        'C:\inetpub':
          - {identity: BUILTIN\Users, sid: S-1-5-32-545, rights: 1179817, type: allow, inheritance_flags: None, propagation_flags: None, inherited: false}
    ssl_bindings:
      description:
        - The certificate bindings of HTTP.sys (what C(netsh http show sslcert) lists), read from
          C(HKLM\SYSTEM\CurrentControlSet\Services\HTTP\Parameters\SslBindingInfo) and C(SslSniBindingInfo).
        - Each has C(endpoint) (C(0.0.0.0:443), C(10.20.30.40:443), or with SNI C(www.example.org:443)), C(sni) and
          C(certificate_hash) (the certificate's SHA-1 thumbprint in hex, or null). A site's https binding has a certificate
          when its endpoint is listed (the C(binding) condition with C(certificate), docs/rules-format.md).
      type: list
      elements: dict
      sample: [{endpoint: '0.0.0.0:443', sni: false, certificate_hash: 3F2A0C1B9E8D7A6B5C4D3E2F1A0B9C8D7E6F5A4B}]
files:
  description: The configuration files, each with its Windows path and its bytes in base64.
  returned: always
  type: list
  elements: dict
  sample: [{path: C:\Windows\System32\inetsrv\config\applicationHost.config, content: PD94bWwg...}]
unreadable:
  description: Files that could not be read, with the reason.
  returned: always
  type: list
  elements: dict
probes:
  description: For each path of O(probe_paths) (expanded, one per site for C({site_root})), whether it exists and what it is.
  returned: always
  type: list
  elements: dict
  sample: [{path: C:\Windows\web\printers, exists: false, kind: null}, {path: C:\inetpub\wwwroot\iisstart.htm, exists: true, kind: file}]
interrupted_apply:
  description:
    - The intent record (C(hardened-iis-intent.json) under O(backup_dir)) of an apply that has not finished, or null.
    - While an apply runs, its record is there too; P(hardened.iis.iis_restore#module) with
      O(hardened.iis.iis_restore#module:interrupted_only=true) waits for the host's lock and restores only a record
      still there then.
    - C(backup), C(started), C(holder), C(files) and C(registry) (the files and C(key\name) registry values it was changing), C(completed) (false).
  returned: always
  type: dict
  sample: {backup: 20261122T081500123456Z, started: '2026-11-22T08:15:00Z', holder: {controller: ctl01, user: ops}, completed: false}
update_sources:
  description:
    - Each source of RV(state.updates) and RV(state.defender) that was read (C(hotfix), C(msu),
      C(history), C(defender)), with C(ok) and, when it could not be read, the C(error).
    - Servicing packages (C(cbs)) are not read; listing the component store takes minutes.
    - Empty when O(gather_updates=false).
  returned: always
  type: list
  elements: dict
  sample: [{source: history, ok: true, error: null}, {source: defender, ok: false, error: Get-MpComputerStatus is not available}]
"""
