"""The scheduler's node facts as columns, one row per node, kept up to date in place.

A cycle filters and scores a few hundred nodes.  Asking each NodeInfo, one
plugin call at a time, costs microseconds per node per plugin; reading the
same facts as numpy columns — allocatable, requested, the pod count, whether
the node is cordoned or tainted — lets the common case (a pod without node
affinity, host ports or hard spread constraints, on nodes without taints it
has to look at) be decided with a handful of array operations over all the
nodes to visit.  Upstream needs no such table (its Filters run in 16
goroutines, in compiled code); here it is what keeps a cycle at 1,000 nodes
cheap, and it changes no decision: every node the arrays cannot vouch for
goes through the plugins' own per-node code.

Image sizes are columns too, one per image name some node holds
(``image_sizes``), so ImageLocality adds up sizes without visiting nodes; so
are the values of the node labels PodTopologySpread spreads by, as codes
(``label_codes``), and the count of each label group's pods on every node
(``group_counts``, the cache's ``group_nodes`` by slot).

Each node has a fixed *slot* (its column index) for as long as the cache
knows it (a removed node whose pods are still bound keeps its slot, marked
not ``present``); a NodeInfo writes its row whenever its node or its pods
change (:meth:`NodeTable.write`), so the table is never rebuilt per cycle.

Simplified: only what the default plugins read is kept; a node with a
quantity outside ``[0, 2**53)`` is marked *odd* and always takes the
per-node path (numpy's int64 and float64 would not give Python's exact
results there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .framework.types import NodeInfo

__all__ = ["EXACT_LIMIT", "NodeTable", "NodeView", "object_array"]

#: Integers below this are exact in float64, and ×100 of them fits int64: the arrays give Python's results.
EXACT_LIMIT = 2**53

#: The integer columns, in row order.
INT_COLUMNS = (
    "alloc_cpu",
    "alloc_memory",
    "alloc_ephemeral_storage",
    "alloc_pods",
    "requested_cpu",
    "requested_memory",
    "requested_ephemeral_storage",
    "non_zero_cpu",
    "non_zero_memory",
    "pods",
)
#: The flag columns, in row order.
FLAG_COLUMNS = ("unschedulable", "hard_taints", "prefer_taints", "odd", "present")

_INT_ROW = {name: i for i, name in enumerate(INT_COLUMNS)}
_FLAG_ROW = {name: i for i, name in enumerate(FLAG_COLUMNS)}


class NodeTable:
    """Columns of node facts by slot: ``ints`` (int64, one row per INT_COLUMNS) and ``flags`` (bool)."""

    def __init__(self, capacity: int = 64):
        self.slots: dict[str, int] = {}
        self._free: list[int] = []
        self._next = 0
        self.ints = np.zeros((len(INT_COLUMNS), capacity), dtype=np.int64)
        self.flags = np.zeros((len(FLAG_COLUMNS), capacity), dtype=bool)
        #: image name → the size of that image on each slot's node (0 where it is absent).
        self.image_sizes: dict[str, np.ndarray] = {}
        self._slot_images: dict[int, list[str]] = {}
        self._odd_images: set[int] = set()
        #: slot → the node's labels; per label key asked for: (slot → value code or -1, value → code, values)
        self._labels: dict[int, dict[str, str]] = {}
        self._label_columns: dict[str, tuple[np.ndarray, dict[str, int], list[str]]] = {}
        #: label group → how many of its pods each slot's node runs (the cache's ``group_nodes``)
        self.group_counts: dict[tuple, np.ndarray] = {}

    def slot(self, name: str) -> int:
        """The node's slot, assigned on first sight (a freed slot is reused: the lowest first)."""
        s = self.slots.get(name)
        if s is None:
            if self._free:
                s = self._free.pop()
            else:
                s = self._next
                self._next += 1
                if s >= self.ints.shape[1]:
                    self._grow()
            self.slots[name] = s
        return s

    def _grow(self) -> None:
        """Double every column (slots are indices: the columns must all be as long)."""
        self.ints = np.concatenate([self.ints, np.zeros_like(self.ints)], axis=1)
        self.flags = np.concatenate([self.flags, np.zeros_like(self.flags)], axis=1)
        for image, sizes in self.image_sizes.items():
            self.image_sizes[image] = np.concatenate([sizes, np.zeros_like(sizes)])
        for group, counts in self.group_counts.items():
            self.group_counts[group] = np.concatenate([counts, np.zeros_like(counts)])
        for key, (codes, code_of, values) in self._label_columns.items():
            self._label_columns[key] = (np.concatenate([codes, np.full_like(codes, -1)]), code_of, values)

    def write(self, ni: NodeInfo) -> None:
        """Copy the node's facts into its row (called whenever its node or its pods change)."""
        alloc, req, nz = ni.allocatable, ni.requested, ni.non_zero_requested
        row = (
            alloc["cpu"],
            alloc["memory"],
            alloc["ephemeral-storage"],
            alloc["pods"],
            req["cpu"],
            req["memory"],
            req["ephemeral-storage"],
            nz["cpu"],
            nz["memory"],
            len(ni.pods),
        )
        s = self.slots.get(ni.name)
        if s is None:
            s = self.slot(ni.name)
        odd = min(row) < 0 or max(row) >= EXACT_LIMIT or s in self._odd_images
        if not odd:
            self.ints[:, s] = row
        self.flags[:, s] = (ni.unschedulable, bool(ni.hard_taints), bool(ni.prefer_taints), odd, True)

    def write_node(self, ni: NodeInfo) -> None:
        """Copy the node's labels and image sizes into their columns (called when the node changes)."""
        s = self.slot(ni.name)
        self._labels[s] = ni.labels
        for key, (codes, code_of, values) in self._label_columns.items():
            codes[s] = _code(ni.labels.get(key), code_of, values)
        self._drop_images(s)
        if any(not 0 <= size < EXACT_LIMIT for size in ni.images.values()):
            self._odd_images.add(s)
            return
        capacity = self.ints.shape[1]
        for name, size in ni.images.items():
            sizes = self.image_sizes.get(name)
            if sizes is None:
                sizes = self.image_sizes[name] = np.zeros(capacity, dtype=np.int64)
            sizes[s] = size
        self._slot_images[s] = list(ni.images)

    def _drop_images(self, s: int) -> None:
        self._odd_images.discard(s)
        for name in self._slot_images.pop(s, ()):
            sizes = self.image_sizes[name]
            sizes[s] = 0
            if not sizes.any():
                del self.image_sizes[name]

    def label_codes(self, key: str) -> tuple[np.ndarray, list[str]]:
        """Each slot's value of the node label ``key`` as a code into the returned values (-1: no label)."""
        column = self._label_columns.get(key)
        if column is None:
            codes = np.full(self.ints.shape[1], -1, dtype=np.int64)
            code_of: dict[str, int] = {}
            values: list[str] = []
            for s, labels in self._labels.items():
                codes[s] = _code(labels.get(key), code_of, values)
            column = self._label_columns[key] = (codes, code_of, values)
        return column[0], column[2]

    def count(self, group: tuple, name: str, delta: int) -> None:
        """``delta`` more pods of the label group on the node (the cache's ``group_nodes`` changed)."""
        counts = self.group_counts.get(group)
        if counts is None:
            counts = self.group_counts[group] = np.zeros(self.ints.shape[1], dtype=np.int64)
        counts[self.slot(name)] += delta

    def set_absent(self, name: str) -> None:
        """The node is gone but pods bound to it are not: keep its slot (and their counts), out of cycles."""
        s = self.slots.get(name)
        if s is not None:
            self.flags[:, s] = False

    def remove(self, name: str) -> None:
        """Free the node's slot (its row is overwritten by the next node to take it)."""
        s = self.slots.pop(name, None)
        if s is not None:
            self._drop_images(s)
            self._labels.pop(s, None)
            for codes, _, _ in self._label_columns.values():
                codes[s] = -1
            for counts in self.group_counts.values():
                counts[s] = 0
            self.flags[:, s] = False
            self.ints[:, s] = 0
            self._free.append(s)
            self._free.sort(reverse=True)

    def slots_of(self, nodes: list[NodeInfo]) -> np.ndarray:
        """The slots of ``nodes``, in their order."""
        slots = self.slots
        return np.fromiter((slots[ni.name] for ni in nodes), dtype=np.intp, count=len(nodes))


