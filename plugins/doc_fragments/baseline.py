# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by the modules that evaluate the baseline (audit, harden)."""

    DOCUMENTATION = r"""
options:
  snapshot:
    description:
      - Snapshot directory of the host (C(files/) mirroring its drives, and C(state.yml)).
      - Defaults to the host variable C(hardened_iis_snapshot).
    type: path
  site_roles:
    description:
      - The role of each site, as the organisation states it - a site name, or a glob such as C(*), mapped to a role
        such as C(private) or C(public); an exact name wins over a glob. Rules read it through their C(site_role)
        condition - the STIG's private-site rules (client certificates, SSL only) apply to private sites; where no
        role is stated for a site such a rule's finding is C(manual).
      - Defaults to the host variable C(hardened_iis_site_roles), else none stated. docs/rules-format.md "Where a rule applies".
    type: dict
  show_secrets:
    description:
      - Show secrets raw in diffs, the plan and findings' evidence. By default every value that is a secret by the IIS or .NET
        schema or by its name (passwords, connection strings, machine keys, C(appSettings) entries whose key names a password,
        secret, token or key, encrypted sections) is replaced by C([redacted]), in context lines of a diff too.
      - Defaults to the host variable C(hardened_iis_show_secrets), else V(false). Turn it on only for a person who needs the raw
        diff, never for a job whose output is kept (AWX keeps job output).
    type: bool
  catalog:
    description: The rule catalog. Defaults to the collection's C(rules/iis10.yml).
    type: path
  rules:
    description: Only these rule ids (default all). An unknown id is an error.
    type: list
    elements: str
  skip_rules:
    description: Rule ids to leave out. An unknown id is an error.
    type: list
    elements: str
  params:
    description:
      - Organisation values by rule id, overriding the C(params) of that rule in the catalog.
      - For example C(iis-request-max-url) mapped to C(max_url) 2048 sets a stricter URL length limit.
      - A rule id the catalog does not have is an error.
    type: dict
    default: {}
  exceptions:
    description:
      - Accepted deviations. A failing finding whose rule and scope match an unexpired exception is reported as C(excepted)
        (and left as it is by P(hardened.iis.harden#module)); an expired one stays C(fail) and shows the exception.
    type: list
    elements: dict
    default: []
    suboptions:
      rule:
        description: The rule id. A rule id the catalog does not have is an error.
        type: str
        required: true
      scope:
        description: The scope (C(server), a site name, or C(site/path)); C(*) globs allowed.
        type: str
        default: "*"
      reason:
        description: Why the deviation is accepted.
        type: str
        required: true
      expires:
        description: The last day the exception holds (YYYY-MM-DD).
        type: str
      owner:
        description: Who accepted the deviation and answers for it; shown with every warning about the exception.
        type: str
  waiver_warning_days:
    description:
      - Warn about every exception that expires within this many days, besides those that have expired (a warning per host
        and exception, naming its rule, scope, owner, reason and expiry); P(hardened.iis.harden#module) also names each
        expired exception whose deviation it is about to revert, in check mode too. V(0) warns only about expired ones.
      - Defaults to the host variable C(hardened_iis_waiver_warning_days), else V(30).
    type: int
"""
