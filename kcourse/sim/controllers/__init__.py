"""kube-controller-manager: one process running many controllers.

Each controller is a watch-loop (see :mod:`kcourse.sim.controller`) that
compares desired with current state for one kind of object.  They share one
set of informers, and only the instance that holds the
``kube-system/kube-controller-manager`` Lease runs them — with several
control plane nodes the others wait, ready to take over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..component import Component
from ..controller import Controller
from ..informer import SharedInformerFactory
from ..leader import LeaderElector

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = ["CONTROLLERS", "KubeControllerManager"]


def _controller_classes() -> list[type[Controller]]:
    """The controllers this manager runs, in start-up order (imported lazily to keep start-up cheap)."""
    from .daemonset import DaemonSetController
    from .deployment import DeploymentController
    from .endpoints import EndpointsController
    from .endpointslice import EndpointSliceController
    from .garbagecollector import GarbageCollector
    from .namespace import NamespaceController
    from .node_lifecycle import NodeLifecycleController
    from .nodeipam import NodeIpamController
    from .podgc import PodGCController
    from .replicaset import ReplicaSetController
    from .serviceaccount import ServiceAccountsController
    from .token import TokensController
    return [NodeIpamController, NodeLifecycleController, ServiceAccountsController, TokensController,
            NamespaceController, DeploymentController, ReplicaSetController, DaemonSetController,
            EndpointsController, EndpointSliceController, GarbageCollector, PodGCController]


CONTROLLERS = ("nodeipam", "nodelifecycle", "serviceaccount", "serviceaccount-token", "namespace", "deployment",
               "replicaset", "daemonset", "endpoints", "endpointslice", "garbagecollector", "podgc")


class KubeControllerManager(Component):
    """The kube-controller-manager process on one control plane node."""

    def __init__(self, cluster: Cluster, node: str):
        super().__init__(cluster, "kube-controller-manager", node)
        self._build()
        self.elector = LeaderElector(self, "kube-controller-manager", on_started_leading=self._lead,
                                     on_stopped_leading=self._follow)

    @property
    def is_leader(self) -> bool:
        return self.elector.is_leader

    def controller(self, name: str) -> Controller:
        for c in self.controllers:
            if c.name == name:
                return c
        raise KeyError(name)

    def start(self) -> None:
        super().start()
        self.elector.start()

    def stop(self) -> None:
        self._follow()
        self.elector.stop()
        super().stop()

    def _build(self) -> None:
        self.informers = SharedInformerFactory(self.client)
        self.controllers: list[Controller] = [cls(self, self.informers) for cls in _controller_classes()]
        self._stale = False

    def _lead(self) -> None:
        """Became leader: sync the informers, then start every controller's loop."""
        if self._stale:
            self._build()
        self.informers.start()
        for c in self.controllers:
            c.run()

    def _follow(self) -> None:
        """Lost the lease or died: the real process exits and restarts; the next term starts afresh."""
        for c in self.controllers:
            c.stop()
        self.informers.stop()
        self._stale = True

    def disconnect(self) -> None:
        self.informers.disconnect()

    def reconnect(self) -> None:
        self.informers.reconnect()
