"""NodeName: a pod that names a node in ``spec.nodeName`` fits only there.

Upstream: ``pkg/scheduler/framework/plugins/nodename/node_name.go``.  A pod
created with ``spec.nodeName`` set never reaches the scheduler (the kubelet of
that node runs it); this Filter matters for a pod whose name is set while it
waits in the queue, and for preemption's dry runs.  Extension points:
PreFilter, Filter.

Simplified: upstream has no PreFilter; this one returns Skip for pods without
``spec.nodeName``, which leaves the Filter out without changing a verdict.
"""

from __future__ import annotations

from ..framework.cycle_state import CycleState
from ..framework.interface import SKIP, FilterPlugin, Plugin, PreFilterPlugin, Status
from ..framework.types import ClusterEvent, NodeInfo

__all__ = ["NodeName"]


class NodeName(Plugin):
    """Filter: a pod naming a node in ``spec.nodeName`` fits only there."""

    name = "NodeName"
    events = frozenset({ClusterEvent.NODE_ADD})
    reason = "node(s) didn't match the requested node name"

    def pre_filter(self, _state: CycleState, pod: dict) -> Status | None:
        return None if pod["spec"].get("nodeName") else SKIP

    def filter(self, _state: CycleState, pod: dict, ni: NodeInfo) -> Status | None:
        wanted = pod["spec"].get("nodeName")
        if wanted and wanted != ni.name:
            return Status.unresolvable(self.reason)
        return None


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[type[PreFilterPlugin], type[FilterPlugin]] = (NodeName, NodeName)
