"""What the plugins of one scheduling cycle share (``pkg/scheduler/framework/cycle_state.go``).

A CycleState lives for one pod's cycle.  The framework fills in what every
plugin may read (the pod's :class:`PodInfo`, the nodes in the order cycles
walk them, which plugins PreFilter and PreScore told to skip); a plugin keeps
what it worked out once per cycle — at PreFilter or PreScore — under its own
key with ``write`` and reads it back, per node, with ``read``, as
upstream plugins do with ``cycleState.Write(preFilterStateKey, s)``.

Simplified: no locking (one cycle runs at a time) and no ``Clone`` (the
preemption dry run reuses the cycle's state, which no Filter changes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..node_table import NodeView
    from .interface import FilterPlugin
    from .types import NodeInfo, PodInfo

__all__ = ["CycleState"]


class CycleState:
    """One cycle's shared data: typed fields for the framework's, keyed entries for each plugin's."""

    __slots__ = (
        "_data",
        "all_nodes",
        "filter_plugins",
        "get",
        "node_view",
        "num_all_nodes",
        "pod_info",
        "read",
        "skip_filter_plugins",
        "skip_score_plugins",
        "write",
    )

    def __init__(self, pod_info: PodInfo, all_nodes: list[NodeInfo]):
        self.pod_info = pod_info
        self.all_nodes = all_nodes
        self.num_all_nodes = len(all_nodes)
        #: Plugins whose PreFilter (PreScore) returned Skip: ``SkipFilterPlugins`` (``SkipScorePlugins``).
        self.skip_filter_plugins: set[str] = set()
        self.skip_score_plugins: set[str] = set()
        #: The Filter plugins this cycle runs, in the profile's order: all of them but the skipped ones.
        self.filter_plugins: list[FilterPlugin] | None = None
        #: The node table's columns over the nodes being scored, when the cycle takes the array path.
        self.node_view: NodeView | None = None
        self._data: dict[str, Any] = {}
        # The plugins' entries are read on every node of a cycle: these are the dict's own (C) methods.
        #: ``write(key, value)``: keep a plugin's per-cycle data under ``key`` (``CycleState.Write``).
        self.write: Callable[[str, Any], None] = self._data.__setitem__
        #: ``read(key)``: what a plugin wrote under ``key`` earlier in this cycle; KeyError if nothing.
        self.read: Callable[[str], Any] = self._data.__getitem__
        #: ``get(key, default=None)``: like ``read``, with a default for a key never written.
        self.get: Callable[..., Any] = self._data.get
