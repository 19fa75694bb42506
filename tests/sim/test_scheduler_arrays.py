"""The scheduler's array path against its per-node path: the same decisions, cycle after cycle.

A cycle normally filters and scores with array operations over the node table
(``FilterArrays``, ``ScoreArrays``) and sends only the nodes the arrays cannot
vouch for through the plugins one by one.  Two frameworks here see the same
random clusters — nodes added, cordoned, tainted, relabelled, resized and
removed; pods bound, terminating and deleted; pods with tolerations, selectors,
preferred and required affinity, host ports, spread constraints, huge requests —
one with ``use_node_arrays`` off.  Every cycle must give the same feasible
nodes in the same order, the same reasons, per-plugin scores, totals, choice,
FitError message and round-robin start, and draw the same random numbers.

Upstream has no array path (``pkg/scheduler/schedule_one.go``, ``findNodesThatPassFilters``
and ``prioritizeNodes`` run the plugins per node); the per-node path is the reference for it.
"""

from __future__ import annotations

import random

import pytest

from kcourse.sim.labels import Selector
from kcourse.sim.scheduler import LABEL_HOSTNAME, LABEL_ZONE, Cache, Framework
from kcourse.sim.scheduler.node_table import EXACT_LIMIT, FLAG_COLUMNS, INT_COLUMNS, NodeView

APPS = ("web", "api", "db", "cache")
IMAGES = ("nginx:1.25", "redis:7", "registry.local/big:2", "busybox")


def random_node(r: random.Random, name: str, zones: int) -> dict:
    labels = {LABEL_HOSTNAME: name, "disk": r.choice(["ssd", "hdd"])}
    if zones and r.random() < 0.9:
        labels[LABEL_ZONE] = f"z{r.randrange(zones)}"
    taints = []
    if r.random() < 0.08:
        taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    if r.random() < 0.05:
        taints.append({"key": "gpu", "value": "yes", "effect": "NoExecute"})
    if r.random() < 0.15:
        taints.append({"key": "spot", "value": "true", "effect": "PreferNoSchedule"})
    if r.random() < 0.05:
        taints.append({"key": "old", "effect": "PreferNoSchedule"})
    images = [
        {"names": [image], "sizeBytes": r.randrange(1, 1500) * 2**20} for image in IMAGES if r.random() < 0.4
    ]
    if r.random() < 0.02:
        images.append({"names": ["huge:1"], "sizeBytes": 2**70})
    alloc = {
        "cpu": r.choice(["0", "1", "2", "4", "3500m"]),
        "memory": r.choice(["0", "1Gi", "2Gi", "4096Mi"]),
        "pods": r.choice(["0", "3", "8", "110"]),
        "ephemeral-storage": r.choice(["0", "1Gi", "20Gi"]),
    }
    if r.random() < 0.03:
        alloc["memory"] = "9E"  # beyond what int64 arrays handle exactly: the node goes per-node
    spec = {"taints": taints, **({"unschedulable": True} if r.random() < 0.05 else {})}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"allocatable": alloc, "capacity": dict(alloc), "images": images},
    }


