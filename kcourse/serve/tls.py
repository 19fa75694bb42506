"""A private certificate authority and a serving certificate for 127.0.0.1.

kubectl sends its bearer token only over TLS: client-go drops a
kubeconfig's credentials for a plain ``http://`` server.  So the served API
uses HTTPS like the real kube-apiserver, with a CA of its own (named
``kubernetes`` as kubeadm names it) whose certificate goes into the
kubeconfig as ``certificate-authority-data``.  The keys are made once per
process with the ``openssl`` command line in a private temporary directory
(0700; every key file created 0600 before openssl writes a byte into it),
read into memory and the directory removed at once: a served cluster leaves
no key on disk.  Each server loads its certificate and key through another
private directory that is removed as soon as TLS has read them.
"""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Certificates", "certificates", "create_private", "server_context"]

_lock = threading.Lock()
_cached: Certificates | None = None


@dataclass(frozen=True)
class Certificates:
    """The CA certificate, the serving certificate and its key, as PEM bytes."""

    ca: bytes
    cert: bytes
    key: bytes


def create_private(path: Path, data: bytes = b"") -> None:
    """Create ``path`` readable by its owner only from the first byte, never through a symbolic link."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make(directory: Path) -> Certificates:
    for key in ("ca.key", "apiserver.key"):
        create_private(directory / key)  # openssl truncates and fills them, keeping the mode
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=kubernetes",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign", cwd=directory)
    _openssl("req", *ec, "-keyout", "apiserver.key", "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver",
             cwd=directory)
    (directory / "apiserver.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\n"
        "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
        "basicConstraints=critical,CA:FALSE\n")
    _openssl("x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "apiserver.crt", "-days", "3650", "-extfile", "apiserver.ext", cwd=directory)
    return Certificates((directory / "ca.crt").read_bytes(), (directory / "apiserver.crt").read_bytes(),
                        (directory / "apiserver.key").read_bytes())


def certificates() -> Certificates:
    """The process's CA and serving certificate (made on first use, kept in memory only)."""
    global _cached
    with _lock:
        if _cached is None:
            if shutil.which("openssl") is None:
                raise RuntimeError("serving the API needs the openssl command (apt-get install openssl)")
            directory = Path(tempfile.mkdtemp(prefix="kcourse-pki-"))
            try:
                _cached = _make(directory)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
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
