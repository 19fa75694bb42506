"""Informers that share one cache (every node's kube-proxy): each reads and does what its own copy would.

Upstream, every node's kube-proxy runs its own Services and EndpointSlices informers
(``pkg/proxy/config/config.go``: ``NewServiceConfig``, ``NewEndpointSliceConfig``), each with its own
reflector and watch (client-go ``tools/cache/reflector.go``): a node cut off from the API server keeps a
stale cache and stale rules, and resumes or relists on its own.  The simulation holds the identical
caches of connected kube-proxies once (:class:`kcourse.sim.informer.InformerGroup`).  These tests run
scenarios twice, with sharing and with every informer kept on its own (today's reference behaviour),
and compare everything a learner, a view or a test can read: iptables-save on each node, each
informer's resourceVersion, objects and connection, each watch's delivery count, the trace.
"""

import pytest

import kcourse
from kcourse.sim.informer import Informer, InformerGroup, ResourceEventHandler
from kcourse.sim.kubeproxy import KubeProxy, iptables_save
from kcourse.sim.resources import object_key


def proxies(c) -> dict[str, KubeProxy]:
    """The running kube-proxy program of each node (the kube-proxy DaemonSet's container)."""
    out = {}
    for node in sorted(c.machines):
        kubelet = c.machines[node].component("kubelet")
        for _key, pod in sorted((kubelet.pods if kubelet else {}).items()):
            for ctr in pod.ctrs.values():
                if isinstance(ctr.program, KubeProxy) and ctr.program.running:
                    out[node] = ctr.program
    return out


def snapshot(c) -> dict:
    """What can be read of every node's kube-proxy and rules, and of the run so far."""
    out: dict = {"trace": c.trace(), "revision": c.etcd.revision}
    for node, kp in proxies(c).items():
        for resource, inf in sorted(kp.informers.informers.items()):
            out[node, resource] = (
                inf.resource_version,
                [(o["metadata"]["name"], o["metadata"]["resourceVersion"]) for o in inf.list()],
                sorted(inf.store) == [object_key(o) for o in inf.list()],
                inf.connected,
                inf.has_synced,
                inf.relists,
                inf._watch.delivered if inf._watch is not None else None,
            )
    for node, m in sorted(c.machines.items()):
        out[node, "iptables"] = iptables_save(c, node) if m.powered else None
    return out


def run_both(scenario) -> tuple[list, list]:
    """The scenario's snapshots with sharing, then with every informer on its own."""
    shared = scenario()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Informer, "_join", lambda _self: None)
        alone = scenario()
    return shared, alone


def groups(c) -> dict[str, InformerGroup]:
    return {key[0]: g for key, g in c.api._watch_groups.items() if isinstance(g, InformerGroup)}


def web_cluster(workers: int = 4) -> kcourse.Cluster:
    c = kcourse.Cluster(seed=3, workers=workers)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=4")
    c.kubectl("expose deployment web --port=80")
    c.run_until_stable()
    return c


def assert_same(shared: list, alone: list) -> None:
    assert len(shared) == len(alone)
    for step, (mine, reference) in enumerate(zip(shared, alone, strict=True)):
        assert mine.keys() == reference.keys(), step
        for key in mine:
            assert mine[key] == reference[key], (step, key)


def test_a_partitioned_nodes_kube_proxy_keeps_stale_rules_then_catches_up_exactly_as_on_its_own():
    seen = {}

    def scenario():
        c = web_cluster()
        shots = [snapshot(c)]
        seen.setdefault("members", len(groups(c)["endpointslices"].members) if groups(c) else 0)
        c.partition_node("worker-2")
        c.kubectl("scale deployment web --replicas=7")
        c.run(until=c.now + 30)
        shots.append(snapshot(c))
        cut = proxies(c)["worker-2"].informers.informer("endpointslices")
        other = proxies(c)["worker-1"].informers.informer("endpointslices")
        seen["stale"] = (
            cut.list() != other.list()
            and iptables_save(c, "worker-2") != iptables_save(c, "worker-1")
            and not cut.connected
        )
        c.heal_partition("worker-2")
        c.run(until=c.now + 30)
        shots.append(snapshot(c))
        c.run_until_stable()
        shots.append(snapshot(c))
        return shots

    shared, alone = run_both(scenario)
    assert seen["stale"] and seen["members"] == 5
    assert_same(shared, alone)


