# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of hotfix compliance: 10,000 generated hosts against 24 monthly documents.

Only evaluation is timed (``ComplianceChecker.check`` over every host, the checker built
afresh each run so its per-product caches are rebuilt); reading the documents and building
the catalog are reported separately. Evaluation runs in one process, then in two (fork
context, each worker building its own ``ComplianceChecker`` from the inherited catalog and
evaluating one half of the hosts, pool start-up included); best of N runs each.

The 24 documents are derived in memory from the four real MSRC documents of
``$HARDENED_IIS_CORPUS/cvrf`` (2018-Dec, 2022-Jan, 2024-Jan, 2025-Nov), each parsed once
with ``parse_document``. Each real document gives six variants ``v = 0..5``, which fill 24
consecutive months from 2018-Dec in order (the 2018-Dec variants are 2018-Dec..2019-May,
the 2022-Jan ones 2019-Jun..2019-Nov, and so on):

* the id is the month's (``2019-Feb``), released on its second Tuesday;
* every KB number is shifted by ``v x 10,000,000`` (KB5009555 -> KB15009555 for v = 1), so
  the KBs of the 24 months are pairwise distinct (the real ones are already disjoint);
* ``supersedes`` of every fix names the previous month's KBs for the same product and
  subtype, so supersedence chains run across documents, also from one real document's
  variants into the next one's (the first month keeps its real ``Supercedence``, which
  points before the catalog; a product or subtype new in a later month supersedes nothing);
* every Windows ``FixedBuild`` UBR grows by ``v x 100``, so the newest cumulative update of
  a build family is newer month after month (asserted when deriving: 5 x 100 stays below
  the smallest gap between two real documents, 759 UBRs on build 10240);
* products, CVEs, subtypes, severities and exploit flags are the real ones.

Hosts are generated with ``random.Random(seed)``: Windows Server 2016, 2019, 2022, 2025
(when the catalog has it), 2012 R2 and 2008 R2, Server Core or not, .NET 4.7.2, 4.8 or
4.8.1 with or without 3.5; about 30% are current (UBR at or past the newest FixedBuild,
the newest KBs of each of their products installed), the others stand at the UBR of a
random month or before the catalog with 0-40 KBs drawn from the catalog (mostly of their
own products); Defender is absent, disabled, fresh or stale at varied ages.

Usage: python benchmarks/bench_hotfix.py [--runs 3] [--hosts 10000] [--seed 7] [--json out.json]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from ansible_collections.hardened.iis.plugins.module_utils._hotfix.catalog import UpdateCatalog  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.compliance import ComplianceChecker, Policy  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.cvrf import Fix, UpdateDocument, parse_document  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.host import DefenderStatus, HostFacts, InstalledUpdate  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._hotfix.products import HostProduct, host_products  # noqa: E402

VARIANTS = 6
KB_SHIFT = 10_000_000
UBR_STEP = 100
FIRST_MONTH = (2018, 12)
RELEASES = {
    14393: ("Windows Server 2016 Datacenter", 20),
    17763: ("Windows Server 2019 Datacenter", 25),
    20348: ("Windows Server 2022 Datacenter", 25),
    26100: ("Windows Server 2025 Datacenter", 10),
    9600: ("Windows Server 2012 R2 Standard", 12),
    7601: ("Windows Server 2008 R2 Enterprise", 8),
}
"""Build -> (ProductName, weight in the host mix)."""
DOTNET_4 = ("4.7.2", "4.8", "4.8.1")

Host = tuple[str, HostFacts]
Tally = dict[str, int]

# Set before the worker processes are forked, which inherit them without pickling.
_SHARED: tuple[UpdateCatalog, list[Host], datetime.date] | None = None


def _patch_tuesday(index: int) -> datetime.date:
    """The second Tuesday of the ``index``-th month after FIRST_MONTH."""
    year, month = divmod(FIRST_MONTH[0] * 12 + FIRST_MONTH[1] - 1 + index, 12)
    first = datetime.date(year, month + 1, 1)
    return first + datetime.timedelta(days=(1 - first.weekday()) % 7 + 7)


