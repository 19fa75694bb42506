"""The watch fan-out and the informers it feeds: who gets a change, in what order, at what cost per watcher.

Upstream's cacher (k8s.io/apiserver/pkg/storage/cacher/cacher.go, ``dispatchEvent``) sends each change to
the watchers its indexed triggers pick (``TriggerPublisherFunc`` in pkg/registry/core/pod/strategy.go:
``spec.nodeName``) plus every watcher without a trigger; each ``cacheWatcher`` converts the change for its
own selector (cache_watcher.go, ``convertToWatchEvent``).  client-go's informer applies each event to its
store and indexer (tools/cache/thread_safe_store.go, ``updateIndices``: the old object's index values out,
the new one's in) and calls every registered handler (shared_informer.go, ``processorListener``).
"""

from __future__ import annotations

import random

import pytest

from kcourse.sim.apiserver import APIServer
from kcourse.sim.clock import Clock
from kcourse.sim.etcd import Etcd
from kcourse.sim.informer import Informer, ResourceEventHandler
from kcourse.sim.programs import GuardedInformer


@pytest.fixture
def api() -> APIServer:
    server = APIServer(Etcd(), Clock(), random.Random(0))
    server.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return server


def pod(name: str, node: str | None = None, **labels: str) -> dict:
    spec: dict = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": labels}, "spec": spec}


def watch_all(api: APIServer, who: list[tuple[str, str | None]]) -> list[tuple[str, str, str]]:
    """Register one watcher per (name, field selector), in order; returns what they are sent."""
    seen: list[tuple[str, str, str]] = []
    rv = str(api.etcd.revision)
    for name, fields in who:
        api.watch(
            "pods",
            lambda t, o, name=name: seen.append((name, t, o["metadata"]["name"])),
            field_selector=fields,
            resource_version=rv,
        )
    return seen


@pytest.mark.parametrize(
    "order",
    [
        # node-pinned watchers (kubelets) after the others, before them, and in between
        ["all", "ns", "w1", "w2"],
        ["w1", "w2", "all", "ns"],
        ["w1", "all", "w2", "ns"],
        ["ns", "w2", "all", "w1"],
    ],
)
def test_a_pod_change_reaches_the_pinned_and_unpinned_watchers_in_registration_order(api, order):
    """A watch pinned to a node by ``spec.nodeName=`` is woken only by Pods whose old or new node is its
    node, and whichever order the watches were opened in, each change reaches them in that order."""
    selectors = {"all": None, "ns": "metadata.namespace=default", "w1": "spec.nodeName=w1"}
    selectors["w2"] = "spec.nodeName=w2"
    seen = watch_all(api, [(name, selectors[name]) for name in order])
    api.create(pod("a"))
    assert seen == [(n, "ADDED", "a") for n in order if n in ("all", "ns")]
    seen.clear()
    api.bind("default", "a", "w1")  # "" -> w1: w1's watch sees it arrive
    assert seen == [(n, "ADDED" if n == "w1" else "MODIFIED", "a") for n in order if n != "w2"]
    seen.clear()
    api.create(pod("b", "w2"))
    assert seen == [(n, "ADDED", "b") for n in order if n != "w1"]
    seen.clear()
    api.delete("pods", "a", "default", grace_period_seconds=0)
    assert seen == [(n, "DELETED", "a") for n in order if n != "w2"]


def test_a_watch_whose_handler_raises_ends_alone_and_the_others_still_get_the_change(api):
    """A broken stream is that watcher's problem: the writer's request and the other watchers go on."""
    reports: list[tuple[str, str, str]] = []
    api.report_failure = lambda user, node, key, where, err: reports.append((user, where, str(err)))
    seen: list[str] = []
    rv = str(api.etcd.revision)

    def broken(_t: str, _o: dict) -> None:
        seen.append("broken")
        raise RuntimeError("stream closed")

    api.watch("pods", lambda t, o: seen.append("before"), resource_version=rv)
    handle = api.watch("pods", broken, resource_version=rv, user="flaky")
    api.watch("pods", lambda t, o: seen.append("after"), resource_version=rv)
    api.create(pod("a"))
    api.create(pod("b"))
    assert seen == ["before", "broken", "after", "before", "after"]
    assert handle.stopped and handle.delivered == 1
    assert reports == [("flaky", "watch handler", "stream closed")]
    assert api.peek("pods", "b") is not None


