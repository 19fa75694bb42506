"""Informers: LIST then WATCH, handlers, indexes, resume after a broken watch, relist after 410."""

from __future__ import annotations

import random

import pytest

from kcourse.sim.apiserver import APIServer
from kcourse.sim.clock import Clock
from kcourse.sim.etcd import Etcd
from kcourse.sim.informer import Informer, ResourceEventHandler


@pytest.fixture
def api() -> APIServer:
    server = APIServer(Etcd(), Clock(), random.Random(0))
    server.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}})
    return server


def pod(name: str, node: str | None = None) -> dict:
    spec = {"containers": [{"name": "c", "image": "nginx:1.27"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def recording(inf: Informer) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    inf.add_event_handler(
        ResourceEventHandler(
            on_add=lambda o: seen.append(("add", o["metadata"]["name"])),
            on_update=lambda old, new: seen.append(("update", new["metadata"]["name"])),
            on_delete=lambda o: seen.append(("delete", o["metadata"]["name"])),
        )
    )
    return seen


def test_list_then_watch_keeps_the_cache_current(api):
    api.create(pod("a"))
    inf = Informer(api.client("test"), "pods")
    seen = recording(inf)
    inf.start()
    api.create(pod("b"))
    api.patch("pods", "a", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    api.delete("pods", "b", "default")
    assert seen == [("add", "a"), ("add", "b"), ("update", "a"), ("delete", "b")]
    assert sorted(inf.store) == ["default/a"]
    assert inf.resource_version == str(api.etcd.revision)


def test_index_finds_pods_by_node(api):
    inf = Informer(api.client("test"), "pods")
    inf.add_indexer("node", lambda o: [o["spec"].get("nodeName") or ""])
    inf.start()
    api.create(pod("a", "worker-1"))
    api.create(pod("b", "worker-2"))
    api.create(pod("c", "worker-1"))
    assert [p["metadata"]["name"] for p in inf.by_index("node", "worker-1")] == ["a", "c"]


def test_reconnect_resumes_from_the_last_resource_version(api):
    inf = Informer(api.client("test"), "pods")
    seen = recording(inf)
    inf.start()
    inf.disconnect()
    api.create(pod("missed"))
    assert seen == []
    inf.reconnect()
    assert seen == [("add", "missed")]
    assert inf.relists == 0


def test_reconnect_after_compaction_relists_and_reconciles(api):
    api.create(pod("old"))
    inf = Informer(api.client("test"), "pods")
    seen = recording(inf)
    inf.start()
    inf.disconnect()
    api.delete("pods", "old", "default")
    api.create(pod("new"))
    api.etcd.compact(api.etcd.revision)
    inf.reconnect()
    assert inf.relists == 1
    assert seen[-2:] == [("delete", "old"), ("add", "new")]
    assert sorted(inf.store) == ["default/new"]


def test_an_update_moves_a_key_only_between_the_index_values_that_changed(api):
    """client-go's ``threadSafeMap.updateIndices``: the old object's values are removed and the new one's
    added, so a Pod bound to a node leaves the "" bucket and joins its node's."""
    inf = Informer(api.client("test"), "pods")
    inf.add_indexer("node", lambda o: [o["spec"].get("nodeName") or ""])
    inf.add_indexer("labels", lambda o: sorted(o["metadata"].get("labels") or {}))
    inf.start()
    api.create(pod("a"))
    api.create(pod("b", "worker-1"))
    api.bind("default", "a", "worker-2")
    api.patch("pods", "b", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    names = lambda objs: [o["metadata"]["name"] for o in objs]
    assert names(inf.by_index("node", "")) == []
    assert "" not in inf.indices["node"]
    assert names(inf.by_index("node", "worker-2")) == ["a"]
    assert names(inf.by_index("node", "worker-1")) == ["b"]
    assert names(inf.by_index("labels", "x")) == ["b"]
    api.patch("pods", "b", {"metadata": {"labels": None}}, namespace="default")
    assert inf.by_index("labels", "x") == [] and "x" not in inf.indices["labels"]
    api.delete("pods", "a", "default", grace_period_seconds=0)
    assert inf.indices["node"] == {"worker-1": {"default/b"}}


def test_an_index_function_that_fails_on_an_update_leaves_that_key_out_and_is_reported(api):
    reports: list[tuple[str, str]] = []
    api.report_failure = lambda user, node, key, where, err: reports.append((key, where))
    inf = Informer(api.client("test"), "pods")
    inf.add_indexer("node", lambda o: [o["spec"]["nodeName"]])
    inf.start()
    api.create(pod("a", "worker-1"))
    api.patch("pods", "a", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    assert reports == []
    assert [o["metadata"]["labels"] for o in inf.by_index("node", "worker-1")] == [{"x": "1"}]
    api.create(pod("b"))
    api.patch("pods", "b", {"metadata": {"labels": {"x": "1"}}}, namespace="default")
    assert reports == [("default/b", "pods informer index 'node'")] * 3
    assert inf.indices["node"] == {"worker-1": {"default/a"}}
    assert inf.get("default/b")["metadata"]["labels"] == {"x": "1"}
