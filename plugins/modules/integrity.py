# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: integrity
short_description: Capture, verify and rebaseline a host's file integrity against signed baselines on the controller
version_added: 0.1.0
description:
  - Reads the host in one call of P(hardened.iis.integrity_capture#module) and, on the controller, stores, signs and
    compares. Baselines live in O(store) on the controller, one folder per host, versioned, each signed with
    Ed25519 or HMAC-SHA256; a baseline whose signature, host or version does not check out is an error, never a pass.
  - "O(action=capture): store the first baseline; when one exists and the host matches it, nothing changes; when the host
    differs, the task fails and asks for verify and rebaseline."
  - "O(action=verify): compare with the newest baseline: added, removed, renamed and changed entries (which attributes,
    old and new), in the shared findings format and as console lines; fails on a change under a C(fail) policy."
  - "O(action=rebaseline): after an approved change, store a new version recording who, when, why and which change."
  - This is an action plugin; comparing and signing run on the controller.
author: hardened.iis maintainers (@hardened-iis)
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [capture, verify, rebaseline]
  roots:
    description: The folders or files to capture (see P(hardened.iis.integrity_capture#module)).
    type: list
    elements: str
    required: true
  exclude:
    description: Glob patterns of paths to leave out (C(*) within a segment, C(**) across segments).
    type: list
    elements: str
    default: []
  algorithm:
    description: The content hash; it must be the one the baseline was made with.
    type: str
    choices: [sha256, sha512, blake2b]
    default: sha256
  store:
    description: The baseline store on the controller; the host's baselines are in C(<store>/<inventory_hostname>/).
    type: path
    required: true
  keep:
    description: How many versions of a host's baseline to keep.
    type: int
    default: 10
  signing_key:
    description: Path of the Ed25519 private key (PEM) that signs baselines, on the controller.
    type: path
  signing_key_content:
    description: The Ed25519 private key (PEM) itself, for example from Ansible Vault.
    type: str
  signing_key_passphrase:
    description: The passphrase of an encrypted private key.
    type: str
  verify_key:
    description: Path of the Ed25519 public key (PEM); enough for O(action=verify).
    type: path
  hmac_key:
    description: An HMAC-SHA256 key of at least 32 bytes (vault it) instead of an Ed25519 key.
    type: str
  policy:
    description:
      - What a change under a path means; the first glob that matches wins and unmatched paths are C(fail).
        C(warn) changes are reported as C(excepted) findings and do not fail the task.
    type: list
    elements: dict
    default: []
    suboptions:
      glob:
        description: A path glob.
        type: str
        required: true
      action:
        description: C(fail) or C(warn).
        type: str
        required: true
        choices: [fail, warn]
  reason:
    description: Why the files changed (required for O(action=rebaseline)); recorded in the baseline.
    type: str
  change:
    description: Which change produced the new state (a ticket, or the harden or patch run); recorded in the baseline.
    type: str
  approved_by:
    description: Who approved it; defaults to the user running Ansible on the controller.
    type: str
  incremental:
    description:
      - Re-hash only files whose size or modification time changed since the baseline. One run in O(full_every),
        chosen at random, re-hashes everything, so a change that keeps size and time is still found.
    type: bool
    default: false
  full_every:
    description: With O(incremental), on average one run in this many re-hashes every file.
    type: int
    default: 10
  fail_on_change:
    description: Whether O(action=verify) fails when a change under a C(fail) policy is found.
    type: bool
    default: true
  capture:
    description: An P(hardened.iis.integrity_capture#module) result to use instead of calling the module on the host.
    type: dict
attributes:
  check_mode:
    description: Verify only reads; capture and rebaseline report the version they would store and write nothing.
    support: full
  diff_mode:
    description: The changes are in the result, not in a diff.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: [posix, windows]
notes:
  - "Defaults for IIS servers are in the P(hardened.iis.integrity#role) role: the IIS configuration folder, C(inetsrv)
    binaries, web roots and .NET configuration, without logs, FREB traces and temporary ASP.NET files."
seealso:
  - module: hardened.iis.integrity_capture
"""

EXAMPLES = r"""
- name: Verify a host against its signed baseline
  hardened.iis.integrity:
    action: verify
    roots: ['%windir%\System32\inetsrv\config', 'C:\inetpub\wwwroot']
    store: /srv/integrity
    verify_key: /srv/integrity/keys/baseline.pub
    policy:
      - {glob: 'C:\inetpub\wwwroot\uploads\**', action: warn}
  register: integrity

- name: Rebaseline after the approved hardening
  hardened.iis.integrity:
    action: rebaseline
    roots: ['%windir%\System32\inetsrv\config', 'C:\inetpub\wwwroot']
    store: /srv/integrity
    signing_key_content: "{{ vault_integrity_signing_key }}"
    reason: hardening to the CIS baseline, approved in CHG-4711
    change: harden run 2026-11-22
"""

RETURN = r"""
baseline:
  description: The baseline compared with (version, when, who, why, which change, entries, file).
  returned: when a baseline exists
  type: dict
changes:
  description: Each change with its kind (added, removed, renamed, changed), path, type, policy action and, for changed entries, the attributes old and new.
  returned: when a baseline exists
  type: list
  elements: dict
counts:
  description: How many entries were added, removed, renamed and changed.
  returned: when a baseline exists
  type: dict
summary:
  description: Console lines, the host's verdict first.
  returned: when a baseline exists
  type: list
  elements: str
findings:
  description: The verification in the shared findings format.
  returned: with O(action=verify)
  type: list
  elements: dict
stored:
  description: The baseline version stored.
  returned: when a baseline was stored
  type: dict
would_store:
  description: In check mode, the version that would be stored.
  returned: in check mode, when a baseline would be stored
  type: dict
entries:
  description: The number of entries captured.
  returned: success
  type: int
unreadable:
  description: Entries the capture could not read, with the reason.
  returned: success
  type: list
  elements: dict
remote_calls:
  description: Module calls made on the host (1, or 0 with O(capture)).
  returned: always
  type: int
"""
