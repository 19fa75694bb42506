"""One scheduling cycle: find the nodes that fit, score them, pick one (``pkg/scheduler/schedule_one.go``).

:func:`schedule_pod` is upstream's ``schedulePod``: PreFilter, then Filter on
each node (:func:`find_nodes_that_fit_pod`; the first failing plugin gives
the node's reason), PostFilter when no node fits (DefaultPreemption), then
PreScore, Score, NormalizeScore and × weight (``prioritizeNodes``) and
:func:`select_host` (highest total; ties broken by reservoir sampling with
the cluster's seeded RNG).  A :class:`CycleResult` is what the cycle decided
and why, which ``scheduler.decisions`` keeps.

Not every node is filtered: with 100 nodes or more the cycle stops once it
has found :func:`num_feasible_nodes_to_find` feasible ones (50% minus 1% per
125 nodes, at least 5%, at least 100 nodes), searching round-robin from where
the previous cycle stopped — the real ``percentageOfNodesToScore``.

Filter and Score normally run as array operations over the scheduler's node
table (:class:`NodeView`); the nodes the arrays cannot vouch for — a taint,
a cordon, a shortfall whose reason must be told, an unusual pod — go through
the plugins one node at a time, and the walk, the counts, the tie-break and
the rotation are the same on both paths.

Simplified: a pod with ``status.nominatedNodeName`` is tried on that node
first and bound there if it fits, without scoring (upstream also checks that
no higher-priority pod is nominated to it); "no nodes available to schedule
pods" is an Error status, as upstream.
"""

from __future__ import annotations

import itertools
import random
from array import array
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .framework.cycle_state import CycleState
from .framework.interface import Status
from .framework.types import NodeInfo, PodInfo, fit_error_message, histogram_message
from .node_table import NodeView

if TYPE_CHECKING:
    from .framework.runtime import Framework

__all__ = [
    "CycleResult",
    "find_nodes_that_fit_pod",
    "num_feasible_nodes_to_find",
    "schedule_pod",
    "select_host",
]

MIN_FEASIBLE_NODES_TO_FIND = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5


