#!/usr/bin/python
# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: integrity_capture
short_description: Capture a file-integrity manifest of a POSIX host (hashes, sizes, times, owners, permissions)
version_added: 0.1.0
description:
  - Walks O(roots) and records every file, directory and link with its size, modification time, content hash,
    attributes or permission bits, owner and ACL digest, in one call. It only reads.
  - Files are hashed in parallel on every core with bounded memory, links are never followed and names may hold
    any bytes. Windows hosts use P(hardened.iis.win_integrity_capture#module), which takes the same options and
    returns the same manifest.
  - The result is compact (the rows gzip-compressed); P(hardened.iis.integrity#module) stores, signs and compares it
    on the controller. Unreadable entries are reported, not fatal.
author: hardened.iis maintainers (@hardened-iis)
options:
  roots:
    description: The folders or files to walk (environment variables and C(~) are expanded).
    type: list
    elements: path
    required: true
  exclude:
    description:
      - Glob patterns of paths to leave out, matched against the full path;
        C(*) and C(?) stay within a path segment, C(**) crosses segments (C(C:\\inetpub\\logs\\**), C(**/tmp/**)).
    type: list
    elements: str
    default: []
  algorithm:
    description: The content hash.
    type: str
    choices: [sha256, sha512, blake2b]
    default: sha256
  previous:
    description:
      - "Incremental mode, set by P(hardened.iis.integrity#module): base64 of gzip of the JSON object that maps each path
        of the previous baseline to C([size, mtime_ns, hash]). A file whose size and modification time are
        unchanged keeps its previous hash instead of being read again."
    type: str
    default: ''
  max_unreadable:
    description: At most this many unreadable entries are listed (all are counted).
    type: int
    default: 1000
attributes:
  check_mode:
    description: Runs in check mode and returns the same result; it never changes anything.
    support: full
  diff_mode:
    description: Nothing changes.
    support: none
  platform:
    description: Target operating systems.
    support: full
    platforms: posix
seealso:
  - module: hardened.iis.integrity
  - module: hardened.iis.win_integrity_capture
"""

EXAMPLES = r"""
- name: Capture /etc and /var/www of a Linux web server
  hardened.iis.integrity_capture:
    roots: [/etc, /var/www]
    exclude: ['/etc/mtab']
"""

RETURN = r"""
manifest:
  description: The manifest header and its rows, C([path, type, size, mtime_ns, hash, attributes, owner, acl, target]), as base64 of gzip of JSON.
  returned: success
  type: dict
  sample: {format: hardened.iis/manifest/v1, platform: posix, algorithm: sha256, case_insensitive: false, roots: [/etc], count: 1843, rows_gz: H4sI...}
unreadable:
  description: Entries that could not be read, with the reason (at most O(max_unreadable)).
  returned: success
  type: list
  elements: dict
unreadable_count:
  description: How many entries could not be read.
  returned: success
  type: int
stats:
  description: Files and directories seen, files hashed and hashes reused, bytes hashed, seconds taken.
  returned: success
  type: dict
"""

import base64
import gzip
import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hardened.iis.plugins.module_utils._integrity.capture import Capture
from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import ALGORITHMS, FORMAT, encode_rows


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "roots": {"type": "list", "elements": "path", "required": True},
            "exclude": {"type": "list", "elements": "str", "default": []},
            "algorithm": {"type": "str", "choices": list(ALGORITHMS), "default": "sha256"},
            "previous": {"type": "str", "default": ""},
            "max_unreadable": {"type": "int", "default": 1000},
        },
        supports_check_mode=True,
    )
    previous = {}
    if module.params["previous"]:
        try:
            previous = json.loads(gzip.decompress(base64.b64decode(module.params["previous"], validate=True)))
        except (ValueError, OSError, EOFError) as exc:
            module.fail_json(msg=f"previous: not base64 gzip JSON ({exc})")
    roots = [os.path.abspath(os.path.expandvars(r)) for r in module.params["roots"]]  # type=path already expanded ~
    capture = Capture(roots, module.params["exclude"], module.params["algorithm"], previous, max_unreadable=module.params["max_unreadable"])
    rows = capture.run()
    manifest = {
        "format": FORMAT,
        "platform": "posix",
        "algorithm": module.params["algorithm"],
        "case_insensitive": False,
        "roots": roots,
        "exclude": module.params["exclude"],
        "count": len(rows),
        "rows_gz": encode_rows(rows),
    }
    module.exit_json(changed=False, manifest=manifest, unreadable=capture.unreadable, unreadable_count=capture.unreadable_count, stats=capture.stats)


if __name__ == "__main__":
    main()
