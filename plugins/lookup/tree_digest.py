# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: tree_digest
author: hardened.iis maintainers (@hardened-iis)
short_description: One SHA-256 over every file of a directory tree, such as a host snapshot
version_added: 0.1.0
description:
  - For each directory, the SHA-256 of a listing of every file below it (its relative path and the
    SHA-256 of its content), sorted; the backups that P(hardened.iis.harden#module) keeps in a
    snapshot (C(.hardened-iis-backups)) are left out.
  - Two trees with the same digest hold the same files with the same bytes. The emergency playbooks
    use it to show that a rollback put a snapshot back byte for byte, and that collecting evidence
    changed nothing.
options:
  _terms:
    description: Directories.
    type: list
    elements: path
    required: true
"""

EXAMPLES = r"""
- name: Remember the snapshot's digest before the change
  ansible.builtin.set_fact:
    before_digest: "{{ lookup('hardened.iis.tree_digest', hardened_iis_snapshot) }}"
"""

RETURN = r"""
_list:
  description: One SHA-256 (lower-case hex) per directory.
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.evidence import tree_digest


class LookupModule(LookupBase):
    def run(self, terms: list[Any], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        self.set_options(var_options=variables, direct=kwargs)
        digests = []
        for term in terms:
            folder = Path(str(term))
            if not folder.is_dir():
                raise AnsibleLookupError(f"tree_digest: {folder} is not a directory")
            digests.append(str(tree_digest(folder)["sha256"]))
        return digests
