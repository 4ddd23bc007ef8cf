# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The check kinds of the rule catalog, one module each, registered in :data:`KINDS`.

The catalog reads a rule's ``check`` through the kind the table names (``parse``), the audit
evaluates it (``evaluate``) and the plan fixes its failures (``plan``): adding a kind is one
module deriving from :class:`~.base.CheckKind` and one entry here (docs/rules-format.md).
"""

from __future__ import annotations

from .acl import AclCheck
from .any_of import AnyOfCheck
from .app_pools import AppPoolsCheck
from .base import MANUAL, CheckKind
from .config import ConfigCheck
from .config_collection import ConfigCollectionCheck
from .feature import FeatureCheck
from .file import FileCheck
from .manual import ManualCheck
from .registry import RegistryCheck
from .service import ServiceCheck
from .site_pools import SitePoolsCheck

KINDS: dict[str, CheckKind] = {
    kind.name: kind
    for kind in (
        ConfigCheck(),
        ConfigCollectionCheck(),
        RegistryCheck(),
        FeatureCheck(),
        ServiceCheck(),
        FileCheck(),
        AppPoolsCheck(),
        SitePoolsCheck(),
        AclCheck(),
        AnyOfCheck(),
        ManualCheck(),
    )
}
"""Every check kind by its key under ``check``, in the order error messages list them."""

__all__ = ["KINDS", "MANUAL", "REMEDIATIONS", "CheckKind", "kind_of"]

REMEDIATIONS: tuple[str, ...] = (*dict.fromkeys(kind.fix for kind in KINDS.values() if kind.fix is not None), MANUAL)
"""Every remediation kind (key under ``remediation``)."""


def kind_of(name: str) -> CheckKind:
    """The check kind a rule's ``check`` names (the catalog has refused any other)."""
    return KINDS[name]
