"""An HTTPS front for the simulated API server, on the loopback interface.

The real ``kubectl`` and the official ``kubernetes`` Python client speak
HTTP to kube-apiserver; this server answers them from the simulated
cluster.  Connections are held by ``httpserver.py`` (Go's ``net/http``:
framing, limits, timeouts; idle connections cost no thread) and every
request runs on a thread of its own, serialised with the cluster's steps
through ``cluster.lock``: the simulation itself stays single-threaded and
deterministic between requests.

A request passes kube-apiserver's filters in kube-apiserver's order
(``DefaultBuildHandlerChain``):

1. *authentication* — the kubeconfig's bearer token, compared in constant
   time, before a byte of the body is read: a client without it gets the real
   ``401 Unauthorized`` Status however large a body it announced;
2. *max-in-flight* (``filters/maxinflight.go``) — at most
   ``max_requests_inflight`` reads and ``max_mutating_requests_inflight``
   writes at once; one more gets ``429 Too many requests, please try again
   later.`` with ``Retry-After: 1``.  Watches and ``pods/log`` are long-running
   and exempt, as upstream;
3. the handler, which reads the body only now, at most 3 MiB
   (``MaxRequestBodyBytes``): a larger one gets ``413 Request entity too
   large: limit is 3145728``.

Any error the handler did not expect becomes a ``500 InternalError`` Status
with a fixed message and a line in the ``kcourse.serve`` log, never a Python
representation of the exception.

It speaks HTTPS with a certificate of its own CA (``tls.py``), because
kubectl sends a kubeconfig's token only over TLS.  Requests are counted per
endpoint (verb and resource) in ``ServeHandle.requests``; the simulated API
server records them too, under the caller's name (``kubectl`` or
``kubernetes-python``, from the User-Agent), in ``cluster.api.recent_requests``
and ``request_counts`` beside the components' own.

How time moves: the simulated clock advances only when something runs the
cluster: the notebook's ``step()``/``run()``/``advance()``, or, with
``realtime=True``, a thread that runs it along with the wall clock
(``speed`` simulated seconds per second).  That thread survives whatever a
step raises (it logs it and goes on with the next tick); if steps keep failing
and the simulated clock stops moving for ``stall_after`` seconds, the server
records why and answers every request ``503 ServiceUnavailable`` with that
reason, rather than serving a cluster that silently stands still.  Without
``realtime``, a learner typing in a terminal sees a frozen cluster: ``kubectl
apply`` is stored at once, but ``kubectl rollout status`` waits until the
notebook runs the cluster.  The AGE columns are simulated time (the server
prints them); ages kubectl computes itself (``describe``'s event ages) use the
wall clock against the simulation's 2025 timestamps, so they read in hundreds
of days.

The kubeconfig is written 0600 (``kubeconfig.py``); a kubeconfig the server
wrote into a temporary directory of its own is removed with that directory
when the server stops, or at the latest when the interpreter exits.

Simplified: one token and no RBAC (its user is ``kubernetes-admin``, a
cluster admin, not in ``system:masters``, so max-in-flight applies to it as
to kubeadm's admin since v1.29); max-in-flight instead of API Priority and
Fairness; an unreachable control plane answers 503 instead of refusing the
connection; a malformed chunked body gets 400 (kube-apiserver answers 500
for a body it cannot read).
"""

from __future__ import annotations

import atexit
import hmac
import json
import logging
import secrets
import shutil
import ssl
import tempfile
import threading
import time
import weakref
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qsl, unquote, urlsplit

from kcourse.sim import discovery, errors, openapi
from kcourse.sim.discovery import VERSION_INFO
from kcourse.sim.errors import ApiError

from . import aggregated
from .httpserver import BodyError, Exchange, HttpServer, Limits
from .kubeconfig import write_kubeconfig
from .rest import Reply, Request, go_string_slice, handle_resource, parse_target
from .tls import certificates, server_context

if TYPE_CHECKING:
    from kcourse.sim.cluster import Cluster

__all__ = ["MAX_REQUEST_BODY_BYTES", "VERSION_INFO", "App", "ServeHandle", "serve", "user_of"]

log = logging.getLogger("kcourse.serve")


HEALTH_CHECKS = (
    "ping",
    "log",
    "etcd",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/bootstrap-controller",
)

