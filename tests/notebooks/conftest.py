"""Shared helpers for the notebook tests: where the notebooks are and the script that executes them."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"

#: One notebook per section of the chapter, in reading order: the file list is the table of contents.
EXPECTED = [
    "00-index",
    "01-introduction",
    "02-architecture",
    "03-api-server",
    "04-scheduler",
    "05-controller-managers",
    "06-etcd",
    "07-worker-node-kubelet",
    "08-container-runtimes",
    "09-kube-proxy-and-services",
    "10-addons",
    "11-pods-and-networking",
    "12-at-scale",
    "13-knowledge-check",
    "14-review",
    "15-challenges",
]


def notebook_paths() -> list[Path]:
    return sorted(NOTEBOOKS.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="session")
def execute_notebooks() -> ModuleType:
    """``scripts/execute_notebooks.py`` as a module (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "execute_notebooks", REPO / "scripts" / "execute_notebooks.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
