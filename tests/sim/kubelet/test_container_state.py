"""The kubelet's record of a container: one explicit state at a time, as v1.ContainerStatus reports it."""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.kubelet.container import ContainerRecord, Running, Terminated, Waiting


def test_a_new_container_waits_in_container_creating():
    c = ContainerRecord("app", {"name": "app", "image": "nginx"}, init=False)
    assert c.current == Waiting("ContainerCreating") and c.state == "waiting"
    assert c.current.as_dict() == {"waiting": {"reason": "ContainerCreating"}}


def test_run_then_terminate_keeps_the_start_time_and_stops_being_ready():
    c = ContainerRecord("app", {"name": "app", "image": "nginx"}, init=False)
    c.run(5.0)
    c.ready = True
    c.terminate(2, "", 9.0)
    assert c.current == Terminated(2, "Error", 5.0, 9.0) and c.state == "terminated" and not c.ready
    c.terminate(0, "", 9.0)
    assert c.current.reason == "Completed"


def test_a_restart_makes_the_terminated_instance_the_last_state_with_its_container_id():
    """kuberuntime_container.go: lastState is the previous instance's terminated state, with its
    containerID."""
    c = ContainerRecord("app", {"name": "app", "image": "nginx"}, init=False)
    c.cid = "a" * 64
    c.run(1.0)
    c.terminate(1, "Error", 3.0)
    c.cid_old, c.cid = c.cid, "b" * 64
    c.run(4.0)
    assert c.current == Running(4.0)
    assert c.last == Terminated(1, "Error", 1.0, 3.0, "a" * 64)
    assert (
        c.last.as_dict("containerd://" + "a" * 64)["terminated"]["containerID"] == "containerd://" + "a" * 64
    )


def test_a_waiting_state_carries_no_fields_of_a_run():
    c = ContainerRecord("app", {"name": "app", "image": "nginx"}, init=False)
    c.run(1.0)
    c.terminate(1, "Error", 2.0)
    c.wait("CrashLoopBackOff", "back-off 10s restarting failed container")
    assert c.current == Waiting("CrashLoopBackOff", "back-off 10s restarting failed container")
    assert not hasattr(c.current, "exit_code") and not c.succeeded


@pytest.mark.parametrize("reason", ["ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff"])
def test_the_status_the_api_server_shows_is_the_records_state(reason):
    cluster = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    command = ["sh", "-c", "exit 1"] if reason == "CrashLoopBackOff" else None
    container = {"name": "app", "image": "busybox:1.36" if command else "nginx:nope"}
    if command:
        container["command"] = command
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"nodeName": "worker-1", "containers": [container]},
        }
    )
    record = cluster.kubelet("worker-1").pods["default/p"].ctrs["app"]

    def shown() -> dict:
        statuses = cluster.api.peek("pods", "p", "default")["status"].get("containerStatuses") or [
            {"state": {}}
        ]
        return statuses[0]["state"]

    assert cluster.run_until(lambda: shown().get("waiting", {}).get("reason") == reason, cluster.now + 30)
    cluster.run(until=cluster.now + 0.05)
    assert isinstance(record.current, Waiting) and record.current.reason == reason
    assert shown() == record.current.as_dict()
