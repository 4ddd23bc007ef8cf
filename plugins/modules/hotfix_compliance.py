# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: hotfix_compliance
short_description: Which required security updates a Windows server is missing (the successor of HFNetChk and MBSA)
version_added: 0.1.0
description:
  - Reads Microsoft's monthly security update documents (MSRC CVRF, XML or the JSON of the CVRF v3 API)
    from O(cvrf_dir), maps the host to its MSRC products (Windows Server release from the build number,
    Server Core, .NET Framework) and decides, for every CVE a required document fixes, whether the host
    has an update that fixes it.
  - "Cumulative updates count when the host's build and UBR reach the update's C(FixedBuild); other updates
    when their KB, or a KB that supersedes it through the supersedence chains of every document, is installed.
    Installed updates come from every source the host state holds (Get-HotFix, C(Get-Package -ProviderName msu),
    Windows Update history, systeminfo, wmic qfe)."
  - The host's facts come from, in this order, O(evidence) files, its snapshot (host variable
    C(hardened_iis_snapshot)), O(host_state), or one call of P(hardened.iis.iis_host_state#module) on the host.
  - Never changes the host, but for one thing. This is an action plugin; the decision runs on the controller.
  - The one thing - an apply of P(hardened.iis.harden#module) that was killed before it finished leaves the host
    partly changed and an intent record on it; the host is restored from that apply's backup before it is read
    (not in check mode), and RV(recovered_interrupted_apply) and a warning say so (docs/host-state.md).
author: hardened.iis maintainers (@hardened-iis)
options:
  cvrf_dir:
    description:
      - Directory holding the MSRC monthly documents (C(*.xml), C(*.json)), one file per month.
        Documents placed there are enough; nothing is downloaded.
    type: path
    required: true
  cache_dir:
    description:
      - Where the normalised documents are cached on the controller (JSON, keyed by document id and revision).
        An empty value turns the cache off.
    type: path
    default: ~/.cache/hardened.iis/cvrf
  policy:
    description: Which updates are required and how fresh antivirus signatures must be.
    type: dict
    default: {}
    suboptions:
      min_age_days:
        description: An update is required once its document was released at least this many days ago.
        type: int
        default: 0
      months:
        description: Only these documents (C(2022-Jan)); empty means every document in O(cvrf_dir).
        type: list
        elements: str
      severities:
        description: Only CVEs of these MSRC severities (C(Critical), C(Important), C(Moderate), C(Low)); empty means all.
        type: list
        elements: str
      max_signature_age_days:
        description: The oldest Microsoft Defender antivirus signatures allowed, in days.
        type: float
        default: 7
      require_defender:
        description: Whether a host without Defender antivirus (or whose status was not gathered) is non-compliant.
        type: bool
        default: false
  deferrals:
    description:
      - Required updates the organisation chose not to install yet. A deferred update is reported as
        C(excepted) until it expires; after that it counts as missing again.
    type: list
    elements: dict
    default: []
    suboptions:
      kb:
        description: The KB (C(KB5009555) or C(5009555)); it matches the update or any update that fixes the same CVE.
        type: str
        required: true
      reason:
        description: Why it is deferred.
        type: str
        required: true
      expires:
        description: The last day the deferral holds (YYYY-MM-DD); none means it does not expire.
        type: str
  snapshot:
    description: The host's snapshot directory; defaults to the host variable C(hardened_iis_snapshot).
    type: path
  host_state:
    description: The result of P(hardened.iis.iis_host_state#module) for a live host.
    type: dict
  evidence:
    description: Evidence files of a machine Ansible cannot reach.
    type: dict
    suboptions:
      systeminfo:
        description: The output of C(systeminfo) (any encoding Windows writes, localized labels included).
        type: path
        required: true
      qfe:
        description: The output of C(wmic qfe) (table, brief or CSV form), adding the updates systeminfo lists.
        type: path
  hotpatch_enrolled:
    description:
      - Whether the host takes Security Hotpatch Updates (enrolled through Azure Arc or Azure). Windows
        documents no on-host signal for it, so the gather reports C(false); set it here (for example from a
        group variable) to override the host state.
    type: bool
  today:
    description: The date compliance is judged on (YYYY-MM-DD); defaults to the controller's date.
    type: str
  fail_on_noncompliant:
    description: Fail the task when the host is not compliant.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check mode and return the same result as without it.
    support: full
    details: Nothing is ever changed.
  diff_mode:
    description: Would show what changes; nothing changes.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: windows
notes:
  - "systeminfo does not report the UBR or Server Core: from evidence files, cumulative updates are judged by KB and
    supersedence only, and the host counts as a desktop-experience installation."
  - No on-host signal of hotpatch enrollment is documented; O(host_state) and snapshots carry C(os.hotpatch_enrolled),
    which the gather reports as false; O(hotpatch_enrolled) overrides it.
  - "MSRC severities map onto the findings' scale: Critical is high, Important medium, Moderate and Low low."
seealso:
  - module: hardened.iis.iis_host_state
  - module: hardened.iis.audit
"""

EXAMPLES = r"""
- name: Check a host against every document released at least 14 days ago
  hardened.iis.hotfix_compliance:
    cvrf_dir: /srv/msrc/cvrf
    policy:
      min_age_days: 14
      max_signature_age_days: 3
      require_defender: true
    deferrals:
      - kb: KB5034272
        reason: .NET update breaks the payroll application; vendor fix due in March (CHG-2231)
        expires: "2027-03-31"
  register: compliance

- name: Check a machine Ansible cannot reach, from its systeminfo and wmic qfe output
  hardened.iis.hotfix_compliance:
    cvrf_dir: /srv/msrc/cvrf
    evidence:
      systeminfo: /evidence/kiosk7/systeminfo.txt
      qfe: /evidence/kiosk7/qfe.txt
  delegate_to: localhost
"""

RETURN = r"""
compliant:
  description: Whether every required update is installed (or deferred) and Defender meets the policy.
  returned: success
  type: bool
build:
  description: The host's build and UBR.
  returned: success
  type: str
  sample: "20348.4405"
products:
  description: The MSRC products the host is.
  returned: success
  type: list
  elements: str
  sample: ["Windows Server 2022", "Microsoft .NET Framework 3.5 AND 4.8 on Windows Server 2022"]
patch_level:
  description: The newest document whose every required update is installed, or null.
  returned: success
  type: str
  sample: 2025-Nov
required:
  description: The number of required updates.
  returned: success
  type: int
missing:
  description: Each missing update with its document, product, CVEs, MSRC severity, exploited CVEs and the evidence.
  returned: success
  type: list
  elements: dict
deferred:
  description: Each missing update covered by a deferral that has not expired.
  returned: success
  type: list
  elements: dict
highest_severity:
  description: The worst MSRC severity among the missing updates, or null.
  returned: success
  type: str
exploited_open:
  description: CVEs marked exploited that a missing update would fix.
  returned: success
  type: list
  elements: str
days_behind:
  description: Days since the oldest missing update was released; 0 when none is missing.
  returned: success
  type: int
defender:
  description: C(fresh), C(stale), C(disabled), C(unknown) or C(not_required).
  returned: success
  type: str
defender_signature_age_days:
  description: The age of the antivirus signatures in days, or null.
  returned: success
  type: float
findings:
  description: One finding per required update (rule id C(hotfix-kb<number>), scope the product) and one for Defender, in the shared findings format.
  returned: success
  type: list
  elements: dict
score:
  description: Counts per status and the share of required updates installed.
  returned: success
  type: dict
documents:
  description: The documents read, with their revision, release date and size.
  returned: success
  type: list
  elements: dict
remote_calls:
  description: Module calls made on the host (1 for a live host, 0 otherwise).
  returned: always
  type: int
recovered_interrupted_apply:
  description:
    - An earlier apply on the host had been killed before it finished (its intent record was still there); the host was
      restored from that apply's backup before it was read, and the record removed. Also a warning.
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
