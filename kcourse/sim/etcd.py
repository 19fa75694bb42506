"""etcd: the cluster's multi-version key-value store.

Modelled on etcd v3's MVCC store (``server/mvcc``): every write appends a new
*revision* to one history that only grows; a key keeps the revision it was
created at (``create_revision``), the revision of its last change
(``mod_revision``) and how often it changed since creation (``version``,
which starts again at 1 after a delete).  Reads may ask for any revision
that has not been compacted; ``compact(rev)`` throws away the history before
``rev`` to bound the store's size, after which reading or watching there
fails with etcd's own error.  Nothing is overwritten in place.

Only the API server talks to etcd in a Kubernetes cluster; here too.

Simplified: one member (no Raft), no leases on keys, values are bytes.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Callable, Iterable

__all__ = [
    "Etcd", "KeyValue", "WatchEvent", "Watcher", "EtcdError", "ErrCompacted", "ErrFutureRev",
    "Compare", "Op",
]

ErrCompacted = "mvcc: required revision has been compacted"
ErrFutureRev = "mvcc: required revision is a future revision"


class EtcdError(Exception):
    """An error the etcd server returns; ``str()`` is etcd's own message."""

    def __init__(self, message: str, compact_revision: int = 0):
        super().__init__(message)
        self.message = message
        self.compact_revision = compact_revision


@dataclass(frozen=True, slots=True)
class KeyValue:
    """One version of one key, as etcd's ``mvccpb.KeyValue``."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A change seen by a watcher: ``type`` is ``PUT`` or ``DELETE``.

    For a DELETE, ``kv`` carries the key with the delete's revision as its
    ``mod_revision`` and an empty value, as etcd sends it.
    """

    type: str
    kv: KeyValue
    prev_kv: KeyValue | None = None


@dataclass(frozen=True, slots=True)
class Compare:
    """A transaction guard: ``target`` is ``value``, ``version``, ``create`` or ``mod``."""

    key: str
    target: str
    result: str  # "=", "!=", "<", ">"
    operand: object


@dataclass(frozen=True, slots=True)
class Op:
    """A transaction operation: ``put``, ``delete`` or ``get``."""

    kind: str
    key: str
    value: bytes = b""
    range_end: str | None = None


def prefix_end(prefix: str) -> str:
    """The ``range_end`` that makes ``[prefix, range_end)`` a prefix query, as ``clientv3.GetPrefixRangeEnd``."""
    if not prefix:
        return "\0"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _in_range(key: str, start: str, end: str | None) -> bool:
    if end is None:
        return key == start
    if end == "\0":
        return key >= start
    return start <= key < end


class Watcher:
    """A live watch; ``cancel()`` stops delivery."""

    def __init__(self, store: "Etcd", start: str, end: str | None, callback: Callable[[list[WatchEvent]], None],
                 prev_kv: bool):
        self._store = store
        self.start, self.end = start, end
        self.callback = callback
        self.prev_kv = prev_kv
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._store._watchers = [w for w in self._store._watchers if w is not self]

    def matches(self, key: str) -> bool:
        return _in_range(key, self.start, self.end)


