"""Every entry point of the etcd facade × every wrongly typed argument: refused before a revision is used.

The etcd3 clients' rules (``python-etcd3``'s ``utils.to_bytes``, the
``KeyValue``/``RangeRequest``/``TxnRequest`` messages of etcd's
``api/etcdserverpb/rpc.proto``): keys and values are bytes, a str being
sent as its UTF-8 bytes; revisions and limits are int64.  etcd's own
refusals keep etcd's texts (``api/v3rpc/rpctypes/error.go``: ``etcdserver:
key is not provided``; ``server/mvcc/kvstore.go``: ``mvcc: required revision
has been compacted`` / ``is a future revision``).  A refused call changes
nothing: same revision, same keys, and the store keeps working.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

import kcourse
from kcourse.sim.etcd import (
    Compare,
    ErrCompacted,
    ErrEmptyKey,
    ErrFutureRev,
    Etcd,
    EtcdError,
    KeyValue,
    Op,
    WatchEvent,
)

from .conftest import assert_clear

#: Arguments of the wrong Python type for a key, a value or a range end.
NOT_TEXT: list[Any] = [
    5,
    2.5,
    True,
    [1],
    ["/k"],
    {"k": "v"},
    ("/k",),
    {1},
    object(),
    bytearray(b"/k"),
    memoryview(b"/k"),
]
#: Arguments that are not an int64 revision (or limit).
NOT_REVISION: list[Any] = [
    2.5,
    True,
    False,
    "3",
    b"3",
    [3],
    None,
    float("nan"),
    2**63,
    -(2**63) - 1,
    10**5000,
]
#: Text the store cannot hold as a key: not UTF-8 bytes, or a str with a lone surrogate.
NOT_UTF8: list[Any] = [b"\xff\xfe/k", b"/k\x80", "/k\udc80"]


def _store() -> Etcd:
    """A store with a little history: three keys, one deleted and one compaction behind it."""
    etcd = Etcd()
    etcd.put("/a", "1")
    etcd.put("/b", b"2")
    etcd.put("/c", "3")
    etcd.delete("/c")
    etcd.put("/a", "4")
    etcd.compact(3)
    return etcd


def _state(etcd: Etcd) -> tuple[int, int, list[KeyValue], int]:
    return etcd.revision, etcd.compact_revision, etcd.range("\0", "\0"), len(etcd._log)


def _refused(call: Callable[[Etcd], Any], errors: tuple[type[BaseException], ...]) -> None:
    """``call`` raises one of ``errors`` with a clear message, and the store is as it was and still works."""
    etcd = _store()
    before = _state(etcd)
    seen: list[list[WatchEvent]] = []
    etcd.watch("/", seen.append, prefix=True)
    with pytest.raises(errors) as info:
        call(etcd)
    assert_clear(str(info.value).replace("TypeError", "Type error"))
    assert _state(etcd) == before, "a refused call changed the store"
    assert seen == [], "a refused call was seen by a watcher"
    # The store still works, for str and bytes alike, and a range still sorts every key.
    rev = etcd.put(b"/z", b"9")
    assert rev == before[0] + 1
    assert [kv.key for kv in etcd.range("/", prefix=True)] == ["/a", "/b", "/z"]
    assert len(seen) == 1


def _entry_points_taking_a_key() -> dict[str, Callable[[Etcd, Any], Any]]:
    return {
        "put(key)": lambda e, k: e.put(k, "v"),
        "get(key)": lambda e, k: e.get(k),
        "range(key)": lambda e, k: e.range(k),
        "range(key, prefix)": lambda e, k: e.range(k, prefix=True),
        "range(range_end)": lambda e, k: e.range("/a", k),
        "count(key)": lambda e, k: e.count(k),
        "count(range_end)": lambda e, k: e.count("/a", k),
        "delete(key)": lambda e, k: e.delete(k),
        "delete(range_end)": lambda e, k: e.delete("/a", k),
        "watch(key)": lambda e, k: e.watch(k, lambda events: None),
        "watch(range_end)": lambda e, k: e.watch("/a", lambda events: None, range_end=k),
        "txn compare key": lambda e, k: e.txn([Compare(k, "version", ">", 0)], [Op("put", "/a", b"x")]),
        "txn put key": lambda e, k: e.txn([], [Op("put", "/ok", b"x"), Op("put", k, b"x")]),
        "txn get key": lambda e, k: e.txn([], [Op("put", "/ok", b"x"), Op("get", k)]),
        "txn delete key": lambda e, k: e.txn([], [Op("put", "/ok", b"x"), Op("delete", k)]),
        "txn delete range_end": lambda e, k: e.txn(
            [], [Op("put", "/ok", b"x"), Op("delete", "/a", range_end=k)]
        ),
        "txn failure branch key": lambda e, k: e.txn([], [Op("put", "/ok", b"x")], [Op("put", k, b"x")]),
    }


def _entry_points_taking_a_value() -> dict[str, Callable[[Etcd, Any], Any]]:
    return {
        "put(value)": lambda e, v: e.put("/a", v),
        "txn put value": lambda e, v: e.txn([], [Op("put", "/ok", b"x"), Op("put", "/a", v)]),
        "txn compare value": lambda e, v: e.txn([Compare("/a", "value", "=", v)], [Op("put", "/ok", b"x")]),
    }


def _entry_points_taking_a_revision() -> dict[str, Callable[[Etcd, Any], Any]]:
    return {
        "get(revision)": lambda e, r: e.get("/a", revision=r),
        "range(revision)": lambda e, r: e.range("/a", revision=r),
        "range(limit)": lambda e, r: e.range("/", prefix=True, limit=r),
        "count(revision)": lambda e, r: e.count("/", prefix=True, revision=r),
        "compact(revision)": lambda e, r: e.compact(r),
        "watch(start_revision)": lambda e, r: e.watch("/a", lambda events: None, start_revision=r),
        "txn compare mod": lambda e, r: e.txn([Compare("/a", "mod", "=", r)], [Op("put", "/ok", b"x")]),
        "txn compare version": lambda e, r: e.txn(
            [Compare("/a", "version", ">", r)], [Op("put", "/ok", b"x")]
        ),
    }


KEY_CASES = [
    pytest.param(call, arg, id=f"{name}-{type(arg).__name__}-{i}")
    for (name, call), (i, arg) in itertools.product(_entry_points_taking_a_key().items(), enumerate(NOT_TEXT))
]
VALUE_CASES = [
    pytest.param(call, arg, id=f"{name}-{type(arg).__name__}-{i}")
    for (name, call), (i, arg) in itertools.product(
        _entry_points_taking_a_value().items(), enumerate(NOT_TEXT)
    )
]
REVISION_CASES = [
    pytest.param(call, arg, id=f"{name}-{type(arg).__name__}-{i}")
    for (name, call), (i, arg) in itertools.product(
        _entry_points_taking_a_revision().items(), enumerate(NOT_REVISION)
    )
]
UTF8_CASES = [
    pytest.param(call, arg, id=f"{name}-{i}")
    for (name, call), (i, arg) in itertools.product(
        {**_entry_points_taking_a_key(), **_entry_points_taking_a_value()}.items(), enumerate(NOT_UTF8)
    )
    if not (isinstance(arg, bytes) and "value" in name)
]  # a value is any bytes


@pytest.mark.parametrize(("call", "key"), KEY_CASES)
def test_a_key_that_is_not_str_or_bytes_is_refused_before_anything_changes(call: Callable, key: Any) -> None:
    _refused(lambda e: call(e, key), (TypeError,))


@pytest.mark.parametrize(("call", "value"), VALUE_CASES)
def test_a_value_that_is_not_str_or_bytes_is_refused_before_anything_changes(
    call: Callable, value: Any
) -> None:
    _refused(lambda e: call(e, value), (TypeError,))


@pytest.mark.parametrize(("call", "revision"), REVISION_CASES)
def test_a_revision_that_is_not_an_int64_is_refused_before_anything_changes(
    call: Callable, revision: Any
) -> None:
    _refused(lambda e: call(e, revision), (TypeError, ValueError))


@pytest.mark.parametrize(("call", "text"), UTF8_CASES)
def test_text_that_is_not_utf8_is_refused_before_anything_changes(call: Callable, text: Any) -> None:
    _refused(lambda e: call(e, text), (ValueError,))


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda e: e.put("", "v"), id="put"),
        pytest.param(lambda e: e.put(b"", "v"), id="put-bytes"),
        pytest.param(lambda e: e.get(""), id="get"),
        pytest.param(lambda e: e.range(""), id="range"),
        pytest.param(lambda e: e.delete(""), id="delete"),
        pytest.param(lambda e: e.txn([], [Op("put", "/ok", b"x"), Op("put", "", b"x")]), id="txn-put"),
        pytest.param(
            lambda e: e.txn([Compare("", "version", "=", 0)], [Op("put", "/ok", b"x")]), id="txn-compare"
        ),
    ],
)
def test_an_empty_key_gets_etcds_error_and_changes_nothing(call: Callable) -> None:
    _refused(call, (EtcdError,))
    with pytest.raises(EtcdError, match=f"^{ErrEmptyKey}$"):
        call(_store())


@pytest.mark.parametrize("revision", [-1, -5, 0, 1, 3])
def test_compacting_at_or_below_the_last_compaction_is_etcds_compacted_error(revision: int) -> None:
    _refused(lambda e: e.compact(revision), (EtcdError,))
    with pytest.raises(EtcdError, match=f"^{ErrCompacted}$"):
        _store().compact(revision)


@pytest.mark.parametrize("ahead", [1, 2, 10**6, 2**62])
def test_compacting_past_the_current_revision_is_etcds_future_revision_error(ahead: int) -> None:
    def compact(e: Etcd) -> None:
        e.compact(e.revision + ahead)

    _refused(compact, (EtcdError,))
    with pytest.raises(EtcdError, match=f"^{ErrFutureRev}$"):
        compact(_store())


def test_a_fresh_store_may_be_compacted_at_revision_zero_once_as_etcd() -> None:
    etcd = Etcd()
    etcd.compact(0)  # etcd's compactMainRev starts at -1
    with pytest.raises(EtcdError, match=f"^{ErrCompacted}$"):
        etcd.compact(0)
    assert etcd.revision == 1 and etcd.compact_revision == 0


@pytest.mark.parametrize(
    ("revision", "text"),
    [
        (2.5, "json: cannot unmarshal number 2.5 into Go value of type int64"),
        (True, "json: cannot unmarshal bool into Go value of type int64"),
        (10**20, "json: cannot unmarshal number 100000000000000000000 into Go value of type int64"),
    ],
)
def test_a_compaction_revision_that_is_not_an_int64_gets_the_gateways_words(revision: Any, text: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        _store().compact(revision)
    assert str(info.value).startswith(text)


# --- str and bytes are one key space --------------------------------------------------------------------


def test_bytes_and_str_name_the_same_key_and_every_range_still_works() -> None:
    etcd = Etcd()
    etcd.put(b"/k", b"v")
    etcd.put("/j", "w")
    etcd.put("/k", b"v2")
    assert etcd.get("/k") == KeyValue("/k", b"v2", 2, 4, 2)
    assert etcd.get(b"/k") == etcd.get("/k")
    assert [kv.key for kv in etcd.range("/", prefix=True)] == ["/j", "/k"]
    assert [kv.key for kv in etcd.range(b"/", prefix=True)] == ["/j", "/k"]
    assert [kv.key for kv in etcd.range(b"/a", b"/z")] == ["/j", "/k"]
    assert etcd.delete(b"/j") == 1
    assert [kv.key for kv in etcd.range("\0", "\0")] == ["/k"]
    assert etcd.put("/ü", "é") == 6
    assert etcd.get("/ü".encode()).value == "é".encode()


def test_a_negative_limit_means_no_limit_as_in_etcd() -> None:
    etcd = _store()
    assert [kv.key for kv in etcd.range("/", prefix=True, limit=-1)] == ["/a", "/b"]
    assert [kv.key for kv in etcd.range("/", prefix=True, limit=1)] == ["/a"]


# --- transactions: all or nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(Op("put", "/x", [1]), id="list-value"),  # type: ignore[arg-type]
        pytest.param(Op("put", 5, b"x"), id="int-key"),  # type: ignore[arg-type]
        pytest.param(Op("put", "", b"x"), id="empty-key"),
        pytest.param(Op("upsert", "/x", b"x"), id="unknown-op"),
        pytest.param(Op("put", "/x", b"x", range_end="/y"), id="put-with-range"),
        pytest.param(Op("put", "/ok", b"again"), id="same-key-twice"),
        pytest.param("put /x", id="not-an-op"),
    ],
)
@pytest.mark.parametrize("branch", ["success", "failure"])
def test_a_txn_with_one_bad_op_changes_nothing_and_the_next_write_gets_the_next_revision(
    bad: Any, branch: str
) -> None:
    etcd = _store()
    before = _state(etcd)
    good = [Op("put", "/ok", b"x"), Op("delete", "/a")]
    ops = (
        {"success": good + [bad], "failure": [Op("get", "/b")]}
        if branch == "success"
        else {"success": good, "failure": [Op("put", "/ok", b"y"), bad]}
    )
    with pytest.raises((TypeError, ValueError, EtcdError)) as info:
        etcd.txn([Compare("/a", "version", ">", 0)], ops["success"], ops["failure"])
    assert_clear(str(info.value).replace("TypeError", "Type error"))
    assert _state(etcd) == before
    assert etcd.get("/ok") is None and etcd.get("/a") is not None
    assert etcd.put("/next", "1") == before[0] + 1


@pytest.mark.parametrize(
    "compare",
    [
        pytest.param(Compare("/a", "size", "=", 1), id="unknown-target"),
        pytest.param(Compare("/a", "version", "==", 1), id="unknown-result"),
        pytest.param(Compare("/a", "version", ">", "1"), id="str-operand"),
        pytest.param(Compare("/a", "mod", ">", 1.5), id="float-operand"),
        pytest.param(Compare("/a", "value", "=", 4), id="int-value-operand"),
        pytest.param(("/a", "version", ">", 0), id="not-a-compare"),
    ],
)
def test_a_txn_with_a_bad_compare_changes_nothing(compare: Any) -> None:
    _refused(
        lambda e: e.txn([compare], [Op("put", "/ok", b"x")], [Op("put", "/ko", b"x")]),
        (TypeError, ValueError),
    )


def test_a_txn_that_writes_bumps_the_revision_once_for_all_its_ops() -> None:
    etcd = _store()
    rev = etcd.revision
    ok, results = etcd.txn(
        [Compare(b"/a", "value", "=", "4")],
        [Op("put", b"/x", "1"), Op("put", "/y", b"2"), Op("delete", "/b"), Op("get", "/x")],
    )
    assert ok and etcd.revision == rev + 1
    assert results == [rev + 1, rev + 1, 1, [KeyValue("/x", b"1", rev + 1, rev + 1, 1)]]
    assert etcd.put("/z", "3") == rev + 2


# --- watches: a failing callback is cancelled, the writer is never harmed -----------------------------


class Boom(Exception):
    pass


def _raise(events: list[WatchEvent]) -> None:
    raise Boom("the watcher's own bug")


def test_a_watch_callback_that_raises_is_cancelled_and_the_write_stands() -> None:
    etcd = _store()
    seen: list[list[WatchEvent]] = []
    bad = etcd.watch("/", _raise, prefix=True)
    etcd.watch("/", seen.append, prefix=True)
    rev = etcd.put("/k", "v")  # the writer does not see the watcher's failure
    assert bad.cancelled and isinstance(bad.error, Boom)
    assert etcd.get("/k").value == b"v" and len(seen) == 1
    assert etcd.put("/k", "w") == rev + 1 and len(seen) == 2
    etcd.delete("/k")
    assert len(seen) == 3 and bad not in etcd._watchers


def test_a_watch_whose_callback_raises_on_the_replayed_history_is_cancelled_at_once() -> None:
    etcd = _store()
    w = etcd.watch("/", _raise, prefix=True, start_revision=3)
    assert w.cancelled and isinstance(w.error, Boom) and w not in etcd._watchers
    assert etcd.put("/k", "v") == 7


def test_a_watch_callback_that_raises_on_a_txn_leaves_the_txn_applied() -> None:
    etcd = _store()
    bad = etcd.watch("/", _raise, prefix=True)
    ok, _ = etcd.txn([], [Op("put", "/x", b"1"), Op("put", "/y", b"2")])
    assert ok and bad.cancelled and etcd.revision == 7
    assert [kv.key for kv in etcd.range("/", prefix=True)] == ["/a", "/b", "/x", "/y"]


def test_a_watch_needs_a_callable() -> None:
    _refused(lambda e: e.watch("/", "not callable", prefix=True), (TypeError,))  # type: ignore[arg-type]


def test_a_raising_watcher_on_a_clusters_store_harms_neither_writes_nor_steps() -> None:
    """The API server's own watch keeps working; the cluster still converges and steps."""
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    bad = c.etcd.watch("/registry/", _raise, prefix=True)
    c.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"a": "b"}})
    assert bad.cancelled and isinstance(bad.error, Boom)
    c.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx"}]},
                },
            },
        }
    )
    c.run_until_stable()
    assert "1/1" in c.kubectl("get deployment web")
