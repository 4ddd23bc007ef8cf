# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``manual`` check: what the host state cannot show; one ``manual`` finding per host, for a person to check."""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation


class ManualCheck(CheckKind):
    """``manual: {reason, guidance}``: why the state is not observable, and what a person checks."""

    name = "manual"
    required = ("reason", "guidance")
    host_wide = True
    automated = False

    def summary(self, spec: dict[str, Any]) -> str:
        return "manual: " + " ".join(str(spec["reason"]).split())

    def evaluate(self, at: Evaluation) -> Finding:
        return at.finding("manual", Evidence(actual=str(at.spec["reason"]), expected=str(at.spec["guidance"])))
