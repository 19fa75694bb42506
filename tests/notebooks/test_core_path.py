"""The chapter's shape: a core path of about 90 minutes, optional deep dives, one style of heading and
navigation.

The reading-time model is in ``reading_time.py`` (prose at 200 words a minute, so many seconds per
code cell, line of code, line of output, picture and question).  These tests recompute every
notebook's estimate from its cells and stored outputs, so a notebook that grows has to say so —
or move the new material into a deep dive.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import nbformat
import pytest

from kcourse.sim.component import TRACE_WIDTH

from . import reading_time
from .conftest import EXPECTED, NOTEBOOKS, notebook_paths, read

PATHS = notebook_paths()
IDS = [p.stem for p in PATHS]
CORE_BUDGET_MINUTES = 100
INDEX = NOTEBOOKS / "00-index.ipynb"
_MAP_ROW = re.compile(
    r"^\| \[(?P<stem>[\w-]+)\]\((?P=stem)\.ipynb\) \| (?P<topic>[^|]+?) \| (?P<time>[^|]+?) \|$", re.MULTILINE
)
_HEADING = re.compile(r"^(#{1,6}) (.*)$", re.MULTILINE)
_EVENT_HEAD = re.compile(r"^ *\d+\.\d{3}s  \S")
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def headings(markdown: str) -> list[re.Match]:
    """Markdown headings, not the comment lines of a fenced code block."""
    return list(_HEADING.finditer(_FENCE.sub("", markdown)))


def topics() -> dict[str, str]:
    """The map in 00-index: each notebook's topic, the name the navigation links use."""
    text = "\n".join(c.source for c in read(INDEX).cells if c.cell_type == "markdown")
    return {m["stem"]: m["topic"] for m in _MAP_ROW.finditer(text)}


def expected_navigation(stem: str) -> str:
    names = topics()
    at = EXPECTED.index(stem)
    parts = []
    if at > 0:
        parts.append(f"[← {names[EXPECTED[at - 1]]}]({EXPECTED[at - 1]}.ipynb)")
    if stem != "00-index":
        parts.append("[↑ Map of the chapter](00-index.ipynb)")
    if at + 1 < len(EXPECTED):
        parts.append(f"[{names[EXPECTED[at + 1]]} →]({EXPECTED[at + 1]}.ipynb)")
    return " · ".join(parts)


def test_the_map_names_every_notebook_in_order():
    assert list(topics()) == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_notebook_opens_and_closes_with_the_same_navigation(path: Path):
    cells = read(path).cells
    expected = expected_navigation(path.stem)
    assert cells[0].cell_type == "markdown" and cells[0].source == expected
    assert cells[-1].cell_type == "markdown" and cells[-1].source == expected


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_notebook_has_one_title_its_estimate_and_what_you_will_do(path: Path):
    """H1 = the map's topic (the index keeps its own title), then the estimate, then 'In this notebook you
    will'."""
    cells = read(path).cells
    titles = [
        (c.source, m)
        for c in cells
        if c.cell_type == "markdown"
        for m in headings(c.source)
        if len(m.group(1)) == 1
    ]
    assert len(titles) == 1, [m.group(0) for _, m in titles]
    source, title = titles[0]
    assert cells[1].source == source, "the title comes right after the navigation"
    if path.stem != "00-index":
        assert title.group(2) == topics()[path.stem]
        assert "**In this notebook you will**" in source
    assert reading_time.ESTIMATE.search(source), "the estimate line follows the title"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_headings_step_down_one_level_at_a_time(path: Path):
    levels = [
        len(m.group(1)) for c in read(path).cells if c.cell_type == "markdown" for m in headings(c.source)
    ]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_deep_dives_are_labelled_tagged_and_folded(path: Path):
    """A deep dive runs from its '## Deep dive (optional): …' heading to the next level-2 heading.

    Its cells carry the ``deep-dive`` tag (so tools can hide them) and its heading starts collapsed
    in JupyterLab (``jp-MarkdownHeadingCollapsed``); no other cell is tagged.
    """
    inside = False
    for cell in read(path).cells:
        if cell.cell_type == "markdown" and re.match(r"^## ", cell.source):
            inside = bool(reading_time.DEEP_DIVE_HEADING.match(cell.source))
            if inside:
                assert cell.metadata.get("jp-MarkdownHeadingCollapsed") is True, cell.source.splitlines()[0]
        elif cell.cell_type == "markdown" and cell.source.startswith(("[← ", "[↑ ", "[Introduction")):
            inside = False  # the closing navigation
        elif cell.cell_type == "markdown" and cell.source.startswith("<details><summary><b>Try this"):
            inside = False  # the optional box after the deep dives
        assert reading_time.is_deep_dive(cell) == inside, (cell.id, cell.source[:60])


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_the_declared_estimate_matches_the_model(path: Path):
    computed = reading_time.estimate(path)
    declared = reading_time.declared(path)
    assert declared is not None
    core, deep = declared
    assert abs(core - computed.core / 60) <= max(1.0, 0.15 * computed.core / 60), (core, computed.core / 60)
    assert abs(deep - computed.deep / 60) <= max(1.0, 0.15 * computed.deep / 60), (deep, computed.deep / 60)


def test_the_map_shows_each_notebooks_estimate():
    for stem, time in (
        (m["stem"], m["time"])
        for m in _MAP_ROW.finditer(
            "\n".join(c.source for c in read(INDEX).cells if c.cell_type == "markdown")
        )
    ):
        core, deep = reading_time.declared(NOTEBOOKS / f"{stem}.ipynb")
        assert time == (f"{core} min (+{deep})" if deep else f"{core} min"), stem


def test_the_core_path_of_the_chapter_takes_about_ninety_minutes():
    core = sum(reading_time.estimate(p).core for p in PATHS) / 60
    deep = sum(reading_time.estimate(p).deep for p in PATHS) / 60
    assert 75 <= core <= CORE_BUDGET_MINUTES, f"core path {core:.0f} min"
    assert deep >= core / 2, "the depth stays, in the deep dives"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_core_cells_read_without_lambdas_or_next(path: Path):
    """Beginner cells call named helpers (kcourse.helpers) instead of ``lambda`` and ``next(...)``."""
    bad = [
        c.source.splitlines()[0]
        for c in read(path).cells
        if c.cell_type == "code"
        and not reading_time.is_deep_dive(c)
        and re.search(r"\blambda\b|\bnext\(", c.source)
    ]
    assert bad == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_stored_trace_lines_fit_the_output_area(path: Path):
    """Every trace event in a stored output is laid out within TRACE_WIDTH characters."""
    too_long = []
    for cell in read(path).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if _EVENT_HEAD.match(line):
                    block = [line] + [m for m in _continuation(lines[i + 1 :])]
                    too_long += [b for b in block if len(b) > TRACE_WIDTH]
    assert too_long == []


def _continuation(lines: list[str]):
    for line in lines:
        if not line.startswith(" " * 12) or _EVENT_HEAD.match(line):
            return
        yield line


@pytest.mark.parametrize(
    "path",
    [p for p in PATHS if any(reading_time.is_deep_dive(c) for c in read(p).cells)],
    ids=lambda p: p.stem,
)
def test_the_core_path_runs_without_the_deep_dives(path: Path, tmp_path: Path, execute_notebooks):
    """A learner may skip every deep dive: the core cells alone run without an error."""
    nb = read(path)
    nb.cells = [c for c in nb.cells if not reading_time.is_deep_dive(c)]
    copy = tmp_path / path.name
    nbformat.write(nb, copy)
    execute_notebooks.execute(copy, cwd=NOTEBOOKS)
