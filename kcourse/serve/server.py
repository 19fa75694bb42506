"""An HTTP front for the simulated API server, on the loopback interface.

The real ``kubectl`` and the official ``kubernetes`` Python client speak
HTTP to kube-apiserver; this server answers them from the simulated
cluster.  It runs in background threads (one per connection, so a watch can
stream while other requests come in) and serialises every request with the
cluster's steps through ``cluster.lock``: the simulation itself stays
single-threaded and deterministic between requests.

It speaks HTTPS with a certificate of its own CA (``tls.py``), because
kubectl sends a kubeconfig's token only over TLS; every request needs that
bearer token, without it the answer is the real ``401 Unauthorized``
Status.  Requests are counted per endpoint (verb and resource) in
``ServeHandle.requests``; the simulated API server records them too, under
the caller's name (``kubectl`` or ``kubernetes-python``, from the
User-Agent), in ``cluster.api.recent_requests`` and ``request_counts``
beside the components' own.

How time moves: the simulated clock advances only when something runs the
cluster: the notebook's ``step()``/``run()``/``advance()``, or, with
``realtime=True``, a thread that runs it along with the wall clock
(``speed`` simulated seconds per second).  Without it, a learner typing in
a terminal sees a frozen cluster: ``kubectl apply`` is stored at once, but
``kubectl rollout status`` waits until the notebook runs the cluster.  The
AGE columns are simulated time (the server prints them); ages kubectl
computes itself (``describe``'s event ages) use the wall clock against the
simulation's 2025 timestamps, so they read in hundreds of days.

Simplified: one token and no RBAC (its user is ``kubernetes-admin``, a
cluster admin); an unreachable control plane answers 503 instead of
refusing the connection.
"""

from __future__ import annotations

import secrets
import select
import socket
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from kcourse.sim.errors import ApiError

from . import aggregated, discovery, openapi
from .kubeconfig import write_kubeconfig
from .rest import Reply, Request, handle_resource, parse_target
from .tls import certificates, server_context

__all__ = ["VERSION_INFO", "App", "ServeHandle", "serve", "user_of"]

VERSION_INFO = {"major": "1", "minor": "32", "gitVersion": "v1.32.0",
                "gitCommit": "70d3cc986aa8221cd1dfb1121852688902d3bf53", "gitTreeState": "clean",
                "buildDate": "2024-12-11T17:59:15Z", "goVersion": "go1.23.3", "compiler": "gc",
                "platform": "linux/amd64"}

HEALTH_CHECKS = ("ping", "log", "etcd", "poststarthook/start-apiextensions-informers",
                 "poststarthook/bootstrap-controller")


def user_of(user_agent: str) -> str:
    """The client's name for the audit log: ``kubectl``, ``kubernetes-python`` or the agent's first word."""
    if user_agent.startswith("kubectl"):
        return "kubectl"
    if user_agent.startswith("OpenAPI-Generator") and user_agent.endswith("/python"):
        return "kubernetes-python"
    return user_agent.split("/")[0].split(" ")[0] or "unknown"


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


@dataclass
class App:
    """What every request handler shares: the cluster, the token, the counters and the options."""

    cluster: Any
    token: str
    url: str = ""
    watch_timeout: float = 1800.0    # kube-apiserver's --min-request-timeout
    bookmark_interval: float = 60.0  # the watch cache sends a bookmark about once a minute
    follow_limit: float = 300.0      # how long ``logs -f`` streams at most
    stopping: threading.Event = field(default_factory=threading.Event)
    requests: Counter = field(default_factory=Counter)
    counts_lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, req: Request) -> Any:
        return self.cluster.api.client(req.user)

    def count(self, verb: str, resource: str) -> None:
        with self.counts_lock:
            self.requests[(verb, resource)] += 1


