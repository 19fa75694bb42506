"""garbage-collector-controller: background, foreground and orphan cascading deletion over ownerReferences."""

from __future__ import annotations

import pytest
from test_replicaset import Lab, workload


@pytest.fixture
def lab(bare) -> Lab:
    return Lab(bare)


def with_pods(lab, kind="ReplicaSet"):
    lab.create(workload(kind, replicas=2))
    lab.cluster.run(until=lab.cluster.now + 1)
    assert len(lab.pods()) == 2
    return lab


def gc_lines(events):
    return [e.message for e in events if e.component == "garbage-collector-controller"]


def test_background_deletion_collects_the_dependents(lab):
    with_pods(lab)
    lab.api.delete("replicasets", "web", "default", user="kubectl")
    events = lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.pods() == []
    assert all(
        m.startswith("deleted pods/default/web-") and m.endswith("its owner ReplicaSet web is gone")
        for m in gc_lines(events)
    )


def test_a_deleted_deployment_takes_its_replica_sets_and_pods(lab):
    with_pods(lab, "Deployment")
    lab.api.delete("deployments", "web", "default", user="kubectl")
    lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.api.items("replicasets", "default") == [] and lab.pods() == []


def test_foreground_deletion_removes_dependents_before_the_owner(lab):
    with_pods(lab)
    lab.api.delete("replicasets", "web", "default", propagation_policy="Foreground", user="kubectl")
    rs = lab.api.peek("replicasets", "web", "default")
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"] and rs["metadata"]["deletionTimestamp"]
    events = lab.cluster.run(until=lab.cluster.now + 1)
    lines = gc_lines(events)
    assert (
        lines[-1]
        == "replicasets/default/web: no blocking dependents left, removed the foregroundDeletion finalizer"
    )
    assert sum(1 for m in lines if m.startswith("deleted pods/")) == 2
    assert lab.api.peek("replicasets", "web", "default") is None and lab.pods() == []


def test_foreground_waits_for_terminating_pods(lab):
    with_pods(lab)
    for pod in lab.pods():
        lab.run_pod(pod)  # bound Pods terminate gracefully: they stay until the kubelet is done
    lab.api.delete("replicasets", "web", "default", propagation_policy="Foreground", user="kubectl")
    lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.api.peek("replicasets", "web", "default") is not None
    lab.finish_terminating()
    lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.api.peek("replicasets", "web", "default") is None


def test_orphan_deletion_keeps_the_pods_without_an_owner(lab):
    with_pods(lab)
    lab.api.delete("replicasets", "web", "default", propagation_policy="Orphan", user="kubectl")
    lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.api.peek("replicasets", "web", "default") is None
    pods = lab.pods()
    assert len(pods) == 2 and all(not p["metadata"].get("ownerReferences") for p in pods)


def test_a_reference_to_a_missing_owner_is_dropped_while_another_owner_lives(lab):
    with_pods(lab)
    rs = lab.api.peek("replicasets", "web", "default")
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "ghost",
        "uid": "00000000-0000-4000-8000-000000000000",
    }
    lab.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "shared",
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "name": "web",
                        "uid": rs["metadata"]["uid"],
                    },
                    ghost,
                ],
            },
        }
    )
    lab.cluster.run(until=lab.cluster.now + 1)
    cm = lab.api.peek("configmaps", "shared", "default")
    assert [r["name"] for r in cm["metadata"]["ownerReferences"]] == ["web"]


def test_an_object_whose_only_owner_never_existed_is_collected(lab):
    lab.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "stray",
                "ownerReferences": [
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "name": "ghost",
                        "uid": "00000000-0000-4000-8000-000000000001",
                    }
                ],
            },
        }
    )
    lab.cluster.run(until=lab.cluster.now + 1)
    assert lab.api.peek("configmaps", "stray", "default") is None
