"""A client for a real etcd server, with the embedded store's interface.

``RemoteEtcd`` speaks etcd v3's HTTP/JSON gateway (``/v3/kv/*``,
``/v3/watch``) with the standard library only, and answers with the same
``KeyValue``, ``WatchEvent`` and ``EtcdError`` as :class:`kcourse.sim.etcd.Etcd`,
so the API server can persist to either, and the course's tests can check
the embedded store against the real one.

The gateway's wire format, which this module hides: keys and values are
base64; int64 fields are JSON strings; fields holding their default value
(0, false, empty) are left out, so a PUT event has no ``type`` and a deleted
key has no ``value``.  Errors come back as HTTP 400 with gRPC's message,
``etcdserver: mvcc: ...``; the ``mvcc:`` ones are raised with the store's
own message, as the embedded store raises them.

Arguments are checked by the embedded store's own rules before anything is
sent (keys and values as ``str`` or ``bytes``, revisions as int64, every op
of a transaction), so both stores refuse the same calls the same way.

Watches differ from the embedded store in one way that cannot be hidden: a
real watch is a stream that runs beside the caller.  ``watch()`` therefore
calls its callback from a background thread, some time after the write;
``watch_events()`` is the synchronous form: it opens the stream, collects
events until it has enough, and closes it.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from kcourse.sim.etcd import (
    Compare,
    ErrCompacted,
    EtcdError,
    KeyValue,
    Op,
    WatchEvent,
    _end,
    _key,
    _revision,
    _text,
    _txn_args,
    _value,
    prefix_end,
)

__all__ = ["RemoteEtcd", "RemoteWatcher", "SyncRemoteEtcd"]

_RESULTS = {"=": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS", ">": "GREATER"}
_TARGETS = {
    "value": ("VALUE", "value"),
    "version": ("VERSION", "version"),
    "create": ("CREATE", "create_revision"),
    "mod": ("MOD", "mod_revision"),
}


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def _unb64(field: str | None) -> bytes:
    return base64.b64decode(field) if field else b""


def _kv(raw: dict[str, Any]) -> KeyValue:
    return KeyValue(
        _unb64(raw.get("key")).decode(),
        _unb64(raw.get("value")),
        int(raw.get("create_revision", 0)),
        int(raw.get("mod_revision", 0)),
        int(raw.get("version", 0)),
    )


def _event(raw: dict[str, Any]) -> WatchEvent:
    prev = raw.get("prev_kv")
    return WatchEvent(raw.get("type", "PUT"), _kv(raw["kv"]), _kv(prev) if prev else None)


def _range_body(key: str, range_end: str | None, prefix: bool) -> dict[str, Any]:
    if prefix:
        key, range_end = ("\0", "\0") if not key else (key, prefix_end(key))
    body: dict[str, Any] = {"key": _b64(key)}
    if range_end is not None:
        body["range_end"] = _b64(range_end)
    return body


def _error(payload: dict[str, Any]) -> EtcdError:
    message = payload.get("error") or payload.get("message") or "etcd: unknown error"
    if message.startswith("etcdserver: mvcc: "):
        message = message.removeprefix("etcdserver: ")
    return EtcdError(message)


class RemoteWatcher:
    """A watch stream read by a background thread; ``cancel()`` closes it.

    ``error`` holds the ``EtcdError`` that ended the stream, if the server
    cancelled the watch (the history was compacted while it was starting).
    """

    def __init__(
        self,
        conn: http.client.HTTPConnection,
        response: http.client.HTTPResponse,
        callback: Callable[[list[WatchEvent]], None],
        prev_kv: bool,
    ):
        self._conn, self._response = conn, response
        self.callback = callback
        self.prev_kv = prev_kv
        self.cancelled = False
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="etcd-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in _messages(self._response):
                if message.get("canceled"):
                    self.error = EtcdError(ErrCompacted, int(message.get("compact_revision", 0)))
                    return
                events = [_event(e) for e in message.get("events", ())]
                if events and not self.cancelled:
                    try:
                        self.callback(events)
                    except Exception as err:  # noqa: BLE001 — kept in .error: a failing callback ends its own watch
                        self.error, self.cancelled = err, True
                        return
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # the stream was closed by cancel() (http.client may trip over it) or by the server
        finally:
            self._conn.close()

    def cancel(self) -> None:
        self.cancelled = True
        _shutdown(self._conn)
        self._thread.join(timeout=5)


def _shutdown(conn: http.client.HTTPConnection) -> None:
    """Close a connection another thread may be blocked reading from."""
    if conn.sock is not None:
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
    conn.close()


def _messages(response: http.client.HTTPResponse) -> Iterable[dict[str, Any]]:
    """The gateway sends one JSON object a line, each wrapped as ``{"result": ...}`` or ``{"error": ...}``."""
    while True:
        line = response.readline()
        if not line:
            return
        if not line.strip():
            continue
        message = json.loads(line)
        if "error" in message:
            raise _error(message["error"])
        yield message.get("result", {})


class RemoteEtcd:
    """A real etcd server behind the embedded store's methods: ``RemoteEtcd("http://127.0.0.1:2379")``."""

    def __init__(self, endpoint: str, timeout: float = 10.0):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"expected http://host:port, got {endpoint!r}")
        self.endpoint = endpoint
        self._host, self._port = url.hostname, url.port or 2379
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._lock = threading.Lock()

    def _connect(self, timeout: float | None = None) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout or self.timeout)

    def _call(self, path: str, body: dict[str, Any], *, find_compaction: bool = True) -> dict[str, Any]:
        """POST one request on a kept-alive connection; reconnect once if the server closed it."""
        data = json.dumps(body).encode()
        with self._lock:
            for attempt in (1, 2):
                if self._conn is None:
                    self._conn = self._connect()
                try:
                    self._conn.request("POST", path, data, {"Content-Type": "application/json"})
                    response = self._conn.getresponse()
                    payload = json.loads(response.read() or b"{}")
                    break
                except (http.client.HTTPException, ConnectionError):
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
        if response.status != 200:
            error = _error(payload)
            if error.message == ErrCompacted and find_compaction:
                error.compact_revision = self.compact_revision
            raise error
        return payload

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- reads -------------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The store's current revision, from a response header."""
        header = self._call("/v3/kv/range", {"key": _b64("\0"), "count_only": True})["header"]
        return int(header["revision"])

    @property
    def compact_revision(self) -> int:
        """The revision of the last compaction (0: none that reads can notice).

        The gateway does not report it, so it is found by bisection: reads
        below it fail with ``ErrCompacted``.  A compaction at revision 1 hides
        nothing and reads as 0.
        """
        lo, hi = 1, self.revision  # reading at hi always works
        while lo < hi:
            mid = (lo + hi) // 2
            try:
                self._call(
                    "/v3/kv/range",
                    {"key": _b64("\0"), "count_only": True, "revision": str(mid)},
                    find_compaction=False,
                )
                hi = mid
            except EtcdError as err:
                if err.message != ErrCompacted:
                    raise
                lo = mid + 1
        return lo if lo > 1 else 0

    def get(self, key: str, revision: int = 0) -> KeyValue | None:
        """The key's value at ``revision`` (0: the latest), or None."""
        found = self.range(key, revision=revision)
        return found[0] if found else None

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
        """Keys in ``[key, range_end)`` (or with ``prefix``) at ``revision``, sorted by key."""
        key, range_end = _text(key), _end(range_end)
        revision, limit = _revision(revision), _revision(limit, "limit")
        body = _range_body(key, range_end, prefix)
        for name, value in (("revision", revision), ("limit", limit)):
            if value:
                body[name] = str(value)
        if keys_only:
            body["keys_only"] = True
        if count_only:
            body["count_only"] = True
        return [_kv(kv) for kv in self._call("/v3/kv/range", body).get("kvs", ())]

    def count(
        self, key: str, range_end: str | None = None, *, prefix: bool = False, revision: int = 0
    ) -> int:
        """How many keys the range holds (etcd's ``count_only``)."""
        key, range_end, revision = _text(key), _end(range_end), _revision(revision)
        body = _range_body(key, range_end, prefix) | {"count_only": True}
        if revision:
            body["revision"] = str(revision)
        return int(self._call("/v3/kv/range", body).get("count", 0))

    # --- writes ------------------------------------------------------------------------------

    def put(self, key: str, value: bytes | str) -> int:
        """Write ``value`` under ``key``; returns the new revision."""
        key, value = _key(key), _value(value)
        payload = self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})
        return int(payload["header"]["revision"])

    def delete(self, key: str, range_end: str | None = None, *, prefix: bool = False) -> int:
        """Delete a key or range; returns how many keys were deleted."""
        key, range_end = _text(key), _end(range_end)
        return int(self._call("/v3/kv/deleterange", _range_body(key, range_end, prefix)).get("deleted", 0))

    def txn(
        self, compare: Iterable[Compare], success: Iterable[Op] = (), failure: Iterable[Op] = ()
    ) -> tuple[bool, list[list[KeyValue] | int]]:
        """If every ``compare`` holds run ``success`` else ``failure``, atomically, at one revision."""
        compare, success, failure = _txn_args(compare, success, failure)
        body = {
            "compare": [self._compare(c) for c in compare],
            "success": [self._op(op) for op in success],
            "failure": [self._op(op) for op in failure],
        }
        payload = self._call("/v3/kv/txn", body)
        results: list[list[KeyValue] | int] = []
        for response in payload.get("responses", ()):
            if "response_range" in response:
                results.append([_kv(kv) for kv in response["response_range"].get("kvs", ())])
            elif "response_put" in response:
                results.append(int(response["response_put"]["header"]["revision"]))
            else:
                results.append(int(response["response_delete_range"].get("deleted", 0)))
        return bool(payload.get("succeeded", False)), results

    @staticmethod
    def _compare(c: Compare) -> dict[str, Any]:
        target, field = _TARGETS[c.target]
        operand = _b64(_value(c.operand)) if c.target == "value" else str(c.operand)  # normalised: no copy
        return {"key": _b64(c.key), "target": target, "result": _RESULTS[c.result], field: operand}

    @staticmethod
    def _op(op: Op) -> dict[str, Any]:
        if op.kind == "put":
            return {"request_put": {"key": _b64(op.key), "value": _b64(op.value)}}
        if op.kind == "get":
            return {"request_range": _range_body(op.key, op.range_end, False)}
        if op.kind == "delete":
            return {"request_delete_range": _range_body(op.key, op.range_end, False)}
        raise ValueError(f"unknown txn op {op.kind!r}")

    def compact(self, revision: int) -> None:
        """Compact the history before ``revision`` (``physical``: wait until it is gone)."""
        revision = _revision(revision)
        self._call("/v3/kv/compaction", {"revision": str(revision), "physical": True})

    def db_size(self) -> int:
        """The server's database file size in bytes (``etcdctl endpoint status``)."""
        return int(self._call("/v3/maintenance/status", {}).get("dbSize", 0))

    # --- watch -------------------------------------------------------------------------------

    def _open_watch(
        self,
        key: str,
        range_end: str | None,
        prefix: bool,
        start_revision: int,
        prev_kv: bool,
        timeout: float,
    ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        create: dict[str, Any] = _range_body(key, range_end, prefix)
        if start_revision:
            create["start_revision"] = str(start_revision)
        if prev_kv:
            create["prev_kv"] = True
        conn = self._connect(timeout)
        try:
            conn.request(
                "POST",
                "/v3/watch",
                json.dumps({"create_request": create}).encode(),
                {"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            if response.status != 200:
                raise _error(json.loads(response.read() or b"{}"))
            first = next(iter(_messages(response)), {})
            if not first.get("created"):
                raise EtcdError(f"etcd: watch not created: {first}")
        except BaseException:
            conn.close()
            raise
        return conn, response

    def watch(
        self,
        key: str,
        callback: Callable[[list[WatchEvent]], None],
        *,
        range_end: str | None = None,
        prefix: bool = False,
        start_revision: int = 0,
        prev_kv: bool = False,
    ) -> RemoteWatcher:
        """Deliver every change to ``key`` (or its range) from ``start_revision`` on, from a background
        thread.

        A start revision below the compaction point raises ``ErrCompacted``
        here, as the embedded store does: it is checked with a read first,
        because the server reports it only later, on the stream.
        """
        key, range_end = _text(key), _end(range_end)
        start_revision = _revision(start_revision, "start_revision")
        if not callable(callback):
            raise TypeError(f"etcd: a watch callback must be callable, not {type(callback).__name__}")
        if start_revision > 0:
            try:
                self.count(key, range_end, prefix=prefix, revision=start_revision)
            except EtcdError as err:
                if err.message == ErrCompacted:
                    raise
        conn, response = self._open_watch(key, range_end, prefix, start_revision, prev_kv, self.timeout)
        conn.sock.settimeout(None)  # an idle watch is not an error
        return RemoteWatcher(conn, response, callback, prev_kv)

    def watch_events(
        self,
        key: str,
        *,
        range_end: str | None = None,
        prefix: bool = False,
        start_revision: int = 0,
        prev_kv: bool = False,
        count: int | None = None,
        until_revision: int | None = None,
        timeout: float = 5.0,
    ) -> list[WatchEvent]:
        """The events a watch from ``start_revision`` delivers, collected synchronously.

        Stops after ``count`` events, or once an event at or after
        ``until_revision`` arrived; raises ``TimeoutError`` if neither happens
        within ``timeout`` seconds, and ``ErrCompacted`` (with the compact
        revision) when the server cancels the watch.
        """
        if count is None and until_revision is None:
            raise ValueError("give count or until_revision, or the watch never ends")
        deadline = time.monotonic() + timeout
        conn, response = self._open_watch(key, range_end, prefix, start_revision, prev_kv, timeout)
        events: list[WatchEvent] = []
        try:
            for message in _messages(response):
                if message.get("canceled"):
                    raise EtcdError(ErrCompacted, int(message.get("compact_revision", 0)))
                events.extend(_event(e) for e in message.get("events", ()))
                if count is not None and len(events) >= count:
                    return events[:count]
                if until_revision is not None and events and events[-1].kv.mod_revision >= until_revision:
                    return events
                if time.monotonic() > deadline:
                    break
        except TimeoutError:
            pass
        finally:
            _shutdown(conn)
        raise TimeoutError(f"watch on {key!r} from {start_revision}: {len(events)} events after {timeout}s")


class _SyncWatcher:
    """A watch of :class:`SyncRemoteEtcd`: its callback runs inside the write, as the embedded store's
    does."""

    def __init__(
        self,
        owner: SyncRemoteEtcd,
        start: str,
        end: str | None,
        callback: Callable[[list[WatchEvent]], None],
        prev_kv: bool,
    ):
        self._owner, self.start, self.end, self.callback, self.prev_kv = owner, start, end, callback, prev_kv
        self.cancelled = False
        self.error: Exception | None = None

    def matches(self, key: str) -> bool:
        if self.end is None:
            return key == self.start
        return key >= self.start and (self.end == "\0" or key < self.end)

    def deliver(self, events: list[WatchEvent]) -> None:
        mine = [e if self.prev_kv else WatchEvent(e.type, e.kv) for e in events if self.matches(e.kv.key)]
        if mine and not self.cancelled:
            try:
                self.callback(mine)
            except Exception as err:  # as the embedded store: the watch ends, the write stands
                if not self._owner.cancel_failing_watchers:
                    raise
                self.error = err
                self.cancel()

    def cancel(self) -> None:
        self.cancelled = True
        if self in self._owner._sync_watchers:
            self._owner._sync_watchers.remove(self)


class SyncRemoteEtcd(RemoteEtcd):
    """A real etcd server as the simulated API server's store: ``Cluster(etcd="http://127.0.0.1:2379")``.

    The API server expects etcd's watch events inside the write that caused
    them (that is what keeps the simulation deterministic), while a real
    watch is a stream beside the caller.  So this client builds the events
    of its own writes from the server's answers — a put or delete asks for
    ``prev_kv`` and gets the revision in the header — and replays history
    for a watch from a past revision by reading the server's own watch up to
    the current revision.  Every write still goes to the real server, so its
    revisions, history and compaction are the real ones.

    Simplified: only this client's writes are seen (one API server, as in
    the simulation); transactions are not watched.
    """

    def __init__(self, endpoint: str, timeout: float = 10.0):
        super().__init__(endpoint, timeout)
        self._sync_watchers: list[_SyncWatcher] = []
        #: As the embedded store's: False lets a failing callback raise into the write (to debug it).
        self.cancel_failing_watchers = True

    def _deliver(self, events: list[WatchEvent]) -> None:
        for w in list(self._sync_watchers):
            w.deliver(events)

    def put(self, key: str, value: bytes | str) -> int:
        key, raw = _key(key), _value(value)
        payload = self._call("/v3/kv/put", {"key": _b64(key), "value": _b64(raw), "prev_kv": True})
        rev = int(payload["header"]["revision"])
        prev = _kv(payload["prev_kv"]) if payload.get("prev_kv") else None
        kv = KeyValue(key, raw, prev.create_revision if prev else rev, rev, prev.version + 1 if prev else 1)
        self._deliver([WatchEvent("PUT", kv, prev)])
        return rev

    def delete(self, key: str, range_end: str | None = None, *, prefix: bool = False) -> int:
        key, range_end = _text(key), _end(range_end)
        payload = self._call("/v3/kv/deleterange", _range_body(key, range_end, prefix) | {"prev_kv": True})
        rev = int(payload["header"]["revision"])
        prevs = [_kv(kv) for kv in payload.get("prev_kvs", ())]
        if prevs:
            self._deliver([WatchEvent("DELETE", KeyValue(p.key, b"", 0, rev, 0), p) for p in prevs])
        return int(payload.get("deleted", 0))

    def watch(
        self,
        key: str,
        callback: Callable[[list[WatchEvent]], None],
        *,
        range_end: str | None = None,
        prefix: bool = False,
        start_revision: int = 0,
        prev_kv: bool = False,
    ) -> _SyncWatcher:  # type: ignore[override]
        """Like the embedded store's watch: history from ``start_revision`` first, then every write of this
        client."""
        key, range_end = _text(key), _end(range_end)
        start_revision = _revision(start_revision, "start_revision")
        end = prefix_end(key) if prefix else range_end
        w = _SyncWatcher(self, key, end, callback, prev_kv)
        now = self.revision
        if 0 < start_revision <= now:
            # Every revision has at least one event somewhere, so a watch of the whole key space ends at
            # ``now``.
            history = self.watch_events(
                "\0",
                range_end="\0",
                start_revision=start_revision,
                prev_kv=True,
                until_revision=now,
                timeout=self.timeout,
            )
            batch: list[WatchEvent] = []
            for ev in history:
                if batch and ev.kv.mod_revision != batch[0].kv.mod_revision:
                    w.deliver(batch)
                    batch = []
                batch.append(ev)
            if batch:
                w.deliver(batch)
        if not w.cancelled:
            self._sync_watchers.append(w)
        return w
