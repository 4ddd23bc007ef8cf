# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: iis_apply
short_description: Execute a hardened.iis change plan on a Windows host in one call, with backup and rollback
version_added: 0.1.0
description:
  - Executes a plan computed on the controller by P(hardened.iis.harden#module) and decides nothing.
  - Refuses to write anything when a file no longer has the SHA-256 the plan was computed from
    (compare and swap).
  - Backs up every file and registry value it will change to a timestamped folder (keeping the
    newest O(backup_retention)), writes the files (each through a temporary file and a rename) and
    registry values, then validates the IIS configuration by loading every application's
    configuration through the IIS configuration API. On any failure it restores every file and
    registry value it touched, so the host is as before.
  - An application whose configuration could not be loaded before the write (a web.config IIS
    cannot read, which P(hardened.iis.harden#module) leaves alone) does not fail the validation;
    one that stops loading after the write does.
  - Crash consistency. Before its first change it writes an intent record (C(hardened-iis-intent.json) under
    O(backup_dir), naming the backup's id, every file and registry value it is about to change with their SHA-256
    before and after, and the O(lock_holder)) to a temporary file, flushes it to disk and renames it, and removes
    it once the change is validated. Each file is written to a temporary file beside it, flushed to disk and
    swapped in with C([System.IO.File]::Replace) (moved into place when it is new), so a file is old or new,
    never torn. A record found later means an apply never finished; this module (and
    P(hardened.iis.iis_restore#module)) restores that apply's backup first, under the lock, and reports it in
    RV(recovered_interrupted_apply); P(hardened.iis.iis_host_state#module) reports a record it finds, so the
    controller completes the restore before it plans anything.
  - One writer at a time. The whole call holds the host's lock (O(lock_timeout)); compare and swap happens under it,
    and a plan refused by it after the call waited for the lock names the call it waited for.
  - A backup that cannot be written (a full disk) fails the call naming the backup folder and the free space left;
    the incomplete folder is removed and nothing is changed. A folder without C(backup.json) that an earlier,
    killed, call left behind is removed once the lock is held.
author: hardened.iis maintainers (@hardened-iis)
options:
  files:
    description: Files to write.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file's Windows path.
        type: str
        required: true
      before_sha256:
        description: The SHA-256 (lower-case hex) the file had when the plan was made; absent for a new file.
        type: str
      content:
        description:
          - The new content, base64.
          - It holds the file's secrets as they are on the host, so it is never logged (C(no_log)); the plan's
            diffs that the controller shows are redacted (docs/diffs-and-secrets.md).
        type: str
        required: true
  registry:
    description: Registry values to set, or to delete (O(registry[].state=absent)).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The key (C(HKLM\...)).
        type: str
        required: true
      name:
        description: The value's name.
        type: str
        required: true
      type:
        description: The value's type.
        type: str
        default: dword
        choices: [dword, qword, string, expandstring, multistring]
      value:
        description: The data. Required unless O(registry[].state=absent).
        type: raw
      state:
        description:
          - V(present) writes O(registry[].value); V(absent) deletes the value (the backup records
            its data, and a restore puts it back).
        type: str
        default: present
        choices: [present, absent]
  backup_dir:
    description: Where backups go, one timestamped folder per apply.
    type: path
    default: '%ProgramData%\hardened.iis\backups'
  backup_retention:
    description: How many backups to keep.
    type: int
    default: 5
  validate:
    description:
      - Whether to load every application's configuration through the IIS configuration API after writing
        (and before, to know which applications could not be loaded already).
    type: bool
    default: true
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
    description: Reports whether anything would change, writing nothing.
    support: full
  diff_mode:
    description: The plan's diff is shown by P(hardened.iis.harden#module), which computes it.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.harden
  - module: hardened.iis.iis_host_state
"""

EXAMPLES = r"""
- name: Apply a plan (normally done by hardened.iis.harden)
  hardened.iis.iis_apply:
    files:
      - path: C:\inetpub\shop\web.config
        before_sha256: 0d6c6f1e6a2c0f5b7e0c4d2b3a1f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29
        content: PD94bWwgdmVyc2lvbj0iMS4wIj8+PGNvbmZpZ3VyYXRpb24+PC9jb25maWd1cmF0aW9uPg==
    registry:
      - path: HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server
        name: Enabled
        value: 0
"""

RETURN = r"""
backup:
  description:
    - The id of this apply's backup (UTC to the microsecond, C(20261122T081500123456Z)), to give to
      P(hardened.iis.iis_restore#module) or P(hardened.iis.rollback#module). Null in check mode and when nothing changed.
    - The backup (C(backup.json), format 2, and the file copies) records every file with its SHA-256 and every
      registry value with its type.
  returned: always
  type: str
backup_path:
  description: The folder of this apply's backup on the host. Null in check mode and when nothing changed.
  returned: always
  type: str
restored:
  description: Whether a failed apply was undone.
  returned: always
  type: bool
files:
  description: The files written (empty when nothing changed).
  returned: always
  type: list
  elements: str
registry:
  description: How many registry values differed (data or type) and were set or removed.
  returned: always
  type: int
recovered_interrupted_apply:
  description:
    - An apply that never finished (its process was killed, the host stopped), when its intent record
      (C(hardened-iis-intent.json) under O(backup_dir)) was found once the lock was held. The host was restored from that
      apply's backup, compare first, before anything else, and the record removed. Null otherwise.
    - C(backup), C(started), C(holder) (the O(lock_holder) of that apply, with C(host_pid)), C(files) and C(registry)
      (what it was changing), C(completed) (true), C(restored) and C(removed) (files written back and removed),
      C(registry_restored) (registry values set back).
  returned: always
  type: dict
  sample: {backup: 20261122T081500123456Z, completed: true, restored: ['C:\inetpub\shop\web.config'], removed: [], registry_restored: 1}
"""
