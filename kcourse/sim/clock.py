"""Simulated time for the cluster.

Every component of the simulated cluster asks the clock to run an action
later instead of sleeping: the clock is a heap of ``(time, priority, seq,
action)`` entries, as in CPython's ``sched`` module and simpy.  ``seq`` comes
from ``itertools.count()``, so entries due at the same time and priority run
first-in first-out and every run of the same scenario is identical.  Nothing
here reads the wall clock.

Times are integer milliseconds internally, so that arithmetic is exact; the
public ``now`` is in seconds.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Clock", "Timer"]


@dataclass(order=True)
class Timer:
    """One scheduled action; ``cancel()`` makes the clock skip it."""

    due_ms: int
    priority: int
    seq: int
    action: Callable[[], Any] = field(compare=False)
    component: str = field(compare=False, default="")
    background: bool = field(compare=False, default=False)
    cancelled: bool = field(compare=False, default=False)
    clock: Clock | None = field(compare=False, default=None, repr=False)

    @property
    def due(self) -> float:
        return self.due_ms / 1000

    def cancel(self) -> None:
        """Skip this timer; it leaves the heap lazily."""
        if not self.cancelled and self.clock is not None:
            self.clock._forget(self)
        self.cancelled = True


class Clock:
    """A deterministic discrete-event clock.

    ``background`` timers are the periodic ones (heartbeats, lease renewals,
    resyncs) that never stop; the cluster is *stable* when only background
    timers remain.
    """

    def __init__(self) -> None:
        self.now_ms = 0
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._foreground = 0

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.now_ms / 1000

    def call_later(self, delay: float, action: Callable[[], Any], *, component: str = "",
                   priority: int = 0, background: bool = False) -> Timer:
        """Run ``action`` ``delay`` simulated seconds from now."""
        return self.call_at_ms(self.now_ms + max(0, round(delay * 1000)), action, component=component,
                               priority=priority, background=background)

    def call_at_ms(self, due_ms: int, action: Callable[[], Any], *, component: str = "",
                   priority: int = 0, background: bool = False) -> Timer:
        timer = Timer(max(due_ms, self.now_ms), priority, next(self._seq), action, component, background,
                      clock=self)
        heapq.heappush(self._heap, timer)
        if not background:
            self._foreground += 1
        return timer

    def _forget(self, timer: Timer) -> None:
        if not timer.background:
            self._foreground -= 1
        timer.clock = None

    def _drop_cancelled(self) -> None:
        while self._heap and self._heap[0].cancelled:
            heapq.heappop(self._heap)

    def peek(self) -> Timer | None:
        """The next timer to run, without running it."""
        self._drop_cancelled()
        return self._heap[0] if self._heap else None

    def pending(self) -> list[Timer]:
        """Live timers in the order they will run."""
        return sorted(t for t in self._heap if not t.cancelled)

    def has_foreground(self) -> bool:
        """True while some non-periodic work is still scheduled."""
        return self._foreground > 0

    def pop(self, component: str | None = None) -> Timer | None:
        """Remove and return the next timer (or the next one of ``component``), moving time to it."""
        self._drop_cancelled()
        if component is None:
            timer = heapq.heappop(self._heap) if self._heap else None
        else:
            timer = min((t for t in self._heap if not t.cancelled and t.component == component), default=None)
        if timer is None:
            return None
        timer.cancel()  # counted as done; one chosen out of order leaves the heap lazily
        self.now_ms = max(self.now_ms, timer.due_ms)
        return timer

    def advance_to_ms(self, when_ms: int) -> None:
        """Move time forward without running anything (timers due earlier stay due)."""
        self.now_ms = max(self.now_ms, when_ms)
