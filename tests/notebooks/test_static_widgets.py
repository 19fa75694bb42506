"""Static HTML exports of the chapters with live widgets read: the Stepper's events and the Dashboard's
tables.

Each notebook is executed into a temporary copy the way ``scripts/execute_notebooks.py``
refreshes the stored notebooks, then exported with nbconvert's HTML exporter (the
``lab`` template of ``jupyter nbconvert --to html``), as executed and with widget state
saved in its metadata — the case in which nbconvert prefers the widget view
(nbconvert/filters/widgetsdatatypefilter.py).  Scripts are removed before reading:
a static page cannot rely on the widget JavaScript from a CDN.
"""

from __future__ import annotations

import re
import runpy
import shutil

import nbformat
import pytest
from nbconvert import HTMLExporter
from quiz.test_static_export import _with_saved_widget_state, visible_text

from .conftest import NOTEBOOKS, REPO


def _execute(name: str, tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    source = NOTEBOOKS / f"{name}.ipynb"
    copy = tmp_path_factory.mktemp(name) / source.name
    shutil.copy(source, copy)
    script = runpy.run_path(str(REPO / "scripts" / "execute_notebooks.py"))  # scripts/ is not a package
    return script["normalise"](script["execute"](copy, cwd=NOTEBOOKS), copy.stem)


def _static_copies(nb: nbformat.NotebookNode, marker: str) -> list[dict]:
    """The HTML-only outputs (a widget's static copy) whose text/plain contains ``marker``."""
    return [
        o["data"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if set(o.get("data", {})) == {"text/html", "text/plain"} and marker in o["data"]["text/plain"]
    ]


def _events(text: str) -> list[list[str]]:
    """Time, component, verb, object and message of each trace event, whether on one line or wrapped."""
    events: list[list[str]] = []
    for line in text.splitlines():
        if re.match(r"^ *\d+\.\d{3}s  ", line):
            time, component, verb, key, *message = line.split(None, 4)
            events.append([time, component, verb, key, " ".join(message)])
        elif events and line.startswith(" " * 12):
            events[-1][4] = f"{events[-1][4]} {line.strip()}".strip()
    return events


@pytest.fixture(scope="module")
def controllers_chapter(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    return _execute("05-controller-managers", tmp_path_factory)


@pytest.fixture(scope="module")
def addons_chapter(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    return _execute("10-addons", tmp_path_factory)


@pytest.mark.parametrize("saved_state", [False, True], ids=["as-executed", "widget-state-saved"])
def test_the_stepper_event_table_reads_in_nbconvert_html(controllers_chapter, saved_state: bool):
    [copy] = _static_copies(controllers_chapter, "<kcourse Stepper:")
    trace = _events(copy["text/plain"])
    assert len(trace) == 8  # the notebook shows the last 8 events
    nb = _with_saved_widget_state(controllers_chapter) if saved_state else controllers_chapter
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    text = visible_text(page)
    assert "Last 8 events time (s) component verb object message" in text
    for time, component, verb, key, message in trace:  # each event's cells of the table
        assert " ".join([time.rstrip("s"), component, verb, key, message]) in text, (time, message)
    assert "Run this cell to use the interactive version." in text
    assert "<svg" in copy["text/html"] and "acted on" in text  # the diagram and the last event explained


@pytest.mark.parametrize("saved_state", [False, True], ids=["as-executed", "widget-state-saved"])
def test_the_dashboard_tables_read_in_nbconvert_html(addons_chapter, saved_state: bool):
    copies = _static_copies(addons_chapter, "Dashboard of cluster")
    assert len(copies) == 2
    nb = _with_saved_widget_state(addons_chapter) if saved_state else addons_chapter
    text = visible_text(HTMLExporter(template_name="lab").from_notebook_node(nb)[0])
    for copy in copies:
        title = copy["text/plain"].split("\n\n")[1].splitlines()[0]
        assert title in text
        sections = [line.strip("= ") for line in copy["text/plain"].splitlines() if line.startswith("== ")]
        assert sections and all(s in text for s in sections), sections
