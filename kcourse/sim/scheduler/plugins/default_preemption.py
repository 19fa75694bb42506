"""DefaultPreemption: when no node fits, make room by evicting lower-priority pods from one node.

Upstream: ``pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go``
and the evaluator in ``pkg/scheduler/framework/preemption/preemption.go``.
The PostFilter runs with every node's Filter status.  Nodes whose rejection
is UnschedulableAndUnresolvable (a taint, a selector) are not candidates:
evicting pods cannot help there.  On each other node, from a random offset,
it removes every pod of lower priority, re-runs the Filters, then adds the
pods back most important first while the pod still fits: the ones it could
not add back are the victims.  Of the candidates the node whose victims have
the lowest highest priority wins (then the lowest sum, then the fewest).
The pod is *nominated* to that node (``status.nominatedNodeName``) and tried
again once the victims are gone.  Extension points: PostFilter.

Simplified: PodDisruptionBudgets are not consulted; the candidates are
compared on priorities and counts only (not on the victims' start times);
the Scheduler evicts the victims after the cycle, by marking them
``DisruptionTarget`` and deleting them.
"""

from __future__ import annotations

from ..framework.cycle_state import CycleState
from ..framework.interface import Code, Plugin, PostFilterPlugin, PostFilterResult, Status
from ..framework.types import NodeInfo, PodInfo, histogram_message

__all__ = ["DefaultPreemption"]


class DefaultPreemption(Plugin):
    """PostFilter: evict lower-priority pods from one node so a higher-priority pod fits there."""

    name = "DefaultPreemption"
    MIN_CANDIDATE_NODES_PERCENTAGE = 10
    MIN_CANDIDATE_NODES_ABSOLUTE = 100

    def post_filter(
        self, state: CycleState, pod: dict, statuses: dict[str, Status]
    ) -> tuple[PostFilterResult | None, Status]:
        """The node to nominate and its victims, or an Unschedulable status saying why not."""
        fw = self.handle
        assert fw is not None
        if (pod["spec"].get("preemptionPolicy") or "PreemptLowerPriority") == "Never":
            return None, Status.unschedulable("preemption: not eligible due to preemptionPolicy=Never.")
        nominated = (pod.get("status") or {}).get("nominatedNodeName")
        unresolvable = Code.UNSCHEDULABLE_AND_UNRESOLVABLE
        if nominated and (statuses.get(nominated) or Status()).code != unresolvable:
            ni = fw.cache.nodes.get(nominated)
            prio = state.pod_info.priority
            if ni is not None and any(p.terminating and p.priority < prio for p in ni.pods.values()):
                return None, Status.unschedulable(
                    "preemption: not eligible due to a terminating pod on the nominated node."
                )
        all_nodes = state.all_nodes
        potential = [ni for ni in all_nodes if (statuses.get(ni.name) or Status()).code != unresolvable]
        node_statuses: dict[str, Status] = {}
        candidates: list[tuple[NodeInfo, list[PodInfo]]] = []
        if potential:
            offset = fw.rng.randrange(len(potential)) if fw.rng is not None else 0
            want = max(
                len(potential) * self.MIN_CANDIDATE_NODES_PERCENTAGE // 100, self.MIN_CANDIDATE_NODES_ABSOLUTE
            )
            for i in range(len(potential)):
                ni = potential[(offset + i) % len(potential)]
                victims, status = self._select_victims(state, pod, ni)
                if status.ok and victims:
                    candidates.append((ni, victims))
                    if len(candidates) >= want:
                        break
                else:
                    node_statuses[ni.name] = status
        if not candidates:
            reasons: dict[str, int] = {}
            for st in node_statuses.values():
                for r in st.reasons:
                    reasons[r] = reasons.get(r, 0) + 1
            absent = len(all_nodes) - len(node_statuses)
            if absent:
                reasons["Preemption is not helpful for scheduling"] = absent
            return None, Status.unschedulable("preemption: " + histogram_message(len(all_nodes), reasons))
        node, victims = min(
            candidates,
            key=lambda c: (max(v.priority for v in c[1]), sum(v.priority for v in c[1]), len(c[1])),
        )
        return PostFilterResult(node.name, victims), Status()

    def _select_victims(self, state: CycleState, pod: dict, ni: NodeInfo) -> tuple[list[PodInfo], Status]:
        """``SelectVictimsOnNode``: remove the lower-priority pods, then reprieve all it can."""
        fw = self.handle
        assert fw is not None
        prio = state.pod_info.priority
        trial = ni.clone()
        potential = [p for p in ni.pods.values() if p.priority < prio]
        if not potential:
            return [], Status.unresolvable("No preemption victims found for incoming pod")
        for p in potential:
            trial.remove_pod(p.key)
        status = fw.run_filter_plugins(state, pod, trial)
        if not status.ok:
            return [], status
        # Reprieve as many as possible, most important first.
        potential.sort(key=lambda p: (-p.priority, p.pod["metadata"].get("creationTimestamp") or ""))
        victims = []
        for p in potential:
            trial.add_pod(p)
            if not fw.run_filter_plugins(state, pod, trial).ok:
                trial.remove_pod(p.key)
                victims.append(p)
        return victims, Status()


#: What the plugin implements, checked by the type checker (``var _ framework.PostFilterPlugin = …``).
_implements: type[PostFilterPlugin] = DefaultPreemption
