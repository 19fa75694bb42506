"""The simulated clock: ordered, first-in first-out on ties, never the wall clock."""

from kcourse.sim.clock import Clock


def test_timers_run_in_time_order_and_fifo_on_ties():
    clock = Clock()
    ran = []
    clock.call_later(2, lambda: ran.append("b"))
    clock.call_later(1, lambda: ran.append("a1"))
    clock.call_later(1, lambda: ran.append("a2"))
    while (t := clock.pop()) is not None:
        t.action()
    assert ran == ["a1", "a2", "b"]
    assert clock.now == 2


def test_priority_breaks_ties_before_sequence():
    clock = Clock()
    ran = []
    clock.call_later(1, lambda: ran.append("late"), priority=1)
    clock.call_later(1, lambda: ran.append("early"), priority=-1)
    while (t := clock.pop()) is not None:
        t.action()
    assert ran == ["early", "late"]


def test_cancelled_timer_is_skipped_and_not_counted_as_pending_work():
    clock = Clock()
    t = clock.call_later(5, lambda: None)
    assert clock.has_foreground()
    t.cancel()
    assert not clock.has_foreground()
    assert clock.pop() is None


def test_background_timers_do_not_count_as_pending_work():
    clock = Clock()
    clock.call_later(10, lambda: None, background=True)
    assert not clock.has_foreground()
    assert clock.peek() is not None


def test_pop_by_component_takes_that_components_earliest_timer():
    clock = Clock()
    clock.call_later(1, lambda: "a", component="a")
    clock.call_later(1, lambda: "b", component="b")
    t = clock.pop("b")
    assert t.action() == "b"
    assert clock.pop().action() == "a"
    assert clock.pop() is None
    assert not clock.has_foreground()


def test_time_is_exact_milliseconds():
    clock = Clock()
    for _ in range(10):
        clock.call_later(0.1, lambda: None)
        clock.pop()
    assert clock.now_ms == 1000


def test_many_timers_due_together_run_by_priority_then_in_the_order_they_were_set():
    """The heap orders (time, priority, seq) tuples, as CPython's ``sched`` orders its events; seq is unique,
    so two timers are never compared themselves, and a cancelled one leaves no gap in the order."""
    clock = Clock()
    ran = []
    timers = [clock.call_later(1, lambda i=i: ran.append(i), priority=i % 3 - 1) for i in range(30)]
    for t in timers[::4]:
        t.cancel()
    assert [t.seq for t in clock.pending()] == [
        t.seq for p in (-1, 0, 1) for t in timers if t.priority == p and not t.cancelled
    ]
    while (t := clock.pop()) is not None:
        t.action()
    kept = [i for i in range(30) if i % 4]
    assert ran == sorted(kept, key=lambda i: (i % 3, i))


def test_pop_until_leaves_a_later_timer_in_place():
    clock = Clock()
    clock.call_later(2, lambda: "later", component="a")
    assert clock.pop(until_ms=1999) is None
    assert clock.pop("a", until_ms=1999) is None
    assert clock.now_ms == 0 and clock.has_foreground()
    assert clock.pop(until_ms=2000).action() == "later"
    assert clock.now_ms == 2000 and not clock.has_foreground()


def test_cancelling_a_timer_twice_or_after_it_ran_counts_it_once():
    clock = Clock()
    ran = clock.call_later(1, lambda: None)
    waiting = clock.call_later(2, lambda: None)
    clock.pop()
    ran.cancel()
    waiting.cancel()
    waiting.cancel()
    assert not clock.has_foreground()
    clock.call_later(3, lambda: None)
    assert clock.has_foreground()
    assert [t.due for t in clock.pending()] == [4.0]
