"""TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them.

Upstream: ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``.
Filter rejects a node with an untolerated NoSchedule/NoExecute taint — the
control plane's ``node-role.kubernetes.io/control-plane`` is the one a learner
meets first.  Score counts the node's untolerated PreferNoSchedule taints,
normalised in reverse: fewer is better.  Extension points: Filter, PreScore,
Score, NormalizeScore; weight 3 in the default profile.

Simplified: nothing.
"""

from __future__ import annotations

from ...taints import tolerated
from ..framework.cycle_state import CycleState
from ..framework.interface import FilterPlugin, Plugin, PreScorePlugin, ScoreExtensions, ScorePlugin, Status
from ..framework.types import ClusterEvent, NodeInfo
from .helper import default_normalize_score

__all__ = ["TaintToleration"]

_PRE_SCORE_KEY = "PreScore/TaintToleration"


class TaintToleration(Plugin):
    """Filter: NoSchedule/NoExecute taints must be tolerated.  Score: fewer untolerated PreferNoSchedule."""

    name = "TaintToleration"
    events = frozenset({ClusterEvent.NODE_ADD, ClusterEvent.NODE_TAINT_CHANGE})

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if not ni.hard_taints:
            return None
        tolerations = pod["spec"].get("tolerations") or []
        for taint in ni.hard_taints:
            if not tolerated(tolerations, taint):
                return Status.unresolvable(f"node(s) had untolerated taint {{{taint.get('key')}: "
                                           f"{taint.get('value') or ''}}}")
        return None

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> Status | None:
        """The tolerations that can tolerate a PreferNoSchedule taint: the same on every node."""
        state.write(_PRE_SCORE_KEY, [t for t in pod["spec"].get("tolerations") or []
                                     if not t.get("effect") or t.get("effect") == "PreferNoSchedule"])
        return None

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int:
        if not ni.prefer_taints:
            return 0
        tolerations = state.read(_PRE_SCORE_KEY)
        return sum(1 for t in ni.prefer_taints if not tolerated(tolerations, t))

    def normalize_score(self, state: CycleState, pod: dict, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[type[FilterPlugin], type[PreScorePlugin], type[ScorePlugin], type[ScoreExtensions]] = (
    TaintToleration, TaintToleration, TaintToleration, TaintToleration)
