# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IIS-like web servers on loopback addresses for the discovery scenario: serve.py PORT ADDRESS..."""

from __future__ import annotations

import http.server
import sys
import threading


class IisLike(http.server.BaseHTTPRequestHandler):
    server_version = "Microsoft-IIS/10.0"
    sys_version = ""

    def do_GET(self) -> None:
        body = b"<html><head><title>IIS Windows Server</title></head><body><img src='iisstart.png'></body></html>"
        self.send_response(200)
        self.send_header("X-Powered-By", "ASP.NET")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments: object) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1])
    servers = [http.server.ThreadingHTTPServer((address, port), IisLike) for address in sys.argv[2:]]
    threads = [threading.Thread(target=server.serve_forever) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


if __name__ == "__main__":
    main()
