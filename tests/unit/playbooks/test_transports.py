# Copyright (c) hardened.iis contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented transport initialises from what `make` installs: its client libraries load, and a
connection to a closed loopback port fails as a connection (or Kerberos credential) error, never as a
missing library."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import closed_port

ROOT = Path(__file__).resolve().parents[3]
ANSIBLE = shutil.which("ansible", path=str(Path(sys.executable).parent)) or "ansible"
MISSING = ("not installed", "No module named", "requires the", "pip install", "is required")
REFUSED = "Connection refused"


@pytest.fixture(scope="module")
def client_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A client certificate and key for certificate authentication (never presented: the port is closed)."""
    folder = tmp_path_factory.mktemp("certificate")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "auditor")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def ping(connection: str, auth: str, certificate: tuple[Path, Path]) -> str:
    variables = {
        "ansible_connection": connection,
        "ansible_port": str(closed_port()),
        "ansible_user": "auditor@EXAMPLE.COM",
        "ansible_password": "not-a-real-password",
        "ansible_winrm_transport": auth,
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_kinit_mode": "manual",  # the ticket would come from kinit beforehand
        "ansible_winrm_cert_pem": str(certificate[0]),
        "ansible_winrm_cert_key_pem": str(certificate[1]),
        "ansible_psrp_auth": auth,
        "ansible_psrp_certificate_pem": str(certificate[0]),
        "ansible_psrp_certificate_key_pem": str(certificate[1]),
    }
    command = [ANSIBLE, "all", "-i", "127.0.0.1,", "-m", "ansible.windows.win_ping"]
    for name, value in variables.items():
        command += ["-e", f"{name}={value}"]
    environment = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".build" / "collections"))
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=environment, check=False, timeout=120)
    assert result.returncode != 0
    return result.stdout + result.stderr


@pytest.mark.parametrize("auth", ["ntlm", "credssp", "certificate"])
def test_winrm_transports_reach_the_network(auth: str, client_certificate: tuple[Path, Path]) -> None:
    output = ping("winrm", auth, client_certificate)
    assert "UNREACHABLE" in output and REFUSED in output, output
    assert not any(m in output for m in MISSING), output
    assert "not-a-real-password" not in output


def test_winrm_kerberos_loads_and_asks_gssapi_for_a_ticket(client_certificate: tuple[Path, Path]) -> None:
    """pywinrm's Kerberos asks GSSAPI for credentials before it connects: with no ticket, the Kerberos library says so."""
    output = ping("winrm", "kerberos", client_certificate)
    assert "UNREACHABLE" in output and "authGSSClientInit" in output and "auditor@EXAMPLE.COM" in output, output
    assert not any(m in output for m in MISSING), output


@pytest.mark.parametrize("auth", ["ntlm", "kerberos", "credssp", "certificate"])
def test_psrp_transports_reach_the_network(auth: str, client_certificate: tuple[Path, Path]) -> None:
    output = ping("psrp", auth, client_certificate)
    assert "UNREACHABLE" in output and REFUSED in output, output
    assert not any(m in output for m in MISSING), output
    assert "not-a-real-password" not in output


def test_the_kerberos_libraries_are_the_real_ones() -> None:
    import gssapi
    import kerberos
    import krb5
    import requests_credssp
    from spnego._gss import GSSAPIProxy

    assert hasattr(kerberos, "authGSSClientInit") and hasattr(gssapi, "Name") and hasattr(krb5, "init_context")
    assert requests_credssp.HttpCredSSPAuth is not None
    assert "kerberos" in GSSAPIProxy.available_protocols()  # PSRP's Kerberos (pyspnego) through gssapi
