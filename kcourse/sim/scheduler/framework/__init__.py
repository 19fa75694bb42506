"""The scheduling framework (``pkg/scheduler/framework``): its contract, its data and its runtime.

* :mod:`.interface` — ``Status`` and its codes, one Protocol per extension point;
* :mod:`.cycle_state` — ``CycleState``, what one cycle's plugins share;
* :mod:`.types` — ``PodInfo``, ``NodeInfo``, ``ClusterEvent``, the FitError text;
* :mod:`.runtime` — ``Framework``, a profile's plugins run at their extension points
  (import it from there: it builds on the cache, the registry and the profile, which build on the above).
"""

from .cycle_state import CycleState
from .interface import (
    MAX_NODE_SCORE,
    SKIP,
    BindPlugin,
    Code,
    FilterPlugin,
    Plugin,
    PostFilterPlugin,
    PostFilterResult,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    QueueSortPlugin,
    ReservePlugin,
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from .types import ClusterEvent, NodeInfo, PodInfo, fit_error_message

__all__ = [
    "MAX_NODE_SCORE",
    "SKIP",
    "BindPlugin",
    "ClusterEvent",
    "Code",
    "CycleState",
    "FilterPlugin",
    "NodeInfo",
    "Plugin",
    "PodInfo",
    "PostFilterPlugin",
    "PostFilterResult",
    "PreFilterPlugin",
    "PreFilterResult",
    "PreScorePlugin",
    "QueueSortPlugin",
    "ReservePlugin",
    "ScoreExtensions",
    "ScorePlugin",
    "Status",
    "fit_error_message",
]
