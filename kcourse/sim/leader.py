"""Leader election through a Lease, as client-go's ``leaderelection`` package.

With several control plane nodes, each runs a kube-scheduler, a
kube-controller-manager and a cloud-controller-manager, but only one of
each may act: two schedulers binding the same pod would fight.  Each
candidate tries to hold a Lease object (``kube-system/kube-scheduler`` …):
the holder renews it every ``retry_period`` seconds; the others retry
every ``retry_period`` and may take it over only once ``lease_duration``
seconds have passed since *they last saw the record change* — measured on
their own clock, never against the holder's ``renewTime`` (client-go's
``observedTime``, which makes it tolerant to clock skew) — so when the
leader's machine dies, another candidate leads 15 to 19 seconds after the
last renewal (up to one retry period to see it, the lease, then up to one
retry period until the next try).

Defaults are the components' real ones: lease 15 s, renew deadline 10 s,
retry period 2 s.  Writes use the Lease's resourceVersion, so two
candidates racing for an expired lease cannot both win (one gets 409).

:class:`LeaderElected` is the glue every such process shares, written once: it builds the
process's state, campaigns for the Lease when the process starts, runs the process's loops
(``lead``) while it holds the Lease, and stops them (``follow``) when it loses it or dies —
after which the next term starts from freshly built state, as the real process exits and is
restarted by its supervisor (``leaderelection.RunOrDie`` with ``ReleaseOnCancel`` off).

Simplified: the retry period has no jitter (client-go's ``JitterUntil``
waits up to 2.2 × longer); the leader always renews by GET then UPDATE
(no optimistic fast path).
"""

from __future__ import annotations

from collections.abc import Callable

from .apiserver import Unreachable
from .component import Component, Event
from .errors import ApiError
from .host import Host
from .objects import deep_copy, micro_timestamp, parse_timestamp

__all__ = ["LeaderElected", "LeaderElector"]


