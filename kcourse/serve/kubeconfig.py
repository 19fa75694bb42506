"""The kubeconfig a learner points ``kubectl`` at.

A kubeconfig names *clusters* (where the API server is), *users* (how to
authenticate: here a bearer token) and *contexts* (a cluster, a user and a
default namespace); ``current-context`` picks one.  kubeadm names its admin
context ``kubernetes-admin@<cluster>``; the simulated kubectl prints the
same name for ``kubectl config current-context``.

The server's certificate is signed by a CA of its own, given as
``certificate-authority-data``.  Simplified: the loopback interface and a
free port instead of the node's address and 6443.
"""

from __future__ import annotations

import base64
from pathlib import Path

import yaml

__all__ = ["USER", "context_name", "kubeconfig", "write_kubeconfig"]

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
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": USER, "namespace": namespace}}],
        "current-context": context,
        "preferences": {},
    }


def write_kubeconfig(path: str | Path, cluster_name: str, url: str, token: str, ca: bytes = b"") -> Path:
    """Write the kubeconfig readable by its owner only (it holds the token), and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(kubeconfig(cluster_name, url, token, ca), sort_keys=False))
    path.chmod(0o600)
    return path
