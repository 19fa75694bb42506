"""kube-scheduler: the scheduling framework of Kubernetes 1.32, one pod per step.

The scheduler watches Pods and Nodes.  A Pod without ``spec.nodeName`` whose
``schedulerName`` is ``default-scheduler`` enters the *scheduling queue*; a
Pod already bound to a node updates the *node-info cache* (what is requested
on each node, which host ports are used, which images are present, how many
pods of each label group run where).  The cache is kept incrementally from
watch events, never rebuilt per cycle, so a cycle costs what the real one
costs: it touches the nodes it evaluates.  What is the same on every node —
the pod's requests, tolerations, images, spreading selector and counts — is
worked out once per cycle at PreFilter and PreScore, and a Filter with
nothing to check for the pod (no ``nodeName``, no node selector or required
affinity, no host ports, no DoNotSchedule constraint) is skipped, as a
PreFilter returning ``Skip`` does upstream.

**The queue** has three parts, as ``PriorityQueue`` in
``pkg/scheduler/backend/queue``: *activeQ*, a heap ordered by the queue-sort
plugin PrioritySort (higher ``spec.priority`` first, then the time the pod
entered the queue); *backoffQ*, pods waiting out their back-off (1 s, doubling
per attempt, at most 10 s); and *unschedulablePods*, pods that fitted
nowhere.  Those wait for a cluster event that may help them (a node added
or changed, an assigned pod deleted …) — or at most 5 minutes, checked by a
flush every 30 s.

**One scheduling cycle** (one step of the trace) pops the head of activeQ and
runs the extension points in order: PreFilter, Filter (on each node, the
first failing plugin gives the node's reason), PostFilter (DefaultPreemption
when no node fits), PreScore, Score, NormalizeScore (then × the plugin's
weight), selectHost (highest total; ties broken by reservoir sampling with
the cluster's seeded RNG), Reserve, Permit, PreBind and Bind (the
``pods/binding`` subresource).  Filter plugins: NodeUnschedulable, NodeName,
TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread.
Score plugins and weights: TaintToleration 3, NodeAffinity 2,
PodTopologySpread 2, NodeResourcesFit 1 (LeastAllocated),
NodeResourcesBalancedAllocation 1, ImageLocality 1; MaxNodeScore is 100.

Not every node is filtered: with 100 nodes or more the scheduler stops once
it has found ``numFeasibleNodesToFind`` feasible ones (50% minus 1% per 125
nodes, at least 5%, at least 100 nodes), searching round-robin from where
the previous cycle stopped — the real ``percentageOfNodesToScore``.

A pod that fits nowhere gets ``PodScheduled=False`` with reason
``Unschedulable`` and the real message (``0/4 nodes are available: 1 node(s)
had untolerated taint {node-role.kubernetes.io/control-plane: }, 3
Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not
helpful for scheduling, 3 No preemption victims found for incoming pod.``),
and a ``FailedScheduling`` Event with the same text.

``scheduler.decisions[pod_key]`` keeps, for the last 1,000 pods, what the
cycle saw: feasible and evaluated counts, each filtered node's reason, each
plugin's weighted score per node, totals, the chosen node and ``decided_by``
— the score plugin whose weighted score differs most (winner minus
runner-up, the runner-up being the best other node); None when one node was
feasible, when the winner tied with the runner-up (the RNG chose), or when
the pod was not scheduled.  The dicts are built when first read: a cycle
keeps one array of scores per plugin.

Only the instance holding the ``kube-system/kube-scheduler`` Lease
schedules; a new leader starts afresh (new informers, a new LIST).

Simplified: the binding cycle runs in the same step as the scheduling
cycle (the real one binds in a goroutine; here no pod is "assumed" because
the bind's watch event updates the cache at once); Reserve, Permit and
PreBind have no default plugin doing visible work (VolumeBinding is not
modelled), nor do VolumeRestrictions, NodeVolumeLimits, VolumeZone and
InterPodAffinity; queueing hints are a fixed table of which cluster events
may help which plugin's rejection; PodTopologySpread honours
``nodeAffinityPolicy: Honor`` and ignores taints (the defaults) but not
``matchLabelKeys``; the system default spreading selects pods through
Services and ReplicaSets (ReplicationControllers and StatefulSets are not
served); preemption ignores PodDisruptionBudgets and evicts by deleting the
victims after marking them ``DisruptionTarget``; "no nodes available to
schedule pods" waits for a node to be added instead of retrying with
back-off; NodeName has a PreFilter (skipping its Filter for pods without
``spec.nodeName``) where upstream has none — the verdicts are the same.
"""

from __future__ import annotations

import heapq
import itertools
import math
from array import array
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from .apiserver import Unreachable
from .component import Component, Event, describe_error
from .errors import ApiError
from .informer import Informer, ResourceEventHandler
from .labels import Selector, selector_from_spec
from .leader import LeaderElector
from .objects import controller_of, deep_copy, set_condition
from .quantity import millicores, units
from .resources import object_key
from .taints import tolerated

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = [
    "DEFAULT_SCHEDULER_NAME",
    "MAX_NODE_SCORE",
    "SKIP",
    "CycleResult",
    "DefaultPreemption",
    "Framework",
    "ImageLocality",
    "NodeAffinity",
    "NodeInfo",
    "NodeName",
    "NodePorts",
    "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",
    "NodeUnschedulable",
    "PodInfo",
    "PodTopologySpread",
    "Scheduler",
    "SchedulingQueue",
    "Status",
    "TaintToleration",
    "default_plugins",
    "fit_error_message",
    "num_feasible_nodes_to_find",
]

DEFAULT_SCHEDULER_NAME = "default-scheduler"
MAX_NODE_SCORE = 100
#: What scoring assumes for a container that requests no cpu / memory (``schedutil.DefaultMilliCPURequest`` …).
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5
POD_INITIAL_BACKOFF = 1.0
POD_MAX_BACKOFF = 10.0
POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0
UNSCHEDULABLE_FLUSH_PERIOD = 30.0
#: Simulated seconds one scheduling cycle takes (the time between two cycles).
CYCLE_TIME = 0.005
LABEL_HOSTNAME = "kubernetes.io/hostname"
LABEL_ZONE = "topology.kubernetes.io/zone"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
ERROR = "Error"


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """How many feasible nodes a cycle looks for, as upstream ``numFeasibleNodesToFind``.

    Small clusters are searched whole; bigger ones only until enough feasible
    nodes are found, so a cycle's cost does not grow with the cluster.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = 50 - num_all_nodes // 125
        percentage = max(percentage, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    num_nodes = num_all_nodes * percentage // 100
    return max(num_nodes, MIN_FEASIBLE_NODES_TO_FIND)


# --- the framework's data: statuses, pod and node infos ---------------------------------------------


@dataclass
class Status:
    """A plugin's verdict: a code, the reasons a learner reads, and which plugin said so."""

    code: str = SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    @property
    def ok(self) -> bool:
        return self.code == SUCCESS

    @property
    def rejected(self) -> bool:
        return self.code in (UNSCHEDULABLE, UNRESOLVABLE)

    def message(self) -> str:
        return ", ".join(self.reasons)


#: What Filter returns for a node that fits (shared: a success carries no reasons).
_FEASIBLE = Status()


def _unschedulable(*reasons: str) -> Status:
    return Status(UNSCHEDULABLE, list(reasons))


def _unresolvable(*reasons: str) -> Status:
    return Status(UNRESOLVABLE, list(reasons))


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


def _ports_conflict(used: Collection[tuple[str, str, int]], want: tuple[str, str, int]) -> bool:
    """``HostPortInfo.CheckConflict``: 0.0.0.0 clashes with every address on the same protocol and port."""
    ip, proto, port = want
    if ip == "0.0.0.0":
        return any(u[1] == proto and u[2] == port for u in used)
    return (ip, proto, port) in used or ("0.0.0.0", proto, port) in used


