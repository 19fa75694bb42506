"""endpoint-controller: a Service's Endpoints list exactly its pods with an IP, ready ones apart."""

from __future__ import annotations

import pytest
from nodekit import add_node, add_pod, kcm_controller, set_pod_ready, set_pod_status

from kcourse.sim.controllers.endpoints import ports_depend_on_pod, services_for_pod
from kcourse.sim.informer import Informer

SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
}
PORTS = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


@pytest.fixture
def web(bare):
    add_node(bare, "node-a")
    bare.api.create(SERVICE, user="admin")
    for i, ready in enumerate((True, True, False), start=1):
        add_pod(
            bare,
            f"web-{i}",
            "node-a",
            labels={"app": "web"},
            ip=f"10.244.1.{10 - i}",
            ready=ready,
            containers=[{"name": "app", "image": "nginx:1.27", "ports": PORTS}],
        )
    add_pod(bare, "web-pending", "node-a", labels={"app": "web"})  # no IP yet
    add_pod(bare, "db-1", "node-a", labels={"app": "db"}, ip="10.244.1.20")  # not selected
    bare.run_until_stable()
    return bare


def test_ready_pods_are_addresses_and_the_others_not_ready_addresses(web):
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.8", "10.244.1.9"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-2", "web-1"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.1.7"]
    assert subset["addresses"][0]["nodeName"] == "node-a"


def test_addresses_sort_by_the_text_of_their_ip_as_upstream(web):
    """LessEndpointAddress (pkg/api/v1/endpoints/util.go) compares IPs as bytes of their text, then the Pod
    UIDs: 10.244.1.10 sorts before 10.244.1.8, as ``kubectl get endpoints`` shows on a real cluster."""
    add_pod(
        web,
        "web-10",
        "node-a",
        labels={"app": "web"},
        ip="10.244.1.10",
        containers=[{"name": "app", "image": "nginx:1.27", "ports": PORTS}],
    )
    web.run_until_stable()
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.10", "10.244.1.8", "10.244.1.9"]


def test_a_named_target_port_is_resolved_through_the_container_ports(web):
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_a_pod_becoming_ready_moves_to_addresses(web):
    pod = web.api.peek("pods", "web-3", "default")
    set_pod_status(web, "web-3", conditions=[dict(pod["status"]["conditions"][0], status="True")])
    web.run_until_stable()
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert len(subset["addresses"]) == 3 and "notReadyAddresses" not in subset


def test_a_terminating_pod_leaves_the_endpoints(web):
    web.api.delete("pods", "web-1", "default")  # graceful: it keeps running, Terminating
    web.run_until_stable()
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-2"]


def test_deleting_the_service_deletes_its_endpoints(web):
    web.api.delete("services", "web", "default")
    web.run_until_stable()
    assert web.api.peek("endpoints", "web", "default") is None


def test_a_service_without_a_selector_is_left_alone(web):
    before = web.api.peek("endpoints", "kubernetes", "default")
    web.api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "external", "namespace": "default"},
            "spec": {"ports": [{"port": 5432}]},
        },
        user="admin",
    )
    web.run_until_stable()
    assert web.api.peek("endpoints", "external", "default") is None
    assert web.api.peek("endpoints", "kubernetes", "default") == before


def test_in_a_running_cluster_endpoints_list_exactly_the_ready_pods():
    import kcourse

    c = kcourse.Cluster(seed=0)
    if c.api.peek("nodes", "worker-1") is None:
        pytest.skip("needs kubelets that register their nodes and run pods")
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    c.apply(dict(SERVICE, spec={"selector": {"app": "web"}, "ports": [{"port": 80}]}))
    c.run_until_stable()
    ready = sorted(
        p["status"]["podIP"]
        for p in c.pods()
        if p["metadata"]["labels"].get("app") == "web"
        and any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", []))
    )
    [subset] = c.api.peek("endpoints", "web", "default")["subsets"]
    assert sorted(a["ip"] for a in subset["addresses"]) == ready and len(ready) == 3


def test_the_services_of_a_pod_come_from_the_selector_index_as_a_scan_would_find_them(bare):
    services = Informer(bare.api.client("test"), "services")
    services.start()
    selectors = {
        "web": {"app": "web"},
        "web-canary": {"app": "web", "track": "canary"},
        "db": {"app": "db"},
        "tier": {"tier": "front"},
        "none": None,
    }
    for name, selector in selectors.items():
        spec = {"ports": [{"port": 80}]} | ({"selector": selector} if selector else {})
        bare.api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
    tier = bare.api.get("services", "tier", "default")
    bare.api.update(dict(tier, spec=dict(tier["spec"], selector={"tier": "back"})))  # the index must follow
    bare.api.delete("services", "db", "default")
    for labels in (
        {"app": "web"},
        {"app": "web", "track": "canary"},
        {"app": "db"},
        {"tier": "front"},
        {"tier": "back", "app": "web"},
        {},
        {"track": "canary"},
    ):
        pod = {"metadata": {"name": "p", "namespace": "default", "labels": labels}}
        scan = [
            s
            for s in services.list()
            if s["spec"].get("selector") and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        ]
        assert services_for_pod(services, pod) == scan, labels


