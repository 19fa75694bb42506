"""NodeUnschedulable: a cordoned node takes only pods that tolerate its taint.

Upstream: ``pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go``.
``kubectl cordon`` sets ``spec.unschedulable``; the node lifecycle controller
adds the ``node.kubernetes.io/unschedulable:NoSchedule`` taint for it, and this
Filter treats the field as that taint, so a pod tolerating it (a DaemonSet's)
still fits.  Extension points: Filter.

Over many nodes at once (``filter_nodes``): every node not cordoned passes.

Simplified: nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...taints import tolerated
from ..framework.cycle_state import CycleState
from ..framework.interface import FilterArrays, FilterPlugin, Plugin, Status
from ..framework.types import ClusterEvent, NodeInfo

if TYPE_CHECKING:
    import numpy as np

    from ..node_table import NodeView

__all__ = ["TAINT_UNSCHEDULABLE", "NodeUnschedulable"]

TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"


class NodeUnschedulable(Plugin):
    """Filter: a cordoned node (``spec.unschedulable``) takes only pods tolerating its taint."""

    name = "NodeUnschedulable"
    events = frozenset({ClusterEvent.NODE_ADD, ClusterEvent.NODE_TAINT_CHANGE})
    reason = "node(s) were unschedulable"

    def filter(self, _state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        if not ni.unschedulable:
            return None
        taint = {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
        if tolerated(pod["spec"].get("tolerations") or [], taint):
            return None
        return Status.unresolvable(self.reason)

    def filter_nodes(self, _state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray:
        """Nodes not cordoned surely pass; a cordoned one is checked against the pod's tolerations."""
        return ~nodes.flag("unschedulable")


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[type[FilterPlugin], type[FilterArrays]] = (NodeUnschedulable, NodeUnschedulable)
