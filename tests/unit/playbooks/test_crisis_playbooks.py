# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Crisis response on copies of the lab: emergency mitigation and its rollback, isolation, evidence bundles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import tree_digest

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"
LAB = ROOT / "inventories" / "lab" / "snapshots"
GROUPS = {"test": {"web02": "web02"}, "production": {"prod1": "web01", "prod2": "web01", "web03": "web03"}}
MITIGATION = {
    "id": "cve-2026-0001",
    "reason": "path traversal in the shop until the vendor's patch",
    "deny_url_sequences": ["..%2f"],
    "deny_query_strings": ["<script"],
    "deny_verbs": ["PROPFIND"],
    "deny_extensions": [".asa"],
    "deny_headers": ["X-Evil-Header"],
    "disable_protocols": ["TLS 1.0"],
    "disable_ciphers": ["RC4 128/128"],
    "stop_app_pools": ["ShopPool"],
}


def lab(tmp_path: Path, health: str = "", broken: frozenset[str] = frozenset()) -> Path:
    children: dict[str, dict[str, dict[str, dict[str, object]]]] = {}
    for group, hosts in GROUPS.items():
        children[group] = {"hosts": {}}
        for host, source in hosts.items():
            shutil.copytree(LAB / source, tmp_path / "hosts" / host)
            variables: dict[str, object] = {"hardened_iis_snapshot": str(tmp_path / "hosts" / host)}
            if health:
                variables["emergency_health_urls"] = [f"{health}/{'broken' if host in broken else 'ok'}/{host}"]
            children[group]["hosts"][host] = variables
    inventory = {"all": {"vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}, "children": children}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return tmp_path


def play(tmp_path: Path, playbook: str, *options: str, **variables: object) -> subprocess.CompletedProcess[str]:
    extra = {"hardened_iis_report_dir": str(tmp_path / "reports"), **variables}
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"), USER="responder")
    command = [PLAYBOOK, "-i", str(tmp_path / "hosts.yml"), f"playbooks/{playbook}", "-e", json.dumps(extra), *options]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=900)


def digests(tmp_path: Path) -> dict[str, dict[str, str]]:
    return {host: tree_digest(tmp_path / "hosts" / host) for hosts in GROUPS.values() for host in hosts}


def records(tmp_path: Path, kind: str = "applied") -> dict[str, dict[str, object]]:
    folder = tmp_path / "reports" / "emergency" / MITIGATION["id"] / kind
    found = {}
    for path in sorted(folder.glob("*/*.json")):
        found[f"{path.parent.name}/{path.stem}"] = json.loads(path.read_text(encoding="utf-8"))
    return found


def test_a_mitigation_goes_through_test_then_production_and_its_rollback_is_byte_for_byte(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health)
    before = digests(tmp_path)

    result = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    applied = {key.split("/")[1]: record for key, record in records(tmp_path).items()}
    assert sorted(applied) == ["prod1-production", "prod2-production", "web02-test", "web03-production"]
    prod1 = applied["prod1-production"]
    assert prod1["result"] == "passed" and prod1["changed"] is True and prod1["backup"]
    assert prod1["applied_by"] == "responder" and prod1["mitigation_id"] == "cve-2026-0001"
    assert "emergency-cve-2026-0001-stop-app-pools-1" in prod1["changed_rules"]  # type: ignore[operator]
    assert applied["web02-test"]["not_applicable"] == ["emergency-cve-2026-0001-stop-app-pools-1"]  # web02 has no ShopPool
    assert all(r["tree_sha256_before"] != r["tree_sha256_after"] for r in applied.values())
    assert "diff" not in json.dumps(prod1["plan"])
    assert result.stdout.index("PLAY [Test stage") < result.stdout.index("PLAY [Production stage")
    [summary] = (tmp_path / "reports" / "emergency" / "cve-2026-0001").glob("run-*.json")
    assert {h["host"] for h in json.loads(summary.read_text(encoding="utf-8"))["hosts"]} == {"web02", "prod1", "prod2", "web03"}

    after = digests(tmp_path)
    second = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION)
    assert second.returncode == 0, second.stdout[-3000:]
    assert digests(tmp_path) == after  # already mitigated: nothing changes
    assert "web02 passed already mitigated" in second.stdout

    rollback = play(tmp_path, "emergency_rollback.yml", emergency_id="cve-2026-0001")
    assert rollback.returncode == 0, rollback.stdout[-4000:] + rollback.stderr[-2000:]
    assert digests(tmp_path) == before  # every host byte for byte as before the mitigation
    rolled = records(tmp_path, "rolled-back")
    assert len(rolled) == 4
    assert {r["method"] for r in rolled.values()} == {"restore"}
    assert all(r["rolled_back_by"] == "responder" for r in rolled.values())

    again = play(tmp_path, "emergency_rollback.yml", emergency_id="cve-2026-0001")
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Rolling back mitigation cve-2026-0001: 0 application(s) on no host" in again.stdout  # nothing left to take back
    assert digests(tmp_path) == before


