"""Shrunk counterexamples the fault schedules found, kept as plain tests of the behaviour that was wrong."""

from __future__ import annotations

import kcourse

from .harness import convergence_gaps, fresh_copy
from .test_fault_schedules import APPS, WORKLOAD


def _ready(pod: dict) -> str:
    return next(c["status"] for c in pod["status"]["conditions"] if c["type"] == "Ready")


def _web_pods_on(cluster: kcourse.Cluster, node: str) -> list[dict]:
    return [p for p in cluster.pods() if p["spec"].get("nodeName") == node]


def test_pods_marked_not_ready_while_the_kubelet_was_down_are_ready_again_after_it_restarts() -> None:
    """node-lifecycle sets Ready=False on a silent node's pods; the restarted kubelet must put it back."""
    c = fresh_copy(masters=3, workers=2, workload=WORKLOAD)
    c.stop_kubelet("worker-1")
    c.advance(120)  # past node-monitor-grace-period: the node and its pods are marked NotReady
    assert {_ready(p) for p in _web_pods_on(c, "worker-1")} == {"False"}
    c.start_kubelet("worker-1")
    c.advance(30)
    assert {_ready(p) for p in _web_pods_on(c, "worker-1")} == {"True"}
    assert convergence_gaps(c, APPS) == []


def test_a_container_that_crashed_while_the_kubelet_was_down_is_restarted_when_it_comes_back() -> None:
    c = fresh_copy(masters=1, workers=2, workload=WORKLOAD)
    pod = _web_pods_on(c, "worker-1")[0]["metadata"]["name"]
    c.stop_kubelet("worker-1")
    c.crash_container(pod)
    c.start_kubelet("worker-1")
    c.advance(30)
    status = c.get("pods", pod)["status"]["containerStatuses"][0]
    assert status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 1


def test_a_kubelet_cut_off_while_finishing_a_pod_deletion_waits_instead_of_spinning() -> None:
    """The final status write failed as Unreachable and was retried at once, forever, at the same instant."""
    c = fresh_copy(masters=1, workers=2, workload=WORKLOAD)
    pod = _web_pods_on(c, "worker-1")[0]["metadata"]["name"]
    c.api.delete("pods", pod, "default", user="kubectl")
    for _ in range(200):  # up to the runtime's RemovePodSandbox: next comes the kubelet's final status write
        if c.step().message.startswith(f"RemovePodSandbox default/{pod}"):
            break
    c.partition_node("worker-1")
    start = c.now
    c.run(until=start + 30, max_steps=5_000)
    assert c.now == start + 30, "the simulation stopped advancing: an action repeats at one instant"
    c.heal_partition("worker-1")
    c.advance(30)
    assert c.api.peek("pods", pod, "default") is None


def test_a_deletion_at_the_compaction_point_reaches_a_controller_that_was_cut_off() -> None:
    """Shrunk schedule: partition the control plane node, delete a Deployment, compact at once, heal.

    etcd drops a tombstone that sits exactly at the compaction revision, so a watch resumed from just
    before it never hears of the deletion; the API server must send the informer to relist (410) instead,
    or the garbage collector never learns the owner is gone and the ReplicaSet's Pods run forever.
    """
    c = fresh_copy(masters=1, workers=2, workload=WORKLOAD)
    c.partition_node("master-1")
    c.api.delete("deployments", "web", "default", user="kubectl")
    c.etcd.compact(c.etcd.revision)
    c.heal_partition("master-1")
    c.advance(120)
    assert [p["metadata"]["name"] for p in c.api.items("pods", "default")] == []
    assert convergence_gaps(c, APPS) == []
