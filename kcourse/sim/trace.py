"""The trace: one :class:`Event` per action a learner should see, laid out for reading.

Every component's action that does something visible returns an Event — who acted
(component and node), on what (an object key), with which verb, and the API requests
it made.  The cluster keeps the list; views and the Stepper read it.  This module knows
nothing of components or clusters, so anything may import it.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from .apiserver import Request

__all__ = ["TRACE_WIDTH", "Event", "trace_lines"]


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
    body = textwrap.wrap(
        message,
        width=width,
        initial_indent=_MESSAGE_INDENT,
        subsequent_indent=_MESSAGE_INDENT,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [head.rstrip(), *body]


@dataclass(frozen=True, slots=True)
class Event:
    """One action of one component: what the stepper shows a learner.

    ``requests`` are the API requests the action made, in order (the first
    write among them gives the ``verb`` when the component does not name one).
    Slotted: a cluster keeps every event of its trace (or the newest
    ``trace_limit``), so each one's dict would cost more than its fields.
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