def normalized_image_name(name: str) -> str:
    """ImageLocality's name for an image: ``:latest`` added when there is no tag or digest."""
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        return name + ":latest"
    return name


class NodeInfo:
    """What the scheduler knows about one node, kept up to date pod by pod (``framework.NodeInfo``).

    What plugins read on every node of every cycle is computed once per node
    update: allocatable as integers, the labels, and the taints sorted by
    what they do (NoSchedule/NoExecute for Filter, PreferNoSchedule for Score).
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
            "cpu": _millicores(alloc.get("cpu", 0)), "memory": _units(alloc.get("memory", 0)),
            "ephemeral-storage": _units(alloc.get("ephemeral-storage", 0)), "pods": _units(alloc.get("pods", 0)),
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

    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.key] = pi
        for k in self.requested:
            self.requested[k] += pi.requests[k]
        for k in self.non_zero_requested:
            self.non_zero_requested[k] += pi.non_zero[k]
        for port in pi.host_ports:
            self.used_ports[port] = self.used_ports.get(port, 0) + 1

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


# --- the cache: node infos, images, node order -------------------------------------------------------


class Cache:
    """The scheduler's incremental view of nodes and the pods bound to them.

    Besides the node infos it keeps, for PodTopologySpread, how many pods
    of each *label group* (pods of one namespace with identical labels — the
    replicas of one ReplicaSet) run on each node, and which groups the
    selectors recently asked about pick.  Counting a Deployment's pods on a
    node is then a dictionary lookup, not a walk over the node's pods: the
    counts change as pods are bound and deleted, not per cycle.
    """

    #: How many selectors' group lists are kept (the most recently used ones).
    SELECTIONS_LIMIT = 256

    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self.pod_nodes: dict[str, str] = {}
        self.image_nodes: dict[str, set[str]] = {}
        self._zones: dict[str, list[str]] = {}
        self._list: list[NodeInfo] | None = None
        self._positions: dict[str, int] | None = None
        #: label group → node → pods of the group on it (terminating pods aside, as ``countPodsMatchSelector``)
        self.group_nodes: dict[tuple, dict[str, int]] = {}
        self._group_labels: dict[tuple, dict[str, str]] = {}
        #: (namespace, selector requirements) → (selector, the label groups it matches)
        self._selections: OrderedDict[tuple, tuple[Selector, list[tuple]]] = OrderedDict()

    def _info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        return ni

    def add_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        ni = self._info(name)
        old_zone = _zone(ni.node) if ni.node is not None else None
        self._drop_images(ni)
        ni.set_node(node)
        for image in ni.images:
            self.image_nodes.setdefault(image, set()).add(name)
        zone = _zone(node)
        if old_zone != zone:
            if old_zone is not None:
                self._zones[old_zone].remove(name)
            self._zones.setdefault(zone, []).append(name)
            self._list = self._positions = None

    def remove_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        ni = self.nodes.get(name)
        if ni is None or ni.node is None:
            return
        self._drop_images(ni)
        self._zones[_zone(ni.node)].remove(name)
        self._list = self._positions = None
        if ni.pods:
            ni.node = None  # pods still bound to it: keep their accounting until they go
        else:
            del self.nodes[name]

    def _drop_images(self, ni: NodeInfo) -> None:
        for image in ni.images:
            holders = self.image_nodes.get(image)
            if holders is not None:
                holders.discard(ni.name)
                if not holders:
                    del self.image_nodes[image]

    def add_pod(self, pod: dict) -> None:
        key = object_key(pod)
        node = pod["spec"]["nodeName"]
        self.remove_pod(key)
        pi = PodInfo(pod)
        self._info(node).add_pod(pi)
        self.pod_nodes[key] = node
        if not pi.terminating:
            self._count(pi, node, 1)

    def remove_pod(self, key: str) -> None:
        node = self.pod_nodes.pop(key, None)
        if node is None:
            return
        ni = self.nodes.get(node)
        if ni is not None:
            pi = ni.remove_pod(key)
            if pi is not None and not pi.terminating:
                self._count(pi, node, -1)
            if ni.node is None and not ni.pods:
                del self.nodes[node]

    def _count(self, pi: PodInfo, node: str, delta: int) -> None:
        """Count a pod in (or out of) its label group; a new group joins the selections that match it."""
        group = pi._group
        counts = self.group_nodes.get(group)
        if counts is None:
            counts = self.group_nodes[group] = {}
            self._group_labels[group] = pi.labels
            for (ns, _), (selector, groups) in self._selections.items():
                if ns == pi.namespace and selector.matches(pi.labels):
                    groups.append(group)
        n = counts.get(node, 0) + delta
        if n:
            counts[node] = n
        else:
            del counts[node]
            if not counts:
                del self.group_nodes[group], self._group_labels[group]
                for _, groups in self._selections.values():
                    if group in groups:
                        groups.remove(group)

    def matching_counts(self, selector: Selector, namespace: str) -> Mapping[str, int]:
        """``countPodsMatchSelector`` for every node at once: node → pods of ``namespace`` matching ``selector``.

        Nodes without a matching pod are absent.  The mapping is the cache's
        own when one label group matches: read it, never change it.
        """
        key = (namespace, tuple((k, op, tuple(v)) for k, op, v in selector.requirements))
        entry = self._selections.get(key)
        if entry is None:
            groups = [g for g, labels in self._group_labels.items() if g[0] == namespace and selector.matches(labels)]
            entry = self._selections[key] = (selector, groups)
            if len(self._selections) > self.SELECTIONS_LIMIT:
                self._selections.popitem(last=False)
        else:
            self._selections.move_to_end(key)
        groups = entry[1]
        if len(groups) == 1:
            return self.group_nodes[groups[0]]
        merged: dict[str, int] = {}
        for g in groups:
            for node, n in self.group_nodes[g].items():
                merged[node] = merged.get(node, 0) + n
        return merged

    def node_list(self) -> list[NodeInfo]:
        """Nodes in the order cycles walk them: zones interleaved, as upstream's ``nodeTree``."""
        if self._list is None:
            out: list[NodeInfo] = []
            lists = [names for _, names in self._zones.items() if names]
            depth = max((len(n) for n in lists), default=0)
            for i in range(depth):
                for names in lists:
                    if i < len(names):
                        out.append(self.nodes[names[i]])
            self._list = out
        return self._list

    def nodes_named(self, names: Iterable[str]) -> list[NodeInfo]:
        """The named nodes in ``node_list`` order: a cycle PreFilter narrowed (a DaemonSet pod) walks only those."""
        nodes = self.node_list()
        if self._positions is None:
            self._positions = {ni.name: i for i, ni in enumerate(nodes)}
        positions = self._positions
        return [nodes[i] for i in sorted(positions[n] for n in names if n in positions)]


def _zone(node: dict | None) -> str:
    labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(LABEL_ZONE, "")


# --- plugins -------------------------------------------------------------------------------------------


class CycleState(dict):
    """Data plugins pass between extension points within one cycle (``framework.CycleState``)."""


#: What a PreFilter (PreScore) returns when its plugin has nothing to check (score) for this pod: the
#: framework then leaves the plugin's Filter out of the cycle (upstream's ``Skip`` status).
SKIP = "Skip"


class Plugin:
    """A scheduling-framework plugin; it implements the extension points it needs."""

    name = "Plugin"
    weight = 0
    #: Cluster events after which a pod this plugin rejected may fit (the queueing hints).
    events: frozenset[str] = frozenset()

    def __init__(self, handle: Framework | None = None):
        self.handle = handle


