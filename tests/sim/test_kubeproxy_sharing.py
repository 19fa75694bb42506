"""kube-proxy's incremental sync and the cluster's rule-set memo: the rules a from-scratch sync would write.

Each node's kube-proxy lists and watches Services and EndpointSlices on its own, as upstream's
``pkg/proxy/config`` (``NewServiceConfig``, ``NewEndpointSliceConfig``) does from its own informer
factory; what nodes share is only the immutable RuleSet worked out from the same input.
"""

import random

import pytest

import kcourse
from kcourse.sim.kubeproxy import KubeProxy, RuleSetMemo, RuleState, RuleTable, build_rules, iptables_save

CIDR = "10.244.0.0/16"


def service(name, ip, ports=(("http", 80),), ns="default", stype="ClusterIP"):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "type": stype,
            "clusterIP": ip,
            "ports": [{"name": n, "port": p, "protocol": "TCP", "nodePort": 30000 + p} for n, p in ports],
        },
    }


def endpoint_slice(name, owner, ips, rv, ns="default", ready=True):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "addressType": "IPv4",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": f"uid-{name}",
            "resourceVersion": str(rv),
            "labels": {"kubernetes.io/service-name": owner},
        },
        "endpoints": [{"addresses": [ip], "conditions": {"ready": ready}} for ip in ips],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }


def from_scratch(services: dict, slices: dict) -> str:
    return build_rules(
        "n", "10.0.0.9", [services[k] for k in sorted(services)], [slices[k] for k in sorted(slices)], CIDR
    ).save()


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
            svc = service(
                name,
                f"10.96.0.{names.index(name) + 10}",
                ns=ns,
                stype=rng.choice(["ClusterIP", "NodePort"]),
                ports=rng.choice([(("http", 80),), (("http", 80), ("metrics", 90)), ()]),
            )
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
            new = endpoint_slice(
                name,
                rng.choice(names),
                [f"10.244.{rng.randrange(3)}.{rng.randrange(1, 6)}" for _ in range(rng.randrange(0, 5))],
                step,
                ns=ns,
                ready=rng.random() < 0.8,
            )
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


def test_a_kube_proxy_that_took_shared_rule_sets_computes_the_right_rules_when_it_misses():
    """A follower takes the leader's RuleSets without working out what changed; its next sync is exact."""
    rng = random.Random(11)
    memo = RuleSetMemo()
    stores = {"leader": ({}, {}), "follower": ({}, {})}
    states = {who: RuleState(*pair, CIDR, memo={}) for who, pair in stores.items()}
    for step in range(300):
        name = f"s{rng.randrange(4)}"
        if rng.random() < 0.2:
            svc = service(name, f"10.96.0.{10 + int(name[1:])}", stype=rng.choice(["ClusterIP", "NodePort"]))
            for who, (services, _) in stores.items():
                services[f"default/{name}"] = svc
                states[who].service_changed(svc)
        else:
            slice_name = f"sl{rng.randrange(6)}"
            new = (
                endpoint_slice(
                    slice_name,
                    name,
                    [f"10.244.1.{rng.randrange(1, 9)}" for _ in range(rng.randrange(3))],
                    step,
                )
                if rng.random() < 0.85
                else None
            )
            for who, (_, slices) in stores.items():
                old = slices.pop(f"default/{slice_name}", None)
                if new is not None:
                    slices[f"default/{slice_name}"] = new
                if old is not None or new is not None:
                    states[who].slice_changes.append((old, new))
        key = (str(step), "")
        if step % 3 == 0:
            states["leader"].rules(memo, key)
            assert states["follower"].rules(memo, key) is memo.get(key)  # taken, not computed
        elif step % 11 == 0:
            mine = states["follower"].rules(memo, (f"follower-{step}", ""))  # nobody computed this: a miss
            assert RuleTable("n", "10.0.0.9", 0.0, mine).save() == from_scratch(*stores["follower"]), step


def test_an_unchanged_state_gives_the_same_rule_set_object():
    services = {"default/web": service("web", "10.96.0.50")}
    slices = {"default/web-1": endpoint_slice("web-1", "web", ["10.244.1.2"], 1)}
    state = RuleState(services, slices, CIDR)
    first = state.rules()
    assert state.rules() is first
    assert (first.svc_chains, first.endpoints, first.rejects) == (1, 1, 0)


def test_a_tables_chains_are_its_rules_grouped_by_chain():
    table = build_rules(
        "n",
        "10.0.0.9",
        [service("web", "10.96.0.50"), service("db", "10.96.0.51")],
        [endpoint_slice("web-1", "web", ["10.244.1.2", "10.244.2.2"], 1)],
        CIDR,
    )
    for name in {r.chain for r in table.nat}:
        assert table.chain(name) == [r for r in table.nat if r.chain == name]
    for name in {r.chain for r in table.filter}:
        assert table.chain(name, "filter") == [r for r in table.filter if r.chain == name]


def test_a_rule_state_takes_the_rule_set_computed_from_the_same_input_and_computes_otherwise():
    services = {"default/web": service("web", "10.96.0.50")}
    slices = {"default/web-1": endpoint_slice("web-1", "web", ["10.244.1.2"], 1)}
    memo = RuleSetMemo()
    first = RuleState(dict(services), dict(slices), CIDR).rules(memo, ("7", "9"))
    same_input = RuleState(dict(services), dict(slices), CIDR).rules(memo, ("7", "9"))
    assert same_input is first
    other = RuleState(dict(services), dict(slices), CIDR).rules(memo, ("7", "10"))
    assert other is not first
    assert RuleTable("n", "10.0.0.9", 0.0, other).save() == RuleTable("n", "10.0.0.9", 0.0, first).save()


