"""daemonset-controller: one Pod per eligible node.

Pinned by node affinity, with the default tolerations, replaced by a rolling update.
"""

from __future__ import annotations

import pytest
from test_replicaset import Lab, workload

from kcourse.sim.controllers.daemonset import CONTROLLER_REVISION_HASH, DaemonSetView, daemon_pod_tolerations
from kcourse.sim.objects import deep_copy

CONTROL_PLANE = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}


@pytest.fixture
def lab(bare) -> Lab:
    """The bare control plane (its kubelet registered master-1, tainted) and two hand-made workers."""
    lab = Lab(bare)
    assert CONTROL_PLANE in lab.api.peek("nodes", "master-1")["spec"]["taints"]
    lab.node("worker-1")
    lab.node("worker-2")
    return lab


def daemonset(lab, **spec):
    lab.create(workload("DaemonSet", name="agent", replicas=None, namespace="kube-system", **spec))
    return lab.controller("daemonset-controller"), "kube-system/agent"


def nodes_of(lab):
    out = {}
    for pod in lab.pods("kube-system"):
        if not any(ref["kind"] == "DaemonSet" for ref in pod["metadata"].get("ownerReferences") or []):
            continue  # the control plane's static (mirror) Pods
        term = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        [field] = term["nodeSelectorTerms"][0]["matchFields"]
        out[field["values"][0]] = pod
    return out


def test_one_pod_per_worker_pinned_by_match_fields(lab):
    ctl, key = daemonset(lab)
    message, actions = lab.actions(lambda: ctl.sync_handler(key), user="daemonset-controller")
    assert actions == ["create pods", "create events"] * 2 + ["update daemonsets/status"]
    pods = nodes_of(lab)
    assert sorted(pods) == ["worker-1", "worker-2"]  # the master's taint is not tolerated
    term = pods["worker-1"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]
    assert term == {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["worker-1"]}]}
        ]
    }
    assert not pods["worker-1"]["spec"].get("nodeName")  # the scheduler binds it
    assert pods["worker-1"]["metadata"]["generateName"] == "agent-"
    assert CONTROLLER_REVISION_HASH in pods["worker-1"]["metadata"]["labels"]
    assert "created agent-" in message


def test_tolerating_the_control_plane_taint_includes_masters(lab):
    ctl, key = daemonset(lab)
    ds = deep_copy(lab.api.peek("daemonsets", "agent", "kube-system"))
    ds["spec"]["template"]["spec"]["tolerations"] = [
        {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}
    ]
    lab.api.update(ds, user="kubectl")
    ctl.sync_handler(key)
    assert sorted(nodes_of(lab)) == ["master-1", "worker-1", "worker-2"]


