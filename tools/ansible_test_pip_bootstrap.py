# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make sure ``ansible-test sanity --venv`` can bootstrap pip on a machine without internet.

ansible-test downloads a ``get-pip`` script into ``~/.ansible/test/cache/`` before it
creates its virtual environments. Where that download cannot work, this writes a
stand-in with the same name that installs pip from Python's bundled wheel
(``ensurepip``) and then installs the requested packages from the package index the
machine can reach. The download address is read from ansible-test itself, so it is
not repeated here. Nothing is written when the cached script already exists or the
real one can be fetched.
"""

from __future__ import annotations

import re
import sys
import urllib.request
from pathlib import Path

import ansible_test  # type: ignore[import-untyped]

STAND_IN = '''"""Stand-in for get-pip.py written by hardened.iis tools/ansible_test_pip_bootstrap.py."""
import ensurepip
import subprocess
import sys

ensurepip.bootstrap()
arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# ansible-test clears pip's configuration from the environment, so name the CA bundle.
command = [sys.executable, "-m", "pip", "install", "--cert", "/etc/ssl/certs/ca-certificates.crt", *arguments]
sys.exit(subprocess.call(command))
'''


def ansible_test_source(relative: str) -> str:
    return (Path(ansible_test.__file__).parent / relative).read_text(encoding="utf-8")


def pip_version() -> str:
    match = re.search(r"pip='([0-9.]+)'", ansible_test_source("_internal/python_requirements.py"))
    if match is None:
        raise SystemExit("cannot find the pip version ansible-test bootstraps")
    return match.group(1)


def download_url(version: str) -> str:
    match = re.search(r"url = '([^']+%s[^']*)'", ansible_test_source("_util/target/setup/requirements.py"))
    if match is None:
        raise SystemExit("cannot find the address ansible-test downloads get-pip from")
    return match.group(1) % version


def main() -> int:
    version = pip_version()
    cache = Path.home() / ".ansible" / "test" / "cache" / f"get_pip_{version.replace('.', '_')}.py"
    if cache.exists():
        print(f"ansible-test pip bootstrap: using {cache}")
        return 0
    cache.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(download_url(version), timeout=15) as response:  # noqa: S310 - https address from ansible-test
            cache.write_bytes(response.read())
        print(f"ansible-test pip bootstrap: downloaded the real script to {cache}")
    except OSError as exc:
        cache.write_text(STAND_IN, encoding="utf-8")
        print(f"ansible-test pip bootstrap: download failed ({exc}); wrote an ensurepip stand-in to {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
