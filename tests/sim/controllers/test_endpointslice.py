"""endpointslice-controller: slices of at most 100 endpoints with conditions, zones and resolved ports."""

from __future__ import annotations

import pytest
from nodekit import add_node, add_pod

SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "default"},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
CONTAINERS = [{"name": "app", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 8080}]}]


def slices(c, service="web"):
    return sorted((s for s in c.api.items("endpointslices", "default")
                   if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == service),
                  key=lambda s: s["metadata"]["name"])


@pytest.fixture
def web(bare):
    add_node(bare, "node-a", zone="zone-b")
    bare.api.create(SERVICE, user="admin")
    add_pod(bare, "web-1", "node-a", labels={"app": "web"}, ip="10.244.1.5", containers=CONTAINERS)
    add_pod(bare, "web-2", "node-a", labels={"app": "web"}, ip="10.244.1.6", ready=False, containers=CONTAINERS)
    bare.run_until_stable()
    return bare


def test_one_slice_with_the_service_labels_and_owner(web):
    [es] = slices(web)
    md = es["metadata"]
    assert md["generateName"] == "web-" and md["name"].startswith("web-") and len(md["name"]) == 9
    assert md["labels"]["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io"
    [owner] = md["ownerReferences"]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("Service", "web", True)
    assert es["apiVersion"] == "discovery.k8s.io/v1" and es["addressType"] == "IPv4"
    assert es["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_endpoints_carry_conditions_node_zone_and_target(web):
    [es] = slices(web)
    first, second = es["endpoints"]
    assert first["addresses"] == ["10.244.1.5"]
    assert first["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert second["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert (first["nodeName"], first["zone"]) == ("node-a", "zone-b")
    assert first["targetRef"]["kind"] == "Pod" and first["targetRef"]["name"] == "web-1"


def test_a_terminating_pod_stays_as_serving_and_terminating(web):
    web.api.delete("pods", "web-1", "default")
    web.run_until_stable()
    [es] = slices(web)
    assert es["endpoints"][0]["conditions"] == {"ready": False, "serving": True, "terminating": True}


def test_more_than_100_pods_fill_several_slices(bare):
    add_node(bare, "node-a")
    bare.api.create(SERVICE, user="admin")
    for i in range(150):
        add_pod(bare, f"web-{i}", "node-a", labels={"app": "web"}, ip=f"10.244.1.{i + 2}", containers=CONTAINERS)
    bare.run_until_stable()
    assert sorted(len(s["endpoints"]) for s in slices(bare)) == [50, 100]


def test_a_service_without_pods_keeps_an_empty_placeholder_slice(bare):
    bare.api.create(SERVICE, user="admin")
    bare.run_until_stable()
    [es] = slices(bare)
    assert es["endpoints"] == [] and es["ports"] == []


def test_pods_leaving_shrink_the_slice_in_place(web):
    name = slices(web)[0]["metadata"]["name"]
    web.api.delete("pods", "web-2", "default", grace_period_seconds=0)
    web.run_until_stable()
    [es] = slices(web)
    assert es["metadata"]["name"] == name and [e["targetRef"]["name"] for e in es["endpoints"]] == ["web-1"]
