"""A private certificate authority and a serving certificate for 127.0.0.1.

kubectl sends its bearer token only over TLS: client-go drops a
kubeconfig's credentials for a plain ``http://`` server.  So the served API
uses HTTPS like the real kube-apiserver, with a CA of its own (named
``kubernetes`` as kubeadm names it) whose certificate goes into the
kubeconfig as ``certificate-authority-data``.  The keys are made once per
process with the ``openssl`` command line and kept in a private temporary
directory.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
import threading
from pathlib import Path

__all__ = ["Certificates", "certificates", "server_context"]

_lock = threading.Lock()
_cached: Certificates | None = None


class Certificates:
    def __init__(self, directory: Path):
        self.directory = directory
        self.ca = directory / "ca.crt"
        self.cert = directory / "apiserver.crt"
        self.key = directory / "apiserver.key"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _make(directory: Path) -> Certificates:
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
    return Certificates(directory)


def certificates() -> Certificates:
    """The process's CA and serving certificate (made on first use)."""
    global _cached
    with _lock:
        if _cached is None or not _cached.cert.exists():
            if shutil.which("openssl") is None:
                raise RuntimeError("serving the API needs the openssl command (apt-get install openssl)")
            _cached = _make(Path(tempfile.mkdtemp(prefix="kcourse-pki-")))
        return _cached


def server_context(certs: Certificates) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.cert, certs.key)
    return ctx
