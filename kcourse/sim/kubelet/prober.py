"""The prober: startup, liveness and readiness probes of running containers.

As upstream's ``pkg/kubelet/prober`` (``prober_manager.go``, ``worker.go``,
``prober.go``), each probe of a running container is a worker that runs
every ``periodSeconds`` once ``initialDelaySeconds`` have passed, counts
consecutive results against ``successThreshold`` and ``failureThreshold``,
and acts:

* a **startup** probe holds the other two back until it succeeds; failing
  past its threshold restarts the container;
* a **liveness** probe failing past its threshold kills the container
  (``Killing``: "Container x failed liveness probe, will be restarted"),
  which then restarts per ``restartPolicy``;
* a **readiness** probe decides the container's ``ready`` and so the Pod's
  Ready condition (and, through the endpoints controllers, its Service
  endpoints).

Every failed run is a ``Warning Unhealthy`` event ("Liveness probe failed:
…").  A run asks the container's program what it serves
(:class:`~kcourse.sim.registry.Endpoint`), as the real prober asks the
network:

* ``httpGet`` (``pkg/probe/http``): a port nobody listens on is ``Get
  "http://10.244.1.5:8080/": dial tcp 10.244.1.5:8080: connect: connection
  refused``; a status of 200–399 passes, another is "HTTP probe failed with
  statuscode: 404"; an answer slower than ``timeoutSeconds`` is "context
  deadline exceeded (Client.Timeout exceeded while awaiting headers)";
* ``tcpSocket`` (``pkg/probe/tcp``): a listening port passes; else ``dial
  tcp …: connect: connection refused``;
* ``grpc`` (``pkg/probe/grpc``): the gRPC health service answers SERVING,
  NOT_SERVING, or nobody answers within ``timeoutSeconds``;
* ``exec`` (``pkg/probe/exec``): the command runs in the container through
  CRI ``ExecSync``; exit code 0 passes, else the output is the message.

Runs that change nothing leave no trace line.

Simplified: the first run comes ``initialDelaySeconds`` after the container
started (upstream's ticker starts with the worker, at a random offset), and
a probe with none runs right away; ``set_unhealthy`` makes a program answer
every HTTP request with 500, its exec commands still succeed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..component import Event
from ..cri import CriError
from ..registry import Endpoint
from .container import ContainerRecord, PodRecord, Running

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["PROBE_NAMES", "ProberManager"]

#: The probe kinds, in the order a container's workers start, and the word events use for each.
PROBE_NAMES = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


def _resolve_port(port: Any, container: dict) -> int:
    """``ResolveContainerPort``: a number, or the name of one of the container's ports."""
    if isinstance(port, int) and not isinstance(port, bool):
        return port
    if isinstance(port, str) and port.isdigit():
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p.get("containerPort", 0))
    raise LookupError(f"port {port} not found")


