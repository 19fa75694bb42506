"""What every simulated process shares: a name, a host node, an API client, the clock.

A component is built with a :class:`~kcourse.sim.host.Host` — the clock and timers, an API
client, the trace, the seeded random source and the network — never with the cluster
itself.  ``Event`` and the trace's layout live in :mod:`kcourse.sim.trace` and are
re-exported here.

Components never sleep and never call each other: they schedule their next
piece of work on the cluster's clock and talk to the rest of the cluster
only through the API server.  Each piece of work that does something a
learner should see returns an :class:`Event` — one line of the trace.

A component never dies of what it is given: an action that raises is
reported on the trace and run again after a back-off (the cluster's
event loop does this for every component, see ``Cluster._run_action``),
as client-go's ``HandleCrash`` and ``wait.Until`` keep a Go loop alive.
"""

from __future__ import annotations

from collections.abc import Callable

from .clock import Timer
from .host import Host, Work
from .trace import TRACE_WIDTH, Event, trace_lines
from .workqueue import ItemExponentialFailureRateLimiter

__all__ = ["TRACE_WIDTH", "Component", "Event", "action_key", "describe_error", "trace_lines"]


def action_key(work: Callable[..., object]) -> object:
    """What identifies "the same action" across runs: a bound method, or the code a closure runs.

    A periodic action reschedules itself as the same bound method, or as a new closure over
    the same code (``lambda: self._kick(p)``), so either compares equal to the run that failed.
    """
    while hasattr(work, "__wrapped__"):  # a decorated action is the action it decorates
        work = work.__wrapped__
    func = getattr(work, "__func__", None)
    if func is not None:
        return (func, id(getattr(work, "__self__", None)))
    return getattr(work, "__code__", work)


def describe_error(err: BaseException) -> str:
    """An error as one line of a log: its own message for an error value, else the type and text (a
    "panic")."""
    text = " ".join(str(err).split()) or "(no message)"
    if len(text) > 300:  # a 4,300-digit number in a message would drown the trace
        text = text[:299] + "…"
    if type(err).__name__ in ("ApiError", "Unreachable", "EtcdError") or (
        type(err) is ValueError and str(err)
    ):
        return text  # an error value with a message of its own, as a Go function returns one
    return f"{type(err).__name__}: {text}"


class Component:
    """A process of the cluster, living on one node (machine), given only its :class:`Host`."""

    def __init__(self, host: Host, name: str, node: str):
        self.host = host
        self.name = name
        self.node = node
        self.clock = host.clock
        self.client = host.client(name, node)
        self.running = False
        self._timers: list[Timer] = []
        self._prune_at = 16
        #: Back-off for actions of this process that raised: 5 ms doubling to 1000 s, per action.
        self.crash_backoff = ItemExponentialFailureRateLimiter()

    def start(self) -> None:
        self.running = True

    def stop(self) -> None:
        """The process dies: its scheduled work is dropped."""
        self.running = False
        for t in self._timers:
            t.cancel()
        self._timers.clear()

    def after(
        self, delay: float, work: Work, *, background: bool = False, trace_name: str | None = None
    ) -> Timer:
        """Schedule ``work`` on the clock; it is skipped if the process has stopped by then (and dropped by
        ``stop``)."""
        timers = self._timers
        if len(timers) >= self._prune_at:  # forget run and cancelled timers now and then, not on every call
            now_ms = self.clock.now_ms
            timers[:] = [t for t in timers if not t.cancelled and t.due_ms >= now_ms]
            self._prune_at = max(16, 2 * len(timers))
        timer = self.host.schedule(self, delay, work, background=background, trace_name=trace_name)
        timers.append(timer)
        return timer

    def event(self, key: str, message: str, verb: str | None = None, component: str | None = None) -> Event:
        return self.host.make_event(component or self.name, self.node, key, message, verb)
