"""NodeAffinity: ``nodeSelector`` and required node affinity filter; preferred node affinity scores.

Upstream: ``pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go``.
The matching itself is shared with the DaemonSet controller
(:mod:`kcourse.sim.nodeaffinity`, upstream's ``component-helpers``), so the two
never disagree.  PreFilter skips the Filter for a pod with neither a node
selector nor a required affinity, and narrows the cycle to the named nodes
when every required term names nodes by ``matchFields metadata.name In`` — a
DaemonSet pod is filtered on its one node, not on all of them.  Score sums the
weights of the preferred terms a node matches.  Extension points: PreFilter,
Filter, PreScore, Score, NormalizeScore; weight 2 in the default profile.

Terms that each name nodes, none in common, reject the pod at PreFilter:
"pod affinity terms conflict".

Over many nodes at once (``score_nodes``): a pod without preferred terms
scores 0 everywhere; one with preferred terms is scored node by node.  The
Filter has no array form: a pod with a selector or required terms is
filtered node by node.

Simplified: no ``addedAffinity`` plugin argument.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...nodeaffinity import node_selector_term_matches, required_node_affinity, required_node_affinity_matches
from ..framework.cycle_state import CycleState
from ..framework.interface import (
    SKIP,
    FilterPlugin,
    Plugin,
    PreFilterPlugin,
    PreFilterResult,
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

__all__ = ["NodeAffinity"]

_PRE_SCORE_KEY = "PreScore/NodeAffinity"


class NodeAffinity(Plugin):
    """Filter: ``nodeSelector`` and required node affinity.  Score: the matching preferred terms' weights."""

    name = "NodeAffinity"
    events = frozenset({ClusterEvent.NODE_ADD, ClusterEvent.NODE_LABEL_CHANGE})
    reason = "node(s) didn't match Pod's node affinity/selector"
    reason_conflict = "pod affinity terms conflict"

    def pre_filter(self, _state: CycleState, pod: dict) -> PreFilterResult | Status | None:
        """Terms that all name nodes by ``matchFields`` narrow the cycle to those nodes (DaemonSet pods).

        A pod with neither ``nodeSelector`` nor required node affinity skips the Filter; terms
        that name nodes but no node in common leave nothing to filter: the pod is rejected.
        """
        required = required_node_affinity(pod)
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
        if not names:  # every term names nodes, and none names one the others allow
            return Status.unresolvable(self.reason_conflict)
        return PreFilterResult(frozenset(names))

    def filter(self, _state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if ni.node is not None and required_node_affinity_matches(pod, ni.node):
            return None
        return Status.unresolvable(self.reason)

    def pre_score(self, state: CycleState, pod: dict, _nodes: list[NodeInfo]) -> Status | None:
        state.write(
            _PRE_SCORE_KEY,
            ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
                "preferredDuringSchedulingIgnoredDuringExecution"
            )
            or [],
        )
        return None

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        preferred = state.read(_PRE_SCORE_KEY)
        if not preferred:
            return 0
        return sum(
            int(p.get("weight") or 0)
            for p in preferred
            if node_selector_term_matches(p.get("preference") or {}, ni.node or {"metadata": {}})
        )

    def normalize_score(self, _state: CycleState, _pod: dict, scores: list[int]) -> None:
        default_normalize_score(scores)

    def score_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray | None:
        """0 everywhere for a pod without preferred terms; otherwise None: scored node by node."""
        if state.read(_PRE_SCORE_KEY):
            return None
        return np.zeros(len(nodes), dtype=np.int64)


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[
    type[PreFilterPlugin],
    type[FilterPlugin],
    type[PreScorePlugin],
    type[ScorePlugin],
    type[ScoreExtensions],
    type[ScoreArrays],
] = (NodeAffinity, NodeAffinity, NodeAffinity, NodeAffinity, NodeAffinity, NodeAffinity)
