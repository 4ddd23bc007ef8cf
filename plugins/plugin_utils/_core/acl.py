# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""File system access control lists in the host state (``acls``): entries, rights and where they apply.

A host state holds, per Windows path, the access rules of its ACL as ``Get-Acl`` reads them
(docs/host-state.md): ``identity`` (the account's name, as the host spells it), ``sid``,
``rights`` (the ``FileSystemRights`` mask as a number, or names such as ``ReadAndExecute, Synchronize``),
``type`` (``allow`` or ``deny``), ``inheritance_flags`` (``ContainerInherit``, ``ObjectInherit``),
``propagation_flags`` (``InheritOnly``, ``NoPropagateInherit``) and ``inherited``.

Rights compare as sets of ``FileSystemRights`` bits: ``FullControl`` holds every one. The generic
rights Windows keeps in inherit-only entries (``GENERIC_ALL`` 0x10000000, ``GENERIC_READ``…) are mapped
to the file rights they stand for, as Windows maps them for files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import HostStateError

RIGHTS: dict[str, int] = {
    "ListDirectory": 0x1,
    "ReadData": 0x1,
    "CreateFiles": 0x2,
    "WriteData": 0x2,
    "AppendData": 0x4,
    "CreateDirectories": 0x4,
    "ReadExtendedAttributes": 0x8,
    "WriteExtendedAttributes": 0x10,
    "ExecuteFile": 0x20,
    "Traverse": 0x20,
    "DeleteSubdirectoriesAndFiles": 0x40,
    "ReadAttributes": 0x80,
    "WriteAttributes": 0x100,
    "Delete": 0x10000,
    "ReadPermissions": 0x20000,
    "ChangePermissions": 0x40000,
    "TakeOwnership": 0x80000,
    "Synchronize": 0x100000,
}
"""Each ``System.Security.AccessControl.FileSystemRights`` bit by its .NET names (two names share some bits)."""

READ = 0x1 | 0x8 | 0x80 | 0x20000
WRITE = 0x2 | 0x4 | 0x10 | 0x100
READ_AND_EXECUTE = READ | 0x20
MODIFY = READ_AND_EXECUTE | WRITE | 0x10000
FULL_CONTROL = 0x1F01FF
COMPOSITES: dict[str, int] = {"FullControl": FULL_CONTROL, "Modify": MODIFY, "ReadAndExecute": READ_AND_EXECUTE, "Read": READ, "Write": WRITE}
"""The .NET composite rights, largest first (how a mask is named)."""
SYNCHRONIZE = RIGHTS["Synchronize"]

GENERIC: dict[int, int] = {
    0x80000000: READ | SYNCHRONIZE,  # GENERIC_READ -> FILE_GENERIC_READ
    0x40000000: WRITE | 0x20000 | SYNCHRONIZE,  # GENERIC_WRITE -> FILE_GENERIC_WRITE
    0x20000000: 0x80 | 0x20 | 0x20000 | SYNCHRONIZE,  # GENERIC_EXECUTE -> FILE_GENERIC_EXECUTE
    0x10000000: FULL_CONTROL,  # GENERIC_ALL -> FILE_ALL_ACCESS
}
NAMES: dict[str, int] = {name.casefold(): bits for name, bits in {**RIGHTS, **COMPOSITES}.items()}

THIS_FOLDER, SUBFOLDERS, FILES = "this_folder", "subfolders", "files"
APPLIES_TO = (THIS_FOLDER, SUBFOLDERS, FILES)
"""Where an entry applies: the object itself, the folders below it, the files below it."""
ENTRY_KEYS = ("identity", "sid", "rights", "type", "inheritance_flags", "propagation_flags", "inherited")
TYPES = ("allow", "deny")
_SID = re.compile(r"^S-1-\d+(-\d+)*$", re.IGNORECASE)
_INHERITANCE = {"none": set(), "containerinherit": {SUBFOLDERS}, "objectinherit": {FILES}}
_PROPAGATION = ("none", "inheritonly", "nopropagateinherit")


def is_sid(text: str) -> bool:
    """Whether a text is a security identifier (``S-1-5-32-544``)."""
    return bool(_SID.match(text))


def rights_mask(value: Any, where: str) -> int:
    """A rights value as a mask of file rights: a number (signed or not, generic rights mapped), names, or a list of names."""
    if isinstance(value, bool):
        raise HostStateError(f"{where}: rights must be a number or FileSystemRights names, not {value!r}")
    if isinstance(value, int):
        if not -(2**31) <= value < 2**32:
            raise HostStateError(f"{where}: rights {value} is not a 32-bit access mask")
        mask = value & 0xFFFFFFFF
        for generic, bits in GENERIC.items():
            if mask & generic:
                mask = (mask & ~generic) | bits
        return mask
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise HostStateError(f"{where}: rights must be a number or FileSystemRights names, not {value!r}")
    mask = 0
    for name in names:
        found = NAMES.get(name.strip().casefold())
        if found is None:
            raise HostStateError(f"{where}: unknown right {name.strip()!r} (known: {', '.join([*COMPOSITES, *RIGHTS])})")
        mask |= found
    return mask


def rights_text(mask: int) -> str:
    """A mask in .NET's words: the largest composite rights it holds, then the other bits (``Modify, Synchronize``)."""
    names: list[str] = []
    left = mask
    for name, bits in COMPOSITES.items():
        if left & bits == bits:
            names.append(name)
            left &= ~bits
    for name, bits in RIGHTS.items():
        if left & bits:
            names.append(name)
            left &= ~bits
    if left:
        names.append(f"0x{left:X}")
    return ", ".join(names) or "none"


@dataclass(frozen=True, slots=True)
class AclEntry:
    """One access rule of an ACL."""

    identity: str
    sid: str | None
    rights: int
    allow: bool
    applies_to: frozenset[str]
    inherited: bool = False

    @property
    def principal(self) -> str:
        """The account as shown: its name, with its SID when both are known."""
        if self.sid is not None and self.identity and self.identity.casefold() != self.sid.casefold():
            return f"{self.identity} ({self.sid})"
        return self.identity or str(self.sid)

    def where(self) -> str:
        return applies_to_text(self.applies_to)


def applies_to_text(applies_to: frozenset[str]) -> str:
    parts = {THIS_FOLDER: "this folder", SUBFOLDERS: "subfolders", FILES: "files"}
    return ", ".join(parts[p] for p in APPLIES_TO if p in applies_to) or "nothing"


def _flags(value: Any, known: tuple[str, ...] | dict[str, set[str]], where: str) -> list[str]:
    if value is None:
        return []
    names = value.split(",") if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise HostStateError(f"{where} must be flag names (text or a list), not {value!r}")
    folded = [n.strip().casefold() for n in names if n.strip()]
    unknown = [n for n in folded if n not in known]
    if unknown:
        raise HostStateError(f"{where}: unknown flag(s) {', '.join(unknown)}")
    return folded


def _applies_to(inheritance: list[str], propagation: list[str]) -> frozenset[str]:
    where: set[str] = set()
    for flag in inheritance:
        where |= _INHERITANCE[flag]
    if "inheritonly" not in propagation:
        where.add(THIS_FOLDER)
    return frozenset(where)


def parse_entry(data: Any, where: str) -> AclEntry:
    """One access rule of a host state's ``acls``, checked (it comes from a host or a file: never trusted)."""
    if not isinstance(data, dict):
        raise HostStateError(f"{where} must be a mapping, not {type(data).__name__}")
    unknown = sorted(str(k) for k in data if k not in ENTRY_KEYS)
    if unknown:
        raise HostStateError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(ENTRY_KEYS)})")
    identity, sid = data.get("identity"), data.get("sid")
    for name, text in (("identity", identity), ("sid", sid)):
        if text is not None and not isinstance(text, str):
            raise HostStateError(f"{where}.{name} must be text, not {type(text).__name__}")
    if not identity and not sid:
        raise HostStateError(f"{where}: an entry needs 'identity' or 'sid'")
    if sid is not None and not is_sid(sid):
        raise HostStateError(f"{where}.sid {sid!r} is not a security identifier (S-1-…)")
    if "rights" not in data:
        raise HostStateError(f"{where}: an entry needs 'rights'")
    kind = data.get("type")
    if not isinstance(kind, str) or kind.casefold() not in TYPES:
        raise HostStateError(f"{where}.type must be allow or deny, not {kind!r}")
    inherited = data.get("inherited", False)
    if not isinstance(inherited, bool):
        raise HostStateError(f"{where}.inherited must be true or false, not {inherited!r}")
    inheritance = _flags(data.get("inheritance_flags"), _INHERITANCE, f"{where}.inheritance_flags")
    propagation = _flags(data.get("propagation_flags"), _PROPAGATION, f"{where}.propagation_flags")
    sid = sid.upper() if sid else None
    return AclEntry(
        identity=str(identity or sid),
        sid=sid,
        rights=rights_mask(data["rights"], f"{where}.rights"),
        allow=kind.casefold() == "allow",
        applies_to=_applies_to(inheritance, propagation),
        inherited=inherited,
    )


def parse_acls(value: Any, source: str) -> dict[str, tuple[AclEntry, ...]]:
    """A state's ``acls``: Windows path -> its access rules."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise HostStateError(f"{source}: acls must be a mapping of path to entries, not {type(value).__name__}")
    acls: dict[str, tuple[AclEntry, ...]] = {}
    for path, entries in value.items():
        if not isinstance(path, str) or not path:
            raise HostStateError(f"{source}: acls key {path!r} must be a Windows path")
        if not isinstance(entries, list):
            raise HostStateError(f"{source}: acls[{path!r}] must be a list of entries, not {type(entries).__name__}")
        acls[path] = tuple(parse_entry(entry, f"{source}: acls[{path!r}][{index}]") for index, entry in enumerate(entries))
    return acls
