"""NodeResourcesBalancedAllocation: prefer nodes whose cpu and memory stay equally used.

Upstream: ``pkg/scheduler/framework/plugins/noderesources/balanced_allocation.go``.
A node with half its cpu and half its memory requested is better placed for
the next pod than one with 90% of its cpu and 10% of its memory: the score is
``(1 − std) × 100`` of the two fractions after adding the pod.  Extension
points: Score; weight 1 in the default profile.

Simplified: no PreScore (the pod's requests come from the cycle's PodInfo),
and only cpu and memory are balanced.
"""

from __future__ import annotations

from ..framework.cycle_state import CycleState
from ..framework.interface import MAX_NODE_SCORE, Plugin, ScorePlugin
from ..framework.types import NodeInfo

__all__ = ["NodeResourcesBalancedAllocation"]


class NodeResourcesBalancedAllocation(Plugin):
    """Score: nodes whose cpu and memory fractions stay close score higher (1 − std of the fractions)."""

    name = "NodeResourcesBalancedAllocation"

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        want = state.pod_info.requests
        cpu, memory = ni.allocatable["cpu"], ni.allocatable["memory"]
        if cpu == 0 or memory == 0:
            return MAX_NODE_SCORE  # fewer than two fractions: nothing to be unbalanced
        cpu_fraction = min(1.0, (ni.requested["cpu"] + want["cpu"]) / cpu)
        memory_fraction = min(1.0, (ni.requested["memory"] + want["memory"]) / memory)
        std = abs((cpu_fraction - memory_fraction) / 2)
        return int((1 - std) * MAX_NODE_SCORE)


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.ScorePlugin = …``).
_implements: type[ScorePlugin] = NodeResourcesBalancedAllocation
