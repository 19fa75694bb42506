"""Fixtures for the etcd conformance suite: one set of cases, two backends.

Every case receives a ``store`` — a :class:`Store` over either the embedded
``kcourse.sim.etcd.Etcd`` or a real etcd server reached with
``kcourse.sim.etcd_remote.RemoteEtcd`` — and asserts the same observable
result on both.  Real etcd is the oracle: where the two disagree, the
embedded store is wrong.

One real server serves the whole session (starting one takes about a
second), so each case works under its own key prefix, which ``Store`` adds
and strips, and states revisions relative to the revision it started at.

Without an ``etcd`` binary the real half is skipped with a loud reason, or
fails when ``CI=true``, where ``make test`` has installed it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from kcourse.sim.etcd import Compare, Etcd, KeyValue, Op, WatchEvent, prefix_end
from kcourse.sim.etcd_remote import RemoteEtcd

#: "packed" is the embedded store packing every version as soon as it is superseded, and every latest
#: one 100 bytes of writes later, so reads at any revision and watches are checked on packed values too.
BACKENDS = ["embedded", "packed", "etcd"]


def packed_etcd() -> Etcd:
    """An embedded store that keeps next to nothing unpacked."""
    etcd = Etcd()
    etcd.raw_history_bytes, etcd.raw_latest_bytes = 0, 100
    return etcd


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
            return b'"true"' in response.read()
    except OSError:
        return False


@contextlib.contextmanager
def etcd_process(binary: str) -> Iterator[str]:
    """Run a one-member etcd on free loopback ports with a throwaway data dir; yield its client URL."""
    data_dir = tempfile.mkdtemp(prefix="kcourse-etcd-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    client, peer = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
    log_path = os.path.join(data_dir, "etcd.log")
    args = [
        binary,
        "--name",
        "conformance",
        "--data-dir",
        os.path.join(data_dir, "data"),
        "--listen-client-urls",
        client,
        "--advertise-client-urls",
        client,
        "--listen-peer-urls",
        peer,
        "--initial-advertise-peer-urls",
        peer,
        "--initial-cluster",
        f"conformance={peer}",
        "--initial-cluster-state",
        "new",
        "--logger",
        "zap",
        "--log-level",
        "warn",
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _healthy(client):
            if proc.poll() is not None or time.monotonic() > deadline:
                with open(log_path, errors="replace") as log:
                    tail = log.read()[-3000:]
                raise RuntimeError(f"etcd did not become healthy at {client} (exit {proc.poll()}):\n{tail}")
            time.sleep(0.05)
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def etcd_url() -> Iterator[str]:
    """The client URL of a real etcd server shared by the session."""
    binary = shutil.which("etcd")
    if binary is None:
        reason = (
            "NO REAL ETCD: the `etcd` binary is not on PATH, so the embedded store is NOT being checked "
            "against real etcd. Install it (Debian: apt-get install etcd-server etcd-client, "
            "or scripts/system-deps.sh etcd)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    with etcd_process(binary) as url:
        yield url


@pytest.fixture(scope="session")
def remote(etcd_url: str) -> Iterator[RemoteEtcd]:
    client = RemoteEtcd(etcd_url)
    yield client
    client.close()


class Collected:
    """Events a callback watch has delivered so far."""

    def __init__(self, store: Store):
        self._store = store
        self.batches: list[list[WatchEvent]] = []
        self.watcher: Any = None

    def __call__(self, events: list[WatchEvent]) -> None:
        self.batches.append(events)

    @property
    def events(self) -> list[WatchEvent]:
        return [self._store._strip_event(e) for batch in self.batches for e in batch]

    def wait(self, count: int, timeout: float = 5.0) -> list[WatchEvent]:
        """The first ``count`` events; a real watch delivers them from another thread, a little later."""
        deadline = time.monotonic() + timeout
        while len(self.events) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.events

    def cancel(self) -> None:
        self.watcher.cancel()


class Store:
    """The backend-neutral view a case works with: the store's own API, under a private key prefix.

    Keys go in without the prefix and come back without it; ``"\\0"`` as a
    ``range_end`` still means "every key from here on", within the prefix.
    ``base`` is the revision the case started at.
    """

    def __init__(self, backend: str, etcd: Etcd | RemoteEtcd, prefix: str):
        self.backend, self.etcd, self.prefix = backend, etcd, prefix
        self.base = etcd.revision

    # key mapping -----------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _end(self, range_end: str | None) -> str | None:
        if range_end is None:
            return None
        return prefix_end(self.prefix) if range_end == "\0" else self.prefix + range_end

    def _strip(self, kv: KeyValue | None) -> KeyValue | None:
        if kv is None:
            return None
        assert kv.key.startswith(self.prefix), kv
        return replace(kv, key=kv.key[len(self.prefix) :])

    def _strip_event(self, ev: WatchEvent) -> WatchEvent:
        return WatchEvent(ev.type, self._strip(ev.kv), self._strip(ev.prev_kv))  # type: ignore[arg-type]

    def _op(self, op: Op) -> Op:
        return replace(op, key=self._key(op.key), range_end=self._end(op.range_end))

    # the store's API -------------------------------------------------------------------------

    @property
    def revision(self) -> int:
        return self.etcd.revision

    def rel(self, n: int) -> int:
        """The revision ``n`` writes after the case started."""
        return self.base + n

    def put(self, key: str, value: bytes | str) -> int:
        return self.etcd.put(self._key(key), value)

    def get(self, key: str, revision: int = 0) -> KeyValue | None:
        return self._strip(self.etcd.get(self._key(key), revision=revision))

    def range(self, key: str, range_end: str | None = None, **kw: Any) -> list[KeyValue]:
        return [self._strip(kv) for kv in self.etcd.range(self._key(key), self._end(range_end), **kw)]  # type: ignore

    def count(self, key: str, range_end: str | None = None, **kw: Any) -> int:
        return self.etcd.count(self._key(key), self._end(range_end), **kw)

    def delete(self, key: str, range_end: str | None = None, **kw: Any) -> int:
        return self.etcd.delete(self._key(key), self._end(range_end), **kw)

    def txn(
        self, compare: Sequence[Compare], success: Sequence[Op] = (), failure: Sequence[Op] = ()
    ) -> tuple[bool, list[Any]]:
        ok, results = self.etcd.txn(
            [replace(c, key=self._key(c.key)) for c in compare],
            [self._op(op) for op in success],
            [self._op(op) for op in failure],
        )
        return ok, [[self._strip(kv) for kv in r] if isinstance(r, list) else r for r in results]

    def compact(self, revision: int) -> None:
        self.etcd.compact(revision)

    def watch(self, key: str, *, start_revision: int = 0, **kw: Any) -> Collected:
        """A callback watch whose deliveries are collected."""
        collected = Collected(self)
        collected.watcher = self.etcd.watch(
            self._key(key), collected, start_revision=start_revision, **self._watch_range(kw)
        )
        return collected

    def watch_events(
        self, key: str, *, start_revision: int, count: int, prev_kv: bool = False, **kw: Any
    ) -> list[WatchEvent]:
        """The first ``count`` events a watch from a past ``start_revision`` sees, in order."""
        kw = self._watch_range(kw)
        if isinstance(self.etcd, RemoteEtcd):
            events = self.etcd.watch_events(
                self._key(key), start_revision=start_revision, prev_kv=prev_kv, count=count, **kw
            )
        else:
            got: list[WatchEvent] = []
            self.etcd.watch(
                self._key(key), got.extend, start_revision=start_revision, prev_kv=prev_kv, **kw
            ).cancel()
            events = got  # everything, so extra events show up as a difference
        return [self._strip_event(e) for e in events]

    def _watch_range(self, kw: dict[str, Any]) -> dict[str, Any]:
        if "range_end" in kw:
            kw = kw | {"range_end": self._end(kw["range_end"])}
        return kw


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """A store under a key prefix private to this case, on each backend."""
    name = request.node.name.replace("[", "/").replace("]", "")
    prefix = f"/conformance/{name}/"
    if request.param in ("embedded", "packed"):
        yield Store("embedded", Etcd() if request.param == "embedded" else packed_etcd(), prefix)
    else:
        yield Store("etcd", request.getfixturevalue("remote"), prefix)
