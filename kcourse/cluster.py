"""The learner's cluster: the simulation plus the ways to look at it and to serve it.

:class:`kcourse.sim.cluster.Cluster` is the simulation alone and knows no view or server
(it imports nothing of Graphviz, Jupyter or HTTP).  ``kcourse.Cluster`` — this class — is
what notebooks build: the same cluster with ``diagram()`` (a Graphviz picture of the live
state, from :mod:`kcourse.diagrams`) and ``serve()`` (the Kubernetes REST API for the real
``kubectl``, from :mod:`kcourse.serve`).  Both load their module on first use, so building
a cluster stays as light as the simulation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kcourse.sim.cluster import Cluster as SimCluster

if TYPE_CHECKING:
    from kcourse.diagrams import Diagram
    from kcourse.plots import Recorder
    from kcourse.serve.server import ServeHandle

__all__ = ["Cluster"]


class Cluster(SimCluster):
    """A deterministic Kubernetes cluster in one Python process, with its views.

    Everything the simulation does is :class:`kcourse.sim.cluster.Cluster`'s (see there for
    the arguments); this class adds what a learner looks at it with.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        #: The history the plots draw from, once :func:`kcourse.plots.record` attached it.
        self.recorder: Recorder | None = None
        super().__init__(*args, **kwargs)

    def diagram(self, **options: Any) -> Diagram:
        """A Graphviz picture of the live cluster (renders inline in Jupyter); options as
        :func:`kcourse.diagrams.live`."""
        from kcourse.diagrams import live

        return live(self, **options)

    def serve(self, port: int = 0, **options: Any) -> ServeHandle:
        """Serve the Kubernetes API on 127.0.0.1 so the real ``kubectl`` can drive this cluster.

        Returns a handle with ``url``, ``kubeconfig``, ``token`` and ``stop()`` (also a context
        manager); see :mod:`kcourse.serve` for the options and for how time moves meanwhile.
        """
        from kcourse.serve import serve

        return serve(self, port=port, **options)