def test_after_a_later_change_only_the_mitigations_entries_are_removed(tmp_path: Path) -> None:
    lab(tmp_path)
    before = digests(tmp_path)
    applied = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION)
    assert applied.returncode == 0, applied.stdout[-3000:]
    later = {"id": "cve-2026-0002", "reason": "a second advisory", "deny_extensions": [".bak"]}
    second = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=later)
    assert second.returncode == 0, second.stdout[-3000:]

    rollback = play(tmp_path, "emergency_rollback.yml", emergency_id="cve-2026-0001")

    assert rollback.returncode == 0, rollback.stdout[-4000:] + rollback.stderr[-2000:]
    methods = {r["host"]: r["method"] for r in records(tmp_path, "rolled-back").values()}
    assert methods == {"web02": "entries", "prod1": "entries", "prod2": "entries", "web03": "entries"}
    for host in ("prod1", "web02"):
        apphost = (tmp_path / "hosts" / host / "files/C/Windows/System32/inetsrv/config/applicationHost.config").read_text(encoding="utf-8")
        assert '<add fileExtension=".bak" allowed="false" />' in apphost  # cve-2026-0002 is kept
        for gone in ('sequence="..%2f"', "&lt;script", 'verb="PROPFIND"', 'fileExtension=".asa"', "X-Evil-Header", 'autoStart="false"'):
            assert gone not in apphost, (host, gone)
    prod1 = yaml.safe_load((tmp_path / "hosts" / "prod1" / "state.yml").read_text(encoding="utf-8"))
    original = yaml.safe_load((LAB / "web01" / "state.yml").read_text(encoding="utf-8"))
    assert prod1["registry"] == original["registry"]  # TLS 1.0 and RC4 back to web01's values
    assert digests(tmp_path) != before


def test_a_failing_test_host_is_rolled_back_and_production_is_refused(tmp_path: Path, health: str) -> None:
    lab(tmp_path, health, broken=frozenset({"web02"}))
    before = digests(tmp_path)

    result = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION)

    assert result.returncode != 0
    assert digests(tmp_path) == before  # web02 put back byte for byte, production never touched
    [record] = list(records(tmp_path).values())
    assert record["result"] == "failed and rolled back" and record["rolled_back"] is True
    assert "PLAY [Production stage" not in result.stdout


def test_production_alone_needs_skipping_the_test_stage_said_explicitly(tmp_path: Path) -> None:
    lab(tmp_path)
    before = digests(tmp_path)
    refused = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION, emergency_stage="production")
    assert refused.returncode != 0
    assert "emergency_stage=production skips the test stage: refused" in refused.stdout
    assert digests(tmp_path) == before

    straight = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation=MITIGATION, emergency_stage="production", emergency_skip_test=True)
    assert straight.returncode == 0, straight.stdout[-3000:]
    after = digests(tmp_path)
    assert after["web02"] == before["web02"]  # the test host was skipped
    assert after["prod1"] != before["prod1"]
    assert all(r["skip_test"] is True for r in records(tmp_path).values())


