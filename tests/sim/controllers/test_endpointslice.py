"""endpointslice-controller: slices of at most 100 endpoints with conditions, zones and resolved ports."""

from __future__ import annotations

import pytest
from nodekit import add_node, add_pod, kcm_controller, set_pod_ready, set_pod_status

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


# --- its own writes are not news: the EndpointSlice tracker --------------------------------------------


def syncs(c, key="default/web"):
    return [e for e in c.events if e.component == "endpointslice-controller" and e.key == key]


def test_the_echo_of_its_own_write_queues_nothing(web):
    """Each write the controller makes comes back through its informer; upstream's handlers queue the Service
    only for a slice whose generation is newer than the one the controller wrote
    (pkg/controller/endpointslice/endpointslice_controller.go, onEndpointSliceUpdate / onEndpointSliceAdd;
    k8s.io/endpointslice/util/endpointslice_tracker.go, ShouldSync).  So a Pod change is one sync, not a
    sync and then an "up to date" one."""
    before = len(syncs(web))
    set_pod_status(web, "web-2", conditions=[{"type": "Ready", "status": "True"}])
    web.run_until_stable()
    after = syncs(web)[before:]
    assert [e.message.rsplit(": ", 1)[-1] for e in after] == ["1 updated"]
    [es] = slices(web)
    assert es["metadata"]["generation"] == 2  # created at 1, one change of its endpoints since


def test_creating_its_slice_queues_nothing_either(bare):
    """onEndpointSliceAdd: a slice the tracker knows at this generation is the controller's own."""
    bare.api.create(SERVICE, user="admin")
    bare.run_until_stable()
    assert len(syncs(bare)) == 1 and syncs(bare)[0].message.endswith("1 created")
    assert slices(bare)[0]["metadata"]["generation"] == 1


def test_a_slice_deleted_by_someone_else_is_recreated_a_second_later(web):
    """onEndpointSliceDelete: a tracked slice whose deletion the controller did not expect queues its Service,
    after endpointSliceChangeMinSyncDelay (1 s), as every slice-triggered sync."""
    [es] = slices(web)
    web.api.delete("endpointslices", es["metadata"]["name"], "default", user="admin")
    deleted_at = web.now
    web.run_until_stable()
    [again] = slices(web)
    assert again["metadata"]["name"] != es["metadata"]["name"]
    [sync] = [e for e in syncs(web) if e.time > deleted_at]
    assert sync.message.endswith("1 created") and round(sync.time - deleted_at, 3) >= 1.0


def test_a_slice_moved_to_another_service_syncs_both(web):
    """Changing the kubernetes.io/service-name label queues the old Service and the new one
    (onEndpointSliceUpdate: generation does not cover the label, so it is checked by itself)."""
    other = dict(SERVICE, metadata={"name": "api", "namespace": "default"})
    web.api.create(other, user="admin")
    web.run_until_stable()
    [es] = slices(web)
    labels = dict(es["metadata"]["labels"], **{"kubernetes.io/service-name": "api"})
    web.api.update(dict(es, metadata=dict(es["metadata"], labels=labels)), user="admin")
    web.run_until_stable()
    # web gets a slice of its own again; api (the same selector) keeps exactly one with the same endpoints
    for service in ("web", "api"):
        [es] = slices(web, service)
        assert [e["addresses"] for e in es["endpoints"]] == [["10.244.1.5"], ["10.244.1.6"]]


def test_the_tracker_tells_a_lagging_cache():
    """StaleSlices: a tracked slice missing from the cache, older there than written, or still there after
    the controller deleted it, means the cache lags behind the controller's own writes
    (k8s.io/endpointslice/util/endpointslice_tracker.go)."""
    from kcourse.sim.controllers.endpointslice_tracker import EndpointSliceTracker

    def es(uid, generation, service="web"):
        labels = {"kubernetes.io/service-name": service}
        return {"metadata": {"uid": uid, "namespace": "default", "labels": labels, "generation": generation}}

    t = EndpointSliceTracker()
    assert t.should_sync(es("a", 1)) and not t.stale_slices("default/web", [])
    t.update(es("a", 2))
    assert not t.should_sync(es("a", 2)) and t.should_sync(es("a", 3)) and not t.should_sync(es("a", 1))
    assert t.stale_slices("default/web", [])  # written, not yet seen
    assert t.stale_slices("default/web", [es("a", 1)])  # seen, but an older version
    assert not t.stale_slices("default/web", [es("a", 2)])
    t.expect_deletion(es("a", 2))
    assert t.stale_slices("default/web", [es("a", 2)]) and not t.stale_slices("default/web", [])
    assert t.handle_deletion(es("a", 2)) and not t.has(es("a", 2))
    t.update(es("b", 1))
    assert not t.handle_deletion(es("b", 1))  # deleted by someone else: the Service must sync
    assert t.should_sync(es("b", 1, service="api"))  # another Service's slice is not tracked


# --- what an update hands the API server ---------------------------------------------------------------


