"""node-lifecycle-controller and the taint manager, on the simulated clock.

Heartbeats, Unknown, taints, eviction.
"""

from __future__ import annotations

import pytest
from nodekit import Heartbeats, add_node, add_pod, events, kcm_controller, renew_lease

from kcourse.sim.objects import condition, deep_copy, parse_timestamp, timestamp

UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


@pytest.fixture
def heartbeats(bare):
    """Stand-in kubelets renewing the Leases of the nodes in ``alive``."""
    return Heartbeats(bare)


def taints(c, name):
    return [(t["key"], t["effect"]) for t in c.api.peek("nodes", name)["spec"].get("taints") or []]


def ready_time(c, name):
    """When Ready stopped being True (its lastTransitionTime)."""
    return parse_timestamp(condition(c.api.peek("nodes", name), "Ready")["lastTransitionTime"])


@pytest.fixture
def two_nodes(bare, heartbeats):
    """node-a and node-b, both renewing their Leases; the test silences one of them."""
    add_node(bare, "node-a", heartbeats=heartbeats)
    add_node(bare, "node-b", heartbeats=heartbeats)
    bare.run_until_stable()
    return bare


def test_a_silent_node_turns_unknown_after_the_grace_period(two_nodes, heartbeats):
    c = two_nodes
    c.advance(10)
    heartbeats.alive.discard("node-b")
    last_renew = c.now
    c.advance(70)
    ready = condition(c.api.peek("nodes", "node-b"), "Ready")
    assert ready["status"] == "Unknown"
    assert ready["reason"] == "NodeStatusUnknown"
    assert ready["message"] == "Kubelet stopped posting node status."
    # Detected at the first 5-second monitor pass after renewTime + 50 s.
    assert last_renew + 50 < ready_time(c, "node-b") <= last_renew + 55
    for ctype in ("MemoryPressure", "DiskPressure", "PIDPressure"):
        assert condition(c.api.peek("nodes", "node-b"), ctype)["status"] == "Unknown"
    assert condition(c.api.peek("nodes", "node-a"), "Ready")["status"] == "True"
    assert [e["message"] for e in events(c, "NodeNotReady")] == ["Node node-b status is now: NodeNotReady"]


def test_the_grace_period_is_a_parameter(two_nodes, heartbeats):
    c = two_nodes
    kcm_controller(c, "node-lifecycle-controller").node_monitor_grace_period = 40.0  # before 1.32
    c.advance(10)
    heartbeats.alive.discard("node-b")
    last_renew = c.now
    c.advance(50)
    assert last_renew + 40 < ready_time(c, "node-b") <= last_renew + 45


def test_an_unknown_node_gets_the_unreachable_taints(two_nodes, heartbeats):
    c = two_nodes
    heartbeats.alive.discard("node-b")
    c.advance(70)
    assert (UNREACHABLE, "NoSchedule") in taints(c, "node-b")
    assert (UNREACHABLE, "NoExecute") in taints(c, "node-b")
    no_execute = next(
        t for t in c.api.peek("nodes", "node-b")["spec"]["taints"] if t["effect"] == "NoExecute"
    )
    assert no_execute["timeAdded"] == timestamp(ready_time(c, "node-b"))
    assert taints(c, "node-a") == []


def test_a_node_reporting_ready_false_gets_the_not_ready_taints(two_nodes):
    c = two_nodes
    node = deep_copy(c.api.peek("nodes", "node-b"))
    condition(node, "Ready").update(
        status="False", reason="KubeletNotReady", message="container runtime is down"
    )
    c.api.update_status(node, user="kubelet")
    c.run_until_stable()
    assert taints(c, "node-b") == [(NOT_READY, "NoSchedule"), (NOT_READY, "NoExecute")]


def test_pods_on_an_unknown_node_are_marked_not_ready(two_nodes, heartbeats):
    c = two_nodes
    add_pod(c, "web-1", "node-b", ip="10.244.2.5")
    heartbeats.alive.discard("node-b")
    c.advance(70)
    assert condition(c.api.peek("pods", "web-1", "default"), "Ready")["status"] == "False"
    assert [
        (e["involvedObject"]["name"], e["message"])
        for e in events(c, "NodeNotReady")
        if e["involvedObject"]["kind"] == "Pod"
    ] == [("web-1", "Node is not ready")]


