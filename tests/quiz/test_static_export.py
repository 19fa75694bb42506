"""A static HTML export of the knowledge-check notebook reads: every question prompt, no answer.

The notebook is executed into a temporary copy the way ``scripts/execute_notebooks.py``
refreshes the stored notebooks, then exported with nbconvert's HTML exporter (the
``lab`` template, what ``jupyter nbconvert --to html`` uses) both as executed and
with widget state saved in its metadata, the case in which nbconvert prefers the
widget view (nbconvert/filters/widgetsdatatypefilter.py).  Scripts are removed
before reading: their content comes from a CDN that a static page cannot rely on.
"""

from __future__ import annotations

import html
import re
import runpy
import shutil

import nbformat
import pytest
from nbconvert import HTMLExporter

from kcourse.quiz import load_bank

from .conftest import BANK, REPO
from .test_no_keys_in_notebooks import leaks

NOTEBOOK = REPO / "notebooks" / "13-knowledge-check.ipynb"
VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> nbformat.NotebookNode:
    work = tmp_path_factory.mktemp("nb13")
    copy = work / NOTEBOOK.name
    shutil.copy(NOTEBOOK, copy)
    script = runpy.run_path(str(REPO / "scripts" / "execute_notebooks.py"))  # scripts/ is not a package
    return script["normalise"](script["execute"](copy, cwd=NOTEBOOK.parent), copy.stem)


def _with_saved_widget_state(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` as JupyterLab saves it with "Save Widget State Automatically" on: every shown view has state."""
    nb = nbformat.from_dict(nb)
    views = [
        o["data"][VIEW]["model_id"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if VIEW in o.get("data", {})
    ]
    nb.metadata["widgets"] = {
        STATE: {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                m: {
                    "model_name": "VBoxModel",
                    "model_module": "@jupyter-widgets/controls",
                    "model_module_version": "2.0.0",
                    "state": {},
                }
                for m in views
            },
        }
    }
    return nb


def visible_text(page: str) -> str:
    """What a reader of the page sees without JavaScript: tags and scripts removed, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.DOTALL | re.IGNORECASE)
    page = re.sub(r"<[^>]+>", " ", page)
    return " ".join(html.unescape(page).split())


@pytest.mark.parametrize("saved_state", [False, True], ids=["as-executed", "widget-state-saved"])
def test_every_question_prompt_of_the_knowledge_check_reads_in_nbconvert_html(executed, saved_state: bool):
    bank = load_bank(BANK)
    nb = _with_saved_widget_state(executed) if saved_state else executed
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    text = visible_text(page)
    missing = [q.id for q in bank.questions if " ".join(q.prompt.split()) not in text]
    assert missing == [], f"{len(bank.questions) - len(missing)}/{len(bank.questions)} prompts readable"
    assert "Run this cell to check your answers." in text
    assert leaks(html.unescape(page), bank) == []


def test_re_executing_a_notebook_drops_widget_state_an_older_run_saved(tmp_path):
    """The stored notebooks keep no widget state; state saved by an earlier run must not survive re-execution
    (its derived model ids would collide with the new outputs' ids)."""
    script = runpy.run_path(str(REPO / "scripts" / "execute_notebooks.py"))
    stale = script["_widget_id"]("stale/0/0")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import ipywidgets\nipywidgets.Button()")])
    nb.metadata["widgets"] = {
        STATE: {
            "version_major": 2,
            "version_minor": 0,
            "state": {
                stale: {
                    "model_name": "ButtonModel",
                    "model_module": "@jupyter-widgets/controls",
                    "model_module_version": "2.0.0",
                    "state": {"description": "old"},
                }
            },
        }
    }
    path = tmp_path / "stale.ipynb"
    nbformat.write(nb, path)
    done = script["normalise"](script["execute"](path), "stale")
    assert "widgets" not in done.metadata
    assert done.cells[0].outputs[0]["data"][VIEW]["model_id"] == stale
