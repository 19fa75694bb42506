"""The kubeconfig a learner points ``kubectl`` at.

A kubeconfig names *clusters* (where the API server is), *users* (how to
authenticate: here a bearer token) and *contexts* (a cluster, a user and a
default namespace); ``current-context`` picks one.  kubeadm names its admin
context ``kubernetes-admin@<cluster>``; the simulated kubectl prints the
same name for ``kubectl config current-context``.

The server's certificate is signed by a CA of its own, given as
``certificate-authority-data``.  Simplified: the loopback interface and a
free port instead of the node's address and 6443.

The file holds the token, so it is created readable by its owner only from
its first byte (``O_CREAT|O_EXCL|O_NOFOLLOW``, mode 0600) under a temporary
name and renamed into place: nothing ever writes through a symbolic link, and
a ``--kubeconfig`` path that *is* a symbolic link is refused with a clear
error instead of being followed.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

import yaml

from .tls import create_private

__all__ = ["USER", "KubeconfigError", "context_name", "kubeconfig", "write_kubeconfig"]


class KubeconfigError(ValueError):
    """The kubeconfig cannot be written where asked (a symbolic link, a directory, …)."""


USER = "kubernetes-admin"


def context_name(cluster_name: str) -> str:
    return f"{USER}@{cluster_name}"


def kubeconfig(cluster_name: str, url: str, token: str, ca: bytes = b"", namespace: str = "default") -> dict:
    """The kubeconfig document (``apiVersion: v1``, ``kind: Config``)."""
    context = context_name(cluster_name)
    server: dict = {"server": url}
    if ca:
        server["certificate-authority-data"] = base64.b64encode(ca).decode()
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": server}],
        "users": [{"name": USER, "user": {"token": token}}],
        "contexts": [
            {"name": context, "context": {"cluster": cluster_name, "user": USER, "namespace": namespace}}
        ],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, cluster_name: str, url: str, token: str, ca: bytes = b"") -> Path:
    """Write the kubeconfig readable by its owner only (it holds the token), and return its path.

    An existing regular file is replaced (atomically); a symbolic link or a directory is refused.
    """
    path = Path(path)
    if path.is_symlink():
        raise KubeconfigError(
            f"refusing to write the kubeconfig to {path}: it is a symbolic link "
            "(give the path of a regular file)"
        )
    if path.is_dir():
        raise KubeconfigError(f"cannot write the kubeconfig to {path}: it is a directory")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = yaml.safe_dump(kubeconfig(cluster_name, url, token, ca), sort_keys=False).encode()
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        create_private(temporary, text)
        os.replace(temporary, path)  # replaces a link planted meanwhile, never writes through it
    except OSError as e:
        temporary.unlink(missing_ok=True)
        raise KubeconfigError(f"cannot write the kubeconfig to {path}: {e.strerror or e}") from None
    return path
