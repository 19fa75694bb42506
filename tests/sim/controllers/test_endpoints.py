"""endpoint-controller: a Service's Endpoints list exactly its pods with an IP, ready ones apart."""

from __future__ import annotations

import pytest
from nodekit import add_node, add_pod, set_pod_status

from kcourse.sim.controllers.endpoints import services_for_pod
from kcourse.sim.informer import Informer

SERVICE = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
           "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
PORTS = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


@pytest.fixture
def web(bare):
    add_node(bare, "node-a")
    bare.api.create(SERVICE, user="admin")
    for i, ready in enumerate((True, True, False), start=1):
        add_pod(bare, f"web-{i}", "node-a", labels={"app": "web"}, ip=f"10.244.1.{10 - i}", ready=ready,
                containers=[{"name": "app", "image": "nginx:1.27", "ports": PORTS}])
    add_pod(bare, "web-pending", "node-a", labels={"app": "web"})            # no IP yet
    add_pod(bare, "db-1", "node-a", labels={"app": "db"}, ip="10.244.1.20")  # not selected
    bare.run_until_stable()
    return bare


def test_ready_pods_are_addresses_and_the_others_not_ready_addresses(web):
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.1.8", "10.244.1.9"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-2", "web-1"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.1.7"]
    assert subset["addresses"][0]["nodeName"] == "node-a"


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
    web.api.delete("pods", "web-1", "default")      # graceful: it keeps running, Terminating
    web.run_until_stable()
    [subset] = web.api.peek("endpoints", "web", "default")["subsets"]
    assert [a["targetRef"]["name"] for a in subset["addresses"]] == ["web-2"]


def test_deleting_the_service_deletes_its_endpoints(web):
    web.api.delete("services", "web", "default")
    web.run_until_stable()
    assert web.api.peek("endpoints", "web", "default") is None


def test_a_service_without_a_selector_is_left_alone(web):
    before = web.api.peek("endpoints", "kubernetes", "default")
    web.api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external", "namespace": "default"},
                    "spec": {"ports": [{"port": 5432}]}}, user="admin")
    web.run_until_stable()
    assert web.api.peek("endpoints", "external", "default") is None
    assert web.api.peek("endpoints", "kubernetes", "default") == before


def test_in_a_running_cluster_endpoints_list_exactly_the_ready_pods():
    import kcourse
    c = kcourse.Cluster(seed=0)
    if c.api.peek("nodes", "worker-1") is None:
        pytest.skip("needs kubelets that register their nodes and run pods")
    c.apply({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
             "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                      "template": {"metadata": {"labels": {"app": "web"}},
                                   "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    c.apply(dict(SERVICE, spec={"selector": {"app": "web"}, "ports": [{"port": 80}]}))
    c.run_until_stable()
    ready = sorted(p["status"]["podIP"] for p in c.pods() if p["metadata"]["labels"].get("app") == "web"
                   and any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", [])))
    [subset] = c.api.peek("endpoints", "web", "default")["subsets"]
    assert sorted(a["ip"] for a in subset["addresses"]) == ready and len(ready) == 3


def test_the_services_of_a_pod_come_from_the_selector_index_as_a_scan_would_find_them(bare):
    services = Informer(bare.api.client("test"), "services")
    services.start()
    selectors = {"web": {"app": "web"}, "web-canary": {"app": "web", "track": "canary"}, "db": {"app": "db"},
                 "tier": {"tier": "front"}, "none": None}
    for name, selector in selectors.items():
        spec = {"ports": [{"port": 80}]} | ({"selector": selector} if selector else {})
        bare.api.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
    tier = bare.api.get("services", "tier", "default")
    bare.api.update(dict(tier, spec=dict(tier["spec"], selector={"tier": "back"})))   # the index must follow
    bare.api.delete("services", "db", "default")
    for labels in ({"app": "web"}, {"app": "web", "track": "canary"}, {"app": "db"}, {"tier": "front"},
                   {"tier": "back", "app": "web"}, {}, {"track": "canary"}):
        pod = {"metadata": {"name": "p", "namespace": "default", "labels": labels}}
        scan = [s for s in services.list() if s["spec"].get("selector")
                and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())]
        assert services_for_pod(services, pod) == scan, labels
