# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
---
module: win_integrity_capture
short_description: Capture a file-integrity manifest of a Windows host (hashes, sizes, times, attributes, owners, ACLs)
version_added: 0.1.0
description:
  - Walks O(roots) with .NET directly (never C(win_find)) and records every file, folder, junction and symbolic link
    with its size, last write time, content hash (streamed with a 1 MiB buffer), the R, H and S attributes (Archive is
    left out because backups change it), the owner account (or an unmapped SID) and the SHA-256 of its SDDL, in one
    call. Junctions and symbolic links are recorded, never followed. It only reads.
  - The result is compact (the rows gzip-compressed); P(hardened.iis.integrity#module) stores, signs and compares it on
    the controller. Unreadable entries are reported with a reason starting C(read:), C(list:), C(acl:) or C(link:)
    (or C(not found) for a missing root), not fatal. Paths longer than 260 characters may be listed as unreadable.
  - The POSIX counterpart is P(hardened.iis.integrity_capture#module), with the same options and manifest.
author: hardened.iis maintainers (@hardened-iis)
options:
  roots:
    description: The folders or files to walk (environment variables such as C(%windir%) are expanded).
    type: list
    elements: path
    required: true
  exclude:
    description:
      - Glob patterns of paths to leave out, matched case-insensitively against the full path; C(*) and C(?) stay
        within a path segment, C(**) crosses segments (C(C:\\inetpub\\logs\\**), C(**\\Temporary ASP.NET Files\\**)).
    type: list
    elements: str
    default: []
  algorithm:
    description: The content hash; C(blake2b) fails (.NET has no BLAKE2).
    type: str
    choices: [sha256, sha512, blake2b]
    default: sha256
  previous:
    description:
      - "Incremental mode, set by P(hardened.iis.integrity#module): base64 of gzip of the JSON object that maps each path
        of the previous baseline to C([size, mtime_ns, hash]); paths match without case. A file whose size and last
        write time are unchanged keeps its previous hash instead of being read again."
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
    platforms: windows
seealso:
  - module: hardened.iis.integrity
  - module: hardened.iis.integrity_capture
"""

EXAMPLES = r"""
- name: Capture the IIS configuration and web roots of a Windows host
  hardened.iis.win_integrity_capture:
    roots: ['%windir%\System32\inetsrv', 'C:\inetpub\wwwroot']
    exclude: ['**\logs\**']
  register: capture
"""

RETURN = r"""
manifest:
  description: The manifest header and its rows, C([path, type, size, mtime_ns, hash, attributes, owner, acl, target]), as base64 of gzip of JSON.
  returned: success
  type: dict
  sample: {format: hardened.iis/manifest/v1, platform: windows, algorithm: sha256, case_insensitive: true, count: 5210, rows_gz: H4sI...}
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