def _shift_kb(kb: str, variant: int) -> str:
    return f"KB{int(kb[2:]) + variant * KB_SHIFT}"


def derive_documents(real: Sequence[UpdateDocument]) -> list[UpdateDocument]:
    """``len(real) x 6`` monthly documents, in release order (see the module docstring)."""
    documents: list[UpdateDocument] = []
    previous: dict[tuple[str, str], tuple[str, ...]] = {}
    for source in sorted(real, key=lambda d: d.released):
        for variant in range(VARIANTS):
            released = _patch_tuesday(len(documents))
            fixes: list[Fix] = []
            this_month: dict[tuple[str, str], list[str]] = {}
            for fix in source.fixes:
                kb = _shift_kb(fix.kb, variant)
                key = (fix.product_id, fix.subtype)
                build = (fix.fixed_build[0], fix.fixed_build[1] + variant * UBR_STEP) if fix.fixed_build else None
                supersedes = previous.get(key, fix.supersedes if not documents else ())
                fixes.append(dataclasses.replace(fix, kb=kb, fixed_build=build, supersedes=supersedes))
                kbs = this_month.setdefault(key, [])
                if kb not in kbs:
                    kbs.append(kb)
            previous.update({key: tuple(kbs) for key, kbs in this_month.items()})
            documents.append(
                UpdateDocument(
                    id=f"{released:%Y-%b}",
                    revision=source.revision,
                    title=f"{released:%B %Y} Security Updates (derived from {source.id}, variant {variant})",
                    released=released,
                    products=dict(source.products),
                    fixes=fixes,
                )
            )
    _check_builds_grow(documents)
    return documents


def _check_builds_grow(documents: Sequence[UpdateDocument]) -> None:
    """The newest FixedBuild of every build family grows from month to month."""
    newest: dict[int, int] = {}
    for document in documents:
        month: dict[int, int] = {}
        for fix in document.fixes:
            if fix.fixed_build:
                month[fix.fixed_build[0]] = max(month.get(fix.fixed_build[0], 0), fix.fixed_build[1])
        for build, ubr in month.items():
            assert ubr > newest.get(build, -1), f"{document.id}: build {build}.{ubr} is not newer than {build}.{newest[build]}"
            newest[build] = ubr


def load_real_documents(corpus: Path) -> list[UpdateDocument]:
    paths = sorted(p for p in (corpus / "cvrf").iterdir() if p.suffix.casefold() in (".xml", ".json"))
    return [parse_document(path.read_bytes(), str(path)) for path in paths]