#: kube-apiserver's ``--max-request-body-bytes`` default (``server/config.go``: 3 * 1024 * 1024).
MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024
#: ``BasicLongRunningRequestCheck``'s verbs and subresources (``cmd/kube-apiserver/app/server.go``).
LONG_RUNNING_VERBS = frozenset({"watch", "proxy"})
LONG_RUNNING_SUBRESOURCES = frozenset({"attach", "exec", "proxy", "log", "portforward"})
NON_MUTATING_VERBS = frozenset({"get", "list", "watch"})
TOO_MANY_REQUESTS = b"Too many requests, please try again later.\n"
INTERNAL_ERROR = (
    "Internal error occurred: the simulated API server failed while handling this request "
    "(the server log has the details)"
)


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

    cluster: Cluster
    token: str
    url: str = ""
    watch_timeout: float = 1800.0  # kube-apiserver's --min-request-timeout
    bookmark_interval: float = 60.0  # the watch cache sends a bookmark about once a minute
    follow_limit: float = 300.0  # how long ``logs -f`` streams at most
    max_requests_inflight: int = 400  # --max-requests-inflight
    max_mutating_requests_inflight: int = 200  # --max-mutating-requests-inflight
    max_request_body_bytes: int = MAX_REQUEST_BODY_BYTES
    stall_after: float = 5.0  # seconds of failing steps without simulated time passing before 503s
    stopping: threading.Event = field(default_factory=threading.Event)
    requests: Counter = field(default_factory=Counter)
    counts_lock: threading.Lock = field(default_factory=threading.Lock)
    inflight: Counter = field(default_factory=Counter)
    #: Why the simulated clock cannot move any more (then every request gets 503), or None.
    halted: str | None = None
    clock_failures: int = 0

    def client(self, req: Request) -> Any:
        return self.cluster.api.client(req.user)

    def count(self, verb: str, resource: str) -> None:
        with self.counts_lock:
            self.requests[(verb, resource)] += 1

    def authenticated(self, authorization: str | None) -> bool:
        """``Bearer <token>`` as ``bearertoken.go`` reads it, the token compared in constant time."""
        parts = (authorization or "").strip().split(" ")
        if len(parts) < 2 or parts[0].lower() != "bearer" or not parts[1]:
            return False
        return hmac.compare_digest(parts[1].encode("utf-8", "surrogateescape"), self.token.encode())

    @contextmanager
    def inflight_slot(self, mutating: bool) -> Any:
        """Take one of the in-flight seats (``maxinflight.go``); yields False when none is free."""
        kind = "mutating" if mutating else "readonly"
        limit = self.max_mutating_requests_inflight if mutating else self.max_requests_inflight
        with self.counts_lock:
            free = limit <= 0 or self.inflight[kind] < limit
            if free:
                self.inflight[kind] += 1
        try:
            yield free
        finally:
            if free:
                with self.counts_lock:
                    self.inflight[kind] -= 1


def _verb(method: str, query: dict[str, str], has_name: bool) -> str:
    if method == "GET":
        return "get" if has_name else ("watch" if query.get("watch") in ("true", "1") else "list")
    if method == "DELETE" and not has_name:
        return "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(
        method, method.lower()
    )


def _request_info(method: str, parts: list[str], query: dict[str, str]) -> tuple[str, bool]:
    """The verb and whether the request is long-running, as ``RequestInfoFactory`` and the check see it."""
    if parts[:1] == ["api"] and len(parts) >= 2:
        rest = parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        rest = parts[3:]
    else:
        return method.lower() if method != "HEAD" else "get", False
    if len(rest) >= 3 and rest[0] == "namespaces":
        rest = rest[2:]
    verb = _verb(method, query, len(rest) > 1)
    return verb, verb in LONG_RUNNING_VERBS or (len(rest) >= 3 and rest[2] in LONG_RUNNING_SUBRESOURCES)


def _status_body(e: ApiError) -> bytes:
    return json.dumps(e.status(), separators=(",", ":")).encode()