class NodeUnschedulable(Plugin):
    """Filter: a cordoned node (``spec.unschedulable``) takes only pods tolerating its taint."""

    name = "NodeUnschedulable"
    events = frozenset({"NodeAdd", "NodeTaint"})
    reason = "node(s) were unschedulable"

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if not ni.unschedulable:
            return None
        taint = {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
        if tolerated(pod["spec"].get("tolerations") or [], taint):
            return None
        return _unresolvable(self.reason)


class NodeName(Plugin):
    """Filter: a pod naming a node in ``spec.nodeName`` fits only there."""

    name = "NodeName"
    events = frozenset({"NodeAdd"})
    reason = "node(s) didn't match the requested node name"

    def pre_filter(self, state: CycleState, pod: dict) -> str | None:
        return None if pod["spec"].get("nodeName") else SKIP

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        wanted = pod["spec"].get("nodeName")
        if wanted and wanted != ni.name:
            return _unresolvable(self.reason)
        return None


class TaintToleration(Plugin):
    """Filter: NoSchedule/NoExecute taints must be tolerated.  Score: fewer untolerated PreferNoSchedule."""

    name = "TaintToleration"
    weight = 3
    events = frozenset({"NodeAdd", "NodeTaint"})

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if not ni.hard_taints:
            return None
        tolerations = pod["spec"].get("tolerations") or []
        for taint in ni.hard_taints:
            if not tolerated(tolerations, taint):
                return _unresolvable(f"node(s) had untolerated taint {{{taint.get('key')}: "
                                     f"{taint.get('value') or ''}}}")
        return None

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> bool:
        state["prefer_no_schedule_tolerations"] = [
            t for t in pod["spec"].get("tolerations") or []
            if not t.get("effect") or t.get("effect") == "PreferNoSchedule"]
        return True

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        if not ni.prefer_taints:
            return 0
        tolerations = state["prefer_no_schedule_tolerations"]
        return sum(1 for t in ni.prefer_taints if not tolerated(tolerations, t))

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        default_normalize(scores, reverse=True)


def default_normalize(scores: list[int], reverse: bool = False) -> None:
    """``helper.DefaultNormalizeScore``: scale to 0..100 by the maximum (reversed: fewer is better)."""
    top = max(scores, default=0)
    if top == 0:
        if reverse:
            scores[:] = [MAX_NODE_SCORE] * len(scores)
        return
    if reverse:
        scores[:] = [MAX_NODE_SCORE - MAX_NODE_SCORE * s // top for s in scores]
    else:
        scores[:] = [MAX_NODE_SCORE * s // top for s in scores]


def _match_expression(expr: dict, value: str | None) -> bool:
    op, values = expr.get("operator"), expr.get("values") or []
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt"):
        try:
            have, want = int(value), int(values[0])  # type: ignore[arg-type]
        except (TypeError, ValueError, IndexError):
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_selector_term_matches(term: dict, node: dict) -> bool:
    """One ``nodeSelectorTerm``: all its expressions and fields (only ``metadata.name``) must match.

    An empty term matches nothing, as upstream.
    """
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False
    labels = node["metadata"].get("labels") or {}
    for e in exprs:
        if not _match_expression(e, labels.get(e.get("key"))):
            return False
    for f in fields:
        value = node["metadata"]["name"] if f.get("key") == "metadata.name" else None
        if not _match_expression(f, value):
            return False
    return True


def required_node_affinity_matches(pod: dict, node: dict) -> bool:
    """``nodeSelector`` and the required node affinity (terms ORed) of ``pod`` accept ``node``."""
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    for k, v in (spec.get("nodeSelector") or {}).items():
        if labels.get(k) != v:
            return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    if required:
        return any(node_selector_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])
    return True


class NodeAffinity(Plugin):
    """Filter: ``nodeSelector`` and required node affinity.  Score: sum of matching preferred terms' weights."""

    name = "NodeAffinity"
    weight = 2
    events = frozenset({"NodeAdd", "NodeLabel"})
    reason = "node(s) didn't match Pod's node affinity/selector"

    def pre_filter(self, state: CycleState, pod: dict) -> set[str] | str | None:
        """Terms that all name nodes by ``matchFields`` narrow the cycle to those nodes (DaemonSet pods).

        A pod with neither ``nodeSelector`` nor required node affinity skips the Filter.
        """
        required = (((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {})
                    .get("requiredDuringSchedulingIgnoredDuringExecution") or {})
        if not required and not pod["spec"].get("nodeSelector"):
            return SKIP
        terms = required.get("nodeSelectorTerms") or []
        if not terms:
            return None
        names: set[str] = set()
        for term in terms:
            picked = None
            for f in term.get("matchFields") or []:
                if f.get("key") == "metadata.name" and f.get("operator") == "In":
                    vals = set(f.get("values") or [])
                    picked = vals if picked is None else picked & vals
            if picked is None:
                return None
            names |= picked
        return names

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if ni.node is not None and required_node_affinity_matches(pod, ni.node):
            return None
        return _unresolvable(self.reason)

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> bool:
        state["preferred_node_affinity"] = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "preferredDuringSchedulingIgnoredDuringExecution") or []
        return True

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        preferred = state["preferred_node_affinity"]
        if not preferred:
            return 0
        return sum(int(p.get("weight") or 0) for p in preferred
                   if node_selector_term_matches(p.get("preference") or {}, ni.node or {"metadata": {}}))

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        default_normalize(scores)


class NodePorts(Plugin):
    """Filter: the pod's host ports must be free on the node."""

    name = "NodePorts"
    events = frozenset({"NodeAdd", "PodDelete"})
    reason = "node(s) didn't have free ports for the requested pod ports"

    def pre_filter(self, state: CycleState, pod: dict) -> str | None:
        return None if state["pod_info"].host_ports else SKIP

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        pi: PodInfo = state["pod_info"]
        for port in pi.host_ports:
            if _ports_conflict(ni.used_ports.keys(), port):
                return _unschedulable(self.reason)
        return None


class NodeResourcesFit(Plugin):
    """Filter: requests must fit in allocatable minus requested.  Score: LeastAllocated (cpu and memory, weight 1 each)."""

    name = "NodeResourcesFit"
    weight = 1
    events = frozenset({"NodeAdd", "NodeAllocatable", "PodDelete"})

    def pre_filter(self, state: CycleState, pod: dict) -> None:
        """The resources the pod requests at all: only those can be insufficient."""
        req = state["pod_info"].requests
        state["fit_requests"] = [(name, req[name]) for name in ("cpu", "memory", "ephemeral-storage")
                                 if req[name] > 0]

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        alloc, requested = ni.allocatable, ni.requested
        reasons = []
        if len(ni.pods) + 1 > alloc["pods"]:
            reasons.append("Too many pods")
        for name, amount in state["fit_requests"]:
            if amount > alloc[name] - requested[name]:
                reasons.append(f"Insufficient {name}")
        return _unschedulable(*reasons) if reasons else None

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        want = state["pod_info"].non_zero
        total = weights = 0
        for name in ("cpu", "memory"):
            capacity = ni.allocatable[name]
            if capacity == 0:
                continue
            requested = ni.non_zero_requested[name] + want[name]
            total += 0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity
            weights += 1
        return total // weights if weights else 0


class NodeResourcesBalancedAllocation(Plugin):
    """Score: nodes whose cpu and memory fractions stay close score higher (1 − std of the fractions)."""

    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        want = state["pod_info"].requests
        cpu, memory = ni.allocatable["cpu"], ni.allocatable["memory"]
        if cpu == 0 or memory == 0:
            return MAX_NODE_SCORE  # fewer than two fractions: nothing to be unbalanced
        cpu_fraction = min(1.0, (ni.requested["cpu"] + want["cpu"]) / cpu)
        memory_fraction = min(1.0, (ni.requested["memory"] + want["memory"]) / memory)
        std = abs((cpu_fraction - memory_fraction) / 2)
        return int((1 - std) * MAX_NODE_SCORE)


class ImageLocality(Plugin):
    """Score: nodes that already hold the pod's images, weighted by size and how widely they are spread."""

    name = "ImageLocality"
    weight = 1
    MB = 1024 * 1024
    MIN_THRESHOLD = 23 * MB
    MAX_CONTAINER_THRESHOLD = 1000 * MB

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> bool:
        """Each container's image and its spread (the share of nodes holding it): the same on every node."""
        spec = pod["spec"]
        containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])
        total_nodes = state["num_all_nodes"]
        image_nodes = self.handle.cache.image_nodes if self.handle else {}
        images = []
        for c in containers:
            name = normalized_image_name(c.get("image") or "")
            images.append((name, len(image_nodes.get(name, ())) / total_nodes if total_nodes else 0.0))
        state["image_spread"] = (images, self.MAX_CONTAINER_THRESHOLD * len(containers))
        return True

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        images, high = state["image_spread"]
        if high <= self.MIN_THRESHOLD:
            return 0
        total = 0
        for name, spread in images:
            size = ni.images.get(name)
            if size is not None:
                total += int(size * spread)
        total = min(max(total, self.MIN_THRESHOLD), high)
        return MAX_NODE_SCORE * (total - self.MIN_THRESHOLD) // (high - self.MIN_THRESHOLD)


