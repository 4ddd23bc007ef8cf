# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integrity playbooks end to end on this machine: the happy path, bad input, check mode, a tampered store."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = shutil.which("ansible-playbook", path=str(Path(sys.executable).parent)) or "ansible-playbook"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "conf").mkdir(parents=True)
    (tree / "conf" / "web.config").write_text("<configuration/>\n")
    (tree / "index.html").write_text("<h1>hi</h1>\n")
    key = Ed25519PrivateKey.generate()
    (tmp_path / "signing.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (tmp_path / "verify.pub").write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return tmp_path


def run(site: Path, action: str, *extra: str, key: str = "signing_key", inventory: str = "web01,") -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    variables = {
        "integrity_roots": [str(site / "tree")],
        "integrity_exclude": [],
        "integrity_store": str(site / "store"),
        f"integrity_{key}": str(site / ("signing.pem" if key == "signing_key" else "verify.pub")),
        "hardened_iis_report_dir": str(site / "reports"),
    }
    command = [
        PLAYBOOK,
        "-i",
        inventory,
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        json.dumps(variables),
        f"playbooks/integrity_{action}.yml",
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)


def test_capture_verify_rebaseline_with_one_playbook_each(site: Path) -> None:
    assert run(site, "capture").returncode == 0
    (site / "tree" / "conf" / "web.config").write_text('<configuration><location path="admin"/></configuration>\n')
    verify = run(site, "verify", key="verify_key")
    assert verify.returncode != 0
    assert "changed since the baseline: web01" in verify.stdout
    assert "web.config: size 17 -> 56" in " ".join(verify.stdout.split()), verify.stdout
    findings = json.loads((site / "reports" / "integrity_findings.json").read_text(encoding="utf-8"))
    jsonschema.validate(findings, json.loads((ROOT / "schemas" / "findings.schema.json").read_text(encoding="utf-8")))
    assert sorted((f["rule_id"], f["status"]) for f in findings["findings"]) == [("integrity-baseline-matches", "fail"), ("integrity-file-changed", "fail")]

    refused = run(site, "rebaseline")
    assert refused.returncode != 0
    assert "rebaseline needs 'reason'" in refused.stdout
    assert run(site, "rebaseline", "-e", "integrity_reason=CHG-1 approved").returncode == 0
    clean = run(site, "verify", key="verify_key")
    assert clean.returncode == 0, clean.stdout
    assert "web01: matches baseline v2" in clean.stdout


def test_a_limited_verify_of_a_changed_host_fails_and_writes_its_report(site: Path) -> None:
    """--limit skips every play whose hosts are outside the limit: the verdict and the report must not live in one."""
    assert run(site, "capture", inventory="web01,web02,").returncode == 0
    (site / "tree" / "index.html").write_text("<h1>defaced</h1>\n")
    limited = run(site, "verify", "--limit", "web02", key="verify_key", inventory="web01,web02,")
    assert limited.returncode != 0, limited.stdout
    assert "changed since the baseline: web02" in limited.stdout
    assert "web01" not in limited.stdout.split("PLAY RECAP")[1]
    findings = json.loads((site / "reports" / "integrity_findings.json").read_text(encoding="utf-8"))
    assert {f["host"] for f in findings["findings"]} == {"web02"}
    assert ("integrity-baseline-matches", "fail") in {(f["rule_id"], f["status"]) for f in findings["findings"]}


def test_check_mode_stores_nothing(site: Path) -> None:
    result = run(site, "capture", "--check")
    assert result.returncode == 0, result.stdout
    assert not (site / "store" / "web01").exists()


def test_a_second_capture_changes_nothing_and_a_changed_host_is_sent_to_rebaseline(site: Path) -> None:
    assert run(site, "capture").returncode == 0
    again = run(site, "capture")
    assert again.returncode == 0 and "changed=0" in again.stdout
    (site / "tree" / "new.aspx").write_text("x")
    differs = run(site, "capture")
    assert differs.returncode != 0
    assert "differs from its baseline v1 (1 changes); verify it, then rebaseline with a reason" in differs.stdout


def test_verify_without_a_baseline_or_with_a_tampered_one_fails_clearly(site: Path) -> None:
    missing = run(site, "verify", key="verify_key")
    assert missing.returncode != 0
    assert "no baseline for web01; run the capture first" in missing.stdout
    assert run(site, "capture").returncode == 0
    baseline = site / "store" / "web01" / "baseline-000001.marshal.gz"
    data = bytearray(baseline.read_bytes())
    data[40] ^= 0x20
    baseline.write_bytes(bytes(data))
    tampered = run(site, "verify", key="verify_key")
    assert tampered.returncode != 0
    assert "the signature does not match the content; the baseline was changed after it was signed" in tampered.stdout


def test_a_missing_key_is_named(site: Path) -> None:
    (site / "signing.pem").unlink()
    result = run(site, "capture")
    assert result.returncode != 0
    assert f"signing_key {site / 'signing.pem'}: cannot be read" in result.stdout


def test_harden_rebaselines_at_its_end(site: Path) -> None:
    """On a copy of the lab: capture web02's snapshot files, harden web02, and find baseline v2 recording the run."""
    lab = site / "lab"
    shutil.copytree(ROOT / "inventories" / "lab", lab)
    files = lab / "snapshots" / "web02" / "files"
    common = {
        "integrity_roots": [str(files)],
        "integrity_exclude": [],
        "integrity_store": str(site / "store"),
        "integrity_signing_key": str(site / "signing.pem"),
    }
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))

    def playbook(name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        command = [PLAYBOOK, "-i", str(lab / "hosts.yml"), "--limit", "web02", "-e", json.dumps(common), f"playbooks/{name}", *extra]
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=300)

    assert playbook("integrity_capture.yml").returncode == 0
    hardened = playbook("harden.yml")
    assert hardened.returncode == 0, hardened.stdout
    versions = sorted(p.name for p in (site / "store" / "web02").glob("*.marshal.gz"))
    assert versions == ["baseline-000001.marshal.gz", "baseline-000002.marshal.gz"]
    import gzip
    import marshal

    metadata = marshal.loads(gzip.decompress((site / "store" / "web02" / "baseline-000002.marshal.gz").read_bytes()))["metadata"]
    assert metadata["reason"] == "hardened to the baseline by hardened.iis.harden"
    assert metadata["change"].startswith("harden run ") and metadata["counts"]["changed"] >= 1
    verify = playbook("integrity_verify.yml", "-e", f"hardened_iis_report_dir={site / 'reports'}")
    assert verify.returncode == 0, verify.stdout
