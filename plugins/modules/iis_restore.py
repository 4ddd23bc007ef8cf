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
  - Holds the host's lock (the one P(hardened.iis.iis_apply#module) takes) for the whole call. Once it holds it, an
    intent record left by an apply that never finished is completed first (that apply's backup restored, the
    record removed) and reported in RV(recovered_interrupted_apply). Each file is written back through a temporary
    file flushed to disk and swapped in, as the apply writes.
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
  interrupted_only:
    description:
      - Only complete an interrupted apply. O(backup) is the id P(hardened.iis.iis_host_state#module) reported in
        its RV(hardened.iis.iis_host_state#module:interrupted_apply); the backup is restored only when the intent
        record still names it once the lock is held (otherwise that apply has finished since, or another run
        completed it), and nothing else is restored.
    type: bool
    default: false
  lock_timeout:
    description:
      - Seconds to wait for the host's lock when another P(hardened.iis.iis_apply#module) or
        P(hardened.iis.iis_restore#module) holds it; then the call fails, naming the holder, and changes nothing.
      - The lock is the file C(hardened-iis.lock) under O(backup_dir), opened for writing with no write
        sharing for as long as the call runs; Windows closes it when the call's process ends, however it
        ends, so a killed call never blocks the next one.
    type: int
    default: 60
  lock_holder:
    description:
      - Who is calling (the controller, user, process and purpose), written into the lock file for
        another caller's message and into the intent record. P(hardened.iis.harden#module) and
        P(hardened.iis.rollback#module) pass it.
    type: dict
    default: {}
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
recovered_interrupted_apply:
  description:
    - An apply that never finished (its process was killed, the host stopped), when its intent record
      (C(hardened-iis-intent.json) under O(backup_dir)) was found once the lock was held. The host was restored from that
      apply's backup, compare first, before the restore asked for, and the record removed. Null otherwise.
    - C(backup), C(started), C(holder) (the O(lock_holder) of that apply, with C(host_pid)), C(files) and C(registry)
      (what it was changing), C(completed) (true), C(restored) and C(removed) (files written back and removed),
      C(registry_restored) (registry values set back).
  returned: always
  type: dict
  sample: {backup: 20261122T081500123456Z, completed: true, restored: ['C:\inetpub\shop\web.config'], removed: [], registry_restored: 1}
"""
