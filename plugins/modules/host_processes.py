# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: host_processes
short_description: Read a Windows host's running processes and listening ports, changing nothing
version_added: 0.2.0
description:
  - Returns every running process (C(Win32_Process)) and every listening TCP port and UDP endpoint, with the
    owning process, in one call; C(playbooks/collect_evidence.yml) keeps them in an evidence bundle.
  - Command lines can hold passwords; register the result with C(no_log).
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
  - module: hardened.iis.evidence_bundle
"""

EXAMPLES = r"""
- name: Read the processes and listening ports for the evidence bundle
  hardened.iis.host_processes:
  register: processes
  no_log: true
"""

RETURN = r"""
collected_at:
  description: When they were read (UTC, ISO 8601).
  returned: always
  type: str
processes:
  description: Each process with C(pid), C(parent_pid), C(name), C(path), C(command_line) and C(started) (UTC, ISO 8601).
  returned: always
  type: list
  elements: dict
listening_ports:
  description: Each listening TCP port and UDP endpoint with C(protocol), C(address), C(port) and C(pid).
  returned: always
  type: list
  elements: dict
"""
