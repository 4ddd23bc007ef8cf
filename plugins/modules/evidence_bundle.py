# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: evidence_bundle
short_description: Write one host's evidence bundle on the controller, with a manifest sha256sum verifies
version_added: 0.1.0
description:
  - Writes into O(dest) - C(snapshot/) (the host's IIS configuration and state, as P(hardened.iis.snapshot_write#module)
    writes it), C(logs/) (the IIS logs that cover the window, by Windows path), C(processes.json), C(integrity.json)
    and C(hotfix.json) (when given), C(evidence.json) (who, when, the window, what was and was not collected) and
    C(manifest.sha256) (the SHA-256 of every other file, for C(sha256sum -c manifest.sha256)).
  - A host with a snapshot (host variable C(hardened_iis_snapshot)) is read on the controller - its files, the logs
    under its log folders (the W3C logs' own request times decide which cover the window), processes and listening
    ports from C(state.yml) when it has them; the snapshot's tree digest is taken before and after and the task
    fails if it changed.
  - A live host is read here, through its target - one P(hardened.iis.iis_host_state#module) call (with the probes of
    the paths the rules check), one P(hardened.iis.host_processes#module) call, one C(ansible.windows.win_find) of its
    log folders, and a fetch over the connection of each log that covers the window (by its name and write times).
  - What a playbook already read can be given instead (O(host_state), O(processes), O(logs)); then only that is written.
  - Nothing is written in check mode.
author: hardened.iis maintainers (@hardened-iis)
options:
  dest:
    description: The host's bundle directory (C(<hardened_iis_report_dir>/evidence/<UTC timestamp>/<host>)).
    type: path
    required: true
  window_start:
    description: Start of the time window of the logs (ISO 8601; UTC when no zone is given).
    type: str
    required: true
  window_end:
    description: End of the time window.
    type: str
    required: true
  snapshot:
    description: The host's snapshot directory; default the host variable C(hardened_iis_snapshot), else the host is live.
    type: path
  host_state:
    description: A live host's P(hardened.iis.iis_host_state#module) result, written instead of reading the host.
    type: dict
  processes:
    description: A live host's processes and listening ports (a P(hardened.iis.host_processes#module) result), written instead of reading them.
    type: raw
  logs:
    description: Logs a playbook fetched into C(logs/) itself (P(hardened.iis.evidence_logs#filter) entries), instead of fetching them here.
    type: list
    elements: dict
    default: []
  integrity:
    description: The integrity verification result, written as C(integrity.json).
    type: raw
  hotfix:
    description: The P(hardened.iis.hotfix_compliance#module) result, written as C(hotfix.json).
    type: raw
  collected_by:
    description: Who collected the evidence.
    type: str
    default: ''
  bundle:
    description: The bundle's name (its UTC timestamp).
    type: str
    default: ''
attributes:
  check_mode:
    description: Writes nothing and reports the task as skipped.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: Runs on the controller.
    support: full
    platforms: posix
seealso:
  - module: hardened.iis.snapshot_write
  - module: hardened.iis.integrity
  - module: hardened.iis.hotfix_compliance
"""

EXAMPLES = r"""
- name: Write the evidence bundle of a snapshot host
  hardened.iis.evidence_bundle:
    dest: /srv/evidence/20261120T101500Z/web01
    window_start: "2026-11-19T00:00:00Z"
    window_end: "2026-11-20T10:15:00Z"
    collected_by: jdoe
"""

RETURN = r"""
dest:
  description: The bundle directory.
  returned: always
  type: str
manifest:
  description: The path of C(manifest.sha256).
  returned: success
  type: str
files:
  description: How many files the manifest names.
  returned: success
  type: int
logs:
  description: The logs in the bundle - C(path) on the host, C(bundle) in the bundle, C(covers), C(reason).
  returned: success
  type: list
  elements: dict
not_collected:
  description: What the bundle does not hold, and why (C(what), C(why)).
  returned: success
  type: list
  elements: dict
tree_before:
  description: The snapshot's tree digest before collecting (None for a live host).
  returned: success
  type: str
tree_after:
  description: The snapshot's tree digest after collecting.
  returned: success
  type: str
unchanged:
  description: Whether the snapshot is unchanged (always true for a live host, which the module does not contact).
  returned: success
  type: bool
interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record is there). A collection
      records the host as it is, so it is not restored; the next P(hardened.iis.audit#module),
      P(hardened.iis.harden#module) or P(hardened.iis.rollback#module) restores it. Also a warning.
    - C(backup), C(started), C(holder), C(files) and C(registry), C(completed) (false).
  returned: when an interrupted apply was found on a live host
  type: dict
"""
