"""TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate them.

Upstream: ``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``.
Filter rejects a node with an untolerated NoSchedule/NoExecute taint — the
control plane's ``node-role.kubernetes.io/control-plane`` is the one a learner
meets first.  Score counts the node's untolerated PreferNoSchedule taints,
normalised in reverse: fewer is better.  Extension points: Filter, PreScore,
Score, NormalizeScore; weight 3 in the default profile.

Over many nodes at once (``filter_nodes``, ``score_nodes``): a node without
taints of the kind passes, or scores 0, without looking at the pod's
tolerations; only the tainted nodes are checked one by one.

Simplified: nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...taints import tolerated
from ..framework.cycle_state import CycleState
from ..framework.interface import (
    MAX_NODE_SCORE,
    FilterArrays,
    FilterPlugin,
    Plugin,
    PreScorePlugin,
    ScoreArrays,
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from ..framework.types import ClusterEvent, NodeInfo
from .helper import default_normalize_score

if TYPE_CHECKING:
    from ..node_table import NodeView

__all__ = ["TaintToleration"]

_PRE_SCORE_KEY = "PreScore/TaintToleration"


class TaintToleration(Plugin):
    """Filter: NoSchedule/NoExecute taints must be tolerated.  Score: fewer untolerated PreferNoSchedule."""

    name = "TaintToleration"
    events = frozenset({ClusterEvent.NODE_ADD, ClusterEvent.NODE_TAINT_CHANGE})

    def filter(self, _state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if not ni.hard_taints:
            return None
        tolerations = pod["spec"].get("tolerations") or []
        for taint in ni.hard_taints:
            if not tolerated(tolerations, taint):
                return Status.unresolvable(
                    f"node(s) had untolerated taint {{{taint.get('key')}: {taint.get('value') or ''}}}"
                )
        return None

    def pre_score(self, state: CycleState, pod: dict, _nodes: list[NodeInfo]) -> Status | None:
        """The tolerations that can tolerate a PreferNoSchedule taint: the same on every node."""
        state.write(
            _PRE_SCORE_KEY,
            [
                t
                for t in pod["spec"].get("tolerations") or []
                if not t.get("effect") or t.get("effect") == "PreferNoSchedule"
            ],
        )
        return None

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        if not ni.prefer_taints:
            return 0
        tolerations = state.read(_PRE_SCORE_KEY)
        return sum(1 for t in ni.prefer_taints if not tolerated(tolerations, t))

    def normalize_score(self, _state: CycleState, _pod: dict, scores: list[int]) -> None:
        default_normalize_score(scores, reverse=True)

    def filter_nodes(self, _state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray:
        """Nodes without NoSchedule/NoExecute taints surely pass; the others are checked one by one."""
        return ~nodes.flag("hard_taints")

    def score_nodes(self, state: CycleState, pod: dict, nodes: NodeView) -> np.ndarray:
        """``score`` on the nodes with PreferNoSchedule taints (0 elsewhere), normalised in reverse."""
        raw = np.zeros(len(nodes), dtype=np.int64)
        rows = np.flatnonzero(nodes.flag("prefer_taints"))
        if rows.size:
            raw[rows] = nodes.per_node(rows, lambda ni: self.score(state, pod, ni))
        top = int(raw.max())
        if top == 0:
            return np.full(len(nodes), MAX_NODE_SCORE, dtype=np.int64)
        return MAX_NODE_SCORE - MAX_NODE_SCORE * raw // top


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[
    type[FilterPlugin],
    type[PreScorePlugin],
    type[ScorePlugin],
    type[ScoreExtensions],
    type[FilterArrays],
    type[ScoreArrays],
] = (TaintToleration, TaintToleration, TaintToleration, TaintToleration, TaintToleration, TaintToleration)