# --- a sync costs what changed -------------------------------------------------------------------------


def requests_of(c, user):
    return [(r.verb, r.resource) for ev in c.events for r in ev.requests if r.user == user]


def test_a_pod_event_redoes_that_pods_entry_only_and_unchanged_entries_stay_the_same_objects(web):
    members = kcm_controller(web, "endpoint-controller").members
    svc = web.api.peek("services", "web", "default")
    before = dict(members.entries(svc))
    version = members.version("default/web")
    pod = web.api.peek("pods", "web-3", "default")
    set_pod_status(web, "web-3", conditions=[dict(pod["status"]["conditions"][0], status="True")])
    web.run_until_stable()
    after = members.entries(web.api.peek("services", "web", "default"))
    assert (
        after["default/web-1"] is before["default/web-1"]
        and after["default/web-2"] is before["default/web-2"]
    )
    assert after["default/web-3"] is not before["default/web-3"] and after["default/web-3"][3] is True
    assert members.version("default/web") > version


def test_a_sync_with_nothing_changed_knows_it_without_a_request(web):
    ctrl = kcm_controller(web, "endpoint-controller")
    seen = len(requests_of(web, "endpoint-controller"))
    ctrl.queue.add("default/web")
    web.run_until_stable()
    assert requests_of(web, "endpoint-controller")[seen:] == []
    assert [e.message for e in web.events if e.component == "endpoint-controller"][
        -1
    ] == "Endpoints default/web up to date: 2 ready, 1 not ready address(es)"


def test_endpoints_edited_by_hand_are_put_back_at_the_services_next_sync(web):
    """The controller owns the object; it watches only deletions of Endpoints (endpoints_controller.go's
    ``DeleteFunc: e.onEndpointsDelete``), so a hand edit is undone when the Service is next synced."""
    eps = web.api.peek("endpoints", "web", "default")
    web.api.update(dict(eps, subsets=[]), user="admin")
    web.run_until_stable()
    assert web.api.peek("endpoints", "web", "default")["subsets"] == []
    kcm_controller(web, "endpoint-controller").queue.add("default/web")
    web.run_until_stable()
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.8", "10.244.1.9"]


def test_a_relabelled_service_gets_its_labels_on_the_endpoints_though_no_pod_changed(web):
    svc = web.api.peek("services", "web", "default")
    web.api.update(
        dict(svc, metadata=dict(svc["metadata"], labels={"app": "web", "tier": "front"})), user="admin"
    )
    web.run_until_stable()
    assert web.api.peek("endpoints", "web", "default")["metadata"]["labels"] == {
        "app": "web",
        "tier": "front",
    }


def test_kept_entries_match_a_rebuild_from_the_cache_after_many_pod_changes(web):
    """Entries kept from events equal what a from-scratch pass over the Pods would build."""
    import random

    from kcourse.sim.controllers.endpoints import ServicePods

    rng = random.Random(5)
    ctrl = kcm_controller(web, "endpoint-controller")
    for step in range(60):
        name = f"web-{rng.randrange(1, 7)}"
        pod = web.api.peek("pods", name, "default")
        action = rng.random()
        if pod is None:
            add_pod(
                web,
                name,
                "node-a",
                labels={"app": rng.choice(["web", "db"])},
                ip=f"10.244.1.{30 + step}",
                ready=rng.random() < 0.5,
                containers=[{"name": "app", "image": "nginx:1.27", "ports": PORTS}],
            )
        elif action < 0.4:
            set_pod_ready(web, name, rng.choice(["True", "False"]))
        elif action < 0.7:
            web.api.update(
                dict(pod, metadata=dict(pod["metadata"], labels={"app": rng.choice(["web", "db"])})),
                user="admin",
            )
        else:
            web.api.delete("pods", name, "default", grace_period_seconds=0)
        if step % 4 == 0:
            web.run_until_stable()
            svc = web.api.peek("services", "web", "default")
            assert ctrl.members.entries(svc) == ServicePods(ctrl.pods, ctrl._address).entries(svc), step


