"""client-go's work queue: de-duplicating, never handing one key to two workers.

A controller's informer handlers only ``add`` keys (``namespace/name``); the
controller's loop ``get``s one, syncs it, and calls ``done``.  Like
``k8s.io/client-go/util/workqueue``, the queue keeps a *dirty* set (keys
waiting) and a *processing* set (keys being handled): adding a key that is
already waiting does nothing, and adding one that is being processed marks
it dirty so it is handled again after ``done`` — never twice at once.

Failures are retried with ``add_rate_limited``: the per-item exponential
back-off of client-go's default controller rate limiter (5 ms doubling to a
cap of 1000 s), reset by ``forget`` after a success.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from .clock import Clock

__all__ = ["ItemExponentialFailureRateLimiter", "WorkQueue"]


class ItemExponentialFailureRateLimiter:
    """base * 2^failures, capped: client-go's per-item back-off."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0):
        self.base_delay, self.max_delay = base_delay, max_delay
        self.failures: dict[str, int] = {}

    def when(self, key: str) -> float:
        n = self.failures.get(key, 0)
        self.failures[key] = n + 1
        return min(self.base_delay * (2 ** n), self.max_delay)

    def num_requeues(self, key: str) -> int:
        return self.failures.get(key, 0)

    def forget(self, key: str) -> None:
        self.failures.pop(key, None)


class WorkQueue:
    """A rate-limited, de-duplicating FIFO of keys on the simulated clock."""

    def __init__(self, name: str, clock: Clock, on_ready: Callable[[], None] = lambda: None,
                 rate_limiter: ItemExponentialFailureRateLimiter | None = None):
        self.name = name
        self.clock = clock
        self.on_ready = on_ready
        self.rate_limiter = rate_limiter or ItemExponentialFailureRateLimiter()
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._waiting: dict[str, object] = {}
        self.shutting_down = False
        self.adds = 0

    def __repr__(self) -> str:
        """What a learner printing the queue wants to see: the keys waiting, in order."""
        return (f"<WorkQueue {self.name}: queued={list(self._queue)} processing={sorted(self._processing)} "
                f"waiting={sorted(self._waiting)}>")

    def add(self, key: str) -> None:
        """Queue ``key`` unless it is already waiting; if it is in flight, redo it after ``done``."""
        if self.shutting_down or key in self._dirty:
            return
        self.adds += 1
        self._dirty.add(key)
        if key in self._processing:
            return
        self._queue.append(key)
        self.on_ready()

    def get(self) -> str | None:
        """The next key to process, or None if nothing is ready."""
        if not self._queue:
            return None
        key = self._queue.popleft()
        self._processing.add(key)
        self._dirty.discard(key)
        return key

    def done(self, key: str) -> None:
        """Mark ``key`` processed; if it was added meanwhile, queue it again."""
        self._processing.discard(key)
        if key in self._dirty:
            self._queue.append(key)
            self.on_ready()

    def add_after(self, key: str, delay: float) -> None:
        """Add ``key`` after ``delay`` simulated seconds (the earliest request wins)."""
        if self.shutting_down:
            return
        if delay <= 0:
            self.add(key)
            return
        due = self.clock.now_ms + round(delay * 1000)
        pending = self._waiting.get(key)
        if pending is not None and pending.due_ms <= due:  # type: ignore[attr-defined]
            return
        if pending is not None:
            pending.cancel()  # type: ignore[attr-defined]

        def fire() -> None:
            self._waiting.pop(key, None)
            self.add(key)

        self._waiting[key] = self.clock.call_at_ms(due, fire, component=self.name, priority=-1)

    def cancel_after(self, key: str) -> None:
        """Drop a delayed add of ``key`` that is no longer wanted (a deadline check after the goal was met)."""
        pending = self._waiting.pop(key, None)
        if pending is not None:
            pending.cancel()  # type: ignore[attr-defined]

    def add_rate_limited(self, key: str) -> None:
        """Retry ``key`` after its back-off: 5 ms, 10 ms, 20 ms … up to 1000 s."""
        self.add_after(key, self.rate_limiter.when(key))

    def forget(self, key: str) -> None:
        """Stop tracking ``key``'s failures (call after a successful sync)."""
        self.rate_limiter.forget(key)

    def num_requeues(self, key: str) -> int:
        return self.rate_limiter.num_requeues(key)

    def __len__(self) -> int:
        return len(self._queue)

    def waiting(self) -> list[str]:
        """Keys ready to be processed, in order."""
        return list(self._queue)

    def shut_down(self) -> None:
        self.shutting_down = True
        for timer in self._waiting.values():
            timer.cancel()  # type: ignore[attr-defined]
        self._waiting.clear()
        self._queue.clear()
        self._dirty.clear()
