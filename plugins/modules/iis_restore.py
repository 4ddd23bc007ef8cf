# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: iis_restore
short_description: Put a Windows host back as it was before one hardened.iis.iis_apply call
version_added: 0.1.0
description:
  - Reads the backup that P(hardened.iis.iis_apply#module) wrote (its C(backup.json), format 2, the format
    snapshots use too) and puts every file back byte for byte, removes the files the apply created, and sets
    every registry value back to its type and data before (or removes it when it did not exist).
  - Checks that the manifest is readable and every copy is present before writing anything.
  - Compares first and writes only what differs from the backup, so a second run reports no change.
  - Normally called by P(hardened.iis.rollback#module) when a rollout's health check fails.
author: hardened.iis maintainers (@hardened-iis)
options:
  backup:
    description:
      - The backup's id, as P(hardened.iis.iis_apply#module) returned it in C(backup)
        (C(20261122T081500123456Z)), found under O(backup_dir); or the backup folder's full path.
    type: str
    required: true
  backup_dir:
    description: Where P(hardened.iis.iis_apply#module) put its backups (its own O(hardened.iis.iis_apply#module:backup_dir)).
    type: path
    default: '%ProgramData%\hardened.iis\backups'
attributes:
  check_mode:
    description: Reports what would be restored and writes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.iis_apply
  - module: hardened.iis.rollback
"""

EXAMPLES = r"""
- name: Undo one apply (normally done by hardened.iis.rollback)
  hardened.iis.iis_restore:
    backup: 20261122T081500123456Z
"""

RETURN = r"""
backup:
  description: The backup restored from, as given.
  returned: always
  type: str
restored:
  description: The files written back.
  returned: always
  type: list
  elements: str
removed:
  description: The files removed because the apply had created them.
  returned: always
  type: list
  elements: str
registry:
  description: How many registry values differed from the backup and were set back (or removed).
  returned: always
  type: int
"""
