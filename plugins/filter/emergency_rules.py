# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import emergency_rules as _emergency_rules
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import mitigation_rules as _mitigation_rules
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import reversal_rules as _reversal_rules
from ansible_collections.hardened.iis.plugins.plugin_utils._harden.emergency import rollback_method as _rollback_method


def emergency_rules(items: Any) -> list[dict[str, Any]]:
    try:
        return _emergency_rules(items)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def emergency_mitigation_rules(mitigation: Any) -> list[dict[str, Any]]:
    try:
        return _mitigation_rules(mitigation)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def emergency_reversal_rules(record: Any) -> list[dict[str, Any]]:
    try:
        return _reversal_rules(record)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def emergency_rollback_method(record: Any, current: Any, requested: str = "auto") -> dict[str, Any]:
    try:
        return _rollback_method(record, current, requested)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {
            "emergency_rules": emergency_rules,
            "emergency_mitigation_rules": emergency_mitigation_rules,
            "emergency_reversal_rules": emergency_reversal_rules,
            "emergency_rollback_method": emergency_rollback_method,
        }
