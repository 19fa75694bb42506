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

Each node has a fixed *slot* (its column index) from when it is added until
it is removed; a NodeInfo writes its row whenever its node or its pods
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

__all__ = ["EXACT_LIMIT", "NodeTable", "NodeView"]

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
FLAG_COLUMNS = ("unschedulable", "hard_taints", "prefer_taints", "odd")

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
                    grow = self.ints.shape[1]
                    self.ints = np.concatenate([self.ints, np.zeros_like(self.ints[:, :grow])], axis=1)
                    self.flags = np.concatenate([self.flags, np.zeros_like(self.flags[:, :grow])], axis=1)
            self.slots[name] = s
        return s

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
        odd = min(row) < 0 or max(row) >= EXACT_LIMIT
        if not odd:
            self.ints[:, s] = row
        self.flags[:, s] = (ni.unschedulable, bool(ni.hard_taints), bool(ni.prefer_taints), odd)

    def remove(self, name: str) -> None:
        """Free the node's slot (its row is overwritten by the next node to take it)."""
        s = self.slots.pop(name, None)
        if s is not None:
            self.flags[:, s] = False
            self.ints[:, s] = 0
            self._free.append(s)
            self._free.sort(reverse=True)

    def slots_of(self, nodes: list[NodeInfo]) -> np.ndarray:
        """The slots of ``nodes``, in their order."""
        slots = self.slots
        return np.fromiter((slots[ni.name] for ni in nodes), dtype=np.intp, count=len(nodes))


class NodeView:
    """The table's columns over some nodes (a cycle's nodes to visit), in the nodes' order.

    ``nodes[i]`` is the NodeInfo of row ``i`` of every column; a column is
    gathered once, when a plugin first asks for it.
    """

    def __init__(self, table: NodeTable, nodes: list[NodeInfo], slots: np.ndarray):
        self.table = table
        self.nodes = nodes
        self.slots = slots
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

    def subset(self, rows: np.ndarray, nodes: list[NodeInfo]) -> NodeView:
        """The view over ``rows`` of this one (``nodes`` are their NodeInfos, in that order)."""
        sub = NodeView(self.table, nodes, self.slots[rows])
        if self._ints is not None:
            sub._ints = self._ints[:, rows]
        if self._flags is not None:
            sub._flags = self._flags[:, rows]
        return sub

    def per_node(self, rows: np.ndarray, fn) -> list:
        """``fn(ni)`` for the NodeInfos at ``rows``: the per-node path for the nodes arrays cannot decide."""
        nodes = self.nodes
        return [fn(nodes[i]) for i in rows.tolist()]
