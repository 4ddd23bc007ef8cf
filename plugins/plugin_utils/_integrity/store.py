# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The baseline store on the controller: versioned, signed baselines, one folder per host.

``<store>/<host>/baseline-000007.marshal.gz`` holds the manifest with its metadata (host,
version, when, who, why, which change), serialised with ``marshal`` and gzip-compressed:
loading a million entries takes a third of the time JSON takes, and only data whose
signature has been checked is ever unmarshalled (``read_baseline_file`` turns one into
JSON for people), and ``baseline-000007.sig`` its signature: Ed25519
(``cryptography``) or HMAC-SHA256 over the exact bytes of the baseline file. Reading a
baseline checks, in this order, that the signature file exists, that it was made with the
configured method and key, that it matches the bytes, and only then decompresses and checks
that the baseline is this host's and this version's; any failure is an error, never a
silent pass. So a changed byte, a removed signature, a baseline copied from another host
or an older baseline renamed to look newer are all refused.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gc
import gzip
import hashlib
import hmac
import json
import marshal
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
except ImportError as exc:  # HMAC keys still work; Ed25519 says what is missing when asked for
    CRYPTOGRAPHY_MISSING: str | None = f"Ed25519 signatures need the Python library cryptography on the controller ({exc})"
else:
    CRYPTOGRAPHY_MISSING = None

from ansible_collections.hardened.iis.plugins.module_utils._errors import HardenedIisError
from ansible_collections.hardened.iis.plugins.module_utils._files import write_atomically
from ansible_collections.hardened.iis.plugins.module_utils._gc import gc_paused
from ansible_collections.hardened.iis.plugins.module_utils._integrity.manifest import Manifest

BASELINE_FORMAT = "hardened.iis/baseline/v1"
_NAME = re.compile(r"^baseline-(\d{6})\.marshal\.gz$")
MARSHAL_VERSION = 4


class BaselineError(HardenedIisError, ValueError):
    """A baseline cannot be trusted or read; the message names the file and the reason."""


class Signer(Protocol):
    method: str
    key_id: str

    def sign(self, data: bytes) -> bytes: ...

    def verify(self, data: bytes, signature: bytes) -> bool: ...


class Ed25519Signer:
    method = "ed25519"

    def __init__(self, private: Ed25519PrivateKey | None, public: Ed25519PublicKey) -> None:
        self._private = private
        self._public = public
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(raw).hexdigest()[:16]

    @classmethod
    def from_pem(cls, private_pem: bytes | None, public_pem: bytes | None, passphrase: str | None, where: str) -> Ed25519Signer:
        if CRYPTOGRAPHY_MISSING:
            raise BaselineError(f"{where}: {CRYPTOGRAPHY_MISSING}")
        try:
            if private_pem:
                private = serialization.load_pem_private_key(private_pem, password=passphrase.encode() if passphrase else None)
                if not isinstance(private, Ed25519PrivateKey):
                    raise BaselineError(f"{where}: the signing key is not an Ed25519 private key")
                return cls(private, private.public_key())
            if public_pem:
                public = serialization.load_pem_public_key(public_pem)
                if not isinstance(public, Ed25519PublicKey):
                    raise BaselineError(f"{where}: the verify key is not an Ed25519 public key")
                return cls(None, public)
        except (ValueError, TypeError) as exc:
            raise BaselineError(f"{where}: cannot load the key ({exc})") from None
        raise BaselineError(f"{where}: no key given")

    def sign(self, data: bytes) -> bytes:
        if self._private is None:
            raise BaselineError("storing a baseline needs the private signing key; only the public key was given")
        return self._private.sign(data)

    def verify(self, data: bytes, signature: bytes) -> bool:
        try:
            self._public.verify(signature, data)
        except InvalidSignature:
            return False
        return True


