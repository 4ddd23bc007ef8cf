# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: firewall_profiles
short_description: Read the Windows Firewall profiles' settings, changing nothing
version_added: 0.2.0
description:
  - Returns each Windows Firewall profile (Domain, Private, Public) with whether it is on and its default
    inbound and outbound action, as C(Get-NetFirewallProfile) reports them.
  - C(playbooks/isolate_host.yml) records them before it isolates a host and puts them back when the isolation is lifted.
author: hardened.iis maintainers (@hardened-iis)
options: {}
attributes:
  check_mode:
    description: Reads only; the same result in check mode.
    support: full
  diff_mode:
    description: Changes nothing.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: community.windows.win_firewall_rule
  - module: ansible.windows.win_firewall
"""

EXAMPLES = r"""
- name: Record the firewall profiles before isolating the host
  hardened.iis.firewall_profiles:
  register: profiles_before
"""

RETURN = r"""
profiles:
  description: Each profile with C(name), C(enabled) (C(True) or C(False)), C(inbound) and C(outbound) (C(Allow), C(Block) or C(NotConfigured)).
  returned: always
  type: list
  elements: dict
  sample: [{name: Domain, enabled: 'True', inbound: Block, outbound: Allow}]
"""
