"""NodeResourcesFit: the pod's requests must fit in what the node has left; LeastAllocated scores.

Upstream: ``pkg/scheduler/framework/plugins/noderesources/fit.go`` (Filter) and
``least_allocated.go`` (the default scoring strategy).  Filter compares the
pod's requests (containers summed, at least the largest init container, plus
overhead) with allocatable minus what the node's pods request, and the pod
count with allocatable ``pods``; every shortfall is a reason ("Insufficient
cpu").  Score: LeastAllocated over cpu and memory, weight 1 each, counting
100m / 200Mi for a container that requests nothing.  Extension points:
PreFilter, Filter, Score; weight 1 in the default profile.

Over many nodes at once (``filter_nodes``, ``score_nodes``) the same
comparisons and the same integer arithmetic run on the node table's columns;
a node short of something is checked one by one, which gives its reasons.

Simplified: only cpu, memory and ephemeral-storage (no extended resources);
the MostAllocated and RequestedToCapacityRatio strategies are not offered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..framework.cycle_state import CycleState
from ..framework.interface import (
    MAX_NODE_SCORE,
    FilterArrays,
    FilterPlugin,
    Plugin,
    PreFilterPlugin,
    ScoreArrays,
    ScorePlugin,
    Status,
)
from ..framework.types import ClusterEvent, NodeInfo

if TYPE_CHECKING:
    from ..node_table import NodeView

__all__ = ["NodeResourcesFit"]

_PRE_FILTER_KEY = "PreFilterNodeResourcesFit"
#: A resource's name → its name in the node table's columns.
_COLUMN = {"cpu": "cpu", "memory": "memory", "ephemeral-storage": "ephemeral_storage"}


class NodeResourcesFit(Plugin):
    """Filter: requests must fit in allocatable minus requested.  Score: LeastAllocated (cpu, memory)."""

    name = "NodeResourcesFit"
    events = frozenset(
        {ClusterEvent.NODE_ADD, ClusterEvent.NODE_ALLOCATABLE_CHANGE, ClusterEvent.ASSIGNED_POD_DELETE}
    )

    def pre_filter(self, state: CycleState, _pod: dict) -> Status | None:
        """The resources the pod requests at all: only those can be insufficient."""
        req = state.pod_info.requests
        state.write(
            _PRE_FILTER_KEY,
            [(name, req[name]) for name in ("cpu", "memory", "ephemeral-storage") if req[name] > 0],
        )
        return None

    def filter(self, state: CycleState, _pod: dict, ni: NodeInfo) -> Status | None:
        alloc, requested = ni.allocatable, ni.requested
        reasons = []
        if len(ni.pods) + 1 > alloc["pods"]:
            reasons.append("Too many pods")
        for name, amount in state.read(_PRE_FILTER_KEY):
            if amount > alloc[name] - requested[name]:
                reasons.append(f"Insufficient {name}")
        return Status.unschedulable(*reasons) if reasons else None

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        want = state.pod_info.non_zero
        total = weights = 0
        for name in ("cpu", "memory"):
            capacity = ni.allocatable[name]
            if capacity == 0:
                continue
            requested = ni.non_zero_requested[name] + want[name]
            total += 0 if requested > capacity else (capacity - requested) * MAX_NODE_SCORE // capacity
            weights += 1
        return total // weights if weights else 0

    def filter_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray:
        """Nodes with room for one more pod and for each requested amount surely pass."""
        ok = nodes.column("pods") + 1 <= nodes.column("alloc_pods")
        for name, amount in state.read(_PRE_FILTER_KEY):
            column = _COLUMN[name]
            ok &= amount <= nodes.column(f"alloc_{column}") - nodes.column(f"requested_{column}")
        return ok

    def score_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray:
        """``score`` (LeastAllocated) on every node at once, with the same integer divisions."""
        want = state.pod_info.non_zero
        total = np.zeros(len(nodes), dtype=np.int64)
        weights = np.zeros(len(nodes), dtype=np.int64)
        for name in ("cpu", "memory"):
            capacity = nodes.column(f"alloc_{name}")
            requested = nodes.column(f"non_zero_{name}") + want[name]
            counted = capacity != 0
            free = (capacity - requested) * MAX_NODE_SCORE // np.where(counted, capacity, 1)
            total += np.where(counted & (requested <= capacity), free, 0)
            weights += counted
        return np.where(weights > 0, total // np.maximum(weights, 1), 0)


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[
    type[PreFilterPlugin], type[FilterPlugin], type[ScorePlugin], type[FilterArrays], type[ScoreArrays]
] = (NodeResourcesFit, NodeResourcesFit, NodeResourcesFit, NodeResourcesFit, NodeResourcesFit)
