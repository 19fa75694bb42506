"""A lean history: superseded versions are packed, and nothing a reader can see changes.

The embedded store packs a version once it is superseded and the unpacked history passes
``Etcd.raw_history_bytes``, and a latest version once ``Etcd.raw_latest_bytes`` were written after it
(see ``kcourse.sim.etcd``).  Real etcd keeps every revision as written
(``server/mvcc/kvstore_txn.go`` puts each one into bbolt under its revision), so every read must give
back the same bytes: ``get``/``range`` at an old revision, a watch from an old revision with
``prev_kv``, ``db_size()`` and compaction.  Each case compares a packing store with one that keeps
everything unpacked, on the same writes.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
import random

import pytest

import kcourse
from kcourse.sim.etcd import KEYFRAME_VERSIONS, Etcd, KeyValue, Op, WatchEvent
from tests.sim.fingerprints.scenarios import digests, measure, read_golden

#: (raw_history_bytes, raw_latest_bytes) of a store that packs: history only, latest only, both, a mix.
PACKING = {"history": (0, 1 << 62), "latest": (1 << 62, 0), "both": (0, 0), "mixed": (2_000, 5_000)}


def _store(history: int, latest: int) -> Etcd:
    etcd = Etcd()
    etcd.raw_history_bytes, etcd.raw_latest_bytes = history, latest
    return etcd


def _stores(packing: str = "history") -> tuple[Etcd, Etcd]:
    """A store that never packs and one that packs as ``packing`` says."""
    return _store(1 << 62, 1 << 62), _store(*PACKING[packing])


def _packed(kv: KeyValue) -> bool:
    return kv._value.__class__ is not bytes


def _endpoints(n: int) -> bytes:
    """An Endpoints-like value that grows by one address a version, as the endpoints controller writes."""
    addresses = [
        {
            "ip": f"10.244.{i // 250}.{i % 250 + 2}",
            "nodeName": f"worker-{i % 40}",
            "targetRef": {"kind": "Pod", "name": f"web-7d4b9c-{i:05d}", "uid": f"uid-{i:08d}"},
        }
        for i in range(n)
    ]
    return json.dumps(
        {
            "kind": "Endpoints",
            "metadata": {"name": "web", "namespace": "default"},
            "subsets": [{"addresses": addresses, "ports": [{"port": 80}]}],
        },
        separators=(",", ":"),
    ).encode()


def _random_writes(stores: tuple[Etcd, ...], seed: int, steps: int = 1_500) -> None:
    rng = random.Random(seed)
    for step in range(steps):
        key = f"/r/{rng.randrange(12)}"
        roll, back, size = rng.random(), rng.randrange(40), rng.randrange(1, 300)
        for etcd in stores:
            if roll < 0.1:
                etcd.delete(key)
            elif roll < 0.13:
                etcd.put(key, b"")  # an empty value is a version too
            elif roll < 0.15 and etcd.revision - back > etcd.compact_revision:
                etcd.compact(etcd.revision - back)
            else:
                etcd.put(key, (f"{step}:" + "abcdefgh" * size).encode())


def _everything(etcd: Etcd) -> list:
    """Every key at every retained revision, and a watch from the compaction point with prev_kv."""
    start = max(etcd.compact_revision, 1)
    seen = [etcd.range("/", "\0", revision=rev) for rev in range(start, etcd.revision + 1)]
    batches: list[list[WatchEvent]] = []
    etcd.watch("/", batches.append, prefix=True, start_revision=start, prev_kv=True).cancel()
    return [seen, batches, etcd.db_size(), etcd.revision, etcd.compact_revision]


@pytest.mark.parametrize("packing", sorted(PACKING))
@pytest.mark.parametrize("seed", range(3))
def test_packed_history_reads_the_same_at_every_revision(seed: int, packing: str) -> None:
    plain, packed = _stores(packing)
    _random_writes((plain, packed), seed)
    assert any(_packed(kv) for vs in packed._history.values() for kv in vs)
    assert _everything(packed) == _everything(plain)


@pytest.mark.parametrize("packing", sorted(PACKING))
def test_a_hot_key_reads_back_every_version_across_keyframes(packing: str) -> None:
    plain, packed = _stores(packing)
    for n in range(1, 3 * KEYFRAME_VERSIONS + 5):
        for etcd in (plain, packed):
            etcd.put("/registry/services/endpoints/default/web", _endpoints(n))
    versions = packed._history["/registry/services/endpoints/default/web"]
    assert [kv.value for kv in versions] == [_endpoints(n) for n in range(1, 3 * KEYFRAME_VERSIONS + 5)]
    assert versions == plain._history["/registry/services/endpoints/default/web"]


def test_unpacking_follows_at_most_one_keyframe_interval_of_links() -> None:
    _, packed = _stores()
    for n in range(1, 100):
        packed.put("k", _endpoints(n % 7 + 1))
    for kv in packed._history["k"]:
        links, stored = 0, kv._value
        while stored.__class__ is not bytes and stored.base.__class__ is KeyValue:
            links += 1
            stored = stored.base._value
        assert links <= KEYFRAME_VERSIONS


def test_packing_keeps_a_rewritten_object_small() -> None:
    """Sixty rewrites of an Endpoints object that gains an address each time: kilobytes, not megabytes."""
    _, packed = _stores()
    for n in range(1, 61):
        packed.put("/registry/services/endpoints/default/web", _endpoints(n))
    versions = packed._history["/registry/services/endpoints/default/web"]
    logical = sum(len(kv.value) for kv in versions)
    stored = sum(len(kv._value) if kv._value.__class__ is bytes else len(kv._value.data) for kv in versions)
    assert packed.db_size() == logical + 60 * len(versions[0].key)
    assert stored * 10 < logical


def test_objects_written_long_ago_are_packed_against_a_sample_of_their_directory() -> None:
    """Events are written once and rarely read again: the latest version of each is packed too."""
    plain, packed = _stores("latest")
    for i in range(300):
        pod = f"web-{i:05d}"
        event = {
            "kind": "Event",
            "metadata": {"name": f"{pod}.18a2b3c4d5e6f{i:03x}", "namespace": "default"},
            "involvedObject": {"kind": "Pod", "name": pod, "namespace": "default"},
            "reason": "Scheduled",
            "message": f"Successfully assigned default/{pod} to worker-{i % 7}",
            "source": {"component": "default-scheduler"},
            "count": 1,
            "type": "Normal",
        }
        for etcd in (plain, packed):
            etcd.put(f"/registry/events/default/web-{i:05d}", json.dumps(event))
    got = packed.range("/registry/events/", prefix=True)
    assert all(_packed(kv) for kv in got) and got == plain.range("/registry/events/", prefix=True)
    assert sum(len(kv._value.data) for kv in got) * 2 < sum(len(kv.value) for kv in got)
    assert list(packed._samples) == ["/registry/events/default/"]


def test_recent_writes_stay_unpacked_within_the_budgets() -> None:
    etcd = _store(10_000, 1 << 62)
    for i in range(200):
        etcd.put(f"k{i % 5}", b"x" * 1_000)
        unpacked = sum(len(kv._value) for vs in etcd._history.values() for kv in vs[:-1] if not _packed(kv))
        assert unpacked <= 10_000
    assert not _packed(etcd._history["k0"][-2])  # the newest history is plain bytes
    assert _packed(etcd._history["k0"][0])  # the oldest is packed
    etcd = _store(1 << 62, 10_000)
    for i in range(200):
        etcd.put(f"k{i}", b"x" * 1_000)
    assert [_packed(etcd.get(f"k{i}")) for i in (0, 189, 190, 199)] == [True, True, False, False]


def test_a_small_cluster_packs_nothing() -> None:
    """Under the default budgets the course's clusters read plain bytes: packing costs them nothing."""
    c = kcourse.Cluster(masters=1, workers=2, seed=3)
    c.kubectl("create deployment web --image=nginx:1.25 --replicas=3")
    c.run_until_stable()
    assert not any(_packed(kv) for vs in c.etcd._history.values() for kv in vs)


