# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: dashboard
short_description: Write the fleet dashboard (one self-contained HTML file), a Markdown summary and a CSV from the reports
version_added: 0.1.0
description:
  - Reads what the features wrote to the report directory (C(findings.json) of the audit, C(patch_findings.json) and
    C(patch_compliance.json) of hotfix compliance, C(integrity_findings.json), C(discovery_findings.json)) and stores
    them as a run under C(runs/<UTC timestamp>/) when they differ from the newest run, so the trend and what is new
    since the last run are real.
  - Writes C(dashboard.html) - fleet score and its trend, a heat map of hosts by rule section, the worst hosts, patch
    level and days behind, integrity changes, rogue servers, and each host's failing rules with their evidence and
    remediation - as one file with inline CSS and SVG, no script, font or URL, so it opens offline; C(dashboard.md)
    for a ticket or a chat message; C(dashboard.csv), one line per host.
  - Runs on the controller; changes no host. A second run over the same reports writes nothing.
author: hardened.iis maintainers (@hardened-iis)
requirements:
  - pygal (charts; without it the page says so in their place)
options:
  report_dir:
    description: The report directory the playbooks write to (C(hardened_iis_report_dir)).
    type: path
    required: true
  title:
    description: The page's title.
    type: str
    default: hardened.iis fleet dashboard
  keep_runs:
    description: How many stored runs the trend shows at most.
    type: int
    default: 30
attributes:
  check_mode:
    description: Computes the dashboard and reports what would be written; writes nothing.
    support: full
  diff_mode:
    description: No diff.
    support: none
  platform:
    description: The control node.
    support: full
    platforms: posix
"""

EXAMPLES = r"""
- name: Write the fleet dashboard from the reports of every feature
  hardened.iis.dashboard:
    report_dir: /var/lib/hardened-iis/reports
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
html:
  description: The dashboard's path.
  returned: success
  type: str
markdown:
  description: The Markdown summary's path.
  returned: success
  type: str
csv:
  description: The CSV's path.
  returned: success
  type: str
summary:
  description: The Markdown summary itself.
  returned: success
  type: str
run:
  description: The stamp of the run shown (the newest stored run).
  returned: success
  type: str
run_stored:
  description: Whether this call stored a new run (the reports differed from the newest run's).
  returned: success
  type: bool
written:
  description: The files written (those whose content changed).
  returned: success
  type: list
  elements: str
fleet_score:
  description: The share of audit checks that pass across the fleet, in percent.
  returned: success
  type: float
hosts:
  description: How many hosts the dashboard shows.
  returned: success
  type: int
"""
