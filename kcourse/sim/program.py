"""What kube-proxy and the addons share: a program running inside a container.

A container's image picks the program the simulation runs in it
(``cluster.programs[repository] = factory``).  The kubelet calls the
factory with a context — ``cluster``, ``node``, ``pod``, ``container`` and a
``log(line)`` function writing to the container's log — and then
``start()``/``stop()``.  So these programs live and die with their Pod: a
failed node takes its CoreDNS replica, its kube-proxy and its log shipper
with it.

Each program is a client of the API server like any component, with its own
informers.  Its watches break when its node is cut off from the API server:
the informer notices on the next event it would have received, drops it and
retries every few seconds, resuming from its last resourceVersion (or
relisting after 410 Gone), just as client-go's reflector does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .apiserver import Unreachable
from .component import Component, Event
from .informer import Informer, SharedInformerFactory

if TYPE_CHECKING:
    from .apiserver import Client

__all__ = ["ContainerProgram", "GuardedInformer", "context_value"]


def context_value(ctx: Any, name: str, default: Any = None) -> Any:
    """Read one field of the kubelet's program context (an object or a mapping)."""
    if isinstance(ctx, dict):
        return ctx.get(name, default)
    return getattr(ctx, name, default)


class GuardedInformer(Informer):
    """An informer whose watch breaks when its node can no longer reach the API server."""

    def __init__(self, client: Client, resource: str, on_lost: Callable[[], None], **kw: Any):
        super().__init__(client, resource, **kw)
        self._on_lost = on_lost

    def _on_event(self, etype: str, obj: dict) -> None:
        if not self.client.server.reachable(self.client.node):
            self._on_lost()
            return
        super()._on_event(etype, obj)


class _GuardedFactory(SharedInformerFactory):
    def __init__(self, client: Client, on_lost: Callable[[], None]):
        super().__init__(client)
        self._on_lost = on_lost

    def informer(self, resource: str) -> Informer:
        if resource not in self.informers:
            self.informers[resource] = GuardedInformer(self.client, resource, self._on_lost)
        return self.informers[resource]


class ContainerProgram(Component):
    """Base of a program run by a container: informers, reconnects, a log, start/stop with the Pod."""

    program_name = "program"
    resources: tuple[str, ...] = ()
    #: How often a broken watch is retried (client-go backs off from 800 ms; a few seconds here).
    retry_period = 5.0

    def __init__(self, ctx: Any):
        cluster = context_value(ctx, "cluster")
        node = context_value(ctx, "node")
        super().__init__(cluster, self.program_name, node)
        self.ctx = ctx
        self.pod: dict | None = context_value(ctx, "pod")
        self.container: Any = context_value(ctx, "container")
        self._log: Callable[[str], None] | None = context_value(ctx, "log")
        self.informers = _GuardedFactory(self.client, self._lost)
        self.connected = False
        self._retrying = False
        self.setup()

    # --- for subclasses ------------------------------------------------------------------------

    def setup(self) -> None:
        """Create informers and register handlers (called once, before start)."""

    def on_synced(self) -> None:
        """The informers have listed: the program can do its work."""

    def on_stop(self, machine_off: bool) -> None:
        """The container stopped (``machine_off``: because the whole machine powered off)."""

    def log(self, line: str) -> None:
        if self._log is not None:
            self._log(line)

    @property
    def pod_key(self) -> str:
        md = (self.pod or {}).get("metadata") or {}
        return f"{md.get('namespace', '')}/{md.get('name', '')}"

    @property
    def pod_ip(self) -> str | None:
        """The Pod's IP: the CNI's allocation, or the node's own for a host-network Pod."""
        if self.pod and (self.pod.get("spec") or {}).get("hostNetwork"):
            return self.cluster.network.node_ip(self.node)
        ip = self.cluster.network.pod_ips.get(self.pod_key)
        return ip or ((self.pod or {}).get("status") or {}).get("podIP")

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        self._connect()

    def stop(self) -> None:
        if not self.running:
            return
        machine = self.cluster.machines.get(self.node)
        self.informers.stop()
        self.connected = False
        super().stop()
        self.on_stop(machine is not None and not machine.powered)

    def _connect(self) -> Event | None:
        self._retrying = False
        if not self.running:
            return None
        try:
            if any(i.has_synced for i in self.informers.informers.values()):
                for name in sorted(self.informers.informers):
                    self.informers.informers[name].reconnect()
            else:
                self.informers.start()
        except Unreachable:
            self._lost()
            return None
        was = self.connected
        self.connected = True
        if not was:
            self.on_synced()
        return None

    def _lost(self) -> None:
        """The watch broke: drop it and retry later (the caches stay, stale)."""
        self.informers.disconnect()
        self.connected = False
        if not self._retrying and self.running:
            self._retrying = True
            self.after(self.retry_period, self._connect, background=True, trace_name=self.program_name)

    def disconnect(self) -> None:
        self._lost()

    def reconnect(self) -> None:
        if self.running and not self.connected:
            self._connect()

    def ready(self) -> bool:
        """Would the container's readiness probe pass?  (Synced with the API server at least once.)"""
        return self.running and any(i.has_synced for i in self.informers.informers.values()) \
            if self.resources else self.running