def test_compaction_counts_packed_versions_by_their_logical_size() -> None:
    plain, packed = _stores("mixed")
    for round_ in range(6):
        for etcd in (plain, packed):
            for i in range(30):
                etcd.put(f"k/{i % 7}", _endpoints(i + round_))
            etcd.delete("k/3")
            etcd.compact(etcd.revision - 9)
            recount = sum(len(kv.key) + len(kv.value) for vs in etcd._history.values() for kv in vs)
            assert etcd.db_size() == recount
    assert packed.db_size() == plain.db_size()
    assert all(kv.mod_revision > packed.compact_revision - 10 for kv, _ in packed._superseded)


@pytest.mark.parametrize("packing", ["both", "history", "latest"])
def test_a_packed_version_behaves_as_any_key_value(packing: str) -> None:
    _, packed = _stores(packing)
    packed.put("a", b"one")
    packed.put("a", b"two")
    old = packed.get("a", revision=2)
    assert _packed(old)
    same = KeyValue("a", b"one", 2, 2, 1)
    assert old == same and hash(old) == hash(same) and repr(old) == repr(same)
    assert copy.deepcopy(old) == same and pickle.loads(pickle.dumps(old)) == same
    assert dataclasses.replace(old, key="b") == KeyValue("b", b"one", 2, 2, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        old.value = b"three"  # type: ignore[misc]
    assert packed.get("a", revision=2).value == b"one"


def test_every_version_of_a_key_shares_one_key_string() -> None:
    etcd, name = Etcd(), "web"
    for i in range(5):
        etcd.put(f"/registry/pods/default/{name}", str(i))  # a new string each time, as the API server's
    etcd.delete("/registry/pods/default/web")
    etcd.put(f"/registry/pods/default/{name}", "again")
    assert len({id(kv.key) for kv in etcd._history["/registry/pods/default/web"]}) == 1


def test_a_cluster_on_packed_history_is_byte_for_byte_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """The chapter's scenario (a node failure, a partition, compactions) with every version packed."""
    monkeypatch.setattr(Etcd, "RAW_HISTORY_BYTES", 0)
    monkeypatch.setattr(Etcd, "RAW_LATEST_BYTES", 3_000)
    assert digests(measure("chapter")) == read_golden("chapter")


def test_a_cluster_reads_the_same_history_packed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every object at every retained revision and a resumed watch's replay, as etcdctl would show them."""

    def run() -> list:
        c = kcourse.Cluster(masters=1, workers=2, seed=11)
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "web", "namespace": "default"},
                "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
            }
        )
        c.kubectl("create deployment web --image=nginx:1.25 --replicas=4")
        c.run_until_stable()
        c.kubectl("scale deployment web --replicas=2")
        c.run_until_stable()
        return _everything(c.etcd)

    plain = run()
    monkeypatch.setattr(Etcd, "RAW_HISTORY_BYTES", 0)
    monkeypatch.setattr(Etcd, "RAW_LATEST_BYTES", 3_000)
    assert run() == plain


