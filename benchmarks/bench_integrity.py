# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of file integrity: POSIX capture against AIDE and sha256sum, and a 1M-entry verify.

(a) Capture. A deterministic tree (``random.Random(seed)``) of about 100,000 files / 2 GB
(GB = 10^9 bytes, MB = 10^6) is written under ``--dir`` (default: a temporary directory in
/tmp, removed afterwards unless ``--keep``): about 98% small files (0-64 KB, exponential),
2% medium ones (100 KB-1 MB) and a few large ones (tens of MB, at most 100 MiB), 20-180 files a directory,
three or five levels deep; the contents are slices of one 64 MiB random block
(``Random.randbytes``, so the tree is the same byte for byte). The
tree is synced to disk and read once, untimed, with ``find | xargs cat > /dev/null``, so
every tool below reads from a warm page cache. Then, one after another, each best of N:

* hardened.iis capture: ``Capture([tree], [], "sha256").run()`` (its default thread pool,
  one thread per core, here 2);
* ``find tree -type f -print0 | xargs -0 -n 256 -P1 sha256sum`` (one process) and ``-P2``
  (two processes; ``-n 256`` so the files are shared out);
* ``openssl dgst -sha256`` the same way, -P1 and -P2: OpenSSL's SHA-256 (SHA-NI where the
  CPU has it), which Python's ``hashlib`` uses too (Debian's coreutils sha256sum, 9.1 on
  Debian 12, hashes in portable C);
