"""client-go's work queue semantics: de-duplication, one worker per key, back-off."""

from kcourse.sim.clock import Clock
from kcourse.sim.workqueue import ItemExponentialFailureRateLimiter, WorkQueue


def test_adding_a_waiting_key_twice_queues_it_once():
    q = WorkQueue("q", Clock())
    q.add("default/web")
    q.add("default/web")
    assert len(q) == 1


def test_a_key_added_while_processing_is_handed_out_again_only_after_done():
    q = WorkQueue("q", Clock())
    q.add("default/web")
    key = q.get()
    q.add("default/web")
    assert q.get() is None  # never to two workers at once
    q.done(key)
    assert q.get() == "default/web"


def test_rate_limited_adds_back_off_exponentially_and_forget_resets():
    limiter = ItemExponentialFailureRateLimiter(base_delay=0.005, max_delay=1000)
    assert [limiter.when("k") for _ in range(4)] == [0.005, 0.01, 0.02, 0.04]
    limiter.forget("k")
    assert limiter.when("k") == 0.005


def test_back_off_is_capped():
    limiter = ItemExponentialFailureRateLimiter(base_delay=1, max_delay=8)
    assert [limiter.when("k") for _ in range(6)] == [1, 2, 4, 8, 8, 8]


def test_add_rate_limited_adds_the_key_when_its_delay_has_passed():
    clock = Clock()
    q = WorkQueue("q", clock)
    q.add_rate_limited("k")
    assert len(q) == 0
    timer = clock.pop()
    assert timer.due_ms == 5
    timer.action()
    assert q.get() == "k"


def test_on_ready_is_called_when_a_key_becomes_available():
    woken = []
    q = WorkQueue("q", Clock(), on_ready=lambda: woken.append(1))
    q.add("a")
    q.add("a")
    assert woken == [1]


def test_repr_lists_the_keys_in_order_without_a_memory_address():
    q = WorkQueue("replicaset", Clock())
    q.add("default/b")
    q.add("default/a")
    q.add_after("default/c", 5)
    assert (
        repr(q)
        == "<WorkQueue replicaset: queued=['default/b', 'default/a'] processing=[] waiting=['default/c']>"
    )


def test_a_controllers_retries_go_through_its_hosts_schedule_before_its_next_pass():
    """One way to schedule work: a retry is put on the clock by the host, named after the controller, at
    priority -1 so that it is in the queue when a pass due at the same millisecond runs."""
    from kcourse.sim.component import Component
    from kcourse.sim.controller import Controller
    from kcourse.sim.errors import ApiError
    from kcourse.sim.informer import SharedInformerFactory
    from tests.sim.test_host import BareHost, run

    host = BareHost()
    scheduled: list[tuple[str, float, dict]] = []
    schedule = host.schedule

    def recording(component, delay, work, **kw):
        scheduled.append((component.name, delay, kw))
        return schedule(component, delay, work, **kw)

    host.schedule = recording
    manager = Component(host, "kube-controller-manager", "master-1")
    manager.start()
    synced: list[tuple[float, str]] = []

    class Flaky(Controller):
        name = "flaky-controller"
        work_delay = 0.005

        def sync_handler(self, key: str) -> str:
            synced.append((self.clock.now, key))
            if len(synced) < 3:
                raise ApiError(409, "Conflict", "not yet")
            return "ok"

    ctl = Flaky(manager, SharedInformerFactory(host.client("flaky-controller")))
    ctl.run()
    ctl.queue.add("k")
    run(host.clock)
    assert [key for _, key in synced] == ["k", "k", "k"]
    retries = [kw for name, _, kw in scheduled if kw.get("priority") == -1]
    assert retries == [{"trace_name": "flaky-controller", "when_stopped": True, "priority": -1}] * 2
    assert [round(t, 3) for t, _ in synced] == [0.005, 0.015, 0.030]