@dataclass
class SpreadConstraint:
    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1


class PodTopologySpread(Plugin):
    """Filter: DoNotSchedule constraints (skew ≤ maxSkew).  Score: ScheduleAnyway ones (system defaults too).

    A pod without constraints is spread by the system defaults — maxSkew 3
    per hostname and 5 per zone — over the pods its Services and ReplicaSet
    select, which is why replicas of a Deployment land on different nodes.
    The matching pods per node come from the cache's incremental counts
    (``Cache.matching_counts``), so PreScore walks only the nodes that hold
    matching pods, and Score on a node is a lookup.
    """

    name = "PodTopologySpread"
    weight = 2
    events = frozenset({"NodeAdd", "NodeLabel", "PodAdd", "PodDelete"})
    reason = "node(s) didn't match pod topology spread constraints"
    reason_label = "node(s) didn't match pod topology spread constraints (missing required label)"
    SYSTEM_DEFAULTS = ((3, LABEL_HOSTNAME), (5, LABEL_ZONE))

    def _constraints(self, pod: dict, action: str) -> list[SpreadConstraint]:
        out = []
        for c in pod["spec"].get("topologySpreadConstraints") or []:
            if (c.get("whenUnsatisfiable") or "DoNotSchedule") == action:
                out.append(SpreadConstraint(int(c.get("maxSkew") or 1), c["topologyKey"],
                                            selector_from_spec(c.get("labelSelector")),
                                            int(c.get("minDomains") or 1)))
        return out

    def _default_constraints(self, pod: dict) -> list[SpreadConstraint]:
        selector = self.handle.default_selector(pod) if self.handle else Selector([])
        if selector.empty():
            return []
        return [SpreadConstraint(skew, key, selector) for skew, key in self.SYSTEM_DEFAULTS]

    def _eligible(self, pod: dict, ni: NodeInfo, constraints: list[SpreadConstraint], require_all: bool) -> bool:
        if ni.node is None or not required_node_affinity_matches(pod, ni.node):
            return False
        return not require_all or all(c.topology_key in ni.labels for c in constraints)

    def _matching(self, c: SpreadConstraint, namespace: str) -> Mapping[str, int]:
        return self.handle.cache.matching_counts(c.selector, namespace) if self.handle else {}

    def pre_filter(self, state: CycleState, pod: dict) -> str | None:
        constraints = self._constraints(pod, "DoNotSchedule")
        state["spread_filter"] = None
        if not constraints:
            return SKIP
        ns = state["pod_info"].namespace
        matching = [self._matching(c, ns) for c in constraints]
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for ni in state["all_nodes"]:
            if not self._eligible(pod, ni, constraints, True):
                continue
            for i, c in enumerate(constraints):
                value = ni.labels[c.topology_key]
                counts[i][value] = counts[i].get(value, 0) + matching[i].get(ni.name, 0)
        labels = state["pod_info"].labels
        state["spread_filter"] = [
            (c, per_domain, min(per_domain.values(), default=0) if len(per_domain) >= c.min_domains else 0,
             1 if c.selector.matches(labels) else 0)
            for c, per_domain in zip(constraints, counts)]
        return None

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        pre = state.get("spread_filter")
        if not pre:
            return None
        for c, per_domain, minimum, self_match in pre:
            value = ni.labels.get(c.topology_key)
            if value is None:
                return _unresolvable(self.reason_label)
            if per_domain.get(value, 0) + self_match - minimum > c.max_skew:
                return _unschedulable(self.reason)
        return None

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> bool:
        """Count matching pods per zone-like domain; False means Skip (no soft constraint)."""
        explicit = bool(pod["spec"].get("topologySpreadConstraints"))
        constraints = self._constraints(pod, "ScheduleAnyway") if explicit else self._default_constraints(pod)
        if not constraints:
            return False
        require_all = explicit
        ignored = {ni.name for ni in nodes if not all(c.topology_key in ni.labels for c in constraints)
                   } if require_all else set()
        pairs: list[dict[str, int]] = [{} for _ in constraints]
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue  # a node is its own domain: Score looks its count up directly
            for ni in nodes:
                value = ni.labels.get(c.topology_key)
                if value is not None and ni.name not in ignored:
                    pairs[i].setdefault(value, 0)
        ns = state["pod_info"].namespace
        matching = [self._matching(c, ns) for c in constraints]
        # Pods on nodes outside the sampled ones count too: every eligible node holding matching pods.
        for i, c in enumerate(constraints):
            if not pairs[i]:
                continue
            for name, count in matching[i].items():
                ni = self.handle.cache.nodes.get(name) if self.handle else None
                if ni is None or not self._eligible(pod, ni, constraints, require_all):
                    continue
                value = ni.labels.get(c.topology_key)
                if value is not None and value in pairs[i]:
                    pairs[i][value] += count
        terms = []
        for i, c in enumerate(constraints):
            host = c.topology_key == LABEL_HOSTNAME
            size = len(nodes) - len(ignored) if host else len(pairs[i])
            terms.append((c.topology_key, host, matching[i] if host else pairs[i], math.log(size + 2), c.max_skew - 1))
        state["spread_score"] = (terms, ignored, [ni.name in ignored for ni in nodes] if ignored else None)
        return True

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        terms, ignored, _ = state["spread_score"]
        if ignored and ni.name in ignored:
            return 0
        total = 0.0
        for key, host, counts, weight, extra in terms:
            value = ni.labels.get(key)
            if value is None:
                continue
            count = counts.get(ni.name if host else value, 0)
            total += count * weight + extra
        return _round_half_away(total)

    def normalize(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        ignored = state["spread_score"][2]
        valid = scores if ignored is None else [s for s, skip in zip(scores, ignored) if not skip]
        low, high = min(valid, default=0), max(valid, default=0)
        if high == 0:
            normalized = [MAX_NODE_SCORE] * len(scores)
        else:
            normalized = [MAX_NODE_SCORE * (high + low - s) // high for s in scores]
        if ignored is not None:
            normalized = [0 if skip else s for s, skip in zip(normalized, ignored)]
        scores[:] = normalized


def _round_half_away(x: float) -> int:
    """Go's ``math.Round`` (halves away from zero), unlike Python's banker's rounding."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class DefaultPreemption(Plugin):
    """PostFilter: evict lower-priority pods from one node so a higher-priority pod fits there."""

    name = "DefaultPreemption"
    MIN_CANDIDATE_NODES_PERCENTAGE = 10
    MIN_CANDIDATE_NODES_ABSOLUTE = 100

    def post_filter(self, state: CycleState, pod: dict, statuses: dict[str, Status]) -> tuple[str | None, list, str]:
        """Returns (nominated node, victims, message for the FitError's preemption part)."""
        fw = self.handle
        assert fw is not None
        if (pod["spec"].get("preemptionPolicy") or "PreemptLowerPriority") == "Never":
            return None, [], "preemption: not eligible due to preemptionPolicy=Never."
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        if nominated and (statuses.get(nominated) or Status()).code != UNRESOLVABLE:
            ni = fw.cache.nodes.get(nominated)
            prio = state["pod_info"].priority
            if ni is not None and any(p.terminating and p.priority < prio for p in ni.pods.values()):
                return None, [], "preemption: not eligible due to a terminating pod on the nominated node."
        all_nodes = state["all_nodes"]
        potential = [ni for ni in all_nodes if (statuses.get(ni.name) or Status()).code != UNRESOLVABLE]
        node_statuses: dict[str, Status] = {}
        candidates: list[tuple[NodeInfo, list[PodInfo]]] = []
        if potential:
            offset = fw.rng.randrange(len(potential)) if fw.rng is not None else 0
            want = max(len(potential) * self.MIN_CANDIDATE_NODES_PERCENTAGE // 100,
                       self.MIN_CANDIDATE_NODES_ABSOLUTE)
            for i in range(len(potential)):
                ni = potential[(offset + i) % len(potential)]
                victims, status = self._select_victims(state, pod, ni)
                if status.ok and victims:
                    candidates.append((ni, victims))
                    if len(candidates) >= want:
                        break
                else:
                    node_statuses[ni.name] = status
        if not candidates:
            reasons: dict[str, int] = {}
            for st in node_statuses.values():
                for r in st.reasons:
                    reasons[r] = reasons.get(r, 0) + 1
            absent = len(all_nodes) - len(node_statuses)
            if absent:
                reasons["Preemption is not helpful for scheduling"] = absent
            return None, [], "preemption: " + _histogram_message(len(all_nodes), reasons)
        node, victims = min(candidates, key=lambda c: (
            max(v.priority for v in c[1]), sum(v.priority for v in c[1]), len(c[1])))
        return node.name, victims, ""

    def _select_victims(self, state: CycleState, pod: dict, ni: NodeInfo) -> tuple[list[PodInfo], Status]:
        prio = state["pod_info"].priority
        trial = ni.clone()
        potential = [p for p in ni.pods.values() if p.priority < prio]
        if not potential:
            return [], _unresolvable("No preemption victims found for incoming pod")
        for p in potential:
            trial.remove_pod(p.key)
        status = self.handle.run_filters(state, pod, trial)  # type: ignore[union-attr]
        if not status.ok:
            return [], status
        # Reprieve as many as possible, most important first.
        potential.sort(key=lambda p: (-p.priority, p.pod["metadata"].get("creationTimestamp") or ""))
        victims = []
        for p in potential:
            trial.add_pod(p)
            if not self.handle.run_filters(state, pod, trial).ok:  # type: ignore[union-attr]
                trial.remove_pod(p.key)
                victims.append(p)
        return victims, Status()


def default_plugins(handle: Framework | None = None) -> list[Plugin]:
    """The default profile's plugins, in the order their filters and scores run."""
    return [cls(handle) for cls in (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
                                    NodeResourcesFit, PodTopologySpread, DefaultPreemption,
                                    NodeResourcesBalancedAllocation, ImageLocality)]


def _histogram_message(num_all_nodes: int, reasons: dict[str, int], pre_filter_msg: str = "") -> str:
    """``FitError.Error()``: ``0/N nodes are available: <count reason>, … .`` sorted as strings."""
    msg = f"0/{num_all_nodes} nodes are available:"
    if pre_filter_msg:
        return msg + f" {pre_filter_msg}."
    parts = sorted(f"{v} {k}" for k, v in reasons.items())
    if parts:
        msg += f" {', '.join(parts)}."
    return msg


def fit_error_message(num_all_nodes: int, statuses: dict[str, Status], absent: Status | None = None,
                      post_filter_msg: str = "") -> str:
    """The unschedulable message of a cycle, from each rejected node's status."""
    reasons: dict[str, int] = {}
    for st in statuses.values():
        for r in st.reasons:
            reasons[r] = reasons.get(r, 0) + 1
    if absent is not None and len(statuses) < num_all_nodes:
        for r in absent.reasons:
            reasons[r] = reasons.get(r, 0) + num_all_nodes - len(statuses)
    msg = _histogram_message(num_all_nodes, reasons)
    if post_filter_msg:
        msg += f" {post_filter_msg}"
    return msg


# --- the framework: one scheduling cycle over a list of node infos ------------------------------------------


class CycleResult:
    """What one cycle decided (``ScheduleResult`` plus the diagnosis).

    ``scores`` (node → plugin → weighted score) and ``total`` (node → sum)
    are built when first read: a cycle keeps one compact array per plugin
    over the scored nodes (``scored``), as most results are never read plugin
    by plugin, and ``scheduler.decisions`` holds a thousand of them.
    """

    def __init__(self, node: str | None, feasible: int, evaluated: int, statuses: dict[str, Status],
                 scores: dict[str, dict[str, int]] | None = None, total: dict[str, int] | None = None,
                 message: str = "", unschedulable_plugins: set[str] | None = None, nominated: str | None = None,
                 victims: list[PodInfo] | None = None, error: bool = False, *,
                 scored: tuple[list[str], dict[str, array]] | None = None):
        self.node = node
        self.feasible = feasible
        self.evaluated = evaluated
        self.statuses = statuses
        self.message = message
        self.unschedulable_plugins = unschedulable_plugins if unschedulable_plugins is not None else set()
        self.nominated = nominated
        self.victims = victims if victims is not None else []
        self.error = error
        self._scored = scored or ([], {})
        if scores is not None:
            self.scores = scores
        if total is not None:
            self.total = total

    @cached_property
    def scores(self) -> dict[str, dict[str, int]]:
        names, columns = self._scored
        return {name: {plugin: column[i] for plugin, column in columns.items()} for i, name in enumerate(names)}

    @cached_property
    def total(self) -> dict[str, int]:
        names, columns = self._scored
        return dict(zip(names, map(sum, zip(*columns.values())))) if columns else dict.fromkeys(names, 0)

    @property
    def decided_by(self) -> str | None:
        """The plugin whose weighted score differs most between the winner and the runner-up."""
        if self.node is None or len(self.total) < 2:
            return None
        others = sorted((n for n in self.total if n != self.node), key=lambda n: -self.total[n])
        runner = others[0]
        if self.total[runner] == self.total[self.node]:
            return None
        win, run = self.scores[self.node], self.scores[runner]
        best = max(win, key=lambda p: (win[p] - run.get(p, 0), p in win))
        return best if win[best] - run.get(best, 0) > 0 else None

    def decision(self) -> dict:
        """What ``scheduler.decisions`` shows for this cycle."""
        return {"node": self.node, "scores": self.scores, "total": self.total,
                "filtered": {n: st.message() for n, st in sorted(self.statuses.items())},
                "feasible": self.feasible, "evaluated": self.evaluated, "decided_by": self.decided_by}


class Framework:
    """The default profile: plugins run at their extension points over the cache's node infos.

    Per-pod work is done once per cycle, at PreFilter and PreScore (the
    pod's requests, tolerations, images, spreading counts), so the per-node
    Filter and Score calls stay small; a plugin whose PreFilter returns
    ``SKIP`` has nothing to check for this pod and its Filter is left out.
    """

    def __init__(self, cache: Cache | None = None, rng: Any = None, *, percentage_of_nodes_to_score: int = 0,
                 default_selector: Callable[[dict], Selector] | None = None):
        self.cache = cache or Cache()
        self.rng = rng
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self._default_selector = default_selector
        self.plugins = default_plugins(self)
        self.filters = [p for p in self.plugins if hasattr(p, "filter")]
        self.scorers = [p for p in self.plugins if hasattr(p, "score")]
        self.next_start_node_index = 0

    def plugin(self, name: str) -> Plugin:
        return next(p for p in self.plugins if p.name == name)

    def default_selector(self, pod: dict) -> Selector:
        return self._default_selector(pod) if self._default_selector else Selector([])

    def run_filters(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status:
        """Filter plugins in order (those PreFilter did not skip); the first that rejects gives the status."""
        for p in state.get("filters", self.filters):
            st = p.filter(state, pod, ni)  # type: ignore[attr-defined]
            if st is not None and not st.ok:
                st.plugin = p.name
                return st
        return _FEASIBLE

    def schedule(self, pod: dict) -> CycleResult:
        """One scheduling cycle up to (not including) Reserve: the node to bind to, or why none fits."""
        all_nodes = self.cache.node_list()
        state = CycleState(pod_info=PodInfo(pod), all_nodes=all_nodes, num_all_nodes=len(all_nodes))
        if not all_nodes:
            return CycleResult(None, 0, 0, {}, {}, {}, "no nodes available to schedule pods", error=True)
        narrowed: set[str] | None = None
        narrowing: list[str] = []
        skipped: set[str] = set()
        for p in self.plugins:
            if hasattr(p, "pre_filter"):
                names = p.pre_filter(state, pod)  # type: ignore[attr-defined]
                if names == SKIP:
                    skipped.add(p.name)
                elif names is not None:
                    narrowed = names if narrowed is None else narrowed & names
                    narrowing.append(p.name)
        state["filters"] = [p for p in self.filters if p.name not in skipped]
        candidates = all_nodes
        absent: Status | None = None
        if narrowed is not None:
            candidates = self.cache.nodes_named(narrowed)
            absent = _unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowing))}]")
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        if nominated:
            ni = self.cache.nodes.get(nominated)
            if ni is not None and ni.node is not None and self.run_filters(state, pod, ni).ok:
                return CycleResult(nominated, 1, 1, {}, {}, {})
        feasible, statuses = self._find_feasible(state, pod, candidates)
        evaluated = len(feasible) + len(statuses)
        if not feasible:
            plugins = {st.plugin for st in statuses.values()} | (set(narrowing) if absent else set())
            full = dict(statuses)
            if absent is not None:
                for ni in all_nodes:
                    full.setdefault(ni.name, absent)
            node, victims, post_msg = self.plugin("DefaultPreemption").post_filter(  # type: ignore[attr-defined]
                state, pod, full)
            message = fit_error_message(len(all_nodes), statuses, absent, post_msg)
            return CycleResult(None, 0, evaluated, full, {}, {}, message, plugins, node, victims)
        if len(feasible) == 1:
            return CycleResult(feasible[0].name, 1, evaluated, statuses, {}, {})
        columns, totals = self._score(state, pod, feasible)
        compact = {plugin: array("i", column) for plugin, column in columns.items()}
        return CycleResult(self._select_host(feasible, totals), len(feasible), evaluated, statuses,
                           scored=([ni.name for ni in feasible], compact))

    def _find_feasible(self, state: CycleState, pod: dict, nodes: list[NodeInfo]
                       ) -> tuple[list[NodeInfo], dict[str, Status]]:
        """Filter nodes round-robin from ``next_start_node_index`` until enough are feasible."""
        n = len(nodes)
        if n == 0:
            return [], {}
        want = num_feasible_nodes_to_find(n, self.percentage_of_nodes_to_score)
        feasible: list[NodeInfo] = []
        statuses: dict[str, Status] = {}
        start = self.next_start_node_index % n
        filters = state["filters"]
        for ni in itertools.chain(itertools.islice(nodes, start, None), itertools.islice(nodes, start)):
            for p in filters:  # run_filters, unrolled: this loop is the hot path of a cycle
                st = p.filter(state, pod, ni)
                if st is not None and not st.ok:
                    st.plugin = p.name
                    statuses[ni.name] = st
                    break
            else:
                feasible.append(ni)
                if len(feasible) >= want:
                    break
        self.next_start_node_index = (start + len(feasible) + len(statuses)) % n
        return feasible, statuses

    def _score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> tuple[dict[str, list[int]], list[int]]:
        """PreScore, Score, NormalizeScore, × weight: one list per plugin over ``nodes``, and the totals."""
        columns: dict[str, list[int]] = {}
        for p in self.scorers:
            if hasattr(p, "pre_score") and not p.pre_score(state, pod, nodes):  # type: ignore[attr-defined]
                continue
            score = p.score  # type: ignore[attr-defined]
            raw = [score(state, pod, ni) for ni in nodes]
            if hasattr(p, "normalize"):
                p.normalize(state, pod, raw)  # type: ignore[attr-defined]
            weight = p.weight
            columns[p.name] = [s * weight for s in raw]
        totals = list(map(sum, zip(*columns.values()))) if columns else [0] * len(nodes)
        return columns, totals

    def _select_host(self, nodes: list[NodeInfo], totals: list[int]) -> str:
        """Highest total wins; ties by reservoir sampling (each tied node equally likely)."""
        selected = 0
        best = totals[0]
        count = 1
        for i in range(1, len(nodes)):
            s = totals[i]
            if s > best:
                selected, best, count = i, s, 1
            elif s == best:
                count += 1
                if self.rng is not None and self.rng.randrange(count) == 0:
                    selected = i
        return nodes[selected].name


