# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The independent verification (tests/testinfra, run by Molecule verify) fails on a host that is not hardened."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_testinfra_checks_fail_on_the_drifted_lab_host() -> None:
    environment = dict(os.environ, HARDENED_IIS_TESTINFRA_ROOTS=json.dumps({"web01": str(ROOT / "inventories" / "lab" / "snapshots" / "web01")}))
    suite = ROOT / "tests" / "testinfra"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--hosts=local://"]
    command += [f"--rootdir={suite}", "-c", os.devnull, "-q", str(suite)]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = {line.split("::")[1].split("[")[0] for line in result.stdout.splitlines() if line.startswith("FAILED")}
    assert {"test_directory_browsing_is_off", "test_detailed_errors_are_not_sent_to_remote_clients", "test_old_protocols_are_off_for_the_server"} <= failed
