"""kube-proxy's iptables rules: chain names, probabilities, DNAT, NodePorts, and the program on a node."""

import random

import pytest

import kcourse
from kcourse.sim.kubeproxy import (
    KubeProxy,
    build_rules,
    connect,
    endpoint_chain_name,
    iptables_save,
    probability,
    service_port_chain_name,
)


def service(name="web", ip="10.96.0.50", ports=None, stype="ClusterIP", ns="default"):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "type": stype,
            "clusterIP": ip,
            "ports": ports or [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
        },
    }


def endpoint_slice(ips, name="web", ns="default", ready=True, port=8080, **cond):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": f"{name}-abcde",
            "namespace": ns,
            "labels": {"kubernetes.io/service-name": name},
        },
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready, **cond}} for ip in ips],
        "ports": [{"name": "http", "port": port, "protocol": "TCP"}],
    }


THREE = ["10.244.1.2", "10.244.2.2", "10.244.3.2"]


def rules(services, slices):
    return build_rules("worker-1", "10.0.0.11", services, slices, "10.244.0.0/16")


def test_chain_names_are_upstreams_hashes():
    assert service_port_chain_name("kube-system/kube-dns:dns", "UDP") == "KUBE-SVC-TCOU7JCQXEZGVUNU"
    assert service_port_chain_name("kube-system/kube-dns:dns-tcp", "TCP") == "KUBE-SVC-ERIFXISQEP7F7OF4"
    assert service_port_chain_name("default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"


def test_probability_is_printed_as_iptables_save_does():
    assert [probability(n) for n in (3, 2)] == ["0.33333333349", "0.50000000000"]


def test_three_endpoints_give_one_sep_each_with_probabilities_a_third_a_half_and_the_rest():
    table = rules([service()], [endpoint_slice(THREE)])
    svc = service_port_chain_name("default/web:http", "TCP")
    jumps = [r for r in table.chain(svc) if r.jump.startswith("KUBE-SEP-")]
    assert [r.jump for r in jumps] == [
        endpoint_chain_name("default/web:http", "TCP", f"{ip}:8080") for ip in THREE
    ]
    assert "--probability 0.33333333349" in jumps[0].text
    assert "--probability 0.50000000000" in jumps[1].text
    assert "statistic" not in jumps[2].text


def test_sep_chain_masquerades_hairpin_and_dnats_to_pod_ip_and_target_port():
    table = rules([service()], [endpoint_slice(THREE[:1])])
    sep = endpoint_chain_name("default/web:http", "TCP", "10.244.1.2:8080")
    texts = [r.text for r in table.chain(sep)]
    assert texts[0].startswith("-s 10.244.1.2/32 ") and texts[0].endswith("-j KUBE-MARK-MASQ")
    assert texts[1].endswith("-j DNAT --to-destination 10.244.1.2:8080")


def test_iptables_save_has_tables_chain_declarations_rules_and_commit():
    text = rules([service()], [endpoint_slice(THREE)]).save()
    svc = service_port_chain_name("default/web:http", "TCP")
    assert "*nat" in text and "*filter" in text and text.count("COMMIT") == 2
    assert f":{svc} - [0:0]" in text
    assert (
        f'-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment "default/web:http cluster IP" '
        f"-m tcp --dport 80 -j {svc}"
    ) in text
    assert "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000" in text
    assert "-j MASQUERADE --random-fully" in text
    assert text.count("KUBE-SEP-") >= 3 * 3


def test_iptables_save_is_deterministic_whatever_the_input_order():
    a = rules([service(), service("api", "10.96.0.60")], [endpoint_slice(THREE)]).save()
    b = rules([service("api", "10.96.0.60"), service()], [endpoint_slice(list(reversed(THREE)))]).save()
    assert a == b


def test_connect_spreads_new_connections_evenly_over_endpoints():
    table = rules([service()], [endpoint_slice(THREE)])
    rng = random.Random(1)
    hits = [table.connect("10.96.0.50", 80, "TCP", rng).endpoint for _ in range(3000)]
    for ip in THREE:
        assert 900 < hits.count(f"{ip}:8080") < 1100


def test_service_without_endpoints_is_rejected():
    table = rules([service()], [])
    result = table.connect("10.96.0.50", 80, "TCP", random.Random(0))
    assert result.endpoint is None and "REJECT" in result.verdict and "has no endpoints" in result.verdict


def test_not_ready_endpoints_get_no_rule():
    table = rules(
        [service()],
        [
            endpoint_slice(THREE[:1]),
            {
                **endpoint_slice(THREE[1:], ready=False),
                "metadata": {
                    "name": "web-zzzzz",
                    "namespace": "default",
                    "labels": {"kubernetes.io/service-name": "web"},
                },
            },
        ],
    )
    assert table.save().count("DNAT") == 1


def test_serving_terminating_endpoints_are_used_only_when_none_is_ready():
    table = rules([service()], [endpoint_slice(THREE[:2], ready=False, serving=True, terminating=True)])
    assert table.save().count("DNAT") == 2


def test_nodeport_goes_through_kube_nodeports_and_the_ext_chain():
    svc = service(
        stype="NodePort",
        ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 30080}],
    )
    table = rules([svc], [endpoint_slice(THREE[:1])])
    result = table.connect("10.0.0.11", 30080, "TCP", random.Random(0), local_ips=("10.0.0.11",))
    assert result.endpoint == "10.244.1.2:8080"
    assert [r.split()[1] for r in result.rules][:3] == [
        "KUBE-SERVICES",
        "KUBE-NODEPORTS",
        "KUBE-EXT-" + service_port_chain_name("default/web:http", "TCP")[9:],
    ]


