"""Shared fixtures: a small seeded cluster, as a learner starts the chapter with."""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse
from kcourse.sim.cluster import Cluster

TESTS = Path(__file__).parent
#: Suites whose clusters re-raise a component's failure (``Cluster.STRICT``), as upstream's tests keep
#: ``utilruntime.ReallyCrash`` on: a bug in a component fails the test that hit it instead of becoming a
#: trace line.  Suites not listed (``hostile`` and any new one) get the learner's default: components
#: that report a failure and go on.
STRICT_SUITES = {
    "sim",
    "properties",
    "views",
    "widgets",
    "manifests",
    "serve",
    "conformance",
    "bench",
    "browser",
    "notebooks",
    "quiz",
}


@pytest.fixture(autouse=True)
def _strict_components(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        suite = Path(str(request.node.path)).relative_to(TESTS).parts[0]
    except ValueError:
        return
    if suite in STRICT_SUITES:
        monkeypatch.setattr(Cluster, "STRICT", True)


@pytest.fixture
def cluster() -> kcourse.Cluster:
    """1 control plane node, 3 workers, containerd, seed 0 — booted to a stable state."""
    return kcourse.Cluster(masters=1, workers=3, runtime="containerd", seed=0)


@pytest.fixture
def bare() -> kcourse.Cluster:
    """A control plane with no nodes and no addons: the API server and controllers alone."""
    return kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
