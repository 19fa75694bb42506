"""Shared fixtures for the simulation's tests."""

import pytest

import kcourse


@pytest.fixture
def cluster() -> kcourse.Cluster:
    """A booted, stable cluster: one control plane node, three workers, seed 0."""
    return kcourse.Cluster(seed=0)
