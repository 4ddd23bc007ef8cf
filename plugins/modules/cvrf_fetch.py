#!/usr/bin/python
# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
---
module: cvrf_fetch
short_description: Download MSRC monthly security update documents (CVRF) into a directory
version_added: 0.1.0
description:
  - On a connected control node, downloads the CVRF XML document of each month named in O(months)
    into O(dest), where P(hardened.iis.hotfix_compliance#module) reads them. Offline control nodes skip this and
    get the documents copied instead.
  - A document is written only when it parses as a CVRF document whose id is the month asked for; an existing
    file with the same content is left alone.
  - "Run it on the control node (C(delegate_to: localhost))."
author: hardened.iis maintainers (@hardened-iis)
options:
  months:
    description: Document ids, for example C(2025-Nov).
    type: list
    elements: str
    required: true
  dest:
    description: The directory to write C(cvrfDocument-<id>.xml) into; created when missing.
    type: path
    required: true
  base_url:
    description: Where the documents are served; the month id is appended. The default is MSRC's CVRF v3 API.
    type: str
    default: https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/
  timeout:
    description: Seconds to wait for each download.
    type: int
    default: 60
  validate_certs:
    description: Whether the server's TLS certificate is validated. Leave it on.
    type: bool
    default: true
attributes:
  check_mode:
    description: Downloads and checks the documents but writes nothing.
    support: full
  diff_mode:
    description: Not supported.
    support: none
  platform:
    description: The control node.
    support: full
    platforms: posix
seealso:
  - module: hardened.iis.hotfix_compliance
"""

EXAMPLES = r"""
- name: Download the last three months' documents on a connected control node
  hardened.iis.cvrf_fetch:
    months: [2025-Sep, 2025-Oct, 2025-Nov]
    dest: /srv/msrc/cvrf
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
documents:
  description: Each month with its file, revision and whether it was written.
  returned: success
  type: list
  elements: dict
  sample: [{month: 2025-Nov, path: /srv/msrc/cvrf/cvrfDocument-2025-Nov.xml, revision: "170", written: true}]
"""

import re
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.cvrf import CvrfError, parse_document

MONTH = re.compile(r"^\d{4}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)$")


class FetchError(HardenedIisError):
    """A document could not be downloaded; the message names the month and the URL."""


def fetch(params: dict[str, Any], month: str) -> bytes:
    url = params["base_url"] + month
    try:
        response = open_url(url, headers={"Accept": "application/xml"}, timeout=params["timeout"], validate_certs=params["validate_certs"])
        return bytes(response.read())
    except Exception as exc:  # urllib, socket and TLS errors alike: say which month and URL
        raise FetchError(f"cannot download {month} from {url}: {exc}; on an offline control node copy the documents into {params['dest']}") from None


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "months": {"type": "list", "elements": "str", "required": True},
            "dest": {"type": "path", "required": True},
            "base_url": {"type": "str", "default": "https://api.msrc.microsoft.com/cvrf/v3.0/cvrf/"},
            "timeout": {"type": "int", "default": 60},
            "validate_certs": {"type": "bool", "default": True},
        },
        supports_check_mode=True,
    )
    bad = [m for m in module.params["months"] if not MONTH.match(m)]
    if bad:
        module.fail_json(msg=f"months: {', '.join(bad)} not a document id like 2025-Nov")
    dest = Path(module.params["dest"])
    documents: list[dict[str, Any]] = []
    for month in module.params["months"]:
        try:
            data = fetch(module.params, month)
            document = parse_document(data, f"{month} from {module.params['base_url']}")
        except FetchError as exc:
            module.fail_json(msg=str(exc))
        except CvrfError as exc:
            module.fail_json(msg=f"{exc}; nothing was written")
        if document.id != month:
            module.fail_json(msg=f"asked for {month}, the server sent document {document.id}; nothing was written")
        path = dest / f"cvrfDocument-{month}.xml"
        written = not (path.is_file() and path.read_bytes() == data)
        if written and not module.check_mode:
            dest.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.part")
            temporary.write_bytes(data)
            temporary.replace(path)
        documents.append({"month": month, "path": str(path), "revision": document.revision, "written": written})
    module.exit_json(changed=any(d["written"] for d in documents), documents=documents)


if __name__ == "__main__":
    main()
