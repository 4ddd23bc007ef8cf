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
  - Before anything is written, and in check mode too, the host as the plan would leave it is validated
    on the controller with the checks the apply runs after writing (every file parsed, every site,
    application and folder resolved, duplicate sections, elements and collection keys refused), so check
    mode fails exactly where the real run would; an error names the line of the file on disk, says when
    the file is already invalid there, and otherwise which planned edit (by its on-disk lines) causes it.
  - In check mode it stops after the plan and that validation and reports it; with C(--diff) it shows a unified diff
    of every file and the before and after of every registry value.
  - Secrets in diffs, in the plan and in findings' evidence are replaced by C([redacted]) on both sides of
    a diff, context lines included (passwords, connection strings, machine keys, C(appSettings) values whose
    key names a password, secret, token or key, encrypted sections); O(show_secrets) shows them raw.
  - Findings whose rule has manual remediation, and findings covered by an unexpired exception,
    are left as they are.
  - A web.config IIS cannot read is left alone and listed in RV(skipped_files); everything that does not
    depend on it is hardened.
  - A host with a snapshot (host variable C(hardened_iis_snapshot)) is read from it and the snapshot
    receives the changes. A live host is read with one call of P(hardened.iis.iis_host_state#module),
    changed with one call of P(hardened.iis.iis_apply#module) (plus one call of
    P(ansible.windows.win_feature#module) per Windows feature to add or remove, which handles the
    feature's reboot needs), and read again to verify.
  - One run at a time on a host, and crash-consistent. A snapshot is locked from the gather to the
    verification, a live host for the length of P(hardened.iis.iis_apply#module); a second run waits up to
    O(lock_timeout) seconds, then fails naming the holder. An apply killed before it finished leaves an
    intent record on the host; this run (and any audit or rollback) first restores the host from that
    apply's backup and reports it in RV(recovered_interrupted_apply). A backup that cannot be written (a full
    disk) fails naming the folder and the free space, and changes nothing. See docs/host-state.md.
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
  lock_timeout:
    description:
      - Seconds to wait for another run's lock on the host (a snapshot's C(.hardened-iis-backups/hardened-iis.lock),
        a live host's lock taken by P(hardened.iis.iis_apply#module) and P(hardened.iis.iis_restore#module)), then
        fail naming its holder and changing nothing. V(0) refuses at once.
      - docs/host-state.md "Interrupted applies and the host lock".
    type: int
    default: 60
  allow_disruptive:
    description:
      - Rules whose C(breaks-if-in-use) remediation harden may make wherever the rule fails, even where its precondition
        does not hold (requiring SSL on a site without an https binding, replacing a pool's service account, lowering
        the trust level). Without it such a remediation is made only where its precondition holds; elsewhere the finding
        stays failing, listed in RV(held_back) with the reason.
      - Defaults to the host variable C(hardened_iis_allow_disruptive), else none. An unknown rule id is an error.
      - docs/rules-format.md "Impact and preconditions"; the impact class of every rule is in docs/rules.md.
    type: list
    elements: str
attributes:
  check_mode:
    description: Computes and reports the plan without writing anything.
    support: full
  diff_mode:
    description:
      - First what the plan does by impact class, most disruptive first, and what it leaves to a person;
        then a unified diff of every file and the before and after of every registry value.
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
  description:
    - The plan (files with SHA-256 before and after and their diff, registry values, features, rules it fixes, findings it cannot fix).
    - C(fixes) lists each remediation it makes with its impact class (C(none), C(restart), C(breaks-if-in-use)), most disruptive first;
      C(held_back) the disruptive ones it left to a person.
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
held_back:
  description:
    - Remediations that can break a running application (impact C(breaks-if-in-use)) which the plan did not make,
      because their precondition does not hold at that scope and the rule is not in O(allow_disruptive). The finding
      stays failing and its remediation says what a person must do. Also one warning.
  returned: always
  type: list
  elements: dict
  contains:
    rule:
      description: The rule id.
      type: str
    scope:
      description: Where the finding is (C(server), a site, a site and URL path).
      type: str
    reason:
      description: What was found, and what the precondition needs.
      type: str
  sample:
    - rule: iis-require-ssl
      scope: Default Web Site
      reason: >-
        its impact is breaks-if-in-use and its precondition does not hold: site 'Default Web Site' has bindings: http
        (needs: the site has an https binding)
skipped_files:
  description:
    - Files the plan left alone, and why - each web.config IIS cannot read (not well-formed, a duplicate section
      or collection key, a C(configSource) file it cannot use). IIS answers HTTP 500.19 for the URLs below such a
      file, so nothing in it or below it is changed; the rest of the host is hardened. Each is also a warning.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file's Windows path.
      type: str
    line:
      description: The line of the fault (in the file a C(configSource) names, when the fault is there).
      type: int
    reason:
      description: The cause, and the site and URL path that depend on the file.
      type: str
  sample:
    - path: C:\inetpub\shop\web.config
      line: 8
      reason: "IIS cannot read it (C:\\inetpub\\shop\\web.config:8: not well-formed XML: mismatched tag) and answers HTTP 500.19
        for URLs under Default Web Site/shop; nothing in it or below Default Web Site/shop is changed until a person corrects it"
recovered_interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record was still there); the host was
      restored from that apply's backup before it was read and planned, and the record removed. Also a warning.
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