def _verb(method: str, query: dict[str, str], has_name: bool) -> str:
    if method == "GET":
        return "get" if has_name else ("watch" if query.get("watch") in ("true", "1") else "list")
    if method == "DELETE" and not has_name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, method.lower())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kcourse-apiserver"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request counts and the API server's request log say what happened

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and the client's
        # delayed ACK add 40 ms to every response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @property
    def app(self) -> App:
        return self.server.app  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # --- plumbing -------------------------------------------------------------------------------------------

    def _alive(self) -> bool:
        """Is the client still connected?  (A closed socket reads as ready with no data.)"""
        try:
            ready, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return False
        return not ready  # a watching client sends nothing more: anything readable is its goodbye

    def _read_body(self) -> bytes:
        """The request body, sized by Content-Length or sent in chunks (Go does when it cannot know the size)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, (dict, list)):
            import json
            data = json.dumps(reply.body, separators=(",", ":")).encode()
        else:
            data = (reply.body or "").encode()
        self.send_response(reply.code)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Cache-Control", "no-cache, private")
        if reply.stream is None:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True

        def write(chunk: bytes) -> bool:
            try:
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()
                return True
            except OSError:
                return False

        reply.stream(write)
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            pass

    def _handle(self, method: str) -> None:
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        body = self._read_body()
        req = Request(method, query, self.headers.get("Accept") or "", self.headers.get("Content-Type") or "",
                      body, user_of(self.headers.get("User-Agent") or ""), self._alive)
        try:
            if self.headers.get("Authorization") != f"Bearer {self.app.token}":
                self.app.count(method.lower(), "(unauthenticated)")
                raise unauthorized()
            reply = self._route(method, split.path, req)
        except ApiError as e:
            reply = Reply(e.code, e.status())
        except Exception as e:  # noqa: BLE001 - a bug must not kill the connection silently: answer as the real server would
            reply = Reply(500, ApiError(500, "InternalError", f"Internal error occurred: {e!r}").status())
        self._send(reply)

    def _route(self, method: str, path: str, req: Request) -> Reply:
        app = self.app
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            app.count(method.lower(), path)
            return self._non_resource(method, path, req)
        if not rest:
            app.count(method.lower(), path)
            found = discovery.api_resource_list(group, version)
            if found is None or method != "GET":
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return Reply(200, found)
        if (group, version) in discovery.EXTRA_GROUPS:
            plain = rest[2:] if rest[:1] == ["namespaces"] and len(rest) >= 3 else rest  # [resource, name?]
            app.count(_verb(method, req.query, len(plain) > 1), f"{plain[0]}.{group}")
            return aggregated.handle(app, req, group, rest)
        target = parse_target(group, version, rest)
        app.count(_verb(method, req.query, bool(target.name)), target.resource)
        if not app.cluster.reachable(None):
            raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        return handle_resource(app, req, target)

    def _non_resource(self, method: str, path: str, req: Request) -> Reply:
        if method != "GET":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested "
                           "resource")
        aggregated = discovery.AGGREGATED.split(";as=")[0] in req.accept.replace(" ", "")
        if path in ("/api", "/api/"):
            if aggregated:
                return Reply(200, discovery.aggregated(legacy=True), discovery.AGGREGATED)
            return Reply(200, discovery.api_versions(self.app.url.split("//")[1]))
        if path in ("/apis", "/apis/"):
            if aggregated:
                return Reply(200, discovery.aggregated(legacy=False), discovery.AGGREGATED)
            return Reply(200, discovery.api_group_list())
        if path == "/version":
            return Reply(200, VERSION_INFO)
        if path in ("/healthz", "/livez", "/readyz"):
            if not self.app.cluster.reachable(None):
                return Reply(500, f"[-]etcd failed: reason withheld\n{path[1:]} check failed\n", "text/plain")
            if "verbose" in req.query:
                lines = "".join(f"[+]{c} ok\n" for c in HEALTH_CHECKS)
                return Reply(200, f"{lines}{path[1:]} check passed\n", "text/plain")
            return Reply(200, "ok", "text/plain")
        if path.startswith("/openapi/"):
            doc = openapi.document(path, req.query)
            if doc is not None:
                return Reply(200, doc)
        if path.startswith("/api"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return Reply(404, "404 page not found\n", "text/plain; charset=utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True


class ServeHandle:
    """A running server: ``url``, ``kubeconfig`` (a path), ``token``, ``requests`` and ``stop()``."""

    def __init__(self, app: App, httpd: _Server, kubeconfig: Path, threads: list[threading.Thread]):
        self.app, self._httpd, self._threads = app, httpd, threads
        self.url = app.url
        self.token = app.token
        self.kubeconfig = kubeconfig

    @property
    def requests(self) -> Counter:
        """Requests served so far, per (verb, resource) — ``("list", "pods")``, ``("create", "pods/eviction")``."""
        with self.app.counts_lock:
            return Counter(self.app.requests)

    @property
    def env(self) -> dict[str, str]:
        """Environment for a shell that should use this cluster (``KUBECONFIG``)."""
        return {"KUBECONFIG": str(self.kubeconfig)}

    @property
    def running(self) -> bool:
        return not self.app.stopping.is_set()

    def stop(self) -> None:
        """Stop serving: watches end, the port closes, the cluster stays as it is."""
        if self.app.stopping.is_set():
            return
        self.app.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self.running else "stopped"
        return f"<ServeHandle {state} {self.url} kubeconfig={self.kubeconfig}>"


def _run_in_real_time(cluster: Any, stopping: threading.Event, speed: float, tick: float = 0.02) -> None:
    """Advance the simulated clock with the wall clock, ``speed`` simulated seconds per second."""
    last = time.monotonic()
    while not stopping.wait(tick):
        now = time.monotonic()
        with cluster.lock:
            cluster.run(until=cluster.clock.now + (now - last) * speed)
        last = now


def serve(cluster: Any, port: int = 0, *, kubeconfig: str | Path | None = None, token: str | None = None,
          realtime: bool = False, speed: float = 1.0, watch_timeout: float = 1800.0,
          bookmark_interval: float = 60.0) -> ServeHandle:
    """Serve ``cluster``'s API on ``127.0.0.1:port`` (0: any free port) and write a kubeconfig for it.

    ``realtime=True`` runs the simulation along with the wall clock (``speed`` simulated seconds per
    second) so waiting commands (``rollout status``, ``drain``, ``delete``) finish by themselves.
    """
    app = App(cluster, token or secrets.token_urlsafe(24), watch_timeout=watch_timeout,
              bookmark_interval=bookmark_interval)
    certs = certificates()
    httpd = _Server(("127.0.0.1", port), _Handler)
    # The TLS handshake happens on the connection's own thread, at its first read.
    httpd.socket = server_context(certs).wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
    httpd.app = app  # type: ignore[attr-defined]
    app.url = f"https://127.0.0.1:{httpd.server_address[1]}"
    path = Path(kubeconfig) if kubeconfig else Path(tempfile.mkdtemp(prefix="kcourse-serve-")) / "kubeconfig"
    write_kubeconfig(path, cluster.name, app.url, app.token, certs.ca.read_bytes())
    threads = [threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                name=f"kcourse-serve-{httpd.server_address[1]}", daemon=True)]
    if realtime:
        threads.append(threading.Thread(target=_run_in_real_time, args=(cluster, app.stopping, speed),
                                        name="kcourse-realtime", daemon=True))
    for t in threads:
        t.start()
    # Deriving the OpenAPI schemas takes a few seconds: do it now, not in the learner's first kubectl apply.
    threading.Thread(target=openapi.component_schemas, name="kcourse-openapi", daemon=True).start()
    return ServeHandle(app, httpd, path, threads)
