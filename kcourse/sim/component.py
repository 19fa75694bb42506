"""What every simulated process shares: a name, a host node, an API client, the clock.

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

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .apiserver import Request
from .clock import Timer
from .workqueue import ItemExponentialFailureRateLimiter

if TYPE_CHECKING:
    from .cluster import Cluster

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
    """An error as one line of a log: its own message for an error value, else the type and text (a "panic")."""
    text = " ".join(str(err).split()) or "(no message)"
    if len(text) > 300:  # a 4,300-digit number in a message would drown the trace
        text = text[:299] + "…"
    if type(err).__name__ in ("ApiError", "Unreachable", "EtcdError") or (type(err) is ValueError and str(err)):
        return text  # an error value with a message of its own, as a Go function returns one
    return f"{type(err).__name__}: {text}"
#: The widest a trace line gets, in characters.  A notebook's output area holds about 120
#: characters at 1400 px; JupyterLab wraps a longer line at any character ("Con tainerCreating"),
#: so the trace wraps its own lines, between words, before that can happen.
TRACE_WIDTH = 100
_MESSAGE_INDENT = " " * 12


def trace_lines(event: Event, width: int = TRACE_WIDTH) -> list[str]:
    """An event laid out for reading: who acted on what in aligned columns, then what it did.

    The first line holds the time, the component, the verb and the object; the message follows on
    lines indented under the component, wrapped between words at ``width`` characters, so no
    line is ever cut inside a word.  When the whole event fits on one line, it stays on one line.
    A word longer than a line (a long object key) is kept whole rather than split.
    """
    head = f"{event.time:9.3f}s  {event.component:<26} {event.verb:<8} {event.key}"
    one_line = event.one_line()
    if len(one_line) <= width:
        return [one_line]
    message = event.message
    if len(head) > width:  # a very long object key: it leads the message instead
        head = f"{event.time:9.3f}s  {event.component:<26} {event.verb}"
        message = f"{event.key}: {message}"
    body = textwrap.wrap(message, width=width, initial_indent=_MESSAGE_INDENT,
                         subsequent_indent=_MESSAGE_INDENT, break_long_words=False, break_on_hyphens=False)
    return [head.rstrip(), *body]


@dataclass(frozen=True)
class Event:
    """One action of one component: what the stepper shows a learner.

    ``requests`` are the API requests the action made, in order (the first
    write among them gives the ``verb`` when the component does not name one).
    """

    time: float
    component: str
    node: str
    verb: str
    key: str
    message: str
    requests: tuple[Request, ...] = field(default=(), compare=False)

    def __str__(self) -> str:
        return "\n".join(trace_lines(self))

    def one_line(self) -> str:
        """The event on a single line, however long: for logs and error messages."""
        return f"{self.time:9.3f}s  {self.component:<26} {self.verb:<8} {self.key:<36} {self.message}"

    def as_row(self) -> tuple[str, str, str, str, str, str]:
        return (f"{self.time:.3f}", self.component, self.node, self.verb, self.key, self.message)


class Component:
    """A process of the cluster, living on one node (machine)."""

    def __init__(self, cluster: Cluster, name: str, node: str):
        self.cluster = cluster
        self.name = name
        self.node = node
        self.clock = cluster.clock
        self.client = cluster.api.client(name, node)
        self.running = False
        self._timers: list[Timer] = []
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

    def after(self, delay: float, work: Callable[[], Event | None], *, background: bool = False,
              trace_name: str | None = None) -> Timer:
        """Schedule ``work`` on the clock; it is skipped if the process has stopped by then."""
        self._timers = [t for t in self._timers if not t.cancelled and t.due_ms >= self.clock.now_ms]
        timer = self.cluster.schedule(self, delay, work, background=background, trace_name=trace_name)
        self._timers.append(timer)
        return timer

    def event(self, key: str, message: str, verb: str | None = None, component: str | None = None) -> Event:
        return self.cluster.make_event(component or self.name, self.node, key, message, verb)
