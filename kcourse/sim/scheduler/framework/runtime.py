"""The Framework: a profile's plugins run at their extension points (``framework/runtime/framework.go``).

A Framework is built from a :class:`Profile` (which plugins, in which order,
with which score weights) and a registry (plugin name → factory).  Each
plugin is instantiated once, with the Framework as its ``handle``, and placed
on the extension points whose Protocol it satisfies — ``isinstance(plugin,
FilterPlugin)`` — in the profile's order.  The ``run_*`` methods are the
extension points; :meth:`Framework.schedule` is one scheduling cycle over them
(``schedule_one.py``).

Per-pod work is done once per cycle, at PreFilter and PreScore (the pod's
requests, tolerations, images, spreading counts), so the per-node Filter and
Score calls stay small; a plugin whose PreFilter (PreScore) returns Skip has
nothing to check (score) for this pod and its Filter (Score) is left out.

A cycle normally decides the nodes with array operations
(:meth:`Framework.run_filter_arrays`, :meth:`Framework.run_score_arrays`)
when every Filter (Score) plugin it runs offers them (``FilterArrays``,
``ScoreArrays``); a pod with unusual constraints, or a node the arrays cannot
vouch for, takes the per-node path, which stays the reference.  Set
``use_node_arrays`` to False to run every cycle node by node (the two give
the same decisions, which the tests check on many random clusters).

Simplified: one profile per scheduler; no Permit, PreBind, PostBind or
PreEnqueue points; Filters run one node after another (upstream runs 16 in
parallel, which changes nothing a learner sees: the nodes are still counted
and reported in order); the Framework is also the plugins' ``handle`` and
holds the round-robin start index that upstream keeps on the Scheduler.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from ...labels import Selector
from ..cache import Cache
from ..node_table import EXACT_LIMIT, NodeView
from ..profile import DEFAULT_PROFILE, Profile
from ..registry import new_in_tree_registry
from ..schedule_one import CycleResult, schedule_pod
from .cycle_state import CycleState
from .interface import (
    SKIP,
    BindPlugin,
    Code,
    FilterArrays,
    FilterPlugin,
    Plugin,
    PostFilterPlugin,
    PostFilterResult,
    PreFilterPlugin,
    PreFilterResult,
    PreScorePlugin,
    QueueSortPlugin,
    ReservePlugin,
    ScoreArrays,
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from .types import NodeInfo

if TYPE_CHECKING:
    from ...apiserver import Client

__all__ = ["Framework"]

#: What Filter returns for a node that fits (shared: a success carries no reasons).
_FEASIBLE = Status()


def _said_by(status: Status, plugin: str) -> Status:
    """``status`` naming the plugin that returned it; the shared SKIP is copied, never changed."""
    if status is SKIP:
        return Status(status.code, [], plugin)
    status.plugin = plugin
    return status


class Framework:
    """The plugins of one profile, placed on their extension points, and the cycle that runs them."""

    def __init__(
        self,
        cache: Cache | None = None,
        rng: random.Random | None = None,
        *,
        percentage_of_nodes_to_score: int = 0,
        default_selector: Callable[[dict], Selector] | None = None,
        profile: Profile | None = None,
        registry: Mapping[str, Callable[[Framework], Plugin]] | None = None,
        client: Client | None = None,
    ):
        self.cache = cache or Cache()
        self.rng = rng
        self.client = client
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self._default_selector = default_selector
        self.profile = profile or DEFAULT_PROFILE
        registry = registry if registry is not None else new_in_tree_registry()
        self.plugins: list[Plugin] = []
        #: Score plugin → its weight in the profile (0 there means 1, as upstream).
        self.weights: dict[str, int] = {}
        for spec in self.profile.plugins:
            factory = registry.get(spec.name)
            if factory is None:
                raise ValueError(
                    f'scheduler plugin "{spec.name}" of profile "{self.profile.scheduler_name}" '
                    f"is not in the registry"
                )
            plugin = factory(self)
            self.plugins.append(plugin)
            if isinstance(plugin, ScorePlugin):
                self.weights[plugin.name] = spec.weight or 1
        self.queue_sort_plugins = [p for p in self.plugins if isinstance(p, QueueSortPlugin)]
        self.pre_filter_plugins = [p for p in self.plugins if isinstance(p, PreFilterPlugin)]
        self.filter_plugins = [p for p in self.plugins if isinstance(p, FilterPlugin)]
        self.post_filter_plugins = [p for p in self.plugins if isinstance(p, PostFilterPlugin)]
        self.pre_score_plugins = [p for p in self.plugins if isinstance(p, PreScorePlugin)]
        self.score_plugins = [p for p in self.plugins if isinstance(p, ScorePlugin)]
        self.reserve_plugins = [p for p in self.plugins if isinstance(p, ReservePlugin)]
        self.bind_plugins = [p for p in self.plugins if isinstance(p, BindPlugin)]
        #: Each Score plugin with its NormalizeScore (if it has ScoreExtensions) and weight, worked out once.
        self._score_plan = [
            (p, p.normalize_score if isinstance(p, ScoreExtensions) else None, self.weights[p.name])
            for p in self.score_plugins
        ]
        if len(self.queue_sort_plugins) != 1:
            raise ValueError(
                f'profile "{self.profile.scheduler_name}" needs exactly one queue sort plugin, '
                f"has {len(self.queue_sort_plugins)}"
            )
        #: Where the next cycle's search for feasible nodes starts (``nextStartNodeIndex``).
        self.next_start_node_index = 0
        #: Decide the common case with array operations over the node table (False: node by node).
        self.use_node_arrays = True
        #: The plugins with an array form by name, found once (a Protocol check is slow on every cycle).
        self._filter_arrays: dict[str, FilterArrays] = {
            p.name: p for p in self.filter_plugins if isinstance(p, FilterArrays)
        }
        self._score_arrays: dict[str, ScoreArrays] = {
            p.name: p for p in self.score_plugins if isinstance(p, ScoreArrays)
        }

    def plugin(self, name: str) -> Plugin:
        """The profile's plugin called ``name`` (KeyError when the profile has none)."""
        for p in self.plugins:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def queue_sort(self) -> QueueSortPlugin:
        return self.queue_sort_plugins[0]

    def default_selector(self, pod: dict) -> Selector:
        """``helper.DefaultSelector``: what PodTopologySpread's system defaults spread a pod's group by."""
        return self._default_selector(pod) if self._default_selector else Selector([])

    # --- the scheduling cycle ------------------------------------------------------------------------------

    def schedule(self, pod: dict) -> CycleResult:
        """One scheduling cycle up to (not including) Reserve: the node to bind to, or why none fits."""
        return schedule_pod(self, pod)

    def run_pre_filter_plugins(
        self, state: CycleState, pod: dict
    ) -> tuple[PreFilterResult | None, Status, list[str]]:
        """PreFilter in order: the nodes the results narrow the cycle to, a rejection if any, who narrowed.

        A Skip leaves the plugin's Filter out of this cycle (``state.filter_plugins``).
        """
        narrowed: frozenset[str] | None = None
        narrowing: list[str] = []
        skip = state.skip_filter_plugins
        for i, p in enumerate(self.pre_filter_plugins):
            answer = p.pre_filter(state, pod)
            if answer is None:
                continue
            if isinstance(answer, PreFilterResult):
                narrowed = answer.node_names if narrowed is None else narrowed & answer.node_names
                narrowing.append(p.name)
            elif answer.skipped:
                skip.add(p.name)
            elif not answer.ok:
                answer = _said_by(answer, p.name)
                # The PreFilters after this one did not run: their Filters have nothing to read (preemption's
                # dry run leaves them out).
                skip.update(later.name for later in self.pre_filter_plugins[i + 1 :])
                state.filter_plugins = [f for f in self.filter_plugins if f.name not in skip]
                return None, answer, [p.name]
        state.filter_plugins = [f for f in self.filter_plugins if f.name not in skip]
        return (None if narrowed is None else PreFilterResult(narrowed)), _FEASIBLE, narrowing

    def run_filter_plugins(self, state: CycleState, pod: dict, ni: NodeInfo) -> Status:
        """Filter plugins in order (those PreFilter did not skip); the first that rejects gives the status."""
        plugins = state.filter_plugins
        for p in self.filter_plugins if plugins is None else plugins:
            st = p.filter(state, pod, ni)
            if st is not None and not st.ok:
                if (
                    not st.rejected
                ):  # a Filter can only accept or reject: anything else is an error, as upstream
                    return Status(Code.ERROR, list(st.reasons), p.name)
                st.plugin = p.name
                return st
        return _FEASIBLE

    def node_view(self, state: CycleState, nodes: list[NodeInfo]) -> NodeView | None:
        """The node table's columns over ``nodes``, or None when this cycle takes the per-node path.

        The arrays are exact only for requests within ``EXACT_LIMIT``: a pod asking for more goes
        node by node, as does a cycle when some Filter it runs has no ``filter_nodes``.
        """
        if not self.use_node_arrays or not nodes:
            return None
        plugins = self.filter_plugins if state.filter_plugins is None else state.filter_plugins
        if not all(p.name in self._filter_arrays for p in plugins):
            return None
        pi = state.pod_info
        if not all(0 <= v < EXACT_LIMIT for v in (*pi.requests.values(), *pi.non_zero.values())):
            return None
        cache = self.cache
        if nodes is state.all_nodes:
            return NodeView(cache.table, nodes, cache.node_slots(), cache.node_objects())
        return NodeView(cache.table, nodes, cache.table.slots_of(nodes))

    def run_filter_arrays(self, state: CycleState, pod: dict, view: NodeView) -> np.ndarray | None:
        """Filter over the view at once: True where every Filter surely passes (the rest go node by node)."""
        plugins = self.filter_plugins if state.filter_plugins is None else state.filter_plugins
        sure = ~view.flag("odd")
        arrays = self._filter_arrays
        for p in plugins:
            mask = arrays[p.name].filter_nodes(state, pod, view)  # each has one: see filter_view
            if mask is None:
                return None
            sure &= mask
        return sure

    def run_post_filter_plugins(
        self, state: CycleState, pod: dict, statuses: dict[str, Status]
    ) -> tuple[PostFilterResult | None, Status]:
        """PostFilter in order until one succeeds (or gives up for good); else the rejections, merged."""
        result: PostFilterResult | None = None
        reasons: list[str] = []
        for p in self.post_filter_plugins:
            r, st = p.post_filter(state, pod, statuses)
            if st.ok or not st.rejected or st.code == Code.UNSCHEDULABLE_AND_UNRESOLVABLE:
                return r, st if st.plugin else _said_by(st, p.name)
            result = r or result
            reasons += st.reasons
        return result, Status.unschedulable(*reasons)

    def run_pre_score_plugins(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> Status:
        """PreScore in order; a Skip leaves the plugin's Score out of this cycle."""
        for p in self.pre_score_plugins:
            st = p.pre_score(state, pod, nodes)
            if st is None:
                continue
            if st.skipped:
                state.skip_score_plugins.add(p.name)
            elif not st.ok:
                return _said_by(st, p.name)
        return _FEASIBLE

    def run_score_plugins(
        self, state: CycleState, pod: dict, nodes: list[NodeInfo]
    ) -> tuple[dict[str, list[int]], list[int]]:
        """Score, NormalizeScore, × weight: one list per plugin over ``nodes``, and the totals per node."""
        columns: dict[str, list[int]] = {}
        skipped = state.skip_score_plugins
        for p, normalize, weight in self._score_plan:
            if p.name in skipped:
                continue
            score = p.score
            raw = [score(state, pod, ni) for ni in nodes]
            if normalize is not None:
                normalize(state, pod, raw)
            columns[p.name] = [s * weight for s in raw]
        totals = list(map(sum, zip(*columns.values()))) if columns else [0] * len(nodes)
        return columns, totals

    def run_score_arrays(
        self, state: CycleState, pod: dict, view: NodeView
    ) -> tuple[Mapping[str, np.ndarray | list[int]], list[int] | np.ndarray]:
        """``run_score_plugins`` over the view's nodes with array operations where the plugins offer them.

        A plugin without ``score_nodes`` (or declining) is scored node by node, as in the per-node path;
        its column is a list, the others' int64 arrays (and then so are the totals).
        """
        if view.flag("odd").any():
            return self.run_score_plugins(state, pod, view.nodes)
        columns: dict[str, np.ndarray | list[int]] = {}
        skipped = state.skip_score_plugins
        for p, normalize, weight in self._score_plan:
            if p.name in skipped:
                continue
            plugin = self._score_arrays.get(p.name)
            scores = None if plugin is None else plugin.score_nodes(state, pod, view)
            if scores is None or abs(weight) >= EXACT_LIMIT // 1024:
                score = p.score
                raw = [score(state, pod, ni) for ni in view.nodes]
                if normalize is not None:
                    normalize(state, pod, raw)
                columns[p.name] = [s * weight for s in raw]
            else:
                columns[p.name] = scores * weight
        if not columns:
            return {}, [0] * len(view)
        arrays = [col for col in columns.values() if isinstance(col, np.ndarray)]
        if len(arrays) == len(columns):
            total = np.zeros(len(view), dtype=np.int64)
            for col in arrays:
                total += col
            return columns, total
        lists = [col if isinstance(col, list) else col.tolist() for col in columns.values()]
        return columns, list(map(sum, zip(*lists)))

    # --- the binding cycle ---------------------------------------------------------------------------------

    def run_reserve_plugins_reserve(self, state: CycleState, pod: dict, node_name: str) -> Status:
        """Reserve in order; the first failure stops (the caller then runs Unreserve)."""
        for p in self.reserve_plugins:
            st = p.reserve(state, pod, node_name)
            if st is not None and not st.ok:
                return _said_by(st, p.name)
        return _FEASIBLE

    def run_reserve_plugins_unreserve(self, state: CycleState, pod: dict, node_name: str) -> None:
        """Unreserve in reverse order, as upstream: undo what Reserve claimed."""
        for p in reversed(self.reserve_plugins):
            p.unreserve(state, pod, node_name)

    def run_bind_plugins(self, state: CycleState, pod: dict, node_name: str) -> Status:
        """Bind plugins in order until one does not Skip: its status is the bind's."""
        for p in self.bind_plugins:
            st = p.bind(state, pod, node_name)
            if st is not None and st.skipped:
                continue
            if st is not None and not st.ok:
                return _said_by(st, p.name)
            return _FEASIBLE
        return SKIP
