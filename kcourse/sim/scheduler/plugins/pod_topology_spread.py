"""PodTopologySpread: keep a group's pods spread over nodes and zones.

Upstream: ``pkg/scheduler/framework/plugins/podtopologyspread/`` (``plugin.go``,
``filtering.go``, ``scoring.go``, ``common.go``).  A ``topologySpreadConstraint``
says how uneven (``maxSkew``) the matching pods may be over the values of a
node label (``topologyKey``).  ``DoNotSchedule`` constraints filter: a node is
rejected when placing the pod there would make its domain exceed the least
loaded one by more than ``maxSkew``.  ``ScheduleAnyway`` constraints score.

A pod without constraints is spread by the system defaults — maxSkew 3 per
hostname and 5 per zone, ScheduleAnyway — over the pods its Services and
ReplicaSet select, which is why replicas of a Deployment land on different
nodes.  The matching pods per node come from the cache's incremental counts
(``Cache.matching_counts``), so PreScore walks only the nodes that hold
matching pods, and Score on a node is a lookup.  Extension points:
PreFilter, Filter, PreScore, Score, NormalizeScore; weight 2 in the default
profile.

Over many nodes at once (``score_nodes``) the same float sums and Go
rounding run as array operations, and the normalisation in int64; on that
path PreScore counts the matching pods per domain from the node table's
label codes and per-group counts (:meth:`PodTopologySpread._pre_score_arrays`)
unless the pod has a node selector or required node affinity.  The
Filter has no array form: a pod with DoNotSchedule constraints is filtered
node by node.

Simplified: ``nodeAffinityPolicy: Honor`` and ``nodeTaintsPolicy: Ignore``
(the defaults) only; ``matchLabelKeys`` is ignored; the system default
selector comes from Services and ReplicaSets (not ReplicationControllers or
StatefulSets).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...labels import Selector, selector_from_spec
from ...nodeaffinity import required_node_affinity, required_node_affinity_matches
from ..framework.cycle_state import CycleState
from ..framework.interface import (
    MAX_NODE_SCORE,
    SKIP,
    FilterPlugin,
    Plugin,
    PreFilterPlugin,
    PreScorePlugin,
    ScoreArrays,
    ScoreExtensions,
    ScorePlugin,
    Status,
)
from ..framework.types import LABEL_HOSTNAME, LABEL_ZONE, ClusterEvent, NodeInfo
from ..node_table import FLAG_COLUMNS

if TYPE_CHECKING:
    from ..node_table import NodeView

__all__ = ["PodTopologySpread", "SpreadConstraint"]

_PRE_FILTER_KEY = "PreFilterPodTopologySpread"
_PRE_SCORE_KEY = "PreScorePodTopologySpread"
_PRE_SCORE_ARRAYS_KEY = "PreScorePodTopologySpread/arrays"


@dataclass
class SpreadConstraint:
    """One constraint as the plugin uses it: the label selector parsed, the defaults applied."""

    max_skew: int
    topology_key: str
    selector: Selector
    min_domains: int = 1


def _round_half_away(x: float) -> int:
    """Go's ``math.Round`` (halves away from zero), unlike Python's banker's rounding."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