# --- the scheduling queue -------------------------------------------------------------------------------------


@dataclass
class QueuedPodInfo:
    """A pod waiting in the queue, with its attempts and which plugins rejected it last."""

    pod: dict
    key: str
    timestamp: float
    seq: int
    attempts: int = 0
    initial_attempt_timestamp: float | None = None
    unschedulable_plugins: set[str] = field(default_factory=set)

    @property
    def priority(self) -> int:
        return int(self.pod["spec"].get("priority") or 0)


def _is_pod_updated(old: dict, new: dict) -> bool:
    """``isPodUpdated``: did anything but status, resourceVersion, generation or finalizers change?"""
    def strip(p: dict) -> tuple:
        md = {k: v for k, v in p["metadata"].items()
              if k not in ("resourceVersion", "generation", "managedFields", "finalizers")}
        return md, p.get("spec")
    return strip(old) != strip(new)


class SchedulingQueue:
    """``PriorityQueue``: activeQ (a heap), backoffQ (timers) and unschedulablePods."""

    def __init__(self, scheduler: Scheduler):
        self.scheduler = scheduler
        self.clock = scheduler.clock
        self._heap: list[tuple[int, int, int, str]] = []
        self._active: dict[str, tuple[int, int, int, str]] = {}
        self.backoff: dict[str, Any] = {}
        self.unschedulable: dict[str, QueuedPodInfo] = {}
        self.infos: dict[str, QueuedPodInfo] = {}
        self.in_flight: str | None = None
        self._moved_in_cycle = False
        self._seq = 0

    # what is where
    def active_keys(self) -> list[str]:
        """activeQ in the order pods will be popped."""
        return [e[3] for e in sorted(self._active.values())]

    def backoff_keys(self) -> list[str]:
        return sorted(self.backoff)

    def unschedulable_keys(self) -> list[str]:
        return sorted(self.unschedulable)

    def __len__(self) -> int:
        return len(self._active)

    def __contains__(self, key: str) -> bool:
        return key in self.infos

    # activeQ
    def _push_active(self, pinfo: QueuedPodInfo) -> None:
        entry = (-pinfo.priority, round(pinfo.timestamp * 1000), pinfo.seq, pinfo.key)
        self._active[pinfo.key] = entry
        heapq.heappush(self._heap, entry)
        self.scheduler._wake()

    def pop(self) -> QueuedPodInfo | None:
        """The highest-priority pod (earliest queued among equals), now in flight."""
        while self._heap:
            entry = heapq.heappop(self._heap)
            if self._active.get(entry[3]) is entry:
                del self._active[entry[3]]
                self.in_flight = entry[3]
                self._moved_in_cycle = False
                return self.infos[entry[3]]
        return None

    def done(self, key: str) -> None:
        if self.in_flight == key:
            self.in_flight = None

    # informer events
    def add(self, pod: dict) -> None:
        key = object_key(pod)
        if key in self.infos:
            self.update(self.infos[key].pod, pod)
            return
        self._seq += 1
        pinfo = QueuedPodInfo(pod, key, self.clock.now, self._seq)
        self.infos[key] = pinfo
        self._push_active(pinfo)

    def update(self, old: dict, new: dict) -> None:
        key = object_key(new)
        pinfo = self.infos.get(key)
        if pinfo is None:
            self.add(new)
            return
        pinfo.pod = new
        updated = _is_pod_updated(old, new)
        if key == self.in_flight:
            self._moved_in_cycle = self._moved_in_cycle or updated
        elif key in self._active:
            if updated:
                self._push_active(pinfo)  # the priority may have changed: re-sort
        elif key in self.unschedulable and updated:
            self._move(pinfo)

    def delete(self, key: str) -> None:
        self.infos.pop(key, None)
        self._active.pop(key, None)
        self.unschedulable.pop(key, None)
        timer = self.backoff.pop(key, None)
        if timer is not None:
            timer.cancel()
        if self.in_flight == key:
            self.in_flight = None

    # after a failed cycle
    def backoff_duration(self, pinfo: QueuedPodInfo) -> float:
        """1 s doubling per attempt, at most 10 s."""
        duration = POD_INITIAL_BACKOFF
        for _ in range(1, pinfo.attempts):
            if duration > POD_MAX_BACKOFF - duration:
                return POD_MAX_BACKOFF
            duration += duration
        return duration

    def backoff_until(self, pinfo: QueuedPodInfo) -> float:
        return pinfo.timestamp + self.backoff_duration(pinfo)

    def add_unschedulable(self, pinfo: QueuedPodInfo, plugins: set[str], *, error: bool = False) -> str:
        """Put a pod back after a failed cycle; returns where it went."""
        if pinfo.key not in self.infos:
            return "gone"
        pinfo.timestamp = self.clock.now
        pinfo.unschedulable_plugins = set(plugins)
        if error or self._moved_in_cycle:
            self._to_backoff(pinfo)
            return "backoffQ"
        self.unschedulable[pinfo.key] = pinfo
        return "unschedulablePods"

    def _to_backoff(self, pinfo: QueuedPodInfo) -> None:
        key = pinfo.key
        delay = max(0.0, self.backoff_until(pinfo) - self.clock.now)

        def complete() -> None:
            if self.backoff.pop(key, None) is not None and key in self.infos:
                self._push_active(self.infos[key])

        old = self.backoff.pop(key, None)
        if old is not None:
            old.cancel()
        self.backoff[key] = self.scheduler.cluster.schedule(self.scheduler, delay, complete,
                                                            trace_name=self.scheduler.name)

    def _move(self, pinfo: QueuedPodInfo) -> None:
        """unschedulablePods → backoffQ if still backing off, else activeQ."""
        self.unschedulable.pop(pinfo.key, None)
        if self.backoff_until(pinfo) > self.clock.now:
            self._to_backoff(pinfo)
        else:
            self._push_active(pinfo)

    def move_all(self, events: set[str]) -> int:
        """A cluster event happened: move the unschedulable pods it may help (the queueing hints)."""
        if self.in_flight is not None:
            self._moved_in_cycle = True
        moved = 0
        for key in sorted(self.unschedulable):
            pinfo = self.unschedulable[key]
            if not pinfo.unschedulable_plugins or any(
                    events & self.scheduler.framework.plugin(p).events for p in pinfo.unschedulable_plugins):
                self._move(pinfo)
                moved += 1
        return moved

    def flush_leftover(self) -> int:
        """Pods unschedulable for more than 5 minutes get another try anyway."""
        now = self.clock.now
        stale = [p for _, p in sorted(self.unschedulable.items())
                 if now - p.timestamp > POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION]
        for pinfo in stale:
            self._move(pinfo)
        return len(stale)

    def cancel_timers(self) -> None:
        for timer in self.backoff.values():
            timer.cancel()
        self.backoff.clear()