def test_an_update_hands_back_the_addresses_the_api_server_already_stores_for_unchanged_pods(
    web, monkeypatch
):
    """Unchanged addresses go back to the API server as the stored objects themselves, which its decoder
    keeps without walking or encoding them (``kcourse/sim/serializer/compiled.py``)."""
    client = kcm_controller(web, "endpoint-controller").client
    bodies = []
    monkeypatch.setattr(
        client, "update", lambda obj, **kw: bodies.append(obj) or type(client).update(client, obj, **kw)
    )
    before = web.api.peek("endpoints", "web", "default")
    set_pod_status(web, "web-3", conditions=[{"type": "Ready", "status": "True"}])
    web.run_until_stable()
    [body] = bodies
    [old], [new] = before["subsets"], body["subsets"]
    assert [a["targetRef"]["name"] for a in old["addresses"]] == ["web-2", "web-1"]
    assert [a["targetRef"]["name"] for a in new["addresses"]] == ["web-3", "web-2", "web-1"]
    assert new["addresses"][1] is old["addresses"][0] and new["addresses"][2] is old["addresses"][1]
    assert new["addresses"][0] is not old["notReadyAddresses"][0]
    after = web.api.peek("endpoints", "web", "default")
    assert after["subsets"][0]["addresses"][1] is old["addresses"][0]


def test_a_service_created_after_its_pods_hears_of_their_later_changes(web):
    """The Pod handlers remember which Services select a set of labels: a new Service must not be missed."""
    second = {**SERVICE, "metadata": {"name": "web-again", "namespace": "default"}}
    web.api.create(second, user="admin")
    web.run_until_stable()
    eps = web.api.peek("endpoints", "web-again", "default")
    assert [a["targetRef"]["name"] for a in eps["subsets"][0]["notReadyAddresses"]] == ["web-3"]
    set_pod_status(web, "web-3", conditions=[{"type": "Ready", "status": "True"}])
    web.run_until_stable()
    eps = web.api.peek("endpoints", "web-again", "default")
    assert "notReadyAddresses" not in eps["subsets"][0]
    assert {a["targetRef"]["name"] for a in eps["subsets"][0]["addresses"]} == {"web-1", "web-2", "web-3"}


@pytest.mark.parametrize(
    ("port", "depends"),
    [
        ({"port": 80, "targetPort": 8080}, False),
        ({"port": 80, "targetPort": "8080"}, False),
        ({"port": 80}, False),  # targetPort defaults to the port: a number
        ({"port": 80, "targetPort": "http"}, True),  # a name: each pod's container ports say
        ({"name": "x"}, True),  # neither: find_port looks through the containers
    ],
)
def test_only_numeric_target_ports_resolve_alike_on_every_pod(port, depends):
    """``podutil.FindPort`` (``pkg/api/v1/pod/util.go``): a number is itself, a name needs the pod."""
    service = {"metadata": {"name": "s", "namespace": "default"}, "spec": {"ports": [port]}}
    assert ports_depend_on_pod(service) is depends


def test_the_ordered_entries_kept_from_changes_equal_a_fresh_sort_and_the_object_follows_them(web):
    """Each sync applies only the changed entries to the sorted view it keeps (no sort of every Pod); after
    any mix of Pods arriving, turning ready or not, relabelled and deleted, the view equals a view sorted
    afresh from the entries, and the Endpoints list the addresses in ``LessEndpointAddress`` order
    (``pkg/api/v1/endpoints/util.go``: the IP's text, then the UID)."""
    import random

    from kcourse.sim.controllers.endpoints import OrderedEntries, _place_address

    rng = random.Random(11)
    ctrl = kcm_controller(web, "endpoint-controller")
    for step in range(80):
        name = f"web-{rng.randrange(1, 12)}"
        pod = web.api.peek("pods", name, "default")
        action = rng.random()
        if pod is None:
            add_pod(
                web,
                name,
                "node-a",
                labels={"app": rng.choice(["web", "web", "db"])},
                ip=f"10.244.{rng.choice([1, 2])}.{rng.randrange(2, 120)}",
                ready=rng.random() < 0.5,
                containers=[{"name": "app", "image": "nginx:1.27", "ports": PORTS}],
            )
        elif action < 0.5:
            set_pod_ready(web, name, rng.choice(["True", "False"]))
        elif action < 0.7:
            web.api.update(
                dict(pod, metadata=dict(pod["metadata"], labels={"app": rng.choice(["web", "db"])})),
                user="admin",
            )
        else:
            web.api.delete("pods", name, "default", grace_period_seconds=0)
        if step % 3 == 0:
            web.run_until_stable()
            svc = web.api.peek("services", "web", "default")
            kept = ctrl._ordered["default/web"].groups
            entries = ctrl.members.entries(svc)
            fresh = OrderedEntries.follow(None, ctrl.members, entries, 0, 0, _place_address, 2).groups
            assert kept == fresh, step
            eps = web.api.peek("endpoints", "web", "default")
            for subset in eps.get("subsets") or []:
                for field in ("addresses", "notReadyAddresses"):
                    order = [(a["ip"], a["targetRef"]["uid"]) for a in subset.get(field) or []]
                    assert order == sorted(order), step
            listed = {
                a["targetRef"]["name"]
                for subset in eps.get("subsets") or []
                for field in ("addresses", "notReadyAddresses")
                for a in subset.get(field) or []
            }
            assert listed == {key.split("/")[1] for key in entries}, step
