"""The event loop collects garbage less often while it runs (``kcourse.sim.cluster.fewer_collections``).

When CPython's collector runs is not part of the simulation: no component keeps weak references or
finalizers, so a run whose collections come at other moments must be the same run byte for byte. The
raised threshold holds only while the loop runs, and is put back even when a step raises. What survives
a run is set aside (``gc.freeze``) so later collections do not walk it again, and a full collection
still comes once the set-aside objects have doubled, so cyclic garbage is not kept for good.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

import kcourse
from kcourse.sim import cluster as cluster_module
from kcourse.sim.cluster import RUN_GC_THRESHOLD
from tests.sim.fingerprints.scenarios import SCENARIOS, Recording, assert_matches_golden


@pytest.fixture
def default_threshold() -> Iterator[tuple[int, int, int]]:
    old = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*old)


@pytest.fixture
def set_aside() -> Iterator[None]:
    """Put back what earlier runs set aside, before and after the test: counts start from zero."""
    gc.unfreeze()
    before = cluster_module._SetAside.after_full
    cluster_module._SetAside.after_full = 0
    yield
    gc.unfreeze()
    cluster_module._SetAside.after_full = before


class Node:
    """An object that can be in a reference cycle and be watched with a weak reference."""

    def __init__(self) -> None:
        self.other: Node | None = None


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


def test_what_survives_a_run_is_set_aside_and_still_freed_by_reference_counting(set_aside: None) -> None:
    c = kcourse.Cluster(seed=0, workers=1, addons=False)
    kept: list[list[int]] = []
    nodes: list[Node] = []
    freed: list[weakref.ref[Node]] = []

    def make(_ev: object) -> None:
        if not kept:
            kept.append([1, 2, 3])
            nodes.append(Node())
            freed.append(weakref.ref(nodes[0]))

    c.on_event(make)
    c.advance(5)
    assert kept and gc.get_freeze_count() > 0
    survivor = kept[0]
    assert not any(obj is survivor for obj in gc.get_objects()), "a survivor was left for collections to walk"
    assert freed[0]() is not None
    nodes.clear()
    assert freed[0]() is None, "reference counting frees a set-aside object as soon as it is dropped"


def test_cyclic_garbage_of_a_run_is_collected_once_the_set_aside_objects_have_doubled(
    set_aside: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cluster_module, "FULL_COLLECTION_GROWTH", 0)  # a small cluster's heap doubles soon
    c = kcourse.Cluster(seed=0, workers=1, addons=False)
    c.run_until_stable()  # the first full collection: everything the cluster holds is counted
    after_boot = cluster_module._SetAside.after_full
    assert after_boot > 0, "the first run's end made a full collection and counted what it set aside"
    cycle: list[weakref.ref[Node]] = []

    def make_cycle(_ev: object) -> None:
        if not cycle:
            a, b = Node(), Node()
            a.other, b.other = b, a
            cycle.append(weakref.ref(a))

    c.on_event(make_cycle)
    c.advance(5)
    assert cycle and cycle[0]() is not None
    gc.collect()
    assert cycle[0]() is not None, "set aside: not walked by a collection"

    # Not yet doubled: the next run's end leaves it aside.
    c.advance(1)
    assert cycle[0]() is not None
    # Once the set-aside objects have doubled, a run's end collects all.
    cluster_module._SetAside.after_full = gc.get_freeze_count() // 2
    c.advance(1)
    assert cycle[0]() is None
    assert cluster_module._SetAside.after_full >= gc.get_freeze_count() > 0, "the new count is recorded"
