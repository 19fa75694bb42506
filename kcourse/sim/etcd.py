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

What the facade accepts is what the etcd3 clients accept, checked before
anything is written, so a refused call never uses up a revision; those
checks, and the request types ``Compare`` and ``Op``, live in
:mod:`kcourse.sim.etcd_v3rpc` (etcd's ``api/v3rpc``) and are re-exported
here.  The store itself refuses revisions it no longer or not yet holds:

* a read at a revision before the compaction point fails with ``mvcc:
  required revision has been compacted``, one past the current revision
  with ``mvcc: required revision is a future revision``
  (``server/mvcc/kvstore.go``); so does a compaction at or below the last
  one, or past the current revision; like etcd, a fresh store may be
  compacted at revision 0 once.
* a transaction is all or nothing: every compare and every op of both
  branches is checked first; then the chosen branch is applied under one new
  revision (if it writes anything), or nothing is.
* a watch callback that raises has its watch cancelled (``Watcher.error``
  keeps what it raised), as etcd cancels a watcher whose stream fails; the
  write that triggered it, and every later one, succeeds.

Values are kept *packed* where that is cheap and rarely read, so a store
holding a large cluster's history does not hold it twice over:

* a superseded version, once the plain bytes of superseded versions pass
  :attr:`Etcd.raw_history_bytes`, is compressed with zlib against the next
  version of the same key as a preset dictionary: the 60th rewrite of a
  16 KB EndpointSlice costs a few hundred bytes rather than 16 KB;
* a latest version written long ago (once the bytes written after it pass
  :attr:`Etcd.raw_latest_bytes`: an Event, a Pod that has settled) is
  compressed against a sample value of its directory (say
  ``/registry/events/default``), which holds what such objects share.

``KeyValue.value`` unpacks on demand, byte for byte, so reads at any
revision, watches from an old revision, ``prev_kv`` and ``db_size()`` (which
counts the logical bytes) see exactly what they would see unpacked.  Every
16th version of a key is packed against its directory's sample instead, so
unpacking one follows at most 16 links.  Real etcd keeps every version as
written in bbolt; what is packed here is only this process's memory, and a
small cluster (under the two budgets) never packs anything.

Simplified: one member (no Raft), no leases on keys; keys are kept as text,
so a key that is not UTF-8 is refused (real etcd keys are any bytes).
"""

from __future__ import annotations

import bisect
import zlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from .etcd_v3rpc import (
    Compare,
    ErrDuplicateKey,
    ErrEmptyKey,
    EtcdError,
    Op,
    _check_key,
    _end,
    _in_range,
    _key,
    _revision,
    _text,
    _txn_args,
    _value,
)

__all__ = [
    "Compare",
    "ErrCompacted",
    "ErrDuplicateKey",
    "ErrEmptyKey",
    "ErrFutureRev",
    "Etcd",
    "EtcdError",
    "KeyValue",
    "Op",
    "WatchEvent",
    "Watcher",
    "prefix_end",
]

ErrCompacted = "mvcc: required revision has been compacted"
ErrFutureRev = "mvcc: required revision is a future revision"


@dataclass(frozen=True)
class KeyValue:
    """One version of one key, as etcd's ``mvccpb.KeyValue``.

    ``value`` is always the bytes written.  The store may keep a superseded
    version's bytes packed (see :class:`_Packed`); reading ``value`` then
    unpacks them, so a caller never sees the difference.
    """

    __slots__ = ("_value", "create_revision", "key", "mod_revision", "version")

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    version: int

    def __getstate__(self) -> tuple[str, bytes, int, int, int]:
        return self.key, self.value, self.create_revision, self.mod_revision, self.version

    def __setstate__(self, state: tuple[str, bytes, int, int, int]) -> None:
        for name, item in zip(("key", "_value", "create_revision", "mod_revision", "version"), state):
            object.__setattr__(self, name, item)


def _stored(kv: KeyValue) -> bytes | _Packed:
    """What a version's ``_value`` slot holds: its bytes, or their packed form."""
    stored: bytes | _Packed = object.__getattribute__(kv, "_value")  # a slot; ``value`` is the field
    return stored


def _get_value(kv: KeyValue) -> bytes:
    stored = _stored(kv)
    return stored if isinstance(stored, bytes) else stored.unpack()


def _set_value(kv: KeyValue, value: bytes | _Packed) -> None:
    object.__setattr__(kv, "_value", value)  # only its own __init__ and packing get here (it is frozen)


# ``value`` is a field for the dataclass (its __init__, ==, hash, repr and ``dataclasses.replace`` use
# it) and a property over the ``_value`` slot, which holds the bytes or their packed form.  It is set
# after the class is made, where the type checker keeps seeing the field the dataclass made.
type.__setattr__(KeyValue, "value", property(_get_value, _set_value))


def _stored_len(kv: KeyValue) -> int:
    """The length of a version's value, without unpacking it."""
    stored = _stored(kv)
    return len(stored) if isinstance(stored, bytes) else stored.size


def held_bytes(kv: KeyValue) -> int:
    """The bytes a version's value takes in memory here: its length, or its packed form's (for benchmarks)."""
    stored = _stored(kv)
    return len(stored) if isinstance(stored, bytes) else len(stored.data)


#: Every this many versions of a key, one is packed without a dictionary: unpacking any version then
#: follows at most this many links to newer ones.
KEYFRAME_VERSIONS = 16


class _Packed:
    """A value zlib-compressed with a preset dictionary: the key's next version, or a sample.

    Consecutive versions of an object differ in a few fields (a status, a
    resourceVersion, one endpoint more), so against its successor a version
    compresses 20 to 60 times, where zlib alone gets 2 to 5; objects of one
    kind in one namespace share most of their text, so against a sample of
    them an Event compresses about 3 times and a Pod about 9.  ``base`` is
    the successor (a :class:`KeyValue`, unpacked in turn if it is packed
    too) or the sample's bytes; ``size`` is the logical length, for
    ``db_size``.
    """

    __slots__ = ("base", "data", "size")

    def __init__(self, value: bytes, base: KeyValue | bytes):
        packer = zlib.compressobj(1, zdict=base if isinstance(base, bytes) else base.value)
        self.data = packer.compress(value) + packer.flush()
        self.base = base
        self.size = len(value)

    def unpack(self) -> bytes:
        base = self.base
        unpacker = zlib.decompressobj(zdict=base if isinstance(base, bytes) else base.value)
        return unpacker.decompress(self.data) + unpacker.flush()


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A change seen by a watcher: ``type`` is ``PUT`` or ``DELETE``.

    For a DELETE, ``kv`` carries the key with the delete's revision as its
    ``mod_revision`` and an empty value, as etcd sends it.
    """

    type: str
    kv: KeyValue
    prev_kv: KeyValue | None = None


def prefix_end(prefix: str) -> str:
    """The ``range_end`` that makes ``[prefix, range_end)`` a prefix query.

    As ``clientv3.GetPrefixRangeEnd``.
    """
    if not prefix:
        return "\0"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _mod_revision(kv: KeyValue) -> int:
    return kv.mod_revision


class Watcher:
    """A live watch; ``cancel()`` stops delivery."""

    def __init__(
        self,
        store: Etcd,
        start: str,
        end: str | None,
        callback: Callable[[list[WatchEvent]], None],
        prev_kv: bool,
        min_revision: int = 0,
    ):
        self._store = store
        self.start, self.end = start, end
        self.callback = callback
        self.prev_kv = prev_kv
        self.min_revision = min_revision  # a watch from a future revision ignores the writes before it
        self.cancelled = False
        #: What the callback raised, if that cancelled the watch.
        self.error: Exception | None = None

    def cancel(self) -> None:
        self.cancelled = True
        self._store._watchers = [w for w in self._store._watchers if w is not self]

    def matches(self, key: str) -> bool:
        return _in_range(key, self.start, self.end)

    def _deliver(self, events: list[WatchEvent]) -> None:
        """Hand events to the callback; one that raises cancels this watch, never the write that caused it."""
        try:
            self.callback(events if self.prev_kv else [WatchEvent(e.type, e.kv) for e in events])
        except Exception as err:
            if not self._store.cancel_failing_watchers:
                raise
            self.error = err
            self.cancel()


class Etcd:
    """A single-member etcd with an MVCC history.

    Costs are kept proportional to what a call touches, so a store holding a
    150,000-pod cluster stays usable: reads at the latest revision use the
    latest version of each key directly, reads at an old revision bisect the
    key's versions, and ``compact`` visits only the keys written since the
    previous compaction (plus those still holding older versions).  A new
    key is appended to a short unsorted list, merged into the sorted key
    list by the next range read (one sort of an almost sorted list), so a
    create does not move a million keys to keep them in order.
    """

    #: Bytes of superseded versions kept unpacked (the most recent ones); older ones are packed.
    RAW_HISTORY_BYTES = 4 << 20
    #: Bytes of the most recent writes kept unpacked; a latest version older than these is packed.
    RAW_LATEST_BYTES = 8 << 20

    def __init__(self) -> None:
        self.revision = 1  # etcd starts at revision 1 with an empty store
        self.compact_revision = 0
        self._history: dict[str, list[KeyValue]] = {}  # key -> versions; version 0 marks a delete
        self._latest: dict[str, KeyValue] = {}
        self._keys: list[str] = []  # sorted keys with any history (but the new ones)
        self._new_keys: list[str] = []  # keys with history that _keys does not hold yet
        self._dirty: set[str] = set()  # keys that may hold versions a compaction drops
        #: The version each change since the compaction point wrote, in revision order (a delete's tombstone
        #: for a delete): a watch from an old revision replays it.  The event's type and previous version
        #: are read back from the key's history (:meth:`_logged_event`), not kept twice.
        self._log: list[KeyValue] = []
        self._watchers: list[Watcher] = []
        self._size = 0
        #: Superseded versions not packed yet, oldest first, each with the version that superseded it.
        self._superseded: deque[tuple[KeyValue, KeyValue]] = deque()
        self._superseded_bytes = 0
        #: How many bytes of superseded versions stay unpacked (0: pack each one once it is superseded).
        self.raw_history_bytes = self.RAW_HISTORY_BYTES
        #: Versions in write order, newest last, until the bytes written after them pass the budget.
        self._written: deque[KeyValue] = deque()
        self._written_bytes = 0
        #: How many bytes of the latest writes stay unpacked (0: pack a version once it is written).
        self.raw_latest_bytes = self.RAW_LATEST_BYTES
        self._samples: dict[str, bytes] = {}  # directory -> the first value packed in it, as dictionary
        self._compact_main = -1  # etcd's compactMainRev: a fresh store may be compacted at revision 0
        #: Cancel a watch whose callback raises, as etcd does (False: let it raise, to debug the callback).
        self.cancel_failing_watchers = True

    # --- reads -------------------------------------------------------------------------------

    def _check_rev(self, revision: int) -> None:
        revision = _revision(revision)
        if revision > self.revision:
            raise EtcdError(ErrFutureRev)
        if 0 < revision < self.compact_revision:
            raise EtcdError(ErrCompacted, self.compact_revision)

    def _at(self, key: str, revision: int) -> KeyValue | None:
        if revision <= 0 or revision >= self.revision:
            return self._latest.get(key)
        versions = self._history.get(key)
        if not versions:
            return None
        if versions[-1].mod_revision <= revision:  # unchanged since: the common case
            found = versions[-1]
        else:
            i = bisect.bisect_right(versions, revision, key=_mod_revision)
            if not i:
                return None
            found = versions[i - 1]
        return found if found.version else None

    def get(self, key: str, revision: int = 0) -> KeyValue | None:
        """The key's value at ``revision`` (0: the latest), or None."""
        key = _key(key)
        self._check_rev(revision)
        return self._at(key, revision)

    @staticmethod
    def _bounds(key: str, range_end: str | None, prefix: bool) -> tuple[str, str | None]:
        if prefix:
            if not key:  # clientv3 turns a prefix query for "" into "every key"
                return "\0", "\0"
            return key, prefix_end(key)
        return key, range_end

    def range(
        self,
        key: str,
        range_end: str | None = None,
        *,
        prefix: bool = False,
        revision: int = 0,
        limit: int = 0,
        keys_only: bool = False,
        count_only: bool = False,
    ) -> list[KeyValue]:
        """Keys in ``[key, range_end)`` (or with ``prefix``) at ``revision``, sorted by key.

        ``range_end="\\0"`` means every key from ``key`` on.  ``keys_only``
        leaves values empty; ``count_only`` returns no keys at all, as etcd
        does (``count()`` gives the number).
        """
        key, range_end = self._bounds(_text(key), _end(range_end), prefix)
        _check_key(key)
        self._check_rev(revision)
        limit = _revision(limit, "limit")
        if count_only:
            return []
        if range_end is None:
            kv = self._at(key, revision)
            found = [kv] if kv is not None else []
        else:
            keys = self._sorted_keys()
            lo = bisect.bisect_left(keys, key)
            hi = len(keys) if range_end == "\0" else bisect.bisect_left(keys, range_end)
            found = []
            if revision <= 0 or revision >= self.revision:
                latest = self._latest
                for k in keys[lo:hi]:
                    kv = latest.get(k)
                    if kv is not None:
                        found.append(kv)
                        if limit > 0 and len(found) >= limit:
                            break
            else:
                for k in keys[lo:hi]:
                    kv = self._at(k, revision)
                    if kv is not None:
                        found.append(kv)
                        if limit > 0 and len(found) >= limit:
                            break
        if keys_only:
            return [KeyValue(kv.key, b"", kv.create_revision, kv.mod_revision, kv.version) for kv in found]
        return found

    def _sorted_keys(self) -> list[str]:
        """Every key with history, sorted: the new ones are merged in on the first read that needs them."""
        if self._new_keys:
            self._keys.extend(self._new_keys)
            self._keys.sort()  # a sorted run and a short tail: about one pass
            self._new_keys.clear()
        return self._keys

    def count(
        self, key: str, range_end: str | None = None, *, prefix: bool = False, revision: int = 0
    ) -> int:
        """How many keys the range holds (etcd's ``count_only``)."""
        return len(self.range(key, range_end, prefix=prefix, revision=revision))

    # --- writes ------------------------------------------------------------------------------

    def _append(self, kv: KeyValue) -> None:
        versions = self._history.get(kv.key)
        if versions is None:  # a new key: a list of one, as most Events stay (``append`` leaves room for 4)
            self._history[kv.key] = [kv]
        else:
            versions.append(kv)
        self._dirty.add(kv.key)
        self._size += len(kv.key) + len(kv.value)

    def _supersede(self, prev: KeyValue, by: KeyValue) -> None:
        """``prev`` is history from now on: queue it to be packed once newer history fills the budget."""
        stored = _stored(prev)
        if prev.version and stored and isinstance(stored, bytes):  # not packed already as a cold latest
            self._superseded.append((prev, by))
            self._superseded_bytes += len(stored)

    def _sample(self, kv: KeyValue, value: bytes) -> bytes:
        """The dictionary for a version packed without its successor: its directory's first such value."""
        directory = kv.key[: kv.key.rfind("/") + 1]
        sample = self._samples.get(directory)
        if sample is None:
            sample = self._samples[directory] = value
        return sample

    def _pack(self) -> None:
        """Pack the oldest superseded versions and the oldest latest ones, down to the two budgets.

        A version is packed before the one that superseded it (the queue is
        in write order), so that successor is still plain bytes then.
        """
        queue = self._superseded
        while self._superseded_bytes > self.raw_history_bytes and queue:
            old, newer = queue.popleft()
            value = old.value
            self._superseded_bytes -= len(value)
            if newer.version and newer.value and old.version % KEYFRAME_VERSIONS:
                _set_value(old, _Packed(value, newer))
            else:  # a keyframe, or its successor is a delete or empty: nothing to share with it
                _set_value(old, _Packed(value, self._sample(old, value)))
        written, latest = self._written, self._latest
        while self._written_bytes > self.raw_latest_bytes and written:
            kv = written.popleft()
            self._written_bytes -= _stored_len(kv)
            stored = _stored(kv)
            # superseded ones are the other queue's
            if isinstance(stored, bytes) and latest.get(kv.key) is kv:
                _set_value(kv, _Packed(stored, self._sample(kv, stored)))

    def _apply_put(self, key: str, value: bytes, rev: int) -> WatchEvent:
        prev = self._latest.get(key)
        if prev is None:
            versions = self._history.get(key)
            if versions is None:
                self._new_keys.append(key)
            else:
                key = versions[-1].key  # one string for every version of a key
            kv = KeyValue(key, value, rev, rev, 1)
        else:
            kv = KeyValue(prev.key, value, prev.create_revision, rev, prev.version + 1)
            self._supersede(prev, kv)
        self._append(kv)
        self._latest[key] = kv
        if value:
            self._written.append(kv)
            self._written_bytes += len(value)
        return WatchEvent("PUT", kv, prev)

    def _apply_delete(self, key: str, rev: int) -> WatchEvent:
        prev = self._latest.pop(key)
        tombstone = KeyValue(prev.key, b"", 0, rev, 0)
        self._supersede(prev, tombstone)
        self._append(tombstone)
        return WatchEvent("DELETE", tombstone, prev)

    def _commit(self, events: list[WatchEvent]) -> int:
        if not events:
            return self.revision
        rev = self.revision
        self._log.extend([e.kv for e in events])
        for w in list(self._watchers):
            if rev < w.min_revision or w.cancelled:
                continue
            mine = [e for e in events if w.matches(e.kv.key)]
            if mine:
                w._deliver(mine)
        if self._superseded_bytes > self.raw_history_bytes or self._written_bytes > self.raw_latest_bytes:
            self._pack()
        return rev

    def put(self, key: str, value: bytes | str) -> int:
        """Write ``value`` under ``key`` as a new revision; returns that revision.

        Writing the value a key already holds is still a write: a new
        revision, a higher ``version`` and a watch event, as in etcd.
        """
        key, value = _key(key), _value(value)
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

    def txn(
        self, compare: Iterable[Compare], success: Iterable[Op] = (), failure: Iterable[Op] = ()
    ) -> tuple[bool, list[list[KeyValue] | int]]:
        """If every ``compare`` holds run ``success`` else ``failure``, atomically, at one revision.

        Results follow the ops: a list of KeyValue for ``get``, the revision
        for ``put``, the number deleted for ``delete``.  Both branches are
        checked first: one that writes a key twice is refused, as etcd does,
        even when it would not run.  Ops see the writes made before them in
        the same transaction; only a transaction that changed something gets
        a new revision.
        """
        compare, success, failure = _txn_args(compare, success, failure)
        ok = all(self._holds(c) for c in compare)
        ops = success if ok else failure
        results: list[list[KeyValue] | int] = []
        rev = self.revision + 1
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
        if events:
            self.revision = rev
            self._commit(events)
        return ok, results

    def _holds(self, c: Compare) -> bool:
        kv = self._latest.get(c.key)
        if c.target == "value":
            if kv is None:
                return False  # etcd: comparing the value of a missing key always fails, even with "!="
            return _compare_result(kv.value, _value(c.operand), c.result)  # normalised by txn: the same bytes
        actual: int = getattr(kv, _COMPARE_FIELDS[c.target]) if kv else 0  # a missing key compares as 0
        return _compare_result(actual, _revision(c.operand, f"compare {c.target}"), c.result)

    # --- compaction --------------------------------------------------------------------------

    def compact(self, revision: int) -> None:
        """Drop every version superseded at ``revision``; reads before it then fail.

        As in etcd, each key keeps its last version at or before ``revision``
        unless that version is a delete; so a watch from exactly ``revision``
        still sees the puts made at it but not the deletes.
        """
        revision = _revision(revision)
        if revision <= self._compact_main:
            raise EtcdError(ErrCompacted, self.compact_revision)
        if revision > self.revision:
            raise EtcdError(ErrFutureRev)
        self._compact_main = revision
        still_dirty: set[str] = set()
        gone: set[str] = set()
        history = self._history
        for key in self._dirty:
            versions = history[key]
            if versions[-1].mod_revision <= revision:  # the usual case: nothing written since
                keep_from = len(versions) - 1
            else:
                keep_from = bisect.bisect_right(versions, revision, key=_mod_revision) - 1
            if keep_from >= 0:
                if not versions[keep_from].version:
                    keep_from += 1  # deleted by then: the key's old life is gone
                if keep_from:
                    self._size -= len(key) * keep_from + sum([_stored_len(kv) for kv in versions[:keep_from]])
                    del versions[:keep_from]
            if not versions:
                del history[key]
                gone.add(key)
            elif len(versions) > 1 or not versions[-1].version:
                still_dirty.add(key)
        self._dirty = still_dirty
        queue = self._superseded
        while queue and queue[0][1].mod_revision <= revision:  # superseded by then: compacted away
            self._superseded_bytes -= len(queue.popleft()[0].value)
        self._sorted_keys()
        if len(gone) < 64:
            for key in gone:
                del self._keys[bisect.bisect_left(self._keys, key)]
        elif gone:
            self._keys = [k for k in self._keys if k not in gone]
        cut = bisect.bisect_left(self._log, revision, key=_mod_revision)
        end = bisect.bisect_right(self._log, revision, key=_mod_revision)
        self._log[:end] = [kv for kv in self._log[cut:end] if kv.version]  # the puts made at it
        self.compact_revision = revision

    # --- watch -------------------------------------------------------------------------------

    def watch(
        self,
        key: str,
        callback: Callable[[list[WatchEvent]], None],
        *,
        range_end: str | None = None,
        prefix: bool = False,
        start_revision: int = 0,
        prev_kv: bool = False,
    ) -> Watcher:
        """Deliver every change to ``key`` (or its range) from ``start_revision`` on, inclusive.

        A start revision in the past replays the history first, one call per
        revision; one before the compaction point fails with ``ErrCompacted``,
        as etcd cancels such a watch.  A start revision in the future skips
        the writes before it.  The callback runs inside the write that caused
        it.  ``prev_kv`` is left out where the previous version has been
        compacted away, as etcd reads it at ``mod_revision - 1``.
        """
        key, range_end = self._bounds(_text(key), _end(range_end), prefix)
        start_revision = _revision(start_revision, "start_revision")
        if not callable(callback):
            raise TypeError(f"etcd: a watch callback must be callable, not {type(callback).__name__}")
        if 0 < start_revision < self.compact_revision:
            raise EtcdError(ErrCompacted, self.compact_revision)
        w = Watcher(self, key, range_end, callback, prev_kv, min_revision=start_revision)
        if 0 < start_revision <= self.revision:
            lo = bisect.bisect_left(self._log, start_revision, key=_mod_revision)
            batch: list[WatchEvent] = []
            batch_rev = 0
            for kv in self._log[lo:]:
                if not w.matches(kv.key):
                    continue
                rev = kv.mod_revision
                if rev != batch_rev and batch:
                    w._deliver(batch)
                    batch = []
                    if w.cancelled:  # the callback raised on the history: the watch ends there
                        return w
                batch.append(self._logged_event(kv))
                batch_rev = rev
            if batch:
                w._deliver(batch)
        if not w.cancelled:
            self._watchers.append(w)
        return w

    def _logged_event(self, kv: KeyValue) -> WatchEvent:
        """The event a logged version made, as the write delivered it (``prev_kv`` left out once compacted).

        Its previous version is the one before it in the key's history: a put's, unless that was a delete
        (a new life of the key has none), and a delete's.  A change after the compaction point still finds
        it there, as compaction keeps each key's last version at or before that point unless it is a
        delete.
        """
        etype = "PUT" if kv.version else "DELETE"
        if kv.mod_revision <= self.compact_revision:
            return WatchEvent(etype, kv)
        versions = self._history[kv.key]
        i = bisect.bisect_left(versions, kv.mod_revision, key=_mod_revision)
        prev = versions[i - 1] if i > 0 and versions[i - 1].version else None
        return WatchEvent(etype, kv, prev)

    def db_size(self) -> int:
        """Bytes of stored keys and values across all retained revisions (a stand-in for etcd's DB size)."""
        return self._size


_Operand = TypeVar("_Operand", bytes, int)


def _compare_result(actual: _Operand, operand: _Operand, result: str) -> bool:
    """A compare's ``result`` between a key's value (bytes) or revision field (int) and the operand."""
    return {"=": actual == operand, "!=": actual != operand, "<": actual < operand, ">": actual > operand}[
        result
    ]


_COMPARE_FIELDS = {"version": "version", "create": "create_revision", "mod": "mod_revision"}
