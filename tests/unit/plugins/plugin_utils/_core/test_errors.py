# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every error the collection raises on purpose derives from one class, the one the actions catch."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError

ROOT = Path(__file__).resolve().parents[5]
SIGNALS = {
    "plugins/module_utils/_discovery/scanner.py": {"NotHttpError"},  # an answer that is not HTTP: caught in the scanner, never reported
}
"""Exceptions raised and caught inside one module, never reported to a person."""


def defined_errors() -> list[tuple[str, str]]:
    """(module file, class name) of every public class named ``…Error`` under plugins/."""
    found = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            public = isinstance(node, ast.ClassDef) and node.name.endswith("Error") and not node.name.startswith("_")
            if public and node.name not in SIGNALS.get(relative, set()):
                found.append((relative, node.name))
    return found


def test_every_error_of_the_collection_is_a_hardened_iis_error() -> None:
    errors = defined_errors()
    assert len(errors) > 20
    not_derived = []
    for relative, name in errors:
        module = importlib.import_module("ansible_collections.hardened.iis." + relative.removesuffix(".py").replace("/", "."))
        if not issubclass(getattr(module, name), HardenedIisError):
            not_derived.append(f"{relative}: {name}")
    assert not_derived == []
