"""kube-scheduler: plugins on hand-built node infos, the queue, a learner's pending pod, determinism,
failover."""

import random

import pytest

import kcourse
from kcourse.sim.labels import Selector
from kcourse.sim.objects import parse_timestamp
from kcourse.sim.scheduler import (
    SKIP,
    Cache,
    CycleResult,
    CycleState,
    Decisions,
    Framework,
    PodInfo,
    Status,
    fit_error_message,
    num_feasible_nodes_to_find,
)

MB = 1024 * 1024
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


def node(name, cpu="2", memory="4Gi", pods="110", labels=None, taints=None, unschedulable=False, images=None):
    alloc = {"cpu": cpu, "memory": memory, "pods": pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
        "spec": {"taints": taints or [], **({"unschedulable": True} if unschedulable else {})},
        "status": {"capacity": dict(alloc), "allocatable": alloc, "images": images or []},
    }


def pod(name, cpu=None, memory=None, node_name=None, labels=None, priority=0, image="nginx:1.25", **spec):
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    body = {
        "containers": [{"name": "c", "image": image, "resources": {"requests": requests}}],
        "priority": priority,
        **spec,
    }
    if node_name:
        body["nodeName"] = node_name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "labels": labels or {}},
        "spec": body,
    }


def framework(*nodes, pods=(), seed=0, **kw):
    cache = Cache()
    for n in nodes:
        cache.add_node(n)
    for p in pods:
        cache.add_pod(p)
    return Framework(cache, random.Random(seed), **kw)


def filter_status(fw, p, name) -> Status:
    state = CycleState(PodInfo(p), fw.cache.node_list())
    for plugin in fw.pre_filter_plugins:
        plugin.pre_filter(state, p)
    return fw.run_filter_plugins(state, p, fw.cache.nodes[name])


# --- percentageOfNodesToScore ------------------------------------------------------------------------------


@pytest.mark.parametrize(("nodes", "expected"), [(3, 3), (100, 100), (1000, 420), (5000, 500)])
def test_num_feasible_nodes_to_find_is_adaptive(nodes, expected):
    assert num_feasible_nodes_to_find(nodes) == expected


def test_large_clusters_are_searched_round_robin_from_where_the_last_cycle_stopped():
    fw = framework(*[node(f"n-{i:03}") for i in range(200)])
    first = fw.schedule(pod("a"))
    assert (first.feasible, first.evaluated) == (100, 100)
    assert fw.next_start_node_index == 100
    fw.schedule(pod("b"))
    assert fw.next_start_node_index == 0


def test_prefilter_leaves_out_the_filters_with_nothing_to_check_for_a_plain_pod():
    fw = framework(node("w1"), node("w2"))
    plain = fw.schedule(pod("a"))
    assert plain.node is not None
    state = CycleState(PodInfo(pod("b")), fw.cache.node_list())
    skipped = {p.name for p in fw.pre_filter_plugins if p.pre_filter(state, pod("b")) == SKIP}
    assert skipped == {"NodeName", "NodeAffinity", "NodePorts", "PodTopologySpread"}
    picky = pod("c", nodeSelector={"disk": "ssd"})
    assert fw.plugin("NodeAffinity").pre_filter(state, picky) is None
    assert fw.schedule(picky).message.startswith(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity"
    )


def test_a_node_update_refreshes_what_filters_read():
    fw = framework(node("w1"))
    fw.cache.add_node(node("w1", unschedulable=True, taints=[CONTROL_PLANE_TAINT]))
    assert filter_status(fw, pod("a"), "w1").reasons == ["node(s) were unschedulable"]
    fw.cache.add_node(node("w1", taints=[CONTROL_PLANE_TAINT]))
    assert filter_status(fw, pod("a"), "w1").plugin == "TaintToleration"
    fw.cache.add_node(node("w1"))
    assert filter_status(fw, pod("a"), "w1").ok


# --- filter plugins -----------------------------------------------------------------------------------------


def test_node_unschedulable_rejects_a_cordoned_node_unless_tolerated():
    fw = framework(node("w", unschedulable=True))
    assert filter_status(fw, pod("a"), "w").reasons == ["node(s) were unschedulable"]
    tolerant = pod("b", tolerations=[{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}])
    assert filter_status(fw, tolerant, "w").ok


