# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: snapshot_write
short_description: Write a host's gathered state as a snapshot directory on the controller
version_added: 0.1.0
description:
  - Writes the result of P(hardened.iis.iis_host_state#module) as a host snapshot, on the controller,
    in O(dest) (C(files/) mirroring the host's drives, C(state.yml), and C(manifest.sha256) with the
    SHA-256 of every file so that an evidence bundle can be shown untouched later).
  - An existing snapshot in O(dest) is replaced only when its content differs; the host is not touched.
  - This is an action plugin; it runs on the controller.
author: hardened.iis maintainers (@hardened-iis)
options:
  host_state:
    description: The registered result of P(hardened.iis.iis_host_state#module).
    type: dict
    required: true
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
- name: Read the host's state
  hardened.iis.iis_host_state:
  register: gathered

- name: Keep it as evidence on the controller
  hardened.iis.snapshot_write:
    host_state: "{{ gathered }}"
    dest: "/evidence/{{ inventory_hostname }}"
"""

RETURN = r"""
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
"""