def handle(app: App, ex: Exchange) -> None:
    """One request through the filters and the handler; always answers."""
    method = ex.method
    split = urlsplit(ex.target)
    path = unquote(split.path, errors="replace") or "/"
    headers = ex.headers
    try:
        try:
            pairs = parse_qsl(split.query, keep_blank_values=True, errors="replace", max_num_fields=10000)
        except ValueError:
            raise ApiError(400, "BadRequest", "the request's query has more than 10000 parameters") from None
        query: dict[str, str] = {}
        for key, value in pairs:
            query.setdefault(key, value)  # Go's ``url.Values.Get``: the first value
        if not app.authenticated(headers.get("Authorization")):
            app.count(method.lower(), "(unauthenticated)")
            raise unauthorized()
        parts = [p for p in path.split("/") if p]
        verb, long_running = _request_info(method, parts, query)
        _check_dry_run(verb, [v for k, v in pairs if k == "dryRun"])
        if long_running:
            _serve_authenticated(app, ex, method, path, query)
            return
        with app.inflight_slot(verb not in NON_MUTATING_VERBS) as free:
            if not free:
                ex.send(
                    429,
                    TOO_MANY_REQUESTS,
                    "text/plain; charset=utf-8",
                    [("Retry-After", "1"), ("X-Content-Type-Options", "nosniff")],
                )
                return
            _serve_authenticated(app, ex, method, path, query)
    except ApiError as e:
        ex.send(e.code, _status_body(e), "application/json")


#: The options kind whose ``dryRun`` a write verb's query fills (``meta/v1``).
OPTIONS_OF = {
    "create": "CreateOptions",
    "update": "UpdateOptions",
    "patch": "PatchOptions",
    "delete": "DeleteOptions",
    "deletecollection": "DeleteOptions",
}


def _check_dry_run(verb: str, values: list[str]) -> None:
    """``ValidateDryRun``: every ``dryRun`` value must be ``All``
    (``apimachinery/.../meta/v1/validation``)."""
    kind = OPTIONS_OF.get(verb)
    if kind and any(v != "All" for v in values):
        detail = f'Unsupported value: {go_string_slice(values)}: supported values: "All"'
        raise ApiError(
            422,
            "Invalid",
            f'{kind}.meta.k8s.io "" is invalid: dryRun: {detail}',
            kind=kind,
            group="meta.k8s.io",
            causes=[errors.Cause("dryRun", detail, "FieldValueNotSupported")],
        )


def _serve_authenticated(app: App, ex: Exchange, method: str, path: str, query: dict[str, str]) -> None:
    headers = ex.headers
    try:
        if app.halted and path not in ("/healthz", "/livez", "/readyz"):
            raise ApiError(503, "ServiceUnavailable", app.halted)
        body = b""
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            body = ex.read_body(app.max_request_body_bytes)
        req = Request(
            method,
            query,
            headers.get("Accept") or "",
            headers.get("Content-Type") or "",
            body,
            user_of(headers.get("User-Agent") or ""),
            ex.client_alive,
        )
        reply = _route(app, method, path, req)
    except ApiError as e:
        reply = Reply(e.code, e.status())
    except BodyError as e:
        reply = Reply(*_body_error(e))
    except Exception:
        log.exception("internal error serving %s %s", method, path)
        reply = Reply(500, ApiError(500, "InternalError", INTERNAL_ERROR).status())
    _send(ex, reply)


def _body_error(e: BodyError) -> tuple[int, dict]:
    if e.kind == "too-large":
        return 413, ApiError(413, "RequestEntityTooLarge", f"Request entity too large: {e.message}").status()
    if e.kind == "timeout":
        return 504, ApiError(
            504, "Timeout", "request did not complete within requested timeout - context deadline exceeded"
        ).status()
    return 400, ApiError(400, "BadRequest", f"the request body could not be read: {e.message}").status()


def _send(ex: Exchange, reply: Reply) -> None:
    if isinstance(reply.body, (dict, list)):
        data = json.dumps(reply.body, separators=(",", ":")).encode()
    elif isinstance(reply.body, bytes):
        data = reply.body
    else:
        data = (reply.body or "").encode()
    headers = [("Cache-Control", "no-cache, private"), *reply.headers]
    if reply.stream is None:
        ex.send(reply.code, data, reply.content_type, headers)
    else:
        ex.send_stream(reply.code, reply.content_type, reply.stream, headers)


def _route(app: App, method: str, path: str, req: Request) -> Reply:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        app.count(method.lower(), path if len(path) <= 100 else path[:100] + "…")
        return _non_resource(app, method, path, req)
    if not rest:
        app.count(method.lower(), path)
        found = discovery.api_resource_list(group, version)
        if found is None or method != "GET":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return Reply(200, found)
    if (group, version) in discovery.EXTRA_GROUPS:
        plain = rest[2:] if rest[:1] == ["namespaces"] and len(rest) >= 3 else rest  # [resource, name?]
        app.count(_verb(method, req.query, len(plain) > 1), f"{plain[0] if plain else ''}.{group}")
        return aggregated.handle(app, req, group, rest)
    target = parse_target(group, version, rest)
    app.count(_verb(method, req.query, bool(target.name)), target.resource)
    if not app.cluster.reachable(None):
        raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
    return handle_resource(app, req, target)


