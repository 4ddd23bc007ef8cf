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
      description: Product name, edition, installation type, build, UBR, display version, architecture.
      type: dict
    iis:
      description: The IIS version (C(10.0)).
      type: dict
    registry:
      description: Values by key (C(HKLM\...)) and value name.
      type: dict
    features:
      description: C(installed) or C(absent) for every C(Web-*) and C(NET-*) Windows feature.
      type: dict
    services:
      description: State and start mode of the IIS services.
      type: dict
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
"""
