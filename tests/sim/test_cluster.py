"""A learner's first session with the whole cluster, through the facade a notebook uses."""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse
from kcourse.sim.errors import ApiError
from kcourse.sim.objects import deep_copy

MANIFESTS = Path(__file__).resolve().parent.parent / "manifests"


def running_pods(c, label: str) -> list[dict]:
    key, _, value = label.partition("=")
    return [
        p
        for p in c.api.items("pods", "default")
        if p["metadata"].get("labels", {}).get(key) == value and p["status"].get("phase") == "Running"
    ]


def test_a_booted_cluster_is_ready_and_stable(cluster):
    nodes = cluster.kubectl("get nodes").splitlines()
    assert [line.split()[:2] for line in nodes[1:]] == [
        ["master-1", "Ready"],
        ["worker-1", "Ready"],
        ["worker-2", "Ready"],
        ["worker-3", "Ready"],
    ]
    assert cluster.run_until_stable() == []  # nothing left to settle: only heartbeats remain


def test_a_deployment_of_three_runs_one_pod_on_each_worker(cluster):
    cluster.apply((MANIFESTS / "nginx-deployment.yaml").read_text())
    cluster.run_until_stable()
    pods = running_pods(cluster, "app=nginx")
    assert len(pods) == 3
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["worker-1", "worker-2", "worker-3"]
    assert "nginx-deployment   3/3     3            3" in cluster.kubectl("get deployments")


def test_scaling_up_and_down_follows_the_desired_count(cluster):
    cluster.apply((MANIFESTS / "nginx-deployment.yaml").read_text())
    cluster.run_until_stable()
    assert (
        cluster.kubectl("scale deployment nginx-deployment --replicas=5").strip()
        == "deployment.apps/nginx-deployment scaled"
    )
    cluster.run_until_stable()
    assert len(running_pods(cluster, "app=nginx")) == 5
    cluster.kubectl("scale deployment nginx-deployment --replicas=2")
    cluster.run_until_stable()
    assert len(running_pods(cluster, "app=nginx")) == 2


def test_a_stale_update_is_refused_with_409_and_the_store_is_unchanged(cluster):
    cluster.apply((MANIFESTS / "nginx-deployment.yaml").read_text())
    old = deep_copy(cluster.api.peek("deployments", "nginx-deployment", "default"))
    fresh = deep_copy(old)
    fresh["spec"]["replicas"] = 4
    cluster.api.update(fresh, user="kubectl")
    old["spec"]["replicas"] = 7
    revision = cluster.etcd.revision
    with pytest.raises(ApiError) as err:
        cluster.api.update(old, user="kubectl")
    assert err.value.code == 409 and err.value.reason == "Conflict"
    assert (
        "the object has been modified; please apply your changes to the latest version and try again"
        in err.value.message
    )
    assert cluster.etcd.revision == revision
    assert cluster.api.peek("deployments", "nginx-deployment", "default")["spec"]["replicas"] == 4


def test_an_invalid_pod_is_refused_with_422_naming_the_field(cluster):
    revision = cluster.etcd.revision
    with pytest.raises(ApiError) as err:
        cluster.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "Bad_Name"},
                "spec": {"containers": [{"name": "app"}]},
            }
        )
    assert err.value.code == 422 and err.value.reason == "Invalid"
    assert 'Pod "Bad_Name" is invalid' in err.value.message
    assert (
        "metadata.name" in err.value.message
        and "spec.containers[0].image: Required value" in err.value.message
    )
    assert cluster.etcd.revision == revision


def test_a_watch_from_before_the_compaction_is_410_gone(cluster):
    old = str(cluster.etcd.revision - 50)
    cluster.etcd.compact(cluster.etcd.revision)
    with pytest.raises(ApiError) as err:
        cluster.api.watch("pods", lambda *_: None, resource_version=old)
    assert err.value.code == 410 and err.value.reason == "Expired"