def test_node_name_rejects_other_nodes():
    fw = framework(node("w1"), node("w2"))
    p = pod("a", nodeName="w2")
    assert filter_status(fw, p, "w1").reasons == ["node(s) didn't match the requested node name"]
    assert filter_status(fw, p, "w2").ok


def test_taint_toleration_filter_names_the_untolerated_taint():
    fw = framework(node("m", taints=[CONTROL_PLANE_TAINT]))
    st = filter_status(fw, pod("a"), "m")
    assert (st.plugin, st.reasons) == (
        "TaintToleration",
        ["node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"],
    )
    tolerant = pod(
        "b",
        tolerations=[
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
        ],
    )
    assert filter_status(fw, tolerant, "m").ok


def test_node_affinity_filter_checks_node_selector_expressions_and_match_fields():
    fw = framework(node("w1", labels={"disk": "ssd", "cores": "8"}), node("w2"))
    assert filter_status(fw, pod("a", nodeSelector={"disk": "ssd"}), "w2").reasons == [
        "node(s) didn't match Pod's node affinity/selector"
    ]
    gt = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["4"]}]}
                ]
            }
        }
    }
    assert filter_status(fw, pod("b", affinity=gt), "w1").ok
    assert not filter_status(fw, pod("b", affinity=gt), "w2").ok


def test_daemonset_style_match_fields_narrow_the_cycle_to_one_node():
    fw = framework(node("w1"), node("w2"), node("w3"))
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["w2"]}]}
                ]
            }
        }
    }
    result = fw.schedule(pod("ds", affinity=affinity))
    assert (result.node, result.evaluated) == ("w2", 1)
    too_big = fw.schedule(pod("ds-big", cpu="3", affinity=affinity))
    assert too_big.message.startswith(
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't satisfy plugin(s) [NodeAffinity]. "
    )


def test_node_ports_rejects_a_node_whose_host_port_is_taken():
    busy = pod("old", node_name="w1")
    busy["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]
    fw = framework(node("w1"), node("w2"), pods=[busy])
    p = pod("new")
    p["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]
    assert filter_status(fw, p, "w1").reasons == [
        "node(s) didn't have free ports for the requested pod ports"
    ]
    assert filter_status(fw, p, "w2").ok


def test_node_resources_fit_lists_every_insufficient_resource_and_too_many_pods():
    fw = framework(node("w", cpu="1", memory="1Gi", pods="1"), pods=[pod("old", cpu="500m", node_name="w")])
    st = filter_status(fw, pod("a", cpu="600m", memory="2Gi"), "w")
    assert st.reasons == ["Too many pods", "Insufficient cpu", "Insufficient memory"]


def test_pod_topology_spread_rejects_a_node_exceeding_max_skew():
    web = {"app": "web"}
    fw = framework(
        node("w1"),
        node("w2"),
        node("bare", labels={}),
        pods=[pod("a", node_name="w1", labels=web), pod("b", node_name="w1", labels=web)],
    )
    del fw.cache.nodes["bare"].node["metadata"]["labels"]["kubernetes.io/hostname"]
    constraint = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": web},
        }
    ]
    p = pod("c", labels=web, topologySpreadConstraints=constraint)
    assert filter_status(fw, p, "w1").reasons == ["node(s) didn't match pod topology spread constraints"]
    assert filter_status(fw, p, "w2").ok
    assert filter_status(fw, p, "bare").reasons == [
        "node(s) didn't match pod topology spread constraints (missing required label)"
    ]


# --- score plugins ------------------------------------------------------------------------------------------


def scores(fw, p):
    result = fw.schedule(p)
    return result.scores


def test_least_allocated_scores_the_emptier_node_higher():
    fw = framework(node("busy"), node("empty"), pods=[pod("old", cpu="500m", memory="1Gi", node_name="busy")])
    s = scores(fw, pod("a", cpu="500m", memory="1Gi"))
    assert (s["busy"]["NodeResourcesFit"], s["empty"]["NodeResourcesFit"]) == (50, 75)


