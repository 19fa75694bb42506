"""The scheduling framework's contract: statuses and one Protocol per extension point.

Upstream: ``pkg/scheduler/framework/interface.go``.  A plugin is an object with
a ``name`` that implements the methods of the extension points it takes part
in; the framework finds them with ``isinstance(plugin, FilterPlugin)`` on the
runtime-checkable Protocols below, as Go code asserts ``var _
framework.FilterPlugin = &Fit{}``.  Nothing is discovered by ``hasattr``.

Every verdict is a :class:`Status` with upstream's codes.  ``Skip`` is a
status too: a PreFilter (PreScore) returning :data:`SKIP` says "nothing to
check (score) for this pod", and the framework leaves the plugin's Filter
(Score) out of the cycle.

Two Protocols have no upstream counterpart: :class:`FilterArrays` and
:class:`ScoreArrays` let a plugin decide many nodes at once from the
scheduler's node table (``node_table.py``) instead of one call per node; a
plugin offering them keeps its per-node ``filter`` / ``score`` as the
reference, and the two must agree exactly.

Simplified: a PreFilter returns *either* a :class:`PreFilterResult` or a
Status (upstream returns both); Permit, PreBind and PostBind have no
Protocol here because no default plugin does visible work at them; a plugin
reads the cluster through ``handle`` (the Framework) rather than through
upstream's ``framework.Handle`` interface of listers and clients.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from ..node_table import NodeView
    from ..queue import QueuedPodInfo
    from .cycle_state import CycleState
    from .runtime import Framework
    from .types import ClusterEvent, NodeInfo, PodInfo

__all__ = [
    "MAX_NODE_SCORE",
    "SKIP",
    "BindPlugin",
    "Code",
    "FilterArrays",
    "FilterPlugin",
    "Plugin",
    "PostFilterPlugin",
    "PostFilterResult",
    "PreFilterPlugin",
    "PreFilterResult",
    "PreScorePlugin",
    "QueueSortPlugin",
    "ReservePlugin",
    "ScoreArrays",
    "ScoreExtensions",
    "ScorePlugin",
    "Status",
]

#: The highest score a Score plugin gives a node after NormalizeScore (``framework.MaxNodeScore``).
MAX_NODE_SCORE = 100


class Code(enum.StrEnum):
    """A Status's code, spelled as upstream's ``Code.String()``."""

    SUCCESS = "Success"
    #: An internal error: the pod goes to backoffQ, whatever the other nodes said.
    ERROR = "Error"
    #: The node does not fit now, but preempting pods on it might make it fit.
    UNSCHEDULABLE = "Unschedulable"
    #: The node does not fit and preemption cannot change that (a taint, a node selector …).
    UNSCHEDULABLE_AND_UNRESOLVABLE = "UnschedulableAndUnresolvable"
    #: A Permit plugin holds the pod before binding.
    WAIT = "Wait"
    #: A PreFilter/PreScore has nothing to do for this pod: its Filter/Score is left out.
    SKIP = "Skip"
    #: A Permit or PreEnqueue plugin waits for something outside the scheduler.
    PENDING = "Pending"


@dataclass
class Status:
    """A plugin's verdict: a code, the reasons a learner reads, the plugin that said so (``Status``)."""

    code: str = Code.SUCCESS
    reasons: list[str] = field(default_factory=list)
    plugin: str = ""

    @property
    def ok(self) -> bool:
        """``IsSuccess``."""
        return self.code == Code.SUCCESS

    @property
    def rejected(self) -> bool:
        """``IsRejected``: Unschedulable or UnschedulableAndUnresolvable."""
        return self.code in (Code.UNSCHEDULABLE, Code.UNSCHEDULABLE_AND_UNRESOLVABLE)

    @property
    def skipped(self) -> bool:
        """``IsSkip``."""
        return self.code == Code.SKIP

    def message(self) -> str:
        """``Message()``: the reasons joined by ", "."""
        return ", ".join(self.reasons)

    @classmethod
    def unschedulable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE, list(reasons))

    @classmethod
    def unresolvable(cls, *reasons: str) -> Status:
        return cls(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, list(reasons))

    @classmethod
    def error(cls, *reasons: str) -> Status:
        return cls(Code.ERROR, list(reasons))


#: The one Skip status every PreFilter and PreScore returns: it carries no reason and is never changed.
SKIP = Status(Code.SKIP)


@dataclass(frozen=True)
class PreFilterResult:
    """``framework.PreFilterResult``: the only nodes worth filtering (a DaemonSet pod names its node)."""

    node_names: frozenset[str]