def _non_resource(app: App, method: str, path: str, req: Request) -> Reply:
    if method != "GET":
        raise ApiError(
            405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
        )
    aggregated = discovery.AGGREGATED.split(";as=")[0] in req.accept.replace(" ", "")
    if path in ("/api", "/api/"):
        if aggregated:
            return Reply(200, discovery.aggregated(legacy=True), discovery.AGGREGATED)
        return Reply(200, discovery.api_versions(app.url.split("//")[1]))
    if path in ("/apis", "/apis/"):
        if aggregated:
            return Reply(200, discovery.aggregated(legacy=False), discovery.AGGREGATED)
        return Reply(200, discovery.api_group_list())
    if path in ("/version", "/version/"):  # go-restful serves the version WebService's "/" route at both
        return Reply(200, VERSION_INFO)
    if path in ("/healthz", "/livez", "/readyz"):
        failed = [] if app.cluster.reachable(None) else ["etcd"]
        if app.halted:
            failed.append("simulated-clock")
        if failed:
            lines = "".join(f"[-]{name} failed: reason withheld\n" for name in failed)
            return Reply(500, f"{lines}{path[1:]} check failed\n", "text/plain")
        if "verbose" in req.query:
            lines = "".join(f"[+]{c} ok\n" for c in HEALTH_CHECKS)
            return Reply(200, f"{lines}{path[1:]} check passed\n", "text/plain")
        return Reply(200, "ok", "text/plain")
    if path.startswith("/openapi/"):
        doc = openapi.document(path)
        if doc is not None:
            return Reply(200, doc)
    if path.startswith("/api"):
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
    return Reply(404, "404 page not found\n", "text/plain; charset=utf-8")


class ServeHandle:
    """A running server: ``url``, ``kubeconfig`` (a path), ``token``, ``requests`` and ``stop()``."""

    def __init__(
        self,
        app: App,
        httpd: HttpServer,
        kubeconfig: Path,
        threads: list[threading.Thread],
        private_dir: Path | None = None,
        ca: bytes = b"",
    ):
        self.app, self._httpd, self._threads = app, httpd, threads
        self.url = app.url
        self.token = app.token
        self.kubeconfig = kubeconfig
        self.ca = ca
        self._private_dir = private_dir

    @property
    def port(self) -> int:
        """The loopback port the API server listens on."""
        return int(self.url.rsplit(":", 1)[1])

    def client_context(self) -> ssl.SSLContext:
        """A TLS client context that trusts this server's CA, as kubectl trusts
        ``certificate-authority-data``."""
        return ssl.create_default_context(cadata=self.ca.decode())

    @property
    def requests(self) -> Counter:
        """Requests served so far, per (verb, resource) — ``("list", "pods")``,
        ``("create", "pods/eviction")``."""
        with self.app.counts_lock:
            return Counter(self.app.requests)

    @property
    def env(self) -> dict[str, str]:
        """Environment for a shell that should use this cluster (``KUBECONFIG``)."""
        return {"KUBECONFIG": str(self.kubeconfig)}

    @property
    def running(self) -> bool:
        return not self.app.stopping.is_set()

    @property
    def halted(self) -> str | None:
        """Why the real-time clock could not go on (then every request gets 503), or None."""
        return self.app.halted

    @property
    def connections(self) -> Any:
        """Open connections now: ``connections`` (all), ``parked`` (idle, held by no thread), ``busy``."""
        return self._httpd.stats

    @property
    def bytes_received(self) -> int:
        """Bytes read from clients so far (after TLS), headers and bodies."""
        return self._httpd.bytes_received

    def stop(self) -> None:
        """Stop serving: watches end, the port closes, a temporary kubeconfig is removed; the cluster
        stays."""
        if self.app.stopping.is_set():
            return
        self.app.stopping.set()
        self._httpd.stop()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=5)
        _remove_private(self._private_dir)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "serving" if self.running else "stopped"
        return f"<ServeHandle {state} {self.url} kubeconfig={self.kubeconfig}>"


_PRIVATE_DIRS: set[Path] = set()
_HANDLES: weakref.WeakSet[ServeHandle] = weakref.WeakSet()


def _remove_private(directory: Path | None) -> None:
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
        _PRIVATE_DIRS.discard(directory)


