"""The addons: manifests through the API server, CoreDNS answers, metrics, logs, the Dashboard summary."""

from itertools import pairwise

import pytest

import kcourse
from kcourse.sim.addons import dashboard_summary, resolve
from kcourse.sim.addons.dns import CoreDNS, candidates
from kcourse.sim.addons.logging import FluentBit
from kcourse.sim.kubeproxy import KubeProxy


def _kubelet_landed() -> bool:
    from kcourse.sim import kubelet

    return "Placeholder" not in (kubelet.__doc__ or "")


needs_kubelet = pytest.mark.skipif(not _kubelet_landed(), reason="needs the kubelet to run addon Pods")


def start(program_cls, c, node, name, ns="kube-system", ip=True, **given):
    key = f"{ns}/{name}"
    if ip:
        c.network.allocate_pod_cidr(node)
        c.network.allocate_pod_ip(node, key)
    lines = []
    prog = program_cls(
        {
            "host": c,
            "node": node,
            "log": lines.append,
            "container": {"name": name},
            "pod": {"metadata": {"name": name, "namespace": ns}, "spec": {}},
        },
        **given,
    )
    prog.start()
    prog.lines = lines
    return prog


def slice_for(service, ips, ns="default", ports=(("http", 80, "TCP"),), name=None, ready=True):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": name or f"{service}-test",
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": service},
        },
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip in ips],
        "ports": [{"name": n, "port": p, "protocol": proto} for n, p, proto in ports],
    }


@pytest.fixture
def dns_cluster():
    """A booted cluster (flannel-like overlay, no cloud) with two CoreDNS programs behind kube-dns."""
    c = kcourse.Cluster(seed=0, workers=2, cloud=False)
    # Only the two programs below answer: the addon's own CoreDNS Pods are scaled away.
    c.api.patch("deployments", "coredns", {"spec": {"replicas": 0}}, namespace="kube-system")
    c.run_until_stable()
    servers = [
        start(CoreDNS, c, "worker-1", "coredns-a", dns=c.addons.dns),
        start(CoreDNS, c, "worker-2", "coredns-b", dns=c.addons.dns),
    ]
    ips = [c.network.pod_ips[s.pod_key] for s in servers]
    c.api.create(
        slice_for("kube-dns", ips, "kube-system", (("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"))), user="test"
    )
    for node in ("worker-1", "worker-2"):
        start(KubeProxy, c, node, f"kube-proxy-{node}", ip=False)
    c.api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
        },
        user="test",
    )
    c.api.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "db", "namespace": "default"},
            "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]},
        },
        user="test",
    )
    c.api.create(slice_for("db", ["10.244.1.7", "10.244.2.9"], ports=(("pg", 5432, "TCP"),)), user="test")
    c.advance(3)
    return c, servers


# --- install_addons -----------------------------------------------------------------------------------


