"""namespace-controller: a deleted namespace is emptied, then its ``kubernetes`` finalizer removed."""

from __future__ import annotations

import pytest
from test_replicaset import Lab, workload


@pytest.fixture
def lab(bare) -> Lab:
    lab = Lab(bare)
    lab.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    lab.create(workload("Deployment", replicas=2, namespace="shop"))
    lab.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}}
    )
    lab.cluster.run(until=lab.cluster.now + 1)
    return lab


def test_a_deleted_namespace_terminates_then_goes_once_empty(lab):
    lab.api.delete("namespaces", "shop", user="kubectl")
    ns = lab.api.peek("namespaces", "shop")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    lab.cluster.run(until=lab.cluster.now + 4.9)
    assert lab.api.peek("configmaps", "settings", "shop") is not None  # the 5 s deletion grace period
    events = lab.cluster.run(until=lab.cluster.now + 1)
    [line] = [e.message for e in events if e.component == "namespace-controller"]
    assert line.endswith(
        "namespace shop is empty: removed the kubernetes finalizer, the API server deletes it"
    )
    assert lab.api.peek("namespaces", "shop") is None
    assert lab.api.items("deployments", "shop") == [] and lab.api.items("configmaps", "shop") == []


def test_terminating_pods_hold_the_namespace_and_say_so(lab):
    for pod in lab.pods("shop"):
        lab.run_pod(pod)  # bound: they terminate gracefully
    lab.api.delete("namespaces", "shop", user="kubectl")
    events = lab.cluster.run(until=lab.cluster.now + 6)
    [line] = [e.message for e in events if e.component == "namespace-controller"]
    assert "waiting for 2 pods to go" in line
    conds = {c["type"]: c for c in lab.api.peek("namespaces", "shop")["status"]["conditions"]}
    assert conds["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert (
        conds["NamespaceContentRemaining"]["message"]
        == "Some resources are remaining: pods has 2 resource instances"
    )
    assert conds["NamespaceDeletionContentFailure"]["reason"] == "ContentDeleted"
    lab.finish_terminating("shop")
    lab.cluster.run(until=lab.cluster.now + 40)
    assert lab.api.peek("namespaces", "shop") is None


def test_new_objects_are_refused_while_terminating(lab):
    from kcourse.sim.errors import ApiError

    for pod in lab.pods("shop"):
        lab.run_pod(pod)
    lab.api.delete("namespaces", "shop", user="kubectl")
    with pytest.raises(ApiError) as err:
        lab.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late", "namespace": "shop"}}
        )
    assert err.value.code == 403


def test_a_namespace_not_being_deleted_is_left_alone(lab):
    ctl = lab.controller("namespace-controller")
    _, actions = lab.actions(lambda: ctl.sync_handler("shop"), user="namespace-controller")
    assert actions == [] and lab.api.peek("configmaps", "settings", "shop") is not None
