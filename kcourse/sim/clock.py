"""Simulated time for the cluster.

Every component of the simulated cluster asks the clock to run an action
later instead of sleeping: the clock is a heap of ``(time, priority, seq,
timer)`` tuples, as in CPython's ``sched`` module and simpy.  ``seq`` comes
from ``itertools.count()``, so entries due at the same time and priority run
first-in first-out and every run of the same scenario is identical; it is
also unique, so the heap never compares two timers themselves (plain tuple
comparison of integers, with no Python-level ``__lt__`` per sift step).
Nothing here reads the wall clock.

Times are integer milliseconds internally, so that arithmetic is exact; the
public ``now`` is in seconds.

Simplified: a cancelled timer stays in the heap until it reaches the top (as
``sched`` and simpy leave it), so the heap may hold more entries than live timers.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Clock", "Timer"]


class Timer:
    """One scheduled action; ``cancel()`` makes the clock skip it."""

    __slots__ = ("action", "background", "cancelled", "clock", "component", "due_ms", "priority", "seq")

    def __init__(
        self,
        due_ms: int,
        priority: int,
        seq: int,
        action: Callable[[], Any],
        component: str = "",
        background: bool = False,
        clock: Clock | None = None,
    ):
        self.due_ms = due_ms
        self.priority = priority
        self.seq = seq
        self.action = action
        self.component = component
        self.background = background
        self.cancelled = False
        self.clock = clock

    def __repr__(self) -> str:
        return (
            f"Timer(due_ms={self.due_ms}, priority={self.priority}, seq={self.seq}, "
            f"component={self.component!r}, background={self.background}, cancelled={self.cancelled})"
        )

    @property
    def due(self) -> float:
        return self.due_ms / 1000

    def cancel(self) -> None:
        """Skip this timer; it leaves the heap lazily."""
        if not self.cancelled:
            clock = self.clock
            if clock is not None:
                if not self.background:
                    clock._foreground -= 1
                self.clock = None
            self.cancelled = True


#: One heap entry: the order key (due, priority, seq) and the timer it stands for.
Entry = tuple[int, int, int, Timer]


class Clock:
    """A deterministic discrete-event clock.

    ``background`` timers are the periodic ones (heartbeats, lease renewals,
    resyncs) that never stop; the cluster is *stable* when only background
    timers remain.
    """

    def __init__(self) -> None:
        self.now_ms = 0
        self._heap: list[Entry] = []
        self._seq = itertools.count()
        self._foreground = 0

    @property
    def now(self) -> float:
        """Simulated seconds since the cluster was created."""
        return self.now_ms / 1000

    def call_later(
        self,
        delay: float,
        action: Callable[[], Any],
        *,
        component: str = "",
        priority: int = 0,
        background: bool = False,
    ) -> Timer:
        """Run ``action`` ``delay`` simulated seconds from now."""
        return self.call_at_ms(
            self.now_ms + max(0, round(delay * 1000)),
            action,
            component=component,
            priority=priority,
            background=background,
        )

    def call_at_ms(
        self,
        due_ms: int,
        action: Callable[[], Any],
        *,
        component: str = "",
        priority: int = 0,
        background: bool = False,
    ) -> Timer:
        due_ms = max(due_ms, self.now_ms)
        seq = next(self._seq)
        timer = Timer(due_ms, priority, seq, action, component, background, self)
        heapq.heappush(self._heap, (due_ms, priority, seq, timer))
        if not background:
            self._foreground += 1
        return timer

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0][3].cancelled:
            heapq.heappop(heap)

    def peek(self) -> Timer | None:
        """The next timer to run, without running it."""
        self._drop_cancelled()
        return self._heap[0][3] if self._heap else None

    def pending(self) -> list[Timer]:
        """Live timers in the order they will run."""
        return [entry[3] for entry in sorted(self._heap) if not entry[3].cancelled]

    def has_foreground(self) -> bool:
        """True while some non-periodic work is still scheduled."""
        return self._foreground > 0

    def pop(self, component: str | None = None, until_ms: int | None = None) -> Timer | None:
        """Remove and return the next timer (or the next one of ``component``), moving time to it.

        With ``until_ms``, None instead of a timer due later than that (nothing is removed).
        """
        self._drop_cancelled()
        heap = self._heap
        if not heap:
            return None
        if component is None:
            if until_ms is not None and heap[0][0] > until_ms:
                return None
            timer = heapq.heappop(heap)[3]
        else:
            if until_ms is not None and heap[0][0] > until_ms:
                return None
            entry = min((e for e in heap if not e[3].cancelled and e[3].component == component), default=None)
            if entry is None:
                return None
            timer = entry[3]
        timer.cancel()  # counted as done; one chosen out of order leaves the heap lazily
        self.now_ms = max(self.now_ms, timer.due_ms)
        return timer

    def advance_to_ms(self, when_ms: int) -> None:
        """Move time forward without running anything (timers due earlier stay due)."""
        self.now_ms = max(self.now_ms, when_ms)
