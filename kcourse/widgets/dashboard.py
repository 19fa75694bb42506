"""The Dashboard widget: the Dashboard addon's summary of the cluster, with a Refresh button.

The content comes from ``dashboard_summary(cluster)`` in the addons module
(nodes, workloads, health, recent warnings), which is what the Dashboard
addon Pod would serve; this widget only lays it out.  Every section of the
summary is drawn: a list of records becomes a table, a mapping becomes a
two-column table, anything else a line of text — so the widget keeps
working as the summary grows.

Where widgets are not live (nbconvert HTML, Jupyter Book, GitHub, a notebook
not yet run), the static copy displayed before the live view
(``kcourse.widgets.static``) shows the same tables in ``text/html`` and the
summary as aligned text in ``text/plain``.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from kcourse.widgets.static import display_with_fallback, fallback_outputs, widget_bundle

if TYPE_CHECKING:
    from kcourse.sim.cluster import Cluster

__all__ = ["Dashboard", "summary_html", "summary_text"]


def _summary(cluster: Cluster) -> dict[str, Any]:
    try:
        from kcourse.sim.addons import dashboard_summary
    except ImportError:
        return {"Dashboard": "the Dashboard addon is not available in this version of kcourse"}
    return dashboard_summary(cluster)


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return "" if value is None else str(value)


def _columns(rows: list[dict]) -> list[str]:
    cols: list[str] = []
    for row in rows:
        for k in row:
            if k not in cols:
                cols.append(k)
    return cols


def _section_html(title: str, value: Any) -> str:
    td = '<td style="text-align:left;padding:1px 8px">'
    head = f"<h4 style='margin:8px 0 2px'>{html.escape(str(title))}</h4>"
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        cols = _columns(value)
        ths = "".join(f'<th style="text-align:left;padding:1px 8px">{html.escape(str(c))}</th>' for c in cols)
        rows = "".join(
            "<tr>" + "".join(f"{td}{html.escape(_cell(r.get(c)))}</td>" for c in cols) + "</tr>"
            for r in value
        )
        return f"{head}<table><thead><tr>{ths}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(value, dict):
        rows = "".join(
            f"<tr>{td}<b>{html.escape(str(k))}</b></td>{td}{html.escape(_cell(v))}</td></tr>"
            for k, v in value.items()
        )
        return f"{head}<table><tbody>{rows}</tbody></table>"
    if isinstance(value, list):
        items = "".join(f"<li>{html.escape(_cell(v))}</li>" for v in value) or "<li>none</li>"
        return f"{head}<ul>{items}</ul>"
    return f"{head}<p>{html.escape(_cell(value))}</p>"


def summary_html(summary: dict[str, Any]) -> str:
    """The summary as HTML: one heading and one table (or list) per section."""
    return "<div>" + "".join(_section_html(k, v) for k, v in summary.items()) + "</div>"


def _section_text(title: str, value: Any) -> list[str]:
    lines = [f"== {title} =="]
    if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
        cols = _columns(value)
        table = [cols] + [[_cell(r.get(c)) for c in cols] for r in value]
        widths = [max(len(str(row[i])) for row in table) for i in range(len(cols))]
        lines += [
            "  ".join((str(v).upper() if n == 0 else str(v)).ljust(w) for v, w in zip(row, widths)).rstrip()
            for n, row in enumerate(table)
        ]
    elif isinstance(value, dict):
        lines += [f"{k}: {_cell(v)}" for k, v in value.items()]
    elif isinstance(value, list):
        lines += [f"- {_cell(v)}" for v in value] or ["(none)"]
    else:
        lines.append(_cell(value))
    return lines


def summary_text(summary: dict[str, Any]) -> str:
    """The summary as plain text, deterministic for a seeded cluster."""
    out: list[str] = []
    for k, v in summary.items():
        out += _section_text(k, v) + [""]
    return "\n".join(out).rstrip()


class Dashboard(widgets.VBox):
    """The Dashboard addon's view of the cluster; press Refresh after the cluster moved on."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.refresh_button = widgets.Button(
            description="Refresh", icon="refresh", tooltip="Read the Dashboard addon's summary again"
        )
        self.refresh_button.on_click(lambda _: self.refresh())
        self.heading = widgets.HTML(value="")
        self.body = widgets.HTML(value="")
        super().__init__(children=[widgets.HBox([self.refresh_button, self.heading]), self.body])
        self.refresh()

    def refresh(self) -> None:
        self.summary = _summary(self.cluster)
        self.heading.value = html.escape(self._title())
        self.body.value = summary_html(self.summary)

    def _title(self) -> str:
        return f"Dashboard of cluster {self.cluster.name!r} at t={self.cluster.clock.now:.3f}s"

    def __repr__(self) -> str:
        return f"<kcourse Dashboard: {self._title()}>"

    # --- the static copy (kcourse.widgets.static): HTML-only, then the live view that hides it --------

    def static_html(self) -> str:
        return f"<div><p><b>{html.escape(self._title())}</b></p>{self.body.value}</div>"

    def static_text(self) -> str:
        return f"{self._title()}\n\n{summary_text(self.summary)}"

    def outputs(self) -> list[dict[str, Any]]:
        """The mime bundles a notebook stores for the Dashboard: the static copy, then the live view."""
        return fallback_outputs(self, self.static_html(), self.static_text(), summary=repr(self))

    def _ipython_display_(self) -> None:
        display_with_fallback(self, self.static_html(), self.static_text(), summary=repr(self))

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, Any]:
        """The live view alone (IPython uses ``_ipython_display_``, which adds the static copy)."""
        return widget_bundle(self, repr(self))