@pytest.mark.parametrize("seed", range(4))
def test_a_watch_from_an_old_revision_replays_what_live_watchers_were_sent(seed: int) -> None:
    """The log keeps each change's version only: type and ``prev_kv`` of a replayed event are read back.

    etcd's ``watchableStore.syncWatchers`` replays unsynced watchers from the backend (``server/mvcc/
    watchable_store.go``), with ``prev_kv`` read at ``mod_revision - 1`` (``server/etcdserver/api/v3rpc/
    watch.go``): so a replay from any retained revision must give the batches a live watcher with
    ``prev_kv`` got, puts and deletes, txns writing several keys, a key deleted and created again, except
    that an event at or before the compaction point has no ``prev_kv`` and the deletes made at that very
    revision are gone.
    """
    rng = random.Random(seed)
    etcd = _store(*PACKING["mixed"])
    live: list[list[WatchEvent]] = []
    etcd.watch("/r/", live.append, prefix=True, prev_kv=True)
    for step in range(600):
        key, roll = f"/r/{rng.randrange(8)}", rng.random()
        if roll < 0.12:
            etcd.delete(key)
        elif roll < 0.18:
            etcd.delete("/r/", prefix=True)
        elif roll < 0.26:
            others = sorted({f"/r/{rng.randrange(8)}" for _ in range(3)})
            etcd.txn(
                [],
                [Op("delete", k) if rng.random() < 0.3 else Op("put", k, f"{step}".encode()) for k in others],
            )
        elif roll < 0.29 and etcd.revision - 30 > etcd.compact_revision:
            etcd.compact(etcd.revision - rng.randrange(1, 30))
        else:
            etcd.put(key, f"{step}:" + "v" * rng.randrange(1, 200))
    assert etcd.compact_revision > 0
    for start in range(etcd.compact_revision, etcd.revision + 1):
        replayed: list[list[WatchEvent]] = []
        etcd.watch("/r/", replayed.append, prefix=True, start_revision=start, prev_kv=True).cancel()
        expected = []
        for batch in live:
            rev = batch[0].kv.mod_revision
            if rev < start:
                continue
            if rev <= etcd.compact_revision:
                batch = [WatchEvent(e.type, e.kv) for e in batch if e.type == "PUT"]
            if batch:
                expected.append(batch)
        assert replayed == expected, start
        assert [[e.prev_kv.value if e.prev_kv else None for e in b] for b in replayed] == [
            [e.prev_kv.value if e.prev_kv else None for e in b] for b in expected
        ]


@pytest.mark.parametrize("size", [1, 40, 900, 9_000, 40_000])
def test_values_of_every_size_read_back_packed(size: int) -> None:
    """A one-byte value and one past zlib's 32 KB window alike read back byte for byte, whether packed
    against their successor or against a sample of their directory."""
    plain, packed = _stores("both")
    rng = random.Random(size)
    for n in range(1, 40):
        value = bytes(rng.choice(b"abcdefgh ") for _ in range(rng.randrange(size, 2 * size + 1)))
        for etcd in (plain, packed):
            etcd.put(f"/registry/leases/k{n % 3}", value)
    assert _everything(packed) == _everything(plain)
    assert sum(_packed(kv) for vs in packed._history.values() for kv in vs) > 30
