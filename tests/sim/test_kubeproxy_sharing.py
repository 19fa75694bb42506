"""kube-proxy's incremental sync and shared caches: always the rules a from-scratch sync would write."""

import random

import pytest

import kcourse
from kcourse.sim.kubeproxy import _CACHES, KubeProxy, RuleState, RuleTable, build_rules, iptables_save

CIDR = "10.244.0.0/16"


def service(name, ip, ports=(("http", 80),), ns="default", stype="ClusterIP"):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
            "spec": {"type": stype, "clusterIP": ip,
                     "ports": [{"name": n, "port": p, "protocol": "TCP", "nodePort": 30000 + p} for n, p in ports]}}


def endpoint_slice(name, owner, ips, rv, ns="default", ready=True):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
            "metadata": {"name": name, "namespace": ns, "uid": f"uid-{name}", "resourceVersion": str(rv),
                         "labels": {"kubernetes.io/service-name": owner}},
            "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip in ips],
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}


def from_scratch(services: dict, slices: dict) -> str:
    return build_rules("n", "10.0.0.9", [services[k] for k in sorted(services)],
                       [slices[k] for k in sorted(slices)], CIDR).save()


def test_incremental_rules_equal_a_from_scratch_build_after_every_change():
    rng = random.Random(7)
    services: dict[str, dict] = {}
    slices: dict[str, dict] = {}
    state = RuleState(services, slices, CIDR, memo={})
    names = [f"s{i}" for i in range(6)]
    for step in range(400):
        op = rng.random()
        if op < 0.25:
            name = rng.choice(names)
            ns = rng.choice(["default", "a-b"])
            svc = service(name, f"10.96.0.{names.index(name) + 10}", ns=ns, stype=rng.choice(["ClusterIP", "NodePort"]),
                          ports=rng.choice([(("http", 80),), (("http", 80), ("metrics", 90)), ()]))
            if rng.random() < 0.2:
                svc["spec"]["clusterIP"] = "None"
            services[f"{ns}/{name}"] = svc
            state.service_changed(svc)
        elif op < 0.35 and services:
            key = rng.choice(sorted(services))
            state.service_changed(services.pop(key))
        elif op < 0.85:
            ns = rng.choice(["default", "a-b"])
            name = f"sl{rng.randrange(8)}"
            new = endpoint_slice(name, rng.choice(names), [f"10.244.{rng.randrange(3)}.{rng.randrange(1, 6)}"
                                                          for _ in range(rng.randrange(0, 5))],
                                 step, ns=ns, ready=rng.random() < 0.8)
            old = slices.get(f"{ns}/{name}")
            slices[f"{ns}/{name}"] = new
            state.slice_changed(old, new)
        elif slices:
            key = rng.choice(sorted(slices))
            state.slice_changed(slices.pop(key), None)
        if step % 7 == 0:
            table = RuleTable("n", "10.0.0.9", 0.0, state.rules())
            assert table.save() == from_scratch(services, slices), f"drift after step {step}"
    assert RuleTable("n", "10.0.0.9", 0.0, state.rules()).save() == from_scratch(services, slices)


def test_an_unchanged_state_gives_the_same_rule_set_object():
    services = {"default/web": service("web", "10.96.0.50")}
    slices = {"default/web-1": endpoint_slice("web-1", "web", ["10.244.1.2"], 1)}
    state = RuleState(services, slices, CIDR)
    first = state.rules()
    assert state.rules() is first
    assert (first.svc_chains, first.endpoints, first.rejects) == (1, 1, 0)


def test_a_tables_chains_are_its_rules_grouped_by_chain():
    table = build_rules("n", "10.0.0.9", [service("web", "10.96.0.50"), service("db", "10.96.0.51")],
                        [endpoint_slice("web-1", "web", ["10.244.1.2", "10.244.2.2"], 1)], CIDR)
    for name in {r.chain for r in table.nat}:
        assert table.chain(name) == [r for r in table.nat if r.chain == name]
    for name in {r.chain for r in table.filter}:
        assert table.chain(name, "filter") == [r for r in table.filter if r.chain == name]


# --- shared caches in a running cluster ----------------------------------------------------------------

def proxies(c) -> list[KubeProxy]:
    return sorted((p for ps in _CACHES[c].by_node.values() for p in ps.values() if p.running),
                  key=lambda p: p.node)


def assert_rules_current(c, skip=()):
    """Every powered node's rules are what a from-scratch sync of the API server's objects would write."""
    for node, m in sorted(c.machines.items()):
        table = c.network.iptables.get(node)
        if not m.powered or table is None or node in skip:
            continue
        want = build_rules(node, table.node_ip, c.api.items("services"), c.api.items("endpointslices"),
                           str(c.network.cluster_cidr), table.synced_at)
        assert table.save() == want.save(), f"{node}'s rules drifted"


@pytest.fixture
def web():
    c = kcourse.Cluster(seed=0, workers=3)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.kubectl("expose deployment web --port=80")
    c.run_until_stable()
    return c


def test_connected_kube_proxies_share_one_cache_and_one_rule_set(web):
    ps = proxies(web)
    assert len(ps) == len(web.machines)
    assert len({id(p.cache) for p in ps}) == 1 and ps[0].cache is not None
    assert len({id(web.network.iptables[p.node].rules) for p in ps}) == 1
    assert_rules_current(web)


def test_a_cut_off_kube_proxy_splits_off_keeps_stale_rules_and_rejoins_after_healing(web):
    web.partition_node("worker-1")
    web.kubectl("scale deployment web --replicas=5")
    web.run(until=web.now + 30)
    cut = next(p for p in proxies(web) if p.node == "worker-1")
    others = [p for p in proxies(web) if p.node != "worker-1"]
    assert cut.cache is None and all(p.cache is others[0].cache for p in others)
    assert cut.informers.informer("endpointslices").store is not others[0].informers.informer("endpointslices").store
    assert iptables_save(web, "worker-1").count("-j KUBE-SEP-") < iptables_save(web, "worker-2").count("-j KUBE-SEP-")
    web.heal_partition("worker-1")
    web.run_until_stable()
    assert cut.cache is not None
    assert_rules_current(web)


def test_a_stopped_kube_proxy_leaves_the_cache_and_the_others_keep_syncing(web):
    gone = next(p for p in proxies(web) if p.node == "worker-2")
    cache = gone.cache
    gone.stop()
    assert gone.cache is None and all(m is not gone for m in cache.members.values())
    web.kubectl("scale deployment web --replicas=4")
    web.run_until_stable()
    assert_rules_current(web, skip={"worker-2"})  # nobody restarted that kube-proxy: its rules are stale


def test_rules_stay_current_through_node_failures_and_partitions(web):
    web.fail_node("worker-3")
    web.kubectl("scale deployment web --replicas=6")
    web.run(until=web.now + 100)
    web.partition_node("worker-2")
    web.kubectl("scale deployment web --replicas=2")
    web.run(until=web.now + 60)
    web.heal_partition("worker-2")
    web.recover_node("worker-3")
    web.run_until_stable()
    assert_rules_current(web)