def test_least_allocated_counts_an_empty_request_as_100m_and_200mi():
    fw = framework(node("w1"), node("w2"))
    # cpu: (2000-100)*100//2000 = 95; memory: (4096-200)*100//4096 = 95
    assert scores(fw, pod("a"))["w1"]["NodeResourcesFit"] == 95


def test_balanced_allocation_is_one_minus_the_spread_of_the_fractions():
    fw = framework(node("w1"), node("w2", cpu="4"))
    s = scores(fw, pod("a", cpu="1", memory="512Mi"))
    # w1: cpu 0.5, memory 0.125 → std 0.1875 → 81; w2: cpu 0.25 → std 0.0625 → 93
    assert (s["w1"]["NodeResourcesBalancedAllocation"], s["w2"]["NodeResourcesBalancedAllocation"]) == (
        81,
        93,
    )


def test_image_locality_scores_by_size_and_spread():
    images = [{"names": ["docker.io/library/nginx:1.25", "nginx:1.25"], "sizeBytes": 500 * MB}]
    fw = framework(node("has", images=images), node("lacks"))
    s = scores(fw, pod("a"))
    # 500 MB × spread 1/2 = 250 MB → 100 × (250 − 23) / (1000 − 23) = 23
    assert (s["has"]["ImageLocality"], s["lacks"]["ImageLocality"]) == (23, 0)


def test_taint_toleration_scores_untolerated_prefer_no_schedule_taints_down():
    fw = framework(
        node("soft", taints=[{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}]), node("w")
    )
    s = scores(fw, pod("a"))
    assert (s["soft"]["TaintToleration"], s["w"]["TaintToleration"]) == (0, 300)


def test_node_affinity_scores_preferred_terms_by_weight():
    fw = framework(node("ssd", labels={"disk": "ssd"}), node("hdd"))
    preferred = {
        "nodeAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "preference": {
                        "matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]}]
                    },
                }
            ]
        }
    }
    s = scores(fw, pod("a", affinity=preferred))
    assert (s["ssd"]["NodeAffinity"], s["hdd"]["NodeAffinity"]) == (200, 0)


def test_pod_topology_spread_scores_the_node_with_fewer_matching_pods_higher():
    web = {"app": "web"}
    fw = framework(
        node("w1"),
        node("w2"),
        pods=[pod("a", node_name="w1", labels=web), pod("b", node_name="w1", labels=web)],
    )
    constraint = [
        {
            "maxSkew": 1,
            "topologyKey": "kubernetes.io/hostname",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": web},
        }
    ]
    s = scores(fw, pod("c", labels=web, topologySpreadConstraints=constraint))
    assert (s["w1"]["PodTopologySpread"], s["w2"]["PodTopologySpread"]) == (0, 200)


