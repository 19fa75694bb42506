"""Fixtures for the served API: a cluster behind a real HTTPS port, the real kubectl, an HTTP helper.

The request counts of every server started here are summed and written to
``test-artifacts/serve-requests.txt`` at the end of the session.
"""

from __future__ import annotations

import http.client
import json
import os
import ssl
import subprocess
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import kcourse

KUBECTL = Path("/usr/bin/kubectl")
MANIFESTS = Path(__file__).parent / "manifests"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REQUESTS: Counter = Counter()


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    if not REQUESTS:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    rows = sorted(REQUESTS.items(), key=lambda kv: (-kv[1], kv[0]))
    text = "".join(f"{n:6d}  {verb:<16} {resource}\n" for (verb, resource), n in rows)
    (ARTIFACTS / "serve-requests.txt").write_text(f"{sum(REQUESTS.values())} requests\n{text}")


def serve(cluster: Any, **options: Any) -> Any:
    """Start serving and remember to count the handle's requests when it stops."""
    handle = cluster.serve(**options)
    original = handle.stop

    def stop() -> None:
        if handle.running:
            original()
            REQUESTS.update(handle.requests)

    handle.stop = stop
    return handle


@pytest.fixture(scope="session")
def kubectl_path() -> Path:
    """The real kubectl; missing fails in CI and skips loudly elsewhere."""
    if not KUBECTL.exists():
        message = (
            f"{KUBECTL} is missing: the real-client tests need it (scripts/system-deps.sh kubectl installs "
            "it)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    return KUBECTL


class Kubectl:
    """Run the real kubectl against a served cluster, with a private HOME for its discovery cache."""

    def __init__(self, path: Path, kubeconfig: Path, home: Path):
        self.path, self.kubeconfig, self.home = path, kubeconfig, home

    @property
    def env(self) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
            "NO_PROXY": "127.0.0.1",
            "LANG": "C.UTF-8",
        }

    def __call__(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.path), *args],
            check=False,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=self.home,
        )

    def popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(self.path), *args],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=self.home,
        )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any]]:
    """A booted cluster served in real time at 10x, so rollouts and drains finish by themselves."""
    cluster = kcourse.Cluster(seed=0)
    handle = serve(cluster, realtime=True, speed=10.0, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    yield cluster, handle
    handle.stop()


@pytest.fixture(scope="module")
def kubectl(live: tuple[Any, Any], kubectl_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Kubectl:
    return Kubectl(kubectl_path, live[1].kubeconfig, tmp_path_factory.mktemp("home"))


def wait_for(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``check`` until it returns something true (real time: the cluster runs in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check.__name__}")
        time.sleep(interval)


class Http:
    """Plain HTTPS requests to a served cluster (trusting its CA), for what kubectl does not show."""

    def __init__(self, handle: Any):
        self.context = handle.client_context()
        self.port = handle.port
        self.token = handle.token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "",
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=timeout)
        hdrs = {"User-Agent": "kcourse-tests/1.0", **(headers or {})}
        if token is not None:
            hdrs["Authorization"] = f"Bearer {token or self.token}"
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=hdrs)
        resp = conn.getresponse()
        out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        conn.close()
        return out

    def json(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        code, _, data = self.request(method, path, body, **kw)
        return code, json.loads(data) if data else None


@pytest.fixture(scope="session")
def http_for() -> Callable[[Any], Http]:
    """Make an :class:`Http` for a served cluster (a fixture, since test modules cannot import conftest)."""
    return Http


@pytest.fixture(scope="session")
def counted_serve() -> Callable[..., Any]:
    """``serve(cluster, **options)`` whose requests are added to the session's counts when it stops."""
    return serve


@pytest.fixture(scope="session")
def kubectl_for(kubectl_path: Path) -> Callable[[Any, Path], Kubectl]:
    """Make a :class:`Kubectl` for a served cluster's handle, with ``home`` as its HOME."""
    return lambda handle, home: Kubectl(kubectl_path, handle.kubeconfig, home)


@pytest.fixture(name="wait_for", scope="session")
def wait_for_fixture() -> Callable[..., Any]:
    return wait_for


@pytest.fixture(scope="session")
def manifests() -> Path:
    return MANIFESTS


class Response:
    """One HTTP response read off a raw socket."""

    def __init__(self, status: int, head: str, headers: dict[str, str], body: bytes):
        self.status, self.head, self.headers, self.body = status, head, headers, body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:200]!r}>"


