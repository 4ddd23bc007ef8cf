# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the audit: the whole rule catalog over many generated lab-like hosts.

  (a) evaluation alone: N hosts generated in memory from the lab snapshots (sites,
      drifted web.configs, registry values and features varied per host), evaluated with
      the collection's catalog on W worker processes: hosts per second;
  (b) end to end: M hosts written as snapshot directories and audited through
      ``ansible-playbook playbooks/audit.yml``: seconds per host.

Usage: python benchmarks/bench_audit.py [--hosts 1000] [--workers 2] [--e2e-hosts 100]
Results and how they were taken: docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".build" / "collections"))

import yaml  # noqa: E402

from ansible_collections.hardened.iis.plugins.module_utils._iisconfig.sources import MemoryFiles  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._audit.evaluate import Evaluator  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._core.catalog import load_catalog  # noqa: E402
from ansible_collections.hardened.iis.plugins.plugin_utils._core.hoststate import state_from_document  # noqa: E402

LAB = ROOT / "inventories" / "lab" / "snapshots"
APPHOST = "Windows/System32/inetsrv/config/applicationHost.config"

HostData = tuple[str, dict[str, bytes], dict[str, object]]


def _lab(name: str) -> tuple[dict[str, bytes], dict[str, object]]:
    root = LAB / name
    files = {}
    for path in (root / "files").rglob("*"):
        if path.is_file():
            parts = path.relative_to(root / "files").parts
            files[parts[0] + ":\\" + "\\".join(parts[1:])] = path.read_bytes()
    return files, yaml.safe_load((root / "state.yml").read_text(encoding="utf-8"))


def generate(count: int, seed: int = 7) -> list[HostData]:
    """``count`` hosts: each a lab host with 1-6 extra sites, drifted values and varied registry."""
    rng = random.Random(seed)
    bases = [_lab("web01"), _lab("web02")]
    hosts: list[HostData] = []
    for index in range(count):
        files, state = bases[index % 2]
        files = dict(files)
        apphost_key = next(k for k in files if k.lower().endswith("applicationhost.config"))
        text = files[apphost_key].decode("utf-8")
        sites = []
        for number in range(rng.randint(1, 6)):
            name = f"app{number}"
            sites.append(
                f'            <site name="{name}" id="{100 + number}">\n'
                f'                <application path="/" applicationPool="DefaultAppPool">\n'
                f'                    <virtualDirectory path="/" physicalPath="D:\\sites\\{name}" />\n'
                "                </application>\n"
                f'                <bindings><binding protocol="https" bindingInformation="*:443:{name}.example" /></bindings>\n'
                "            </site>\n"
            )
            if rng.random() < 0.3:
                body = (
                    '<system.web><compilation debug="true" /></system.web>'
                    if rng.random() < 0.5
                    else '<system.webServer><directoryBrowse enabled="true" /></system.webServer>'
                )
                files[f"D:\\sites\\{name}\\web.config"] = f"<configuration>{body}</configuration>".encode()
        text = text.replace("            <siteDefaults>", "".join(sites) + "            <siteDefaults>", 1)
        files[apphost_key] = text.encode("utf-8")
        state = json.loads(json.dumps(state))
        registry = dict(state.get("registry") or {})
        registry["HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.0\\Server"] = {"Enabled": rng.choice([0, 1])}
        state["registry"] = registry
        state["host"] = f"host{index:05d}"
        hosts.append((f"host{index:05d}", files, state))
    return hosts


def _evaluate(batch: list[HostData]) -> int:
    rules = load_catalog().rules
    total = 0
    for name, files, state in batch:
        host = state_from_document(state, MemoryFiles(files), name, name)
        total += len(Evaluator(host).evaluate(rules))
    return total


def evaluation(count: int, workers: int) -> dict[str, float]:
    hosts = generate(count)
    batches = [hosts[i::workers] for i in range(workers)]
    start = time.perf_counter()
    if workers == 1:
        findings = _evaluate(hosts)
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            findings = sum(pool.map(_evaluate, batches))
    elapsed = time.perf_counter() - start
    return {"hosts": count, "workers": workers, "seconds": elapsed, "hosts_per_second": count / elapsed, "findings": findings}


def end_to_end(count: int) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="hardened-iis-bench-"))
    try:
        inventory: dict[str, object] = {}
        for name, files, state in generate(count, seed=11):
            root = work / "snapshots" / name
            for path, data in files.items():
                drive, rest = path.split(":\\", 1)
                target = root / "files" / drive / Path(*rest.split("\\"))
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            (root / "state.yml").write_text(yaml.safe_dump(state), encoding="utf-8")
            inventory[name] = {"hardened_iis_snapshot": str(root)}
        hosts_file = work / "hosts.yml"
        document = {"all": {"children": {"lab": {"hosts": inventory, "vars": {"ansible_connection": "local"}}}}}
        hosts_file.write_text(yaml.safe_dump(document), encoding="utf-8")
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), ANSIBLE_FORKS="2")
        playbook = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
        command = [playbook, "-i", str(hosts_file), "playbooks/audit.yml", "-e", f"hardened_iis_report_dir={work / 'reports'}"]
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"ansible-playbook failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        findings = len(json.loads((work / "reports" / "findings.json").read_text(encoding="utf-8"))["findings"])
        return {"hosts": count, "seconds": elapsed, "seconds_per_host": elapsed / count, "findings": findings}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--hosts", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--e2e-hosts", type=int, default=100)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    rules = len(load_catalog().rules)
    result: dict[str, object] = {"rules": rules}
    result["evaluation"] = evaluation(arguments.hosts, arguments.workers)
    print(f"evaluation: {arguments.hosts} hosts x {rules} rules on {arguments.workers} worker(s): {result['evaluation']}")
    if arguments.e2e_hosts:
        result["end_to_end"] = end_to_end(arguments.e2e_hosts)
        print(f"end to end through ansible-playbook (forks 2): {result['end_to_end']}")
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