def test_headless_services_get_no_rules():
    table = rules([service(ip="None")], [endpoint_slice(THREE)])
    assert "DNAT" not in table.save()


# --- the program on a node -------------------------------------------------------------------------


@pytest.fixture
def proxied():
    """A booted cluster with a kube-proxy program started on worker-1, and a selector-less Service."""
    c = kcourse.Cluster(seed=0, workers=2)
    lines = []
    proxy = KubeProxy(
        {
            "host": c,
            "node": "worker-1",
            "log": lines.append,
            "pod": {
                "metadata": {"name": "kube-proxy-test", "namespace": "kube-system"},
                "spec": {"hostNetwork": True},
            },
        }
    )
    proxy.start()
    c.api.create(service(ip="10.96.0.50"), user="test")
    c.api.create(endpoint_slice(THREE), user="test")
    c.advance(2)
    return c, proxy, lines


def test_kube_proxy_syncs_the_nodes_rules_as_one_traced_step(proxied):
    c, _, lines = proxied
    syncs = [e for e in c.events if e.component == "kube-proxy" and e.node == "worker-1"]
    assert syncs and "synced iptables rules" in syncs[-1].message
    assert "KUBE-SVC-" in iptables_save(c, "worker-1")
    assert any("iptables Proxier" in line for line in lines)


def test_a_service_change_is_synced_again(proxied):
    c, _, _ = proxied
    c.api.delete("endpointslices", "web-abcde", "default", user="test")
    c.advance(2)
    assert "default/web:http has no endpoints" in iptables_save(c, "worker-1")


def test_connect_on_a_node_follows_its_rules(proxied):
    c, _, _ = proxied
    result = connect(c, "worker-1", "10.96.0.50", 80)
    assert result.ok and result.endpoint.split(":")[0] in THREE
    assert result.rules[0].startswith("-A KUBE-SERVICES")


def test_rules_survive_a_kube_proxy_crash_but_not_a_power_off(proxied):
    c, proxy, _ = proxied
    proxy.stop()
    assert "KUBE-SVC-" in iptables_save(c, "worker-1")
    proxy.start()
    c.fail_node("worker-1")
    proxy.stop()
    assert "worker-1" not in c.network.iptables
    assert not connect(c, "worker-1", "10.96.0.50", 80).ok


def test_a_partitioned_node_keeps_stale_rules_until_it_reconnects(proxied):
    c, _, _ = proxied
    c.partition_node("worker-1")
    c.api.delete("endpointslices", "web-abcde", "default", user="test")
    c.advance(3)
    assert "default/web:http has no endpoints" not in iptables_save(c, "worker-1")
    c.heal_partition("worker-1")
    c.advance(10)
    assert "default/web:http has no endpoints" in iptables_save(c, "worker-1")
