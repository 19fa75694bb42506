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

import pytest

from kcourse.sim.scheduler import Cache

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
