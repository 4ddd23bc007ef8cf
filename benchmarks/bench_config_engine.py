# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the IIS configuration engine: parse + effective configuration of every site.

Measures, on one core (the engine is single-threaded):
  (a) each applicationHost.config of ``$HARDENED_IIS_CORPUS/applicationhost``;
  (b) a generated applicationHost.config with N sites (2 applications each) and N
      ``<location>`` tags, built on the lab server's real file.

"Fully resolved" means: the file parsed, the sites tree built, and for every site and
every application every section that applies there merged with provenance.

Usage: python benchmarks/bench_config_engine.py [--sites 1000] [--repeat 5] [--json FILE]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.effective import IisConfiguration  # noqa: E402

LAB_APPHOST = ROOT / "inventories/lab/snapshots/web01/files/C/Windows/System32/inetsrv/config/applicationHost.config"

_FILTERING = "<system.webServer><security><requestFiltering>{}</requestFiltering></security></system.webServer>"
LOCATION_BODIES = (
    '<system.webServer><directoryBrowse enabled="true" /></system.webServer>',
    _FILTERING.format('<verbs allowUnlisted="false"><add verb="GET" allowed="true" /></verbs>'),
    '<system.webServer><httpErrors errorMode="Custom" /><httpProtocol><customHeaders><remove name="X-Powered-By" />'
    "</customHeaders></httpProtocol></system.webServer>",
    '<system.webServer><security><authentication><anonymousAuthentication enabled="false" />'
    '<windowsAuthentication enabled="true" /></authentication></security></system.webServer>',
)


def generate_apphost(sites: int) -> bytes:
    """The lab applicationHost.config grown to ``sites`` sites and as many <location> tags."""
    text = LAB_APPHOST.read_text(encoding="utf-8")
    site_xml = []
    for index in range(sites):
        site_xml.append(
            f'            <site name="site{index:04d}" id="{index + 10}">\n'
            f'                <application path="/" applicationPool="pool{index % 50}">\n'
            f'                    <virtualDirectory path="/" physicalPath="D:\\sites\\site{index:04d}" />\n'
            "                </application>\n"
            f'                <application path="/api" applicationPool="pool{index % 50}">\n'
            f'                    <virtualDirectory path="/" physicalPath="D:\\sites\\site{index:04d}\\api" />\n'
            "                </application>\n"
            "                <bindings>\n"
            f'                    <binding protocol="http" bindingInformation="*:80:site{index:04d}.example" />\n'
            "                </bindings>\n"
            "            </site>\n"
        )
    locations = []
    for index in range(sites):
        path = f"site{index:04d}" if index % 2 == 0 else f"site{index:04d}/api"
        locations.append(f'    <location path="{path}">\n        {LOCATION_BODIES[index % len(LOCATION_BODIES)]}\n    </location>\n')
    text = text.replace("            <siteDefaults>", "".join(site_xml) + "            <siteDefaults>", 1)
    text = text.replace("</configuration>", "".join(locations) + "</configuration>", 1)
    return text.encode("utf-8")


def resolve_everything(name: str, raw: bytes) -> int:
    """Parse and resolve every section at every application of every site; return the count."""
    config = IisConfiguration.from_bytes(name, raw)
    resolved = 0
    for site in config.sites:
        for application in site.applications:
            effective = config.resolve(site.name, application.path)
            for section in effective.sections():
                effective.section(section)
                resolved += 1
    return resolved


def measure(function: Callable[[], int], repeat: int) -> tuple[float, float, int]:
    """(best, median) seconds over ``repeat`` runs, and the function's result."""
    times = []
    result = 0
    for _run in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the results here")
    arguments = parser.parse_args()

    results: dict[str, object] = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    corpus = os.environ.get("HARDENED_IIS_CORPUS")
    rows: list[dict[str, object]] = []
    best_times: list[float] = []
    if corpus and (Path(corpus) / "applicationhost").is_dir():
        print(f"{'file':52} {'bytes':>8} {'sites':>5} {'sections':>8} {'best ms':>8} {'median ms':>9}")
        for path in sorted((Path(corpus) / "applicationhost").glob("*.config")):
            raw = path.read_bytes()
            best, median, count = measure(functools.partial(resolve_everything, path.name, raw), arguments.repeat)
            best_times.append(best * 1000)
            sites = len(IisConfiguration.from_bytes(path.name, raw).sites)
            rows.append({"file": path.name, "bytes": len(raw), "sites": sites, "sections": count, "best_ms": best * 1000, "median_ms": median * 1000})
            print(f"{path.name[:52]:52} {len(raw):>8} {sites:>5} {count:>8} {best * 1000:>8.1f} {median * 1000:>9.1f}")
        total = sum(best_times)
        print(f"corpus total (best): {total:.0f} ms for {len(rows)} files")
    else:
        print("HARDENED_IIS_CORPUS not set: corpus part skipped")
    results["corpus"] = rows

    raw = generate_apphost(arguments.sites)
    best, median, count = measure(lambda: resolve_everything("generated.config", raw), arguments.repeat)
    parse_best = measure(lambda: len(IisConfiguration.from_bytes("generated.config", raw).sites), arguments.repeat)[0]
    generated = {
        "sites": arguments.sites,
        "locations": arguments.sites,
        "bytes": len(raw),
        "sections_resolved": count,
        "parse_and_sites_best_s": parse_best,
        "full_best_s": best,
        "full_median_s": median,
    }
    results["generated"] = generated
    print(
        f"generated: {arguments.sites} sites, {arguments.sites} <location> tags, {len(raw)} bytes: "
        f"parse+sites {parse_best:.3f} s; fully resolved ({count} sections) best {best:.3f} s, median {median:.3f} s"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
