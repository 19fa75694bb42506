"""The scheduler's cache: node infos kept from watch events (``pkg/scheduler/backend/cache/cache.go``).

The cache is kept incrementally — a bound pod is added to its node's
NodeInfo when its watch event arrives, a node's facts are refreshed when the
node changes — and never rebuilt per cycle, so a cycle costs what the real
one costs: it touches the nodes it evaluates.  It also keeps the order cycles
walk the nodes in, zones interleaved (upstream's ``node_tree.go``), and which
nodes hold each image (ImageLocality's spread).  The facts Filter and Score
read on every node are also kept as columns (:class:`NodeTable`), which each
NodeInfo updates in place when its node or its pods change.

Simplified: no *assumed* pods (the binding cycle runs in the same step, and
the bind's watch event updates the cache at once) and no snapshot: a cycle
reads the cache's NodeInfos directly, which is safe because nothing changes
them during a cycle.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping

import numpy as np

from ..labels import Selector
from ..resources import object_key
from .framework.types import LABEL_ZONE, NodeInfo, PodInfo
from .node_table import NodeTable, object_array

__all__ = ["Cache"]


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
        self._slots: np.ndarray | None = None
        self._objects: np.ndarray | None = None
        #: The nodes' facts as columns, a row per node (what the cycle's array path reads).
        self.table = NodeTable()
        #: label group → node → pods of the group on it (terminating pods aside: ``countPodsMatchSelector``)
        self.group_nodes: dict[tuple, dict[str, int]] = {}
        self._group_labels: dict[tuple, dict[str, str]] = {}
        #: (namespace, selector requirements) → (selector, the label groups it matches)
        self._selections: OrderedDict[tuple, tuple[Selector, list[tuple]]] = OrderedDict()

    def _info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
            ni.table = self.table
            self.table.slot(name)
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
            self._list = self._positions = self._slots = self._objects = None

    def remove_node(self, node: dict) -> None:
        name = node["metadata"]["name"]
        ni = self.nodes.get(name)
        if ni is None or ni.node is None:
            return
        self._drop_images(ni)
        self._zones[_zone(ni.node)].remove(name)
        self._list = self._positions = self._slots = self._objects = None
        if ni.pods:
            ni.node = None  # pods still bound to it: keep their accounting until they go
            self.table.set_absent(name)
        else:
            del self.nodes[name]
            self.table.remove(name)

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

    def update_pod(self, pod: dict) -> None:
        """A bound pod changed (upstream's ``updatePod``: remove the old, add the new): ``add_pod``'s result.

        Most updates of a bound pod are the kubelet's status writes, which
        change nothing the cache sums or counts.  Then the new PodInfo takes
        the old one's place without undoing and redoing the sums, the node's
        table row and the label group's counts; only what removing and adding
        again would reorder is reordered (the pod goes last among its node's
        pods and in ``pod_nodes``; its node goes last in its group's nodes when
        it held one pod of the group), so nothing can tell the two ways apart.
        """
        key = object_key(pod)
        node = pod["spec"]["nodeName"]
        ni = self.nodes.get(node) if self.pod_nodes.get(key) == node else None
        old = ni.pods.get(key) if ni is not None and ni.node is not None else None
        if ni is None or old is None or old.host_ports:
            self.add_pod(pod)
            return
        pi = old.renewed(pod)
        if (
            pi.requests != old.requests
            or pi.non_zero != old.non_zero
            or pi.host_ports
            or pi._group != old._group
            or pi.terminating != old.terminating
        ):
            self.add_pod(pod)
            return
        counts = self.group_nodes.get(pi._group) if not pi.terminating else None
        if counts is not None and counts[node] == 1:
            if len(counts) == 1:  # the group's last pod: removing it drops the group, adding makes it anew
                self.add_pod(pod)
                return
            del counts[node]
            counts[node] = 1
        del ni.pods[key], self.pod_nodes[key]
        ni.pods[key] = pi
        self.pod_nodes[key] = node

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
                self.table.remove(node)

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
        self.table.count(group, node, delta)
        n = counts.get(node, 0) + delta
        if n:
            counts[node] = n
        else:
            del counts[node]
            if not counts:
                del self.group_nodes[group], self._group_labels[group], self.table.group_counts[group]
                for _, groups in self._selections.values():
                    if group in groups:
                        groups.remove(group)

    def matching_counts(self, selector: Selector, namespace: str) -> Mapping[str, int]:
        """``countPodsMatchSelector`` on every node: node → pods of ``namespace`` matching ``selector``.

        Nodes without a matching pod are absent.  The mapping is the cache's
        own when one label group matches: read it, never change it.
        """
        groups = self._groups(selector, namespace)
        if len(groups) == 1:
            return self.group_nodes[groups[0]]
        merged: dict[str, int] = {}
        for g in groups:
            for node, n in self.group_nodes[g].items():
                merged[node] = merged.get(node, 0) + n
        return merged

    def matching_array(self, selector: Selector, namespace: str) -> np.ndarray:
        """``matching_counts`` by table slot: pods of ``namespace`` matching ``selector`` on each slot's node.

        The array is the table's own when one label group matches: read it, never change it.
        """
        groups = self._groups(selector, namespace)
        counts = self.table.group_counts
        if len(groups) == 1:
            return counts[groups[0]]
        total = np.zeros(self.table.ints.shape[1], dtype=np.int64)
        for g in groups:
            total += counts[g]
        return total

    def _groups(self, selector: Selector, namespace: str) -> list[tuple]:
        """The label groups of ``namespace`` that ``selector`` matches (kept for the recently used)."""
        key = (namespace, tuple((k, op, tuple(v)) for k, op, v in selector.requirements))
        entry = self._selections.get(key)
        if entry is None:
            groups = [
                g
                for g, labels in self._group_labels.items()
                if g[0] == namespace and selector.matches(labels)
            ]
            entry = self._selections[key] = (selector, groups)
            if len(self._selections) > self.SELECTIONS_LIMIT:
                self._selections.popitem(last=False)
        else:
            self._selections.move_to_end(key)
        return entry[1]

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

    def node_slots(self) -> np.ndarray:
        """The table slots of ``node_list()``, in its order."""
        if self._slots is None:
            self._slots = self.table.slots_of(self.node_list())
        return self._slots

    def node_objects(self) -> np.ndarray:
        """``node_list()`` as an object array (a cycle picks its feasible nodes from it by row)."""
        if self._objects is None:
            self._objects = object_array(self.node_list())
        return self._objects

    def nodes_named(self, names: Iterable[str]) -> list[NodeInfo]:
        """The named nodes in ``node_list`` order: a narrowed cycle (a DaemonSet pod's) walks those."""
        nodes = self.node_list()
        if self._positions is None:
            self._positions = {ni.name: i for i, ni in enumerate(nodes)}
        positions = self._positions
        return [nodes[i] for i in sorted(positions[n] for n in names if n in positions)]


def _zone(node: dict | None) -> str:
    labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    return labels.get(LABEL_ZONE, "")
