"""The embedded store's own behaviour: what real etcd has no counterpart for, or cannot show synchronously.

Everything etcd itself defines is checked against a real server in
``tests/conformance``; these cases cover the synchronous callback watch,
cancel, ``db_size`` and large stores.
"""

from __future__ import annotations

import random

import pytest

from kcourse.sim.etcd import ErrCompacted, Etcd, EtcdError, KeyValue, Op, WatchEvent, prefix_end


@pytest.fixture
def etcd() -> Etcd:
    return Etcd()


def test_a_new_store_is_at_revision_one(etcd: Etcd) -> None:
    assert (etcd.revision, etcd.compact_revision, etcd.db_size()) == (1, 0, 0)


def test_prefix_end_is_clientv3s() -> None:
    assert prefix_end("/registry/pods/") == "/registry/pods0"
    assert prefix_end("") == "\0"


def test_callback_runs_inside_the_write(etcd: Etcd) -> None:
    seen: list[int] = []
    etcd.watch("a", lambda events: seen.append(etcd.revision))
    etcd.put("a", "1")
    assert seen == [2]


def test_one_callback_per_revision(etcd: Etcd) -> None:
    batches: list[list[WatchEvent]] = []
    etcd.watch("k/", batches.append, prefix=True)
    etcd.txn([], [Op("put", "k/a", b"1"), Op("put", "k/b", b"1")])
    etcd.put("k/c", "1")
    assert [[e.kv.key for e in batch] for batch in batches] == [["k/a", "k/b"], ["k/c"]]


def test_replay_is_one_callback_per_revision_then_live(etcd: Etcd) -> None:
    etcd.put("a", "1")
    etcd.txn([], [Op("put", "a/1", b"1"), Op("put", "a/2", b"1")])
    batches: list[list[WatchEvent]] = []
    etcd.watch("a", batches.append, prefix=True, start_revision=2)
    etcd.put("a", "2")
    assert [[e.kv.mod_revision for e in batch] for batch in batches] == [[2], [3, 3], [4]]


def test_prev_kv_only_when_asked(etcd: Etcd) -> None:
    plain: list[WatchEvent] = []
    with_prev: list[WatchEvent] = []
    etcd.put("a", "1")
    etcd.watch("a", plain.extend)
    etcd.watch("a", with_prev.extend, prev_kv=True)
    etcd.put("a", "2")
    assert plain[0].prev_kv is None
    assert with_prev[0].prev_kv == KeyValue("a", b"1", 2, 2, 1)


def test_cancel_stops_delivery_and_can_be_repeated(etcd: Etcd) -> None:
    seen: list[WatchEvent] = []
    watcher = etcd.watch("a", seen.extend)
    etcd.put("a", "1")
    watcher.cancel()
    watcher.cancel()
    etcd.put("a", "2")
    assert len(seen) == 1 and watcher.cancelled


def test_a_watcher_may_cancel_itself_from_its_callback(etcd: Etcd) -> None:
    seen: list[WatchEvent] = []
    other: list[WatchEvent] = []

    def once(events: list[WatchEvent]) -> None:
        seen.extend(events)
        watcher.cancel()

    watcher = etcd.watch("a", once)
    etcd.watch("a", other.extend)
    etcd.put("a", "1")
    etcd.put("a", "2")
    assert (len(seen), len(other)) == (1, 2)


def test_watch_below_the_compaction_raises_at_once(etcd: Etcd) -> None:
    etcd.put("a", "1")
    etcd.put("a", "2")
    etcd.compact(3)
    with pytest.raises(EtcdError) as err:
        etcd.watch("a", lambda events: None, start_revision=2)
    assert (err.value.message, err.value.compact_revision) == (ErrCompacted, 3)


def test_db_size_grows_with_history_and_shrinks_with_compaction(etcd: Etcd) -> None:
    etcd.put("ab", b"1234")
    etcd.put("ab", b"56")
    assert etcd.db_size() == 6 + 4
    etcd.delete("ab")
    assert etcd.db_size() == 6 + 4 + 2  # a delete is a version too: the key without a value
    etcd.compact(etcd.revision)
    assert etcd.db_size() == 0


def test_db_size_matches_a_recount_after_many_writes(etcd: Etcd) -> None:
    for i in range(500):
        etcd.put(f"k{i % 37}", b"x" * (i % 11))
        if i % 7 == 0:
            etcd.delete(f"k{(i * 3) % 37}")
        if i % 100 == 99:
            etcd.compact(etcd.revision - 20)
    recount = sum(len(kv.key) + len(kv.value) for versions in etcd._history.values() for kv in versions)
    assert etcd.db_size() == recount


def test_many_keys_range_and_count(etcd: Etcd) -> None:
    for i in range(20_000):
        etcd.put(f"/registry/pods/ns-{i % 10}/pod-{i:05d}", "v")
    assert etcd.count("/registry/pods/", prefix=True) == 20_000
    in_ns = etcd.range("/registry/pods/ns-3/", prefix=True)
    assert len(in_ns) == 2_000 and [kv.key for kv in in_ns] == sorted(kv.key for kv in in_ns)
    assert etcd.range("/registry/pods/", prefix=True, limit=3)[-1].key == "/registry/pods/ns-0/pod-00020"


def test_many_versions_read_at_every_revision(etcd: Etcd) -> None:
    for i in range(1, 1001):
        etcd.put("hot", str(i))
        etcd.put(f"cold/{i}", "x")
    for rev in range(2, etcd.revision + 1, 97):
        kv = etcd.get("hot", revision=rev)
        assert kv is not None and kv.mod_revision == rev - (rev % 2 == 1)  # odd revisions are the cold keys


def test_repeated_compaction_keeps_the_latest_of_every_key(etcd: Etcd) -> None:
    for round_ in range(5):
        for i in range(200):
            etcd.put(f"k/{i}", str(round_))
        if round_ % 2:
            etcd.delete("k/1")
        etcd.compact(etcd.revision)
    assert etcd.count("k/", prefix=True) == 200
    assert etcd.get("k/1").version == 1  # deleted in round 3, created again in round 4
    assert etcd.get("k/2").version == 5
    assert len(etcd._history["k/2"]) == 1


def test_compaction_keeps_history_after_its_revision(etcd: Etcd) -> None:
    for i in range(10):
        etcd.put("a", str(i))
    etcd.compact(6)
    assert [etcd.get("a", revision=r).value for r in range(6, 12)] == [b"4", b"5", b"6", b"7", b"8", b"9"]
    etcd.compact(etcd.revision)
    assert etcd.get("a").value == b"9"


def test_ranges_list_every_key_in_order_while_keys_come_and_go(etcd: Etcd) -> None:
    rng = random.Random(7)
    model: dict[str, bytes] = {}
    for step in range(3_000):
        key = f"/r/{rng.choice('abc')}/{rng.randrange(300):03d}"
        if rng.random() < 0.25 and model:
            gone = rng.choice(sorted(model))
            etcd.delete(gone)
            del model[gone]
        else:
            model[key] = str(step).encode()
            etcd.put(key, model[key])
        if step % 401 == 0:
            etcd.compact(etcd.revision)
        if step % 97 == 0:
            prefix = rng.choice(["/r/", "/r/a/", "/r/b/0", "/r/c/2"])
            got = [(kv.key, kv.value) for kv in etcd.range(prefix, prefix=True)]
            assert got == [(k, model[k]) for k in sorted(model) if k.startswith(prefix)]
    assert [kv.key for kv in etcd.range("/r/", prefix=True)] == sorted(model)
