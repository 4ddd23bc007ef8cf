# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: iis_runtime
short_description: Stop or start IIS sites and application pools at once, on whatever kind of host
version_added: 0.2.0
description:
  - Stops (or starts) the named sites and application pools that are running (or stopped) now. Names the host
    does not have are left out, not an error, so one list serves a whole fleet.
  - A live host is read with one call of C(microsoft.iis.website_info) and one of C(microsoft.iis.web_app_pool_info),
    then changed with one call of C(microsoft.iis.website) or C(microsoft.iis.web_app_pool) per site or pool.
  - A host with a snapshot has nothing running; the task reports RV(runtime=false) and changes nothing, so
    playbooks need no branch of their own for snapshots.
  - This is an action plugin; the emergency mitigation and its rollback use it.
author: hardened.iis maintainers (@hardened-iis)
options:
  stop_sites:
    description: Sites to stop at once.
    type: list
    elements: str
    default: []
  stop_app_pools:
    description: Application pools to stop at once.
    type: list
    elements: str
    default: []
  start_sites:
    description: Sites to start again.
    type: list
    elements: str
    default: []
  start_app_pools:
    description: Application pools to start again.
    type: list
    elements: str
    default: []
  snapshot:
    description: The host's snapshot directory (default the host variable C(hardened_iis_snapshot)); a snapshot has no runtime.
    type: path
attributes:
  check_mode:
    description: Reports what would be stopped or started and changes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: A Windows host; a snapshot reports that it has no runtime.
    support: full
    platforms: posix, windows
seealso:
  - module: microsoft.iis.website
  - module: microsoft.iis.web_app_pool
"""

EXAMPLES = r"""
- name: Stop the shop's pool at once
  hardened.iis.iis_runtime:
    stop_app_pools: [ShopPool]
  register: stopped

- name: Start it again
  hardened.iis.iis_runtime:
    start_app_pools: "{{ stopped.stopped.app_pools }}"
"""

RETURN = r"""
runtime:
  description: Whether the host has running sites and pools to act on (false for a snapshot).
  returned: always
  type: bool
stopped:
  description: The C(sites) and C(app_pools) that were running and were stopped (would be, in check mode).
  returned: always
  type: dict
  sample: {sites: [], app_pools: [ShopPool]}
started:
  description: The C(sites) and C(app_pools) that were stopped and were started (would be, in check mode).
  returned: always
  type: dict
target:
  description: How the host was reached - C(live) or C(snapshot).
  returned: always
  type: str
remote_calls:
  description: Module calls made on the host.
  returned: always
  type: int
"""
