"""pytest setup for ``pytest --nbval notebooks/``: each notebook's kernel starts clean.

nbval starts one kernel per notebook and that kernel inherits this process's
environment, so setting it here (before each notebook's first cell) makes the
run hermetic and the outputs comparable with the stored ones, which
``scripts/execute_notebooks.py`` produced with the same settings:

* ``KCOURSE_PROGRESS`` points to a fresh, empty progress file per notebook, so a
  learner's own quiz answers never leak into (or get overwritten by) a test run,
  and the review notebook shows its no-progress state.
* ``PYTHONHASHSEED`` fixes the iteration order of sets of strings.
* ``SOURCE_DATE_EPOCH`` makes matplotlib write a fixed date into SVG/PDF metadata.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

KERNEL_ENV = {"PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": "0"}
PROGRESS_VAR = "KCOURSE_PROGRESS"


def kernel_env(progress_dir: str | Path) -> dict[str, str]:
    """The environment a notebook's kernel runs with, progress kept under ``progress_dir``."""
    return {**os.environ, **KERNEL_ENV, PROGRESS_VAR: str(Path(progress_dir) / "progress.json")}


_current: dict[str, object] = {"notebook": None, "tmp": None}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before a notebook's kernel starts (its first cell's setup), give it a fresh environment."""
    notebook = item.parent
    if notebook is _current["notebook"]:
        return
    tmp = tempfile.TemporaryDirectory(prefix="kcourse-nbval-")
    old = _current["tmp"]
    _current.update(notebook=notebook, tmp=tmp)
    os.environ.update(kernel_env(tmp.name))
    if old is not None:
        old.cleanup()  # type: ignore[attr-defined]
