# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: audit
short_description: Audit an IIS host against the hardened baseline (CIS IIS 10, DISA IIS 10.0 STIGs)
version_added: 0.1.0
description:
  - Reads the host's state, from its snapshot (host variable C(hardened_iis_snapshot)) or from the
    result of the P(hardened.iis.iis_host_state#module) gather, and evaluates the rule catalog on the
    controller. Returns one finding per rule and scope (server, site, or application path where a
    C(<location>) or web.config changes the setting the rule reads).
  - A web.config IIS cannot read (IIS answers HTTP 500.19 for the URLs below it) is one finding with
    rule id C(config-file-unreadable) and status C(error) at the scope where IIS reads it, naming the file,
    the line and the cause and listing the rules it kept from being evaluated there; every other scope is
    evaluated. A broken applicationHost.config, machine.config or root web.config fails the host.
  - A finding's C(evidence.actual) that is a secret (a password, a connection string, a machine key, a
    registry value whose name says it is one) is returned as C([redacted]) unless O(show_secrets) is on.
  - Never changes the host, but for one thing. This is an action plugin; the evaluation runs on the controller.
  - The one thing - an apply of P(hardened.iis.harden#module) that was killed before it finished leaves the host
    partly changed and an intent record on it; the host is restored from that apply's backup before it is read
    (not in check mode), and RV(recovered_interrupted_apply) and a warning say so (docs/host-state.md).
author: hardened.iis maintainers (@hardened-iis)
extends_documentation_fragment:
  - hardened.iis.baseline
options:
  host_state:
    description:
      - The result of P(hardened.iis.iis_host_state#module) for a live host. Used when no snapshot is given.
    type: dict
  today:
    description: The date exceptions are judged against (YYYY-MM-DD). Defaults to the controller's date.
    type: str
attributes:
  check_mode:
    description: Can run in check mode and return the same result as without it.
    support: full
    details: The audit never changes anything.
  diff_mode:
    description: Would show what changes; the audit changes nothing.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
notes:
  - The findings format is documented by C(schemas/findings.schema.json) in the collection.
seealso:
  - module: hardened.iis.iis_host_state
"""

EXAMPLES = r"""
- name: Audit a host read from its snapshot
  hardened.iis.audit:
    snapshot: /evidence/web01
    exceptions:
      - rule: iis-directory-browsing-off
        scope: Default Web Site/downloads
        reason: Public download index, approved by change CHG-1234
        expires: "2027-03-31"
  register: audit

- name: Audit a live host
  block:
    - name: Read the host's state in one call
      hardened.iis.iis_host_state:
      register: gathered
    - name: Evaluate the baseline on the controller
      hardened.iis.audit:
        host_state: "{{ gathered }}"
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
reported_name:
  description: The computer name the host reported, when it differs from the inventory name (the findings are keyed by the inventory name).
  returned: when it differs
  type: str
findings:
  description: One finding per rule and scope, in the shared findings format.
  returned: always
  type: list
  elements: dict
  sample:
    - host: web01
      rule_id: iis-directory-browsing-off
      title: Directory browsing is disabled
      references: {cis_iis10: ["1.3"], stig: ["V-218808", "V-218759"]}
      severity: medium
      status: fail
      scope: Default Web Site/shop
      evidence:
        file: C:\Windows\System32\inetsrv\config\applicationHost.config
        line: 322
        location_path: Default Web Site/shop
        actual: "true"
        expected: equals 'false'
      remediation: set system.webServer/directoryBrowse@enabled = 'false' at Default Web Site/shop
score:
  description: Counts per status and the score, passed / (passed + failed).
  returned: always
  type: dict
  sample: {passed: 40, failed: 12, manual: 30, excepted: 1, errors: 0, not_applicable: 2, score: 0.7692}
recovered_interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record was still there); the host was
      restored from that apply's backup before it was read (an audit changes nothing else), and the record removed. Also a warning.
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
