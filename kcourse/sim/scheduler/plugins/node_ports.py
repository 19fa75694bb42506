"""NodePorts: a pod's host ports must be free on the node.

Upstream: ``pkg/scheduler/framework/plugins/nodeports/node_ports.go``.  A
``hostPort`` binds a port on the node itself, so two pods asking for the same
one (same protocol, overlapping address) cannot share a node.  A pod without
host ports skips the Filter.  Extension points: PreFilter, Filter.

Simplified: nothing.
"""

from __future__ import annotations

from ..framework.cycle_state import CycleState
from ..framework.interface import SKIP, FilterPlugin, Plugin, PreFilterPlugin, Status
from ..framework.types import ClusterEvent, NodeInfo, ports_conflict

__all__ = ["NodePorts"]


class NodePorts(Plugin):
    """Filter: the pod's host ports must be free on the node."""

    name = "NodePorts"
    events = frozenset({ClusterEvent.NODE_ADD, ClusterEvent.ASSIGNED_POD_DELETE})
    reason = "node(s) didn't have free ports for the requested pod ports"

    def pre_filter(self, state: CycleState, _pod: dict) -> Status | None:
        return None if state.pod_info.host_ports else SKIP

    def filter(self, state: CycleState, _pod: dict, ni: NodeInfo) -> Status | None:
        for port in state.pod_info.host_ports:
            if ports_conflict(ni.used_ports.keys(), port):
                return Status.unschedulable(self.reason)
        return None


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[type[PreFilterPlugin], type[FilterPlugin]] = (NodePorts, NodePorts)
