# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The errors of an apply, shared by ``apply.py`` and ``validate.py``."""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError


class ApplyError(HardenedIisError):
    """The plan was not applied; ``restored`` says whether a partial write was undone."""

    def __init__(self, message: str, restored: bool = False, backup: str | None = None) -> None:
        super().__init__(message)
        self.restored = restored
        self.backup = backup


class PlanValidationError(ApplyError):
    """The host as the plan would leave it is not valid (IIS would refuse a file): nothing was written,
    in check mode as in a real run."""
