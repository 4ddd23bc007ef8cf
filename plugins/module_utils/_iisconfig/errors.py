# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Errors raised by the IIS configuration engine.

Every error names the file, and where it is known the line and column, so that a
user can open the file at the place that is wrong.
"""

from __future__ import annotations

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError


class ConfigError(HardenedIisError):
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


class UnreadableScopeError(ConfigError):
    """A web.config IIS cannot read stands on the way to a URL path.

    IIS answers HTTP 500.19 for every URL at or below ``scope`` (the site and URL path where
    it reads ``web_config``); the rest of the server is not affected. ``file``, ``line`` and
    ``cause`` say what is wrong: the web.config itself, or a file it names (``configSource``).
    """

    def __init__(self, reason: ConfigError, web_config: str, scope: str) -> None:
        self.web_config = web_config
        self.scope = scope
        super().__init__(reason.file, reason.cause, line=reason.line, column=reason.column)

    def __str__(self) -> str:
        return f"{super().__str__()}; IIS would answer HTTP 500.19 for URLs under {self.scope}"


class InvalidValueError(ConfigError):
    """A value the schema's attribute type does not take (IIS would refuse the file, HTTP 500.19): never written."""
