"""The dashboard widget lays out the Dashboard addon's summary and refreshes it."""

from __future__ import annotations

import pytest

from kcourse.sim import addons
from kcourse.widgets.dashboard import Dashboard, summary_text


@pytest.fixture
def summary(monkeypatch):
    calls = []

    def dashboard_summary(cluster):
        calls.append(cluster.clock.now)
        return {
            "Nodes": [{"name": n, "status": "Ready"} for n in sorted(cluster.machines)],
            "Health": {"time": f"{cluster.clock.now:.3f}s"},
            "Warnings": [],
        }

    monkeypatch.setattr(addons, "dashboard_summary", dashboard_summary, raising=False)
    return calls


def test_renders_every_section_of_the_summary(cluster, summary):
    d = Dashboard(cluster)
    assert "<h4" in d.body.value and "worker-3" in d.body.value and "Warnings" in d.body.value


def test_refresh_reads_the_summary_again(cluster, summary):
    d = Dashboard(cluster)
    later = cluster.clock.now + 10
    cluster.advance(10)
    d.refresh_button.click()
    assert len(summary) == 2 and f"{later:.3f}s" in d.body.value


def test_static_fallback_is_readable_text_and_html(cluster, summary):
    """Displayed, the Dashboard is an HTML-only copy first, then the live view (kcourse.widgets.static)."""
    d = Dashboard(cluster)
    static, live = d.outputs()
    assert set(static) == {"text/html", "text/plain"} and "application/vnd.jupyter.widget-view+json" in live
    assert "text/html" not in live and "text/html" not in d._repr_mimebundle_()
    assert "<table>" in static["text/html"] and "kcourse-static" in static["text/html"]
    text = static["text/plain"].split("\n\n", 1)[1]  # after the line that says to run the cell
    assert text.startswith(f"Dashboard of cluster 'kcourse' at t={cluster.clock.now:.3f}s")
    assert "NAME      STATUS" in text and "worker-1  Ready" in text


def test_summary_text_lays_out_tables_mappings_and_lists():
    text = summary_text({"Pods": [{"name": "a", "ready": "1/1"}], "Health": {"ok": True}, "Warnings": []})
    assert text.splitlines() == [
        "== Pods ==",
        "NAME  READY",
        "a     1/1",
        "",
        "== Health ==",
        "ok: True",
        "",
        "== Warnings ==",
        "(none)",
    ]


def test_the_real_addon_summary_renders(cluster):
    if not hasattr(addons, "dashboard_summary"):
        pytest.skip("the Dashboard addon is not in this build yet")
    assert Dashboard(cluster).body.value.startswith("<div>")
