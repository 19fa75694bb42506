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
