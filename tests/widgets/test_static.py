"""A widget is displayed as a static copy followed by its live view, and every static front end reads the
copy."""

from __future__ import annotations

import re

import ipywidgets as w
import nbformat
import pytest
from ipywidgets.widgets.widget import _instances
from nbconvert import HTMLExporter

from kcourse.widgets.static import (
    DISCONNECTED_CLASS,
    LIVE_CLASS,
    STATIC_CLASS,
    WIDGET_VIEW,
    display_with_fallback,
    fallback_outputs,
)


def _outputs(widget: w.Widget) -> list[dict]:
    shown: list[dict] = []
    display_with_fallback(
        widget,
        "<p>Readable copy</p>",
        "Readable copy\nsecond line",
        display=lambda bundle, raw: shown.append(bundle),
    )
    return shown


def test_the_static_copy_comes_first_and_holds_no_widget_view():
    static, live = _outputs(w.Button(description="Go"))
    assert set(static) == {"text/html", "text/plain"}
    assert f'class="{STATIC_CLASS}"' in static["text/html"] and "<p>Readable copy</p>" in static["text/html"]
    assert "Run this cell" in static["text/html"] and static["text/plain"].endswith(
        "Readable copy\nsecond line"
    )
    assert set(live) == {"text/plain", WIDGET_VIEW}
    assert live["text/plain"] == "Readable copy"


def test_the_live_view_wraps_the_widget_in_a_box_that_hides_the_copy():
    button = w.Button(description="Go")
    _, live = _outputs(button)
    box = _instances[live[WIDGET_VIEW]["model_id"]]
    assert LIVE_CLASS in box._dom_classes and button in box.children
    style = box.children[0]
    assert style.layout.display == "none"
    live = rf"\.{LIVE_CLASS}:not\(\.{DISCONNECTED_CLASS}\)"
    assert re.search(rf":has\(\+ \.jp-OutputArea-child {live}\) \.{STATIC_CLASS}", style.value)
    assert re.search(rf"\.{LIVE_CLASS}\.{DISCONNECTED_CLASS}\{{display:none\}}", style.value)


def test_outputs_carry_no_model_id_outside_the_widget_view():
    static, live = fallback_outputs(w.Button(), "<p>x</p>", "x")
    assert not re.search(r"[0-9a-f]{32}", repr(static) + live["text/plain"])


def _notebook(outputs: list[dict], widget_state: dict | None) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data=b) for b in outputs]
    nb = nbformat.v4.new_notebook(cells=[cell])
    if widget_state is not None:
        nb.metadata["widgets"] = {
            "application/vnd.jupyter.widget-state+json": {
                "state": widget_state,
                "version_major": 2,
                "version_minor": 0,
            }
        }
    return nb


def _visible_text(page: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", page, flags=re.DOTALL | re.IGNORECASE)


@pytest.mark.parametrize("saved_state", [False, True], ids=["no-widget-state", "widget-state-saved"])
def test_nbconvert_html_shows_the_static_copy_with_or_without_saved_widget_state(saved_state: bool):
    """nbconvert picks the widget view over text/html when the model's state is saved
    (nbconvert/filters/widgetsdatatypefilter.py); a separate output keeps the copy either way."""
    outputs = fallback_outputs(w.Button(description="Go"), "<p>Which component stores state?</p>", "x")
    model_id = outputs[1][WIDGET_VIEW]["model_id"]
    state = (
        {
            model_id: {
                "model_name": "VBoxModel",
                "model_module": "@jupyter-widgets/controls",
                "model_module_version": "2.0.0",
                "state": {},
            }
        }
        if saved_state
        else None
    )
    page, _ = HTMLExporter(template_name="lab").from_notebook_node(_notebook(outputs, state))
    assert "Which component stores state?" in _visible_text(page)
    assert (f'"model_id": "{model_id}"' in page) is saved_state
