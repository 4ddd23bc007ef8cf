# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: installed_updates
short_description: Tell which of the given updates (KBs) a Windows host has installed, changing nothing
version_added: 0.2.0
description:
  - Reads the installed hotfixes (C(Get-HotFix)) and the installed servicing packages (C(Get-WindowsPackage -Online),
    whose names carry their KB) and returns which of O(kbs) are among them.
  - When the servicing packages cannot be read, only the hotfixes are, with a warning; RV(sources) says which were read.
  - The P(hardened.iis.patches#role) role installs the approved updates this does not find.
author: hardened.iis maintainers (@hardened-iis)
options:
  kbs:
    description: The KBs to look for (C(KB5009555)), compared without case.
    type: list
    elements: str
    required: true
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
  - module: hardened.iis.hotfix_compliance
"""

EXAMPLES = r"""
- name: Find which approved updates the host already has
  hardened.iis.installed_updates:
    kbs: [KB5009555, KB5010359]
  register: installed
"""

RETURN = r"""
installed:
  description: The KBs of O(kbs) the host has installed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [KB5009555]
sources:
  description: What was read - C(hotfix), and C(packages) when the servicing packages could be read.
  returned: always
  type: list
  elements: str
"""
