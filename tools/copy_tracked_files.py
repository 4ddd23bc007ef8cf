# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Copy the files git tracks (and new files it does not ignore) to a directory.

ansible-test needs the collection at ``ansible_collections/<namespace>/<name>`` in a
real directory tree; this makes that tree from the working copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def main(destination: str) -> int:
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], check=True, capture_output=True).stdout
    target = Path(destination)
    for name in filter(None, listing.decode("utf-8").split("\0")):
        source = Path(name)
        if not source.is_file():
            continue
        copy = target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