def test_daemon_pods_get_the_default_tolerations_without_a_time_limit(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    tolerations = nodes_of(lab)["worker-1"]["spec"]["tolerations"]
    assert {(t["key"], t["effect"]) for t in tolerations} == {
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    }
    assert all("tolerationSeconds" not in t for t in tolerations)  # never evicted for a sick node


def test_host_network_pods_also_tolerate_network_unavailable():
    keys = {t["key"] for t in daemon_pod_tolerations({"hostNetwork": True})}
    assert "node.kubernetes.io/network-unavailable" in keys


def test_node_selector_limits_the_nodes(lab):
    lab.node("gpu-1", labels={"gpu": "true"})
    ctl, key = daemonset(lab)
    ds = deep_copy(lab.api.peek("daemonsets", "agent", "kube-system"))
    ds["spec"]["template"]["spec"]["nodeSelector"] = {"gpu": "true"}
    lab.api.update(ds, user="kubectl")
    ctl.sync_handler(key)
    assert sorted(nodes_of(lab)) == ["gpu-1"]


def test_status_counts_scheduled_ready_and_updated(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    for node, pod in nodes_of(lab).items():
        lab.run_pod(pod, node)
    ctl.sync_handler(key)
    st = lab.api.peek("daemonsets", "agent", "kube-system")["status"]
    assert {
        k: st.get(k, 0)
        for k in (
            "desiredNumberScheduled",
            "currentNumberScheduled",
            "numberReady",
            "numberAvailable",
            "updatedNumberScheduled",
            "numberMisscheduled",
            "observedGeneration",
        )
    } == {
        "desiredNumberScheduled": 2,
        "currentNumberScheduled": 2,
        "numberReady": 2,
        "numberAvailable": 2,
        "updatedNumberScheduled": 2,
        "numberMisscheduled": 0,
        "observedGeneration": 1,
    }


def test_an_untolerated_no_execute_taint_removes_the_pod(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    lab.run_pod(nodes_of(lab)["worker-2"], "worker-2")
    node = deep_copy(lab.api.peek("nodes", "worker-2"))
    node["spec"]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoExecute"}]
    lab.api.update(node, user="kubectl")
    message = ctl.sync_handler(key)
    assert "deleted agent-" in message
    assert lab.api.peek("daemonsets", "agent", "kube-system")["status"]["desiredNumberScheduled"] == 1


def test_a_new_node_gets_a_daemon_pod(lab):
    daemonset(lab)
    lab.cluster.run(until=lab.cluster.now + 1)
    lab.node("worker-3")
    lab.cluster.run(until=lab.cluster.now + 1)
    assert sorted(nodes_of(lab)) == ["worker-1", "worker-2", "worker-3"]


def test_rolling_update_replaces_one_pod_at_a_time(lab):
    lab.node("worker-3")
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    for node, pod in nodes_of(lab).items():
        lab.run_pod(pod, node)
    ds = deep_copy(lab.api.peek("daemonsets", "agent", "kube-system"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    lab.api.update(ds, user="kubectl")
    message = ctl.sync_handler(key)
    assert "rolling update (maxUnavailable 1)" in message
    terminating = [p for p in lab.pods("kube-system") if p["metadata"].get("deletionTimestamp")]
    assert len(terminating) == 1
    ctl.sync_handler(key)
    assert len([p for p in lab.pods("kube-system") if p["metadata"].get("deletionTimestamp")]) == 1  # still 1


# --- the per-node view: recomputed where something changed, equal to a full walk ---------------------


def assert_view_matches_a_full_walk(ctl, key):
    """The controller's incremental view of every node equals one built from scratch now."""
    view = ctl.views[key]
    fresh = DaemonSetView(ctl.ds_informer.get(key), view.pod_hash, ctl.node_informer, ctl.pod_informer)
    now = ctl.clock.now
    view.refresh_snapshot(now)
    fresh.refresh_snapshot(now)
    for table in ("manage", "unmatched", "runs", "unavailable", "replace", "old"):
        assert getattr(view, table) == getattr(fresh, table), table
    assert view.refresh_status(now) == fresh.refresh_status(now)
    assert view.counts == fresh.counts


def test_a_pod_event_makes_only_its_node_stale(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    ctl.sync_handler(key)
    view = ctl.views[key]
    assert view.snap_dirty == set() and view.status_dirty == set()
    lab.run_pod(nodes_of(lab)["worker-2"], "worker-2")
    assert view.snap_dirty == {"worker-2"} and view.status_dirty == {"worker-2"}


def test_a_heartbeat_leaves_the_view_alone_but_a_taint_does_not(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    ctl.sync_handler(key)  # the first one's creations touched the nodes
    view = ctl.views[key]
    assert view.snap_dirty == set()
    node = deep_copy(lab.api.peek("nodes", "worker-1"))
    node["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
    lab.api.update_status(node, user="kubelet")
    assert view.snap_dirty == set()
    node = deep_copy(lab.api.peek("nodes", "worker-1"))
    node["spec"]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    lab.api.update(node, user="kubectl")
    assert view.snap_dirty == {"worker-1"}


def test_a_new_template_starts_a_new_view(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    before = ctl.views[key]
    ds = deep_copy(lab.api.peek("daemonsets", "agent", "kube-system"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    lab.api.update(ds, user="kubectl")
    ctl.sync_handler(key)
    assert ctl.views[key] is not before


def test_the_view_stays_equal_to_a_full_walk_through_a_learners_session(lab):
    lab.node("worker-3")
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    for node, pod in nodes_of(lab).items():
        lab.run_pod(pod, node)
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    # a NoExecute taint the Pod does not tolerate, and a label the selector no longer matches
    node = deep_copy(lab.api.peek("nodes", "worker-3"))
    node["spec"]["taints"] = [{"key": "dedicated", "value": "db", "effect": "NoExecute"}]
    lab.api.update(node, user="kubectl")
    pod = deep_copy(nodes_of(lab)["worker-2"])
    pod["metadata"]["labels"]["app"] = "debug"
    lab.api.update(pod, user="kubectl")
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    # a failed daemon Pod, a node going away, then a rollout
    failed = deep_copy(lab.api.peek("pods", nodes_of(lab)["worker-1"]["metadata"]["name"], "kube-system"))
    failed["status"]["phase"] = "Failed"
    lab.api.update_status(failed, user="kubelet")
    lab.api.delete("nodes", "worker-3", user="kubectl")
    lab.cluster.run(until=lab.cluster.now + 1)
    lab.finish_terminating("kube-system")
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    for node, pod in nodes_of(lab).items():
        if not pod["metadata"].get("deletionTimestamp"):
            lab.run_pod(pod, node)
    ds = deep_copy(lab.api.peek("daemonsets", "agent", "kube-system"))
    ds["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    lab.api.update(ds, user="kubectl")
    for _ in range(4):
        ctl.sync_handler(key)
        assert_view_matches_a_full_walk(ctl, key)
        lab.finish_terminating("kube-system")
        lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.events("FailedDaemonPod")


def test_an_orphan_the_selector_matches_is_adopted_into_its_nodes_view(lab):
    ctl, key = daemonset(lab)
    ctl.sync_handler(key)
    orphan = deep_copy(nodes_of(lab)["worker-1"])
    for field in ("name", "uid", "resourceVersion", "creationTimestamp", "ownerReferences", "generateName"):
        orphan["metadata"].pop(field, None)
    orphan["metadata"]["name"] = "agent-by-hand"
    lab.api.create(orphan, user="kubectl")
    message = ctl.sync_handler(key)
    assert "adopted agent-by-hand" in message
    assert_view_matches_a_full_walk(ctl, key)


def test_with_min_ready_seconds_availability_follows_the_clock(lab):
    ctl, key = daemonset(lab, minReadySeconds=5)
    ctl.sync_handler(key)
    for node, pod in nodes_of(lab).items():
        lab.run_pod(pod, node)
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    assert lab.api.peek("daemonsets", "agent", "kube-system")["status"].get("numberAvailable", 0) == 0
    lab.cluster.run(until=lab.cluster.now + 10)  # no Pod event: only time passed
    ctl.sync_handler(key)
    assert_view_matches_a_full_walk(ctl, key)
    assert lab.api.peek("daemonsets", "agent", "kube-system")["status"]["numberAvailable"] == 2