@dataclass
class PostFilterResult:
    """``framework.PostFilterResult``: the node nominated for the pod, and (here) the pods to evict for it.

    Simplified: upstream's DefaultPreemption evicts the victims itself; here the
    Scheduler does, after the cycle, so the trace shows it as its own action.
    """

    nominated_node_name: str
    victims: list[PodInfo] = field(default_factory=list)


class Plugin:
    """What every plugin has: a ``name`` and the ``handle`` it reads through (``framework.Plugin``).

    ``events`` lists the cluster events after which a pod this plugin rejected
    may fit (``EventsToRegister``, the queueing hints).  The base class
    implements no extension point, so no Protocol below matches it.
    """

    name = "Plugin"
    events: frozenset[ClusterEvent] = frozenset()

    def __init__(self, handle: Framework | None = None):
        self.handle = handle


@runtime_checkable
class QueueSortPlugin(Protocol):
    """``QueueSortPlugin``: which of two pods in activeQ is popped first.

    Simplified: besides upstream's ``less`` a queue-sort plugin gives the
    ``sort_key`` the activeQ heap orders by; the two must agree.
    """

    name: str

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool: ...

    def sort_key(self, pinfo: QueuedPodInfo) -> tuple: ...


@runtime_checkable
class PreFilterPlugin(Protocol):
    """``PreFilterPlugin``: per-pod work once per cycle, before any node is filtered.

    Returns None (go on), :data:`SKIP` (leave my Filter out for this pod), a
    :class:`PreFilterResult` (only these nodes can fit) or a rejecting Status.
    """

    name: str

    def pre_filter(self, state: CycleState, pod: dict) -> PreFilterResult | Status | None: ...


@runtime_checkable
class FilterPlugin(Protocol):
    """``FilterPlugin``: can the pod run on this node?  None or a success Status means yes."""

    name: str

    def filter(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status | None: ...


@runtime_checkable
class FilterArrays(Protocol):
    """A Filter plugin's verdict on many nodes at once, from the node table's columns.

    ``filter_nodes`` returns a bool array over ``nodes``: True where the node
    surely passes the plugin's ``filter``.  False sends the node through the
    per-node path (the plugins' ``filter``, which also gives the reason);
    None sends every node there.  It must never say True where ``filter``
    would reject.
    """

    name: str

    def filter_nodes(self, state: CycleState, pod: dict, nodes: NodeView) -> np.ndarray | None: ...


@runtime_checkable
class PostFilterPlugin(Protocol):
    """``PostFilterPlugin``: runs when no node fits (DefaultPreemption), with every node's Filter status."""

    name: str

    def post_filter(
        self, state: CycleState, pod: dict, statuses: dict[str, Status]
    ) -> tuple[PostFilterResult | None, Status]: ...


@runtime_checkable
class PreScorePlugin(Protocol):
    """``PreScorePlugin``: per-pod scoring work once per cycle; :data:`SKIP` leaves the plugin's Score out."""

    name: str

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> Status | None: ...


@runtime_checkable
class ScorePlugin(Protocol):
    """``ScorePlugin``: a raw score for the node; NormalizeScore and the profile's weight come after."""

    name: str

    def score(self, state: CycleState, pod: dict, ni: NodeInfo) -> int: ...


@runtime_checkable
class ScoreExtensions(Protocol):
    """``ScoreExtensions``: rescale one plugin's raw scores of all nodes to 0..MAX_NODE_SCORE, in place."""

    name: str

    def normalize_score(self, state: CycleState, pod: dict, scores: list[int]) -> None: ...


@runtime_checkable
class ScoreArrays(Protocol):
    """A Score plugin's scores of many nodes at once: what ``score`` then ``normalize_score`` give.

    ``score_nodes`` returns an int64 array over ``nodes`` equal, node for
    node, to the per-node path's normalised scores (before the weight), or
    None to have the framework take the per-node path.
    """

    name: str

    def score_nodes(self, state: CycleState, pod: dict, nodes: NodeView) -> np.ndarray | None: ...


@runtime_checkable
class ReservePlugin(Protocol):
    """``ReservePlugin``: claim what the pod will use on the chosen node; ``unreserve`` undoes it."""

    name: str

    def reserve(self, state: CycleState, pod: dict, node_name: str) -> Status | None: ...

    def unreserve(self, state: CycleState, pod: dict, node_name: str) -> None: ...


@runtime_checkable
class BindPlugin(Protocol):
    """``BindPlugin``: tell the API server where the pod runs.  :data:`SKIP` passes to the next binder."""

    name: str

    def bind(self, state: CycleState, pod: dict, node_name: str) -> Status | None: ...
