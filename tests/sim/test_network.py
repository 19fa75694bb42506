"""IP-per-Pod addressing and following a connection hop by hop with reach()."""

import pytest

import kcourse
from kcourse.sim.kubeproxy import build_rules
from kcourse.sim.network import reach


def running_pod(c, name, node, ports=None, ns="default"):
    """A Pod as the kubelet would leave it: bound, Running, with an IP from its node's podCIDR."""
    c.network.allocate_pod_cidr(node)
    ip = c.network.allocate_pod_ip(node, f"{ns}/{name}")
    container = {"name": "app", "image": "nginx:1.27"}
    if ports:
        container["ports"] = [{"containerPort": p} for p in ports]
    pod = c.api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"nodeName": node, "containers": [container]},
        },
        user="test",
    )
    pod = dict(pod, status={"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]})
    c.api.update_status(pod, user="test")
    return ip


@pytest.fixture
def net():
    c = kcourse.Cluster(seed=0, workers=3, bootstrap=False, cloud=False)
    ips = {
        "client": running_pod(c, "client", "worker-1"),
        "web-1": running_pod(c, "web-1", "worker-2", [80]),
        "web-2": running_pod(c, "web-2", "worker-3", [80]),
    }
    return c, ips


def test_every_node_gets_its_own_slash_24_inside_the_cluster_cidr():
    c = kcourse.Cluster(seed=0, bootstrap=False)
    cidrs = [c.network.allocate_pod_cidr(n) for n in ("worker-1", "worker-2", "worker-3")]
    assert cidrs == ["10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"]


def test_pod_ips_are_unique_and_inside_their_nodes_pod_cidr():
    import ipaddress

    c = kcourse.Cluster(seed=0, bootstrap=False)
    got = {}
    for i in range(30):
        node = f"worker-{i % 3 + 1}"
        c.network.allocate_pod_cidr(node)
        got[f"default/p{i}"] = (node, c.network.allocate_pod_ip(node, f"default/p{i}"))
    assert len({ip for _, ip in got.values()}) == 30
    for node, ip in got.values():
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(c.network.node_cidrs[node])


def test_a_released_ip_goes_back_to_the_pool():
    c = kcourse.Cluster(seed=0, bootstrap=False)
    c.network.allocate_pod_cidr("worker-1")
    ip = c.network.allocate_pod_ip("worker-1", "default/a")
    c.network.release_pod_ip("default/a")
    assert c.network.pod_at(ip) is None


def test_a_pod_reaches_another_pod_by_ip_across_nodes_without_nat(net):
    c, ips = net
    path = reach(c, "client", ips["web-1"], 80)
    assert path.ok and path.endpoint == f"{ips['web-1']}:80"
    wheres = [h.where for h in path.hops]
    assert wheres == ["pod default/client", "node worker-1", "node worker-2", "node worker-2"]
    assert "overlay" in path.hops[1].what


def test_with_a_cloud_the_route_must_be_programmed_first(net):
    c, ips = net
    c.cloud = object()  # a cloud is present: routes come from the route controller
    assert not reach(c, "client", ips["web-1"], 80).ok
    c.network.routes[c.network.node_cidrs["worker-2"]] = "worker-2"
    path = reach(c, "client", ips["web-1"], 80)
    assert path.ok and "cloud route table" in path.hops[1].what


def test_a_down_destination_node_times_out(net):
    c, ips = net
    c.machines["worker-2"].powered = False
    path = reach(c, "client", ips["web-1"], 80)
    assert not path.ok and "worker-2 is down" in path.verdict


def test_a_partitioned_destination_node_times_out(net):
    c, ips = net
    c.machines["worker-3"].partitioned = True
    assert "partitioned" in reach(c, "client", ips["web-2"], 80).verdict


def test_a_port_nobody_listens_on_is_refused(net):
    c, ips = net
    assert "connection refused" in reach(c, "client", ips["web-1"], 5432).verdict


def test_a_pod_that_is_not_running_cannot_send(net):
    c, ips = net
    pod = c.get("pods", "client")
    pod["status"]["phase"] = "Pending"
    c.api.update_status(pod, user="test")
    assert "not Running" in reach(c, "client", ips["web-1"], 80).verdict


def test_a_service_ip_is_dnated_by_the_source_nodes_rules(net):
    c, ips = net
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.50", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]},
    }
    eps = {
        "metadata": {
            "name": "web-x",
            "namespace": "default",
            "labels": {"kubernetes.io/service-name": "web"},
        },
        "endpoints": [{"addresses": [ips["web-1"]], "conditions": {"ready": True}}],
        "ports": [{"name": "http", "port": 80, "protocol": "TCP"}],
    }
    c.network.iptables["worker-1"] = build_rules("worker-1", "10.0.0.11", [svc], [eps], "10.244.0.0/16")
    path = reach(c, "client", "10.96.0.50", 8080)
    assert path.ok and path.endpoint == f"{ips['web-1']}:80"
    assert any("KUBE-SVC-" in h.what for h in path.hops) and any("DNAT" in h.what for h in path.hops)


def test_a_service_without_endpoints_is_refused_at_the_source_node(net):
    c, _ = net
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.50", "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]},
    }
    c.network.iptables["worker-1"] = build_rules("worker-1", "10.0.0.11", [svc], [], "10.244.0.0/16")
    assert "no endpoints" in reach(c, "client", "10.96.0.50", 80).verdict


def test_the_path_prints_hop_by_hop(net):
    c, ips = net
    text = str(reach(c, "client", ips["web-1"], 80))
    assert text.splitlines()[0] == f"default/client -> {ips['web-1']}:80/TCP" and "OK:" in text


def _imports(module: str) -> set[str]:
    """The kcourse.sim modules a module imports, resolved from its relative imports (lazy ones too)."""
    import ast
    from pathlib import Path

    path = Path(kcourse.__file__).parent / "sim" / (module.replace(".", "/") + ".py")
    package = ["sim", *module.split(".")[:-1]]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            out.update({target} if node.module else {f"{target}.{a.name}" for a in node.names})
    return out


@pytest.mark.parametrize("module", ["network", "kubeproxy", "programs"])
def test_the_pod_network_and_kube_proxy_know_nothing_of_the_addons(module):
    """The addons (CoreDNS, …) are workloads built on the network and kube-proxy, never the other way."""
    assert not {m for m in _imports(module) if m.startswith("sim.addons")}


def test_the_dns_addon_uses_the_pod_resolver_of_the_network_module():
    assert "sim.network" in _imports("addons.dns")