def test_a_malformed_mitigation_is_refused_before_any_host_is_touched(tmp_path: Path) -> None:
    lab(tmp_path)
    before = digests(tmp_path)
    result = play(tmp_path, "emergency_mitigation.yml", emergency_mitigation={**MITIGATION, "disable_protocols": ["TLS 1.2"]})
    assert result.returncode != 0
    assert "TLS 1.2 is refused" in result.stdout
    assert digests(tmp_path) == before


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"isolate_management_addresses": ["10.20.0.0/24"]}, "refuses to run without isolate_hosts"),
        ({"isolate_hosts": "all", "isolate_management_addresses": ["10.20.0.0/24"]}, "Not inventory hosts: all"),
        ({"isolate_hosts": ["production"], "isolate_management_addresses": ["10.20.0.0/24"]}, "Not inventory hosts: production"),
        ({"isolate_hosts": ["prod1"]}, "refuses to isolate without isolate_management_addresses"),
        ({"isolate_hosts": ["prod1"], "isolate_management_addresses": ["10.20.0.5/24"]}, "has host bits set"),
    ],
)
def test_isolation_refuses_without_named_hosts_and_valid_management_addresses(tmp_path: Path, variables: dict[str, object], message: str) -> None:
    lab(tmp_path)
    result = play(tmp_path, "isolate_host.yml", **variables)
    assert result.returncode != 0
    assert message in result.stdout
    assert "PLAY [Isolate each named host" not in result.stdout or "TASK [Show every firewall rule" not in result.stdout


def test_isolation_in_check_mode_shows_every_rule_and_changes_nothing(tmp_path: Path) -> None:
    lab(tmp_path)
    before = digests(tmp_path)
    result = play(tmp_path, "isolate_host.yml", "--check", isolate_hosts=["prod1"], isolate_management_addresses=["10.20.0.0/24"])
    assert result.returncode == 0, result.stdout[-3000:]
    shown = result.stdout.split("TASK [Show every firewall rule")[1].split("TASK [")[0]
    assert "Isolating prod1 (check mode: shown only)" in shown
    assert "hardened-iis-isolation-allow-management-in | in | allow | tcp | 5986 | 10.20.0.0/24" in shown
    assert "hardened-iis-isolation-block-in | in | block | any | any | 0.0.0.0-10.19.255.255,10.20.1.0-126.255.255.255" in shown
    assert "inbound block, outbound block" in shown
    assert "has no Windows Firewall" in result.stdout
    assert "prod2" not in result.stdout  # only the named host
    assert digests(tmp_path) == before
    assert not (tmp_path / "reports" / "isolation").exists()