def test_sharing_happens_and_a_healed_node_rejoins_the_shared_cache():
    c = web_cluster()
    slices = groups(c)["endpointslices"]
    assert len(slices.members) == len(c.machines)  # every node runs kube-proxy, the master too
    c.partition_node("worker-2")
    c.kubectl("scale deployment web --replicas=6")
    c.run(until=c.now + 30)
    cut = proxies(c)["worker-2"].informers.informer("endpointslices")
    assert cut.store is not slices.store and len(slices.members) == len(c.machines) - 1
    c.heal_partition("worker-2")
    c.run(until=c.now + 10)
    assert cut.store is slices.store and cut.connected


def test_a_crashed_kube_proxy_restarts_with_its_own_watches_exactly_as_on_its_own():
    def scenario():
        c = web_cluster(3)
        c.crash_container(proxies(c)["worker-1"].pod["metadata"]["name"], namespace="kube-system")
        c.kubectl("scale deployment web --replicas=2")
        c.run(until=c.now + 20)
        shots = [snapshot(c)]
        c.run_until_stable()
        shots.append(snapshot(c))
        return shots

    assert_same(*run_both(scenario))


def test_node_and_control_plane_failures_give_what_each_kube_proxy_would_have_on_its_own():
    def scenario():
        c = web_cluster(3)
        c.fail_node("worker-3")
        c.kubectl("scale deployment web --replicas=5")
        c.run(until=c.now + 50)
        shots = [snapshot(c)]
        c.fail_node("master-1")
        c.run(until=c.now + 20)
        shots.append(snapshot(c))
        c.recover_node("master-1")
        c.kubectl("delete service web")
        c.run(until=c.now + 40)
        shots.append(snapshot(c))
        c.recover_node("worker-3")
        c.run_until_stable()
        shots.append(snapshot(c))
        return shots

    assert_same(*run_both(scenario))


# --- groups on their own -------------------------------------------------------------------------------


def labelled(name: str, tier: str) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"tier": tier}}}


@pytest.fixture
def bare():
    return kcourse.Cluster(seed=0, workers=1, bootstrap=False)


def test_two_groups_with_different_selectors_do_not_mix(bare):
    client = bare.client("test")
    front = [Informer(client, "configmaps", label_selector="tier=front", share="t") for _ in range(2)]
    back = [Informer(client, "configmaps", label_selector="tier=back", share="t") for _ in range(2)]
    other_name = Informer(client, "configmaps", label_selector="tier=front", share="u")
    for inf in (*front, *back, other_name):
        inf.start()
    for i in range(3):
        bare.api.create(labelled(f"f{i}", "front"), namespace="default", user="test")
        bare.api.create(labelled(f"b{i}", "back"), namespace="default", user="test")
    assert front[0].store is front[1].store and back[0].store is back[1].store
    assert front[0].store is not back[0].store and other_name.store is not front[0].store
    assert sorted(front[0].store) == ["default/f0", "default/f1", "default/f2"]
    assert sorted(back[1].store) == ["default/b0", "default/b1", "default/b2"]
    assert other_name.store == front[0].store


def test_deliveries_are_counted_per_watch(bare):
    client = bare.client("test")
    early = Informer(client, "configmaps", label_selector="tier", share="t")
    alone = Informer(client, "configmaps", label_selector="tier")
    early.start()
    alone.start()
    bare.api.create(labelled("a", "x"), namespace="default", user="test")
    late = Informer(client, "configmaps", label_selector="tier", share="t")
    late.start()
    bare.api.create(labelled("b", "x"), namespace="default", user="test")
    bare.api.delete("configmaps", "a", "default", user="test")
    assert early.store is late.store
    assert early._watch.delivered == alone._watch.delivered == 3
    assert late._watch.delivered == 2
    late.stop()
    bare.api.create(labelled("c", "x"), namespace="default", user="test")
    assert early._watch.delivered == 4 and sorted(late.store) == ["default/b"]
    assert late.resource_version != early.resource_version == alone.resource_version


