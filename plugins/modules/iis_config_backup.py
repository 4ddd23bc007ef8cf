# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: iis_config_backup
short_description: Take or restore a named IIS configuration backup (appcmd add/restore backup)
version_added: 0.2.0
description:
  - O(state=present) takes IIS's own configuration backup under C(%windir%\\System32\\inetsrv\\backup\\<name>)
    (C(appcmd add backup)) unless one of that name exists.
  - O(state=restored) restores it (C(appcmd restore backup)) when C(applicationHost.config) differs from the backup's
    copy; a second restore changes nothing. A missing backup fails and nothing is restored.
  - The rollout takes one before it changes a live host and restores it when the host fails its checks.
author: hardened.iis maintainers (@hardened-iis)
options:
  name:
    description: The backup's name (letters, digits, C(.), C(_) and C(-)).
    type: str
    required: true
  state:
    description: Take the backup, or restore it.
    type: str
    choices: [present, restored]
    default: present
attributes:
  check_mode:
    description: Reports whether it would take or restore the backup, and does neither.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.rollback
"""

EXAMPLES = r"""
- name: Back up the IIS configuration before the change
  hardened.iis.iis_config_backup:
    name: hardened-iis-rollout-20261206T050000Z

- name: Restore it
  hardened.iis.iis_config_backup:
    name: hardened-iis-rollout-20261206T050000Z
    state: restored
"""

RETURN = r"""
name:
  description: The backup's name.
  returned: always
  type: str
path:
  description: The backup's folder on the host.
  returned: always
  type: str
"""
