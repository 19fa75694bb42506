"""A widget's static copy: what a page shows where no kernel runs.

A live widget needs a kernel.  Where there is none — an nbconvert HTML export,
a Jupyter Book page, GitHub, a notebook opened but not yet run — a widget view
is an empty box, or worse, a restored copy whose buttons do nothing.  So each
kcourse widget is displayed as **two outputs** of its cell:

1. a ``display_data`` holding only ``text/html`` and ``text/plain``: the
   static copy (everything a reader needs, nothing secret, a line saying to
   run the cell), wrapped in ``<div class="kcourse-static">``;
2. the widget view itself, whose ``text/plain`` is one short line and which
   carries no ``text/html``.

Why two outputs rather than one bundle holding both the widget view and
``text/html``: every front end picks *one* representation per output, and
they pick the widget view first — JupyterLab whenever a widget manager is
installed (before the cell runs it shows only a placeholder line), nbconvert's
HTML exporter whenever the notebook's metadata saves that model's state,
MyST-NB (Jupyter Book) always — and outside JupyterLab the view's script
comes from a CDN.  A separate output that is only HTML is shown by
all of them, with no JavaScript at all.

The live widget hides the static copy in the same cell: it is wrapped in a
box of class ``kcourse-live`` whose stylesheet hides a ``kcourse-static``
output directly followed by a live view (CSS ``:has()``, JupyterLab 4,
Notebook 7 and the classic Notebook's output areas).  Without a rendered
live widget nothing hides it, so a static page always reads.  When the
kernel restarts, ipywidgets marks every view disconnected; the stylesheet
then hides the dead view and the static copy, with its "run this cell",
shows again instead of buttons that would do nothing.  Front ends that
lay outputs out otherwise (VS Code) show both, which is redundant but not
misleading.

Both outputs are deterministic (no model ids in ``text/plain`` or
``text/html``), so nbval compares them byte for byte.

Simplified: the copy is hidden with CSS, not removed, and only where the
front end supports ``:has()`` (current Chromium, Firefox and Safari); a
notebook saved with its widget state (JupyterLab's "Save Widget State
Automatically", or an executor's ``store_widget_state``) restores views that
look live but answer nothing before the kernel runs, so the course's
notebooks are stored without widget state.
"""

from __future__ import annotations

import html as _html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

__all__ = [
    "DISCONNECTED_CLASS",
    "LIVE_CLASS",
    "RUN_MESSAGE",
    "STATIC_CLASS",
    "WIDGET_VIEW",
    "display_with_fallback",
    "fallback_outputs",
    "live_view",
    "static_bundle",
    "widget_bundle",
]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LIVE_CLASS = "kcourse-live"
STATIC_CLASS = "kcourse-static"
RUN_MESSAGE = "Run this cell to use the interactive version."

#: ipywidgets' class on a view whose kernel has gone (restarted or shut down): its buttons answer nothing.
DISCONNECTED_CLASS = "jupyter-widgets-disconnected"
_LIVE = f".{LIVE_CLASS}:not(.{DISCONNECTED_CLASS})"
# Hide a static copy whose very next output in the same cell is a connected live kcourse widget;
# hide a live widget whose kernel has gone, so the static copy (and its "run this cell") shows again.
_HIDE_STATIC = (
    f".jp-OutputArea-child:has(+ .jp-OutputArea-child {_LIVE}) .{STATIC_CLASS},"
    f".output_area:has(+ .output_area {_LIVE}) .{STATIC_CLASS}"
    "{display:none}"
    f".{LIVE_CLASS}.{DISCONNECTED_CLASS}{{display:none}}"
)


def static_bundle(html: str, text: str, message: str = RUN_MESSAGE) -> dict[str, str]:
    """The static copy's mime bundle: ``html`` under a note saying ``message``, and ``text``."""
    note = f'<p class="kcourse-static-note"><strong>{_html.escape(message)}</strong></p>' if message else ""
    return {
        "text/html": f'<div class="{STATIC_CLASS}">{note}\n{html}\n</div>',
        "text/plain": f"{message}\n\n{text}" if message else text,
    }


def live_view(widget: w.Widget) -> w.Box:
    """``widget`` inside a box that marks it live and hides its static copy while it renders."""
    style = w.HTML(f"<style>{_HIDE_STATIC}</style>", layout=w.Layout(display="none"))
    box = w.VBox([style, widget])
    box.add_class(LIVE_CLASS)
    return box


def widget_bundle(widget: w.Widget, text: str) -> dict[str, Any]:
    """The widget view's mime bundle, with ``text`` as its only other representation."""
    return {
        "text/plain": text,
        WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id},
    }


def fallback_outputs(
    widget: w.Widget, html: str, text: str, *, summary: str = "", message: str = RUN_MESSAGE
) -> list[dict[str, Any]]:
    """The two mime bundles :func:`display_with_fallback` displays: the static copy, then the live view.

    ``summary`` is the live view's one-line ``text/plain`` (what a text-only
    front end shows for it; default: the first line of ``text``).
    """
    return [
        static_bundle(html, text, message),
        widget_bundle(live_view(widget), summary or text.split("\n", 1)[0]),
    ]


def display_with_fallback(
    widget: w.Widget,
    html: str,
    text: str,
    *,
    summary: str = "",
    message: str = RUN_MESSAGE,
    display: Callable[..., Any] | None = None,
) -> None:
    """Display ``widget`` as two outputs: a static copy (``html``, ``text``), then its live view.

    Call it from a widget's ``_ipython_display_``, which IPython prefers to
    ``_repr_mimebundle_`` both for a cell's last expression and for
    ``display()``.  ``display`` is IPython's unless given (tests pass a list's
    ``append``-like function).
    """
    if display is None:
        from IPython.display import display as ipython_display

        display = ipython_display
    for bundle in fallback_outputs(widget, html, text, summary=summary, message=message):
        display(bundle, raw=True)
