# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the IIS configuration engine: parse + effective configuration of every site.

Measures, on one core (the engine is single-threaded):
  (a) each applicationHost.config of ``$HARDENED_IIS_CORPUS/applicationhost``;
  (b) a generated applicationHost.config with N sites (2 applications each) and N
      ``<location>`` tags, built on the lab server's real file;
  (c) hostile sizes, each built on the lab server's real file (issue 15): 100,000
      ``<location>`` tags of one site; 300,000 request-filtering entries (and a
      ``<location>`` removing a tenth of them); 2.5 million attributes in a 31 MB file
      (25,000 ``appSettings`` entries of 100 attributes), with the peak of memory
      Python allocates while parsing and resolving it (tracemalloc; the file's own
      bytes, read before, not counted).

"Fully resolved" means: the file parsed, the sites tree built, and for every site and
every application (in (c): every path a ``<location>`` names) every section that applies
there merged with provenance.

Usage: python benchmarks/bench_config_engine.py [--sites 1000] [--repeat 5] [--hostile-repeat 3]
       [--locations 100000] [--entries 300000] [--attribute-entries 25000] [--json FILE]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
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


HOSTILE_BODIES = (
    '<system.webServer><directoryBrowse enabled="true" /></system.webServer>',
    '<system.webServer><httpErrors errorMode="Custom" /></system.webServer>',
)
"""Small <location> bodies: 100,000 tags make a file of 12.5 MB, the size of the report."""

TARGET_SECONDS = 10.0
"""(c): 100,000 locations and 300,000 collection entries each resolved in under 10 s."""
TARGET_MEMORY_RATIO = 10.0
"""(c): peak memory for the 31 MB file under 10 times its size."""


def generate_locations(count: int) -> bytes:
    """The lab applicationHost.config with ``count`` <location> tags, each for its own folder of one site."""
    text = LAB_APPHOST.read_text(encoding="utf-8")
    locations = "".join(f'<location path="Default Web Site/d{index:06d}">{HOSTILE_BODIES[index % 2]}</location>\n' for index in range(count))
    return text.replace("</configuration>", locations + "</configuration>", 1).encode("utf-8")


def generate_collection(count: int) -> bytes:
    """The lab applicationHost.config with ``count`` file extensions denied server-wide, and a
    <location> for the site that removes every tenth of them again."""
    text = LAB_APPHOST.read_text(encoding="utf-8")
    adds = "".join(f'                    <add fileExtension=".x{index}" allowed="false" />\n' for index in range(count))
    removes = "".join(f'<remove fileExtension=".x{index}" />' for index in range(0, count, 10))
    site = (
        '<location path="Default Web Site"><system.webServer><security><requestFiltering><fileExtensions>'
        f"{removes}</fileExtensions></requestFiltering></security></system.webServer></location>\n"
    )
    text = text.replace('<add fileExtension=".asax" allowed="false" />', adds.strip(), 1)
    return text.replace("</configuration>", site + "</configuration>", 1).encode("utf-8")


def generate_attributes(entries: int, per_entry: int = 100) -> bytes:
    """The lab applicationHost.config with ``entries`` appSettings entries of ``per_entry``
    attributes each (a key and numbered ones with values from a pool of 10,000): 25,000
    entries make 2.5 million attributes in 31 MB."""
    text = LAB_APPHOST.read_text(encoding="utf-8")
    lines = []
    for index in range(entries):
        attributes = " ".join(f'at{number:02d}="{(index * 31 + number * 7) % 10000:04d}"' for number in range(per_entry - 1))
        lines.append(f'<add key="k{index:07d}" {attributes} />\n')
    return text.replace("</configuration>", "<appSettings>\n" + "".join(lines) + "</appSettings>\n</configuration>", 1).encode("utf-8")


def resolve_named_paths(name: str, raw: bytes) -> int:
    """Parse and resolve every section at every path the configuration names; return the count."""
    config = IisConfiguration.from_bytes(name, raw)
    resolved = 0
    for site in config.sites:
        for url_path in config.named_paths(site):
            effective = config.resolve(site.name, url_path)
            for section in effective.sections():
                effective.section(section)
                resolved += 1
    return resolved


def peak_memory(function: Callable[[], int]) -> int:
    """The peak of memory Python allocates while ``function`` runs (tracemalloc), in bytes."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure_hostile(arguments: argparse.Namespace) -> dict[str, object]:
    """(c): time each hostile shape fully resolved, and the peak memory of the largest file."""
    shapes = (
        ("locations", f"{arguments.locations:,} <location> tags", generate_locations(arguments.locations), resolve_named_paths),
        ("collection", f"{arguments.entries:,} collection entries", generate_collection(arguments.entries), resolve_everything),
        ("attributes", f"{arguments.attribute_entries * 100:,} attributes", generate_attributes(arguments.attribute_entries), resolve_everything),
    )
    results: dict[str, object] = {}
    for key, label, raw, resolve in shapes:
        best, median, count = measure(functools.partial(resolve, f"{key}.config", raw), arguments.hostile_repeat)
        row: dict[str, object] = {"bytes": len(raw), "sections_resolved": count, "best_s": best, "median_s": median}
        line = f"hostile: {label}, {len(raw):,} bytes: fully resolved ({count:,} sections) best {best:.2f} s, median {median:.2f} s"
        if key == "attributes":
            peak = peak_memory(functools.partial(resolve, f"{key}.config", raw))
            row.update(peak_bytes=peak, peak_ratio=peak / len(raw))
            line += f"; peak memory {peak / 1e6:.0f} MB = {peak / len(raw):.1f}x the file (target under {TARGET_MEMORY_RATIO:.0f}x)"
        elif best > TARGET_SECONDS:
            line += f" (target under {TARGET_SECONDS:.0f} s: NOT met)"
        results[key] = row
        print(line)
    return results


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
    """(best, median) seconds over ``repeat`` runs, and the function's result.

    The garbage a run leaves (a configuration and its resolved paths refer to each other,
    so only the cyclic collector frees them) is collected before the next one, untimed.
    """
    times = []
    result = 0
    for _run in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--hostile-repeat", type=int, default=3, help="runs of each hostile size in (c); 0 skips (c)")
    parser.add_argument("--locations", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--attribute-entries", type=int, default=25_000, help="appSettings entries of 100 attributes each")
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
    if arguments.hostile_repeat > 0:
        results["hostile"] = measure_hostile(arguments)
    if arguments.json:
        arguments.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
