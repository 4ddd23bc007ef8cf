# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: change_set
short_description: Read and identify a rollout change set, and record or require that it passed the test stage
version_added: 0.1.0
description:
  - Reads a change set (a baseline change for P(hardened.iis.harden#module), an approved-updates manifest, or both;
    format in docs/rollout.md), checks every key and rule id, and identifies it by the SHA-256 of its canonical
    content and of the bytes of the manifest it names.
  - With O(approval=record) writes the record that it passed the test stage, C(rollout-<sha256>.json) in
    O(approvals_dir); with O(approval=require) fails unless that record exists for exactly this content, and says
    whether the change set was never tested or changed since.
  - Runs on the controller; changes no host.
author: hardened.iis maintainers (@hardened-iis)
options:
  path:
    description: The change set file (YAML).
    type: path
    required: true
  catalog:
    description: The rule catalog the rule ids are checked against; default the collection's C(rules/iis10.yml).
    type: path
  approvals_dir:
    description: Where approval records are written and looked up; needed unless O(approval=none).
    type: path
  approval:
    description: What to do about the approval.
    type: str
    default: none
    choices: [none, record, require]
  tested:
    description: With O(approval=record), the test hosts and what their trials showed (stored in the record).
    type: dict
    default: {}
  approver:
    description: Who approves, stored in the record; default the user running Ansible.
    type: str
attributes:
  check_mode:
    description: With O(approval=record), returns the record and writes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: The control node.
    support: full
    platforms: posix
seealso:
  - module: hardened.iis.harden
  - module: hardened.iis.rollback
"""

EXAMPLES = r"""
- name: Refuse a change set that has not passed the test stage
  hardened.iis.change_set:
    path: change-sets/2026-11.yml
    approvals_dir: reports/approvals
    approval: require
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
change_set:
  description: The change set - path, name, sha256, baseline (rules, skip_rules, params, exceptions), has_baseline, updates_manifest.
  returned: success
  type: dict
approval:
  description: The approval record written or found.
  returned: when O(approval) is not C(none)
  type: dict
approval_path:
  description: The approval record's file.
  returned: when O(approval) is not C(none)
  type: str
"""
