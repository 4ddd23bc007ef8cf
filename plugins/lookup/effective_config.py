# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: effective_config
author: hardened.iis maintainers (@hardened-iis)
short_description: Effective IIS settings of a host snapshot, with the file and line that set each
version_added: 0.1.0
description:
  - Reads the IIS configuration of a host snapshot (a directory whose C(files/) folder mirrors the
    host's drives) and resolves it the way IIS does, on the controller (machine.config, the root
    web.config, applicationHost.config with its C(<location>) tags, and every web.config along each
    URL path), honouring locks, C(overrideMode), C(allowDefinition) and collection
    C(add)/C(remove)/C(clear).
  - Returns one row per setting at the server level, then one row per setting whose value differs
    at a site or application path, then one row per value that does not take effect (a lock, a
    duplicate entry).
  - Nothing on any host is read or changed; a malformed file fails with its name, line and cause.
  - A value that is a secret by the IIS or .NET schema or by its name (a password, a connection string,
    a machine key, an C(appSettings) value whose key names a password, secret, token or key) is
    returned as C([redacted]) unless O(show_secrets) is on.
options:
  _terms:
    description: Snapshot directories, one per host.
    type: list
    elements: path
    required: true
  settings:
    description:
      - The settings to report. Each has C(section), and C(attribute) (with an optional C(element)
        below the section), or C(element) and C(show) to list a collection's entries by some of
        their attributes.
      - Defaults to a built-in list of security-relevant settings.
    type: list
    elements: dict
  host:
    description: The name to report the rows under. Defaults to the snapshot directory's name.
    type: str
  show_secrets:
    description:
      - Return secrets raw instead of C([redacted]). Only for a person who needs them; never in a job whose
        output is kept.
    type: bool
    default: false
    vars:
      - name: hardened_iis_show_secrets
"""

EXAMPLES = r"""
- name: Show the effective settings of a collected snapshot
  ansible.builtin.debug:
    msg: "{{ query('hardened.iis.effective_config', '/evidence/web01') | hardened.iis.effective_report }}"

- name: Read one setting everywhere
  ansible.builtin.set_fact:
    browse_rows: >-
      {{ query('hardened.iis.effective_config', hardened_iis_snapshot,
               settings=[{'section': 'system.webServer/directoryBrowse', 'attribute': 'enabled'}]) }}
"""

RETURN = r"""
_list:
  description: Report rows.
  type: list
  elements: dict
  contains:
    host:
      description: The host the row belongs to.
      type: str
    kind:
      description: C(setting) or C(diagnostic).
      type: str
    scope:
      description: C(server), or the site name followed by the URL path.
      type: str
    setting:
      description: The setting (C(section/element@attribute), C(section/element[]) for a collection), or the diagnostic code.
      type: str
    value:
      description: The effective value, or the diagnostic message.
      type: str
    source:
      description: Where the value was set (file, line and location path), or the schema it defaults from.
      type: str
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._effective_report import DEFAULT_SETTINGS, Setting, load_snapshot, report


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        self.set_options(var_options=variables, direct=kwargs)
        raw_settings = self.get_option("settings")
        try:
            settings = tuple(Setting.from_mapping(s) for s in raw_settings) if raw_settings else DEFAULT_SETTINGS
        except ValueError as exc:
            raise AnsibleLookupError(f"hardened.iis.effective_config: option 'settings': {exc}") from None
        rows: list[dict[str, Any]] = []
        for term in terms:
            snapshot = Path(str(term))
            host = self.get_option("host") or snapshot.name
            try:
                rows.extend(report(load_snapshot(snapshot), host, settings, show_secrets=bool(self.get_option("show_secrets"))))
            except (ConfigError, HostStateError, KeyError) as exc:
                raise AnsibleLookupError(f"hardened.iis.effective_config: {exc}") from None
        return rows
