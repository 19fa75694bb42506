"""kube-scheduler against a from-scratch evaluation: the framework's shortcuts must not change a decision.

The framework skips Filters at PreFilter, hoists per-pod work into
PreFilter/PreScore, keeps node facts in NodeInfo and counts spreading
matches incrementally in the Cache.  The reference here does none of that:
each cycle recomputes every plugin on every node from the node objects and
the list of bound pods, exactly as the plugins are specified.  Random
clusters and pods, bound and deleted as the scheduler goes, must give the
same feasible nodes, reasons, scores, totals and choice (with the same RNG).
"""

import math
import random

import pytest

from kcourse.sim.labels import Selector, selector_from_spec
from kcourse.sim.scheduler import (
    LABEL_HOSTNAME,
    LABEL_ZONE,
    MAX_NODE_SCORE,
    TAINT_UNSCHEDULABLE,
    Cache,
    Decisions,
    Framework,
    PodInfo,
    node_selector_term_matches,
    normalized_image_name,
    num_feasible_nodes_to_find,
    ports_conflict,
    required_node_affinity_matches,
)
from kcourse.sim.taints import tolerated

MB = 1024 * 1024
APPS = ("web", "api", "db")


# --- the reference: every plugin on every node, from the objects --------------------------------------------


def matching(pods, node_name, selector, namespace):
    """``countPodsMatchSelector`` by walking the node's pods."""
    return sum(
        1
        for p in pods
        if p["spec"]["nodeName"] == node_name
        and not p["metadata"].get("deletionTimestamp")
        and p["metadata"]["namespace"] == namespace
        and selector.matches(p["metadata"].get("labels"))
    )


def constraints_of(pod, action):
    return [
        (
            int(c.get("maxSkew") or 1),
            c["topologyKey"],
            selector_from_spec(c.get("labelSelector")),
            int(c.get("minDomains") or 1),
        )
        for c in pod["spec"].get("topologySpreadConstraints") or []
        if (c.get("whenUnsatisfiable") or "DoNotSchedule") == action
    ]


def reference_filter(node, pod, pods, all_nodes):
    """The reasons the first rejecting plugin gives, or None when the node fits."""
    spec, name = pod["spec"], node["metadata"]["name"]
    labels = node["metadata"].get("labels") or {}
    tolerations = spec.get("tolerations") or []
    if node["spec"].get("unschedulable") and not tolerated(
        tolerations, {"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"}
    ):
        return ["node(s) were unschedulable"]
    if spec.get("nodeName") and spec["nodeName"] != name:
        return ["node(s) didn't match the requested node name"]
    for t in node["spec"].get("taints") or []:
        if t["effect"] in ("NoSchedule", "NoExecute") and not tolerated(tolerations, t):
            return [f"node(s) had untolerated taint {{{t['key']}: {t.get('value') or ''}}}"]
    if not required_node_affinity_matches(pod, node):
        return ["node(s) didn't match Pod's node affinity/selector"]
    on_node = [p for p in pods if p["spec"]["nodeName"] == name]
    used = {port for p in on_node for port in PodInfo(p).host_ports}
    if any(ports_conflict(used, port) for port in PodInfo(pod).host_ports):
        return ["node(s) didn't have free ports for the requested pod ports"]
    alloc = node["status"]["allocatable"]
    capacity = {
        "cpu": int(alloc["cpu"]) * 1000,
        "memory": int(alloc["memory"][:-2]) * MB,
        "ephemeral-storage": 0,
    }
    want = PodInfo(pod).requests
    reasons = ["Too many pods"] if len(on_node) + 1 > int(alloc["pods"]) else []
    for r in ("cpu", "memory", "ephemeral-storage"):
        if want[r] > 0 and want[r] > capacity[r] - sum(PodInfo(p).requests[r] for p in on_node):
            reasons.append(f"Insufficient {r}")
    if reasons:
        return reasons
    for skew, key, selector, min_domains in constraints_of(pod, "DoNotSchedule"):
        if key not in labels:
            return ["node(s) didn't match pod topology spread constraints (missing required label)"]
        keys = [k for _, k, _, _ in constraints_of(pod, "DoNotSchedule")]
        domains: dict[str, int] = {}
        for n in all_nodes:
            nl = n["metadata"].get("labels") or {}
            if required_node_affinity_matches(pod, n) and all(k in nl for k in keys):
                domains[nl[key]] = domains.get(nl[key], 0) + matching(
                    pods, n["metadata"]["name"], selector, pod["metadata"]["namespace"]
                )
        low = min(domains.values(), default=0) if len(domains) >= min_domains else 0
        if domains.get(labels[key], 0) + selector.matches(pod["metadata"]["labels"]) - low > skew:
            return ["node(s) didn't match pod topology spread constraints"]
    return None


