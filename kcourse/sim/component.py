"""What every simulated process shares: a name, a host node, an API client, the clock.

Components never sleep and never call each other: they schedule their next
piece of work on the cluster's clock and talk to the rest of the cluster
only through the API server.  Each piece of work that does something a
learner should see returns an :class:`Event` — one line of the trace.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .apiserver import Request
from .clock import Timer

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["TRACE_WIDTH", "Component", "Event", "trace_lines"]

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