def test_spreading_counts_follow_pods_bound_deleted_and_terminating():
    web = {"app": "web"}
    fw = framework(node("w1"), node("w2"), pods=[pod("a", node_name="w1", labels=web)])
    selector = Selector([("app", "=", ("web",))])
    assert fw.cache.matching_counts(selector, "default") == {"w1": 1}
    fw.cache.add_pod(pod("b", node_name="w2", labels=web))
    fw.cache.add_pod(pod("c", node_name="w2", labels={"app": "web", "tier": "x"}))
    assert fw.cache.matching_counts(selector, "default") == {"w1": 1, "w2": 2}
    leaving = pod("b", node_name="w2", labels=web)
    leaving["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    fw.cache.add_pod(leaving)
    fw.cache.remove_pod("default/a")
    assert fw.cache.matching_counts(selector, "default") == {"w2": 1}
    assert fw.cache.matching_counts(selector, "other") == {}


def test_system_default_spreading_applies_to_pods_a_service_selects():
    web = {"app": "web"}
    fw = framework(
        node("w1"),
        node("w2"),
        pods=[pod("a", node_name="w1", labels=web)],
        default_selector=lambda p: Selector([("app", "=", ("web",))]),
    )
    s = scores(fw, pod("b", labels=web))
    assert s["w2"]["PodTopologySpread"] > s["w1"]["PodTopologySpread"]


def test_decided_by_is_the_plugin_with_the_largest_weighted_lead_over_the_runner_up():
    result = CycleResult(
        "w1", 2, 2, {}, {"w1": {"A": 100, "B": 90}, "w2": {"A": 95, "B": 50}}, {"w1": 190, "w2": 145}
    )
    assert result.decided_by == "B"
    tie = CycleResult("w1", 2, 2, {}, {"w1": {"A": 1}, "w2": {"A": 1}}, {"w1": 1, "w2": 1})
    assert tie.decided_by is None


def test_ties_are_broken_with_the_seeded_rng():
    chosen = {
        framework(node("w1"), node("w2"), node("w3"), seed=s).schedule(pod("a")).node for s in range(12)
    }
    assert chosen == {"w1", "w2", "w3"}


# --- the unschedulable message ------------------------------------------------------------------------------


def test_fit_error_reasons_are_sorted_as_strings_like_upstream():
    statuses = {f"n{i}": Status("Unschedulable", ["Insufficient cpu"]) for i in range(10)}
    statuses |= {
        "m1": Status("Unschedulable", ["Insufficient memory"]),
        "m2": Status("Unschedulable", ["Insufficient memory"]),
    }
    assert (
        fit_error_message(12, statuses)
        == "0/12 nodes are available: 10 Insufficient cpu, 2 Insufficient memory."
    )


def test_decisions_keep_only_the_last_n_pods():
    d = Decisions(limit=2)
    for key in ("a", "b", "c"):
        d.record(key, {})
    assert list(d) == ["b", "c"]


def test_a_recorded_cycle_reads_as_scores_per_node_and_plugin():
    fw = framework(node("m", taints=[CONTROL_PLANE_TAINT]), node("w1"), node("w2", cpu="4"))
    result = fw.schedule(pod("a", cpu="1"))
    d = Decisions()
    d.record("default/a", result)
    decision = d["default/a"]
    assert decision["filtered"] == {
        "m": "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
    }
    assert list(decision["scores"]) == ["w1", "w2"]
    assert list(decision["scores"]["w1"]) == [
        "TaintToleration",
        "NodeAffinity",
        "NodeResourcesFit",
        "NodeResourcesBalancedAllocation",
        "ImageLocality",
    ]
    assert decision["total"] == {n: sum(s.values()) for n, s in decision["scores"].items()}
    assert (decision["node"], decision["feasible"], decision["evaluated"]) == ("w2", 2, 3)
    assert decision["decided_by"] == "NodeResourcesFit"
    assert dict(d) == {"default/a": decision}


# --- the cluster: a learner's session -----------------------------------------------------------------------


def ensure_nodes(c, *nodes):
    """Register Node objects unless a kubelet already did."""
    for n in nodes:
        if c.api.peek("nodes", n["metadata"]["name"]) is None:
            c.api.create(n)


@pytest.fixture
def small():
    """One control plane node and three 2-cpu workers, nothing else running."""
    c = kcourse.Cluster(workers=3, addons=False, seed=0)
    ensure_nodes(c, node("master-1", taints=[CONTROL_PLANE_TAINT]), *[node(f"worker-{i}") for i in (1, 2, 3)])
    c.run_until_stable()
    return c


def web_pod(name="web", cpu="100m", **meta):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **meta},
        "spec": {
            "containers": [{"name": "web", "image": "nginx:1.25", "resources": {"requests": {"cpu": cpu}}}]
        },
    }


def scheduled_condition(c, name):
    return next(x for x in c.get("pods", name)["status"]["conditions"] if x["type"] == "PodScheduled")


def test_a_pod_lands_on_a_worker_with_a_scheduled_event(small):
    small.apply(web_pod())
    small.run_until_stable()
    where = small.get("pods", "web")["spec"]["nodeName"]
    assert where.startswith("worker-")
    events = [e for e in small.api.items("events", "default") if e["reason"] == "Scheduled"]
    assert [e["message"] for e in events] == [f"Successfully assigned default/web to {where}"]
    assert any(
        e.component == "kube-scheduler" and e.message == f"bound default/web to {where}" for e in small.events
    )