def num_feasible_nodes_to_find(num_all_nodes: int, percentage: int = 0) -> int:
    """How many feasible nodes a cycle looks for, as upstream ``numFeasibleNodesToFind``.

    Small clusters are searched whole; bigger ones only until enough feasible
    nodes are found, so a cycle's cost does not grow with the cluster.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    if percentage == 0:
        percentage = 50 - num_all_nodes // 125
        percentage = max(percentage, MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND)
    num_nodes = num_all_nodes * percentage // 100
    return max(num_nodes, MIN_FEASIBLE_NODES_TO_FIND)


class CycleResult:
    """What one cycle decided (``ScheduleResult`` plus the diagnosis).

    ``scores`` (node → plugin → weighted score) and ``total`` (node → sum)
    are built when first read: a cycle keeps the scored NodeInfos (the list
    it scored, not a copy of their names) and one compact array per plugin
    over them (``scored``), as most results are never read plugin by plugin,
    and ``scheduler.decisions`` holds a thousand of them.
    ``state`` is the cycle's CycleState, which the binding cycle (Reserve,
    Bind) reads; the Scheduler drops it once the pod is bound or requeued.
    """

    def __init__(
        self,
        node: str | None,
        feasible: int,
        evaluated: int,
        statuses: dict[str, Status],
        scores: dict[str, dict[str, int]] | None = None,
        total: dict[str, int] | None = None,
        message: str = "",
        unschedulable_plugins: set[str] | None = None,
        nominated: str | None = None,
        victims: list[PodInfo] | None = None,
        error: bool = False,
        *,
        scored: tuple[list[NodeInfo], dict[str, array]] | None = None,
        state: CycleState | None = None,
    ):
        self.node = node
        self.feasible = feasible
        self.evaluated = evaluated
        self.statuses = statuses
        self.message = message
        self.unschedulable_plugins = unschedulable_plugins if unschedulable_plugins is not None else set()
        self.nominated = nominated
        self.victims = victims if victims is not None else []
        self.error = error
        self.state = state
        self._scored = scored or ([], {})
        if scores is not None:
            self.scores = scores
        if total is not None:
            self.total = total

    @cached_property
    def scores(self) -> dict[str, dict[str, int]]:
        names, columns = self._scored_names(), self._scored[1]
        return {
            name: {plugin: column[i] for plugin, column in columns.items()} for i, name in enumerate(names)
        }

    @cached_property
    def total(self) -> dict[str, int]:
        names, columns = self._scored_names(), self._scored[1]
        return dict(zip(names, map(sum, zip(*columns.values())))) if columns else dict.fromkeys(names, 0)

    def _scored_names(self) -> list[str]:
        """The scored nodes' names, in scoring order (a node's name never changes: read when asked)."""
        return [ni.name for ni in self._scored[0]]

    @property
    def decided_by(self) -> str | None:
        """The plugin whose weighted score differs most between the winner and the runner-up."""
        if self.node is None or len(self.total) < 2:
            return None
        others = sorted((n for n in self.total if n != self.node), key=lambda n: -self.total[n])
        runner = others[0]
        if self.total[runner] == self.total[self.node]:
            return None
        win, run = self.scores[self.node], self.scores[runner]
        best = max(win, key=lambda p: (win[p] - run.get(p, 0), p in win))
        return best if win[best] - run.get(best, 0) > 0 else None

    def decision(self) -> dict:
        """What ``scheduler.decisions`` shows for this cycle."""
        return {
            "node": self.node,
            "scores": self.scores,
            "total": self.total,
            "filtered": {n: st.message() for n, st in sorted(self.statuses.items())},
            "feasible": self.feasible,
            "evaluated": self.evaluated,
            "decided_by": self.decided_by,
        }


def schedule_pod(fw: Framework, pod: dict) -> CycleResult:
    """``schedulePod``: one scheduling cycle up to (not including) Reserve."""
    all_nodes = fw.cache.node_list()
    state = CycleState(PodInfo(pod), all_nodes)
    if not all_nodes:
        return CycleResult(
            None, 0, 0, {}, {}, {}, "no nodes available to schedule pods", error=True, state=state
        )
    pre_result, pre_status, narrowing = fw.run_pre_filter_plugins(state, pod)
    if not pre_status.ok:
        return _pre_filter_failure(fw, state, pod, pre_status)
    candidates = all_nodes
    absent: Status | None = None
    if pre_result is not None:
        candidates = fw.cache.nodes_named(pre_result.node_names)
        absent = Status.unresolvable(f"node(s) didn't satisfy plugin(s) [{' '.join(sorted(narrowing))}]")
    nominated = (pod.get("status") or {}).get("nominatedNodeName")
    if nominated:
        ni = fw.cache.nodes.get(nominated)
        if ni is not None and ni.node is not None and fw.run_filter_plugins(state, pod, ni).ok:
            return CycleResult(nominated, 1, 1, {}, {}, {}, state=state)
    view = fw.node_view(state, candidates)
    feasible, statuses, feasible_view = _find_nodes_that_fit(fw, state, pod, candidates, view)
    evaluated = len(feasible) + len(statuses)
    if not feasible:
        plugins = {st.plugin for st in statuses.values()} | (set(narrowing) if absent else set())
        full = dict(statuses)
        if absent is not None:
            for ni in all_nodes:
                full.setdefault(ni.name, absent)
        result, post_status = fw.run_post_filter_plugins(state, pod, full)
        post_message = "" if post_status.ok else post_status.message()
        message = fit_error_message(len(all_nodes), statuses, absent, post_message)
        return CycleResult(
            None,
            0,
            evaluated,
            full,
            {},
            {},
            message,
            plugins,
            result.nominated_node_name if result else None,
            result.victims if result else None,
            state=state,
        )
    if len(feasible) == 1:
        return CycleResult(feasible[0].name, 1, evaluated, statuses, {}, {}, state=state)
    state.node_view = feasible_view
    pre_score_status = fw.run_pre_score_plugins(state, pod, feasible)
    if not pre_score_status.ok:
        return CycleResult(
            None, 0, evaluated, statuses, {}, {}, pre_score_status.message(), error=True, state=state
        )
    if feasible_view is not None:
        columns, totals = fw.run_score_arrays(state, pod, feasible_view)
    else:
        columns, totals = fw.run_score_plugins(state, pod, feasible)
    compact = _compact_columns(columns)
    return CycleResult(
        select_host(fw, feasible, totals),
        len(feasible),
        evaluated,
        statuses,
        scored=(feasible, compact),
        state=state,
    )


def _compact_columns(columns: Mapping[str, list[int] | np.ndarray]) -> dict[str, array]:
    """``_compact`` of every column; all arrays (the usual case) are checked and converted together."""
    if columns and all(isinstance(column, np.ndarray) for column in columns.values()):
        stacked = np.vstack(list(columns.values()))
        if not stacked.size or -(2**31) <= int(stacked.min()) and int(stacked.max()) < 2**31:
            rows = stacked.astype(np.intc)
            return {plugin: array("i", row.tobytes()) for plugin, row in zip(columns, rows)}
    return {plugin: _compact(column) for plugin, column in columns.items()}


def _compact(column: list[int] | np.ndarray) -> array:
    """One plugin's weighted scores as a compact int array (OverflowError past 32 bits, either way)."""
    if isinstance(column, np.ndarray):
        if not column.size or -(2**31) <= int(column.min()) and int(column.max()) < 2**31:
            return array("i", column.astype(np.intc).tobytes())
        column = column.tolist()
    return array("i", column)


def _pre_filter_failure(fw: Framework, state: CycleState, pod: dict, status: Status) -> CycleResult:
    """A PreFilter rejected the pod outright: every node shares its status, and preemption may still try."""
    if not status.rejected:
        return CycleResult(None, 0, 0, {}, {}, {}, status.message(), error=True, state=state)
    full = {ni.name: status for ni in state.all_nodes}
    result, post_status = fw.run_post_filter_plugins(state, pod, full)
    message = histogram_message(state.num_all_nodes, {}, status.message())
    if not post_status.ok and post_status.message():
        message += f" {post_status.message()}"
    return CycleResult(
        None,
        0,
        0,
        full,
        {},
        {},
        message,
        {status.plugin},
        result.nominated_node_name if result else None,
        result.victims if result else None,
        state=state,
    )


def find_nodes_that_fit_pod(
    fw: Framework, state: CycleState, pod: dict, nodes: list[NodeInfo]
) -> tuple[list[NodeInfo], dict[str, Status]]:
    """``findNodesThatPassFilters``: Filter round-robin from ``next_start_node_index`` until enough fit."""
    feasible, statuses, _ = _find_nodes_that_fit(fw, state, pod, nodes, fw.node_view(state, nodes))
    return feasible, statuses


def _find_nodes_that_fit(
    fw: Framework, state: CycleState, pod: dict, nodes: list[NodeInfo], view: NodeView | None
) -> tuple[list[NodeInfo], dict[str, Status], NodeView | None]:
    """The feasible nodes, the rejected ones' statuses, and the view over the feasible (array path)."""
    n = len(nodes)
    if n == 0:
        return [], {}, None
    if view is not None:
        sure = fw.run_filter_arrays(state, pod, view)
        if sure is not None:
            return _walk_arrays(fw, state, pod, view, sure)
    want = num_feasible_nodes_to_find(n, fw.percentage_of_nodes_to_score)
    feasible: list[NodeInfo] = []
    statuses: dict[str, Status] = {}
    start = fw.next_start_node_index % n
    run_filter_plugins = fw.run_filter_plugins
    for ni in itertools.chain(itertools.islice(nodes, start, None), itertools.islice(nodes, start)):
        st = run_filter_plugins(state, pod, ni)
        if st.ok:
            feasible.append(ni)
            if len(feasible) >= want:
                break
        else:
            statuses[ni.name] = st
    fw.next_start_node_index = (start + len(feasible) + len(statuses)) % n
    return feasible, statuses, None


def _walk_arrays(
    fw: Framework, state: CycleState, pod: dict, view: NodeView, sure: np.ndarray
) -> tuple[list[NodeInfo], dict[str, Status], NodeView]:
    """The same round-robin walk as the per-node loop, with the surely-feasible nodes counted in bulk.

    Only the nodes the arrays could not vouch for are filtered one by one, in walk order, so the
    statuses, the feasible nodes' order and the stopping point are those of the per-node loop.
    """
    nodes = view.nodes
    n = len(nodes)
    want = num_feasible_nodes_to_find(n, fw.percentage_of_nodes_to_score)
    start = fw.next_start_node_index % n
    walk = np.arange(start, start + n)  # walk position → row of the view: start, …, n − 1, 0, …, start − 1
    walk[n - start :] -= n
    sure = sure[walk]
    stop = min(want, n)
    if sure[:stop].all():  # the usual case: the first ``want`` nodes of the walk surely pass, and it stops
        feasible_view = view.subset(walk[:stop])
        fw.next_start_node_index = (start + stop) % n
        return feasible_view.nodes, {}, feasible_view
    counted = np.cumsum(sure)  # surely-feasible nodes among walk positions 0..i
    statuses: dict[str, Status] = {}
    checked: list[int] = []  # walk positions filtered one by one that fit
    run_filter_plugins = fw.run_filter_plugins
    found = 0  # feasible nodes before walk position ``pos``
    pos = 0
    stop = n
    for p in np.flatnonzero(~sure).tolist():
        before = int(counted[p]) - int(counted[pos - 1] if pos else 0)  # surely feasible in [pos, p)
        if found + before >= want:
            stop = int(np.searchsorted(counted, int(counted[pos - 1] if pos else 0) + want - found)) + 1
            found = want
            break
        found += before
        ni = nodes[walk[p]]
        st = run_filter_plugins(state, pod, ni)
        pos = p + 1
        if st.ok:
            checked.append(p)
            found += 1
            if found >= want:
                stop = pos
                break
        else:
            statuses[ni.name] = st
    else:
        rest = int(counted[-1]) - int(counted[pos - 1] if pos else 0)
        if found + rest >= want:
            stop = int(np.searchsorted(counted, int(counted[pos - 1] if pos else 0) + want - found)) + 1
    positions = np.flatnonzero(sure[:stop])
    if checked:
        positions = np.sort(np.concatenate([positions, np.array(checked, dtype=positions.dtype)]))
    feasible_view = view.subset(walk[positions])
    fw.next_start_node_index = (start + stop) % n
    return feasible_view.nodes, statuses, feasible_view


