"""Shared pieces of the hostile-input corpus: one cluster per module and the "nothing happened" checks.

Every case in ``tests/hostile`` is input that must be refused with a clear
message — a Kubernetes-style error, kubectl's exit code 1, or ``file:line`` —
and must leave the store's revision and the learner's progress as they were.
A case that tries to run code writes a marker file if it succeeds; the
marker must never appear.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import kcourse

CORPUS = Path(__file__).parent
#: Words a Python traceback or an internal error would show, and a learner must never see.
LEAKS = (
    "Traceback",
    'File "',
    "Error:",
    "object has no attribute",
    "unhashable",
    "KeyError",
    "TypeError",
    "AttributeError",
    "IndexError",
    "RecursionError",
)


def expectation(path: Path) -> str:
    """The ``# expect: <fragment>`` a corpus file starts with (empty: any clear refusal will do)."""
    first = path.read_text(encoding="utf-8", errors="surrogateescape").splitlines()[0]
    assert first.startswith("# expect:"), f"{path.name} must start with '# expect: <message fragment>'"
    return first[len("# expect:") :].strip()


def assert_clear(message: str) -> None:
    """A message meant for a learner: non-empty and free of Python internals."""
    assert message.strip(), "an empty error message"
    for leak in LEAKS:
        assert leak not in message, f"internal detail {leak!r} leaked into: {message[:300]}"


@pytest.fixture(scope="module")
def cluster() -> kcourse.Cluster:
    """A small stable cluster; bad input must never change it."""
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)


@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A file that exists only if some input managed to run a command."""
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "input was executed: the marker file was created"
