"""The indexes that keep a sync's cost proportional to what it touches return what a full scan would."""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.controllers.controller_utils import pods_by_owner
from kcourse.sim.controllers.endpoints import selected_pods
from kcourse.sim.informer import Informer

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 4,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web", "tier": "front"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}


@pytest.fixture(scope="module")
def cluster():
    c = kcourse.Cluster(workers=2, seed=1)
    c.apply(WEB)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.25"}]},
        }
    )
    c.run_until_stable()
    return c


def _pods(c: kcourse.Cluster) -> Informer:
    informer = Informer(c.api.client("test"), "pods")
    informer.start()
    return informer


def test_pods_by_owner_returns_the_owners_pods_in_key_order(cluster):
    rs = cluster.api.items("replicasets", "default")[0]
    pods = _pods(cluster)
    from kcourse.sim.controllers.controller_utils import POD_CONTROLLER_UID_INDEX, pod_controller_uid_index

    pods.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
    owned = pods_by_owner(pods, rs, include_orphans=False)
    scanned = [
        p
        for p in pods.list()
        if any(
            r.get("controller") and r["uid"] == rs["metadata"]["uid"]
            for r in p["metadata"].get("ownerReferences") or []
        )
    ]
    assert [p["metadata"]["name"] for p in owned] == [p["metadata"]["name"] for p in scanned]
    assert len(owned) == 4


def test_pods_by_owner_adds_the_namespaces_orphans(cluster):
    rs = cluster.api.items("replicasets", "default")[0]
    pods = _pods(cluster)
    from kcourse.sim.controllers.controller_utils import POD_CONTROLLER_UID_INDEX, pod_controller_uid_index

    pods.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
    names = [p["metadata"]["name"] for p in pods_by_owner(pods, rs, include_orphans=True)]
    assert "stray" in names and names == sorted(names)


def test_selected_pods_matches_a_scan_of_the_namespace(cluster):
    pods = _pods(cluster)
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web", "tier": "front"}},
    }
    scanned = [
        p["metadata"]["name"]
        for p in pods.list()
        if p["metadata"]["namespace"] == "default"
        and p["metadata"].get("labels", {}).get("tier") == "front"
        and p["metadata"]["labels"].get("app") == "web"
    ]
    assert [p["metadata"]["name"] for p in selected_pods(pods, svc)] == scanned
    assert len(scanned) == 4


def test_a_service_without_a_selector_selects_nothing(cluster):
    svc = {"metadata": {"name": "x", "namespace": "default"}, "spec": {}}
    assert selected_pods(_pods(cluster), svc) == []


def test_a_watch_pinned_to_a_node_sees_exactly_the_pods_bound_there(cluster):
    def on(node: str) -> set[str]:
        return {p["metadata"]["name"] for p in cluster.pods() if p["spec"].get("nodeName") == node}

    before = on("worker-1")
    seen: list[tuple[str, str]] = []
    rv = cluster.api.list("pods")["metadata"]["resourceVersion"]
    w = cluster.api.watch(
        "pods",
        lambda t, o: seen.append((t, o["metadata"]["name"])),
        field_selector="spec.nodeName=worker-1",
        resource_version=rv,
    )
    cluster.kubectl("scale deployment web --replicas=8")
    cluster.run_until_stable()
    w.stop()
    added = {name for t, name in seen if t == "ADDED"}
    assert added and added == on("worker-1") - before
    assert {name for _, name in seen} <= on("worker-1")


def test_a_stopped_pinned_watch_is_no_longer_woken(cluster):
    seen: list[str] = []
    w = cluster.api.watch(
        "pods",
        lambda t, o: seen.append(t),
        field_selector="spec.nodeName=worker-2",
        resource_version=cluster.api.list("pods")["metadata"]["resourceVersion"],
    )
    w.stop()
    cluster.kubectl("scale deployment web --replicas=2")
    cluster.run_until_stable()
    assert seen == []
