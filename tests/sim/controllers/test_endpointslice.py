"""endpointslice-controller: slices of at most 100 endpoints with conditions, zones and resolved ports."""

from __future__ import annotations

import pytest
from nodekit import add_node, add_pod, kcm_controller, set_pod_status

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
}
CONTAINERS = [{"name": "app", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": 8080}]}]


def slices(c, service="web"):
    return sorted(
        (
            s
            for s in c.api.items("endpointslices", "default")
            if s["metadata"].get("labels", {}).get("kubernetes.io/service-name") == service
        ),
        key=lambda s: s["metadata"]["name"],
    )


@pytest.fixture
def web(bare):
    add_node(bare, "node-a", zone="zone-b")
    bare.api.create(SERVICE, user="admin")
    add_pod(bare, "web-1", "node-a", labels={"app": "web"}, ip="10.244.1.5", containers=CONTAINERS)
    add_pod(
        bare, "web-2", "node-a", labels={"app": "web"}, ip="10.244.1.6", ready=False, containers=CONTAINERS
    )
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
        add_pod(
            bare, f"web-{i}", "node-a", labels={"app": "web"}, ip=f"10.244.1.{i + 2}", containers=CONTAINERS
        )
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


# --- a sync costs what changed -------------------------------------------------------------------------


def test_a_sync_with_nothing_changed_knows_it_without_a_request(web):
    seen = sum(1 for ev in web.events for r in ev.requests if r.user == "endpointslice-controller")
    kcm_controller(web, "endpointslice-controller").queue.add("default/web")
    web.run_until_stable()
    assert sum(1 for ev in web.events for r in ev.requests if r.user == "endpointslice-controller") == seen
    assert [e.message for e in web.events if e.component == "endpointslice-controller"][
        -1
    ] == "1 slice(s) for default/web, 2 endpoint(s) (1 ready), up to date"


def test_a_slice_edited_by_hand_is_put_back(web):
    """Updates of its slices by others requeue the Service.

    endpointslice_controller.go, onEndpointSliceUpdate.
    """
    [es] = slices(web)
    web.api.update(dict(es, endpoints=[]), user="admin")
    web.run_until_stable()
    assert [e["addresses"] for e in slices(web)[0]["endpoints"]] == [["10.244.1.5"], ["10.244.1.6"]]


def test_a_zone_moved_shows_on_every_endpoint_of_the_node_at_the_next_sync(web):
    """Node changes do not queue Services, but what a sync writes reads each endpoint's node as it is then."""
    node = web.api.peek("nodes", "node-a")
    labels = dict(node["metadata"]["labels"], **{"topology.kubernetes.io/zone": "zone-c"})
    web.api.update(dict(node, metadata=dict(node["metadata"], labels=labels)), user="admin")
    web.run_until_stable()
    assert {e["zone"] for e in slices(web)[0]["endpoints"]} == {"zone-b"}
    pod = web.api.peek("pods", "web-2", "default")
    set_pod_status(web, "web-2", conditions=[dict(pod["status"]["conditions"][0], status="True")])
    web.run_until_stable()
    assert {e["zone"] for e in slices(web)[0]["endpoints"]} == {"zone-c"}


def test_an_unchanged_pods_endpoint_is_the_same_object_from_one_version_to_the_next(web):
    members = kcm_controller(web, "endpointslice-controller").members
    before = dict(members.entries(web.api.peek("services", "web", "default")))
    pod = web.api.peek("pods", "web-2", "default")
    set_pod_status(web, "web-2", conditions=[dict(pod["status"]["conditions"][0], status="True")])
    web.run_until_stable()
    after = members.entries(web.api.peek("services", "web", "default"))
    assert after["default/web-1"] is before["default/web-1"]
    assert (
        after["default/web-2"][2]["conditions"]["ready"]
        and not before["default/web-2"][2]["conditions"]["ready"]
    )
