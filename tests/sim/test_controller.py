"""The generic controller loop: one key per step, retries with back-off owned by the loop."""

from __future__ import annotations

import itertools

from kcourse.sim.apiserver import Unreachable
from kcourse.sim.controller import Controller
from kcourse.sim.errors import ApiError


class Flaky(Controller):
    """Fails twice on every key, then succeeds."""

    name = "flaky-controller"

    def __init__(self, manager, informers):
        super().__init__(manager, informers)
        self.calls: list[str] = []

    def sync_handler(self, key: str) -> str:
        self.calls.append(key)
        if self.calls.count(key) <= 2:
            raise ApiError(500, "InternalError", "boom")
        return f"synced {key}"


def make(bare) -> Flaky:
    kcm = next(c for c in bare.machines["master-1"].components if c.name == "kube-controller-manager")
    ctl = Flaky(kcm, kcm.informers)
    ctl.run()
    return ctl


def test_each_step_syncs_one_key_and_failures_retry_with_growing_back_off(bare):
    ctl = make(bare)
    ctl.queue.add("default/a")
    times, messages = [], []
    for _ in range(20):
        ev = (
            bare.step(component="flaky-controller") if "flaky-controller" in bare.ready_components() else None
        )
        if ev is None:
            timer = bare.clock.peek()
            bare.step()
            del timer
            continue
        times.append(ev.time)
        messages.append(ev.message)
        if ev.message.startswith("synced"):
            break
    assert ctl.calls == ["default/a"] * 3
    assert messages[0].startswith("error syncing 'default/a': boom; requeuing (attempt 1)")
    assert messages[-1] == "synced default/a"
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(times)]
    assert gaps[1] > gaps[0]  # 5 ms then 10 ms back-off (plus the loop's own pass time)
    assert ctl.queue.num_requeues("default/a") == 0  # forgotten after success


def test_unreachable_api_server_is_retried_not_raised(bare):
    class Cut(Controller):
        name = "cut-controller"

        def sync_handler(self, key):
            raise Unreachable("no route")

    kcm = next(c for c in bare.machines["master-1"].components if c.name == "kube-controller-manager")
    ctl = Cut(kcm, kcm.informers)
    ctl.run()
    ctl.queue.add("k")
    ev = ctl.process_next_work_item()
    assert "requeuing" in ev.message
    assert ctl.queue.num_requeues("k") == 1
