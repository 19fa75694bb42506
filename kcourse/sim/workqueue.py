"""client-go's work queue: de-duplicating, never handing one key to two workers.

A controller's informer handlers only ``add`` keys (``namespace/name``); the
controller's loop ``get``s one, syncs it, and calls ``done``.  Like
``k8s.io/client-go/util/workqueue``, the queue keeps a *dirty* set (keys
waiting) and a *processing* set (keys being handled): adding a key that is
already waiting does nothing, and adding one that is being processed marks
it dirty so it is handled again after ``done`` — never twice at once.

A delayed add (``add_after``, and so every retry) is a timer put on the clock through
the ``schedule`` the queue is given — its controller's host's ``schedule``, the one way
work is scheduled in the cluster — at priority -1, so a key due at the same millisecond
as its worker's next pass is in the queue when that pass runs.

Failures are retried with ``add_rate_limited`` through client-go's
``DefaultControllerRateLimiter``: the larger of a per-item exponential
back-off (5 ms doubling to a cap of 1000 s, reset by ``forget`` after a
success) and one token bucket for the whole queue (10 retries a second,
bursts of 100), so a storm of failing keys cannot spin the controller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable

from .clock import Clock, Timer

__all__ = [
    "BucketRateLimiter",
    "ItemExponentialFailureRateLimiter",
    "MaxOfRateLimiter",
    "WorkQueue",
    "default_controller_rate_limiter",
]


class ItemExponentialFailureRateLimiter:
    """base * 2^failures, capped: client-go's per-item back-off."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0):
        self.base_delay, self.max_delay = base_delay, max_delay
        self.failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        n = self.failures.get(key, 0)
        self.failures[key] = n + 1
        return min(self.base_delay * (2**n), self.max_delay)

    def num_requeues(self, key: Hashable) -> int:
        return self.failures.get(key, 0)

    def forget(self, key: Hashable) -> None:
        self.failures.pop(key, None)


class BucketRateLimiter:
    """``golang.org/x/time/rate``'s token bucket on the simulated clock: ``qps`` tokens a second,
    ``burst`` at most.

    Every ``when`` takes a token (the bucket may go into debt), and waits until the debt is
    paid: with 10 qps and a burst of 100, the 101st retry within an instant waits 100 ms.
    Tokens are counted in thousandths so that the arithmetic is exact.
    """

    def __init__(self, clock: Clock, qps: int = 10, burst: int = 100):
        self.clock, self.qps, self.burst = clock, qps, burst
        self._milli_tokens = burst * 1000
        self._last_ms = clock.now_ms

    def when(self, _key: Hashable) -> float:
        now = self.clock.now_ms
        if now > self._last_ms:
            self._milli_tokens = min(self.burst * 1000, self._milli_tokens + (now - self._last_ms) * self.qps)
            self._last_ms = now
        self._milli_tokens -= 1000
        if self._milli_tokens >= 0:
            return 0.0
        return -(self._milli_tokens // self.qps) / 1000  # ceil(debt / rate), in whole milliseconds

    def num_requeues(self, _key: Hashable) -> int:
        return 0

    def forget(self, key: Hashable) -> None:
        pass


class MaxOfRateLimiter:
    """The longest wait any of its limiters asks for (each one is asked, as in client-go)."""

    def __init__(self, *limiters: ItemExponentialFailureRateLimiter | BucketRateLimiter):
        self.limiters = limiters

    def when(self, key: Hashable) -> float:
        return max([limiter.when(key) for limiter in self.limiters])

    def num_requeues(self, key: Hashable) -> int:
        return max(limiter.num_requeues(key) for limiter in self.limiters)

    def forget(self, key: Hashable) -> None:
        for limiter in self.limiters:
            limiter.forget(key)


def default_controller_rate_limiter(clock: Clock) -> MaxOfRateLimiter:
    """``workqueue.DefaultControllerRateLimiter``: per-item 5 ms → 1000 s, overall 10 qps with a burst
    of 100."""
    return MaxOfRateLimiter(
        ItemExponentialFailureRateLimiter(0.005, 1000.0), BucketRateLimiter(clock, 10, 100)
    )


RateLimiter = ItemExponentialFailureRateLimiter | BucketRateLimiter | MaxOfRateLimiter
#: ``schedule(delay, work, priority)``: put ``work`` on the clock ``delay`` simulated seconds from now.
Schedule = Callable[[float, Callable[[], None], int], Timer]


class WorkQueue:
    """A rate-limited, de-duplicating FIFO of keys on the simulated clock.

    ``schedule`` puts a delayed add on the clock; without one (a queue on its own, in a test)
    the timer goes straight on ``clock``, named after the queue.
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        on_ready: Callable[[], None] = lambda: None,
        rate_limiter: RateLimiter | None = None,
        schedule: Schedule | None = None,
    ):
        self.name = name
        self.clock = clock
        self.on_ready = on_ready
        self.rate_limiter = rate_limiter or default_controller_rate_limiter(clock)
        self._schedule = schedule or self._on_clock
        self._queue: deque[str] = deque()
        self._dirty: set[str] = set()
        self._processing: set[str] = set()
        self._waiting: dict[str, Timer] = {}
        self.shutting_down = False
        self.adds = 0

    def _on_clock(self, delay: float, work: Callable[[], None], priority: int) -> Timer:
        return self.clock.call_later(delay, work, component=self.name, priority=priority)

    def __repr__(self) -> str:
        """What a learner printing the queue wants to see: the keys waiting, in order."""
        return (
            f"<WorkQueue {self.name}: queued={list(self._queue)} processing={sorted(self._processing)} "
            f"waiting={sorted(self._waiting)}>"
        )

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
        wait_ms = round(delay * 1000)
        due = self.clock.now_ms + wait_ms
        pending = self._waiting.get(key)
        if pending is not None and pending.due_ms <= due:
            return
        if pending is not None:
            pending.cancel()

        def fire() -> None:
            self._waiting.pop(key, None)
            self.add(key)

        self._waiting[key] = self._schedule(wait_ms / 1000, fire, -1)

    def cancel_after(self, key: str) -> None:
        """Drop a delayed add of ``key`` that is no longer wanted (a deadline check after the goal was
        met)."""
        pending = self._waiting.pop(key, None)
        if pending is not None:
            pending.cancel()

    def add_rate_limited(self, key: str) -> None:
        """Retry ``key`` after its back-off: 5 ms, 10 ms, 20 ms … up to 1000 s (later if the bucket is
        empty)."""
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
            timer.cancel()
        self._waiting.clear()
        self._queue.clear()
        self._dirty.clear()
