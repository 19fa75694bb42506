"""kube-controller-manager: one process running many controllers.

Each controller is a watch-loop (see :mod:`kcourse.sim.controller`) that
compares desired with current state for one kind of object.  They share one
set of informers, and only the instance that holds the
``kube-system/kube-controller-manager`` Lease runs them — with several
control plane nodes the others wait, ready to take over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..component import Component
from ..controller import Controller
from ..host import Host
from ..informer import SharedInformerFactory
from ..leader import LeaderElected

__all__ = ["CONTROLLERS", "ControllerManager", "KubeControllerManager"]


def _controller_classes() -> list[type[Controller]]:
    """The controllers this manager runs, in start-up order (imported lazily to keep start-up cheap)."""
    from .daemonset import DaemonSetController
    from .deployment import DeploymentController
    from .endpoints import EndpointsController
    from .endpointslice import EndpointSliceController
    from .garbagecollector import GarbageCollector
    from .job import JobController
    from .namespace import NamespaceController
    from .node_lifecycle import NodeLifecycleController
    from .nodeipam import NodeIpamController
    from .podgc import PodGCController
    from .replicaset import ReplicaSetController
    from .serviceaccount import ServiceAccountsController
    from .token import TokensController

    return [
        NodeIpamController,
        NodeLifecycleController,
        ServiceAccountsController,
        TokensController,
        NamespaceController,
        DeploymentController,
        ReplicaSetController,
        DaemonSetController,
        JobController,
        EndpointsController,
        EndpointSliceController,
        GarbageCollector,
        PodGCController,
    ]


CONTROLLERS = (
    "nodeipam",
    "nodelifecycle",
    "serviceaccount",
    "serviceaccount-token",
    "namespace",
    "deployment",
    "replicaset",
    "daemonset",
    "job",
    "endpoints",
    "endpointslice",
    "garbagecollector",
    "podgc",
)


#: What builds one controller of a manager: ``NewController(manager, informers)``.
ControllerFactory = Callable[[Component, SharedInformerFactory], Controller]


class ControllerManager(LeaderElected):
    """A controller-manager process: shared informers and controllers that run only while it leads.

    ``controllers`` lists what builds each controller, in start-up order; a new term
    (after a lost Lease or a restart) builds them all again, with fresh informers.
    """

    def __init__(
        self, host: Host, name: str, node: str, controllers: Callable[[], Sequence[ControllerFactory]]
    ):
        self._factories = controllers
        super().__init__(host, name, node)

    def controller(self, name: str) -> Controller:
        for c in self.controllers:
            if c.name == name:
                return c
        raise KeyError(name)

    def build(self) -> None:
        self.informers = SharedInformerFactory(self.client)
        self.controllers: list[Controller] = [new(self, self.informers) for new in self._factories()]

    def lead(self) -> None:
        """Became leader: sync the informers, then start every controller's loop."""
        self.informers.start()
        for c in self.controllers:
            c.run()

    def follow(self) -> None:
        """Lost the lease or died: the real process exits and restarts; the next term starts afresh."""
        for c in self.controllers:
            c.stop()
        self.informers.stop()

    def disconnect(self) -> None:
        self.informers.disconnect()

    def reconnect(self) -> None:
        self.informers.reconnect()


class KubeControllerManager(ControllerManager):
    """The kube-controller-manager process on one control plane node."""

    def __init__(self, host: Host, node: str):
        super().__init__(host, "kube-controller-manager", node, _controller_classes)
