"""The host: what a component receives from the cluster it runs in, instead of the cluster.

sample-controller's ``NewController(kubeclientset, …, fooInformer)`` takes exactly what it
uses, and a simpy process holds only its ``env``.  A simulated component is the same: it is
built with a :class:`Host`, the few services the machine it runs on and the cluster around
it give every process, and nothing else:

* **the clock and timers** — ``clock`` to read the simulated time, and ``schedule`` as the
  one way to put work on it (``Component.after`` is ``schedule`` for the component itself);
* **an API client** — ``client(user, node)``, as a process builds its clientset from a
  kubeconfig: every request goes through the API server, never around it;
* **the trace** — ``make_event`` turns what an action did into one line of the event log,
  with the API requests it made; ``report_failure`` puts a failure outside any action there;
* **a seeded random source** — ``rng``, the cluster's one ``random.Random``;
* **the network** — ``network`` (addresses, routes, iptables tables) and whether a machine
  is up (``machine_up``) or can reach an API server (``reachable``).

:class:`kcourse.sim.cluster.Cluster` satisfies it; a test may pass anything else that does.
A component never imports the cluster, so the simulation's import graph points one way:
the cluster wires components, components know only this interface.

Simplified: one host for every process of a cluster (a real node's processes each have
their own kubeconfig and kernel view); ``network`` is the cluster-wide model, not one
node's namespace.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from .clock import Clock, Timer
from .trace import Event
from .workqueue import ItemExponentialFailureRateLimiter

if TYPE_CHECKING:
    from .apiserver import Client
    from .network import Network

__all__ = ["Host", "Process", "Work"]

#: One piece of a process's work: it runs on the clock and returns the Event it made, if any.
Work = Callable[[], Event | None]


class Process(Protocol):
    """What the host needs to know of a process whose work it schedules."""

    @property
    def name(self) -> str: ...

    @property
    def node(self) -> str: ...

    @property
    def running(self) -> bool: ...

    @property
    def crash_backoff(self) -> ItemExponentialFailureRateLimiter: ...

    def after(
        self, delay: float, work: Work, *, background: bool = False, trace_name: str | None = None
    ) -> Timer: ...


class Host(Protocol):
    """The services a component receives from the cluster it runs in (see the module docstring)."""

    @property
    def name(self) -> str:
        """The cluster's name (what a cloud prefixes its resources with, the CA's subject)."""
        ...

    @property
    def seed(self) -> int:
        """The seed of ``rng``: what derived, reproducible values (the cluster CA) are computed from."""
        ...

    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def network(self) -> Network: ...

    @property
    def strict(self) -> bool:
        """Re-raise a component's failure instead of reporting it and carrying on (tests set it)."""
        ...

    def client(self, user: str, node: str | None = None) -> Client:
        """An API client acting as ``user`` from ``node`` (None: from outside every node)."""
        ...

    def schedule(
        self,
        component: Process,
        delay: float,
        work: Work,
        *,
        background: bool = False,
        trace_name: str | None = None,
        when_stopped: bool = False,
        priority: int = 0,
    ) -> Timer:
        """Run ``work`` for ``component`` ``delay`` simulated seconds from now: the one way to schedule work.

        ``background`` work is periodic (heartbeats, resyncs) and does not keep the cluster
        from being stable; ``trace_name`` names the acting component on the trace when it
        is not ``component.name``; ``when_stopped`` work runs even after the process stopped;
        work due at the same millisecond runs lowest ``priority`` first (a work queue's delayed
        add, -1, comes before the worker it wakes), then in the order it was scheduled.
        """
        ...

    def make_event(self, component: str, node: str, key: str, message: str, verb: str | None = None) -> Event:
        """The trace line for the current action, with the API requests it made."""
        ...

    def report_failure(self, component: str, node: str | None, key: str, where: str, err: Exception) -> None:
        """A failure outside any action of ``component``: a warning line on the trace (strict: re-raised)."""
        ...

    def reachable(self, node: str | None) -> bool:
        """Can a process on ``node`` (None: a user's kubectl) reach a running API server?"""
        ...

    def machine_up(self, node: str) -> bool:
        """Is the machine powered and on the network (a partition cuts it off from every other)?"""
        ...

    def powered(self, node: str) -> bool:
        """Is the machine named ``node`` powered on (partitioned or not)?"""
        ...

    def timestamp(self) -> str:
        """The simulated time as an RFC 3339 timestamp, as objects carry it."""
        ...