def read_response(sock: Any, timeout: float = 10.0) -> Response | None:
    """Read exactly one response (Content-Length, chunked or until close); None if the server just closed."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            return None if not buf else Response(0, buf.decode("latin-1"), {}, b"")
        buf += data
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            data = sock.recv(65536)
            if not data:
                break
            rest += data
        return Response(status, lines[0], headers, rest[:n])
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += sock.recv(65536)
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += sock.recv(65536)
            body, rest = body + rest[:size], rest[size + 2 :]
            if size == 0:
                return Response(status, lines[0], headers, body)
    while True:  # delimited by the connection's end
        try:
            data = sock.recv(65536)
        except OSError:
            break
        if not data:
            break
        rest += data
    return Response(status, lines[0], headers, rest)


class _Replay:
    """Bytes already read, offered to :func:`read_response` as a socket would offer them."""

    def __init__(self, data: bytes):
        self.data = data

    def settimeout(self, _timeout: float) -> None:
        pass

    def recv(self, n: int) -> bytes:
        out, self.data = self.data[:n], self.data[n:]
        return out


class Raw(Http):
    """Raw bytes over TLS to a served cluster: for what well-behaved clients never send."""

    read = staticmethod(read_response)

    def connect(self, timeout: float = 10.0) -> ssl.SSLSocket:
        import socket

        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        return self.context.wrap_socket(sock, server_hostname="127.0.0.1")

    def head(
        self,
        method: str,
        path: str,
        *,
        length: int | None = 0,
        token: str | None = "",
        content_type: str = "application/json",
        extra: str = "",
        close: bool = True,
    ) -> bytes:
        """A request head; ``length=None`` leaves Content-Length out, ``token=None`` the Authorization."""
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: kcourse-tests/1.0"]
        if token is not None:
            lines.append(f"Authorization: Bearer {token or self.token}")
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        if length is not None:
            lines.append(f"Content-Length: {length}")
        if close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()

    def stream_body(
        self, sock: ssl.SSLSocket, size: int, timeout: float = 30.0
    ) -> tuple[Response | None, int, float]:
        """Send up to ``size`` body bytes while watching for an early answer, on one thread.

        An ``SSLSocket`` must not be read and written from two threads at once (OpenSSL's SSL
        objects are not thread-safe), so this interleaves non-blocking sends and reads with
        ``select``. It stops at the server's end of the connection and returns the response read,
        the body bytes sent, and the seconds from the call to the answer's first byte.
        """
        import select

        start = time.monotonic()
        deadline = start + timeout
        chunk = b"x" * 65536
        received = bytearray()
        first = None
        sent = 0
        writable = True
        sock.setblocking(False)
        try:
            while time.monotonic() < deadline:
                ready, can_write, _ = select.select(
                    [sock], [sock] if writable and sent < size else [], [], 0.05
                )
                if ready or sock.pending():
                    try:
                        data = sock.recv(65536)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        data = None
                    except OSError:
                        break  # reset after the answer: what was read stays read
                    if data == b"":
                        break
                    if data:
                        first = first if first is not None else time.monotonic() - start
                        received += data
                if can_write:
                    try:
                        sent += sock.send(chunk)
                    except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                        pass
                    except OSError:
                        writable = False  # the server closed its side; keep reading what it said
        finally:
            sock.setblocking(True)
        return read_response(_Replay(bytes(received)), timeout), sent, first if first is not None else timeout

    def send(self, data: bytes, timeout: float = 10.0) -> Response | None:
        """Send ``data`` on a new connection and read one response."""
        with self.connect(timeout) as sock:
            sock.sendall(data)
            return read_response(sock, timeout)

    def request(self, method: str, path: str, body: bytes | Any = b"", **kw: Any) -> Response:  # type: ignore[override]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        response = self.send(self.head(method, path, length=len(data), **kw) + data)
        assert response is not None, f"{method} {path}: the server closed the connection without answering"
        return response


@pytest.fixture(scope="session")
def raw_for() -> Callable[[Any], Raw]:
    """Make a :class:`Raw` client for a served cluster's handle."""
    return Raw
