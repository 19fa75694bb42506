"""A private certificate authority and a serving certificate for 127.0.0.1.

kubectl sends its bearer token only over TLS: client-go drops a
kubeconfig's credentials for a plain ``http://`` server.  So the served API
uses HTTPS like the real kube-apiserver, with a CA of its own (named
``kubernetes`` as kubeadm names it) whose certificate goes into the
kubeconfig as ``certificate-authority-data``.  The keys (ECDSA P-256, as
kubeadm makes them) are made once per process with the ``cryptography``
package, in memory only: no ``openssl`` program is needed and no key of the
CA ever touches the disk.  Each server loads its certificate and key through
a private temporary directory (0700, files created 0600 from the first byte)
that is removed as soon as TLS has read them, because Python's ``ssl`` module
reads a certificate chain from files only.

Simplified: one serving certificate per process for every served cluster;
ten years' validity; no front-proxy, etcd or service-account key pairs.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Certificates", "certificates", "create_private", "server_context"]

_lock = threading.Lock()
_cached: Certificates | None = None
_VALIDITY = datetime.timedelta(days=3650)
# The names the serving certificate answers to: the loopback address kubectl dials, and the names in-cluster
# clients use for the API server (kubeadm's apiserver certificate carries these too).
_DNS_NAMES = ("localhost", "kubernetes", "kubernetes.default")
_IP_ADDRESSES = ("127.0.0.1",)


@dataclass(frozen=True)
class Certificates:
    """The CA certificate, the serving certificate and its key, as PEM bytes."""

    ca: bytes
    cert: bytes
    key: bytes


def create_private(path: Path, data: bytes = b"") -> None:
    """Create ``path`` readable by its owner only from the first byte, never through a symbolic link.

    ``O_NOFOLLOW`` and ``O_CLOEXEC`` do not exist on Windows; there ``O_EXCL`` already refuses an existing
    name (a planted link included) and the file lives in a directory only its owner can reach.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for name in ("O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        key_encipherment=True,
        key_cert_sign=cert_sign,
        content_commitment=False,
        data_encipherment=False,
        key_agreement=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def _make() -> Certificates:
    """A CA ``CN=kubernetes`` and a ``CN=kube-apiserver`` serving certificate it signed, all in memory."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("kubernetes"))
        .issuer_name(_name("kubernetes"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in _DNS_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(a)) for a in _IP_ADDRESSES
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("kube-apiserver"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    return Certificates(
        ca.public_bytes(pem),
        cert.public_bytes(pem),
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )


def certificates() -> Certificates:
    """The process's CA and serving certificate (made on first use, kept in memory only)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = _make()
        return _cached


def server_context(certs: Certificates) -> ssl.SSLContext:
    """A TLS 1.2+ server context holding the serving certificate (kube-apiserver's ``MinVersion``)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["http/1.1"])
    directory = Path(tempfile.mkdtemp(prefix="kcourse-tls-"))
    try:
        create_private(directory / "apiserver.crt", certs.cert)
        create_private(directory / "apiserver.key", certs.key)
        ctx.load_cert_chain(directory / "apiserver.crt", directory / "apiserver.key")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return ctx
