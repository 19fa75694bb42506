"""The machines of the simulated cluster and what a learner does to them: power, network, faults.

:class:`Machine` is a computer of the cluster (a VM of the fake cloud): its role, whether it is powered
and whether a network partition cuts it off, and the processes it runs.  :class:`Machines` is the part
of :class:`~kcourse.sim.cluster.Cluster` that answers "can this node reach an API server?" and breaks
things on purpose: ``fail_node`` / ``recover_node`` (power), ``partition_node`` / ``heal_partition``
(network), ``stop_kubelet``, ``crash_container``, ``fail_image_pull`` and ``delete_vm``.

Upstream keeps the same split: the components never inject faults themselves; the end-to-end test
framework does it from outside, rebooting or deleting a node's VM through the cloud provider
(test/e2e/cloud/gcp/reboot.go, resize_nodes.go) and cutting a node off the control plane with an
iptables DROP rule (``BlockNetwork`` / ``UnblockNetwork`` in test/e2e/framework/network/utils.go).
Here the same faults are methods a learner calls on the cluster, kept apart from the wiring and the
event loop in :mod:`kcourse.sim.cluster`, which builds on this mixin (this module imports no cluster).

Simplified:

* a partition is all or nothing: a partitioned machine reaches no other machine (no one-way or
  per-peer partitions, no packet loss or latency);
* the API server is reachable while any control plane machine is powered (no load balancer, no
  per-master health);
* a fault is noticed only through missed heartbeats, so ``run_until_stable`` waits a fixed
  ``FAULT_DETECTION_WINDOW`` after one rather than watching for the control plane's reaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .component import Component

if TYPE_CHECKING:
    from .apiserver import APIServer
    from .clock import Clock
    from .cloud import FakeCloud
    from .registry import Registry

__all__ = ["Machine", "Machines"]

_REACHABILITY_FIELDS = frozenset({"role", "powered", "partitioned"})


@dataclass
class Machine:
    """A computer in the cluster (a VM of the fake cloud): what fails when a node fails."""

    name: str
    role: str  # "control-plane" or "worker"
    runtime: str
    powered: bool = True
    partitioned: bool = False
    components: list[Component] = field(default_factory=list)
    #: Called after ``role``, ``powered`` or ``partitioned`` changes: the cluster forgets its answers to
    #: "can this node reach an API server?" (every watch event to a node's program asks that).
    on_change: Callable[[], None] | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _REACHABILITY_FIELDS:
            hook = self.__dict__.get("on_change")
            if hook is not None:
                hook()

    @property
    def is_master(self) -> bool:
        return self.role == "control-plane"

    def component(self, name: str) -> Component | None:
        for c in self.components:
            if c.name == name:
                return c
        return None


class Machines:
    """The machines of a cluster, whether each reaches an API server, and the faults a learner injects.

    A mixin of :class:`~kcourse.sim.cluster.Cluster`, which sets the attributes declared here.
    """

    machines: dict[str, Machine]
    clock: Clock
    api: APIServer
    registry: Registry
    cloud: FakeCloud | None
    _reachability: dict[str | None, bool]
    _settle_until_ms: int
    #: Bumped whenever ``reachable``'s answers are forgotten: who remembers an answer (a group of
    #: informers sharing one cache) asks again only when it has changed.
    _reachability_epoch = 0

    def _reconcile_master_endpoints(self) -> None:
        raise NotImplementedError  # the cluster keeps the kubernetes Service's endpoints

    #: plus one node-monitor-period (5 s) and a little slack.  Nothing in the cluster knows of a fault
    #: until a heartbeat is missed, so ``run_until_stable`` lets at least this much time pass.
    FAULT_DETECTION_WINDOW = 60.0

    def _fault(self) -> None:
        self._settle_until_ms = max(
            self._settle_until_ms, self.clock.now_ms + round(self.FAULT_DETECTION_WINDOW * 1000)
        )

    def reachable(self, node: str | None) -> bool:
        """Can a process on ``node`` (None: a user's kubectl) reach a running API server?

        Every watch event to a node's program asks this, so the answer is remembered per node
        until a machine joins or its role, power or partition changes (``Machine.on_change``).
        """
        answer = self._reachability.get(node)
        if answer is None:
            answer = self._reachability[node] = self._reaches_api_server(node)
        return answer

    def _forget_reachability(self) -> None:
        # A method of the cluster's own, not the dict's ``clear``: a copy of the cluster
        # (``copy.deepcopy``) rebinds a Python method to the copy, but shares a builtin one with the
        # original, so the copy's machines would clear the original's answers and never its own.
        self._reachability.clear()
        self._reachability_epoch += 1

    def reachability_epoch(self) -> int:
        """A number that changes whenever an answer of :meth:`reachable` may have changed."""
        return self._reachability_epoch

    def _reaches_api_server(self, node: str | None) -> bool:
        for master in self.machines.values():
            if master.is_master and master.powered:
                break
        else:
            if self.machines:
                return False
        if node is None:
            return True
        machine = self.machines.get(node)
        return machine is None or (machine.powered and not machine.partitioned)

    def machine_up(self, node: str) -> bool:
        """Is the machine powered and on the network (a partition cuts it off from every other machine)?"""
        m = self.machines.get(node)
        return m is not None and m.powered and not m.partitioned

    def powered(self, node: str) -> bool:
        """Is the machine named ``node`` powered on (partitioned or not)?"""
        m = self.machines.get(node)
        return m is not None and m.powered

    def machine(self, name: str) -> Machine:
        try:
            return self.machines[name]
        except KeyError:
            raise ValueError(f"no node named {name!r}; nodes: {', '.join(sorted(self.machines))}") from None

    def kubelet(self, node: str) -> Any:
        return self.machine(node).component("kubelet")

    def _disconnect(self, machine: Machine) -> None:
        for comp in machine.components:
            hook = getattr(comp, "disconnect", None)
            if hook:
                hook()

    def _reconnect(self, machine: Machine) -> None:
        for comp in machine.components:
            hook = getattr(comp, "reconnect", None)
            if hook:
                hook()

    def fail_node(self, name: str) -> None:
        """Power the machine off: every process on it stops, its containers are gone."""
        m = self.machine(name)
        if not m.powered:
            return
        m.powered = False
        self._fault()
        for comp in reversed(m.components):
            comp.stop()
        if self.cloud is not None:
            self.cloud.power_off(name)
        if m.is_master:
            self._reconcile_master_endpoints()
            for other in self.machines.values():
                if other is not m and other.powered and not self.reachable(other.name):
                    self._disconnect(other)

    def recover_node(self, name: str) -> None:
        """Power the machine back on: the kubelet starts and re-syncs the pods bound to it."""
        m = self.machine(name)
        if m.powered and not m.partitioned:
            return
        if m.partitioned:
            self.heal_partition(name)
        if not m.powered:
            m.powered = True
            if self.cloud is not None:
                self.cloud.power_on(name)
            for comp in m.components:
                comp.start()
            if m.is_master:
                self._reconcile_master_endpoints()
                for other in self.machines.values():
                    if other.powered and self.reachable(other.name):
                        self._reconnect(other)

    stop_master = fail_node

    def partition_node(self, name: str) -> None:
        """Cut the node off from the control plane: it keeps running but cannot reach the API server."""
        m = self.machine(name)
        self._fault()
        m.partitioned = True
        self._disconnect(m)

    def heal_partition(self, name: str) -> None:
        m = self.machine(name)
        if m.partitioned:
            m.partitioned = False
            if m.powered:
                self._reconnect(m)

    def stop_kubelet(self, name: str) -> None:
        """Stop only the kubelet (containers keep running, nobody reports for the node)."""
        self._fault()
        self.kubelet(name).stop_process()

    def start_kubelet(self, name: str) -> None:
        self.kubelet(name).start()

    def crash_container(
        self, pod: str, container: str | None = None, namespace: str = "default", exit_code: int = 1
    ) -> None:
        """Make a running container exit with ``exit_code`` (the kubelet will notice and restart it)."""
        obj = self.api.peek("pods", pod, namespace)
        if obj is None or not obj["spec"].get("nodeName"):
            raise ValueError(f'pod "{pod}" is not running on any node')
        self.kubelet(obj["spec"]["nodeName"]).crash_container(namespace, pod, container, exit_code)

    def fail_image_pull(self, image: str, failing: bool = True) -> None:
        """Make pulls of ``image`` fail (as an unreachable or misspelled registry would)."""
        self.registry.set_failing(image, failing)

    def delete_vm(self, name: str) -> None:
        """Delete the node's VM in the cloud: the machine is gone for good."""
        if self.cloud is None:
            raise ValueError("this cluster has no cloud provider (Cluster(cloud=True) adds one)")
        self.fail_node(name)
        self.cloud.delete_vm(name)