def test_an_update_hands_back_the_endpoints_the_api_server_already_stores_for_unchanged_pods(
    web, monkeypatch
):
    """An in-process update whose values *are* the stored version's own objects is decoded without walking
    or encoding them (``kcourse/sim/serializer/compiled.py``, sharing): the body carries the stored endpoint
    of an unchanged Pod, a new one only for the Pod that changed."""
    client = kcm_controller(web, "endpointslice-controller").client
    bodies = []
    monkeypatch.setattr(
        client, "update", lambda obj, **kw: bodies.append(obj) or type(client).update(client, obj, **kw)
    )
    [before] = slices(web)
    pod = web.api.peek("pods", "web-2", "default")
    set_pod_status(web, "web-2", conditions=[dict(pod["status"]["conditions"][0], status="True")])
    web.run_until_stable()
    [body] = bodies
    [after] = slices(web)
    assert [e["targetRef"]["name"] for e in body["endpoints"]] == ["web-1", "web-2"]
    assert body["endpoints"][0] is before["endpoints"][0]  # web-1: unchanged, the stored object itself
    assert body["endpoints"][1] is not before["endpoints"][1]
    assert after["endpoints"][0] is before["endpoints"][0]
    assert after["endpoints"][1]["conditions"] == {"ready": True, "serving": True, "terminating": False}


def test_a_named_target_port_resolving_to_two_numbers_makes_two_slices(bare):
    """``endpointslice/reconciler.go`` groups endpoints by their resolved ports: one slice per port set."""
    add_node(bare, "node-a")
    bare.api.create(SERVICE, user="admin")
    for name, ip, port in (("web-1", "10.244.1.5", 8080), ("web-2", "10.244.1.6", 9090)):
        containers = [
            {"name": "app", "image": "nginx:1.27", "ports": [{"name": "http", "containerPort": port}]}
        ]
        add_pod(bare, name, "node-a", labels={"app": "web"}, ip=ip, containers=containers)
    bare.run_until_stable()
    got = sorted(
        (s["ports"][0]["port"], [e["targetRef"]["name"] for e in s["endpoints"]]) for s in slices(bare)
    )
    assert got == [(8080, ["web-1"]), (9090, ["web-2"])]


def test_endpoints_of_a_numeric_target_port_share_one_ports_list(bare):
    add_node(bare, "node-a")
    numeric = {**SERVICE, "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}
    bare.api.create(numeric, user="admin")
    for i in (1, 2, 3):
        add_pod(bare, f"web-{i}", "node-a", labels={"app": "web"}, ip=f"10.244.1.{i}")
    bare.run_until_stable()
    entries = kcm_controller(bare, "endpointslice-controller").members.entries(
        bare.api.peek("services", "web", "default")
    )
    assert len(entries) == 3 and len({id(entry[1]) for entry in entries.values()}) == 1
    [es] = slices(bare)
    assert es["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}]


def test_slices_kept_from_changes_hold_every_endpoint_once_and_keep_endpoints_where_they_are(bare):
    """Pods of a Service of 150 come and go and change: each sync applies only the changed entries to the
    view it keeps, and the slices still list each Pod with an IP exactly once, at most 100 per slice,
    with every endpoint that stayed kept in the slice and place where it was (the reconciler keeps
    endpoints where they are: ``staging/src/k8s.io/endpointslice/reconciler.go``)."""
    import random

    from kcourse.sim.controllers.endpoints import OrderedEntries
    from kcourse.sim.controllers.endpointslice import _place_endpoint

    rng = random.Random(3)
    add_node(bare, "node-a", zone="zone-b")
    bare.api.create(SERVICE, user="admin")
    for i in range(150):
        add_pod(
            bare,
            f"web-{i}",
            "node-a",
            labels={"app": "web"},
            ip=f"10.244.{i // 100}.{i % 100 + 2}",
            containers=CONTAINERS,
        )
    bare.run_until_stable()
    ctrl = kcm_controller(bare, "endpointslice-controller")
    for step in range(60):
        before = {
            es["metadata"]["name"]: [e["targetRef"]["name"] for e in es["endpoints"]] for es in slices(bare)
        }
        for _ in range(rng.randrange(1, 4)):
            name = f"web-{rng.randrange(0, 170)}"
            pod = bare.api.peek("pods", name, "default")
            if pod is None:
                add_pod(
                    bare,
                    name,
                    "node-a",
                    labels={"app": "web"},
                    ip=f"10.244.3.{step + 2}",
                    containers=CONTAINERS,
                )
            elif rng.random() < 0.5:
                set_pod_ready(bare, name, rng.choice(["True", "False"]))
            else:
                bare.api.delete("pods", name, "default", grace_period_seconds=0)
        bare.run_until_stable()
        now = slices(bare)
        listed = [e["targetRef"]["name"] for es in now for e in es["endpoints"]]
        pods = {p["metadata"]["name"] for p in bare.api.items("pods", "default") if p["status"].get("podIP")}
        assert sorted(listed) == sorted(pods) and all(len(es["endpoints"]) <= 100 for es in now), step
        for es in now:
            stayed = [e["targetRef"]["name"] for e in es["endpoints"] if e["targetRef"]["name"] in pods]
            was = [n for n in before.get(es["metadata"]["name"], []) if n in pods]
            assert stayed[: len(was)] == was, step
        svc = bare.api.peek("services", "web", "default")
        entries = ctrl.members.entries(svc)
        fresh = OrderedEntries.follow(None, ctrl.members, entries, 0, 0, _place_endpoint).groups
        assert ctrl._ordered["default/web"].groups == fresh, step