# --- the process ------------------------------------------------------------------------------------------------


class Decisions(Mapping):
    """``pod key → decision`` for the last ``limit`` pods scheduled or tried, oldest first.

    A cycle records its CycleResult; the decision dict (scores per node and
    plugin, filter reasons …) is built the first time someone reads it, so
    cycles nobody looks at never pay for it.
    """

    def __init__(self, limit: int = 1000):
        self.limit = limit
        self._entries: OrderedDict[str, CycleResult | dict] = OrderedDict()

    def record(self, key: str, decision: CycleResult | dict) -> None:
        self._entries.pop(key, None)
        self._entries[key] = decision
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def __getitem__(self, key: str) -> dict:
        decision = self._entries[key]
        if isinstance(decision, CycleResult):
            decision = self._entries[key] = decision.decision()
        return decision

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _node_events(old: dict, new: dict) -> set[str]:
    """Which kinds of node change happened (what may make an unschedulable pod fit)."""
    events = set()
    os_, ns_ = old.get("status") or {}, new.get("status") or {}
    if os_.get("allocatable") != ns_.get("allocatable"):
        events.add("NodeAllocatable")
    if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
        events.add("NodeLabel")
    ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
    if ospec.get("taints") != nspec.get("taints") or ospec.get("unschedulable") != nspec.get("unschedulable"):
        events.add("NodeTaint")
    return events


