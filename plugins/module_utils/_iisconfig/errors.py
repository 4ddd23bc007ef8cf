# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Errors raised by the IIS configuration engine.

Every error names the file, and where it is known the line and column, so that a
user can open the file at the place that is wrong.
"""

from __future__ import annotations


class ConfigError(Exception):
    """A configuration file cannot be read, parsed or edited as asked."""

    def __init__(self, file: str, cause: str, line: int | None = None, column: int | None = None) -> None:
        self.file = file
        self.cause = cause
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.cause}"


class EditError(ConfigError):
    """An edit cannot be made (missing target, ambiguous target, locked value)."""