def test_the_memo_keeps_only_the_most_recent_rule_sets():
    memo = RuleSetMemo()
    sets = [
        RuleState({}, {"default/s": endpoint_slice("s", "web", [], i)}, CIDR).rules()
        for i in range(memo.size + 1)
    ]
    for i, rules in enumerate(sets):
        memo.put((str(i), "1"), rules)
    assert memo.get(("0", "1")) is None
    assert memo.get((str(memo.size), "1")) is sets[-1]


def test_every_cluster_has_its_own_memo():
    a, b = (
        kcourse.Cluster(seed=0, workers=1, bootstrap=False),
        kcourse.Cluster(seed=0, workers=1, bootstrap=False),
    )
    assert a.network.rule_sets is not b.network.rule_sets


# --- kube-proxies in a running cluster -----------------------------------------------------------------


def assert_rules_current(c, skip=()):
    """Every powered node's rules are what a from-scratch sync of the API server's objects would write."""
    for node, m in sorted(c.machines.items()):
        table = c.network.iptables.get(node)
        if not m.powered or table is None or node in skip:
            continue
        want = build_rules(
            node,
            table.node_ip,
            c.api.items("services"),
            c.api.items("endpointslices"),
            str(c.network.cluster_cidr),
            table.synced_at,
        )
        assert table.save() == want.save(), f"{node}'s rules drifted"


@pytest.fixture
def web():
    c = kcourse.Cluster(seed=0, workers=3)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.kubectl("expose deployment web --port=80")
    c.run_until_stable()
    return c


@pytest.fixture
def two():
    """No addons: two kube-proxy programs started by hand (worker-1, worker-2), a Service with endpoints."""
    c = kcourse.Cluster(seed=0, workers=2, addons=False)
    c.api.create(service("web", "10.96.0.50", stype="NodePort"), user="test")
    c.api.create(endpoint_slice("web-1", "web", ["10.244.1.2", "10.244.2.2"], 0), user="test")
    proxies = {}
    for node in ("worker-1", "worker-2"):
        proxies[node] = KubeProxy(
            {
                "host": c,
                "node": node,
                "log": lambda _line: None,
                "pod": {
                    "metadata": {"name": f"kube-proxy-{node}", "namespace": "kube-system"},
                    "spec": {"hostNetwork": True},
                },
            }
        )
        proxies[node].start()
    c.advance(2)
    return c, proxies


def test_each_kube_proxy_lists_and_watches_with_its_own_informers(two):
    """Each has its own informer and watch; while both watches are live the simulation holds their
    identical caches once (``share``), and a cut-off one keeps its own copy (test_informer_sharing)."""
    _, proxies = two
    one, other = proxies["worker-1"], proxies["worker-2"]
    for resource in ("services", "endpointslices"):
        mine, theirs = one.informers.informer(resource), other.informers.informer(resource)
        assert mine is not theirs and mine._watch is not theirs._watch
        assert mine.store == theirs.store and mine.connected and theirs.connected
    assert sorted(one.informers.informers) == ["endpointslices", "services"]


def test_nodes_with_the_same_input_share_one_immutable_rule_set(two):
    c, _ = two
    tables = c.network.iptables
    assert tables["worker-1"].rules is tables["worker-2"].rules
    assert tables["worker-1"].rules.endpoints == 3  # web's two and the API server behind `kubernetes`
    c.api.delete("endpointslices", "web-1", "default", user="test")
    c.advance(2)
    assert tables["worker-1"].rules is tables["worker-2"].rules
    assert "default/web:http has no endpoints" in iptables_save(c, "worker-2")
    assert_rules_current(c)


def test_a_cut_off_kube_proxy_keeps_its_stale_cache_and_rules_and_catches_up_after_healing(two):
    c, proxies = two
    c.partition_node("worker-1")
    c.api.create(endpoint_slice("web-2", "web", ["10.244.2.7"], 0), user="test")
    c.advance(10)
    cut, other = proxies["worker-1"], proxies["worker-2"]
    assert "default/web-2" in other.informers.informer("endpointslices").store
    assert "default/web-2" not in cut.informers.informer("endpointslices").store
    assert iptables_save(c, "worker-1").count("-j KUBE-SEP-") < iptables_save(c, "worker-2").count(
        "-j KUBE-SEP-"
    )
    assert c.network.iptables["worker-1"].rules is not c.network.iptables["worker-2"].rules
    c.heal_partition("worker-1")
    c.advance(10)
    assert cut.informers.informer("endpointslices").store == other.informers.informer("endpointslices").store
    assert_rules_current(c)


def test_a_stopped_kube_proxy_leaves_its_rules_in_place_and_the_other_keeps_syncing(two):
    c, proxies = two
    before = iptables_save(c, "worker-1")
    proxies["worker-1"].stop()
    c.api.delete("endpointslices", "web-1", "default", user="test")
    c.advance(3)
    assert iptables_save(c, "worker-1") == before  # kernel state: nobody rewrites it
    assert "default/web:http has no endpoints" in iptables_save(c, "worker-2")
    assert_rules_current(c, skip={"worker-1"})


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