class Etcd:
    """A single-member etcd with an MVCC history."""

    def __init__(self) -> None:
        self.revision = 1          # etcd starts at revision 1 with an empty store
        self.compact_revision = 0
        self._history: dict[str, list[KeyValue]] = {}  # key -> versions; version 0 marks a delete
        self._latest: dict[str, KeyValue] = {}
        self._keys: list[str] = []                              # sorted keys with any history
        self._log: list[tuple[int, WatchEvent]] = []           # (revision, event) for watches
        self._watchers: list[Watcher] = []

    # --- reads -------------------------------------------------------------------------------

    def _check_rev(self, revision: int) -> None:
        if revision > self.revision:
            raise EtcdError(ErrFutureRev)
        if 0 < revision < self.compact_revision:
            raise EtcdError(ErrCompacted, self.compact_revision)

    def _at(self, key: str, revision: int) -> KeyValue | None:
        if revision <= 0:
            return self._latest.get(key)
        found = None
        for kv in self._history.get(key, ()):
            if kv.mod_revision > revision:
                break
            found = kv
        return found if found is not None and found.version else None

    def get(self, key: str, revision: int = 0) -> KeyValue | None:
        """The key's value at ``revision`` (0: the latest), or None."""
        self._check_rev(revision)
        return self._at(key, revision)

    def range(self, key: str, range_end: str | None = None, *, prefix: bool = False, revision: int = 0,
              limit: int = 0, keys_only: bool = False, count_only: bool = False) -> list[KeyValue]:
        """Keys in ``[key, range_end)`` (or with ``prefix``) at ``revision``, sorted by key."""
        self._check_rev(revision)
        if prefix:
            range_end = prefix_end(key)
        if range_end is None:
            kv = self._at(key, revision)
            return [kv] if kv is not None else []
        lo = bisect.bisect_left(self._keys, key)
        hi = len(self._keys) if range_end == "\0" else bisect.bisect_left(self._keys, range_end)
        out = []
        for k in self._keys[lo:hi]:
            kv = self._at(k, revision)
            if kv is not None:
                out.append(kv)
                if limit and len(out) >= limit:
                    break
        return out

    def count(self, key: str, range_end: str | None = None, *, prefix: bool = False) -> int:
        return len(self.range(key, range_end, prefix=prefix))

    # --- writes ------------------------------------------------------------------------------

    def _apply_put(self, key: str, value: bytes, rev: int) -> WatchEvent:
        prev = self._latest.get(key)
        if prev is None:
            kv = KeyValue(key, value, rev, rev, 1)
            if key not in self._history:
                bisect.insort(self._keys, key)
                self._history[key] = []
        else:
            kv = KeyValue(key, value, prev.create_revision, rev, prev.version + 1)
        self._history[key].append(kv)
        self._latest[key] = kv
        return WatchEvent("PUT", kv, prev)

    def _apply_delete(self, key: str, rev: int) -> WatchEvent:
        prev = self._latest.pop(key)
        tombstone = KeyValue(key, b"", 0, rev, 0)
        self._history[key].append(tombstone)
        return WatchEvent("DELETE", tombstone, prev)

    def _commit(self, events: list[WatchEvent]) -> int:
        if not events:
            return self.revision
        rev = self.revision
        for ev in events:
            self._log.append((rev, ev))
        for w in list(self._watchers):
            mine = [e for e in events if w.matches(e.kv.key)]
            if mine and not w.cancelled:
                w.callback(mine if w.prev_kv else [WatchEvent(e.type, e.kv) for e in mine])
        return rev

    def put(self, key: str, value: bytes | str) -> int:
        """Write ``value`` under ``key`` as a new revision; returns that revision."""
        if isinstance(value, str):
            value = value.encode()
        self.revision += 1
        return self._commit([self._apply_put(key, value, self.revision)])

    def delete(self, key: str, range_end: str | None = None, *, prefix: bool = False) -> int:
        """Delete a key or range; returns how many keys were deleted (none: no new revision)."""
        doomed = [kv.key for kv in self.range(key, range_end, prefix=prefix)]
        if not doomed:
            return 0
        self.revision += 1
        self._commit([self._apply_delete(k, self.revision) for k in doomed])
        return len(doomed)

    def txn(self, compare: Iterable[Compare], success: Iterable[Op] = (), failure: Iterable[Op] = ()
            ) -> tuple[bool, list[list[KeyValue] | int]]:
        """If every ``compare`` holds run ``success`` else ``failure``, atomically, at one revision."""
        ok = all(self._holds(c) for c in compare)
        ops = list(success if ok else failure)
        results: list[list[KeyValue] | int] = []
        writes = any(op.kind in ("put", "delete") for op in ops)
        rev = self.revision + 1 if writes else self.revision
        events: list[WatchEvent] = []
        for op in ops:
            if op.kind == "get":
                results.append(self.range(op.key, op.range_end))
            elif op.kind == "put":
                events.append(self._apply_put(op.key, op.value, rev))
                results.append(rev)
            elif op.kind == "delete":
                doomed = [kv.key for kv in self.range(op.key, op.range_end)]
                events.extend(self._apply_delete(k, rev) for k in doomed)
                results.append(len(doomed))
            else:
                raise ValueError(f"unknown txn op {op.kind!r}")
        if events:
            self.revision = rev
            self._commit(events)
        return ok, results

    def _holds(self, c: Compare) -> bool:
        kv = self._latest.get(c.key)
        actual = {
            "value": kv.value if kv else None,
            "version": kv.version if kv else 0,
            "create": kv.create_revision if kv else 0,
            "mod": kv.mod_revision if kv else 0,
        }[c.target]
        operand = c.operand.encode() if isinstance(c.operand, str) else c.operand
        if actual is None:
            return c.result == "!="
        return {"=": actual == operand, "!=": actual != operand,
                "<": actual < operand, ">": actual > operand}[c.result]

    # --- compaction --------------------------------------------------------------------------

    def compact(self, revision: int) -> None:
        """Drop every version superseded at ``revision``; reads before it then fail."""
        if revision > self.revision:
            raise EtcdError(ErrFutureRev)
        if revision <= self.compact_revision:
            raise EtcdError(ErrCompacted, self.compact_revision)
        for key in list(self._history):
            versions = self._history[key]
            keep_from = 0
            for i, kv in enumerate(versions):
                if kv.mod_revision <= revision:
                    keep_from = i
            del versions[:keep_from]
            if not versions[0].version and versions[0].mod_revision <= revision:
                versions.pop(0)  # deleted by then: the key's old life is gone
            if not versions:
                del self._history[key]
                del self._keys[bisect.bisect_left(self._keys, key)]
        cut = bisect.bisect_left(self._log, revision, key=lambda entry: entry[0])
        del self._log[:cut]
        self.compact_revision = revision

    # --- watch -------------------------------------------------------------------------------

    def watch(self, key: str, callback: Callable[[list[WatchEvent]], None], *, range_end: str | None = None,
              prefix: bool = False, start_revision: int = 0, prev_kv: bool = False) -> Watcher:
        """Deliver every change to ``key`` (or its range) from ``start_revision`` on, inclusive.

        A start revision in the past replays the history first; one before the
        compaction point fails with ``ErrCompacted``, as etcd cancels such a watch.
        """
        if prefix:
            range_end = prefix_end(key)
        if 0 < start_revision < self.compact_revision:
            raise EtcdError(ErrCompacted, self.compact_revision)
        w = Watcher(self, key, range_end, callback, prev_kv)
        if 0 < start_revision <= self.revision:
            lo = bisect.bisect_left(self._log, start_revision, key=lambda entry: entry[0])
            batch: list[WatchEvent] = []
            last_rev = None
            for rev, ev in self._log[lo:]:
                if not w.matches(ev.kv.key):
                    continue
                if last_rev is not None and rev != last_rev and batch:
                    callback(batch if prev_kv else [WatchEvent(e.type, e.kv) for e in batch])
                    batch = []
                batch.append(ev)
                last_rev = rev
            if batch:
                callback(batch if prev_kv else [WatchEvent(e.type, e.kv) for e in batch])
        self._watchers.append(w)
        return w

    def db_size(self) -> int:
        """Bytes of stored values across all retained revisions (a stand-in for etcd's DB size)."""
        return sum(len(kv.key) + len(kv.value) for versions in self._history.values() for kv in versions)
