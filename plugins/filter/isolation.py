# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.isolation import RULE_NAMES
from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.isolation import isolation_rules as _isolation_rules


def isolation_rules(management: Any, outbound: Any = None, port: Any = 5986) -> list[dict[str, Any]]:
    try:
        return _isolation_rules(management, outbound, int(port) if isinstance(port, str) and port.isdigit() else port)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def isolation_rule_names(_ignored: Any = None) -> list[str]:
    return list(RULE_NAMES)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"isolation_rules": isolation_rules, "isolation_rule_names": isolation_rule_names}
