# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The signed baseline store: every way of tampering with it is refused."""

from __future__ import annotations

import gzip
import marshal
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import Manifest
from ansible_collections.hardened.iis.plugins.plugin_utils._integrity.store import BaselineError, BaselineStore, Ed25519Signer, HmacSigner, read_baseline_file

ROWS = [
    ["/etc/app.ini", "file", 14, 1_700_000_000_000_000_000, "a" * 64, "0644", "0:0", None, None],
    ["/etc", "directory", 0, 1_700_000_000_000_000_000, None, "0755", "0:0", None, None],
]


def manifest(rows: list[list[object]] | None = None) -> Manifest:
    return Manifest.from_rows([list(r) for r in (ROWS if rows is None else rows)], "posix", "sha256", False, ["/etc"], [])


def ed25519_pems() -> tuple[bytes, bytes]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture
def signer() -> Ed25519Signer:
    private, _public = ed25519_pems()
    return Ed25519Signer.from_pem(private, None, None, "test")


def test_a_baseline_round_trips_and_versions_are_kept_up_to_the_limit(tmp_path: Path, signer: Ed25519Signer) -> None:
    store = BaselineStore(tmp_path, "web01", signer, keep=2)
    for reason in ("first", "second", "third"):
        store.save(manifest(), {"reason": reason})
    assert store.versions() == [2, 3]
    loaded = store.load()
    assert loaded is not None
    assert (loaded.version, loaded.metadata["reason"], loaded.manifest.entries) == (3, "third", manifest().entries)
    assert BaselineStore(tmp_path, "web02", signer).load() is None


def test_the_public_key_alone_verifies_but_cannot_store(tmp_path: Path) -> None:
    private, public = ed25519_pems()
    BaselineStore(tmp_path, "web01", Ed25519Signer.from_pem(private, None, None, "test")).save(manifest(), {})
    verifier = BaselineStore(tmp_path, "web01", Ed25519Signer.from_pem(None, public, None, "test"))
    assert verifier.load() is not None
    with pytest.raises(BaselineError, match="needs the private signing key"):
        verifier.save(manifest(), {})


def saved(tmp_path: Path, signer: Ed25519Signer | HmacSigner, host: str = "web01") -> tuple[BaselineStore, Path]:
    store = BaselineStore(tmp_path, host, signer)
    baseline = store.save(manifest(), {"reason": "first"})
    return store, baseline.path


def test_one_changed_byte_anywhere_is_detected(tmp_path: Path, signer: Ed25519Signer) -> None:
    store, path = saved(tmp_path, signer)
    original = path.read_bytes()
    for offset in range(0, len(original), max(1, len(original) // 40)):
        tampered = bytearray(original)
        tampered[offset] ^= 0x01
        path.write_bytes(bytes(tampered))
        with pytest.raises(BaselineError, match="the signature does not match the content"):
            store.load()
    path.write_bytes(original)
    assert store.load() is not None


def test_a_re_signed_forgery_needs_the_key(tmp_path: Path, signer: Ed25519Signer) -> None:
    store, path = saved(tmp_path, signer)
    document = marshal.loads(gzip.decompress(path.read_bytes()))
    document["rows"][0] = (*document["rows"][0][:4], "b" * 64, *document["rows"][0][5:])  # the attacker's hash for a trojaned file
    path.write_bytes(gzip.compress(marshal.dumps(document)))
    other_private, _public = ed25519_pems()
    forger = BaselineStore(tmp_path / "forger", "web01", Ed25519Signer.from_pem(other_private, None, None, "test"))
    forged = forger.save(manifest([list(r) for r in document["rows"]]), {})
    shutil.copy(forged.path.with_name("baseline-000001.sig"), path.with_name("baseline-000001.sig"))
    with pytest.raises(BaselineError, match=r"signed with ed25519 key [0-9a-f]{16}, not with the configured ed25519 key"):
        store.load()


def test_a_removed_signature_is_an_error(tmp_path: Path, signer: Ed25519Signer) -> None:
    store, path = saved(tmp_path, signer)
    path.with_name("baseline-000001.sig").unlink()
    with pytest.raises(BaselineError, match=r"its signature baseline-000001.sig is missing; the baseline cannot be trusted"):
        store.load()


def test_another_hosts_baseline_swapped_in_is_refused(tmp_path: Path, signer: Ed25519Signer) -> None:
    store, path = saved(tmp_path, signer, "web01")
    _other, other_path = saved(tmp_path, signer, "web02")
    shutil.copy(other_path, path)
    shutil.copy(other_path.with_name("baseline-000001.sig"), path.with_name("baseline-000001.sig"))
    with pytest.raises(BaselineError, match=r"this is the baseline of host 'web02', not of 'web01'; refusing it"):
        store.load()


def test_an_older_version_renamed_to_look_newer_is_refused(tmp_path: Path, signer: Ed25519Signer) -> None:
    store = BaselineStore(tmp_path, "web01", signer)
    first = store.save(manifest(), {"reason": "before the change"})
    second = store.save(manifest(), {"reason": "after the change"})
    shutil.copy(first.path, second.path)
    shutil.copy(first.path.with_name("baseline-000001.sig"), second.path.with_name("baseline-000002.sig"))
    with pytest.raises(BaselineError, match=r"the file says version 1, its name says 2; refusing it"):
        store.load()


def test_hmac_signed_baselines_are_checked_the_same_way(tmp_path: Path) -> None:
    key = b"k" * 32
    store, path = saved(tmp_path, HmacSigner(key))
    assert store.load() is not None
    with pytest.raises(BaselineError, match="signed with hmac-sha256 key"):
        BaselineStore(tmp_path, "web01", HmacSigner(b"x" * 32)).load()
    data = path.read_bytes()
    path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    with pytest.raises(BaselineError, match="does not match the content"):
        store.load()
    with pytest.raises(BaselineError, match="at least 32 bytes"):
        HmacSigner(b"short")


def test_a_host_name_cannot_escape_the_store(tmp_path: Path, signer: Ed25519Signer) -> None:
    with pytest.raises(BaselineError, match="cannot name a folder of the baseline store"):
        BaselineStore(tmp_path, "../web01", signer)


def test_a_baseline_file_reads_as_json_for_people(tmp_path: Path, signer: Ed25519Signer) -> None:
    import json

    _store, path = saved(tmp_path, signer)
    document = read_baseline_file(path, signer)
    assert (document["host"], document["version"], document["metadata"]) == ("web01", 1, {"reason": "first"})
    assert json.loads(json.dumps(document))["rows"][0][0] == "/etc"
