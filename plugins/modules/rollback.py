# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: rollback
short_description: Undo one hardened.iis.harden apply on a host, byte for byte, from its backup
version_added: 0.1.0
description:
  - Puts back every file (and registry value) that one apply of P(hardened.iis.harden#module) changed, from the
    backup that apply returned, and removes the files it created.
  - A host with a snapshot (host variable C(hardened_iis_snapshot)) is restored on the controller, C(state.yml)
    included (registry values and features); a live host with one call of P(hardened.iis.iis_restore#module).
  - Checks that the backup is complete before writing anything. A second run changes nothing.
  - Used by the rollout playbook when a host fails its health check.
  - Holds the host's lock (O(lock_timeout)), and first restores an apply that was killed before it finished, if
    one left its intent record (RV(recovered_interrupted_apply)).
author: hardened.iis maintainers (@hardened-iis)
options:
  backup:
    description:
      - What P(hardened.iis.harden#module) returned in C(backup) - the backup's id (C(20261206T041500123456Z)), on a
        snapshot host and on a live host alike (a live host also takes the backup folder's full path).
      - The backup (C(backup.json), format 2, the same for both) records every file with its SHA-256 and every registry
        value with its type. The restore compares first and writes only what differs, so a second rollback reports no change.
    type: str
    required: true
  snapshot:
    description: The host's snapshot directory; default the host variable C(hardened_iis_snapshot), else the host is live.
    type: path
  lock_timeout:
    description:
      - Seconds to wait for another run's lock on the host (a snapshot's C(.hardened-iis-backups/hardened-iis.lock),
        a live host's lock taken by P(hardened.iis.iis_apply#module) and P(hardened.iis.iis_restore#module)), then
        fail naming its holder and changing nothing. V(0) refuses at once.
      - docs/host-state.md "Interrupted applies and the host lock".
    type: int
    default: 60
attributes:
  check_mode:
    description: Reports what would be restored and writes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: A snapshot on the controller, or a Windows host.
    support: full
    platforms: posix, windows
seealso:
  - module: hardened.iis.harden
  - module: hardened.iis.iis_restore
"""

EXAMPLES = r"""
- name: Harden, and undo it when the site is no longer healthy
  block:
    - name: Harden the host
      hardened.iis.harden:
      register: hardened
    - name: Check the site
      ansible.builtin.uri:
        url: https://web01.example.com/
      delegate_to: localhost
  rescue:
    - name: Put the host back as it was
      hardened.iis.rollback:
        backup: "{{ hardened.backup }}"
      when: hardened.backup | default(none) is not none
"""

RETURN = r"""
registry:
  description: Registry values put back one by one (live hosts; a snapshot's registry is its C(state.yml), listed in RV(restored)).
  returned: always
  type: int
backup:
  description: The backup restored from.
  returned: always
  type: str
restored:
  description: The files written back (paths inside the snapshot, or Windows paths).
  returned: always
  type: list
  elements: str
removed:
  description: The files removed because the apply had created them.
  returned: always
  type: list
  elements: str
recovered_interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record was still there); the host was
      restored from that apply's backup before the rollback asked for, and the record removed. Also a warning.
    - C(backup), C(started), C(holder) (who ran it), C(files) and C(registry) (what it was changing), C(completed) (true),
      C(restored) and C(removed) (files written back, files removed).
  returned: when an interrupted apply was found and restored
  type: dict
  sample: {backup: 20261206T041500123456Z, started: '2026-12-06T04:15:00Z', completed: true, restored: [], removed: []}
interrupted_apply:
  description:
    - An earlier apply that never finished was found, and left as it is (check mode). Also a warning. The keys of
      RV(recovered_interrupted_apply), with C(completed) false.
  returned: when an interrupted apply was found in check mode
  type: dict
"""
