# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A rule's parameters: the organisation values it takes, each with its type, and their checking.

In the catalog a parameter is ``name: {default, type, min?, max?, choices?, pattern?}`` (docs/rules-format.md,
"Parameters"); a bare default (``max_url: 4096``) is an ``int`` or ``str`` parameter without further bounds. An
organisation's value (``hardened_iis_params: {iis-request-max-url: {max_url: 2048}}``) is checked against it before
anything on any host changes: ``"2048"`` from ``-e`` or an AWX survey becomes 2048, ``"four thousand"`` is refused
naming the variable, the rule and what is allowed, and an unknown name is refused with the nearest known one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .errors import CatalogError

TYPES = ("int", "str")
FIELDS = ("default", "type", "min", "max", "choices", "pattern")


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    type: str
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    pattern: str | None = None

    @classmethod
    def parse(cls, name: str, data: Any, where: str) -> Param:
        """A parameter of the catalog: a declaration mapping, or a bare default."""
        if not isinstance(data, dict):
            if isinstance(data, bool) or not isinstance(data, (int, str)):
                raise CatalogError(f"{where}: a parameter is a default (a number or text) or {{{', '.join(FIELDS)}}}, got {data!r}")
            return cls(name, data, "int" if isinstance(data, int) else "str")
        unknown = sorted(set(data) - set(FIELDS))
        if unknown or "default" not in data or data.get("type") not in TYPES:
            raise CatalogError(f"{where}: a parameter declaration has 'default' and 'type' ({' or '.join(TYPES)}), optionally min, max, choices, pattern")
        bounds = {key: data.get(key) for key in ("min", "max")}
        if any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in bounds.values()):
            raise CatalogError(f"{where}: min and max are whole numbers")
        choices = data.get("choices") or []
        if not isinstance(choices, list) or not all(isinstance(c, (str, int)) and not isinstance(c, bool) for c in choices):
            raise CatalogError(f"{where}: choices is a list of values")
        pattern = data.get("pattern")
        if pattern is not None:
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise CatalogError(f"{where}: pattern is not a regular expression: {exc}") from None
        declared = cls(name, data["default"], str(data["type"]), bounds["min"], bounds["max"], tuple(str(c) for c in choices), pattern)
        declared.value(data["default"], f"{where}.default")
        return declared

    def allowed(self) -> str:
        """What the parameter takes, in words (``a whole number from 1 to 4294967295``)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        if self.type == "int":
            low = "" if self.min is None else f" from {self.min}"
            high = "" if self.max is None else f" to {self.max}"
            return f"a whole number{low}{high}"
        return "text" + (f" matching {self.pattern}" if self.pattern else "")

    def value(self, raw: Any, where: str) -> Any:
        """``raw`` as the parameter's type; CatalogError naming ``where`` and what is allowed when it is not one."""
        if self.type == "int":
            number = _whole_number(raw)
            if number is None or (self.min is not None and number < self.min) or (self.max is not None and number > self.max):
                raise CatalogError(f"{where}: {raw!r} is not allowed: {self.name} takes {self.allowed()}")
            checked: Any = number
        else:
            if isinstance(raw, bool) or not isinstance(raw, (str, int)):
                raise CatalogError(f"{where}: {raw!r} is not allowed: {self.name} takes {self.allowed()}")
            checked = str(raw)
            if self.pattern is not None and not re.fullmatch(self.pattern, checked):
                raise CatalogError(f"{where}: {raw!r} is not allowed: {self.name} takes {self.allowed()}")
        if self.choices and str(checked) not in self.choices:
            raise CatalogError(f"{where}: {raw!r} is not allowed: {self.name} takes {self.allowed()}")
        return checked


def _whole_number(raw: Any) -> int | None:
    """An int, or text that is one (what ``-e key=value`` and AWX surveys give); never a bool or a fraction."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
        return int(raw)
    return None


def parse_params(data: Any, where: str) -> dict[str, Param]:
    """A rule's ``params``: name -> declaration."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: params must be a mapping")
    return {str(name): Param.parse(str(name), value, f"{where}.params.{name}") for name, value in data.items()}


def nearest(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def checked_overrides(overrides: Any, declared: dict[str, dict[str, Param]], variable: str) -> dict[str, dict[str, Any]]:
    """An organisation's values by rule id, each checked against the rule's declared parameters and converted.

    ``declared`` holds every known rule's parameters (a rule without any: an empty mapping). Anything that is not
    allowed is a CatalogError naming ``variable``, the rule and the parameter, before anything changes.
    """
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise CatalogError(f"{variable}: must map a rule id to its values, e.g. {{iis-request-max-url: {{max_url: 2048}}}}")
    checked: dict[str, dict[str, Any]] = {}
    for rule_id, values in overrides.items():
        rule_id = str(rule_id)
        if rule_id not in declared:
            raise CatalogError(f"{variable}: unknown rule id {rule_id!r}{nearest(rule_id, sorted(declared))}")
        params = declared[rule_id]
        if not isinstance(values, dict):
            raise CatalogError(f"{variable}[{rule_id!r}]: must map a parameter name to its value")
        if not params and values:
            raise CatalogError(f"{variable}[{rule_id!r}]: rule {rule_id} takes no parameters")
        checked[rule_id] = {}
        for name, raw in values.items():
            name = str(name)
            if name not in params:
                raise CatalogError(
                    f"{variable}[{rule_id!r}]: unknown parameter {name!r}{nearest(name, sorted(params))} (rule {rule_id} takes {', '.join(params)})"
                )
            checked[rule_id][name] = params[name].value(raw, f"{variable}[{rule_id!r}][{name!r}]")
    return checked