def test_a_pod_bigger_than_any_node_stays_pending_with_the_real_message(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    pod_ = small.get("pods", "big")
    cond = scheduled_condition(small, "big")
    expected = (
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: "
        "}, 3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Preemption is not helpful for "
        "scheduling, 3 No preemption victims found for incoming pod."
    )
    assert (pod_["status"]["phase"], cond["status"], cond["reason"], cond["message"]) == (
        "Pending",
        "False",
        "Unschedulable",
        expected,
    )
    failed = [e for e in small.api.items("events", "default") if e["reason"] == "FailedScheduling"]
    assert [(e["type"], e["message"]) for e in failed] == [("Warning", expected)]


def test_adding_a_big_enough_node_schedules_the_pending_pod(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    assert small.scheduler.queue.unschedulable_keys() == ["default/big"]
    small.api.create(node("big-node", cpu="4"))
    small.run_until_stable()
    assert small.get("pods", "big")["spec"]["nodeName"] == "big-node"


def test_recreating_the_pod_with_a_smaller_request_schedules_it(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    small.api.delete("pods", "big", "default")
    small.apply(web_pod("big", cpu="500m"))
    small.run_until_stable()
    assert small.get("pods", "big")["spec"]["nodeName"].startswith("worker-")


def test_run_until_stable_does_not_spin_on_an_unschedulable_pod(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    before = small.now
    small.run_until_stable()
    assert small.now == before


def test_unschedulable_pods_are_retried_after_five_minutes(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    small.advance(400)
    tries = [e for e in small.events if e.component == "kube-scheduler" and e.key == "default/big"]
    flushes = [e for e in small.events if e.verb == "flush" and "1 of 1 pod(s)" in e.message]
    assert flushes, "the 30-second flush never moved the pod"
    before = [t for t in tries if t.time < flushes[0].time][-1]
    after = next(t for t in tries if t.time > flushes[0].time)
    assert 300 < flushes[0].time - before.time <= 330 and after.time - flushes[0].time < 1


def test_backoff_doubles_from_one_second_to_at_most_ten(small):
    queue = small.scheduler.queue
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    pinfo = queue.infos["default/big"]
    durations = []
    for attempts in range(1, 7):
        pinfo.attempts = attempts
        durations.append(queue.backoff_duration(pinfo))
    assert durations == [1, 2, 4, 8, 10, 10]


def test_a_node_added_during_backoff_waits_out_the_backoff(small):
    small.apply(web_pod("big", cpu="3"))
    small.run_until_stable()
    failed_at = [e for e in small.events if e.key == "default/big"][-1].time
    small.api.create(node("big-node", cpu="4"))  # at once: still 1 s of back-off to go
    assert small.scheduler.queue.backoff_keys() == ["default/big"]
    small.run_until_stable()
    bound = next(e for e in small.events if e.key == "default/big" and e.verb == "bind")
    assert bound.time - failed_at >= 1.0


def test_higher_priority_pods_are_popped_first(small):
    sched = small.scheduler
    sched.active = False  # hold the loop while both pods queue
    small.apply(web_pod("low"))
    small.apply(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "high"},
            "value": 1000,
        }
    )  # the Priority admission plugin turns the class into spec.priority
    high = web_pod("high")
    high["spec"]["priorityClassName"] = "high"
    small.apply(high)
    assert sched.queue.active_keys() == ["default/high", "default/low"]


def test_pods_for_another_scheduler_are_left_alone(small):
    other = web_pod("other")
    other["spec"]["schedulerName"] = "my-scheduler"
    small.apply(other)
    small.run_until_stable()
    assert "nodeName" not in small.get("pods", "other")["spec"]
    assert "default/other" not in small.scheduler.decisions


def test_a_terminating_pod_is_skipped_not_bound(small):
    sched = small.scheduler
    sched.active = False  # hold the loop while the pod is deleted
    small.apply(web_pod("going", finalizers=["example.com/hold"]))
    small.api.delete("pods", "going", "default")
    sched.active = True
    sched._wake()
    small.run_until_stable()
    assert "nodeName" not in small.get("pods", "going")["spec"]
    assert any(e.message == "skip schedule deleting pod default/going" for e in small.events)


def test_the_scheduler_reports_its_events_as_default_scheduler(small):
    small.apply(web_pod())
    small.run_until_stable()
    [ev] = [e for e in small.api.items("events", "default") if e["reason"] == "Scheduled"]
    assert ev["source"]["component"] == "default-scheduler"  # the profile's name, as kubectl shows it
    assert "  Normal  Scheduled  " in small.kubectl("describe pod web")
    assert "default-scheduler  Successfully assigned default/web" in small.kubectl("describe pod web")


def test_decisions_record_scores_filters_and_the_winner(small):
    small.apply(web_pod())
    small.run_until_stable()
    d = small.scheduler.decisions["default/web"]
    assert d["node"] == small.get("pods", "web")["spec"]["nodeName"]
    assert d["filtered"] == {
        "master-1": "node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }"
    }
    assert (d["feasible"], d["evaluated"]) == (3, 4)
    assert set(d["total"]) == {"worker-1", "worker-2", "worker-3"}
    assert d["total"][d["node"]] == max(d["total"].values())


def test_default_spreading_selects_through_the_services_sharing_a_label_with_the_pod(small):
    for name, selector in (
        ("web", {"app": "web"}),
        ("db", {"app": "db"}),
        ("frontend", {"app": "web", "tier": "fe"}),
    ):
        small.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"selector": selector, "ports": [{"port": 80}]},
            }
        )
    small.run_until_stable()
    fw = small.scheduler.framework
    assert str(fw.default_selector(web_pod(labels={"app": "web"}))) == "app=web"
    assert str(fw.default_selector(web_pod(labels={"app": "web", "tier": "fe"}))) == "app=web,tier=fe"
    assert fw.default_selector(web_pod(labels={"tier": "fe"})).empty()