def random_pod(r: random.Random, i: int, names: list[str]) -> dict:
    app = r.choice(APPS)
    containers = []
    for c in range(r.choice([1, 1, 2])):
        requests = {
            k: v
            for k, v in (
                ("cpu", r.choice([None, "0", "100m", "500m", "1500m"])),
                ("memory", r.choice([None, "64Mi", "512Mi", "1Gi"])),
                ("ephemeral-storage", r.choice([None, None, "1Gi"])),
            )
            if v
        }
        container = {
            "name": f"c{c}",
            "image": r.choice(IMAGES + ("huge:1",)),
            "resources": {"requests": requests},
        }
        if r.random() < 0.05:
            container["ports"] = [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]
        containers.append(container)
    if r.random() < 0.02:
        containers[0]["resources"]["requests"]["memory"] = "8E"
    spec: dict = {"containers": containers, "priority": 0}
    tolerations = []
    if r.random() < 0.15:
        tolerations.append({"key": "spot", "operator": "Exists"})
    if r.random() < 0.05:
        tolerations.append({"operator": "Exists"})
    if r.random() < 0.05:
        tolerations.append(
            {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}
        )
    if tolerations:
        spec["tolerations"] = tolerations
    if r.random() < 0.05:
        spec["nodeSelector"] = {"disk": "ssd"}
    if r.random() < 0.1:
        spec["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": r.choice([1, 7, 100]),
                        "preference": {
                            "matchExpressions": [{"key": "disk", "operator": "In", "values": ["hdd"]}]
                        },
                    }
                ]
            }
        }
    if r.random() < 0.03:
        spec["nodeName"] = r.choice(names)
    elif r.random() < 0.04:  # a DaemonSet pod: the cycle is narrowed to its node
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": [r.choice(names)]}
                            ]
                        }
                    ]
                }
            }
        }
    if r.random() < 0.15:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": r.choice([1, 2, 4]),
                "topologyKey": r.choice([LABEL_HOSTNAME, LABEL_ZONE, "disk"]),
                "whenUnsatisfiable": r.choice(["DoNotSchedule", "ScheduleAnyway", "ScheduleAnyway"]),
                "labelSelector": {"matchLabels": {"app": app}},
            }
            for _ in range(r.choice([1, 2]))
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"p{i}",
            "namespace": r.choice(["default", "default", "other"]),
            "labels": {"app": app, "tier": r.choice(["a", "b"])},
        },
        "spec": spec,
    }


def by_app(pod: dict) -> Selector:
    """The system default spreading's selector: a Service per app."""
    return Selector([("app", "=", (pod["metadata"]["labels"]["app"],))])


def assert_table_matches_cache(cache: Cache) -> None:
    """The node table's columns say what the NodeInfos and the cache's counts say, slot by slot."""
    table = cache.table
    assert set(table.slots) == set(cache.nodes)
    for name, ni in cache.nodes.items():
        s = table.slots[name]
        present = ni.node is not None
        assert bool(table.flags[FLAG_COLUMNS.index("present"), s]) == present
        if present and not table.flags[FLAG_COLUMNS.index("odd"), s]:
            assert table.ints[INT_COLUMNS.index("pods"), s] == len(ni.pods)
            assert table.ints[INT_COLUMNS.index("requested_cpu"), s] == ni.requested["cpu"]
            assert {k: int(v[s]) for k, v in table.image_sizes.items() if v[s]} == {
                k: v for k, v in ni.images.items() if v
            }
        for key in (LABEL_ZONE, "disk"):
            codes, values = table.label_codes(key)
            assert (values[codes[s]] if codes[s] >= 0 else None) == ni.labels.get(key)
    assert set(table.group_counts) == set(cache.group_nodes)
    for group, counts in cache.group_nodes.items():
        column = table.group_counts[group]
        assert {n: int(column[table.slots[n]]) for n in counts} == counts
        assert int(column.sum()) == sum(counts.values())


def cycle_facts(fw: Framework, result) -> tuple:
    """Everything a cycle decided and showed, in the order it was produced."""
    return (
        result.node,
        result.feasible,
        result.evaluated,
        [(n, st.code, st.plugin, st.message()) for n, st in result.statuses.items()],
        result.scores,
        result.total,
        result.message,
        result.nominated,
        sorted(result.unschedulable_plugins),
        [v.key for v in result.victims],
        result.error,
        fw.next_start_node_index,
    )


class Twins:
    """Two caches and frameworks fed the same events: one on the array path, one node by node."""

    def __init__(self, seed: int, percentage: int):
        self.caches = (Cache(), Cache())
        self.fws = tuple(
            Framework(
                c, random.Random(seed), default_selector=by_app, percentage_of_nodes_to_score=percentage
            )
            for c in self.caches
        )
        self.fws[1].use_node_arrays = False

    def each(self, method: str, obj) -> None:
        for c in self.caches:
            getattr(c, method)(obj)

    def schedule(self, pod: dict):
        a, b = (fw.schedule(pod) for fw in self.fws)
        assert cycle_facts(self.fws[0], a) == cycle_facts(self.fws[1], b)
        assert self.fws[0].rng.getstate() == self.fws[1].rng.getstate()
        return a