def reference_scores(feasible, pod, pods, all_nodes, default_selector, image_nodes):
    """Each score plugin's weighted, normalised score per feasible node, in the framework's plugin order."""
    spec, ns = pod["spec"], pod["metadata"]["namespace"]
    names = [n["metadata"]["name"] for n in feasible]
    out: dict[str, list[int]] = {}

    prefer = [t for t in spec.get("tolerations") or [] if t.get("effect") in (None, "", "PreferNoSchedule")]
    raw = [
        sum(
            1
            for t in n["spec"].get("taints") or []
            if t["effect"] == "PreferNoSchedule" and not tolerated(prefer, t)
        )
        for n in feasible
    ]
    top = max(raw)
    out["TaintToleration"] = [3 * (MAX_NODE_SCORE - (MAX_NODE_SCORE * s // top if top else 0)) for s in raw]

    preferred = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "preferredDuringSchedulingIgnoredDuringExecution"
    ) or []
    raw = [
        sum(p["weight"] for p in preferred if node_selector_term_matches(p["preference"], n))
        for n in feasible
    ]
    top = max(raw)
    out["NodeAffinity"] = [2 * (MAX_NODE_SCORE * s // top if top else 0) for s in raw]

    want = PodInfo(pod)
    least, balanced = [], []
    for n in feasible:
        on_node = [PodInfo(p) for p in pods if p["spec"]["nodeName"] == n["metadata"]["name"]]
        alloc = n["status"]["allocatable"]
        capacity = {"cpu": int(alloc["cpu"]) * 1000, "memory": int(alloc["memory"][:-2]) * MB}
        parts, fractions = [], []
        for r in ("cpu", "memory"):
            used = sum(p.non_zero[r] for p in on_node) + want.non_zero[r]
            parts.append(0 if used > capacity[r] else (capacity[r] - used) * MAX_NODE_SCORE // capacity[r])
            fractions.append(min(1.0, (sum(p.requests[r] for p in on_node) + want.requests[r]) / capacity[r]))
        least.append(sum(parts) // 2)
        balanced.append(int((1 - abs((fractions[0] - fractions[1]) / 2)) * MAX_NODE_SCORE))

    explicit = bool(spec.get("topologySpreadConstraints"))
    constraints = (
        constraints_of(pod, "ScheduleAnyway")
        if explicit
        else [
            (skew, key, default_selector(pod)) + (1,) for skew, key in ((3, LABEL_HOSTNAME), (5, LABEL_ZONE))
        ]
    )
    if constraints and (explicit or not constraints[0][2].empty()):
        keys = [key for _, key, _, _ in constraints]
        ignored = {
            n["metadata"]["name"]
            for n in feasible
            if explicit and not all(k in (n["metadata"].get("labels") or {}) for k in keys)
        }
        raw, weights = [], []
        for _, key, _, _ in constraints:
            domains = {
                (n["metadata"].get("labels") or {}).get(key)
                for n in feasible
                if n["metadata"]["name"] not in ignored
            } - {None}
            size = len(feasible) - len(ignored) if key == LABEL_HOSTNAME else len(domains)
            weights.append(math.log(size + 2))
        for n in feasible:
            labels, total = n["metadata"].get("labels") or {}, 0.0
            for (skew, key, selector, _), weight in zip(constraints, weights):
                if key not in labels:
                    continue
                if key == LABEL_HOSTNAME:
                    count = matching(pods, n["metadata"]["name"], selector, ns)
                else:
                    count = sum(
                        matching(pods, m["metadata"]["name"], selector, ns)
                        for m in all_nodes
                        if (m["metadata"].get("labels") or {}).get(key) == labels[key]
                        and required_node_affinity_matches(pod, m)
                        and (not explicit or all(k in (m["metadata"].get("labels") or {}) for k in keys))
                    )
                total += count * weight + (skew - 1)
            raw.append(math.floor(total + 0.5))
        valid = [s for s, name in zip(raw, names) if name not in ignored]
        low, high = min(valid, default=0), max(valid, default=0)
        out["PodTopologySpread"] = [
            0
            if name in ignored
            else 2 * (MAX_NODE_SCORE if high == 0 else MAX_NODE_SCORE * (high + low - s) // high)
            for s, name in zip(raw, names)
        ]

    out["NodeResourcesFit"] = least
    out["NodeResourcesBalancedAllocation"] = balanced

    containers = (spec.get("initContainers") or []) + spec["containers"]
    low, high = 23 * MB, 1000 * MB * len(containers)
    locality = []
    for n in feasible:
        sizes = {name: img["sizeBytes"] for img in n["status"].get("images") or [] for name in img["names"]}
        total = 0
        for c in containers:
            image = normalized_image_name(c["image"])
            if image in sizes:
                total += int(sizes[image] * (len(image_nodes.get(image, ())) / len(all_nodes)))
        locality.append(MAX_NODE_SCORE * (min(max(total, low), high) - low) // (high - low))
    out["ImageLocality"] = locality
    return out


def reference_cycle(all_nodes, pod, pods, start, rng, default_selector, image_nodes):
    """One cycle, the long way: (node, feasible names, reasons per rejected node, scores, next start)."""
    terms = (
        ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    nodes = all_nodes
    if terms:  # a DaemonSet pod: only the nodes its terms name are walked
        named = {v for t in terms for f in t.get("matchFields") or [] for v in f["values"]}
        nodes = [n for n in all_nodes if n["metadata"]["name"] in named]
    n = len(nodes)
    want = num_feasible_nodes_to_find(n)
    feasible, reasons = [], {}
    for i in range(n):
        node = nodes[(start + i) % n]
        why = reference_filter(node, pod, pods, all_nodes)
        if why is None:
            feasible.append(node)
            if len(feasible) >= want:
                break
        else:
            reasons[node["metadata"]["name"]] = ", ".join(why)
    next_start = (start + len(feasible) + len(reasons)) % n
    if len(feasible) < 2:
        return (feasible[0]["metadata"]["name"] if feasible else None), feasible, reasons, {}, next_start
    columns = reference_scores(feasible, pod, pods, all_nodes, default_selector, image_nodes)
    names = [f["metadata"]["name"] for f in feasible]
    totals = [sum(col[i] for col in columns.values()) for i in range(len(names))]
    chosen, best, count = 0, totals[0], 1
    for i in range(1, len(names)):
        if totals[i] > best:
            chosen, best, count = i, totals[i], 1
        elif totals[i] == best:
            count += 1
            if rng.randrange(count) == 0:
                chosen = i
    scores = {name: {plugin: col[i] for plugin, col in columns.items()} for i, name in enumerate(names)}
    return names[chosen], feasible, reasons, scores, next_start


# --- random clusters and pods ------------------------------------------------------------------------------


def random_node(r, i, zones):
    name = f"n{i:03}"
    labels = {LABEL_HOSTNAME: name, "disk": r.choice(["ssd", "hdd"])}
    if zones and r.random() < 0.9:
        labels[LABEL_ZONE] = f"z{r.randrange(zones)}"
    taints = []
    if r.random() < 0.1:
        taints.append({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"})
    if r.random() < 0.15:
        taints.append({"key": "spot", "value": "true", "effect": "PreferNoSchedule"})
    images = [{"names": ["nginx:1.25"], "sizeBytes": 300 * MB}] if r.random() < 0.5 else []
    alloc = {
        "cpu": str(r.choice([1, 2, 4])),
        "memory": f"{r.choice([1024, 2048, 4096])}Mi",
        "pods": str(r.choice([3, 8, 110])),
    }
    spec = {"taints": taints, **({"unschedulable": True} if r.random() < 0.05 else {})}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"allocatable": alloc, "capacity": dict(alloc), "images": images},
    }


def random_pod(r, i, nodes):
    app = r.choice(APPS)
    container = {
        "name": "c",
        "image": r.choice(["nginx:1.25", "redis:7"]),
        "resources": {
            "requests": {
                k: v
                for k, v in (
                    ("cpu", r.choice([None, "100m", "500m"])),
                    ("memory", r.choice([None, "64Mi", "512Mi"])),
                )
                if v
            }
        },
    }
    if r.random() < 0.1:
        container["ports"] = [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]
    spec = {
        "containers": [container],
        "priority": 0,
        "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}],
    }
    if r.random() < 0.1:
        spec["tolerations"].append({"key": "spot", "operator": "Exists"})
    if r.random() < 0.1:
        spec["nodeSelector"] = {"disk": "ssd"}
    if r.random() < 0.1:
        spec["affinity"] = {
            "nodeAffinity": {
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {
                        "weight": 7,
                        "preference": {
                            "matchExpressions": [{"key": "disk", "operator": "In", "values": ["hdd"]}]
                        },
                    }
                ]
            }
        }
    if r.random() < 0.05:
        spec["nodeName"] = r.choice(nodes)["metadata"]["name"]
    elif r.random() < 0.05:  # a DaemonSet pod
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchFields": [
                                {"key": "metadata.name", "operator": "In", "values": [n["metadata"]["name"]]}
                            ]
                        }
                        for n in r.sample(nodes, r.choice([1, 2]))
                    ]
                }
            }
        }
    if r.random() < 0.2:
        spec["topologySpreadConstraints"] = [
            {
                "maxSkew": r.choice([1, 2]),
                "topologyKey": r.choice([LABEL_HOSTNAME, LABEL_ZONE]),
                "whenUnsatisfiable": r.choice(["DoNotSchedule", "ScheduleAnyway"]),
                "labelSelector": {"matchLabels": {"app": app}},
            }
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


def by_app(pod):
    """The system default spreading's selector: a Service per app."""
    return Selector([("app", "=", (pod["metadata"]["labels"]["app"],))])


@pytest.mark.parametrize(("seed", "n_nodes", "zones"), [(1, 12, 0), (2, 30, 3), (3, 140, 4), (4, 110, 0)])
def test_every_decision_matches_a_from_scratch_evaluation(seed, n_nodes, zones):
    r = random.Random(seed)
    nodes = [random_node(r, i, zones) for i in range(n_nodes)]
    cache = Cache()
    for n in nodes:
        cache.add_node(n)
    fw = Framework(cache, None, default_selector=by_app)
    order = [ni.node for ni in cache.node_list()]
    bound: list[dict] = []
    decisions = Decisions(limit=1000)
    for i in range(150 if n_nodes < 100 else 60):
        pod = random_pod(r, i, nodes)
        fw.rng, ref_rng = random.Random(i), random.Random(i)
        start = fw.next_start_node_index
        result = fw.schedule(pod)
        node, feasible, reasons, scores, next_start = reference_cycle(
            order, pod, bound, start, ref_rng, by_app, cache.image_nodes
        )
        assert {n: st.message() for n, st in result.statuses.items() if n in reasons} == reasons
        if feasible:
            assert fw.next_start_node_index == next_start
            assert (result.node, result.feasible, result.evaluated) == (
                node,
                len(feasible),
                len(feasible) + len(reasons),
            )
            assert result.scores == scores
            assert result.total == {name: sum(s.values()) for name, s in scores.items()}
            decisions.record(pod["metadata"]["name"], result)
            assert decisions[pod["metadata"]["name"]]["scores"] == scores
            pod["spec"]["nodeName"] = node
            cache.add_pod(pod)
            bound.append(pod)
        if bound and r.random() < 0.2:  # a pod goes away, or starts terminating
            gone = bound[r.randrange(len(bound))]
            key = f"{gone['metadata']['namespace']}/{gone['metadata']['name']}"
            if r.random() < 0.5:
                bound.remove(gone)
                cache.remove_pod(key)
            else:
                gone["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
                cache.add_pod(gone)


# --- the incremental counts ---------------------------------------------------------------------------------


def test_matching_counts_stay_equal_to_counting_from_scratch():
    r = random.Random(7)
    nodes = [random_node(r, i, 2) for i in range(8)]
    cache = Cache()
    for n in nodes:
        cache.add_node(n)
    selectors = [Selector([("app", "=", (app,))]) for app in APPS] + [
        Selector([("tier", "in", ("a",))]),
        Selector([("app", "notin", ("web",))]),
        Selector([]),
    ]
    live: dict[str, dict] = {}
    for step in range(400):
        action = r.random()
        if action < 0.55 or not live:
            pod = random_pod(r, step, nodes)
            pod["spec"]["nodeName"] = r.choice(nodes)["metadata"]["name"]
            live[f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"] = pod
            cache.add_pod(pod)
        elif action < 0.75:
            key = r.choice(sorted(live))
            del live[key]
            cache.remove_pod(key)
        else:  # an update: new labels, or terminating
            key = r.choice(sorted(live))
            pod = dict(live[key], metadata=dict(live[key]["metadata"]))
            if r.random() < 0.5:
                pod["metadata"]["labels"] = {"app": r.choice(APPS), "tier": r.choice(["a", "b"])}
            else:
                pod["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
            live[key] = pod
            cache.add_pod(pod)
        selector, ns = r.choice(selectors), r.choice(["default", "other"])
        expected = {
            n["metadata"]["name"]: matching(live.values(), n["metadata"]["name"], selector, ns) for n in nodes
        }
        assert dict(cache.matching_counts(selector, ns)) == {k: v for k, v in expected.items() if v}