class LeaderElector:
    """Acquire and renew one Lease on behalf of a component."""

    def __init__(
        self,
        component: Component,
        lease_name: str,
        *,
        on_started_leading: Callable[[], None],
        on_stopped_leading: Callable[[], None],
        namespace: str = "kube-system",
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
    ):
        self.component = component
        self.lease_name = lease_name
        self.namespace = namespace
        self.identity = f"{component.node}_{component.name}"
        self.on_started_leading = on_started_leading
        self.on_stopped_leading = on_stopped_leading
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.is_leader = False
        self.last_renew = -1.0
        self.transitions = 0
        #: The Lease spec as this candidate last saw it change, and when (on its own clock).
        self.observed_spec: dict | None = None
        self.observed_time = -1.0
        #: The Lease as this candidate last wrote it (the subject of its LeaderElection events).
        self.lease: dict | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.lease_name}"

    def start(self) -> None:
        self.observed_spec, self.observed_time = None, -1.0  # a new process has seen nothing yet
        self.component.after(0, self._try, trace_name=self.component.name)

    def stop(self) -> None:
        """The process died: it simply stops renewing (the lease expires on its own)."""
        self.is_leader = False

    def _try(self) -> Event | None:
        acquired = self._try_acquire_or_renew()
        now = self.component.clock.now
        if acquired:
            self.last_renew = now
            self.component.after(self.retry_period, self._try, background=True)
            if not self.is_leader:
                self.is_leader = True
                self.on_started_leading()
                self._record_event("became leader")
                return self.component.event(self.key, f"{self.identity} became leader", verb="lead")
            return self.component.event(self.key, f"{self.identity} renewed the lease", verb="renew")
        if self.is_leader and now - self.last_renew >= self.renew_deadline:
            self.is_leader = False
            self.on_stopped_leading()
            self._record_event("stopped leading")
            self.component.after(self.retry_period, self._try, background=True)
            return self.component.event(
                self.key,
                f"{self.identity} lost the lease (could not renew within {self.renew_deadline:g}s)",
                verb="lead",
            )
        expiry = self._expiry()
        holder = self._holder()
        if expiry is not None and expiry > now and self._holder_gone():
            # The holder stopped renewing: its lease runs out at ``expiry``, a pending change (foreground).
            self.component.after(self.retry_period, self._try)
            return self.component.event(
                self.key, f"lease held by {holder}, not renewed; it expires at {expiry:.3f}s", verb="wait"
            )
        self.component.after(self.retry_period, self._try, background=True)
        return self.component.event(
            self.key, f"lease held by {holder}; {self.identity} stays a candidate", verb="wait"
        )

    def _record_event(self, what: str) -> None:
        """``LeaseLock.RecordEvent``: a ``LeaderElection`` Event on the Lease, "<identity> <what>"."""
        if self.lease is not None:
            self.component.client.event(self.lease, "Normal", "LeaderElection", f"{self.identity} {what}")

    def _holder(self) -> str:
        lease = self.component.client.server.peek("leases", self.lease_name, self.namespace)
        return (lease or {}).get("spec", {}).get("holderIdentity") or "nobody"

    def _holder_gone(self) -> bool:
        """True when the holder's renewals have stopped (its lease is running out)."""
        lease = self.component.client.server.peek("leases", self.lease_name, self.namespace)
        if lease is None:
            return False
        renew = lease["spec"].get("renewTime")
        return renew is not None and self.component.clock.now - parse_timestamp(renew) > self.retry_period * 2

    def _expiry(self) -> float | None:
        """When another holder's lease runs out for this candidate: its last observed change + the
        duration."""
        spec = self.observed_spec
        if spec is None or spec.get("holderIdentity") in (None, "", self.identity):
            return None
        return self.observed_time + spec.get("leaseDurationSeconds", self.lease_duration)

    def _observe(self, spec: dict) -> None:
        """``setObservedRecord``: remember the record and when this candidate saw it."""
        self.observed_spec = deep_copy(spec)
        self.observed_time = self.component.clock.now

    def _try_acquire_or_renew(self) -> bool:
        client = self.component.client
        now = self.component.clock.now
        stamp = micro_timestamp(now)
        try:
            try:
                lease = client.get("leases", self.lease_name, self.namespace)
            except ApiError as e:
                if e.code != 404:
                    return False
                created = client.create(
                    {
                        "apiVersion": "coordination.k8s.io/v1",
                        "kind": "Lease",
                        "metadata": {"name": self.lease_name, "namespace": self.namespace},
                        "spec": {
                            "holderIdentity": self.identity,
                            "leaseDurationSeconds": int(self.lease_duration),
                            "acquireTime": stamp,
                            "renewTime": stamp,
                            "leaseTransitions": 0,
                        },
                    }
                )
                self.lease = created
                self._observe(created["spec"])
                return True
            spec = lease["spec"]
            holder = spec.get("holderIdentity")
            if spec != self.observed_spec:
                self._observe(spec)
            expiry = self._expiry()
            if holder and expiry is not None and expiry > now:  # held by another, not yet expired for us
                return False
            new = deep_copy(lease)
            nspec = new["spec"]
            if holder != self.identity:
                nspec["holderIdentity"] = self.identity
                nspec["acquireTime"] = stamp
                nspec["leaseTransitions"] = spec.get("leaseTransitions", 0) + 1
                self.transitions += 1
            nspec["renewTime"] = stamp
            nspec["leaseDurationSeconds"] = int(self.lease_duration)
            self.lease = client.update(new)
            self._observe(self.lease["spec"])
            return True
        except (ApiError, Unreachable):
            return False


class LeaderElected(Component):
    """A control plane process that acts only while it holds its Lease (kube-scheduler, the controller
    managers).

    Subclasses write three methods: ``build`` (fresh state: informers, queues, controllers),
    ``lead`` (start the loops once the Lease is held) and ``follow`` (stop them).  The Lease
    is named after the process unless ``lease_name`` says otherwise.
    """

    def __init__(self, host: Host, name: str, node: str, *, lease_name: str | None = None):
        super().__init__(host, name, node)
        self._stale = False
        self.build()
        self.elector = LeaderElector(
            self,
            lease_name or name,
            on_started_leading=self._started_leading,
            on_stopped_leading=self._stopped_leading,
        )

    @property
    def is_leader(self) -> bool:
        return self.elector.is_leader

    def build(self) -> None:
        """Build the state a newly started process has (informers, caches, queues)."""
        raise NotImplementedError

    def lead(self) -> None:
        """Became leader: start the process's loops."""
        raise NotImplementedError

    def follow(self) -> None:
        """Lost the Lease or died: stop the loops (the next term rebuilds everything)."""
        raise NotImplementedError

    def start(self) -> None:
        super().start()
        self.elector.start()

    def stop(self) -> None:
        self._stopped_leading()
        self.elector.stop()
        super().stop()

    def _started_leading(self) -> None:
        if self._stale:
            self.build()
            self._stale = False
        self.lead()

    def _stopped_leading(self) -> None:
        self.follow()
        self._stale = True
