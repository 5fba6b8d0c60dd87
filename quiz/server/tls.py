"""HTTPS for a host console on another machine: a self-signed certificate and its fingerprint.

``quiz serve --remote-host`` lets the host console run on a machine other than the server; its
token then crosses the Wi-Fi, so the server insists on HTTPS (``--cert/--key``, or
``--self-signed``). A self-signed certificate is made once in the data folder with the
``cryptography`` package if it is installed, else with the ``openssl`` command, and kept; its
SHA-256 fingerprint is printed so that the host can compare it with what the browser shows
before accepting the certificate.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import ssl
import subprocess
from pathlib import Path

#: Days a generated certificate is valid (one event season); a new one is made after that.
VALID_DAYS = 90
NAME = "quiz"


class CertificateError(RuntimeError):
    """No certificate could be made (neither ``cryptography`` nor ``openssl`` available)."""


def fingerprint(cert_path: Path) -> str:
    """The SHA-256 fingerprint of a PEM certificate, as browsers show it (AB:CD:...)."""
    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text())
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def self_signed(folder: Path, hosts: list[str]) -> tuple[Path, Path]:
    """The certificate and key in ``folder`` (``tls-cert.pem``, ``tls-key.pem``), made now if
    missing; ``hosts``: the addresses the certificate names (the LAN addresses)."""
    cert, key = folder / "tls-cert.pem", folder / "tls-key.pem"
    if cert.exists() and key.exists():
        return cert, key
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _with_cryptography(cert, key, hosts)
    except ImportError:
        _with_openssl(cert, key, hosts)
    key.chmod(0o600)
    return cert, key


def _with_cryptography(cert: Path, key: Path, hosts: list[str]) -> None:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    alt: list[x509.GeneralName] = [x509.DNSName("localhost")]
    for host in hosts:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .sign(private, hashes.SHA256())
    )
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert.write_bytes(built.public_bytes(serialization.Encoding.PEM))


def _with_openssl(cert: Path, key: Path, hosts: list[str]) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise CertificateError(
            "需要 cryptography 包或 openssl 命令来生成证书 / a certificate needs the "
            "cryptography package or the openssl command"
        )
    names = ["DNS:localhost"] + [
        f"IP:{h}" if h[:1].isdigit() or ":" in h else f"DNS:{h}" for h in hosts
    ]
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            str(VALID_DAYS),
            "-subj",
            f"/CN={NAME}",
            "-addext",
            "subjectAltName=" + ",".join(names),
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


__all__ = ["CertificateError", "fingerprint", "self_signed"]
