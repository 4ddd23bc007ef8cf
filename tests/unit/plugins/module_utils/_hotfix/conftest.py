# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real MSRC documents of ``$HARDENED_IIS_CORPUS/cvrf``, read once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog, load_catalog

CORPUS = os.environ.get("HARDENED_IIS_CORPUS", "")
CVRF = Path(CORPUS) / "cvrf" if CORPUS else None
needs_corpus = pytest.mark.skipif(CVRF is None or not CVRF.is_dir(), reason="HARDENED_IIS_CORPUS is not set to the shared corpus directory")


@pytest.fixture(scope="session")
def real_catalog() -> UpdateCatalog:
    if CVRF is None or not CVRF.is_dir():
        pytest.skip("HARDENED_IIS_CORPUS is not set to the shared corpus directory")
    return load_catalog(CVRF)
