"""What the scheduler knows of pods and nodes (``pkg/scheduler/framework/types.go``).

A :class:`PodInfo` holds what the scheduler keeps computing from a pod — its
requests (``computePodResourceRequest``), host ports, priority, label group —
worked out once when the pod is seen, not per node per cycle.  A
:class:`NodeInfo` is one node with the sums over the pods bound to it, kept up
to date pod by pod.  A :class:`ClusterEvent` names a change in the cluster that
may make a rejected pod fit (upstream's ``ClusterEvent``, the keys of the
queueing hints).  :func:`fit_error_message` is ``FitError.Error()``: the text
of ``FailedScheduling``.

Simplified: only cpu, memory, ephemeral-storage and the pod count are
accounted (no extended resources, no scalar resources); images are matched by
the names the kubelet reports, without upstream's normalisation of registries.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from ...quantity import millicores, units
from ...resources import object_key
from .interface import Status

if TYPE_CHECKING:
    from ..node_table import NodeTable

__all__ = [
    "DEFAULT_MEMORY_REQUEST",
    "DEFAULT_MILLI_CPU_REQUEST",
    "LABEL_HOSTNAME",
    "LABEL_ZONE",
    "ClusterEvent",
    "NodeInfo",
    "PodInfo",
    "fit_error_message",
    "histogram_message",
    "ports_conflict",
]

#: What scoring assumes for a container requesting no cpu / memory (``schedutil.DefaultMilliCPURequest`` …).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"


class ClusterEvent(enum.StrEnum):
    """A change in the cluster that may help a pod a plugin rejected (``framework.ClusterEvent``'s labels)."""

    NODE_ADD = "NodeAdd"
    NODE_LABEL_CHANGE = "NodeLabelChange"
    NODE_TAINT_CHANGE = "NodeTaintChange"
    NODE_ALLOCATABLE_CHANGE = "NodeAllocatableChange"
    ASSIGNED_POD_ADD = "AssignedPodAdd"
    ASSIGNED_POD_UPDATE = "AssignedPodUpdate"
    ASSIGNED_POD_DELETE = "AssignedPodDelete"


class PodInfo:
    """A pod with what the scheduler keeps computing from it: requests, host ports, priority."""

    __slots__ = (
        "_group",
        "host_ports",
        "key",
        "labels",
        "namespace",
        "non_zero",
        "pod",
        "priority",
        "requests",
        "terminating",
    )

    def __init__(self, pod: dict):
        self.pod = pod
        md = pod["metadata"]
        self.key = object_key(pod)
        self.namespace = md.get("namespace") or "default"
        self.labels = md.get("labels") or {}
        spec = pod.get("spec") or {}
        self.priority = int(spec.get("priority") or 0)
        self.requests, self.non_zero = _pod_requests(spec)
        self.host_ports = _host_ports(spec)
        self.terminating = bool(md.get("deletionTimestamp"))
        self._group = (self.namespace, tuple(sorted(self.labels.items())))

    def renewed(self, pod: dict) -> PodInfo:
        """The PodInfo of a newer version of this pod, ``PodInfo(pod)`` in effect.

        A version sharing this one's ``spec`` object (the API server keeps an
        unchanged spec as it was) with the same labels and deletion mark has
        the same requests, ports, priority and group: only the pod changes.
        """
        md = pod["metadata"]
        spec = pod.get("spec")
        labels = md.get("labels") or {}
        if (
            spec is None
            or spec is not self.pod.get("spec")
            or labels != self.labels
            or bool(md.get("deletionTimestamp")) != self.terminating
            or object_key(pod) != self.key
        ):
            return PodInfo(pod)
        pi = PodInfo.__new__(PodInfo)
        pi.pod, pi.key, pi.namespace, pi.labels = pod, self.key, self.namespace, labels
        pi.priority, pi.requests, pi.non_zero = self.priority, self.requests, self.non_zero
        pi.host_ports, pi.terminating, pi._group = self.host_ports, self.terminating, self._group
        return pi


#: Quantities parsed once per distinct text: every update of a bound pod rebuilds its PodInfo.
_millicores = lru_cache(maxsize=1024, typed=True)(millicores)
_units = lru_cache(maxsize=1024, typed=True)(units)


def _container_requests(c: dict) -> dict[str, int]:
    """A container's requests; a limit stands in for a missing request, as API defaulting does."""
    res = c.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    out = {}
    for name in ("cpu", "memory", "ephemeral-storage"):
        value = req.get(name, lim.get(name))
        if value is not None:
            out[name] = _millicores(value) if name == "cpu" else _units(value)
    return out


def _pod_requests(spec: dict) -> tuple[dict[str, int], dict[str, int]]:
    """``computePodResourceRequest``: sum of containers, at least the largest init container, plus overhead.

    The second dict is what scoring uses: a container that requests no cpu
    (memory) counts as 100m (200Mi), so empty pods still spread out.
    """
    total = {"cpu": 0, "memory": 0, "ephemeral-storage": 0}
    non_zero = {"cpu": 0, "memory": 0}
    for c in spec.get("containers") or []:
        r = _container_requests(c)
        for k in total:
            total[k] += r.get(k, 0)
        non_zero["cpu"] += r.get("cpu", DEFAULT_MILLI_CPU_REQUEST)
        non_zero["memory"] += r.get("memory", DEFAULT_MEMORY_REQUEST)
    for c in spec.get("initContainers") or []:
        r = _container_requests(c)
        for k, have in total.items():
            total[k] = max(have, r.get(k, 0))
        non_zero["cpu"] = max(non_zero["cpu"], r.get("cpu", DEFAULT_MILLI_CPU_REQUEST))
        non_zero["memory"] = max(non_zero["memory"], r.get("memory", DEFAULT_MEMORY_REQUEST))
    for k, v in (spec.get("overhead") or {}).items():
        amount = _millicores(v) if k == "cpu" else _units(v)
        if k in total:
            total[k] += amount
        if k in non_zero:
            non_zero[k] += amount
    return total, non_zero


def _host_ports(spec: dict) -> list[tuple[str, str, int]]:
    out = []
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                out.append((p.get("hostIP") or "0.0.0.0", p.get("protocol") or "TCP", int(p["hostPort"])))
    return out


def ports_conflict(used: Collection[tuple[str, str, int]], want: tuple[str, str, int]) -> bool:
    """``HostPortInfo.CheckConflict``: 0.0.0.0 clashes with every address on the same protocol and port."""
    ip, proto, port = want
    if ip == "0.0.0.0":
        return any(u[1] == proto and u[2] == port for u in used)
    return (ip, proto, port) in used or ("0.0.0.0", proto, port) in used


class NodeInfo:
    """What the scheduler knows about one node, kept up to date pod by pod (``framework.NodeInfo``).

    What plugins read on every node of every cycle is computed once per node
    update: allocatable as integers, the labels, and the taints sorted by
    what they do (NoSchedule/NoExecute for Filter, PreferNoSchedule for Score).
    A node info of the scheduler's cache also writes those facts into the
    cache's :class:`NodeTable` row whenever they change (``table``).
    """

    def __init__(self, name: str, node: dict | None = None):
        self.name = name
        self.node: dict | None = None
        self.allocatable = {"cpu": 0, "memory": 0, "ephemeral-storage": 0, "pods": 0}
        self.requested = {"cpu": 0, "memory": 0, "ephemeral-storage": 0}
        self.non_zero_requested = {"cpu": 0, "memory": 0}
        self.pods: dict[str, PodInfo] = {}
        self.used_ports: dict[tuple[str, str, int], int] = {}
        self.images: dict[str, int] = {}
        self.labels: dict[str, str] = {}
        self.taints: list[dict] = []
        self.unschedulable = False
        self.hard_taints: list[dict] = []
        self.prefer_taints: list[dict] = []
        #: The cache's node table this node's row lives in (None: a node info of its own, e.g. a clone).
        self.table: NodeTable | None = None
        if node is not None:
            self.set_node(node)

    @classmethod
    def build(cls, node: dict, pods: Iterable[dict] = ()) -> NodeInfo:
        """A node info for ``node`` with ``pods`` on it (tests and views)."""
        ni = cls(node["metadata"]["name"], node)
        for p in pods:
            ni.add_pod(PodInfo(p))
        return ni

    def set_node(self, node: dict) -> None:
        self.node = node
        status = node.get("status") or {}
        alloc = status.get("allocatable") or status.get("capacity") or {}
        self.allocatable = {
            "cpu": _millicores(alloc.get("cpu", 0)),
            "memory": _units(alloc.get("memory", 0)),
            "ephemeral-storage": _units(alloc.get("ephemeral-storage", 0)),
            "pods": _units(alloc.get("pods", 0)),
        }
        images: dict[str, int] = {}
        for img in status.get("images") or []:
            for n in img.get("names") or []:
                images[n] = int(img.get("sizeBytes") or 0)
        self.images = images
        spec = node.get("spec") or {}
        self.labels = (node.get("metadata") or {}).get("labels") or {}
        self.taints = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        self.hard_taints = [t for t in self.taints if t.get("effect") in ("NoSchedule", "NoExecute")]
        self.prefer_taints = [t for t in self.taints if t.get("effect") == "PreferNoSchedule"]
        if self.table is not None:
            self.table.write_node(self)
            self.table.write(self)

    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.key] = pi
        for k in self.requested:
            self.requested[k] += pi.requests[k]
        for k in self.non_zero_requested:
            self.non_zero_requested[k] += pi.non_zero[k]
        for port in pi.host_ports:
            self.used_ports[port] = self.used_ports.get(port, 0) + 1
        if self.table is not None and self.node is not None:
            self.table.write(self)

    def remove_pod(self, key: str) -> PodInfo | None:
        pi = self.pods.pop(key, None)
        if pi is None:
            return None
        for k in self.requested:
            self.requested[k] -= pi.requests[k]
        for k in self.non_zero_requested:
            self.non_zero_requested[k] -= pi.non_zero[k]
        for port in pi.host_ports:
            self.used_ports[port] -= 1
            if not self.used_ports[port]:
                del self.used_ports[port]
        if self.table is not None and self.node is not None:
            self.table.write(self)
        return pi

    def clone(self) -> NodeInfo:
        """A copy to try evictions on (preemption's dry run)."""
        ni = NodeInfo(self.name)
        ni.node, ni.allocatable, ni.images = self.node, dict(self.allocatable), self.images
        ni.labels, ni.taints, ni.unschedulable = self.labels, self.taints, self.unschedulable
        ni.hard_taints, ni.prefer_taints = self.hard_taints, self.prefer_taints
        for pi in self.pods.values():
            ni.add_pod(pi)
        return ni


def histogram_message(num_all_nodes: int, reasons: dict[str, int], pre_filter_msg: str = "") -> str:
    """``FitError.Error()``: ``0/N nodes are available: <count reason>, … .`` sorted as strings."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        return msg + f" {pre_filter_msg}."
    parts = sorted(f"{v} {k}" for k, v in reasons.items())
    if parts:
        msg += f" {', '.join(parts)}."
    return msg


def fit_error_message(
    num_all_nodes: int, statuses: dict[str, Status], absent: Status | None = None, post_filter_msg: str = ""
) -> str:
    """The unschedulable message of a cycle, from each rejected node's status.

    ``absent`` stands for every node the cycle did not filter because PreFilter
    narrowed it to others; ``post_filter_msg`` is what PostFilter (preemption) said.
    """
    reasons: dict[str, int] = {}
    for st in statuses.values():
        for r in st.reasons:
            reasons[r] = reasons.get(r, 0) + 1
    if absent is not None and len(statuses) < num_all_nodes:
        for r in absent.reasons:
            reasons[r] = reasons.get(r, 0) + num_all_nodes - len(statuses)
    msg = histogram_message(num_all_nodes, reasons)
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg
