"""The scheduler's shortcuts against the plain steps they stand for: the same results, the same random draws.

``select_host`` finds the ties of the running best with array operations and
draws for them with ``getrandbits`` the way ``randrange`` does; upstream's
``selectHost`` (``pkg/scheduler/schedule_one.go``) walks every node score and
calls ``rand.Intn(cntOfMaxScore)`` at each tie, which the node-by-node walk
here does with ``randrange``.  ``Cache.update_pod`` keeps a bound pod's
accounting when an update changes nothing the cache sums; upstream's
``cacheImpl.updatePod`` (``pkg/scheduler/backend/cache/cache.go``) removes the
old pod and adds the new one, which ``Cache.add_pod`` does here.  Both
shortcuts must leave nothing that could tell them from the plain step.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from kcourse.sim.scheduler import Cache
from kcourse.sim.scheduler.framework.types import NodeInfo, PodInfo
from kcourse.sim.scheduler.schedule_one import (
    _ARRAY_SELECT_MIN,
    _compact,
    _compact_columns,
    _select_ties,
    _select_walk,
    select_host,
)


class _Fw:
    def __init__(self, rng):
        self.rng = rng


class OwnRandom(random.Random):
    """A subclass drawing its own way (``random()`` only): ``randrange`` then never uses getrandbits."""

    def random(self):
        return super().random()


def random_totals(r: random.Random) -> list[int]:
    n = r.randrange(1, 400)
    spread = r.choice([1, 2, 3, 5, 50, 10_000])
    totals = [r.randrange(spread) for _ in range(n)]
    if r.random() < 0.3:
        totals.sort()
    elif r.random() < 0.2:
        totals.sort(reverse=True)
    return totals


@pytest.mark.parametrize("rng_class", [random.Random, OwnRandom])
def test_the_array_selection_picks_and_draws_as_the_walk(rng_class):
    r = random.Random(17)
    for _ in range(3000):
        totals = random_totals(r)
        seed = r.randrange(2**32)
        walk_rng, tie_rng = rng_class(seed), rng_class(seed)
        chosen = _select_walk(totals, walk_rng)
        assert _select_ties(np.array(totals, dtype=np.int64), tie_rng) == chosen
        assert tie_rng.getstate() == walk_rng.getstate()
        assert _select_ties(np.array(totals, dtype=np.int64), None) == _select_walk(totals, None)


@pytest.mark.parametrize("seed", range(8))
def test_the_walk_draws_randrange_of_the_tie_count_at_each_tie(seed):
    """Upstream's reservoir sampling, spelled out: the draws to make, in order, and the choice they give."""
    totals = [3, 5, 5, 2, 5, 7, 7, 7, 1, 7]
    draws = random.Random(seed)
    got = [draws.randrange(n) for n in (2, 3, 2, 3, 4)]  # ties of 5 (rows 2, 4), then of 7 (rows 6, 7, 9)
    expected = 5  # 7 took the lead at row 5
    for row, draw in zip((6, 7, 9), got[2:]):
        if draw == 0:
            expected = row
    walk_rng, tie_rng = random.Random(seed), random.Random(seed)
    assert _select_walk(totals, walk_rng) == expected
    assert _select_ties(np.array(totals, dtype=np.int64), tie_rng) == expected
    assert walk_rng.getstate() == tie_rng.getstate() == draws.getstate()


def test_select_host_takes_either_path_with_the_same_result():
    r = random.Random(3)
    for _ in range(400):
        totals = [r.choice([10, 11, 11]) for _ in range(r.randrange(1, 3 * _ARRAY_SELECT_MIN))]
        nodes = [NodeInfo(f"node-{i}") for i in range(len(totals))]
        seed = r.randrange(2**32)
        a, b = random.Random(seed), random.Random(seed)
        as_list = select_host(_Fw(a), nodes, totals)
        as_array = select_host(_Fw(b), nodes, np.array(totals, dtype=np.int64))
        assert as_list == as_array == nodes[_select_walk(totals, random.Random(seed))].name
        assert a.getstate() == b.getstate()


def test_totals_beyond_int64_are_walked():
    totals = [2**70, 2**70 + 1, 2**70 + 1] * _ARRAY_SELECT_MIN
    nodes = [NodeInfo(f"n{i}") for i in range(len(totals))]
    rng = random.Random(1)
    assert select_host(_Fw(rng), nodes, totals) == nodes[_select_walk(totals, random.Random(1))].name
    assert rng.getstate() != random.Random(1).getstate()


def test_the_score_columns_are_compacted_together_as_one_by_one():
    r = random.Random(4)
    for _ in range(300):
        n = r.randrange(0, 50)
        columns = {
            f"P{i}": np.array([r.randrange(-300, 300) * r.choice([1, 7]) for _ in range(n)], dtype=np.int64)
            for i in range(r.randrange(0, 5))
        }
        if columns and r.random() < 0.3:
            columns["Listed"] = [r.randrange(100) for _ in range(n)]
        together = _compact_columns(columns)
        assert list(together) == list(columns)
        assert together == {p: _compact(c) for p, c in columns.items()}


@pytest.mark.parametrize("big", [2**31, -(2**31) - 1, 2**40])
def test_a_score_beyond_32_bits_fails_the_same_together_or_alone(big):
    columns = {"A": np.array([1, 2, 3], dtype=np.int64), "B": np.array([4, big, 6], dtype=np.int64)}
    with pytest.raises(OverflowError):
        _compact(columns["B"])
    with pytest.raises(OverflowError):
        _compact_columns(columns)


# --- Cache.update_pod against remove + add ---------------------------------------------------------------


def node(name: str, zone: str) -> dict:
    return {
        "metadata": {"name": name, "labels": {"topology.kubernetes.io/zone": zone}},
        "spec": {},
        "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "20Gi"}},
    }


def pod(r: random.Random, name: str, nodes: list[str]) -> dict:
    resources = {"requests": {"cpu": r.choice(["100m", "250m"]), "memory": "64Mi"}}
    container: dict = {"name": "c", "image": "nginx", "resources": resources}
    if r.random() < 0.05:
        container["ports"] = [{"containerPort": 80, "hostPort": 8080}]
    return {
        "metadata": {
            "name": name,
            "namespace": r.choice(["default", "team"]),
            "labels": {"app": r.choice(["web", "api", "db", f"solo-{name}"])},
            "resourceVersion": "1",
        },
        "spec": {"nodeName": r.choice(nodes), "containers": [container], "priority": 0},
        "status": {"phase": "Pending"},
    }


def changed(r: random.Random, old: dict, nodes: list[str]) -> dict:
    """The next version of a bound pod: mostly a status write, sometimes more."""
    new = {**old, "metadata": dict(old["metadata"]), "status": dict(old["status"])}
    new["metadata"]["resourceVersion"] = str(int(old["metadata"]["resourceVersion"]) + 1)
    what = r.random()
    if what < 0.6:
        new["status"]["phase"] = r.choice(["Pending", "Running"])
    elif what < 0.7:
        new["metadata"]["labels"] = {"app": r.choice(["web", "api", "db"])}
    elif what < 0.78:
        new["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    elif what < 0.86:
        spec = dict(old["spec"])
        c = dict(spec["containers"][0])
        c["resources"] = {"requests": {"cpu": r.choice(["100m", "250m", "1"]), "memory": "64Mi"}}
        spec["containers"] = [c]
        new["spec"] = spec
    elif what < 0.9:
        new["spec"] = {**old["spec"], "nodeName": r.choice(nodes)}
    return new


def cache_facts(cache: Cache) -> tuple:
    """Everything the cache holds, orders included, and which pod object each PodInfo carries."""
    table = cache.table
    return (
        [
            (
                name,
                ni.node is not None,
                [(k, id(pi.pod), pi.requests, pi.terminating, pi._group) for k, pi in ni.pods.items()],
                ni.requested,
                ni.non_zero_requested,
                list(ni.used_ports.items()),
            )
            for name, ni in cache.nodes.items()
        ],
        list(cache.pod_nodes.items()),
        [(g, list(c.items())) for g, c in cache.group_nodes.items()],
        list(cache._group_labels.items()),
        [(k, groups) for k, (_, groups) in cache._selections.items()],
        dict(table.slots),
        table.ints.tolist(),
        table.flags.tolist(),
        [(g, c.tolist()) for g, c in table.group_counts.items()],
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_updating_a_bound_pod_leaves_the_cache_as_removing_and_adding_it(seed):
    from kcourse.sim.labels import Selector

    r = random.Random(seed)
    names = [f"node-{i}" for i in range(6)]
    plain, quick = Cache(), Cache()
    for i, name in enumerate(names):
        for c in (plain, quick):
            c.add_node(node(name, f"z{i % 2}"))
    pods: dict[str, dict] = {}
    for step in range(1500):
        what = r.random()
        if what < 0.15 or not pods:
            p = pod(r, f"p{step}", names)
            pods[p["metadata"]["name"]] = p
            for c in (plain, quick):
                c.add_pod(p)
        elif what < 0.2:
            p = pods.pop(r.choice(sorted(pods)))
            for c in (plain, quick):
                c.remove_pod(f"{p['metadata']['namespace']}/{p['metadata']['name']}")
        elif what < 0.22:
            gone = r.choice(names)
            for c in (plain, quick):
                c.remove_node(node(gone, "z0"))
            if r.random() < 0.5:
                for c in (plain, quick):
                    c.add_node(node(gone, "z1"))
        else:
            name = r.choice(sorted(pods))
            p = pods[name] = changed(r, pods[name], names)
            plain.add_pod(p)
            quick.update_pod(p)
        if step % 50 == 0:  # a selection that later groups join
            selector = Selector([("app", "=", (r.choice(["web", "api", "db"]),))])
            for c in (plain, quick):
                c.matching_counts(selector, "default")
        assert cache_facts(quick) == cache_facts(plain)


def pod_info_facts(pi: PodInfo) -> tuple:
    return tuple((name, getattr(pi, name)) for name in PodInfo.__slots__)


def test_a_renewed_pod_info_is_the_pod_info_of_the_new_version():
    """Shared facts when the spec object is shared, recomputed otherwise: PodInfo(new) either way."""
    r = random.Random(9)
    names = ["a", "b"]
    for i in range(400):
        old = pod(r, f"p{i}", names)
        new = changed(r, old, names)
        if r.random() < 0.1:
            new["metadata"]["name"] = "other"
        if r.random() < 0.1:
            new["spec"] = dict(new["spec"], priority=7)
        assert pod_info_facts(PodInfo(old).renewed(new)) == pod_info_facts(PodInfo(new))