def test_stopping_the_leaders_master_elects_a_new_leader():
    c = kcourse.Cluster(masters=3, workers=1, seed=0)
    holder = c.api.peek("leases", "kube-controller-manager", "kube-system")["spec"]["holderIdentity"]
    old_master = holder.split("_")[0]
    c.stop_master(old_master)
    c.advance(30)
    new = c.api.peek("leases", "kube-controller-manager", "kube-system")["spec"]["holderIdentity"]
    assert new.split("_")[0] != old_master and new.endswith("_kube-controller-manager")


def session(seed: int) -> tuple[list[str], list[str]]:
    c = kcourse.Cluster(seed=seed)
    c.apply((MANIFESTS / "nginx-deployment.yaml").read_text())
    c.run_until_stable()
    c.fail_node("worker-2")
    c.run_until_stable()
    outputs = [c.kubectl(cmd) for cmd in ("get pods -A -o wide", "get nodes", "get events -A", "get all")]
    return [str(e) for e in c.events], outputs


def test_the_same_seed_gives_the_same_trace_and_kubectl_output_byte_for_byte():
    first, second = session(5), session(5)
    assert first == second
    assert len(first[0]) > 500


def test_another_seed_gives_other_generated_names():
    assert session(5)[1][0] != session(6)[1][0]


def test_components_that_spin_without_time_passing_stop_with_a_clear_error(cluster, monkeypatch):
    monkeypatch.setattr(type(cluster), "MAX_EVENTS_PER_INSTANT", 50)
    kubelet = cluster.machines["worker-1"].component("kubelet")

    def spin():
        kubelet.after(0, spin)
        return kubelet.event("worker-1", "retrying at once")

    kubelet.after(0, spin)
    with pytest.raises(
        RuntimeError, match=r"events at t=.* without time passing; the last: .*retrying at once"
    ):
        cluster.run_until_stable()


def test_a_trace_limit_keeps_the_newest_events_and_slices_like_a_list():
    full = kcourse.Cluster(seed=0)
    bounded = kcourse.Cluster(seed=0, trace_limit=40)
    assert len(bounded.events) == 40
    assert bounded.events[-5:] == full.events[-5:] and bounded.events[0] == full.events[-40]
    assert bounded.trace() == full.trace(full.events[-40:])


def test_reachability_answers_follow_partitions_power_and_new_machines():
    """Every watch event to a node's program asks whether its node reaches an API server; the answer is
    remembered, so it must be forgotten whenever a machine joins, fails, recovers or is cut off."""
    c = kcourse.Cluster(workers=2, addons=False, bootstrap=False)
    assert c.reachable(None) and c.reachable("worker-1") and c.reachable("worker-2")
    c.partition_node("worker-1")
    assert not c.reachable("worker-1") and c.reachable("worker-2")
    c.heal_partition("worker-1")
    assert c.reachable("worker-1")
    c.machines["worker-2"].powered = False  # flipped by hand, as a test or a notebook may
    assert not c.reachable("worker-2")
    c.machines["worker-2"].powered = True
    assert c.reachable("worker-2")
    assert c.reachable("worker-9")  # no such machine (yet): nothing cuts it off
    c.add_node("worker-9")
    c.partition_node("worker-9")
    assert not c.reachable("worker-9")
    c.fail_node("master-1")
    assert not c.reachable(None) and not c.reachable("worker-1")
    c.recover_node("master-1")
    assert c.reachable(None) and c.reachable("worker-1") and not c.reachable("worker-9")


def test_a_copied_cluster_forgets_its_own_reachability_answers():
    """``reachable`` remembers its answers; a copy's machines must clear the copy's, not the original's.

    The fault-schedule tests run every schedule on ``copy.deepcopy`` of a booted cluster: a stopped
    master on the copy must make the copy's nodes lose the API server, and leave the original alone.
    """
    import copy

    from kcourse.sim import Cluster
    from tests.properties.harness import _closures_copied

    original = Cluster(workers=1, seed=5, addons=False)
    original.run_until_stable()
    assert original.reachable("worker-1")
    with _closures_copied():
        clone = copy.deepcopy(original)
    assert clone.reachable("worker-1")
    master = next(name for name, m in clone.machines.items() if m.is_master)
    clone.machines[master].powered = False
    assert not clone.reachable("worker-1")
    assert original.reachable("worker-1")
    clone.machines[master].powered = True
    assert clone.reachable("worker-1")
