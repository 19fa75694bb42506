"""kube-controller-manager: one process running many controllers.

Each controller is a watch-loop (see :mod:`kcourse.sim.controller`) that
compares desired with current state for one kind of object.  They share one
set of informers, and only the instance that holds the
``kube-system/kube-controller-manager`` Lease runs them — with several
control plane nodes the others wait, ready to take over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import import_module

from ..component import Component
from ..controller import Controller
from ..host import Host
from ..informer import SharedInformerFactory
from ..leader import LeaderElected

__all__ = ["CONTROLLERS", "CONTROLLER_DESCRIPTORS", "ControllerManager", "KubeControllerManager"]


#: The controllers this manager runs, in start-up order: the name kube-controller-manager's
#: ``--controllers`` flag uses for each, and the module and class that implement it.  One table, as
#: upstream's ``NewControllerDescriptors`` is one map: adding a controller is one line here.
CONTROLLER_DESCRIPTORS: tuple[tuple[str, str, str], ...] = (
    ("nodeipam", "nodeipam", "NodeIpamController"),
    ("nodelifecycle", "node_lifecycle", "NodeLifecycleController"),
    ("serviceaccount", "serviceaccount", "ServiceAccountsController"),
    ("serviceaccount-token", "token", "TokensController"),
    ("namespace", "namespace", "NamespaceController"),
    ("deployment", "deployment", "DeploymentController"),
    ("replicaset", "replicaset", "ReplicaSetController"),
    ("daemonset", "daemonset", "DaemonSetController"),
    ("job", "job", "JobController"),
    ("endpoints", "endpoints", "EndpointsController"),
    ("endpointslice", "endpointslice", "EndpointSliceController"),
    ("garbagecollector", "garbagecollector", "GarbageCollector"),
    ("podgc", "podgc", "PodGCController"),
)

CONTROLLERS = tuple(name for name, _, _ in CONTROLLER_DESCRIPTORS)


def _controller_classes() -> list[type[Controller]]:
    """The controllers' classes, in start-up order (imported when first needed to keep start-up cheap)."""
    return [getattr(import_module(f"{__name__}.{module}"), cls) for _, module, cls in CONTROLLER_DESCRIPTORS]


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
