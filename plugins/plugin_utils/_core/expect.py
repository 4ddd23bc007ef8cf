# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Expectations: one operator that an actual value must satisfy (docs/rules-format.md); one that cannot be used is a CatalogError."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import CatalogError

OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "lte",
    "gte",
    "matches",
    "not_matches",
    "flags_include",
    "flags_exclude",
    "flags_not_together",
    "not_on_system_drive",
    "present",
)

_PARAMETER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_SYSTEM_DRIVE = re.compile(r"%systemdrive%", re.IGNORECASE)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _fold(value: Any) -> str:
    return _text(value).casefold()


def _flags(value: str | None) -> set[str]:
    return {part.strip().casefold() for part in (value or "").split(",") if part.strip()}


def _integer(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def substitute(value: Any, params: dict[str, Any]) -> Any:
    """Replace ``{param}`` references in strings (recursively in lists)."""
    if isinstance(value, list):
        return [substitute(v, params) for v in value]
    if not isinstance(value, str):
        return value
    whole = _PARAMETER.fullmatch(value)
    if whole is not None and whole.group(1) in params:
        return params[whole.group(1)]

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return _text(params[name]) if name in params else match.group(0)

    return _PARAMETER.sub(replace, value)


@dataclass(frozen=True)
class Expectation:
    """One operator and its operand, as written in the catalog, and the aliases of the attribute's values.

    ``aliases`` maps a value the reader of the setting takes as another (ASP.NET reads
    ``cookieless="false"`` as ``UseCookies``) to that value; keys compare without regard to case.
    """

    operator: str
    operand: Any
    aliases: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: Any, where: str) -> Expectation:
        if isinstance(data, dict) and "aliases" in data:
            aliases = data["aliases"]
            if not isinstance(aliases, dict) or not aliases or not all(isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()):
                raise CatalogError(f"{where}: 'aliases' must be a non-empty mapping of text to text, got {aliases!r}")
            data = {k: v for k, v in data.items() if k != "aliases"}
        else:
            aliases = {}
        if not isinstance(data, dict) or len(data) != 1:
            raise CatalogError(f"{where}: 'expect' must be a mapping with exactly one operator, got {data!r}")
        operator, operand = next(iter(data.items()))
        if operator not in OPERATORS:
            raise CatalogError(f"{where}: unknown operator {operator!r} (known: {', '.join(OPERATORS)})")
        if operator in ("in", "not_in", "flags_include", "flags_exclude") and not isinstance(operand, list):
            raise CatalogError(f"{where}: operator {operator!r} takes a list")
        if operator == "flags_not_together" and not (isinstance(operand, list) and all(isinstance(g, list) for g in operand)):
            raise CatalogError(f"{where}: operator 'flags_not_together' takes a list of lists")
        if operator in ("matches", "not_matches"):
            try:
                re.compile(str(operand))
            except re.error as exc:
                raise CatalogError(f"{where}: invalid regular expression {operand!r}: {exc}") from None
        return cls(operator, operand, {_fold(k): v for k, v in aliases.items()})

    def describe(self, params: dict[str, Any]) -> str:
        """The expectation in words, for evidence (``equals 'false'``)."""
        operand = substitute(self.operand, params)
        return f"{self.operator.replace('_', ' ')} {operand!r}"

    def holds(self, actual: str | None, params: dict[str, Any], system_drive: str = "C:") -> bool:
        operand = substitute(self.operand, params)
        check = _CHECKS[self.operator]
        return check(self.normalise(actual), operand, system_drive)

    def normalise(self, actual: str | None) -> str | None:
        """The value the setting's reader takes ``actual`` for (``aliases``), else ``actual``."""
        if actual is None:
            return None
        return self.aliases.get(_fold(actual), actual)


def _equals(actual: str | None, operand: Any, _drive: str) -> bool:
    return actual is not None and _fold(actual) == _fold(operand)


def _in(actual: str | None, operand: Any, _drive: str) -> bool:
    return actual is not None and _fold(actual) in {_fold(v) for v in operand}


def _lte(actual: str | None, operand: Any, _drive: str) -> bool:
    value, limit = _integer(actual), _integer(operand)
    return value is not None and limit is not None and value <= limit


def _gte(actual: str | None, operand: Any, _drive: str) -> bool:
    value, limit = _integer(actual), _integer(operand)
    return value is not None and limit is not None and value >= limit


def _matches(actual: str | None, operand: Any, _drive: str) -> bool:
    return actual is not None and re.search(str(operand), actual, re.IGNORECASE) is not None


def _flags_include(actual: str | None, operand: Any, _drive: str) -> bool:
    return {_fold(v) for v in operand} <= _flags(actual)


def _flags_exclude(actual: str | None, operand: Any, _drive: str) -> bool:
    return not ({_fold(v) for v in operand} & _flags(actual))


def _flags_not_together(actual: str | None, operand: Any, _drive: str) -> bool:
    present = _flags(actual)
    return not any({_fold(v) for v in group} <= present for group in operand)


def _not_on_system_drive(actual: str | None, operand: Any, drive: str) -> bool:
    if actual is None or not operand:
        return actual is not None
    # A function, not the drive itself, replaces: a replacement string would read the
    # backslashes of a host-sent value (C:\o) as escapes.
    expanded = _SYSTEM_DRIVE.sub(lambda _match: drive, actual).strip()
    return not expanded.casefold().startswith(drive.casefold())


def _present(actual: str | None, operand: Any, _drive: str) -> bool:
    return (actual is not None) == bool(operand)


_CHECKS: dict[str, Callable[[str | None, Any, str], bool]] = {
    "equals": _equals,
    "not_equals": lambda a, o, d: a is None or not _equals(a, o, d),
    "in": _in,
    "not_in": lambda a, o, d: a is None or not _in(a, o, d),
    "lte": _lte,
    "gte": _gte,
    "matches": _matches,
    "not_matches": lambda a, o, d: a is None or not _matches(a, o, d),
    "flags_include": _flags_include,
    "flags_exclude": _flags_exclude,
    "flags_not_together": _flags_not_together,
    "not_on_system_drive": _not_on_system_drive,
    "present": _present,
}
