"""The embedded etcd behaves like real etcd: every case runs on both backends.

Revisions are written relative to the revision a case started at
(``store.rel(n)`` is "n writes later"), since the real server is shared.
"""

from __future__ import annotations

import base64
import random
import time
from typing import TYPE_CHECKING

import pytest

from kcourse.sim.etcd import (
    Compare,
    ErrCompacted,
    ErrDuplicateKey,
    ErrEmptyKey,
    ErrFutureRev,
    Etcd,
    EtcdError,
    KeyValue,
    Op,
    WatchEvent,
)
from kcourse.sim.etcd_remote import RemoteEtcd

if TYPE_CHECKING:
    from conftest import Store  # the fixture's type; pytest loads conftest itself


def kv(store: Store, key: str, value: bytes, create: int, mod: int, version: int) -> KeyValue:
    """A KeyValue with revisions counted from the start of the case."""
    return KeyValue(key, value, store.rel(create), store.rel(mod), version)


def put_event(
    store: Store, key: str, value: bytes, create: int, mod: int, version: int, prev: KeyValue | None = None
) -> WatchEvent:
    return WatchEvent("PUT", kv(store, key, value, create, mod, version), prev)


def delete_event(store: Store, key: str, mod: int, prev: KeyValue | None = None) -> WatchEvent:
    """etcd's DELETE event: the key and the delete's revision, nothing else."""
    return WatchEvent("DELETE", KeyValue(key, b"", 0, store.rel(mod), 0), prev)


def raises(message: str) -> pytest.RaisesContext:
    return pytest.raises(EtcdError, match=f"^{message}$")


# --- put / get / delete --------------------------------------------------------------------------


def test_put_returns_the_new_revision(store: Store) -> None:
    assert [store.put("a", "1"), store.put("b", "2"), store.put("a", "3")] == [
        store.rel(1),
        store.rel(2),
        store.rel(3),
    ]
    assert store.revision == store.rel(3)


def test_get_returns_value_and_revisions(store: Store) -> None:
    store.put("a", b"hello")
    assert store.get("a") == kv(store, "a", b"hello", 1, 1, 1)


def test_get_missing_key_is_none(store: Store) -> None:
    assert store.get("nothing") is None


def test_str_value_is_stored_as_utf8(store: Store) -> None:
    store.put("a", "grüß")
    assert store.get("a").value == "grüß".encode()


def test_empty_value_is_a_value(store: Store) -> None:
    store.put("a", b"")
    assert store.get("a") == kv(store, "a", b"", 1, 1, 1)


def test_update_keeps_create_revision_and_counts_versions(store: Store) -> None:
    store.put("a", "1")
    store.put("other", "x")
    store.put("a", "2")
    assert store.get("a") == kv(store, "a", b"2", 1, 3, 2)


def test_put_of_identical_value_still_bumps_revision_and_version(store: Store) -> None:
    store.put("a", "same")
    assert store.put("a", "same") == store.rel(2)
    assert store.get("a") == kv(store, "a", b"same", 1, 2, 2)


def test_delete_returns_count_and_bumps_revision(store: Store) -> None:
    store.put("a", "1")
    assert store.delete("a") == 1
    assert store.get("a") is None
    assert store.revision == store.rel(2)


def test_delete_of_missing_key_does_not_bump_revision(store: Store) -> None:
    store.put("a", "1")
    assert store.delete("missing") == 0
    assert store.revision == store.rel(1)


def test_delete_of_empty_range_does_not_bump_revision(store: Store) -> None:
    store.put("a", "1")
    assert store.delete("x/", prefix=True) == 0
    assert store.revision == store.rel(1)


def test_delete_of_a_range_is_one_revision(store: Store) -> None:
    for name in ("p/1", "p/2", "p/3", "q"):
        store.put(name, "v")
    assert store.delete("p/", prefix=True) == 3
    assert store.revision == store.rel(5)
    assert [k.key for k in store.range("\0", "\0")] == ["q"]