def test_a_higher_priority_pod_preempts_a_lower_priority_one(small):
    for i in (1, 2, 3):
        small.apply(web_pod(f"filler-{i}", cpu="1500m"))
    small.run_until_stable()
    placed = {p["metadata"]["name"]: p["spec"]["nodeName"] for p in small.pods()}
    small.apply(
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "high"},
            "value": 1000,
        }
    )  # the Priority admission plugin turns the class into spec.priority
    vip = web_pod("vip", cpu="1")
    vip["spec"]["priorityClassName"] = "high"
    small.apply(vip)
    small.run_until_stable()
    nominated = small.get("pods", "vip")["status"]["nominatedNodeName"]
    [preempted] = [e for e in small.api.items("events", "default") if e["reason"] == "Preempted"]
    victim = preempted["involvedObject"]["name"]
    assert placed[victim] == nominated and preempted["message"].endswith(f"on node {nominated}")
    assert small.api.peek("pods", victim, "default") is None  # its kubelet stopped it gracefully
    assert small.get("pods", "vip")["spec"]["nodeName"] == nominated


def run_scenario(seed):
    c = kcourse.Cluster(workers=3, addons=False, seed=seed)
    ensure_nodes(c, node("master-1", taints=[CONTROL_PLANE_TAINT]), *[node(f"worker-{i}") for i in (1, 2, 3)])
    for i in range(6):
        c.apply(web_pod(f"web-{i}"))
    c.run_until_stable()
    return [str(e) for e in c.events if e.component == "kube-scheduler"], dict(c.scheduler.decisions)


def test_same_seed_same_scheduling():
    assert run_scenario(3) == run_scenario(3)


# --- leader election ----------------------------------------------------------------------------------------


def test_stopping_the_leaders_master_hands_scheduling_over_after_the_lease_expires():
    c = kcourse.Cluster(masters=3, workers=1, addons=False, seed=0)
    c.advance(10)
    old = c.scheduler
    assert old.node == "master-1" and old.is_leader
    c.stop_master("master-1")
    renewed = parse_timestamp(c.api.peek("leases", "kube-scheduler", "kube-system")["spec"]["renewTime"])
    c.apply(web_pod())
    c.run_until_stable()
    new = c.scheduler
    assert new is not old and new.is_leader
    bound = [e for e in c.events if e.key == "default/web" and e.verb == "bind"]
    # a candidate sees the last renewal within a retry period (2 s), waits out the lease (15 s) from then,
    # takes over at its next retry (≤ 2 s) and binds the waiting pod right away
    assert bound and bound[0].node == new.node and renewed + 15 < bound[0].time <= renewed + 2 + 15 + 2 + 1
    assert c.get("pods", "web")["spec"]["nodeName"] == "worker-1"
    assert not old.pods.connected and new.pods.has_synced