@atexit.register
def _at_exit() -> None:
    """Servers still running when Python exits stop, and their temporary kubeconfigs go with them."""
    for handle in list(_HANDLES):
        try:
            handle.stop()
        except Exception:  # best effort at exit
            log.debug("stopping a server at exit failed", exc_info=True)
    for directory in list(_PRIVATE_DIRS):
        _remove_private(directory)


def _run_in_real_time(cluster: Cluster, app: App, speed: float, tick: float = 0.02) -> None:
    """Advance the simulated clock with the wall clock, ``speed`` simulated seconds per second.

    A step that raises is logged and the next tick goes on (client-go's ``HandleCrash`` keeps a
    process alive the same way).  Only if steps keep failing while the simulated clock stands still
    for ``app.stall_after`` seconds does the thread give up, recording why in ``app.halted``.
    """
    last = time.monotonic()
    failing_since: float | None = None
    stuck_at = 0.0
    try:
        while not app.stopping.wait(tick):
            now = time.monotonic()
            try:
                with cluster.lock:
                    cluster.run(until=cluster.clock.now + (now - last) * speed)
                failing_since = None
            except Exception as e:
                app.clock_failures += 1
                sim_now = cluster.clock.now
                if failing_since is None or sim_now > stuck_at:
                    if failing_since is None:
                        log.exception(
                            "a step of the simulated cluster failed at t=%.3fs; the clock goes on", sim_now
                        )
                    failing_since, stuck_at = now, sim_now
                elif now - failing_since >= app.stall_after:
                    app.halted = (
                        f"the simulated cluster cannot advance its clock: every step since t="
                        f"{sim_now:.3f}s failed ({type(e).__name__} in a component); the server log "
                        "has the details"
                    )
                    log.error("%s", app.halted)
                    return
            last = now
    except BaseException as e:
        app.halted = app.halted or (
            f"the simulated clock thread stopped ({type(e).__name__}); the server log has the details"
        )
        raise


def serve(
    cluster: Cluster,
    port: int = 0,
    *,
    kubeconfig: str | Path | None = None,
    token: str | None = None,
    realtime: bool = False,
    speed: float = 1.0,
    watch_timeout: float = 1800.0,
    bookmark_interval: float = 60.0,
    limits: Limits | None = None,
    max_requests_inflight: int = 400,
    max_mutating_requests_inflight: int = 200,
) -> ServeHandle:
    """Serve ``cluster``'s API on ``127.0.0.1:port`` (0: any free port) and write a kubeconfig for it.

    ``realtime=True`` runs the simulation along with the wall clock (``speed`` simulated seconds per
    second) so waiting commands (``rollout status``, ``drain``, ``delete``) finish by themselves.
    ``limits`` (``httpserver.Limits``) and the in-flight bounds default to kube-apiserver's.
    """
    app = App(
        cluster,
        token or secrets.token_urlsafe(24),
        watch_timeout=watch_timeout,
        bookmark_interval=bookmark_interval,
        max_requests_inflight=max_requests_inflight,
        max_mutating_requests_inflight=max_mutating_requests_inflight,
    )
    certs = certificates()
    private_dir = None
    if kubeconfig:
        path = Path(kubeconfig)
    else:
        private_dir = Path(tempfile.mkdtemp(prefix="kcourse-serve-"))
        _PRIVATE_DIRS.add(private_dir)
        path = private_dir / "kubeconfig"
    httpd = HttpServer(
        server_context(certs),
        lambda ex: handle(app, ex),
        port=port,
        limits=limits,
        name=f"kcourse-serve-{port}",
    )
    app.url = f"https://127.0.0.1:{httpd.address[1]}"
    try:
        write_kubeconfig(path, cluster.name, app.url, app.token, certs.ca)
    except Exception:
        httpd.stop()
        _remove_private(private_dir)
        raise
    threads: list[threading.Thread] = []
    if realtime:
        threads.append(
            threading.Thread(
                target=_run_in_real_time, args=(cluster, app, speed), name="kcourse-realtime", daemon=True
            )
        )
    httpd.start()
    for t in threads:
        t.start()
    # Deriving the OpenAPI schemas takes a few seconds: do it now, not in the learner's first kubectl apply.
    threading.Thread(target=openapi.component_schemas, name="kcourse-openapi", daemon=True).start()
    handle_ = ServeHandle(app, httpd, path, threads, private_dir, certs.ca)
    _HANDLES.add(handle_)
    return handle_
