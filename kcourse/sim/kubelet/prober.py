"""The prober: startup, liveness and readiness probes of running containers.

As upstream's ``pkg/kubelet/prober`` (``prober_manager.go``, ``worker.go``),
each probe of a running container is a worker that runs every
``periodSeconds`` after ``initialDelaySeconds``, counts consecutive
results against ``successThreshold`` and ``failureThreshold``, and acts:

* a **startup** probe holds the other two back until it succeeds; failing
  past its threshold restarts the container;
* a **liveness** probe failing past its threshold kills the container
  (``Killing``: "Container x failed liveness probe, will be restarted"),
  which then restarts per ``restartPolicy``;
* a **readiness** probe decides the container's ``ready`` and so the Pod's
  Ready condition (and, through the endpoints controllers, its Service
  endpoints).

Every failed run is a ``Warning Unhealthy`` event; runs that change nothing
leave no trace line.

Simplified: the probe's answer comes from the container's program
(``healthy()``/``ready()``) or from what a learner set with
``set_unhealthy``; a failing httpGet reads "statuscode: 500" whatever the
path or port; ``timeoutSeconds`` is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..component import Event
from .container import ContainerRecord, PodRecord

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["PROBE_NAMES", "ProberManager"]

#: The probe kinds, in the order a container's workers start, and the word events use for each.
PROBE_NAMES = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}


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
                c.timers.append(self.kubelet.after(delay or 0.001, self._worker(p, c, kind, c.cid),
                                                   background=not first))

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
        ok = self._passes(c, kind)
        name = PROBE_NAMES[kind]
        ev: Event | None = None
        if ok:
            c.fails[kind] = 0
            c.oks[kind] = c.oks.get(kind, 0) + 1
            if c.oks[kind] >= probe.get("successThreshold", 1):
                if kind == "startupProbe":
                    c.started = True
                    kl.status_manager.mark(p)
                    for other in ("livenessProbe", "readinessProbe"):
                        if c.spec.get(other):
                            c.timers.append(kl.after(0.001, self._worker(p, c, other, cid),
                                                     background=other == "livenessProbe"))
                    ev = kl.event(p.key, f"{name} probe of {c.name} succeeded: container started", verb="probe")
                elif kind == "readinessProbe" and not c.ready:
                    c.ready = True
                    kl.status_manager.mark(p)
                    ev = kl.event(p.key, f"{name} probe of {c.name} succeeded: ready", verb="probe")
        else:
            c.oks[kind] = 0
            c.fails[kind] = c.fails.get(kind, 0) + 1
            kl.record(p, "Warning", "Unhealthy", f"{name} probe failed: {self._failure(p, probe)}", c)
            threshold = probe.get("failureThreshold", 3)
            # Count up to the threshold (what it takes to act); past it, a readiness probe just keeps failing.
            count = f" ({c.fails[kind]}/{threshold})" if c.fails[kind] <= threshold else ""
            msg = f"{name} probe of {c.name} failed{count}"
            if kind == "readinessProbe" and c.ready and c.fails[kind] >= threshold:
                c.ready = False
                kl.status_manager.mark(p)
                msg += ": not ready"
            if kind in ("livenessProbe", "startupProbe") and c.fails[kind] >= threshold:
                kl.record(p, "Normal", "Killing", f"Container {c.name} failed {name.lower()} probe, will be "
                                                  "restarted", c)
                c.stopping = True
                kl.kick(p)
                return kl.event(p.key, msg + ": killing the container", verb="probe")
            ev = kl.event(p.key, msg, verb="probe")
        c.timers.append(kl.after(period, self._worker(p, c, kind, cid), background=True))
        return ev

    @staticmethod
    def _passes(c: ContainerRecord, kind: str) -> bool:
        program = c.program
        if kind == "readinessProbe":
            if c.unready:
                return False
            ready = getattr(program, "ready", None)
            return bool(ready()) if callable(ready) else True
        if c.unhealthy:
            return False
        healthy = getattr(program, "healthy", None)
        return bool(healthy()) if callable(healthy) else True

    @staticmethod
    def _failure(p: PodRecord, probe: dict) -> str:
        if "httpGet" in probe:
            return "HTTP probe failed with statuscode: 500"
        if "tcpSocket" in probe:
            return f"dial tcp {p.ip}:{probe['tcpSocket'].get('port')}: connect: connection refused"
        if "grpc" in probe:
            return f'timeout: failed to connect service ":{probe["grpc"].get("port")}" within 1s'
        return ""