def test_install_addons_creates_the_manifests_through_the_api_server(cluster):
    assert cluster.get("services", "kube-dns", "kube-system")["spec"]["clusterIP"] == "10.96.0.10"
    ports = [
        (p["name"], p["port"], p["protocol"])
        for p in cluster.get("services", "kube-dns", "kube-system")["spec"]["ports"]
    ]
    assert ports == [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")]
    coredns = cluster.get("deployments", "coredns", "kube-system")
    assert coredns["spec"]["replicas"] == 2
    assert (
        coredns["spec"]["template"]["spec"]["containers"][0]["image"]
        == "registry.k8s.io/coredns/coredns:v1.11.3"
    )
    assert (
        "kubernetes cluster.local" in cluster.get("configmaps", "coredns", "kube-system")["data"]["Corefile"]
    )
    proxy = cluster.get("daemonsets", "kube-proxy", "kube-system")["spec"]["template"]["spec"]
    assert proxy["hostNetwork"] and proxy["tolerations"] == [{"operator": "Exists"}]
    assert cluster.get("deployments", "metrics-server", "kube-system")
    assert cluster.get("daemonsets", "fluent-bit", "kube-system")
    assert cluster.get("deployments", "kubernetes-dashboard", "kubernetes-dashboard")


def test_install_addons_registers_a_program_per_image_and_the_stores(cluster):
    assert {
        "registry.k8s.io/kube-proxy",
        "registry.k8s.io/coredns/coredns",
        "registry.k8s.io/metrics-server/metrics-server",
        "cr.fluentbit.io/fluent/fluent-bit",
    } <= set(cluster.programs)
    assert cluster.addons.dns and cluster.addons.metrics and cluster.addons.logs and cluster.addons.dashboard


# --- DNS ------------------------------------------------------------------------------------------------


def test_search_list_tries_the_pods_namespace_first():
    assert candidates("web", "default")[0] == "web.default.svc.cluster.local."
    assert candidates("web.default.svc.cluster.local.", "x") == ["web.default.svc.cluster.local."]


def test_a_service_name_resolves_to_its_cluster_ip(dns_cluster):
    c, _ = dns_cluster
    answer = resolve(c, "web.default.svc.cluster.local")
    assert answer.rcode == "NOERROR"
    assert answer.addresses == [c.get("services", "web")["spec"]["clusterIP"]]
    assert str(answer.records[0]).startswith("web.default.svc.cluster.local.\t30\tIN\tA\t")


def test_a_short_name_resolves_through_the_search_path(dns_cluster):
    c, _ = dns_cluster
    assert resolve(c, "web").addresses == [c.get("services", "web")["spec"]["clusterIP"]]


def test_a_headless_service_gives_one_a_record_per_ready_endpoint(dns_cluster):
    c, _ = dns_cluster
    assert resolve(c, "db.default.svc.cluster.local").addresses == ["10.244.1.7", "10.244.2.9"]


def test_srv_records_name_port_and_target(dns_cluster):
    c, _ = dns_cluster
    answer = resolve(c, "_http._tcp.web.default.svc.cluster.local", "SRV")
    assert [r.data for r in answer.records] == ["0 100 80 web.default.svc.cluster.local."]
    headless = resolve(c, "_pg._tcp.db.default.svc.cluster.local", "SRV")
    assert [r.data for r in headless.records] == [
        "0 50 5432 10-244-1-7.db.default.svc.cluster.local.",
        "0 50 5432 10-244-2-9.db.default.svc.cluster.local.",
    ]


def test_pod_records_answer_the_dashed_address(dns_cluster):
    c, _ = dns_cluster
    assert resolve(c, "10-244-3-4.default.pod.cluster.local").addresses == ["10.244.3.4"]


def test_an_unknown_service_is_nxdomain(dns_cluster):
    c, _ = dns_cluster
    assert resolve(c, "nope.default.svc.cluster.local").rcode == "NXDOMAIN"


def test_dns_queries_go_through_kube_proxy_to_a_coredns_pod(dns_cluster):
    c, servers = dns_cluster
    answer = resolve(c, "web.default.svc.cluster.local")
    assert any("KUBE-SVC-TCOU7JCQXEZGVUNU" in h.what for h in answer.hops)
    # kube-proxy picks one of kube-dns's endpoints at random: the two added here or the cluster's own CoreDNS.
    assert answer.server in {s.pod_key for s in servers} or answer.server.startswith("kube-system/coredns-")


def test_a_replica_on_a_dead_node_stops_answering_but_the_other_still_does(dns_cluster):
    c, servers = dns_cluster
    c.fail_node("worker-2")
    servers[1].stop()
    answers = [resolve(c, "web.default.svc.cluster.local") for _ in range(10)]
    # Only replicas on live nodes answer: the test's coredns-a or the cluster's own CoreDNS off worker-2.
    answered = {a.server for a in answers if a.rcode == "NOERROR"}
    assert answered and servers[1].pod_key not in answered
    on_dead_node = {
        f"kube-system/{p['metadata']['name']}"
        for p in c.api.items("pods", "kube-system")
        if p["spec"].get("nodeName") == "worker-2"
    }
    assert not answered & on_dead_node
    assert any("timed out" in h.what for a in answers for h in a.hops)


def test_without_a_ready_coredns_a_query_fails(dns_cluster):
    c, servers = dns_cluster
    for s in servers:
        s.stop()
    answer = resolve(c, "web.default.svc.cluster.local")
    assert answer.rcode == "SERVFAIL" and "no servers could be reached" in answer.error


# --- monitoring -------------------------------------------------------------------------------------------


@pytest.fixture
def monitored():
    """The cluster's own metrics-server Pod, one minute after boot; returns (cluster, server, boot time)."""
    c = kcourse.Cluster(seed=0, workers=2)
    [server] = c.addons.metrics.servers
    assert server.pod_key.startswith("kube-system/metrics-server-")
    booted = c.now
    c.advance(60)
    return c, server, booted


def test_metrics_server_samples_every_15_seconds_into_a_time_series(monitored):
    c, _, booted = monitored
    series = c.addons.metrics.series("node", "worker-1", "cpu", since=booted)
    times = [t for t, _ in series]
    assert len(series) == 4 and all(round(b - a, 3) == 15 for a, b in pairwise(times))
    assert all(v > 0 for _, v in series)


def test_a_dead_node_gets_no_sample_and_shows_unknown(monitored):
    c, server, _ = monitored
    alive = server.node  # fail the other worker, not metrics-server's
    dead = "worker-1" if alive == "worker-2" else "worker-2"
    c.fail_node(dead)
    c.advance(60)
    rows = {r["name"]: r for r in c.addons.metrics.top_nodes()}
    assert rows[dead]["cpu"] is None and rows[alive]["cpu"] > 0
    assert "<unknown>" in c.addons.metrics.top_nodes_text()


def test_top_fails_while_metrics_server_is_not_running(monitored):
    c, server, _ = monitored
    c.addons.metrics.top_nodes()
    server.stop()
    with pytest.raises(kcourse.ApiError, match="unable to handle the request"):
        c.addons.metrics.top_nodes()


def test_metrics_server_traces_each_scrape(monitored):
    c, _, booted = monitored
    assert (
        sum(
            1
            for e in c.events
            if e.component == "metrics-server" and "scraped" in e.message and e.time >= booted
        )
        == 4
    )


# --- logging ----------------------------------------------------------------------------------------------


class FakeLogs:
    def __init__(self):
        self.files = {
            "/var/log/containers/web-1_default_nginx-0123abcd.log": [
                "2025-01-01T09:00:05.000000000Z stdout F start worker process 1",
                "2025-01-01T09:00:06.000000000Z stderr F warning: low disk",
            ]
        }

    def log_files(self):
        return self.files


def test_fluent_bit_ships_new_lines_once_into_the_queryable_store():
    c = kcourse.Cluster(seed=0, workers=1)
    kubelet = c.machines["worker-1"].component("kubelet")
    fake = FakeLogs()
    kubelet.log_files = fake.log_files
    start(
        FluentBit,
        c,
        "worker-1",
        "fluent-bit-x",
        ip=False,
        store=c.addons.logs,
        node_logs=lambda node: c.kubelet(node).log_files(),
    )
    c.advance(11)
    fake.files["/var/log/containers/web-1_default_nginx-0123abcd.log"].append(
        "2025-01-01T09:15:10.000000000Z stdout F GET / 200"
    )
    c.advance(10)
    logs = c.addons.logs
    assert logs.lines("web-1", "nginx") == ["start worker process 1", "warning: low disk", "GET / 200"]
    assert [r.stream for r in logs.query(text="disk")] == ["stderr"]
    assert logs.query(namespace="default", since=6)[0].text == "warning: low disk"


# --- dashboard --------------------------------------------------------------------------------------------


def test_dashboard_summary_has_the_widget_sections(cluster):
    summary = dashboard_summary(cluster)
    assert list(summary) == ["Cluster", "Nodes", "Workloads", "Pods by phase", "Recent warnings"]
    coredns = next(w for w in summary["Workloads"] if w["name"] == "coredns")
    assert coredns["desired"] == 2 and coredns["kind"] == "Deployment"
    assert sum(summary["Pods by phase"].values()) == len(cluster.pods(None))


# --- learner scenarios (the whole cluster running) ----------------------------------------------------------

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.27", ports: [{containerPort: 80}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}]
"""


@pytest.fixture
def web():
    c = kcourse.Cluster(seed=0)
    c.apply(WEB)
    c.run_until_stable()
    return c


@needs_kubelet
def test_scenario_three_endpoints_three_sep_chains(web):
    from kcourse.sim.kubeproxy import iptables_save

    text = iptables_save(web, "worker-1")
    assert "--probability 0.33333333349" in text and "--probability 0.50000000000" in text
    assert text.count("-A KUBE-SEP-") >= 6


@needs_kubelet
def test_scenario_a_pod_reaches_the_service_by_name_and_another_pod_by_ip(web):
    from kcourse.sim.network import reach

    pods = sorted(p["metadata"]["name"] for p in web.pods() if p["metadata"]["name"].startswith("web-"))
    assert resolve(web, "web.default.svc.cluster.local", from_pod=pods[0]).addresses == [
        web.get("services", "web")["spec"]["clusterIP"]
    ]
    assert reach(web, pods[0], "web", 80).ok
    assert reach(web, pods[0], web.get("pods", pods[1])["status"]["podIP"], 80).ok


@needs_kubelet
def test_scenario_pod_ips_are_unique_and_in_their_nodes_pod_cidr(web):
    import ipaddress

    ips = []
    for p in web.pods(None):
        if p["spec"].get("hostNetwork") or not p.get("status", {}).get("podIP"):
            continue
        node = web.get("nodes", p["spec"]["nodeName"], None)
        assert ipaddress.ip_address(p["status"]["podIP"]) in ipaddress.ip_network(node["spec"]["podCIDR"])
        ips.append(p["status"]["podIP"])
    assert ips and len(ips) == len(set(ips))


@needs_kubelet
def test_scenario_monitoring_and_logging_stores(web):
    web.advance(60)
    node = web.nodes()[0]["metadata"]["name"]
    assert len(web.addons.metrics.series("node", node, "memory")) >= 2
    pod = min(p["metadata"]["name"] for p in web.pods() if p["metadata"]["name"].startswith("web-"))
    assert web.addons.logs.lines(pod, "nginx")