def object_array(items: list) -> np.ndarray:
    """A one-dimensional object array of ``items`` (never a nested array, whatever the items are)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _code(value: str | None, code_of: dict[str, int], values: list[str]) -> int:
    """The code of a label value (a new one gets the next code); -1 for no label."""
    if value is None:
        return -1
    code = code_of.get(value)
    if code is None:
        code = code_of[value] = len(values)
        values.append(value)
    return code


class NodeView:
    """The table's columns over some nodes (a cycle's nodes to visit), in the nodes' order.

    ``nodes[i]`` is the NodeInfo of row ``i`` of every column; a column is
    gathered once, when a plugin first asks for it.
    """

    def __init__(
        self, table: NodeTable, nodes: list[NodeInfo], slots: np.ndarray, objects: np.ndarray | None = None
    ):
        self.table = table
        self.nodes = nodes
        self.slots = slots
        self._objects = objects
        self._ints: np.ndarray | None = None
        self._flags: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def column(self, name: str) -> np.ndarray:
        """An integer column (``INT_COLUMNS``) over the view's nodes."""
        if self._ints is None:
            self._ints = self.table.ints[:, self.slots]
        return self._ints[_INT_ROW[name]]

    def flag(self, name: str) -> np.ndarray:
        """A flag column (``FLAG_COLUMNS``) over the view's nodes."""
        if self._flags is None:
            self._flags = self.table.flags[:, self.slots]
        return self._flags[_FLAG_ROW[name]]

    @property
    def objects(self) -> np.ndarray:
        """``nodes`` as an object array, to pick many NodeInfos by row at once."""
        if self._objects is None:
            self._objects = object_array(self.nodes)
        return self._objects

    def subset(self, rows: np.ndarray) -> NodeView:
        """The view over ``rows`` of this one, in that order."""
        objects = self.objects[rows]
        sub = NodeView(self.table, objects.tolist(), self.slots[rows], objects)
        if self._ints is not None:
            sub._ints = self._ints[:, rows]
        if self._flags is not None:
            sub._flags = self._flags[:, rows]
        return sub

    def per_node(self, rows: np.ndarray, fn) -> list:
        """``fn(ni)`` for the NodeInfos at ``rows``: the per-node path for the nodes arrays cannot decide."""
        nodes = self.nodes
        return [fn(nodes[i]) for i in rows.tolist()]