def select_host(fw: Framework, nodes: list[NodeInfo], totals: list[int] | np.ndarray) -> str:
    """``selectHost``: highest total wins; ties by reservoir sampling (each tied node equally likely).

    Walking the totals in order, a total above the best so far takes the lead
    and a total equal to it replaces the leader with probability 1/count (one
    ``randrange(count)`` per tie, as upstream's ``rand.Intn(cntOfMaxScore)``).
    Over a few hundred nodes the ties are found with array operations and only
    they are walked (:func:`_select_ties`); both ways draw the same numbers.
    """
    rng = fw.rng
    if len(totals) >= _ARRAY_SELECT_MIN:
        try:
            column = np.asarray(totals, dtype=np.int64)
        except OverflowError:  # a total beyond int64 (odd nodes scored node by node): walk them
            pass
        else:
            return nodes[_select_ties(column, rng)].name
    return nodes[_select_walk(totals, rng)].name


#: From this many scored nodes on, ``select_host`` finds the ties with numpy (below, a loop is cheaper).
_ARRAY_SELECT_MIN = 32


def _select_walk(totals: list[int] | np.ndarray, rng: random.Random | None) -> int:
    """The reservoir sampling of ``select_host``, node by node: the row of the node chosen."""
    selected = 0
    best = totals[0]
    count = 1
    for i in range(1, len(totals)):
        s = totals[i]
        if s > best:
            selected, best, count = i, s, 1
        elif s == best:
            count += 1
            if rng is not None and rng.randrange(count) == 0:
                selected = i
    return selected


def _select_ties(totals: np.ndarray, rng: random.Random | None) -> int:
    """``_select_walk`` visiting only the ties: the same choice, the same random numbers drawn.

    A *lead* is a row whose total is above every earlier one (row 0 too); a
    *tie* is a row equal to the best before it, and its ``count`` is how many
    rows since the lead share that total, itself included.  The choice is the
    last tie after the last lead that drew 0, else that lead.
    """
    running = np.maximum.accumulate(totals)
    lead = np.empty(len(totals), dtype=bool)
    lead[0] = True
    np.greater(totals[1:], running[:-1], out=lead[1:])
    last_lead = int(np.flatnonzero(lead)[-1])
    if rng is None:
        return last_lead
    equal = totals == running  # the leads and the ties
    ties = np.flatnonzero(equal & ~lead)
    if not ties.size:
        return last_lead
    seen = np.cumsum(equal)  # leads and ties up to each row
    at_lead = np.maximum.accumulate(np.where(lead, seen, 0))  # ... up to the row's lead
    counts = (seen - at_lead + 1)[ties]
    last_zero = -1
    if type(rng) is random.Random:
        # randrange(n) with one positive int is Random._randbelow(n), which for random.Random itself is
        # _randbelow_with_getrandbits (CPython 3.11 random.py): k = n.bit_length() bits, redrawn until
        # below n.  Done inline here, it is the same draws at a fraction of the calls' cost.
        getrandbits = rng.getrandbits
        for i, n in zip(ties.tolist(), counts.tolist()):
            k = n.bit_length()
            r = getrandbits(k)
            while r >= n:
                r = getrandbits(k)
            if not r:
                last_zero = i
    else:  # a subclass may draw differently: ask it
        randrange = rng.randrange
        for i, n in zip(ties.tolist(), counts.tolist()):
            if not randrange(n):
                last_zero = i
    return max(last_lead, last_zero)  # the last tie drawing 0 after the last lead, else that lead