def test_pods_are_evicted_when_their_300s_toleration_runs_out(two_nodes, heartbeats):
    c = two_nodes
    add_pod(c, "web-7x2kq", "node-b", ip="10.244.2.5")
    heartbeats.alive.discard("node-b")
    c.advance(70)
    tainted_at = ready_time(c, "node-b")
    c.advance(tainted_at + 299 - c.now)
    assert not c.api.peek("pods", "web-7x2kq", "default")["metadata"].get("deletionTimestamp")
    c.advance(2)
    pod = c.api.peek("pods", "web-7x2kq", "default")
    assert pod["metadata"]["deletionTimestamp"] == timestamp(tainted_at + 300 + 30)  # graceful delete
    assert condition(pod, "DisruptionTarget")["reason"] == "DeletionByTaintManager"
    [ev] = events(c, "TaintManagerEviction")
    assert ev["message"] == "Marking for deletion Pod default/web-7x2kq"
    assert parse_timestamp(ev["firstTimestamp"]) == tainted_at + 300


def test_a_pod_that_does_not_tolerate_a_no_execute_taint_goes_at_once(two_nodes):
    c = two_nodes
    add_pod(c, "batch", "node-a", ip="10.244.1.9")
    node = deep_copy(c.api.peek("nodes", "node-a"))
    node["spec"]["taints"] = [{"key": "example.com/maintenance", "effect": "NoExecute"}]
    c.api.update(node, user="admin")
    start = c.now
    c.run_until_stable()
    pod = c.api.peek("pods", "batch", "default")
    assert pod["metadata"]["deletionTimestamp"]
    assert parse_timestamp(events(c, "TaintManagerEviction")[0]["firstTimestamp"]) - start < 1


def test_a_pod_tolerating_forever_stays(two_nodes):
    c = two_nodes
    add_pod(
        c,
        "agent",
        "node-a",
        ip="10.244.1.9",
        tolerations=[{"key": "example.com/maintenance", "operator": "Exists", "effect": "NoExecute"}],
    )
    node = deep_copy(c.api.peek("nodes", "node-a"))
    node["spec"]["taints"] = [{"key": "example.com/maintenance", "effect": "NoExecute"}]
    c.api.update(node, user="admin")
    c.advance(600)
    assert not c.api.peek("pods", "agent", "default")["metadata"].get("deletionTimestamp")


def test_a_node_that_comes_back_loses_its_taints_and_its_pods_stay(two_nodes, heartbeats):
    c = two_nodes
    add_pod(c, "web-1", "node-b", ip="10.244.2.5")
    heartbeats.alive.discard("node-b")
    c.advance(70)
    assert (UNREACHABLE, "NoExecute") in taints(c, "node-b")
    node = deep_copy(c.api.peek("nodes", "node-b"))
    for cond in node["status"]["conditions"]:
        cond.update(status="False" if cond["type"] != "Ready" else "True", lastHeartbeatTime=timestamp(c.now))
    c.api.update_status(node, user="kubelet")
    renew_lease(c, "node-b")
    heartbeats.alive.add("node-b")
    c.advance(400)
    assert taints(c, "node-b") == []
    assert not c.api.peek("pods", "web-1", "default")["metadata"].get("deletionTimestamp")
    assert [e["message"] for e in events(c, "TaintManagerEviction")] == [
        "Cancelling deletion of Pod default/web-1"
    ]


def test_run_until_stable_carries_a_silent_node_through_to_eviction(two_nodes, heartbeats):
    c = two_nodes
    add_pod(c, "web-1", "node-b", ip="10.244.2.5")
    heartbeats.alive.discard("node-b")
    c.advance(20)  # the monitor notices the stale Lease: the grace period running out is pending work
    c.run_until_stable()
    assert c.api.peek("pods", "web-1", "default")["metadata"].get("deletionTimestamp")


def test_the_eviction_rate_limits_no_execute_taints_per_zone(bare, heartbeats):
    for name in ("n1", "n2", "n3", "n4", "n5"):
        add_node(bare, name, zone="zone-a", heartbeats=heartbeats)
    bare.run_until_stable()
    heartbeats.alive -= {"n1", "n2"}
    bare.advance(100)
    added = sorted(
        parse_timestamp(t["timeAdded"])
        for n in ("n1", "n2")
        for t in bare.api.peek("nodes", n)["spec"]["taints"]
        if t["effect"] == "NoExecute"
    )
    assert added[1] - added[0] == 10  # --node-eviction-rate 0.1: one node every 10 s


