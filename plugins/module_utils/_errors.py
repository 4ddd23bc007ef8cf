# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one base of every error hardened.iis reports to a person.

Each error the collection raises on purpose (a configuration file IIS cannot read, a rule
catalog it cannot use, a host state, a backup, a baseline, a target that cannot be reached…)
derives from :class:`HardenedIisError`, and its message says what is wrong and where. The
actions catch this one class, once (``ControllerAction.run`` in
``plugins/plugin_utils/_controller_action.py``), and fail the task with the message; anything
else that escapes is a bug and shows as one. Errors that callers also meet as ``ValueError``
(refused input) keep deriving from it too.

It lives in ``module_utils`` because the engines there (``_iisconfig``, ``_hotfix``,
``_integrity``, ``_discovery``, ``_paths``) raise errors the actions report; it imports nothing.
"""

from __future__ import annotations


class HardenedIisError(Exception):
    """An error whose message is meant for the person running the task: what is wrong, and where."""