def test_recreate_after_delete_starts_a_new_life(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.delete("a")
    store.put("a", "3")
    assert store.get("a") == kv(store, "a", b"3", 4, 4, 1)


def test_empty_key_is_refused(store: Store) -> None:
    with raises(ErrEmptyKey):
        store.etcd.put("", "x")
    with raises(ErrEmptyKey):
        store.etcd.range("")


# --- range ---------------------------------------------------------------------------------------


def test_range_is_half_open(store: Store) -> None:
    for name in ("a", "b", "c", "d"):
        store.put(name, name)
    assert [k.key for k in store.range("b", "d")] == ["b", "c"]


def test_range_end_zero_byte_means_every_key_from_start(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, name)
    assert [k.key for k in store.range("b", "\0")] == ["b", "c"]


def test_range_with_end_before_start_is_empty(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, name)
    assert store.range("c", "a") == []


def test_range_without_end_is_one_key(store: Store) -> None:
    store.put("a", "1")
    store.put("ab", "2")
    assert store.range("a") == [kv(store, "a", b"1", 1, 1, 1)]


def test_prefix_range_holds_exactly_the_prefix(store: Store) -> None:
    for name in ("pods/ns/a", "pods/ns/b", "pods/nt/c", "pods0", "pods", "pod"):
        store.put(name, "v")
    assert [k.key for k in store.range("pods/", prefix=True)] == ["pods/ns/a", "pods/ns/b", "pods/nt/c"]
    assert [k.key for k in store.range("pods/ns/", prefix=True)] == ["pods/ns/a", "pods/ns/b"]


def test_range_is_sorted_by_key_bytes(store: Store) -> None:
    for name in ("b", "a/z", "B", "a", "a-", "ab", "a/"):
        store.put(name, "v")
    assert [k.key for k in store.range("\0", "\0")] == ["B", "a", "a-", "a/", "a/z", "ab", "b"]


def test_range_limit_returns_the_first_keys(store: Store) -> None:
    for i in range(5):
        store.put(f"k{i}", str(i))
    assert [k.key for k in store.range("k", prefix=True, limit=2)] == ["k0", "k1"]


def test_range_keys_only_leaves_values_out(store: Store) -> None:
    store.put("a", "1")
    assert store.range("a", keys_only=True) == [kv(store, "a", b"", 1, 1, 1)]


def test_count_counts_live_keys(store: Store) -> None:
    for i in range(4):
        store.put(f"k{i}", "v")
    store.delete("k2")
    assert store.count("k", prefix=True) == 3
    assert store.count("k", prefix=True, revision=store.rel(4)) == 4


# --- reading the past ----------------------------------------------------------------------------


def test_get_at_an_old_revision(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.put("a", "3")
    assert store.get("a", revision=store.rel(2)) == kv(store, "a", b"2", 1, 2, 2)
    assert store.get("a", revision=store.rel(1)) == kv(store, "a", b"1", 1, 1, 1)


def test_get_before_the_key_existed_is_none(store: Store) -> None:
    store.put("other", "x")
    store.put("a", "1")
    assert store.get("a", revision=store.rel(1)) is None


def test_get_at_and_before_a_delete(store: Store) -> None:
    store.put("a", "1")
    store.delete("a")
    assert store.get("a", revision=store.rel(2)) is None
    assert store.get("a", revision=store.rel(1)) == kv(store, "a", b"1", 1, 1, 1)


def test_range_at_an_old_revision_shows_old_values_and_deleted_keys(store: Store) -> None:
    store.put("k/a", "1")
    store.put("k/b", "1")
    store.put("k/a", "2")
    store.delete("k/b")
    store.put("k/c", "1")
    assert store.range("k/", prefix=True, revision=store.rel(3)) == [
        kv(store, "k/a", b"2", 1, 3, 2),
        kv(store, "k/b", b"1", 2, 2, 1),
    ]


def test_read_at_the_current_revision_works(store: Store) -> None:
    store.put("a", "1")
    assert store.get("a", revision=store.revision) == kv(store, "a", b"1", 1, 1, 1)


def test_read_at_a_future_revision_fails(store: Store) -> None:
    store.put("a", "1")
    with raises(ErrFutureRev):
        store.get("a", revision=store.rel(2))
    with raises(ErrFutureRev):
        store.range("a", prefix=True, revision=store.rel(5))


# --- compaction ----------------------------------------------------------------------------------


BELOW_THE_COMPACTION = {
    "get": lambda store, rev: store.get("a", revision=rev),
    "range": lambda store, rev: store.range("a", prefix=True, revision=rev),
    "watch": lambda store, rev: store.watch_events("a", start_revision=rev, count=1),
    "callback watch": lambda store, rev: store.watch("a", start_revision=rev),
    "compact": lambda store, rev: store.compact(rev),
}


@pytest.mark.parametrize("action", BELOW_THE_COMPACTION)
def test_below_the_compaction_fails_naming_the_compact_revision(store: Store, action: str) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.compact(store.rel(2))
    with raises(ErrCompacted) as err:
        BELOW_THE_COMPACTION[action](store, store.rel(1))
    assert err.value.compact_revision == store.rel(2)


def test_read_at_the_compaction_revision_still_works(store: Store) -> None:
    store.put("a", "1")
    store.put("b", "1")
    store.put("a", "2")
    store.compact(store.rel(2))
    assert store.range("\0", "\0", revision=store.rel(2)) == [
        kv(store, "a", b"1", 1, 1, 1),
        kv(store, "b", b"1", 2, 2, 1),
    ]


def test_compaction_keeps_latest_values(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.put("b", "1")
    store.compact(store.revision)
    assert store.range("\0", "\0") == [kv(store, "a", b"2", 1, 2, 2), kv(store, "b", b"1", 3, 3, 1)]


def test_compaction_forgets_deleted_keys(store: Store) -> None:
    store.put("a", "1")
    store.delete("a")
    store.put("b", "1")
    store.compact(store.rel(3))
    assert store.get("a", revision=store.rel(3)) is None
    assert [k.key for k in store.range("\0", "\0")] == ["b"]


def test_compact_revision_is_reported(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.put("a", "3")
    store.compact(store.rel(2))
    assert store.etcd.compact_revision == store.rel(2)


def test_compact_to_a_future_revision_fails(store: Store) -> None:
    store.put("a", "1")
    with raises(ErrFutureRev):
        store.compact(store.rel(2))


def test_compact_twice_at_the_same_revision_fails(store: Store) -> None:
    store.put("a", "1")
    store.compact(store.rel(1))
    with raises(ErrCompacted):
        store.compact(store.rel(1))


def test_compaction_does_not_change_the_revision(store: Store) -> None:
    store.put("a", "1")
    store.compact(store.rel(1))
    assert store.revision == store.rel(1)
    assert store.put("a", "2") == store.rel(2)


def test_compaction_keeps_version_counting(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.compact(store.revision)
    store.put("a", "3")
    assert store.get("a") == kv(store, "a", b"3", 1, 3, 3)


# --- watch ---------------------------------------------------------------------------------------


def test_watch_from_a_past_revision_sees_every_event_in_order(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.delete("a")
    store.put("a", "3")
    assert store.watch_events("a", start_revision=store.rel(1), count=4) == [
        put_event(store, "a", b"1", 1, 1, 1),
        put_event(store, "a", b"2", 1, 2, 2),
        delete_event(store, "a", 3),
        put_event(store, "a", b"3", 4, 4, 1),
    ]


def test_watch_start_revision_is_inclusive(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.put("a", "3")
    assert store.watch_events("a", start_revision=store.rel(2), count=2) == [
        put_event(store, "a", b"2", 1, 2, 2),
        put_event(store, "a", b"3", 1, 3, 3),
    ]


def test_watch_of_a_prefix_sees_only_the_prefix(store: Store) -> None:
    store.put("pods/a", "1")
    store.put("podsx", "1")
    store.put("nodes/n", "1")
    store.delete("pods/a")
    store.put("pods/b", "1")
    assert store.watch_events("pods/", prefix=True, start_revision=store.rel(1), count=3) == [
        put_event(store, "pods/a", b"1", 1, 1, 1),
        delete_event(store, "pods/a", 4),
        put_event(store, "pods/b", b"1", 5, 5, 1),
    ]


def test_watch_of_a_range(store: Store) -> None:
    for name in ("a", "b", "c", "d"):
        store.put(name, name)
    assert store.watch_events("b", range_end="d", start_revision=store.rel(1), count=2) == [
        put_event(store, "b", b"b", 2, 2, 1),
        put_event(store, "c", b"c", 3, 3, 1),
    ]


def test_watch_prev_kv_carries_the_version_before(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.delete("a")
    one, two = kv(store, "a", b"1", 1, 1, 1), kv(store, "a", b"2", 1, 2, 2)
    assert store.watch_events("a", start_revision=store.rel(1), count=3, prev_kv=True) == [
        put_event(store, "a", b"1", 1, 1, 1),
        put_event(store, "a", b"2", 1, 2, 2, prev=one),
        delete_event(store, "a", 3, prev=two),
    ]


def test_watch_sees_a_transaction_as_events_at_one_revision(store: Store) -> None:
    store.put("b", "0")
    store.txn([], [Op("put", "a", b"1"), Op("delete", "b"), Op("put", "c", b"1")])
    assert store.watch_events("\0", range_end="\0", start_revision=store.rel(2), count=3) == [
        put_event(store, "a", b"1", 2, 2, 1),
        delete_event(store, "b", 2),
        put_event(store, "c", b"1", 2, 2, 1),
    ]


def test_watch_from_the_compaction_revision_sees_its_puts_but_not_its_deletes(store: Store) -> None:
    store.put("a", "1")
    store.txn([], [Op("put", "b", b"1"), Op("delete", "a")])
    store.compact(store.rel(2))
    store.put("c", "1")
    assert store.watch_events("\0", range_end="\0", start_revision=store.rel(2), count=2) == [
        put_event(store, "b", b"1", 2, 2, 1),
        put_event(store, "c", b"1", 3, 3, 1),
    ]


def test_watch_prev_kv_is_left_out_when_compacted_away(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    store.compact(store.rel(2))
    store.put("a", "3")
    assert store.watch_events("a", start_revision=store.rel(2), count=2, prev_kv=True) == [
        put_event(store, "a", b"2", 1, 2, 2),
        put_event(store, "a", b"3", 1, 3, 3, prev=kv(store, "a", b"2", 1, 2, 2)),
    ]


def test_live_watch_sees_new_writes(store: Store) -> None:
    watch = store.watch("w/", prefix=True)
    try:
        store.put("w/a", "1")
        store.put("other", "1")
        store.delete("w/a")
        assert watch.wait(2) == [put_event(store, "w/a", b"1", 1, 1, 1), delete_event(store, "w/a", 3)]
    finally:
        watch.cancel()


def test_watch_from_a_future_revision_skips_the_writes_before_it(store: Store) -> None:
    watch = store.watch("a", start_revision=store.rel(3))
    try:
        for value in ("1", "2", "3"):
            store.put("a", value)
        assert watch.wait(1) == [put_event(store, "a", b"3", 1, 3, 3)]
    finally:
        watch.cancel()


def test_cancelled_watch_sees_nothing_more(store: Store) -> None:
    watch = store.watch("a")
    store.put("a", "1")
    assert len(watch.wait(1)) == 1
    watch.cancel()
    store.put("a", "2")
    time.sleep(0.2 if store.backend == "etcd" else 0)
    assert len(watch.events) == 1


# --- transactions --------------------------------------------------------------------------------


def test_txn_compare_value_runs_success(store: Store) -> None:
    store.put("a", "1")
    ok, results = store.txn([Compare("a", "value", "=", "1")], [Op("put", "a", b"2")], [Op("get", "a")])
    assert (ok, results) == (True, [store.rel(2)])
    assert store.get("a").value == b"2"


def test_txn_failed_compare_runs_failure(store: Store) -> None:
    store.put("a", "1")
    ok, results = store.txn([Compare("a", "value", "=", "x")], [Op("put", "a", b"2")], [Op("get", "a")])
    assert (ok, results) == (False, [[kv(store, "a", b"1", 1, 1, 1)]])
    assert store.revision == store.rel(1)


def test_txn_value_compare_on_a_missing_key_always_fails(store: Store) -> None:
    ok, _ = store.txn([Compare("missing", "value", "!=", "x")], [Op("put", "s", b"1")], [])
    assert not ok
    assert store.get("s") is None


def test_txn_create_if_absent_with_version_zero(store: Store) -> None:
    absent = [Compare("a", "version", "=", 0)]
    assert store.txn(absent, [Op("put", "a", b"first")])[0]
    assert not store.txn(absent, [Op("put", "a", b"second")])[0]
    assert store.get("a") == kv(store, "a", b"first", 1, 1, 1)


def test_txn_compare_mod_revision_is_optimistic_concurrency(store: Store) -> None:
    rev = store.put("a", "1")
    store.put("a", "2")
    ok, _ = store.txn([Compare("a", "mod", "=", rev)], [Op("put", "a", b"stale")])
    assert not ok
    ok, _ = store.txn([Compare("a", "mod", "=", store.rel(2))], [Op("put", "a", b"fresh")])
    assert ok and store.get("a").value == b"fresh"


def test_txn_compare_create_revision(store: Store) -> None:
    store.put("a", "1")
    store.put("a", "2")
    assert store.txn([Compare("a", "create", "=", store.rel(1))])[0]
    assert not store.txn([Compare("a", "create", "=", store.rel(2))])[0]


def test_txn_compare_greater_and_less(store: Store) -> None:
    store.put("a", "m")
    store.put("a", "m")
    assert store.txn([Compare("a", "version", ">", 1), Compare("a", "version", "<", 3)])[0]
    assert store.txn([Compare("a", "value", ">", "l"), Compare("a", "value", "<", "n")])[0]
    assert not store.txn([Compare("a", "mod", "<", store.rel(2))])[0]


def test_txn_missing_key_compares_as_zero(store: Store) -> None:
    assert store.txn(
        [Compare("m", "create", "=", 0), Compare("m", "mod", "<", 1), Compare("m", "version", "!=", 1)]
    )[0]


def test_txn_every_compare_must_hold(store: Store) -> None:
    store.put("a", "1")
    ok, _ = store.txn([Compare("a", "value", "=", "1"), Compare("a", "version", "=", 2)], [Op("delete", "a")])
    assert not ok and store.get("a") is not None


def test_txn_writes_many_keys_at_one_revision(store: Store) -> None:
    store.put("old", "x")
    ok, results = store.txn([], [Op("put", "a", b"1"), Op("put", "b", b"1"), Op("delete", "old")])
    assert (ok, results) == (True, [store.rel(2), store.rel(2), 1])
    assert store.revision == store.rel(2)
    assert store.range("\0", "\0") == [kv(store, "a", b"1", 2, 2, 1), kv(store, "b", b"1", 2, 2, 1)]


def test_txn_get_sees_writes_made_earlier_in_it(store: Store) -> None:
    store.put("a", "0")
    _, results = store.txn([], [Op("get", "a"), Op("put", "a", b"1"), Op("get", "a")])
    assert results == [[kv(store, "a", b"0", 1, 1, 1)], store.rel(2), [kv(store, "a", b"1", 1, 2, 2)]]


def test_txn_get_of_a_range(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, name)
    _, results = store.txn([], [Op("get", "a", range_end="c")])
    assert results == [[kv(store, "a", b"a", 1, 1, 1), kv(store, "b", b"b", 2, 2, 1)]]


def test_txn_that_only_reads_keeps_the_revision(store: Store) -> None:
    store.put("a", "1")
    store.txn([Compare("a", "version", "=", 1)], [Op("get", "a")])
    assert store.revision == store.rel(1)


def test_txn_deleting_nothing_keeps_the_revision(store: Store) -> None:
    store.put("a", "1")
    assert store.txn([], [Op("delete", "missing")]) == (True, [0])
    assert store.revision == store.rel(1)


def test_txn_writing_a_key_twice_is_refused(store: Store) -> None:
    with raises(ErrDuplicateKey):
        store.txn([], [Op("put", "a", b"1"), Op("put", "a", b"2")])
    assert store.revision == store.base


def test_txn_put_inside_a_deleted_range_is_refused(store: Store) -> None:
    with raises(ErrDuplicateKey):
        store.txn([], [Op("delete", "a", range_end="c"), Op("put", "b", b"1")])


def test_txn_branch_that_would_not_run_is_checked_too(store: Store) -> None:
    with raises(ErrDuplicateKey):
        store.txn([], [Op("put", "a", b"1")], [Op("put", "b", b"1"), Op("put", "b", b"2")])
    assert store.get("a") is None


# --- what the API refuses, and that a refusal changes nothing -----------------------------------------
#
# The real server is asked through its JSON gateway directly (``_call``), since RemoteEtcd checks its
# arguments by the embedded store's rules before sending anything.


def _raw(store: Store, path: str, body: dict) -> None:
    """Send ``body`` to the real server as is (the embedded store is asked through its own API)."""
    store.etcd._call(path, body)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("revision", "text"),
    [
        (2.5, "json: cannot unmarshal number 2.5 into Go value of type int64"),
        (True, "json: cannot unmarshal bool into Go value of type int64"),
        (10**20, "json: cannot unmarshal number 100000000000000000000 into Go value of type int64"),
    ],
)
def test_a_compaction_revision_that_is_not_an_int64_is_refused_and_changes_nothing(
    store: Store, revision: object, text: str
) -> None:
    store.put("a", "1")
    before = (store.revision, store.etcd.compact_revision)
    if store.backend == "etcd":
        with pytest.raises(EtcdError) as err:
            _raw(store, "/v3/kv/compaction", {"revision": revision})
    else:
        with pytest.raises((TypeError, ValueError)) as err:
            store.compact(revision)  # type: ignore[arg-type]
    assert str(err.value).startswith(text)
    assert (store.revision, store.etcd.compact_revision) == before


def test_a_negative_compaction_revision_is_already_compacted(store: Store) -> None:
    store.put("a", "1")
    with raises(ErrCompacted):
        store.compact(-1)
    assert store.revision == store.rel(1)


def test_a_txn_with_one_invalid_op_changes_nothing(store: Store) -> None:
    store.put("a", "1")
    good = [Op("put", store._key("b"), b"1"), Op("delete", store._key("a"))]
    if store.backend == "etcd":
        put = {"request_put": {"key": base64.b64encode(store._key("b").encode()).decode(), "value": "MQ=="}}
        with raises(ErrEmptyKey):
            _raw(store, "/v3/kv/txn", {"success": [put, {"request_put": {"key": "", "value": "MQ=="}}]})
    with raises(ErrEmptyKey):
        store.etcd.txn([], [*good, Op("put", "", b"1")])
    assert store.revision == store.rel(1)
    assert store.get("b") is None and store.get("a") is not None
    assert store.put("d", "1") == store.rel(2)


def test_bytes_and_str_name_the_same_key(store: Store) -> None:
    store.etcd.put(store._key("k").encode(), b"1")
    store.put("k", "2")
    assert store.get("k") == kv(store, "k", b"2", 1, 2, 2)
    assert store.etcd.get(store._key("k").encode()) == store.etcd.get(store._key("k"))
    assert [kv.key for kv in store.range("k", prefix=True)] == ["k"]


def test_a_negative_limit_means_no_limit(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, name)
    assert [kv.key for kv in store.range("a", "\0", limit=-1)] == ["a", "b", "c"]
    assert [kv.key for kv in store.range("a", "\0", limit=2)] == ["a", "b"]


def test_watch_from_now_ignores_the_past(store: Store) -> None:
    store.put("a", "1")
    watch = store.watch("a")
    try:
        store.put("a", "2")
        assert watch.wait(1) == [put_event(store, "a", b"2", 1, 2, 2)]
    finally:
        watch.cancel()


def test_live_watch_with_prev_kv(store: Store) -> None:
    store.put("a", "1")
    watch = store.watch("a", prev_kv=True)
    try:
        store.delete("a")
        assert watch.wait(1) == [delete_event(store, "a", 2, prev=kv(store, "a", b"1", 1, 1, 1))]
    finally:
        watch.cancel()


def test_delete_of_a_half_open_range(store: Store) -> None:
    for name in ("a", "b", "c", "d"):
        store.put(name, name)
    assert store.delete("b", "d") == 2
    assert [k.key for k in store.range("\0", "\0")] == ["a", "d"]


def test_delete_everything_from_a_key_on(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, name)
    assert store.delete("b", "\0") == 2
    assert [k.key for k in store.range("\0", "\0")] == ["a"]


def test_range_limit_at_an_old_revision(store: Store) -> None:
    for name in ("a", "b", "c"):
        store.put(name, "1")
    store.delete("a")
    assert [k.key for k in store.range("\0", "\0", limit=2, revision=store.rel(3))] == ["a", "b"]
    assert [k.key for k in store.range("\0", "\0", limit=2)] == ["b", "c"]


# --- random histories ----------------------------------------------------------------------------


def _replay(etcd: Etcd | RemoteEtcd, prefix: str, seed: int) -> list[tuple[str, object]]:
    """Run one seeded random history and record every outcome with revisions relative to the start."""
    rng = random.Random(seed)
    start = etcd.revision
    names = [f"{prefix}{n}" for n in ("a", "b", "c", "d/1", "d/2", "d/3")]

    def rel_kv(kv: KeyValue | None) -> tuple | None:
        if kv is None:
            return None
        return (
            kv.key,
            kv.value,
            kv.create_revision and kv.create_revision - start,
            kv.mod_revision - start,
            kv.version,
        )

    trace: list[tuple[str, object]] = []
    for step in range(120):
        now = etcd.revision - start
        at = rng.randint(1, now + 2) + start
        choice = rng.random()
        try:
            if choice < 0.35:
                result: object = etcd.put(rng.choice(names), rng.choice(["x", "y"])) - start
            elif choice < 0.45:
                result = (
                    etcd.delete(rng.choice(names))
                    if rng.random() < 0.7
                    else etcd.delete(f"{prefix}d/", prefix=True)
                )
            elif choice < 0.65:
                result = [rel_kv(kv) for kv in etcd.range(prefix, prefix=True, revision=at)]
            elif choice < 0.75:
                key = rng.choice(names)
                ok, results = etcd.txn(
                    [Compare(key, "mod", rng.choice(["=", "<", ">"]), at)],
                    [Op("put", key, b"t"), Op("get", f"{prefix}d/", range_end=f"{prefix}d0")],
                    [Op("delete", rng.choice(names))],
                )
                if ok:  # [put revision, [keys under d/]]; else [number deleted]
                    result = (ok, [results[0] - start, [rel_kv(kv) for kv in results[1]]])
                else:
                    result = (ok, results)
            elif choice < 0.85:
                etcd.compact(at)
                result = "compacted"
            elif isinstance(etcd, RemoteEtcd):
                count = _EMBEDDED_WATCH_COUNTS[(seed, step)]  # the real watch never ends by itself
                events = (
                    etcd.watch_events(prefix, prefix=True, start_revision=at, count=count) if count else []
                )
            else:
                _EMBEDDED_WATCH_COUNTS[(seed, step)] = 1  # if it fails here, the real one must fail too
                events = []
                etcd.watch(prefix, events.extend, prefix=True, start_revision=at).cancel()
                _EMBEDDED_WATCH_COUNTS[(seed, step)] = len(events)
            if choice >= 0.85:
                result = [(e.type, rel_kv(e.kv)) for e in events]
        except EtcdError as err:
            result = ("error", err.message)
        trace.append((f"{step}:{choice:.2f}", result))
    return trace


_EMBEDDED_WATCH_COUNTS: dict[tuple[int, int], int] = {}


@pytest.mark.parametrize("seed", range(4))
def test_random_histories_agree(seed: int, remote: RemoteEtcd) -> None:
    """The same random mix of writes, reads at any revision, transactions, compactions and watches."""
    prefix = f"/conformance/random/{seed}/"
    embedded = _replay(Etcd(), prefix, seed)
    packed = Etcd()
    packed.raw_history_bytes, packed.raw_latest_bytes = 0, 100  # next to nothing unpacked: the same reads
    assert _replay(packed, prefix, seed) == embedded
    assert _replay(remote, prefix, seed) == embedded