def generate_hosts(catalog: UpdateCatalog, count: int, today: datetime.date, seed: int = 7) -> list[Host]:
    """``count`` hosts, the same ones for the same catalog, count and seed."""
    rng = random.Random(seed)
    names = catalog.product_names
    all_kbs = sorted({fix.kb for fixes in catalog.by_product.values() for _document, fix in fixes})
    ubrs: dict[int, list[int]] = {}
    for fixes in catalog.by_product.values():
        for _document, fix in fixes:
            if fix.fixed_build:
                ubrs.setdefault(fix.fixed_build[0], []).append(fix.fixed_build[1])
    months = {build: sorted(set(values)) for build, values in ubrs.items()}
    releases = {build: spec for build, spec in RELEASES.items() if _has_windows_product(build, names)}
    builds, weights = list(releases), [spec[1] for spec in releases.values()]
    products_of: dict[tuple[object, ...], list[HostProduct]] = {}
    now = datetime.datetime.combine(today, datetime.time(12), tzinfo=datetime.UTC)
    hosts: list[Host] = []
    for index in range(count):
        build = rng.choices(builds, weights)[0]
        dotnet = ((rng.choice(DOTNET_4),) + (("3.5",) if rng.random() < 0.5 else ())) if build != 7601 else ("3.5.1", rng.choice(("4.7.2", "4.8")))
        facts = HostFacts(
            product_name=releases[build][0],
            current_build=build,
            installation_type="Server Core" if rng.random() < 0.4 else "Server",
            dotnet_framework=dotnet,
            hotpatch_enrolled=build in (20348, 26100) and rng.random() < 0.1,
        )
        key = (build, facts.server_core, dotnet)
        products = products_of.get(key)
        if products is None:
            products = products_of[key] = host_products(facts, names)
        own = sorted({fix.kb for product in products for _document, fix in catalog.by_product.get(product.id, ())})
        known = months.get(build, [0])
        if rng.random() < 0.3:  # current: the newest cumulative update and the newest KB of each product
            ubr = known[-1] + rng.randint(0, 30)
            kbs = {fix.kb for product in products for fix in _newest_fixes(catalog, product.id)}
            kbs.update(rng.sample(all_kbs, rng.randint(0, max(0, 40 - len(kbs)))))
        else:  # behind: the UBR of a random month, or older than the catalog
            ubr = rng.choice(known) - rng.choice((0, rng.randint(1, 50))) if rng.random() < 0.8 else rng.randint(0, max(0, known[0] - 1))
            wanted = rng.randint(0, 40)
            mine = min(len(own), round(wanted * 0.7))
            kbs = set(rng.sample(own, mine)) | set(rng.sample(all_kbs, wanted - mine))
        facts = dataclasses.replace(
            facts,
            ubr=max(0, ubr),
            updates=tuple(InstalledUpdate(kb, "history") for kb in sorted(kbs)),
            defender=_defender(rng, now),
        )
        hosts.append((f"host{index:05d}", facts))
    return hosts


def _has_windows_product(build: int, names: dict[str, str]) -> bool:
    facts = HostFacts(product_name="", current_build=build)
    return any(product.kind == "windows" for product in host_products(facts, names))


def _newest_fixes(catalog: UpdateCatalog, product_id: str) -> list[Fix]:
    fixes = catalog.by_product.get(product_id, [])
    if not fixes:
        return []
    newest = max(document.released for document, _fix in fixes)
    return [fix for document, fix in fixes if document.released == newest]


def _defender(rng: random.Random, now: datetime.datetime) -> DefenderStatus | None:
    draw = rng.random()
    if draw < 0.15:
        return None
    if draw < 0.25:
        return DefenderStatus(enabled=False, signature_version="1.401.0.0", signature_updated=now - datetime.timedelta(days=rng.uniform(0, 90)))
    age = rng.uniform(0, 5) if rng.random() < 0.75 else rng.uniform(5, 60)
    return DefenderStatus(enabled=True, signature_version="1.419.0.0", signature_updated=now - datetime.timedelta(days=age))


def evaluate(catalog: UpdateCatalog, hosts: Sequence[Host], today: datetime.date) -> Tally:
    """Every host through a fresh ComplianceChecker; counts, so the work cannot be skipped."""
    checker = ComplianceChecker(catalog, Policy.parse({}), today)
    tally = {"hosts": 0, "compliant": 0, "required": 0, "missing": 0, "behind": 0}
    for name, facts in hosts:
        result = checker.check(name, facts)
        missing = len(result.missing)
        tally["hosts"] += 1
        tally["compliant"] += result.compliant
        tally["required"] += len(result.outcomes)
        tally["missing"] += missing
        tally["behind"] += missing > 0
    return tally


