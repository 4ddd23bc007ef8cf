# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The errors of the core model: a rule catalog, a host state or a task argument that cannot be used.

They derive from :class:`HardenedIisError` (``plugins/module_utils/_errors.py``), the one class the
actions catch, and from ``ValueError``: each is refused input, and callers that check input
catch them as such. Every message names the file or option, the rule and the field.
"""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.errors import ConfigError


class CatalogError(HardenedIisError, ValueError):
    """The catalog, or what a task says about its rules (selection, ``params``, ``exceptions``), cannot be used;
    the message names file, rule and field."""


class HostStateError(HardenedIisError, ValueError):
    """The host state is malformed; the message names the file and the key."""


class ArgumentError(HardenedIisError, ValueError):
    """A task argument cannot be used; the message names the option."""


class UnreadableServerFileError(ConfigError):
    """A file every site depends on (applicationHost.config, machine.config, the root web.config,
    a schema file) is there but IIS cannot read it: nothing of the host's IIS configuration can be
    evaluated, so the host fails (a web.config fails only its own scope)."""
