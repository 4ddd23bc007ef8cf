# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Emergency request-filtering rules: deny rules pushed fleet-wide in one run, removed later.

``urlscan_emergency_rules`` items become ordinary catalog rules (server scope), so they are
audited, planned, applied, backed up and rolled back like every other rule:

    - id: cve-2026-0001
      reason: Path traversal in the shop application, until the vendor patch is installed
      deny_url_sequences: ["..%2f", "%252e"]
      deny_query_strings: ["<script"]
      deny_verbs: [PROPFIND]
      deny_extensions: [.asa]
      state: present        # absent removes exactly these entries again
"""

from __future__ import annotations

import re
from typing import Any

KINDS = {
    "deny_url_sequences": ("denyUrlSequences", "sequence", {}),
    "deny_query_strings": ("denyQueryStringSequences", "sequence", {}),
    "deny_verbs": ("verbs", "verb", {"allowed": "false"}),
    "deny_extensions": ("fileExtensions", "fileExtension", {"allowed": "false"}),
}
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


def emergency_rules(items: Any) -> list[dict[str, Any]]:
    """Catalog rules (as data) for a list of emergency deny rules; errors name the item and key."""
    if not isinstance(items, list):
        raise ValueError(f"urlscan_emergency_rules must be a list, not {type(items).__name__}")
    rules: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        where = f"urlscan_emergency_rules[{index}]"
        if not isinstance(item, dict):
            raise ValueError(f"{where} must be a mapping")
        unknown = set(item) - {"id", "reason", "state", *KINDS}
        if unknown:
            raise ValueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: id, reason, state, {', '.join(KINDS)})")
        ident = str(item.get("id", "")).lower()
        if not _ID.match(ident):
            raise ValueError(f"{where}: 'id' must be lowercase letters, digits and dashes, not {item.get('id')!r}")
        if not item.get("reason"):
            raise ValueError(f"{where}: 'reason' is required (why the rule is pushed)")
        state = str(item.get("state", "present"))
        if state not in ("present", "absent"):
            raise ValueError(f"{where}: state must be present or absent, not {state!r}")
        if not any(item.get(kind) for kind in KINDS):
            raise ValueError(f"{where}: give at least one of {', '.join(KINDS)}")
        for kind, (element, key, extra) in KINDS.items():
            values = item.get(kind) or []
            if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
                raise ValueError(f"{where}: {kind} must be a list of non-empty strings")
            for number, value in enumerate(values, start=1):
                entry = {key: value, **extra}
                check: dict[str, Any] = {"section": "system.webServer/security/requestFiltering", "element": element}
                if state == "present":
                    check["contains"] = [entry]
                    remediation = {"config_collection": {"add": [entry]}}
                else:
                    check["absent"] = [{key: value}]
                    remediation = {"config_collection": {"remove": [{key: value}]}}
                rules.append(
                    {
                        "id": f"emergency-{ident}-{kind.replace('_', '-')}-{number}",
                        "title": f"Emergency ({ident}): {kind.replace('_', ' ')} {value!r} {'denied' if state == 'present' else 'no longer denied'}",
                        "severity": "high",
                        "scope": "server",
                        "references": {"emergency": [ident]},
                        "check": {"config_collection": check},
                        "remediation": remediation,
                        "tags": ["urlscan", "emergency"],
                    }
                )
    return rules
