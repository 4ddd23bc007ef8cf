# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``file`` check: whether a file or folder is present (no automated fix).

The path may use environment variables (``%SystemDrive%``) and ``{site_root}``, a site's root
folder: at a site's scope that site's, at the server's the first site's. A live gather is asked
to probe these paths (``probe_paths``), as it does not read every file of the host.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import expand
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation


class FileCheck(CheckKind):
    """``file: {path, expect}`` (``{equals: present}`` or ``{equals: absent}``)."""

    name = "file"
    required = ("path", "expect")

    def probe_paths(self, spec: dict[str, Any]) -> tuple[str, ...]:
        return (str(spec["path"]),) if "path" in spec else ()

    def evaluate(self, at: Evaluation) -> Finding:
        expectation = at.expectation
        path = str(at.spec["path"])
        if "{site_root}" in path:
            roots = [at.site] if at.site is not None else at.sites()
            mapped = [s.map_path("/") for s in roots]
            path = path.replace("{site_root}", mapped[0][2] if mapped and mapped[0] is not None else "")
        expanded = expand(path, at.state.environment)
        actual = "present" if at.state.files.exists(expanded) else "absent"
        return at.finding(at.verdict(expectation, actual), Evidence(file=expanded, actual=actual, expected=expectation.describe(at.params)))