@pytest.mark.parametrize(
    ("seed", "n_nodes", "zones", "percentage", "cycles"),
    [
        (1, 12, 0, 0, 200),
        (2, 40, 3, 0, 200),
        (3, 150, 4, 0, 150),
        (4, 260, 3, 0, 120),
        (5, 130, 0, 30, 120),
        (6, 220, 5, 100, 80),
        (7, 120, 2, 7, 150),
    ],
)
def test_the_array_path_decides_every_cycle_as_the_per_node_path(seed, n_nodes, zones, percentage, cycles):
    r = random.Random(seed)
    twins = Twins(seed, percentage)
    nodes = {}
    for i in range(n_nodes):
        node = random_node(r, f"n{i:03}", zones)
        nodes[node["metadata"]["name"]] = node
        twins.each("add_node", node)
    names = sorted(nodes)
    bound: list[dict] = []
    on_array_path = 0
    for i in range(cycles):
        pod = random_pod(r, i, names)
        result = twins.schedule(pod)
        on_array_path += (
            twins.fws[0].node_view(result.state, result.state.all_nodes) is not None
            if result.state is not None and result.state.filter_plugins is not None
            else 0
        )
        if result.node is not None and result.feasible:
            pod["spec"]["nodeName"] = result.node
            twins.each("add_pod", pod)
            bound.append(pod)
        event = r.random()
        if bound and event < 0.15:  # a pod goes away, or starts terminating
            gone = bound[r.randrange(len(bound))]
            if r.random() < 0.5:
                bound.remove(gone)
                twins.each("remove_pod", f"{gone['metadata']['namespace']}/{gone['metadata']['name']}")
            else:
                gone = dict(gone, metadata=dict(gone["metadata"], deletionTimestamp="2024-01-01T00:00:00Z"))
                twins.each("add_pod", gone)
        elif event < 0.25:  # a node changes: cordoned, tainted, relabelled, resized
            name = r.choice(names)
            if name not in nodes:
                continue
            node = random_node(r, name, zones)
            twins.each("add_node", node)
            nodes[name] = node
        elif event < 0.28 and len(nodes) > 2:  # a node goes away (its pods stay accounted until deleted)
            name = r.choice(sorted(nodes))
            twins.each("remove_node", nodes.pop(name))
        elif event < 0.31:  # a node comes (back)
            name = r.choice(names)
            if name not in nodes:
                nodes[name] = random_node(r, name, zones)
                twins.each("add_node", nodes[name])
        if i % 10 == 0:
            assert_table_matches_cache(twins.caches[0])
    assert_table_matches_cache(twins.caches[0])
    assert on_array_path > cycles // 3  # the comparison must be of the two paths, not of one path twice


def test_a_full_cluster_reports_every_nodes_reasons_on_both_paths():
    """Nodes the arrays reject still go one by one, so each keeps its reasons and the message its counts."""
    r = random.Random(11)
    twins = Twins(11, 0)
    for i in range(120):
        node = random_node(r, f"n{i:03}", 3)
        node["spec"] = {}
        node["status"]["allocatable"] = {"cpu": "1", "memory": "1Gi", "pods": "110"}
        twins.each("add_node", node)
    pod = {
        "metadata": {"name": "big", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": "nginx:1.25",
                    "resources": {"requests": {"cpu": "2", "memory": "512Mi"}},
                }
            ]
        },
    }
    result = twins.schedule(pod)
    assert result.node is None and result.evaluated == 120
    assert (
        result.message == "0/120 nodes are available: 120 Insufficient cpu. "
        "preemption: 0/120 nodes are available: 120 No preemption victims found for "
        "incoming pod."
    )


def test_a_node_beyond_exact_integers_is_decided_node_by_node():
    """Past 2**53 int64/float64 are not exact: such a node is marked odd, and its cycles go per-node."""
    cache = Cache()
    for name, memory in (("big", "9E"), ("small", "4Gi")):
        node = {
            "metadata": {"name": name, "labels": {}},
            "spec": {},
            "status": {"allocatable": {"cpu": "4", "memory": memory, "pods": "110"}},
        }
        cache.add_node(node)
    view = NodeView(cache.table, cache.node_list(), cache.node_slots())
    assert dict(zip((ni.name for ni in view.nodes), view.flag("odd").tolist())) == {
        "big": True,
        "small": False,
    }
    assert cache.nodes["big"].allocatable["memory"] >= EXACT_LIMIT