def test_an_informer_calls_each_handlers_callbacks_in_registration_order_and_skips_missing_ones(api):
    inf = Informer(api.client("test"), "pods")
    seen: list[str] = []
    inf.add_event_handler(ResourceEventHandler(on_update=lambda old, new: seen.append("1 update")))
    inf.add_event_handler(
        ResourceEventHandler(
            on_add=lambda o: seen.append("2 add"),
            on_update=lambda old, new: seen.append(f"2 update {old['metadata']['labels']}"),
            on_delete=lambda o: seen.append("2 delete"),
        )
    )
    inf.start()
    api.create(pod("a", app="web"))
    api.patch("pods", "a", {"metadata": {"labels": {"app": "db"}}}, namespace="default")
    inf.add_event_handler(ResourceEventHandler(on_add=lambda o: seen.append("3 add")))  # replays the cache
    api.delete("pods", "a", "default", grace_period_seconds=0)
    assert seen == ["2 add", "1 update", "2 update {'app': 'web'}", "3 add", "2 delete"]


def test_an_update_asks_each_index_function_about_the_new_version_only(api):
    """The old version's index values are those computed when it was cached (index functions are pure);
    an index added later covers what is already cached."""
    calls: list[str] = []

    def by_node(o: dict) -> list[str]:
        calls.append(o["metadata"]["resourceVersion"])
        return [o["spec"].get("nodeName") or ""]

    inf = Informer(api.client("test"), "pods")
    inf.start()
    api.create(pod("a"))
    inf.add_indexer("node", by_node)
    assert calls == [inf.get("default/a")["metadata"]["resourceVersion"]]
    api.bind("default", "a", "w1")
    api.patch("pods", "a", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    versions = [calls[0], *(str(v) for v in range(int(calls[0]) + 1, api.etcd.revision + 1))]
    assert calls == versions
    assert inf.indices["node"] == {"w1": {"default/a"}}
    api.delete("pods", "a", "default", grace_period_seconds=0)
    assert calls == versions and inf.indices["node"] == {}
    inf.add_indexer("labels", lambda o: sorted(o["metadata"].get("labels") or {}))
    api.create(pod("b", "w2", app="web"))
    assert inf.by_index("node", "w2") == inf.by_index("labels", "app") == [inf.get("default/b")]


def test_a_guarded_informer_cut_off_from_the_api_server_breaks_its_watch_instead_of_applying_events(api):
    """The node's connection is gone: the event never arrives, the cache stays as it was (stale) and the
    process is told its watch broke, as a kube-proxy on a partitioned node is."""
    lost: list[str] = []
    inf = GuardedInformer(api.client("kube-proxy", node="w1"), "pods", lambda: lost.append("lost"))
    cut_off: set[str | None] = set()
    api.reachable = lambda node: node not in cut_off  # asked at each delivery, not when the informer was made
    seen: list[str] = []
    inf.add_event_handler(ResourceEventHandler(on_add=lambda o: seen.append(o["metadata"]["name"])))
    inf.start()
    api.create(pod("a"))
    cut_off.add("w1")
    api.create(pod("b"))
    assert seen == ["a"] and lost == ["lost"]
    assert sorted(inf.store) == ["default/a"]
    assert inf.resource_version == inf.get("default/a")["metadata"]["resourceVersion"]
    inf.disconnect()
    cut_off.clear()
    inf.reconnect()
    assert seen == ["a", "b"] and lost == ["lost"]