def test_a_member_joining_after_a_bookmark_keeps_its_own_resource_version_until_the_next_event(bare):
    client = bare.client("test")
    first = Informer(client, "configmaps", label_selector="tier", share="t")
    first.start()
    bare.api.create(labelled("a", "x"), namespace="default", user="test")
    bare.api.create(labelled("s", "x"), namespace="kube-system", user="test")
    bare.api.send_bookmarks()
    assert first.resource_version == str(bare.etcd.revision)
    bare.api.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n1"}}, user="test")
    second = Informer(client, "configmaps", label_selector="tier", share="t")
    second.start()
    assert second.store is first.store
    assert second.resource_version == str(bare.etcd.revision) != first.resource_version
    bare.api.create(labelled("b", "x"), namespace="default", user="test")
    assert second.resource_version == first.resource_version == str(bare.etcd.revision)


def test_the_change_feed_gives_each_member_every_change_once_in_order(bare):
    client = bare.client("test")
    a, b = (Informer(client, "configmaps", label_selector="tier", share="t") for _ in range(2))
    a.start()
    b.start()
    woken = []
    a.notify_once(lambda: woken.append("a"))
    bare.api.create(labelled("x", "1"), namespace="default", user="test")
    b.notify_once(lambda: woken.append("b"))
    changed = labelled("x", "1")
    changed["data"] = {"k": "v"}
    changed["metadata"]["resourceVersion"] = a.get("default/x")["metadata"]["resourceVersion"]
    bare.api.update(changed, user="test")
    bare.api.delete("configmaps", "x", "default", user="test")
    assert woken == ["a", "b"]
    kinds = [(old is None, new is None) for old, new in a.take_changes()]
    assert kinds == [(True, False), (False, False), (False, True)]
    assert a.take_changes() == []
    assert [(old is None, new is None) for old, new in b.take_changes()] == kinds


def test_a_sharing_informer_given_a_handler_keeps_its_own_cache(bare):
    client = bare.client("test")
    a, b = (Informer(client, "configmaps", label_selector="tier", share="t") for _ in range(2))
    a.start()
    b.start()
    assert a.store is b.store
    seen = []
    b.add_event_handler(ResourceEventHandler(on_add=lambda o: seen.append(o["metadata"]["name"])))
    bare.api.create(labelled("x", "1"), namespace="default", user="test")
    assert seen == ["x"] and a.store is not b.store and a.store == b.store
    assert [n is not None for _, n in b.take_changes()] == [True]


def test_the_reachability_epoch_moves_with_partitions_and_power():
    c = kcourse.Cluster(seed=0, workers=1, bootstrap=False)
    before = c.reachability_epoch()
    c.partition_node("worker-1")
    assert c.reachability_epoch() != before
    during = c.reachability_epoch()
    c.heal_partition("worker-1")
    assert c.reachability_epoch() != during
    assert c.api.reachability_epoch() == c.reachability_epoch()


def test_the_shared_change_log_drops_a_change_once_every_member_has_taken_it(bare):
    client = bare.client("test")
    a, b = (Informer(client, "configmaps", label_selector="tier", share="t") for _ in range(2))
    a.start()
    b.start()
    group = groups(bare)["configmaps"]
    for i in range(3):
        bare.api.create(labelled(f"x{i}", "1"), namespace="default", user="test")
    assert len(a.take_changes()) == 3 and len(group.log) == 3  # b has not taken them yet
    bare.api.create(labelled("y", "1"), namespace="default", user="test")
    assert len(b.take_changes()) == 4 and len(group.log) == 1  # only a's "y" is left
    b.stop()
    assert len(a.take_changes()) == 1 and group.log == []
    bare.api.create(labelled("z", "1"), namespace="default", user="test")
    assert [new["metadata"]["name"] for _, new in a.take_changes()] == ["z"] and group.log == []