* AIDE, when ``aide`` is on PATH (Debian package ``aide``; this script installs nothing and
  skips the column without it): ``aide --init`` with a configuration written here: the tree
  as the only selection line, a rule of ``sha256`` alone, ``gzip_dbout=no``,
  ``database_attrs=E`` (no checksums of the database itself), run with ``--workers=1``
  (AIDE's default) and ``--workers=2`` when the version has workers (0.18 and later).

The capture's hashes are checked against sha256sum's and AIDE's entry count against the
capture's row count; any difference fails the run.

(b) Verify. A synthetic manifest of 1,000,000 entries (files, 1 in 40 a directory, 1 in 200
a symlink, 1 in 50 files with an ACL digest) is stored with ``BaselineStore.save`` (a fresh
Ed25519 key) in a temporary store; a copy with 1% of the entries changed (40% content, 20%
mode, 15% removed, 10% renamed, 15% added) stands for the fresh capture. Timed, best of N:
``store.load()`` (signature check, gunzip, unmarshal, manifest) and ``Comparison(baseline,
current, []).changes``; each run's change counts must equal the injected ones. Decoding the
capture's ``rows_gz`` (which a real verify also does) is reported on its own.

Usage: python benchmarks/bench_integrity.py [--runs 3] [--files 100000] [--gigabytes 2]
       [--entries 1000000] [--dir DIR] [--keep] [--seed 7] [--quick] [--json out.json]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from ansible_collections.hardened.iis.plugins.module_utils._integrity.capture import Capture  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._integrity.compare import Comparison  # noqa: E402
from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import Manifest, decode_rows, encode_rows  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._integrity.store import BaselineStore, Ed25519Signer  # noqa: E402

MIB = 1024 * 1024
POOL = 64 * MIB
CHUNK = 32 * MIB
LARGE_MAX = 100 * MIB
EXTENSIONS = ("dll", "aspx", "config", "js", "css", "png", "html", "json", "log", "xml")
# Targets of the issue.
AIDE_TARGET = 1.0
AIDE_AIM = 2.0
SHA256SUM_TARGET = 0.7
VERIFY_TARGET = 3.0

Timing = dict[str, Any]


# --- (a) the tree --------------------------------------------------------------------------


def plan_tree(files: int, total: int, seed: int) -> list[tuple[str, int, int]]:
    """(relative path, size, offset into the random block) of every file; the same for the same arguments."""
    rng = random.Random(seed)
    large = max(1, min(files // 100, round(total * 0.25 / (60 * MIB))))
    medium = max(1, files // 50)
    small = max(0, files - large - medium)
    sizes = _scaled([rng.uniform(0.4, 1.0) for _index in range(large)], total * 0.25, LARGE_MAX)
    sizes += _scaled([rng.uniform(0.2, 1.8) for _index in range(medium)], total * 0.5, 16 * MIB)
    sizes += _scaled([rng.expovariate(1.0) for _index in range(small)], total * 0.25, 64 * 1024)
    rng.shuffle(sizes)
    planned: list[tuple[str, int, int]] = []
    leaf, left = 0, 0
    directory = ""
    for index, size in enumerate(sizes):
        if left == 0:
            left = rng.randint(20, 180)
            directory = f"{leaf // 100:03d}/{leaf // 10 % 10}/{leaf % 10}" + ("/deeper/still" if leaf % 7 == 3 else "")
            leaf += 1
        left -= 1
        name = f"{directory}/file{index:06d}.{EXTENSIONS[index % len(EXTENSIONS)]}"
        planned.append((name, size, rng.randrange(POOL - min(size, CHUNK) + 1)))
    return planned


def _scaled(weights: list[float], budget: float, cap: int) -> list[int]:
    total = sum(weights) or 1.0
    return [min(cap, round(budget * weight / total)) for weight in weights]


def write_tree(tree: Path, planned: list[tuple[str, int, int]], seed: int) -> int:
    """Write the planned files; the bytes written."""
    block = memoryview(random.Random(seed).randbytes(POOL))
    made: set[str] = set()
    written = 0
    for name, size, offset in planned:
        path = tree / name
        parent = str(path.parent)
        if parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(parent)
        with path.open("wb", buffering=0) as stream:
            left = size
            start = offset
            while left:
                count = min(left, CHUNK)
                stream.write(block[start : start + count])
                left -= count
                start = (start + count * 7 + 4096) % (POOL - CHUNK)
            written += size
    return written


def _shell(script: str, *arguments: str) -> float:
    """Seconds one ``sh -c script`` takes; fails on a non-zero status."""
    started = time.perf_counter()
    subprocess.run(["sh", "-c", script, "sh", *arguments], check=True, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def best_of(runs: int, action: Callable[[], float]) -> Timing:
    times = [action() for _run in range(runs)]
    return {"best_seconds": min(times), "median_seconds": statistics.median(times), "runs": runs}


def time_capture(tree: Path, runs: int) -> tuple[Timing, list[list[Any]], dict[str, Any]]:
    rows: list[list[Any]] = []
    stats: dict[str, Any] = {}

    def once() -> float:
        nonlocal rows, stats
        rows = []
        capture = Capture([str(tree)], [], "sha256")
        started = time.perf_counter()
        rows = capture.run()
        seconds = time.perf_counter() - started
        stats = dict(capture.stats, workers=capture.workers, unreadable=capture.unreadable_count)
        return seconds

    timing = best_of(runs, once)
    timing["workers"] = stats["workers"]
    return timing, rows, stats


def time_hashing_tool(tree: Path, command: str, processes: int, runs: int, output: Path | None) -> Timing:
    script = 'find "$1" -type f -print0 | xargs -0 -n 256 -P "$2" ' + command + ' > "$3"'
    target = str(output) if output else os.devnull
    timing = best_of(runs, lambda: _shell(script, str(tree), str(processes), target))
    timing["processes"] = processes
    return timing


def aide_version() -> tuple[str, bool] | None:
    """(version, has workers) of the aide on PATH, or None."""
    if not shutil.which("aide"):
        return None
    shown = subprocess.run(["aide", "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"AIDE\s+v?(\d+(?:\.\d+)+)", shown.stdout + shown.stderr)
    version = found.group(1) if found else "unknown"
    numbers = tuple(int(part) for part in version.split(".")) if found else (0,)
    return version, numbers >= (0, 18)


def time_aide(tree: Path, scratch: Path, workers: int | None, runs: int) -> Timing:
    config = scratch / "aide.conf"
    database = scratch / "aide.db"
    report = scratch / "aide.out"
    config.write_text(
        f"database_out=file:{database}\ngzip_dbout=no\ndatabase_attrs=E\nreport_url=stdout\nSha256Only = sha256\n{re.escape(str(tree))} Sha256Only\n",
        encoding="utf-8",
    )
    command = ["aide", "--init", "--config", str(config)] + ([f"--workers={workers}"] if workers is not None else [])

    def once() -> float:
        database.unlink(missing_ok=True)
        with report.open("wb") as stream:
            started = time.perf_counter()
            subprocess.run(command, stdout=stream, stderr=subprocess.STDOUT, check=False)
            seconds = time.perf_counter() - started
        text = report.read_text(encoding="utf-8", errors="replace")
        if "successfully initialized" not in text:
            raise SystemExit(f"aide --init failed:\n{text}")
        return seconds

    timing = best_of(runs, once)
    found = re.search(r"Number of entries:\s*(\d+)", report.read_text(encoding="utf-8", errors="replace"))
    timing["entries"] = int(found.group(1)) if found else None
    timing["workers"] = workers
    return timing


def check_hashes(rows: list[list[Any]], listing: Path) -> int:
    """The capture's hashes equal sha256sum's for every file; the count checked."""
    theirs: dict[str, str] = {}
    for line in listing.read_text(encoding="utf-8", errors="surrogateescape").splitlines():
        digest, _sep, path = line.partition("  ")
        theirs[path] = digest
    ours = {row[0]: row[4] for row in rows if row[1] == "file"}
    if ours != theirs:
        wrong = sorted(p for p in ours.keys() | theirs.keys() if ours.get(p) != theirs.get(p))
        raise SystemExit(f"capture and sha256sum disagree on {len(wrong)} files, e.g. {wrong[:3]}")
    return len(ours)


def run_capture(arguments: argparse.Namespace) -> dict[str, Any]:
    total = round(arguments.gigabytes * 1e9)
    scratch = Path(tempfile.mkdtemp(prefix="bench-integrity-", dir=arguments.dir))
    tree = scratch / "tree"
    try:
        started = time.perf_counter()
        planned = plan_tree(arguments.files, total, arguments.seed)
        written = write_tree(tree, planned, arguments.seed)
        os.sync()
        generated = time.perf_counter() - started
        directories = sum(1 for _root, _dirs, _files in os.walk(tree))
        sizes = sorted(size for _name, size, _offset in planned)
        print(
            f"tree: {len(planned):,} files in {directories:,} directories, {written / 1e9:.2f} GB ({written:,} bytes; "
            f"median file {sizes[len(sizes) // 2]:,} B, largest {sizes[-1] / 1e6:.0f} MB) in {tree}, "
            f"written and synced in {generated:.1f} s (not timed)"
        )
        warm = _shell('find "$1" -type f -print0 | xargs -0 cat > /dev/null', str(tree))
        print(f"warm-up: every file read once with find | xargs cat > /dev/null ({warm:.1f} s, not timed); all runs below read from the page cache")

        results: dict[str, Any] = {"files": len(planned), "directories": directories, "bytes": written, "generate_seconds": generated}
        print(f"timing, best of {arguments.runs} each, one after another ...", flush=True)
        capture, rows, stats = time_capture(tree, arguments.runs)
        capture["stats"] = stats
        results["capture"] = capture
        if stats["unreadable"] or stats["hashed"] != len(planned):
            raise SystemExit(f"capture hashed {stats['hashed']} of {len(planned)} files, {stats['unreadable']} unreadable")
        listing = scratch / "sha256sum.txt"
        results["sha256sum_p1"] = time_hashing_tool(tree, "sha256sum", 1, arguments.runs, listing)
        results["hashes_checked"] = check_hashes(rows, listing)
        results["sha256sum_p2"] = time_hashing_tool(tree, "sha256sum", 2, arguments.runs, None)
        if shutil.which("openssl"):
            results["openssl_p1"] = time_hashing_tool(tree, "openssl dgst -sha256", 1, arguments.runs, None)
            results["openssl_p2"] = time_hashing_tool(tree, "openssl dgst -sha256", 2, arguments.runs, None)
        else:
            print("openssl not on PATH: its columns are skipped")
        found = aide_version()
        if found is None:
            print("aide not on PATH: the AIDE comparison is skipped (install the Debian package aide to run it)")
        else:
            version, has_workers = found
            results["aide_version"] = version
            for workers in (1, 2) if has_workers else (None,):
                timing = time_aide(tree, scratch, workers, arguments.runs)
                if timing["entries"] != len(rows):
                    raise SystemExit(f"aide --init recorded {timing['entries']} entries, the capture {len(rows)} rows")
                results[f"aide_w{workers}" if workers else "aide"] = timing
        del rows
        _report_capture(results, arguments.runs)
        return results
    finally:
        if arguments.keep:
            print(f"kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def _report_capture(results: dict[str, Any], runs: int) -> None:
    size = results["bytes"]
    capture = results["capture"]["best_seconds"]
    labels = {
        "capture": f"hardened.iis Capture ({results['capture']['workers']} worker processes)",
        "sha256sum_p1": "sha256sum, 1 process",
        "sha256sum_p2": "sha256sum, 2 processes",
        "openssl_p1": "openssl dgst -sha256, 1 process",
        "openssl_p2": "openssl dgst -sha256, 2 processes",
        "aide_w1": f"aide {results.get('aide_version')} --init, 1 worker",
        "aide_w2": f"aide {results.get('aide_version')} --init, 2 workers",
        "aide": f"aide {results.get('aide_version')} --init",
    }
    print(f"\n{'':40} {'best s':>8} {'median s':>9} {'MB/s':>7} {'capture speed-up':>17}")
    for key, label in labels.items():
        if key not in results:
            continue
        timing = results[key]
        timing["mb_per_second"] = size / 1e6 / timing["best_seconds"]
        timing["capture_ratio"] = timing["best_seconds"] / capture
        print(f"{label:40} {timing['best_seconds']:8.2f} {timing['median_seconds']:9.2f} {timing['mb_per_second']:7.0f} {timing['capture_ratio']:16.2f}x")
    print(f"(best and median of {runs}; speed-up = tool's time / capture's time = capture's throughput / tool's)")
    targets: dict[str, Any] = {}
    aide = results.get("aide_w1") or results.get("aide")
    if aide:
        ratio = aide["capture_ratio"]
        targets["faster_than_aide"] = {"ratio": ratio, "met": ratio > AIDE_TARGET, "aim_2x_met": ratio >= AIDE_AIM}
        print(f"target: capture faster than AIDE ({AIDE_AIM:.0f}x aimed): {ratio:.2f}x -> {'met' if ratio > AIDE_TARGET else 'NOT met'}")
        if "aide_w2" in results:
            print(f"        against AIDE with 2 workers: {results['aide_w2']['capture_ratio']:.2f}x")
    for key in ("sha256sum_p1", "sha256sum_p2"):
        ratio = results[key]["capture_ratio"]
        targets[f"throughput_vs_{key}"] = {"ratio": ratio, "met": ratio >= SHA256SUM_TARGET}
        print(f"target: at least {SHA256SUM_TARGET:.0%} of the throughput of {labels[key]}: {ratio:.0%} -> {'met' if ratio >= SHA256SUM_TARGET else 'NOT met'}")
    if "openssl_p2" in results:
        print(f"(for reference: {results['openssl_p2']['capture_ratio']:.0%} of OpenSSL's 2-process throughput, the SHA-256 limit of this machine)")
    results["targets"] = targets


# --- (b) verify ----------------------------------------------------------------------------


def synthetic_rows(count: int, seed: int) -> list[list[Any]]:
    """``count`` manifest rows: 1 in 40 a directory, 1 in 200 a symlink, the rest files (1 in 50 with an ACL digest)."""
    rng = random.Random(seed)
    epoch = 1_700_000_000 * 10**9
    rows: list[list[Any]] = []
    directory = ""
    for index in range(count):
        mtime = epoch + rng.randrange(10**16)
        if index % 40 == 0:
            number = index // 40
            directory = f"/srv/www/site{number % 50:02d}/app{number // 50 % 20:02d}/dir{number:06d}"
            rows.append([directory, "directory", 0, mtime, None, "0755", "0:0", None, None])
            continue
        path = f"{directory}/file{index:07d}.{EXTENSIONS[index % len(EXTENSIONS)]}"
        if index % 200 == 7:
            rows.append([path, "symlink", 0, mtime, None, "0777", "0:0", None, f"../shared/file{index:07d}"])
            continue
        acl = hashlib.sha256(b"acl %d" % (index % 97)).hexdigest() if index % 50 == 3 else None
        digest = hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
        rows.append([path, "file", rng.randrange(100, 2_000_000), mtime, digest, "0644", "33:33", acl, None])
    return rows


def changed_rows(rows: list[list[Any]], seed: int) -> tuple[list[list[Any]], dict[str, int]]:
    """A copy with 1% of the entries changed, and the change counts a comparison must find."""
    rng = random.Random(seed + 1)
    total = max(10, len(rows) // 100)
    content, mode, removed, renamed = round(total * 0.4), round(total * 0.2), round(total * 0.15), round(total * 0.1)
    added = total - content - mode - removed - renamed
    files = [index for index, row in enumerate(rows) if row[1] == "file"]
    chosen = rng.sample(files, content + mode + removed + renamed)
    current = [list(row) for row in rows]
    for index in chosen[:content]:
        row = current[index]
        row[2] += 1
        row[3] += 10**9
        row[4] = hashlib.sha256(b"changed %d" % index).hexdigest()
    for index in chosen[content : content + mode]:
        current[index][5] = "0600"
    gone = set(chosen[content + mode : content + mode + removed])
    for index in chosen[content + mode + removed :]:
        current[index][0] = current[index][0].replace("/file", "/moved")
    directories = [row[0] for row in rows if row[1] == "directory"]
    new: list[list[Any]] = []
    for number in range(added):
        digest = hashlib.sha256(b"added %d" % number).hexdigest()
        new.append([f"{rng.choice(directories)}/added{number:06d}.dll", "file", 4096 + number, 1_800_000_000 * 10**9, digest, "0644", "33:33", None, None])
    current = [row for index, row in enumerate(current) if index not in gone] + new
    return current, {"added": added, "removed": removed, "renamed": renamed, "changed": content + mode}


def run_verify(arguments: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    rows = synthetic_rows(arguments.entries, arguments.seed)
    current_rows, expected = changed_rows(rows, arguments.seed)
    baseline_manifest = Manifest.from_rows(rows, "posix", "sha256", False, ["/srv/www"], [])
    del rows
    current = Manifest.from_rows(current_rows, "posix", "sha256", False, ["/srv/www"], [])
    prepared = time.perf_counter() - started
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory(prefix="bench-integrity-store-", dir=arguments.dir) as folder:
        store = BaselineStore(folder, "bench-host", Ed25519Signer(key, key.public_key()))
        started = time.perf_counter()
        store.save(baseline_manifest, {"reason": "benchmark"})
        saved = time.perf_counter() - started
        stored = sum(path.stat().st_size for path in store.folder.iterdir())
        del baseline_manifest
        print(
            f"\nverify: {arguments.entries:,} entries, {sum(expected.values()):,} changed ({expected}); prepared in {prepared:.1f} s, "
            f"baseline saved in {saved:.1f} s ({stored / 1e6:.1f} MB signed gzip), not timed"
        )
        loads: list[float] = []
        compares: list[float] = []
        totals: list[float] = []
        for _run in range(arguments.runs):
            started = time.perf_counter()
            baseline = store.load()
            loaded = time.perf_counter()
            assert baseline is not None
            comparison = Comparison(baseline.manifest, current, [])
            finished = time.perf_counter()
            counts = comparison.counts()
            if counts != expected:
                raise SystemExit(f"verify found {counts}, {expected} were injected")
            loads.append(loaded - started)
            compares.append(finished - loaded)
            totals.append(finished - started)
            del baseline, comparison
    encoded = encode_rows(current_rows)
    del current_rows
    decodes = []
    for _run in range(arguments.runs):
        started = time.perf_counter()
        Manifest.from_rows(decode_rows(encoded, "bench"), "posix", "sha256", False, ["/srv/www"], [])
        decodes.append(time.perf_counter() - started)
    result = {
        "entries": arguments.entries,
        "injected": expected,
        "stored_bytes": stored,
        "save_seconds": saved,
        "load": {"best_seconds": min(loads), "median_seconds": statistics.median(loads)},
        "compare": {"best_seconds": min(compares), "median_seconds": statistics.median(compares)},
        "total": {"best_seconds": min(totals), "median_seconds": statistics.median(totals)},
        "capture_decode": {"best_seconds": min(decodes), "median_seconds": statistics.median(decodes), "rows_gz_bytes": len(encoded)},
    }
    print(f"{'':52} {'best s':>8} {'median s':>9}")
    for name, label in (
        ("load", "store.load() (signature, gunzip, unmarshal, manifest)"),
        ("compare", "Comparison(...).changes"),
        ("total", "load + compare"),
        ("capture_decode", "capture's rows_gz -> Manifest (not in the target)"),
    ):
        print(f"{label:52} {result[name]['best_seconds']:8.2f} {result[name]['median_seconds']:9.2f}")
    met = result["total"]["best_seconds"] < VERIFY_TARGET
    result["target_met"] = met
    print(f"target: {arguments.entries:,}-entry verify under {VERIFY_TARGET:.0f} s: {result['total']['best_seconds']:.2f} s -> {'met' if met else 'NOT met'}")
    print(f"sanity: every run found exactly the injected changes {expected}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--gigabytes", type=float, default=2.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--dir", help="where the tree and the store are made (default: the temporary directory, /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated tree")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="a small run for smoke tests: 10,000 files / 0.1 GB, 100,000 entries")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    if arguments.quick:
        arguments.files, arguments.gigabytes, arguments.entries = 10_000, 0.1, 100_000
    arguments.runs = max(1, arguments.runs)
    print(f"cores: {os.cpu_count()}, Python {sys.version.split()[0]}")
    result = {"cores": os.cpu_count(), "runs": arguments.runs, "capture": run_capture(arguments), "verify": run_verify(arguments)}
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
