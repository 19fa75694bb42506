"""The simulated cluster speaks the Kubernetes REST API, so the real ``kubectl`` can drive it.

``Cluster.serve()`` starts an HTTP server on 127.0.0.1 and writes a
kubeconfig for it::

    srv = cluster.serve(realtime=True)
    !KUBECONFIG={srv.kubeconfig} kubectl get pods -o wide

Modules: ``httpserver`` (connections, framing, limits and timeouts, as Go's
``net/http`` serves kube-apiserver), ``server`` (authentication, max-in-flight,
routing, the real-time clock), ``rest`` (the verbs and subresources),
``serializers`` and ``protobuf`` (request bodies and their limits),
``discovery``, ``openapi``, ``tables`` (the ``meta.k8s.io/v1`` Table that
``kubectl get`` prints), ``kubeconfig`` and ``tls``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServeHandle", "serve"]


def __getattr__(name: str) -> Any:
    """Load the HTTP machinery on first use, so ``kcourse --help`` stays quick."""
    if name in __all__:
        from . import server

        return getattr(server, name)
    raise AttributeError(name)