class PodTopologySpread(Plugin):
    """Filter: DoNotSchedule constraints (skew ≤ maxSkew).  Score: ScheduleAnyway (and system defaults)."""

    name = "PodTopologySpread"
    events = frozenset(
        {
            ClusterEvent.NODE_ADD,
            ClusterEvent.NODE_LABEL_CHANGE,
            ClusterEvent.ASSIGNED_POD_ADD,
            ClusterEvent.ASSIGNED_POD_UPDATE,
            ClusterEvent.ASSIGNED_POD_DELETE,
        }
    )
    reason = "node(s) didn't match pod topology spread constraints"
    reason_label = "node(s) didn't match pod topology spread constraints (missing required label)"
    SYSTEM_DEFAULTS = ((3, LABEL_HOSTNAME), (5, LABEL_ZONE))

    def _constraints(self, pod: dict, action: str) -> list[SpreadConstraint]:
        out = []
        for c in pod["spec"].get("topologySpreadConstraints") or []:
            if (c.get("whenUnsatisfiable") or "DoNotSchedule") == action:
                out.append(
                    SpreadConstraint(
                        int(c.get("maxSkew") or 1),
                        c["topologyKey"],
                        selector_from_spec(c.get("labelSelector")),
                        int(c.get("minDomains") or 1),
                    )
                )
        return out

    def _default_constraints(self, pod: dict) -> list[SpreadConstraint]:
        selector = self.handle.default_selector(pod) if self.handle else Selector([])
        if selector.empty():
            return []
        return [SpreadConstraint(skew, key, selector) for skew, key in self.SYSTEM_DEFAULTS]

    def _eligible(
        self, pod: dict, ni: NodeInfo, constraints: list[SpreadConstraint], require_all: bool
    ) -> bool:
        if ni.node is None or not required_node_affinity_matches(pod, ni.node):
            return False
        return not require_all or all(c.topology_key in ni.labels for c in constraints)

    def _matching(self, c: SpreadConstraint, namespace: str) -> Mapping[str, int]:
        return self.handle.cache.matching_counts(c.selector, namespace) if self.handle else {}

    def pre_filter(self, state: CycleState, pod: dict) -> Status | None:
        constraints = self._constraints(pod, "DoNotSchedule")
        state.write(_PRE_FILTER_KEY, None)
        if not constraints:
            return SKIP
        ns = state.pod_info.namespace
        matching = [self._matching(c, ns) for c in constraints]
        counts: list[dict[str, int]] = [{} for _ in constraints]
        for ni in state.all_nodes:
            if not self._eligible(pod, ni, constraints, True):
                continue
            for i, c in enumerate(constraints):
                value = ni.labels[c.topology_key]
                counts[i][value] = counts[i].get(value, 0) + matching[i].get(ni.name, 0)
        labels = state.pod_info.labels
        state.write(
            _PRE_FILTER_KEY,
            [
                (
                    c,
                    per_domain,
                    min(per_domain.values(), default=0) if len(per_domain) >= c.min_domains else 0,
                    1 if c.selector.matches(labels) else 0,
                )
                for c, per_domain in zip(constraints, counts)
            ],
        )
        return None

    def filter(self, state: CycleState, _pod: dict, ni: NodeInfo) -> Status | None:
        pre = state.get(_PRE_FILTER_KEY)
        if not pre:
            return None
        for c, per_domain, minimum, self_match in pre:
            value = ni.labels.get(c.topology_key)
            if value is None:
                return Status.unresolvable(self.reason_label)
            if per_domain.get(value, 0) + self_match - minimum > c.max_skew:
                return Status.unschedulable(self.reason)
        return None

    def pre_score(self, state: CycleState, pod: dict, nodes: list[NodeInfo]) -> Status | None:
        """Count matching pods per zone-like domain; Skip when there is no soft constraint."""
        explicit = bool(pod["spec"].get("topologySpreadConstraints"))
        constraints = self._constraints(pod, "ScheduleAnyway") if explicit else self._default_constraints(pod)
        if not constraints:
            return SKIP
        spec = pod["spec"]
        any_node = not spec.get("nodeSelector") and not required_node_affinity(pod)
        view = state.node_view
        if view is not None and view.nodes is nodes and any_node and self.handle is not None:
            self._pre_score_arrays(state, constraints, explicit, view)
            return None
        require_all = explicit
        ignored = (
            {ni.name for ni in nodes if not all(c.topology_key in ni.labels for c in constraints)}
            if require_all
            else set()
        )
        pairs: list[dict[str, int]] = [{} for _ in constraints]
        for i, c in enumerate(constraints):
            if c.topology_key == LABEL_HOSTNAME:
                continue  # a node is its own domain: Score looks its count up directly
            key = c.topology_key
            values = {ni.labels.get(key) for ni in nodes if ni.name not in ignored}
            pairs[i] = dict.fromkeys((v for v in values if v is not None), 0)
        ns = state.pod_info.namespace
        matching = [self._matching(c, ns) for c in constraints]
        # Pods on nodes outside the sampled ones count too: every eligible node holding matching pods.
        cache_nodes = self.handle.cache.nodes if self.handle else {}
        keys = [c.topology_key for c in constraints]
        for i, c in enumerate(constraints):
            domains = pairs[i]
            if not domains:
                continue
            key = c.topology_key
            for name, count in matching[i].items():
                holder = cache_nodes.get(name)
                if holder is None or holder.node is None:
                    continue
                value = holder.labels.get(key)
                if value is None or value not in domains:
                    continue
                # _eligible, its checks reordered: the cheap ones first.
                if (any_node or required_node_affinity_matches(pod, holder.node)) and (
                    not require_all or all(k in holder.labels for k in keys)
                ):
                    domains[value] += count
        terms = []
        for i, c in enumerate(constraints):
            host = c.topology_key == LABEL_HOSTNAME
            size = len(nodes) - len(ignored) if host else len(pairs[i])
            terms.append(
                (c.topology_key, host, matching[i] if host else pairs[i], math.log(size + 2), c.max_skew - 1)
            )
        skips = [ni.name in ignored for ni in nodes] if ignored else None
        state.write(_PRE_SCORE_KEY, (terms, ignored, skips))
        return None

    def _pre_score_arrays(
        self, state: CycleState, constraints: list[SpreadConstraint], require_all: bool, view: NodeView
    ) -> None:
        """``pre_score`` for a pod any node may take, from the node table: the same terms, and counts by node.

        Every node the table knows is a holder candidate (present, with every key when ``require_all``);
        the matching pods per domain are summed with ``bincount`` over the group counts by slot.
        """
        assert self.handle is not None
        cache = self.handle.cache
        table = view.table
        nodes, slots = view.nodes, view.slots
        columns = [table.label_codes(c.topology_key) for c in constraints]
        eligible = table.flags[FLAG_COLUMNS.index("present")].copy()
        missing = np.zeros(len(nodes), dtype=bool)
        if require_all:
            for codes, _ in columns:
                missing |= codes[slots] < 0
                eligible &= codes >= 0
        ignored = {nodes[i].name for i in np.flatnonzero(missing).tolist()}
        skips = missing.tolist() if ignored else None
        ns = state.pod_info.namespace
        terms, per_node = [], []
        for c, (codes, values) in zip(constraints, columns):
            counts = cache.matching_array(c.selector, ns)
            mine = codes[slots]
            if c.topology_key == LABEL_HOSTNAME:
                size = len(nodes) - len(ignored)
                weight = math.log(size + 2)
                terms.append((c.topology_key, True, self._matching(c, ns), weight, c.max_skew - 1))
                per_node.append(np.where(mine >= 0, counts[slots], -1))
                continue
            # The codes of the view's domains, ascending (np.unique's answer, without its sort).
            domains = np.flatnonzero(np.bincount(mine[(mine >= 0) & ~missing], minlength=len(values)))
            held = eligible & (codes >= 0)
            sums = np.bincount(codes[held], weights=counts[held], minlength=len(values)).astype(np.int64)
            pairs = dict(zip((values[k] for k in domains.tolist()), sums[domains].tolist()))
            terms.append((c.topology_key, False, pairs, math.log(len(pairs) + 2), c.max_skew - 1))
            in_domains = np.zeros(len(values) + 1, dtype=np.int64)  # code → its domain's count (-1 → last)
            in_domains[domains] = sums[domains]
            per_node.append(np.where(mine >= 0, in_domains[mine], -1))
        state.write(_PRE_SCORE_KEY, (terms, ignored, skips))
        state.write(_PRE_SCORE_ARRAYS_KEY, per_node)

    def score(self, state: CycleState, _pod: dict, ni: NodeInfo) -> int:
        terms, ignored, _ = state.read(_PRE_SCORE_KEY)
        if ignored and ni.name in ignored:
            return 0
        total = 0.0
        for key, host, counts, weight, extra in terms:
            value = ni.labels.get(key)
            if value is None:
                continue
            count = counts.get(ni.name if host else value, 0)
            total += count * weight + extra
        return _round_half_away(total)

    def normalize_score(self, state: CycleState, _pod: dict, scores: list[int]) -> None:
        ignored = state.read(_PRE_SCORE_KEY)[2]
        valid = scores if ignored is None else [s for s, skip in zip(scores, ignored) if not skip]
        low, high = min(valid, default=0), max(valid, default=0)
        if high == 0:
            normalized = [MAX_NODE_SCORE] * len(scores)
        else:
            normalized = [MAX_NODE_SCORE * (high + low - s) // high for s in scores]
        if ignored is not None:
            normalized = [0 if skip else s for s, skip in zip(normalized, ignored)]
        scores[:] = normalized

    def score_nodes(self, state: CycleState, _pod: dict, nodes: NodeView) -> np.ndarray:
        """``score`` then ``normalize_score`` on every node at once, with the same float sums and rounding."""
        terms, _, skips = state.read(_PRE_SCORE_KEY)
        infos = nodes.nodes
        per_node = state.get(_PRE_SCORE_ARRAYS_KEY)
        total = np.zeros(len(infos))
        for i, (key, host, counts, weight, extra) in enumerate(terms):
            # A node without the label adds nothing (-1 here); the others add count × weight + (maxSkew − 1).
            if per_node is not None:
                count = per_node[i]
            elif host:
                count = np.array(
                    [-1 if ni.labels.get(key) is None else counts.get(ni.name, 0) for ni in infos],
                    dtype=np.int64,
                )
            else:
                count = np.array(
                    [-1 if (v := ni.labels.get(key)) is None else counts.get(v, 0) for ni in infos],
                    dtype=np.int64,
                )
            total = total + np.where(count >= 0, count * weight + extra, 0.0)
        # Go's math.Round: halves away from zero.
        raw = np.where(total >= 0, np.floor(total + 0.5), -np.floor(-total + 0.5)).astype(np.int64)
        skip = None if skips is None else np.array(skips, dtype=bool)
        valid = raw if skip is None else raw[~skip]
        low, high = (int(valid.min()), int(valid.max())) if valid.size else (0, 0)
        if high == 0:
            normalized = np.full(len(infos), MAX_NODE_SCORE, dtype=np.int64)
        else:
            normalized = MAX_NODE_SCORE * (high + low - raw) // high
        if skip is not None:
            normalized[skip] = 0
        return normalized


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.FilterPlugin = …``).
_implements: tuple[
    type[PreFilterPlugin],
    type[FilterPlugin],
    type[PreScorePlugin],
    type[ScorePlugin],
    type[ScoreExtensions],
    type[ScoreArrays],
] = (
    PodTopologySpread,
    PodTopologySpread,
    PodTopologySpread,
    PodTopologySpread,
    PodTopologySpread,
    PodTopologySpread,
)