def test_evidence_bundles_are_complete_verifiable_and_leave_the_hosts_untouched(tmp_path: Path) -> None:
    lab(tmp_path)
    state = tmp_path / "hosts" / "web03" / "state.yml"
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    document["processes"] = [{"pid": 4, "name": "System"}, {"pid": 2112, "name": "w3wp.exe"}]
    document["listening_ports"] = [{"protocol": "tcp", "address": "0.0.0.0", "port": 443, "pid": 4}]
    state.write_text(yaml.safe_dump(document), encoding="utf-8")
    before = digests(tmp_path)

    result = play(tmp_path, "collect_evidence.yml", evidence_since="2026-11-19T08:00:00Z", evidence_until="2026-11-19T09:00:00Z")

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert digests(tmp_path) == before
    [bundle] = (tmp_path / "reports" / "evidence").iterdir()
    assert sorted(p.name for p in bundle.iterdir()) == ["prod1", "prod2", "web02", "web03"]
    for host in bundle.iterdir():
        checked = subprocess.run(["sha256sum", "--strict", "-c", "manifest.sha256"], cwd=host, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        named = {line.split("  ", 1)[1] for line in (host / "manifest.sha256").read_text(encoding="utf-8").splitlines()}
        assert named == {str(p.relative_to(host)) for p in host.rglob("*") if p.is_file()} - {"manifest.sha256"}
        evidence = json.loads((host / "evidence.json").read_text(encoding="utf-8"))
        assert evidence["tree_before"] == evidence["tree_after"]
        assert evidence["collected_by"] == "responder"
        assert evidence["window"] == {"since": "2026-11-19T08:00:00+00:00", "until": "2026-11-19T09:00:00+00:00"}
        assert (host / "snapshot" / "state.yml").is_file() and (host / "snapshot" / "manifest.sha256").is_file()
        assert (host / "snapshot" / "files/C/Windows/System32/inetsrv/config/applicationHost.config").is_file()
    web02 = bundle / "web02"
    assert (web02 / "logs/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log").read_bytes() == (
        LAB / "web02" / "files/C/inetpub/logs/LogFiles/W3SVC1/u_ex261119.log"
    ).read_bytes()
    assert not (web02 / "snapshot/files/C/inetpub/logs").exists()  # logs go to logs/, not into the snapshot
    assert json.loads((web02 / "processes.json").read_text(encoding="utf-8"))["reason"] == "not available in a snapshot"
    processes = json.loads((bundle / "web03" / "processes.json").read_text(encoding="utf-8"))
    assert processes["source"] == "state.yml" and processes["listening_ports"][0]["port"] == 443

    outside = play(tmp_path, "collect_evidence.yml", evidence_since="2026-11-21T00:00:00Z", evidence_until="2026-11-21T09:00:00Z")
    assert outside.returncode == 0, outside.stdout[-3000:]
    newest = max((tmp_path / "reports" / "evidence").iterdir())
    assert json.loads((newest / "web02" / "evidence.json").read_text(encoding="utf-8"))["logs"] == []


def test_evidence_refuses_a_window_end_without_its_start(tmp_path: Path) -> None:
    lab(tmp_path)
    result = play(tmp_path, "collect_evidence.yml", evidence_until="2026-11-19T09:00:00Z")
    assert result.returncode != 0
    assert "evidence_until is given without evidence_since" in result.stdout


def test_evidence_holds_the_integrity_verification_and_hotfix_compliance_when_configured(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    lab(tmp_path)
    key = Ed25519PrivateKey.generate()
    (tmp_path / "signing.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    integrity = {
        "integrity_roots": [str(tmp_path / "hosts" / "prod1" / "files")],
        "integrity_exclude": [],
        "integrity_store": str(tmp_path / "store"),
        "integrity_signing_key": str(tmp_path / "signing.pem"),
    }
    corpus = os.environ.get("HARDENED_IIS_CORPUS", "")
    hotfix = {}
    if corpus and Path(corpus, "cvrf").is_dir():
        hotfix = {"hardened_iis_cvrf_dir": f"{corpus}/cvrf", "hardened_iis_cvrf_cache_dir": str(tmp_path / "cache")}
    captured = play(tmp_path, "integrity_capture.yml", hardened_iis_integrity_hosts="prod1", **integrity)
    assert captured.returncode == 0, captured.stdout[-3000:]
    before = digests(tmp_path)

    result = play(tmp_path, "collect_evidence.yml", evidence_hosts="prod1", **integrity, **hotfix)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert digests(tmp_path) == before
    [bundle] = (tmp_path / "reports" / "evidence").iterdir()
    host = bundle / "prod1"
    verification = json.loads((host / "integrity.json").read_text(encoding="utf-8"))
    assert verification["changes"] == [] and verification["baseline"]["version"] == 1
    if hotfix:
        compliance = json.loads((host / "hotfix.json").read_text(encoding="utf-8"))
        assert compliance["compliant"] is False and compliance["findings"]  # web01 stopped patching in June 2024
    checked = subprocess.run(["sha256sum", "--strict", "-c", "manifest.sha256"], cwd=host, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
