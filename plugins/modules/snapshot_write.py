# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: snapshot_write
short_description: Write a host's gathered state as a snapshot directory on the controller
version_added: 0.1.0
description:
  - Writes a host's state as a host snapshot, on the controller, in O(dest) (C(files/) mirroring the host's
    drives, C(state.yml), and C(manifest.sha256) with the SHA-256 of every file so that an evidence bundle
    can be shown untouched later).
  - Without O(host_state) the host is read here, through its target - a live host in one call of
    P(hardened.iis.iis_host_state#module), which also probes the paths the rule catalog's file checks look at
    (kept in C(state.yml) as C(present_paths), so an offline audit of the snapshot sees what the live audit saw);
    a snapshot host is copied.
  - An existing snapshot in O(dest) is replaced only when its content differs; the host is not touched.
  - This is an action plugin; it runs on the controller.
author: hardened.iis maintainers (@hardened-iis)
options:
  host_state:
    description: A registered result of P(hardened.iis.iis_host_state#module) to write instead of reading the host.
    type: dict
  dest:
    description: The snapshot directory to write (created when missing).
    type: path
    required: true
attributes:
  check_mode:
    description: Can run in check mode and report whether the snapshot would change, writing nothing.
    support: full
  diff_mode:
    description: Would show the changes made.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.iis_host_state
"""

EXAMPLES = r"""
- name: Read the host and keep its state as evidence on the controller
  hardened.iis.snapshot_write:
    dest: "/evidence/{{ inventory_hostname }}"

- name: Read the host's state
  hardened.iis.iis_host_state:
  register: gathered

- name: Write a gather result already read
  hardened.iis.snapshot_write:
    host_state: "{{ gathered }}"
    dest: "/evidence/{{ inventory_hostname }}"
"""

RETURN = r"""
target:
  description: How the host was reached - C(live) (module calls over its connection), C(snapshot) or C(gathered) (a given O(host_state)).
  returned: always
  type: str
  sample: live
remote_calls:
  description: Module calls made on the host (one gather on a live host; none for a snapshot).
  returned: always
  type: int
dest:
  description: The snapshot directory.
  returned: always
  type: str
files:
  description: How many files the snapshot holds.
  returned: always
  type: int
manifest:
  description: SHA-256 of every file of the snapshot, by path relative to the snapshot directory.
  returned: always
  type: dict
interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record is there). A collection
      records the host as it is, so it is not restored; the next P(hardened.iis.audit#module),
      P(hardened.iis.harden#module) or P(hardened.iis.rollback#module) restores it. Also a warning.
    - C(backup), C(started), C(holder), C(files) and C(registry), C(completed) (false).
  returned: when an interrupted apply was found
  type: dict
"""
