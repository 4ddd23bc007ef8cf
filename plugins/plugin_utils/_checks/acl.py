# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ``acl`` check: a folder or file's ACL grants no more than the allowed entries (no automated fix).

``acl: {path, allow}``: ``path`` may use environment variables (``%SystemDrive%``); ``allow`` lists
each principal that may hold rights there, ``{principal, sid, rights, applies_to}``: the account's
name, its well-known SID (preferred: names are localised), the most rights it may have (a list of
``FileSystemRights`` names; ``FullControl`` holds every right) and where an entry for it may apply
(``this_folder``, ``subfolders``, ``files``; all three when not given).

Every allow entry of the ACL must be covered by an allowed entry of the same principal (by SID when
both sides have one, else by name) whose rights hold all of its rights and whose ``applies_to`` holds
all the places it applies to; ``Synchronize`` alone is never an excess (Windows adds it to every
allow entry). Deny entries only take rights away and pass. A host state without the path's ACL (an
older snapshot or gather) gives ``manual``: a person checks it. Resetting an ACL is disruptive, so
the remediation is always a person's.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import expand
from ansible_collections.hardened.iis.plugins.plugin_utils._core.acl import (
    APPLIES_TO,
    SYNCHRONIZE,
    AclEntry,
    applies_to_text,
    is_sid,
    rights_mask,
    rights_text,
)
from ansible_collections.hardened.iis.plugins.plugin_utils._core.errors import CatalogError, HostStateError
from ansible_collections.hardened.iis.plugins.plugin_utils._core.expect import Expectation
from ansible_collections.hardened.iis.plugins.plugin_utils._core.findings import Evidence, Finding

from .base import CheckKind, Evaluation

ALLOWED_KEYS = ("principal", "sid", "rights", "applies_to")


class Allowed:
    """One allowed entry of an ``acl`` check: who, at most which rights, where."""

    def __init__(self, spec: dict[str, Any], where: str) -> None:
        self.principal = str(spec["principal"])
        self.sid = str(spec["sid"]).upper() if spec.get("sid") is not None else None
        try:
            self.rights = rights_mask(list(spec["rights"]), f"{where}.rights")
        except HostStateError as exc:
            raise CatalogError(str(exc)) from None
        self.applies_to = frozenset(spec.get("applies_to", APPLIES_TO))

    def names(self, entry: AclEntry) -> bool:
        """Whether the entry is this principal's: by SID when both sides have one, else by name (``BUILTIN\\Users`` is ``Users``)."""
        if self.sid is not None and entry.sid is not None:
            return self.sid == entry.sid
        wanted = self.principal.casefold()
        return entry.identity.casefold() == wanted or entry.identity.rpartition("\\")[2].casefold() == wanted

    def covers(self, entry: AclEntry) -> bool:
        return self.names(entry) and entry.rights & ~(self.rights | SYNCHRONIZE) == 0 and entry.applies_to <= self.applies_to

    def describe(self) -> str:
        where = "" if self.applies_to == frozenset(APPLIES_TO) else f" on {applies_to_text(self.applies_to)} only"
        return f"{self.principal}: {rights_text(self.rights)}{where}"


def _allowed_list(spec: dict[str, Any], where: str) -> list[Allowed]:
    allow = spec.get("allow")
    if not isinstance(allow, list) or not allow:
        raise CatalogError(f"{where}: check 'acl' needs 'allow', a non-empty list of {{principal, sid, rights, applies_to}}")
    found = []
    for number, item in enumerate(allow):
        here = f"{where}.allow[{number}]"
        if not isinstance(item, dict) or not {"principal", "rights"} <= set(item) or not set(item) <= set(ALLOWED_KEYS):
            raise CatalogError(f"{here}: an allowed entry is {{principal, rights}} with optional sid and applies_to, got {item!r}")
        if not isinstance(item["principal"], str) or not item["principal"]:
            raise CatalogError(f"{here}.principal must be an account name")
        if item.get("sid") is not None and (not isinstance(item["sid"], str) or not is_sid(item["sid"])):
            raise CatalogError(f"{here}.sid {item['sid']!r} is not a security identifier (S-1-…)")
        if not isinstance(item["rights"], list) or not item["rights"]:
            raise CatalogError(f"{here}.rights must be a non-empty list of FileSystemRights names")
        places = item.get("applies_to", list(APPLIES_TO))
        if not isinstance(places, list) or not places or not all(p in APPLIES_TO for p in places):
            raise CatalogError(f"{here}.applies_to must be a non-empty list of {', '.join(APPLIES_TO)}")
        found.append(Allowed(item, here))
    return found


class AclCheck(CheckKind):
    """``acl: {path, allow: [{principal, sid, rights, applies_to}]}``."""

    name = "acl"
    required = ("path", "allow")
    host_wide = True

    def parse(self, spec: dict[str, Any], where: str) -> Expectation | None:
        super().parse(spec, where)
        if not isinstance(spec["path"], str) or not spec["path"]:
            raise CatalogError(f"{where}: check 'acl' path must be a Windows path")
        _allowed_list(spec, where)
        return None

    def summary(self, spec: dict[str, Any]) -> str:
        principals = ", ".join(str(item["principal"]) for item in spec["allow"])
        return f"acl `{spec['path']}`: allow entries only for {principals}, within their rights"

    def evaluate(self, at: Evaluation) -> Finding:
        allowed = _allowed_list(at.spec, at.rule.id)
        path = expand(str(at.spec["path"]), at.state.environment)
        expected = "allow entries within: " + "; ".join(a.describe() for a in allowed)
        entries = at.state.acl(path)
        if entries is None:
            actual = f"the ACL of {path} was not gathered (a snapshot or gather without 'acls', or the path does not exist): a person checks it"
            return at.finding("manual", Evidence(file=path, actual=actual, expected=expected))
        excess = [e for e in entries if e.allow and not any(a.covers(e) for a in allowed)]
        if excess:
            actual = "; ".join(_described(e) for e in excess)
            return at.finding("fail", Evidence(file=path, actual=f"not allowed: {actual}", expected=expected))
        grants = sum(1 for e in entries if e.allow)
        return at.finding("pass", Evidence(file=path, actual=f"{grants} allow entries, each within its principal's rights", expected=expected))


def _described(entry: AclEntry) -> str:
    inherited = ", inherited" if entry.inherited else ""
    return f"{entry.principal}: {rights_text(entry.rights)} ({entry.where()}{inherited})"
