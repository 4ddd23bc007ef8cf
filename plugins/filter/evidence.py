# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible.errors import AnsibleFilterError

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import state_from_gather
from ansible_collections.hardened.iis.plugins.plugin_utils._crisis.evidence import bundle_path, found_logs, log_directories, select_logs


def evidence_log_directories(gathered: Any, host: str = "host") -> list[dict[str, str]]:
    if not isinstance(gathered, dict):
        raise AnsibleFilterError(f"evidence_log_directories expects a hardened.iis.iis_host_state result, not {type(gathered).__name__}")
    try:
        return log_directories(state_from_gather(gathered, host))
    except (HostStateError, ConfigError, ValueError) as exc:
        raise AnsibleFilterError(f"evidence_log_directories: {exc}") from None


def evidence_logs(files: Any, since: Any, until: Any) -> list[dict[str, Any]]:
    if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("path") for f in files):
        raise AnsibleFilterError("evidence_logs expects the files ansible.windows.win_find returns (each with path)")
    entries = found_logs(files)
    try:
        return [{**entry, "bundle": "logs/" + bundle_path(str(entry["path"]))} for entry in select_logs(entries, since, until)]
    except ValueError as exc:
        raise AnsibleFilterError(f"evidence_logs: {exc}") from None


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"evidence_log_directories": evidence_log_directories, "evidence_logs": evidence_logs}
