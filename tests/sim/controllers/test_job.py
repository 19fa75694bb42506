"""job-controller: Pods run to completion, failures replaced after a back-off, the Job completes or fails.

Each test is a learner's session on a booted cluster, checked the way a learner
would check it (``kubectl get jobs``, the Job's status and Events), against
``pkg/controller/job/job_controller.go``.
"""

from __future__ import annotations

import itertools

import pytest

import kcourse
from kcourse.sim.kinds.batch import JOB_TRACKING_FINALIZER
from kcourse.sim.objects import parse_timestamp


@pytest.fixture
def cluster() -> kcourse.Cluster:
    return kcourse.Cluster(seed=0)


def job(name: str, script: str, restart: str = "Never", **spec) -> dict:
    container = {"name": "work", "image": "busybox", "command": ["sh", "-c", script]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [container], "restartPolicy": restart}}, **spec},
    }


def pods_of(cluster, name: str) -> list[dict]:
    return [
        p
        for p in cluster.api.items("pods", "default")
        if (p["metadata"].get("labels") or {}).get("batch.kubernetes.io/job-name") == name
    ]


def events_of(cluster, name: str) -> list[tuple[str, str, str]]:
    uid = cluster.api.get("jobs", name, "default")["metadata"]["uid"]
    return [
        (e["type"], e["reason"], e["message"]) for e in cluster.api.events_for({"metadata": {"uid": uid}})
    ]


def test_a_job_runs_its_pod_to_completion(cluster):
    """``syncJob``: one Pod, counted through uncountedTerminatedPods, then SuccessCriteriaMet and Complete
    (reason CompletionsReached), completionTime, the Event ``Completed``; the Pod stays, without finalizer."""
    cluster.kubectl("create job hello --image=busybox -- sh -c 'sleep 5'")
    cluster.advance(30)
    st = cluster.api.get("jobs", "hello", "default")["status"]
    assert (st["succeeded"], st["active"], st["ready"], st["terminating"], st["uncountedTerminatedPods"]) == (
        1,
        0,
        0,
        0,
        {},
    )
    assert [(c["type"], c["reason"], c["message"]) for c in st["conditions"]] == [
        ("SuccessCriteriaMet", "CompletionsReached", "Reached expected number of succeeded pods"),
        ("Complete", "CompletionsReached", "Reached expected number of succeeded pods"),
    ]
    assert parse_timestamp(st["completionTime"]) - parse_timestamp(st["startTime"]) >= 5
    (pod,) = pods_of(cluster, "hello")
    assert pod["status"]["phase"] == "Succeeded"
    assert JOB_TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or [])
    assert [r for _, r, _ in events_of(cluster, "hello")] == ["SuccessfulCreate", "Completed"]
    table = cluster.kubectl("get jobs")
    assert table.splitlines()[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert table.splitlines()[1].split()[:3] == ["hello", "Complete", "1/1"]


def test_pods_carry_the_tracking_finalizer_and_owner_while_they_run(cluster):
    cluster.apply(job("slow", "sleep 300"))
    cluster.advance(10)
    (pod,) = pods_of(cluster, "slow")
    assert pod["metadata"]["finalizers"] == [JOB_TRACKING_FINALIZER]
    assert pod["metadata"]["generateName"] == "slow-"
    ref = pod["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"]) == ("Job", "slow", True)
    st = cluster.api.get("jobs", "slow", "default")["status"]
    assert (st["active"], st["ready"]) == (1, 1)
    assert cluster.kubectl("get jobs").splitlines()[1].split()[:3] == ["slow", "Running", "0/1"]


def test_parallelism_bounds_the_active_pods_until_completions_succeed(cluster):
    """``manageJob``: wantActive is min(parallelism, completions - succeeded)."""
    cluster.apply(job("batch", "sleep 20", completions=5, parallelism=2))
    most = 0
    for _ in range(40):
        cluster.advance(5)
        active = [
            p for p in pods_of(cluster, "batch") if p["status"].get("phase") not in ("Succeeded", "Failed")
        ]
        most = max(most, len(active))
    st = cluster.api.get("jobs", "batch", "default")["status"]
    assert most == 2
    assert st["succeeded"] == 5 and len(pods_of(cluster, "batch")) == 5
    assert cluster.kubectl("get jobs").splitlines()[1].split()[:3] == ["batch", "Complete", "5/5"]


def test_failed_pods_are_replaced_after_a_doubling_back_off_until_the_backoff_limit(cluster):
    """10 s doubling per failure since the last success (``DefaultJobPodFailureBackOff``); more than
    backoffLimit failures fail the Job: FailureTarget then Failed, BackoffLimitExceeded, a Warning Event."""
    cluster.apply(job("flaky", "sleep 1; exit 1", backoffLimit=3))
    cluster.advance(400)
    pods = sorted(
        pods_of(cluster, "flaky"), key=lambda p: parse_timestamp(p["metadata"]["creationTimestamp"])
    )
    assert len(pods) == 4 and all(p["status"]["phase"] == "Failed" for p in pods)
    starts = [parse_timestamp(p["metadata"]["creationTimestamp"]) for p in pods]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps[0] >= 10 and gaps[1] >= 20 and gaps[2] >= 40
    assert gaps[1] < gaps[2] < 2 * gaps[2]
    st = cluster.api.get("jobs", "flaky", "default")["status"]
    assert st["failed"] == 4 and "succeeded" not in st and "completionTime" not in st
    assert [(c["type"], c["reason"], c["message"]) for c in st["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
        ("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit"),
    ]
    assert events_of(cluster, "flaky")[-1] == (
        "Warning",
        "BackoffLimitExceeded",
        "Job has reached the specified backoff limit",
    )
    assert cluster.kubectl("get jobs").splitlines()[1].split()[:3] == ["flaky", "Failed", "0/1"]


def test_a_deleted_running_pod_counts_as_failed_and_is_replaced(cluster):
    cluster.apply(job("steady", "sleep 600"))
    cluster.advance(10)
    (first,) = pods_of(cluster, "steady")
    cluster.kubectl(f"delete pod {first['metadata']['name']} --wait=false")
    cluster.advance(60)
    names = [p["metadata"]["name"] for p in pods_of(cluster, "steady")]
    assert first["metadata"]["name"] not in names and len(names) == 1
    st = cluster.api.get("jobs", "steady", "default")["status"]
    assert (st["failed"], st["active"]) == (1, 1)


def test_deleting_a_job_deletes_its_pods_and_frees_their_finalizers(cluster):
    cluster.apply(job("gone", "sleep 600", parallelism=2, completions=2))
    cluster.advance(10)
    assert len(pods_of(cluster, "gone")) == 2
    cluster.kubectl("delete job gone")
    cluster.advance(60)
    assert pods_of(cluster, "gone") == []


def test_a_suspended_job_runs_nothing_until_resumed(cluster):
    cluster.apply(job("later", "sleep 5", suspend=True))
    cluster.advance(10)
    assert pods_of(cluster, "later") == []
    st = cluster.api.get("jobs", "later", "default")["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in st["conditions"]] == [
        ("Suspended", "True", "JobSuspended")
    ]
    assert "startTime" not in st
    assert cluster.kubectl("get jobs").splitlines()[1].split()[1] == "Suspended"
    cluster.api.patch("jobs", "later", {"spec": {"suspend": False}}, namespace="default")
    cluster.advance(30)
    st = cluster.api.get("jobs", "later", "default")["status"]
    assert st["succeeded"] == 1
    assert ("Suspended", "False", "JobResumed") in [
        (c["type"], c["status"], c["reason"]) for c in st["conditions"]
    ]
