"""The simulated cluster speaks the Kubernetes REST API, so the real ``kubectl`` can drive it.

``Cluster.serve()`` starts an HTTP server on 127.0.0.1 and writes a
kubeconfig for it::

    srv = cluster.serve(realtime=True)
    !KUBECONFIG={srv.kubeconfig} kubectl get pods -o wide

Modules: ``server`` (HTTP, authentication, threads, time), ``rest`` (the
verbs and subresources), ``discovery``, ``openapi``, ``tables`` (the
``meta.k8s.io/v1`` Table that ``kubectl get`` prints) and ``kubeconfig``.
"""

from __future__ import annotations

from .server import ServeHandle, serve

__all__ = ["ServeHandle", "serve"]
