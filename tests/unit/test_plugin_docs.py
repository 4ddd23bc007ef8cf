# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every module's and filter's documentation loads through ansible-doc (a YAML slip fails here, not only in sanity)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_DOC = shutil.which("ansible-doc", path=str(Path(sys.executable).parent)) or "ansible-doc"
MODULES = sorted({p.stem for p in (ROOT / "plugins" / "modules").iterdir() if p.suffix in (".py", ".ps1") and p.stem != "__init__"})
FILTERS = sorted(p.stem for p in (ROOT / "plugins" / "filter").glob("*.yml"))


@pytest.mark.parametrize(("plugin_type", "names"), [("module", MODULES), ("filter", FILTERS)])
def test_documentation_loads(plugin_type: str, names: list[str]) -> None:
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    command = [ANSIBLE_DOC, "--json", "-t", plugin_type, *(f"hardened.iis.{name}" for name in names)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=300)
    assert result.returncode == 0, result.stderr
    documented = json.loads(result.stdout)
    assert sorted(documented) == [f"hardened.iis.{name}" for name in names]
    for name, entry in documented.items():
        assert entry["doc"]["short_description"], name
