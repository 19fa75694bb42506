"""The committed notebooks: complete, executed in order, free of errors, and stored as the script writes them.

Whether their stored outputs are *current* is nbval's job (``make test`` runs
``pytest --nbval notebooks/``); these checks are static and fast, plus one
re-execution of the smallest notebook to prove the stored bytes are reproducible.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import EXPECTED, NOTEBOOKS, notebook_paths, read

PATHS = notebook_paths()
IDS = [p.stem for p in PATHS]

#: Every component the chapter's text names, as a learner would search for it in the prose.
COMPONENTS = [
    "API server", "scheduler", "kube-controller-manager", "cloud-controller-manager", "etcd", "kubelet",
    "CRI", "dockershim", "containerd", "CRI-O", "kube-proxy", "DNS", "Dashboard", "monitoring", "logging", "Pod",
]


def code_cells(path: Path) -> list:
    return [c for c in read(path).cells if c.cell_type == "code"]


def test_every_section_of_the_chapter_has_its_notebook():
    assert sorted(set(EXPECTED) - {p.stem for p in PATHS}) == []


def test_no_notebook_outside_the_table_of_contents():
    assert sorted({p.stem for p in PATHS} - set(EXPECTED)) == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_code_cells_ran_top_to_bottom_in_one_session(path: Path):
    counts = [c.execution_count for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks` to execute it top to bottom"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_outputs_are_stored(path: Path):
    cells = code_cells(path)
    assert cells, "a chapter notebook has something to run"
    assert any(c.outputs for c in cells), "notebooks are committed with their outputs"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_no_cell_shows_an_error_or_a_warning(path: Path):
    bad = [(i, o.get("ename") or o.get("text", "")[:200]) for i, c in enumerate(code_cells(path))
           for o in c.outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert bad == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_stored_as_the_execute_script_writes_it(path: Path, execute_notebooks):
    """Deterministic widget ids, no timings, no interpreter version: what `make notebooks` writes."""
    nb = execute_notebooks.normalise(read(path), path.stem)
    assert execute_notebooks.serialise(nb) == path.read_bytes(), "run `make notebooks`"


def _prose() -> str:
    return "\n".join(c.source for p in PATHS for c in read(p).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_of_the_chapter_appears_in_the_prose(component: str):
    assert re.search(rf"(?<![\w-]){re.escape(component)}(?![\w-])", _prose(), re.IGNORECASE), component


def test_re_executing_the_index_notebook_reproduces_it_byte_for_byte(tmp_path: Path, execute_notebooks):
    assert PATHS, "no notebooks yet"
    index = NOTEBOOKS / "00-index.ipynb"
    path = index if index.exists() else min(PATHS, key=lambda p: (len(code_cells(p)), p.name))
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    nb = execute_notebooks.normalise(execute_notebooks.execute(copy, cwd=NOTEBOOKS), path.stem)
    assert execute_notebooks.serialise(nb) == path.read_bytes()
