"""Fixtures for the views: a seeded cluster with nodes and Pods to draw."""

from __future__ import annotations

import matplotlib
import pytest
from builders import populate

matplotlib.use("Agg")


@pytest.fixture
def drawn(cluster):
    """The chapter's cluster with every node registered and two running Pods per worker."""
    populate(cluster)
    return cluster
