# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: defender_update
short_description: Update the Microsoft Defender antivirus signatures of a Windows host
version_added: 0.2.0
description:
  - Runs C(Update-MpSignature) and reports the signature version before and after; changed when it differs.
  - In check mode the version is read and nothing is updated.
author: hardened.iis maintainers (@hardened-iis)
options: {}
attributes:
  check_mode:
    description: Reads the version and updates nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.hotfix_compliance
"""

EXAMPLES = r"""
- name: Update the Defender signatures
  hardened.iis.defender_update:
  register: defender
"""

RETURN = r"""
signature_before:
  description: The antivirus signature version before the update.
  returned: always
  type: str
  sample: 1.419.512.0
signature_after:
  description: The antivirus signature version after the update (the same as before in check mode).
  returned: always
  type: str
"""
