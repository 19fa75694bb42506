"""Challenge tests keep their progress and served-challenge notes in a temporary directory."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

KUBECTL = Path("/usr/bin/kubectl")


@pytest.fixture(autouse=True)
def _private_progress(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "progress.json"
    monkeypatch.setenv("KCOURSE_PROGRESS", str(path))
    return path


@pytest.fixture
def kubectl_path() -> Path:
    """The real kubectl; missing fails in CI and skips loudly elsewhere."""
    if not KUBECTL.exists():
        message = (
            f"{KUBECTL} is missing: the real-client tests need it (scripts/system-deps.sh kubectl installs "
            "it)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        warnings.warn(message, stacklevel=1)
        pytest.skip(message)
    return KUBECTL
