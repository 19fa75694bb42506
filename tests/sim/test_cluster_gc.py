"""The event loop collects garbage less often while it runs (``kcourse.sim.cluster.fewer_collections``).

When CPython's collector runs is not part of the simulation: no component keeps weak references or
finalizers, so a run whose collections come at other moments must be the same run byte for byte. The
raised threshold holds only while the loop runs, and is put back even when a step raises.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import kcourse
from kcourse.sim.cluster import RUN_GC_THRESHOLD
from tests.sim.fingerprints.scenarios import SCENARIOS, Recording, assert_matches_golden


@pytest.fixture
def default_threshold() -> Iterator[tuple[int, int, int]]:
    old = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*old)


def test_the_threshold_is_raised_while_the_loop_runs_and_put_back_after(default_threshold: tuple) -> None:
    c = kcourse.Cluster(seed=0, workers=1, addons=False)
    seen: set[tuple[int, int, int]] = set()
    c.on_event(lambda _ev: seen.add(gc.get_threshold()))
    c.run_until_stable()
    c.advance(30)
    assert c.run_until(lambda: c.now >= c.now + 1, deadline=c.now + 5) is False
    assert seen == {(RUN_GC_THRESHOLD, 10, 10)}
    assert gc.get_threshold() == default_threshold


def test_the_threshold_is_put_back_when_a_step_raises(default_threshold: tuple) -> None:
    c = kcourse.Cluster(seed=0, workers=1, addons=False)

    def fail(_ev: object) -> None:
        raise RuntimeError("a listener failed")

    c.on_event(fail)
    with pytest.raises(RuntimeError, match="a listener failed"):
        c.advance(10)
    assert gc.get_threshold() == default_threshold


def test_a_run_whose_collections_come_at_other_moments_is_the_same_run(default_threshold: tuple) -> None:
    """The chapter scenario (a node failure and a partition) with a full collection forced every 97
    steps matches its committed fingerprint, taken with the loop's own collection schedule."""
    options, run, proxies = SCENARIOS["chapter"]
    c = kcourse.Cluster(**options)
    recording = Recording(c)
    steps = [0]

    def collect(_ev: object) -> None:
        steps[0] += 1
        if steps[0] % 97 == 0:
            gc.collect()

    c.on_event(collect)
    run(c)
    assert steps[0] > 97 * 10
    assert_matches_golden("chapter", recording.sections(proxies))