def test_when_every_node_is_silent_nothing_is_evicted(bare, heartbeats):
    add_node(bare, "node-a", heartbeats=heartbeats)
    add_node(bare, "node-b", heartbeats=heartbeats)
    bare.run_until_stable()
    heartbeats.alive.clear()
    bare.stop_kubelet("master-1")  # master-1's own kubelet falls silent too
    bare.advance(120)
    assert condition(bare.api.peek("nodes", "node-a"), "Ready")["status"] == "Unknown"
    assert condition(bare.api.peek("nodes", "master-1"), "Ready")["status"] == "Unknown"
    assert (UNREACHABLE, "NoExecute") not in taints(bare, "node-a") + taints(bare, "node-b") + taints(
        bare, "master-1"
    )
    assert (UNREACHABLE, "NoSchedule") in taints(bare, "node-a")


def test_a_node_that_never_reports_is_unknown_after_the_startup_grace_period(bare):
    add_node(bare, "silent", ready=None)
    created = bare.now
    bare.advance(70)
    ready = condition(bare.api.peek("nodes", "silent"), "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "Unknown",
        "NodeStatusNeverUpdated",
        "Kubelet never posted node status.",
    )
    assert created + 60 < ready_time(bare, "silent") <= created + 65


def test_every_node_is_registered_with_an_event_on_the_next_monitor_pass(two_nodes):
    two_nodes.advance(5)
    assert [e["message"] for e in events(two_nodes, "RegisteredNode")] == [
        "Node master-1 event: Registered Node master-1 in Controller",  # registered by its kubelet at boot
        "Node node-a event: Registered Node node-a in Controller",
        "Node node-b event: Registered Node node-b in Controller",
    ]


# --- a learner's session (needs the kubelet, scheduler and ReplicaSet controller) --------------


def test_a_failed_worker_is_detected_tainted_and_its_pods_replaced():
    import kcourse

    c = kcourse.Cluster(seed=0)
    if c.api.peek("nodes", "worker-2") is None:
        pytest.skip("needs kubelets that register their nodes")
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    c.run_until_stable()
    on_worker_2 = [p for p in c.pods(None) if p["spec"].get("nodeName") == "worker-2"]
    assert any(p["metadata"]["labels"].get("app") == "web" for p in on_worker_2), (
        "the scheduler spreads three replicas over three workers"
    )
    # Every Pod there is evicted (the addons' too) but the DaemonSet Pods, which tolerate unreachable forever.
    daemons = sorted(
        (p["metadata"]["namespace"], p["metadata"]["name"])
        for p in on_worker_2
        if any(r["kind"] == "DaemonSet" for r in p["metadata"].get("ownerReferences") or [])
    )
    doomed = sorted({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in on_worker_2} - set(daemons))
    assert daemons, "kube-proxy runs on every node"
    c.fail_node("worker-2")
    failed_at = c.now
    c.run_until_stable()
    unknown_at = ready_time(c, "worker-2")
    assert 40 < unknown_at - failed_at <= 55  # grace period 50 s after the last renewal (≤ 10 s before)
    assert (UNREACHABLE, "NoExecute") in taints(c, "worker-2")
    evicted = {
        (e["involvedObject"]["namespace"], e["involvedObject"]["name"]): parse_timestamp(e["firstTimestamp"])
        for e in events(c, "TaintManagerEviction")
    }
    assert sorted(evicted) == doomed
    assert all(0 <= t - (unknown_at + 300) <= 1 for t in evicted.values())  # the 300 s toleration
    for ns, name in doomed:  # Terminating on the dead node: nobody confirms
        assert c.api.peek("pods", name, ns)["metadata"]["deletionTimestamp"]
    for ns, name in daemons:
        assert not c.api.peek("pods", name, ns)["metadata"].get("deletionTimestamp")
    running = [
        p
        for p in c.pods()
        if not p["metadata"].get("deletionTimestamp") and p["metadata"]["labels"].get("app") == "web"
    ]
    assert len(running) == 3 and all(p["spec"]["nodeName"] != "worker-2" for p in running)
    assert all(p["status"].get("phase") == "Running" for p in running)


def test_the_remembered_heartbeat_follows_each_lease_renewal(two_nodes, heartbeats):
    c = two_nodes
    ctl = kcm_controller(c, "node-lifecycle-controller")
    node = ctl.nodes.get("node-a")
    first = ctl._probe_time(node)
    c.advance(12)  # the stand-in kubelet renewed node-a's Lease meanwhile
    node = ctl.nodes.get("node-a")
    lease = ctl.leases.get("kube-node-lease/node-a")
    assert ctl._probe_time(node) == parse_timestamp(lease["spec"]["renewTime"]) > first