class ProberManager:
    """Runs the probe workers of the kubelet's containers and acts on their results."""

    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet

    def add_container(self, p: PodRecord, c: ContainerRecord) -> None:
        """The container started: start a worker for each probe it declares."""
        for kind in PROBE_NAMES:
            probe = c.spec.get(kind)
            if probe:
                delay = probe.get("initialDelaySeconds", 0) or probe.get("periodSeconds", 10) * 0
                first = kind in ("startupProbe", "readinessProbe")
                c.timers.append(
                    self.kubelet.after(delay or 0.001, self._worker(p, c, kind, c.cid), background=not first)
                )

    def _worker(self, p: PodRecord, c: ContainerRecord, kind: str, cid: str) -> Callable[[], Event | None]:
        return lambda: self.probe(p, c, kind, cid)

    def probe(self, p: PodRecord, c: ContainerRecord, kind: str, cid: str) -> Event | None:
        """One probe run; its effect is real (Ready condition, restarts); quiet when nothing changes."""
        kl = self.kubelet
        if c.cid != cid or c.state != "running" or p.terminating:
            return None
        probe = c.spec[kind]
        period = probe.get("periodSeconds", 10)
        c.timers = [t for t in c.timers if not t.cancelled]
        if kind != "startupProbe" and not c.started:
            c.timers.append(kl.after(period, self._worker(p, c, kind, cid), background=True))
            return None
        if kind == "startupProbe" and c.started:
            return None
        name = PROBE_NAMES[kind]
        ok, output, errored = self.run(p, c, kind, probe)
        ev: Event | None = None
        fails, oks = c.probe_counts()
        if ok:
            fails[kind] = 0
            oks[kind] = oks.get(kind, 0) + 1
            if oks[kind] >= probe.get("successThreshold", 1):
                if kind == "startupProbe":
                    c.started = True
                    kl.status_manager.mark(p)
                    for other in ("livenessProbe", "readinessProbe"):
                        if c.spec.get(other):
                            c.timers.append(
                                kl.after(
                                    0.001, self._worker(p, c, other, cid), background=other == "livenessProbe"
                                )
                            )
                    ev = kl.event(
                        p.key, f"{name} probe of {c.name} succeeded: container started", verb="probe"
                    )
                elif kind == "readinessProbe" and not c.ready:
                    c.ready = True
                    kl.status_manager.mark(p)
                    ev = kl.event(p.key, f"{name} probe of {c.name} succeeded: ready", verb="probe")
        else:
            oks[kind] = 0
            fails[kind] = fails.get(kind, 0) + 1
            verb = "errored" if errored else "failed"
            kl.record(p, "Warning", "Unhealthy", f"{name} probe {verb}: {output}", c)
            threshold = probe.get("failureThreshold", 3)
            # Count up to the threshold (what it takes to act); past it, a readiness probe just keeps failing.
            count = f" ({fails[kind]}/{threshold})" if fails[kind] <= threshold else ""
            msg = f"{name} probe of {c.name} failed{count}"
            if kind == "readinessProbe" and c.ready and fails[kind] >= threshold:
                c.ready = False
                kl.status_manager.mark(p)
                msg += ": not ready"
            if kind in ("livenessProbe", "startupProbe") and fails[kind] >= threshold:
                kl.record(
                    p,
                    "Normal",
                    "Killing",
                    f"Container {c.name} failed {name.lower()} probe, will be restarted",
                    c,
                )
                c.stopping = True
                kl.kick(p)
                return kl.event(p.key, msg + ": killing the container", verb="probe")
            ev = kl.event(p.key, msg, verb="probe")
        c.timers.append(kl.after(period, self._worker(p, c, kind, cid), background=True))
        return ev

    # --- one run ---------------------------------------------------------------------------------

    def run(self, p: PodRecord, c: ContainerRecord, kind: str, probe: dict) -> tuple[bool, str, bool]:
        """``runProbe``: (passed, output, errored) — errored when the probe itself was wrong (a port name)."""
        program = c.program
        healthy = not c.unhealthy and _ask(program, "healthy")
        if kind == "readinessProbe":
            healthy = healthy and not c.unready
        ready = _ask(program, "ready")
        timeout = float(probe.get("timeoutSeconds", 1))
        running_for = self.kubelet.clock.now - (
            c.current.started_at if isinstance(c.current, Running) else 0.0
        )
        endpoints: tuple[Endpoint, ...] = tuple(getattr(program, "serves", ()) or ())
        try:
            if "exec" in probe:
                if not healthy:
                    return False, "", False
                return self._exec(c, probe["exec"].get("command") or [], timeout, running_for)
            action = probe.get("httpGet") or probe.get("tcpSocket") or probe.get("grpc") or {}
            port = _resolve_port(action.get("port"), c.spec)
        except LookupError as err:
            return False, str(err), True
        host = action.get("host") or p.ip
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        listening = [e for e in endpoints if e.port == port and e.protocol != "UDP"]
        if "httpGet" in probe:
            scheme = str(action.get("scheme") or "HTTP").upper()
            path = action.get("path") or "/"
            url = f"{scheme.lower()}://{address}{path if path.startswith('/') else '/' + path}"
            if not listening:
                return False, f'Get "{url}": dial tcp {address}: connect: connection refused', False
            ep = listening[0]
            if not ep.speaks_http:
                return False, f'Get "{url}": {ep.http_error}', False
            if ep.protocol == "HTTP" and scheme == "HTTPS":
                return False, f'Get "{url}": http: server gave HTTP response to HTTPS client', False
            if ep.latency >= timeout:
                return (
                    False,
                    (
                        f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting '
                        "headers)"
                    ),
                    False,
                )
            code = (
                400
                if ep.protocol == "HTTPS" and scheme == "HTTP"
                else ep.status(path, running_for, healthy, ready)
            )
            if 200 <= code < 400:
                return True, "", False
            return False, f"HTTP probe failed with statuscode: {code}", False
        if "tcpSocket" in probe:
            if listening:
                return True, "", False
            return False, f"dial tcp {address}: connect: connection refused", False
        grpc = [e for e in listening if e.protocol == "GRPC"]
        seconds = f"{timeout:g}s"
        if not grpc:
            return (
                False,
                (
                    f'timeout: failed to connect service "{address}" within {seconds}: context deadline '
                    "exceeded"
                ),
                False,
            )
        if grpc[0].latency >= timeout:
            return False, f"timeout: health rpc did not complete within {seconds}", False
        if not healthy or (kind == "readinessProbe" and not ready):
            return False, 'service unhealthy (responded with "NOT_SERVING")', False
        return True, "", False

    def _exec(
        self, c: ContainerRecord, command: list, timeout: float, running_for: float
    ) -> tuple[bool, str, bool]:
        """An exec probe: the command runs in the container through CRI ExecSync."""
        program = c.program
        answer = getattr(program, "exec", None)
        argv = [str(a) for a in command]

        def run(cmd: list[str]) -> tuple[int, str]:
            return answer(cmd, running_for) if callable(answer) else (0, "")

        try:
            resp = self.kubelet.cri.runtime_service.ExecSync(c.cid, argv, int(timeout), run)
        except CriError as err:
            return False, str(err), True
        output = resp.stdout.decode()
        return resp.exit_code == 0, output.rstrip("\n"), False


def _ask(program: object, what: str) -> bool:
    """The program's own answer (``healthy()``/``ready()``), true for a program that has none."""
    method = getattr(program, what, None)
    return bool(method()) if callable(method) else True
