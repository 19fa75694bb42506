"""Shared fixtures: a small seeded cluster, as a learner starts the chapter with."""

from __future__ import annotations

import pytest

import kcourse


@pytest.fixture
def cluster() -> kcourse.Cluster:
    """1 control plane node, 3 workers, containerd, seed 0 — booted to a stable state."""
    return kcourse.Cluster(masters=1, workers=3, runtime="containerd", seed=0)


@pytest.fixture
def bare() -> kcourse.Cluster:
    """A control plane with no nodes and no addons: the API server and controllers alone."""
    return kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
