# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: harden
short_description: Make an IIS host pass the hardened baseline, planned on the controller and applied in one step
version_added: 0.1.0
description:
  - Computes on the controller the full change plan for a host from its state and the rules chosen
    (edits of IIS configuration files that keep every untouched byte, registry values, Windows
    features), then applies it in one step with a backup, a compare-and-swap on each file's
    SHA-256, validation, and restore on any failure; then audits the host again.
  - In check mode it stops after the plan and reports it; with C(--diff) it shows a unified diff
    of every file and the before and after of every registry value.
  - Findings whose rule has manual remediation, and findings covered by an unexpired exception,
    are left as they are.
  - A host with a snapshot (host variable C(hardened_iis_snapshot)) is read from it and the snapshot
    receives the changes. A live host is read with one call of P(hardened.iis.iis_host_state#module),
    changed with one call of P(hardened.iis.iis_apply#module) (plus one call of
    P(ansible.windows.win_feature#module) per Windows feature to add or remove, which handles the
    feature's reboot needs), and read again to verify.
author: hardened.iis maintainers (@hardened-iis)
extends_documentation_fragment:
  - hardened.iis.baseline
options:
  rule_tags:
    description: Only rules carrying one of these catalog tags (for example C(lockdown), C(urlscan), C(tls)).
    type: list
    elements: str
  backup_retention:
    description: How many backups to keep.
    type: int
    default: 5
  extra_rules:
    description:
      - More rules in the catalog format (docs/rules-format.md), evaluated and applied with the catalog's,
        for example the emergency deny rules made by the P(hardened.iis.emergency_rules#filter) filter.
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    description: Computes and reports the plan without writing anything.
    support: full
  diff_mode:
    description: Shows a unified diff of every file and the before and after of every registry value.
    support: full
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
seealso:
  - module: hardened.iis.audit
  - module: hardened.iis.iis_apply
"""

EXAMPLES = r"""
- name: Harden a host, request filtering rules only
  hardened.iis.harden:
    rule_tags: [urlscan]

- name: Show what would change, with diffs
  hardened.iis.harden:
  check_mode: true
  diff: true
"""

RETURN = r"""
target:
  description: How the host was reached - C(live) (module calls over its connection) or C(snapshot).
  returned: always
  type: str
  sample: live
plan:
  description: The plan (files with SHA-256 before and after and their diff, registry values, features, rules it fixes, findings it cannot fix).
  returned: always
  type: dict
backup:
  description: The id of the backup taken before writing (none in check mode or when nothing changed).
  returned: always
  type: str
score_before:
  description: The audit score before the change.
  returned: always
  type: dict
score_after:
  description: The audit score after the change (in check mode, the score the plan would reach).
  returned: always
  type: dict
findings:
  description: The findings after the change, in the shared findings format (in check mode, the findings the plan would leave).
  returned: always
  type: list
  elements: dict
remote_calls:
  description: Module calls made on the host (none for a snapshot host; gather, apply and verify, plus one per feature change, for a live host).
  returned: always
  type: int
reboot_required:
  description: Whether the host must restart for the change to take effect (a SCHANNEL value or a feature changed on a live host).
  returned: always
  type: bool
"""