def _by_selector_label(svc: dict) -> list[str]:
    """A Service under each ``namespace/key=value`` of its selector: the pods it may select share one."""
    ns = svc["metadata"].get("namespace") or "default"
    return [f"{ns}/{k}={v}" for k, v in ((svc.get("spec") or {}).get("selector") or {}).items()]


class Scheduler(Component):
    """The kube-scheduler process on one control plane node."""

    def __init__(self, cluster: Cluster, node: str, *, percentage_of_nodes_to_score: int = 0,
                 decisions_limit: int = 1000, scheduler_name: str = DEFAULT_SCHEDULER_NAME):
        super().__init__(cluster, "kube-scheduler", node)
        self.scheduler_name = scheduler_name
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.decisions = Decisions(decisions_limit)
        self.active = False
        self._build()
        self.elector = LeaderElector(self, "kube-scheduler", on_started_leading=self._lead,
                                     on_stopped_leading=self._follow)

    @property
    def is_leader(self) -> bool:
        return self.elector.is_leader

    # --- life cycle ------------------------------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        self.elector.start()

    def stop(self) -> None:
        self._follow()
        self.elector.stop()
        super().stop()

    def _build(self) -> None:
        """Fresh informers, cache and queue: what a (re)started process has."""
        self.pods = Informer(self.client, "pods", field_selector="status.phase!=Succeeded,status.phase!=Failed")
        self.nodes = Informer(self.client, "nodes")
        self.services = Informer(self.client, "services")
        self.replicasets = Informer(self.client, "replicasets")
        self.services.add_indexer("selector", _by_selector_label)
        self.cache = Cache()
        self.framework = Framework(self.cache, self.cluster.rng,
                                   percentage_of_nodes_to_score=self.percentage_of_nodes_to_score,
                                   default_selector=self._default_selector)
        self.queue = SchedulingQueue(self)
        self.nodes.add_event_handler(ResourceEventHandler(self._node_added, self._node_updated, self._node_deleted))
        self.pods.add_event_handler(ResourceEventHandler(self._pod_added, self._pod_updated, self._pod_deleted))
        self._cycle_timer: Any = None
        self._flush_timer: Any = None
        self._stale = False

    def _informers(self) -> list[Informer]:
        return [self.nodes, self.services, self.replicasets, self.pods]

    def _lead(self) -> None:
        """Became leader: LIST and WATCH, then start the scheduling loop."""
        if self._stale:
            self._build()
        self.active = True
        for inf in self._informers():
            inf.start()
        self._flush_timer = self.cluster.schedule(self, UNSCHEDULABLE_FLUSH_PERIOD, self._flush, background=True)
        self._wake()

    def _follow(self) -> None:
        """Lost the lease or died: the real process exits; the next term starts from scratch."""
        self.active = False
        for inf in self._informers():
            inf.stop()
        for timer in (self._cycle_timer, self._flush_timer):
            if timer is not None:
                timer.cancel()
        self._cycle_timer = self._flush_timer = None
        self.queue.cancel_timers()
        self._stale = True

    def disconnect(self) -> None:
        for inf in self._informers():
            inf.disconnect()

    def reconnect(self) -> None:
        if not self.active:
            return
        for inf in self._informers():
            try:
                inf.reconnect()
            except Unreachable:
                return

    # --- informer handlers: they only update the cache and the queue -----------------------------------------------

    def _responsible(self, pod: dict) -> bool:
        return (pod["spec"].get("schedulerName") or DEFAULT_SCHEDULER_NAME) == self.scheduler_name

    def _node_added(self, node: dict) -> None:
        self.cache.add_node(node)
        self.queue.move_all({"NodeAdd"})

    def _node_updated(self, old: dict, new: dict) -> None:
        self.cache.add_node(new)
        events = _node_events(old, new)
        if events:
            self.queue.move_all(events)

    def _node_deleted(self, node: dict) -> None:
        self.cache.remove_node(node)

    def _pod_added(self, pod: dict) -> None:
        if pod["spec"].get("nodeName"):
            self.cache.add_pod(pod)
            self.queue.move_all({"PodAdd"})
        elif self._responsible(pod):
            self.queue.add(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        key = object_key(new)
        if new["spec"].get("nodeName"):
            self.queue.delete(key)
            self.cache.add_pod(new)
            if not old["spec"].get("nodeName") or (old["metadata"].get("labels") != new["metadata"].get("labels")):
                self.queue.move_all({"PodAdd"})
        elif self._responsible(new):
            self.queue.update(old, new)
        else:
            self.queue.delete(key)

    def _pod_deleted(self, pod: dict) -> None:
        key = object_key(pod)
        if key in self.cache.pod_nodes:
            self.cache.remove_pod(key)
            self.queue.move_all({"PodDelete"})
        self.queue.delete(key)

    def _default_selector(self, pod: dict) -> Selector:
        """``helper.DefaultSelector``: the selectors of the Services and the ReplicaSet owning the pod."""
        ns = pod["metadata"].get("namespace") or "default"
        labels = pod["metadata"].get("labels") or {}
        merged: dict[str, str] = {}
        for k, v in labels.items():  # only Services sharing a label with the pod can select it
            for svc in self.services.by_index("selector", f"{ns}/{k}={v}"):
                sel = (svc.get("spec") or {}).get("selector") or {}
                if all(labels.get(key) == value for key, value in sel.items()):
                    merged.update(sel)
        reqs = [(k, "=", (str(v),)) for k, v in sorted(merged.items())]
        owner = controller_of(pod)
        if owner and owner.get("kind") == "ReplicaSet" and owner.get("apiVersion") == "apps/v1":
            rs = self.replicasets.get(f"{ns}/{owner['name']}")
            if rs is not None:
                reqs += selector_from_spec(rs["spec"].get("selector")).requirements
        return Selector(reqs)

    # --- the loop ----------------------------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self.active and self.running and self._cycle_timer is None and len(self.queue):
            self._cycle_timer = self.cluster.schedule(self, CYCLE_TIME, self.schedule_one, trace_name=self.name)

    def _flush(self) -> Event:
        """Every 30 s: give pods unschedulable for over 5 minutes another try."""
        self._flush_timer = self.cluster.schedule(self, UNSCHEDULABLE_FLUSH_PERIOD, self._flush, background=True)
        waiting = len(self.queue.unschedulable)
        moved = self.queue.flush_leftover()
        return self.event("unschedulablePods", f"flushUnschedulablePodsLeftover: {moved} of {waiting} pod(s) "
                          f"unschedulable for over {POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION:g}s moved back",
                          verb="flush")

    def schedule_one(self) -> Event | None:
        """One scheduling cycle: pop a pod, find it a node, bind — or record why none fits."""
        self._cycle_timer = None
        pinfo = self.queue.pop()
        if pinfo is None:
            return None
        try:
            return self._cycle(pinfo)
        except Exception as err:  # a plugin failed on this pod: an Error status, as handleSchedulingFailure takes it
            if self.cluster.strict:
                raise
            return self._fail(pinfo, CycleResult(None, 0, 0, {}, message=describe_error(err), error=True))
        finally:
            self.queue.done(pinfo.key)
            self._wake()

    def _cycle(self, pinfo: QueuedPodInfo) -> Event:
        pod, key = pinfo.pod, pinfo.key
        if pod["metadata"].get("deletionTimestamp"):
            self.queue.delete(key)
            return self.event(key, f"skip schedule deleting pod {key}")
        pinfo.attempts += 1
        if pinfo.initial_attempt_timestamp is None:
            pinfo.initial_attempt_timestamp = self.clock.now
        result = self.framework.schedule(pod)
        self.decisions.record(key, result)
        if result.node is not None:
            return self._bind(pinfo, result.node)
        return self._fail(pinfo, result)

    def _bind(self, pinfo: QueuedPodInfo, node: str) -> Event:
        """Reserve, Permit and PreBind have nothing to do here; Bind is DefaultBinder's pods/binding POST."""
        pod, key = pinfo.pod, pinfo.key
        ns, name = pod["metadata"].get("namespace") or "default", pod["metadata"]["name"]
        try:
            self.client.bind(ns, name, node)
        except (ApiError, Unreachable) as err:
            where = self.queue.add_unschedulable(pinfo, set(), error=True)
            return self.event(key, f"binding {key} to {node} failed: {err}; retrying from {where}")
        self.client.event(pod, "Normal", "Scheduled", f"Successfully assigned {ns}/{name} to {node}",
                          source=self.scheduler_name)
        return self.event(key, f"bound {key} to {node}")

    def _fail(self, pinfo: QueuedPodInfo, result: CycleResult) -> Event:
        """handleSchedulingFailure: requeue, preempt if PostFilter found victims, tell the pod why."""
        pod, key = pinfo.pod, pinfo.key
        notes = []
        if result.victims:
            notes.append(self._preempt(pod, result.nominated or "", result.victims))
        where = self.queue.add_unschedulable(pinfo, result.unschedulable_plugins, error=result.error)
        reason = "SchedulerError" if result.error else "Unschedulable"
        try:
            self.client.event(pod, "Warning", "FailedScheduling", result.message, source=self.scheduler_name)
            current = self.pods.get(key) or pod
            new = deep_copy(current)
            changed = set_condition(new, "PodScheduled", "False", self.clock.now, reason, result.message)
            status = new.setdefault("status", {})
            if result.nominated and status.get("nominatedNodeName") != result.nominated:
                status["nominatedNodeName"] = result.nominated
                changed = True
            if changed:
                self.client.update_status(new)
        except (ApiError, Unreachable) as err:
            notes.append(f"status not updated: {err}")
        tail = f" ({'; '.join(notes)})" if notes else ""
        return self.event(key, f"{result.message}{tail} → {where}")

    def _preempt(self, preemptor: dict, node: str, victims: list[PodInfo]) -> str:
        """Evict the victims: mark them DisruptionTarget, delete them, record Preempted."""
        uid = preemptor["metadata"].get("uid")
        names = []
        for v in victims:
            ns, name = v.namespace, v.pod["metadata"]["name"]
            try:
                current = self.pods.get(v.key) or v.pod
                marked = deep_copy(current)
                set_condition(marked, "DisruptionTarget", "True", self.clock.now, "PreemptionByScheduler",
                              f"{self.scheduler_name}: preempting to accommodate a higher priority pod")
                self.client.update_status(marked)
                self.client.delete("pods", name, ns)
            except (ApiError, Unreachable):
                continue
            self.client.event(v.pod, "Normal", "Preempted", f"Preempted by pod {uid} on node {node}",
                              source=self.scheduler_name)
            names.append(v.key)
        return f"nominated {node}, preempting {', '.join(names)}"
