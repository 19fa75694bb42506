"""The watch cache keeps Events as etcd's bytes and decodes them on each read; reads are what they were.

An Event is written once and rarely read, and a large cluster writes about seven a Pod: the cache keeps
each as etcd's own latest version (``KeptAsStored`` in kcourse/sim/serializer/storage.py) instead of a
second, decoded copy.  What a reader gets must not change: an object equal to the one the server built,
its keys in the same order (``kubectl get -o json`` prints them in that order), read-only in the freeze
debug mode.  Upstream's watch cache holds decoded objects (k8s.io/apiserver/pkg/storage/cacher/
watch_cache.go); decoding on read is how its storage reads etcd (storage/etcd3/store.go ``decode``).
"""

from __future__ import annotations

import json

import pytest

import kcourse
from kcourse.sim.frozen import SharedObjectMutation
from kcourse.sim.serializer import storage
from kcourse.sim.serializer.storage import KeptAsStored
from tests.sim.fingerprints.scenarios import SCENARIOS


@pytest.fixture
def bare() -> kcourse.Cluster:
    """A cluster with its namespaces and nothing running, so only the test writes Events."""
    return kcourse.Cluster(seed=0, workers=1, addons=False, bootstrap=False)


def _event(name: str, **fields: object) -> dict:
    ev: dict = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": "web-0", "uid": "u-1"},
        "reason": "Tested",
        "message": "hello",
        "source": {"component": "tester"},
        "type": "Normal",
    }
    ev.update(fields)
    return ev


def _text(obj: dict) -> str:
    return json.dumps(obj)  # keys in order: a reordered object reads differently here


def _forget_recent(c: kcourse.Cluster) -> None:
    """Another Event written: the cache's memo of the last one written moves on, so reads decode."""
    c.api.create(_event(f"other.{c.etcd.revision}"), user="test")


def _watch_events(c: kcourse.Cluster) -> list[tuple[str, dict]]:
    """What a watch of the namespace's Events from now on is sent."""
    seen: list[tuple[str, dict]] = []
    c.api.watch(
        "events", lambda t, o: seen.append((t, o)), namespace="default", resource_version=str(c.etcd.revision)
    )
    return seen


def test_every_event_a_scenario_keeps_decodes_to_the_object_the_server_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = []
    real = KeptAsStored.keep

    def keep(self: KeptAsStored, key: str, stored: object, obj: dict) -> None:
        real(self, key, stored, obj)
        again = self._decode(key, stored)
        assert again is not obj and again == obj and _text(again) == _text(obj)
        kept.append(key)

    monkeypatch.setattr(storage.KeptAsStored, "keep", keep)
    options, run, _ = SCENARIOS["chapter"]
    c = kcourse.Cluster(**options)
    run(c)
    assert len(kept) > 100


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "déjà vu \u2028 \U0001f600 <b>&amp;</b> \x7f tab\there"},
        {
            "count": 2147483647,
            "firstTimestamp": "2025-01-01T09:00:00Z",
            "lastTimestamp": "2025-01-01T10:00:00Z",
        },
        {"eventTime": "2025-01-01T09:00:00.123456Z", "action": "Binding", "reportingController": "x/y"},
        {"series": {"count": 3, "lastObservedTime": "2025-01-01T09:00:00.000001Z"}},
        {"related": {"kind": "Node", "name": "n1", "fieldPath": "spec.containers{a}"}},
        {
            "metadata": {
                "name": "labelled",
                "namespace": "default",
                "labels": {"a": "b"},
                "annotations": {"n": ""},
            }
        },
        {"eventTime": None, "reportingInstance": "", "count": 0},
    ],
)
def test_an_event_reads_back_equal_with_its_keys_in_order(bare: kcourse.Cluster, fields: dict) -> None:
    name = fields.get("metadata", {}).get("name", "odd.1")
    made = bare.api.create(_event(name, **fields), user="test")
    _forget_recent(bare)
    read = bare.api.get("events", name, "default")
    assert read is not made
    assert read == made and _text(read) == _text(made)
    [listed] = [e for e in bare.api.list("events", "default")["items"] if e["metadata"]["name"] == name]
    assert listed == made and _text(listed) == _text(made)