def _evaluate_part(part: tuple[int, int]) -> Tally:
    assert _SHARED is not None
    catalog, hosts, today = _SHARED
    index, parts = part
    size = -(-len(hosts) // parts)
    return evaluate(catalog, hosts[index * size : (index + 1) * size], today)


def evaluate_parallel(catalog: UpdateCatalog, hosts: list[Host], today: datetime.date, workers: int) -> Tally:
    global _SHARED
    _SHARED = (catalog, hosts, today)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            tallies = pool.map(_evaluate_part, [(index, workers) for index in range(workers)], chunksize=1)
    finally:
        _SHARED = None
    return {key: sum(t[key] for t in tallies) for key in tallies[0]}


def measure(documents: list[UpdateDocument], hosts: list[Host], today: datetime.date, workers: int, runs: int) -> dict[str, object]:
    """Best and median of ``runs`` evaluations, each on a freshly built catalog (its supersedence cache empty)."""
    times: list[float] = []
    tallies: list[Tally] = []
    for _run in range(runs):
        catalog = UpdateCatalog.from_documents(documents)
        started = time.perf_counter()
        tally = evaluate(catalog, hosts, today) if workers == 1 else evaluate_parallel(catalog, hosts, today, workers)
        times.append(time.perf_counter() - started)
        tallies.append(tally)
    assert all(t == tallies[0] for t in tallies), "runs disagree"
    best = min(times)
    return {"workers": workers, "best_seconds": best, "median_seconds": statistics.median(times), "hosts_per_second": len(hosts) / best, "tally": tallies[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    corpus = os.environ.get("HARDENED_IIS_CORPUS")
    if not corpus or not (Path(corpus) / "cvrf").is_dir():
        print("HARDENED_IIS_CORPUS not set (or has no cvrf/): hotfix benchmark skipped, it needs the real MSRC documents")
        return 0

    started = time.perf_counter()
    real = load_real_documents(Path(corpus))
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    documents = derive_documents(real)
    derived = time.perf_counter() - started
    build_times = []
    for _run in range(max(1, arguments.runs)):
        started = time.perf_counter()
        catalog = UpdateCatalog.from_documents(documents)
        build_times.append(time.perf_counter() - started)
    today = documents[-1].released + datetime.timedelta(days=14)
    started = time.perf_counter()
    hosts = generate_hosts(catalog, arguments.hosts, today, arguments.seed)
    generated = time.perf_counter() - started
    fixes = sum(len(d.fixes) for d in documents)
    print(
        f"catalog: {len(documents)} documents ({documents[0].id}..{documents[-1].id}) from {len(real)} real ones, {fixes:,} fixes, "
        f"{len({f.kb for d in documents for f in d.fixes}):,} KBs; today {today}"
    )
    print(
        f"setup (not timed below): parse {parsed:.2f} s, derive {derived:.2f} s, catalog build best {min(build_times) * 1000:.0f} ms, "
        f"{len(hosts):,} hosts generated in {generated:.2f} s"
    )

    result: dict[str, object] = {
        "documents": len(documents),
        "fixes": fixes,
        "hosts": len(hosts),
        "runs": arguments.runs,
        "parse_seconds": parsed,
        "catalog_build_seconds": min(build_times),
    }
    for workers, label in ((1, "one_process"), (2, "two_processes")):
        measured = measure(documents, hosts, today, workers, arguments.runs)
        result[label] = measured
        tally = measured["tally"]
        assert isinstance(tally, dict)
        print(
            f"evaluation, {workers} process{'es' if workers > 1 else ''}: best {measured['best_seconds']:.2f} s, median {measured['median_seconds']:.2f} s "
            f"({measured['hosts_per_second']:,.0f} hosts/s, best of {arguments.runs})"
        )
    one, two = result["one_process"], result["two_processes"]
    assert isinstance(one, dict) and isinstance(two, dict)
    assert one["tally"] == two["tally"], f"1 and 2 processes disagree: {one['tally']} != {two['tally']}"
    tally = one["tally"]
    count = max(1, tally["hosts"])
    print(
        f"sanity: {tally['compliant']:,} of {tally['hosts']:,} hosts compliant, {tally['behind']:,} missing updates; "
        f"per host {tally['required'] / count:.1f} required updates, {tally['missing'] / count:.1f} missing on average"
    )
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