class HmacSigner:
    method = "hmac-sha256"

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise BaselineError("the HMAC key must be at least 32 bytes")
        self._key = key
        self.key_id = hashlib.sha256(b"hardened.iis key id\0" + key).hexdigest()[:16]

    def sign(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def verify(self, data: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(self.sign(data), signature)


@dataclass
class Baseline:
    host: str
    version: int
    created: str
    metadata: dict[str, Any]
    manifest: Manifest
    path: Path

    def summary(self) -> dict[str, Any]:
        return {"version": self.version, "created": self.created, "entries": len(self.manifest.entries), "file": str(self.path), **self.metadata}


class BaselineStore:
    """The baselines of one host."""

    def __init__(self, root: str | Path, host: str, signer: Signer, keep: int = 10) -> None:
        if not re.match(r"^[A-Za-z0-9_.\-]+$", host):
            raise BaselineError(f"host name {host!r} cannot name a folder of the baseline store")
        self.folder = Path(root) / host
        self.host = host
        self.signer = signer
        self.keep = max(1, keep)

    def versions(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        return sorted(int(m.group(1)) for p in self.folder.iterdir() if (m := _NAME.match(p.name)))

    def _paths(self, version: int) -> tuple[Path, Path]:
        stem = self.folder / f"baseline-{version:06d}"
        return stem.with_name(stem.name + ".marshal.gz"), stem.with_name(stem.name + ".sig")

    def load(self, version: int | None = None) -> Baseline | None:
        """The newest (or the given) baseline, its signature and identity checked; None when there is none."""
        versions = self.versions()
        if not versions:
            return None
        version = versions[-1] if version is None else version
        data_path, signature_path = self._paths(version)
        try:
            data = data_path.read_bytes()
        except OSError as exc:
            raise BaselineError(f"{data_path}: cannot be read ({exc.strerror})") from None
        self._check_signature(data, data_path, signature_path)
        with gc_paused():
            return self._parse(data, data_path, version)

    def _parse(self, data: bytes, data_path: Path, version: int) -> Baseline:
        try:
            document = marshal.loads(zlib.decompress(data, 16 + zlib.MAX_WBITS))  # noqa: S302 - signed by us, checked above
        except (zlib.error, ValueError, EOFError, TypeError) as exc:
            raise BaselineError(f"{data_path}: signed but unreadable ({exc})") from None
        if not isinstance(document, dict):
            raise BaselineError(f"{data_path}: signed but not a baseline document")
        if document.get("format") != BASELINE_FORMAT:
            raise BaselineError(f"{data_path}: not a baseline of format {BASELINE_FORMAT}")
        if document.get("host") != self.host:
            raise BaselineError(f"{data_path}: this is the baseline of host {document.get('host')!r}, not of {self.host!r}; refusing it")
        if document.get("version") != version:
            raise BaselineError(f"{data_path}: the file says version {document.get('version')}, its name says {version}; refusing it")
        header = document["manifest"]
        # The rows were checked when they were captured and are signed: no second check.
        manifest = Manifest.from_rows(
            document["rows"],
            header["platform"],
            header["algorithm"],
            header["case_insensitive"],
            header.get("roots", []),
            header.get("exclude", []),
            trusted=True,
        )
        # The baseline lives until the task ends: move it out of the garbage collector's sight
        # (gc.freeze), or every later collection walks its million tuples again.
        gc.freeze()
        return Baseline(self.host, version, document["created"], document.get("metadata", {}), manifest, data_path)

    def _check_signature(self, data: bytes, data_path: Path, signature_path: Path) -> None:
        try:
            signature = json.loads(signature_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BaselineError(f"{data_path}: its signature {signature_path.name} is missing; the baseline cannot be trusted") from None
        except (OSError, ValueError) as exc:
            raise BaselineError(f"{signature_path}: unreadable signature ({exc})") from None
        if signature.get("method") != self.signer.method or signature.get("key_id") != self.signer.key_id:
            raise BaselineError(
                f"{signature_path}: signed with {signature.get('method')} key {signature.get('key_id')}, "
                f"not with the configured {self.signer.method} key {self.signer.key_id}"
            )
        try:
            raw = base64.b64decode(str(signature.get("signature", "")), validate=True)
        except ValueError:
            raise BaselineError(f"{signature_path}: the signature is not base64") from None
        if not self.signer.verify(data, raw):
            raise BaselineError(f"{data_path}: the signature does not match the content; the baseline was changed after it was signed")

    def save(self, manifest: Manifest, metadata: dict[str, Any], now: datetime.datetime | None = None) -> Baseline:
        """Store the manifest as the next version, signed; keep the newest ``keep`` versions."""
        self.folder.mkdir(parents=True, exist_ok=True)
        version = (self.versions() or [0])[-1] + 1
        created = (now or datetime.datetime.now(datetime.UTC)).isoformat(timespec="seconds")
        document = {
            "format": BASELINE_FORMAT,
            "host": self.host,
            "version": version,
            "created": created,
            "metadata": metadata,
            "manifest": manifest.header(),
            "rows": [tuple(row) for row in manifest.rows()],
        }
        data = gzip.compress(marshal.dumps(document, MARSHAL_VERSION), compresslevel=1, mtime=0)
        signature = {
            "method": self.signer.method,
            "key_id": self.signer.key_id,
            "sha256": hashlib.sha256(data).hexdigest(),
            "signature": base64.b64encode(self.signer.sign(data)).decode("ascii"),
        }
        data_path, signature_path = self._paths(version)
        write_atomically(data_path, data, 0o640)
        write_atomically(signature_path, json.dumps(signature, indent=1).encode("ascii"), 0o640)
        for old in self.versions()[: -self.keep]:
            for path in self._paths(old):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        return Baseline(self.host, version, created, metadata, manifest, data_path)


def read_baseline_file(path: str | Path, signer: Signer) -> dict[str, Any]:
    """A baseline file as a JSON-ready document, after its signature is checked (for people and other tools)."""
    path = Path(path)
    match = re.match(r"^baseline-(\d{6})\.marshal\.gz$", path.name)
    if match is None:
        raise BaselineError(f"{path}: not a baseline file (baseline-NNNNNN.marshal.gz)")
    data = path.read_bytes()
    store = BaselineStore(path.parent.parent, path.parent.name, signer)
    store._check_signature(data, path, path.with_name(f"baseline-{match.group(1)}.sig"))
    document: dict[str, Any] = marshal.loads(zlib.decompress(data, 16 + zlib.MAX_WBITS))  # noqa: S302 - signature checked
    return document
