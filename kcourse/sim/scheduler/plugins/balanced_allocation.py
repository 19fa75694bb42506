"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory stay equally used.

Upstream: ``pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go``.
A node with half its cpu and half its memory requested is better placed for
the next pod than one with 90% of its cpu and 10% of its memory: the score is
``(1 − std) × 100`` of the two fractions after adding the pod.  Extension
points: Score; weight 1 in the default profile.

Over many nodes at once (``score_nodes``) the same float operations run on
the node table's columns, in the same order, so every node scores the same.

Simplified: no PreScore (the pod's requests come from the cycle's PodInfo),
and only cpu and memory are balanced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..framework.cycle_state import CycleState
from ..framework.interface import MAX_NODE_SCORE, Plugin, ScoreArrays, ScorePlugin
from ..framework.types import NodeInfo
from ..node_table import EXACT_LIMIT

if TYPE_CHECKING:
    from ..node_table import NodeView

__all__ = ["NodeResourcesBalancedAllocation"]


class NodeResourcesBalancedAllocation(Plugin):
    """Score: nodes whose cpu and memory fractions stay close score higher (1 − std of the fractions)."""

    name = "NodeResourcesBalancedAllocation"

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        want = state.pod_info.requests
        cpu, memory = ni.allocatable["cpu"], ni.allocatable["memory"]
        if cpu == 0 or memory == 0:
            return MAX_NODE_SCORE  # fewer than two fractions: nothing to be unbalanced
        cpu_fraction = min(1.0, (ni.requested["cpu"] + want["cpu"]) / cpu)
        memory_fraction = min(1.0, (ni.requested["memory"] + want["memory"]) / memory)
        std = abs((cpu_fraction - memory_fraction) / 2)
        return int((1 - std) * MAX_NODE_SCORE)

    def score_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray | None:
        """``score`` on every node at once; None (node by node) if a sum is too big to divide exactly."""
        want = state.pod_info.requests
        cpu, memory = nodes.column("alloc_cpu"), nodes.column("alloc_memory")
        cpu_used = nodes.column("requested_cpu") + want["cpu"]
        memory_used = nodes.column("requested_memory") + want["memory"]
        if len(nodes) and max(int(cpu_used.max()), int(memory_used.max())) >= EXACT_LIMIT:
            return None  # int / int in Python is exact; float64 division of such sums might not be
        empty = (cpu == 0) | (memory == 0)
        cpu_fraction = np.minimum(1.0, cpu_used / np.where(empty, 1, cpu))
        memory_fraction = np.minimum(1.0, memory_used / np.where(empty, 1, memory))
        std = np.abs((cpu_fraction - memory_fraction) / 2)
        return np.where(empty, MAX_NODE_SCORE, ((1 - std) * MAX_NODE_SCORE).astype(np.int64))


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.ScorePlugin = …``).
_implements: tuple[type[ScorePlugin], type[ScoreArrays]] = (
    NodeResourcesBalancedAllocation,
    NodeResourcesBalancedAllocation,
)