def test_the_cache_holds_etcds_own_latest_version_not_a_second_copy(bare: kcourse.Cluster) -> None:
    bare.api.create(_event("once.1"), user="test")
    _forget_recent(bare)
    cache = bare.api._cache["events"]
    assert dict.__getitem__(cache, "default/once.1") is bare.etcd.get("/registry/events/default/once.1")
    assert cache["default/once.1"]["metadata"]["resourceVersion"] == str(
        bare.etcd.get("/registry/events/default/once.1").mod_revision
    )


def test_a_write_returns_the_object_it_made_and_the_next_read_the_same_one(bare: kcourse.Cluster) -> None:
    made = bare.api.create(_event("same.1"), user="test")
    assert bare.api.get("events", "same.1", "default") is made


def test_a_repeat_is_patched_onto_the_stored_event_and_watchers_see_the_change(bare: kcourse.Cluster) -> None:
    """record/event.go: a repeat PATCHes count and lastTimestamp; a watcher gets MODIFIED."""
    cm = bare.api.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "default"}},
        user="test",
    )
    client = bare.api.client("someone")
    first = client.event(cm, "Normal", "Tested", "hello")
    seen = _watch_events(bare)
    _forget_recent(bare)
    bare.advance(3)
    second = client.event(cm, "Normal", "Tested", "hello")
    assert second["metadata"]["name"] == first["metadata"]["name"] and second["count"] == 2
    read = bare.api.get("events", first["metadata"]["name"], "default")
    assert read == second and _text(read) == _text(second)
    assert [t for t, o in seen if o["metadata"]["name"] == first["metadata"]["name"]] == ["MODIFIED"]


def test_an_updated_or_patched_event_reads_back_in_the_order_the_server_returned(
    bare: kcourse.Cluster,
) -> None:
    """An update body may list metadata.resourceVersion first, a patch adds labels after it: what a later
    read decodes from the stored bytes (which hold no resourceVersion) has the keys of what the write
    returned, in the same order."""
    made = bare.api.create(_event("order.1"), user="test")
    body = dict(made, message="changed")
    md = made["metadata"]
    body["metadata"] = {"resourceVersion": md["resourceVersion"], "name": md["name"], "namespace": "default"}
    updated = bare.api.update(body, user="test")
    _forget_recent(bare)
    read = bare.api.get("events", "order.1", "default")
    assert list(read["metadata"]) == list(updated["metadata"])
    assert read == updated and _text(read) == _text(updated)
    patched = bare.api.patch(
        "events", "order.1", {"metadata": {"labels": {"a": "b"}}}, namespace="default", user="t"
    )
    _forget_recent(bare)
    read = bare.api.get("events", "order.1", "default")
    assert read["metadata"]["labels"] == {"a": "b"}
    assert read == patched and _text(read) == _text(patched)


def test_a_deleted_event_is_sent_to_watchers_as_its_last_version(bare: kcourse.Cluster) -> None:
    made = bare.api.create(_event("gone.1"), user="test")
    _forget_recent(bare)
    seen = _watch_events(bare)
    bare.api.delete("events", "gone.1", "default", user="test")
    [(etype, last)] = [(t, o) for t, o in seen if o["metadata"]["name"] == "gone.1"]
    assert etype == "DELETED"
    assert dict(last, metadata=None) == dict(made, metadata=None)
    with pytest.raises(kcourse.ApiError):
        bare.api.get("events", "gone.1", "default")
    assert "default/gone.1" not in bare.api._cache["events"]


def test_an_event_written_past_the_api_is_read_as_before(bare: kcourse.Cluster) -> None:
    """Bytes written straight into etcd are read back as the watch cache reads any such bytes."""
    raw = json.dumps(_event("raw.1", unknownField=1, count=None)).encode()
    bare.etcd.put("/registry/events/default/raw.1", raw)
    read = bare.api.get("events", "raw.1", "default")
    assert "unknownField" not in read and "count" not in read
    assert read["metadata"]["resourceVersion"] == str(bare.etcd.revision)


def test_a_decoded_event_is_read_only_in_the_freeze_debug_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KCOURSE_FREEZE", "1")
    c = kcourse.Cluster(seed=0, workers=1, addons=False, bootstrap=False)
    c.api.create(_event("frozen.1"), user="test")
    _forget_recent(c)
    read = c.api.get("events", "frozen.1", "default")
    with pytest.raises(SharedObjectMutation, match=r"Event default/frozen\.1: cannot set message"):
        read["message"] = "changed"
