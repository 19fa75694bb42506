"""The committed notebooks: complete, executed in order, free of errors, and stored as the script writes them.

Whether their stored outputs are *current* is nbval's job (``make test`` runs
``pytest --nbval notebooks/``); these checks are static and fast, plus one
re-execution of the smallest notebook to prove the stored bytes are reproducible.
"""

from __future__ import annotations

import functools
import html
import re
import shutil
from pathlib import Path

import pytest

from .conftest import EXPECTED, NOTEBOOKS, notebook_paths, read

PATHS = notebook_paths()
IDS = [p.stem for p in PATHS]

#: Every component the chapter's text names, as a learner would search for it in the prose.
COMPONENTS = [
    "API server",
    "scheduler",
    "kube-controller-manager",
    "cloud-controller-manager",
    "etcd",
    "kubelet",
    "CRI",
    "dockershim",
    "containerd",
    "CRI-O",
    "kube-proxy",
    "DNS",
    "Dashboard",
    "monitoring",
    "logging",
    "Pod",
]


#: How each component shows up in a stored diagram (SVG) and in the output of a simulated run.
EVIDENCE = {
    "API server": r"kube-apiserver",
    "scheduler": r"kube-scheduler",
    "kube-controller-manager": r"kube-controller-manager",
    "cloud-controller-manager": r"cloud-controller-manager",
    "etcd": r"\betcd\b",
    "kubelet": r"\bkubelet\b",
    "CRI": r"\bCRI\b|RunPodSandbox|CreateContainer",
    "dockershim": r"dockershim",
    "containerd": r"containerd",
    "CRI-O": r"\bcri-o\b",
    "kube-proxy": r"kube-proxy",
    "DNS": r"coredns",
    "Dashboard": r"dashboard",
    "monitoring": r"metrics-server|monitoring",
    "logging": r"fluent-bit|logging",
    "Pod": r"\bpods?\b",
}


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
    bad = [
        (i, o.get("ename") or o.get("text", "")[:200])
        for i, c in enumerate(code_cells(path))
        for o in c.outputs
        if o.output_type == "error" or o.get("name") == "stderr"
    ]
    assert bad == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_stored_as_the_execute_script_writes_it(path: Path, execute_notebooks):
    """Deterministic widget ids, no timings, no interpreter version: what `make notebooks` writes."""
    nb = execute_notebooks.normalise(read(path), path.stem)
    assert execute_notebooks.serialise(nb) == path.read_bytes(), "run `make notebooks`"


@functools.cache
def _prose() -> str:
    return "\n".join(c.source for p in PATHS for c in read(p).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_of_the_chapter_appears_in_the_prose(component: str):
    assert re.search(rf"(?<![\w-]){re.escape(component)}(?![\w-])", _prose(), re.IGNORECASE), component


@functools.cache
def _outputs() -> tuple[str, str]:
    """(all stored diagrams' SVG text, all other stored output text) of every notebook."""
    svg, runs = [], []
    for path in PATHS:
        for cell in code_cells(path):
            for out in cell.outputs:
                data = out.get("data", {})
                if "image/svg+xml" in data:
                    svg.append(data["image/svg+xml"])
                elif "<svg" in data.get("text/html", ""):
                    svg.append(data["text/html"])
                runs.append(
                    out.get("text", "") if out.output_type == "stream" else data.get("text/plain", "")
                )
    return html.unescape("\n".join(svg)), "\n".join(runs)


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_component_of_the_chapter_appears_in_a_diagram_and_in_a_run(component: str):
    svg, runs = _outputs()
    pattern = re.compile(EVIDENCE[component], re.IGNORECASE)
    assert pattern.search(svg), f"{component} in no stored diagram"
    assert pattern.search(runs), f"{component} in no stored output of a simulated run"


def test_re_executing_the_index_notebook_reproduces_it_byte_for_byte(tmp_path: Path, execute_notebooks):
    assert PATHS, "no notebooks yet"
    index = NOTEBOOKS / "00-index.ipynb"
    path = index if index.exists() else min(PATHS, key=lambda p: (len(code_cells(p)), p.name))
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    nb = execute_notebooks.normalise(execute_notebooks.execute(copy, cwd=NOTEBOOKS), path.stem)
    assert execute_notebooks.serialise(nb) == path.read_bytes()
