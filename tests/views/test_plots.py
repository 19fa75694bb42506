"""The matplotlib timelines: each returns a Figure whose artists carry the cluster's history."""

from __future__ import annotations

import base64
import html
import itertools
import re
from collections import Counter

import matplotlib.text
import pytest
from builders import add_pod, populate

import kcourse
from kcourse import plots

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}


@pytest.fixture
def recorded():
    """A cluster recorded from before its boot."""
    c = kcourse.Cluster(seed=0, bootstrap=False)
    rec = plots.record(c)
    c.run_until_stable()
    return c, rec


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_figures_render_as_png_without_pyplot(recorded):
    c, _ = recorded
    fig = plots.etcd_revisions(c)
    assert isinstance(fig, plots.Figure)
    assert fig.png().startswith(b"\x89PNG")
    assert repr(fig) == "<Figure size 1000x650 with 3 Axes>"


def test_a_figure_shows_as_an_img_with_its_alt_text_no_wider_than_the_page(recorded):
    """JupyterLab, nbconvert and Jupyter Book all pick text/html: the alt text reaches every static page."""
    c, _ = recorded
    fig = plots.etcd_revisions(c)
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    img = bundle["text/html"]
    assert re.fullmatch(
        r'<img alt="[^"<>]+" src="data:image/png;base64,[A-Za-z0-9+/=]+" '
        r'style="max-width: 100%; height: auto">',
        img,
    )
    assert html.unescape(re.search(r'alt="([^"]+)"', img).group(1)) == fig.alt
    png = base64.b64decode(re.search(r"base64,([^\"]+)", img).group(1))
    assert png == fig.png()


def test_record_returns_one_recorder_per_cluster(recorded):
    c, rec = recorded
    assert plots.record(c) is rec
    assert rec.samples[0].time == 0 and rec.samples[-1].revision == c.etcd.revision


def test_recorder_dates_every_revision_it_saw(recorded):
    c, rec = recorded
    revisions = sorted(rev for writes in rec.writes.values() for _, rev, _ in writes)
    assert revisions[-1] == c.etcd.revision
    assert len(set(revisions)) == len(revisions)


def test_replicas_plots_desired_and_current_over_time(recorded):
    c, rec = recorded
    c.api.create(DEPLOYMENT, user="kubectl")
    c.run_until_stable()
    d = c.api.peek("deployments", "web", "default")
    ax = plots.replicas(c, "web").axes[0]
    lines = lines_by_label(ax)
    desired, current = lines["desired (spec.replicas)"], lines["current (status.replicas)"]
    assert list(desired.get_ydata())[-1] == 3
    assert list(current.get_ydata())[-1] == d["status"].get("replicas", 0)
    assert next(iter(desired.get_xdata())) == rec.writes["/registry/deployments/default/web"][0][0]


def test_replicas_marks_scaling_and_node_failures(recorded):
    c, _ = recorded
    c.api.create(DEPLOYMENT, user="kubectl")
    c.run_until_stable()
    c.fail_node("worker-1")
    c.run(max_steps=5)
    fig = plots.replicas(c, "web")
    caption = [t.get_text() for t in fig.texts if re.match(r"\d+  ", t.get_text())]
    assert any(re.fullmatch(r"\d+  t=[0-9.]+ s  worker-1 powered off", t) for t in caption), caption
    assert any(
        re.fullmatch(r"\d+  t=[0-9.]+ s  Scaled up replica set web-\S+ from 0 to 3", t) for t in caption
    )
    numbers = {t.get_text() for t in fig.axes[0].texts}
    assert numbers == {
        line.split()[0] for line in caption
    }  # every caption line has its number above the plot
    assert "worker-1 powered off" in fig.alt and "Desired 3." in fig.alt


def test_etcd_revisions_follow_the_store_and_mark_compactions(recorded):
    c, rec = recorded
    c.run(max_steps=20)
    c.etcd.compact(c.etcd.revision - 5)
    c.run(max_steps=3)
    fig = plots.etcd_revisions(c)
    ax_rev, _ax_keys, ax_bar = fig.axes
    lines = lines_by_label(ax_rev)
    assert list(lines["revision after each write"].get_ydata())[-1] == c.etcd.revision
    assert rec.compactions and rec.compactions[-1][1] == c.etcd.compact_revision
    assert any(t.get_text() == f"compact({c.etcd.compact_revision})" for t in ax_rev.texts)
    keys = {
        label.get_text(): patch.get_width() for label, patch in zip(ax_bar.get_yticklabels(), ax_bar.patches)
    }
    assert keys["namespaces"] == len(c.api.items("namespaces"))


def test_scheduling_counts_pods_per_node_by_phase(cluster):
    populate(cluster, pods_per_worker=2)
    add_pod(cluster, "slow", "worker-1", phase="Pending")
    fig = plots.scheduling(cluster)
    ax = fig.axes[0]
    running = next(p for p in ax.containers if p.get_label() == "Running")
    widths = {label.get_text(): bar.get_width() for label, bar in zip(ax.get_yticklabels(), running)}
    running_on = Counter(
        p["spec"].get("nodeName")
        for p in cluster.api.items("pods")
        if p.get("status", {}).get("phase") == "Running"
    )
    assert widths["worker-1"] == running_on["worker-1"] >= 2
    assert widths["master-1"] == running_on["master-1"]


def test_scheduling_shows_per_plugin_scores_of_one_decision(cluster, monkeypatch):
    decision = {
        "node": "worker-2",
        "scores": {
            "worker-1": {"NodeResourcesFit": 50, "TaintToleration": 3},
            "worker-2": {"NodeResourcesFit": 80, "TaintToleration": 3},
        },
        "total": {"worker-1": 53, "worker-2": 83},
        "filtered": {"worker-3": "node(s) had untolerated taint"},
        "feasible": 2,
        "evaluated": 3,
        "decided_by": "NodeResourcesFit",
    }

    class Scheduler:
        def __init__(self):
            self.decisions = {"default/web-1": decision}

    monkeypatch.setattr(plots, "_scheduler", lambda c: Scheduler())
    ax = plots.scheduling(cluster, "web-1").axes[1]
    assert sorted(c.get_label() for c in ax.containers) == ["NodeResourcesFit", "TaintToleration"]
    assert any("83  ← chosen" == t.get_text() for t in ax.texts)
    assert any("worker-3: node(s) had untolerated taint" in t.get_text() for t in ax.texts)


def test_scheduling_refuses_a_pod_it_never_decided(cluster):
    with pytest.raises(ValueError, match="no decision"):
        plots.scheduling(cluster, "nobody")


def test_node_lifecycle_shows_renewals_and_the_failure(recorded):
    c, rec = recorded
    populate(c)
    c.advance(30)
    c.fail_node("worker-2")
    c.run_until_stable()
    fig = plots.node_lifecycle(c)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == sorted(c.machines)
    assert any(t.get_text() == "machine off" for t in ax.texts)
    assert ("worker-2", "off") in [(n, s) for _, n, s in rec.power]


def test_monitoring_needs_the_addon(cluster):
    if getattr(getattr(cluster, "addons", None), "metrics", None) is None:
        with pytest.raises(ValueError, match="monitoring addon"):
            plots.monitoring(cluster)


def test_monitoring_plots_cpu_and_memory_series(cluster, monkeypatch):
    class Store:
        def names(self, kind):
            return ["worker-1"]

        def series(self, kind, name):
            return [(0.0, 0.1, 2**20 * 100), (10.0, 0.25, 2**20 * 120)]

    class Addons:
        metrics = Store()

    monkeypatch.setattr(cluster, "addons", Addons(), raising=False)
    ax_cpu, ax_mem = plots.monitoring(cluster).axes
    assert list(ax_cpu.get_lines()[0].get_ydata()) == [100.0, 250.0]
    assert list(ax_mem.get_lines()[0].get_ydata()) == [100.0, 120.0]


# --- what a learner reads in a plot ----------------------------------------------------------------------


def controller_story() -> kcourse.Cluster:
    """The controller chapter's story: create, scale up and down while stepping, then lose a worker."""
    c = kcourse.Cluster(masters=1, workers=3, seed=0)
    plots.record(c)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.run_until_stable()
    c.kubectl("scale deployment web --replicas=5")
    c.run(max_steps=8)
    c.run_until_stable()
    c.kubectl("scale deployment web --replicas=2")
    c.run(max_steps=5)
    c.run_until_stable()
    c.kubectl("scale deployment web --replicas=3")
    c.run_until_stable()
    c.fail_node("worker-2")
    c.advance(370)
    c.run_until_stable()
    return c


def overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of visible texts (titles, labels, tick labels, numbers, caption, legend) whose boxes
    intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = fig.findobj(matplotlib.text.Text)
    texts = [t for t in dict.fromkeys(found) if t.get_visible() and t.get_text().strip()]
    boxes = [(t.get_text(), t.get_window_extent(renderer).shrunk(0.98, 0.9)) for t in texts]
    legends = [
        (f"legend of {ax.get_title() or 'the plot'}", ax.get_legend().get_window_extent(renderer))
        for ax in fig.axes
        if ax.get_legend()
    ]
    clashes = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        if box_a.overlaps(box_b):
            clashes.append((a, b))
    inside = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    for name, legend in legends:
        clashes += [(name, text) for text, box in boxes if text not in inside and box.overlaps(legend)]
    return clashes


def test_the_replicas_plot_of_the_controller_story_has_no_overlapping_labels():
    c = controller_story()
    fig = plots.replicas(c, "web")
    assert len(fig.texts) >= 5  # the scalings and the failure are all named
    assert overlapping_texts(fig) == []


@pytest.mark.parametrize("gaps", [(0, 0, 0, 0), (1, 1, 1, 1), (5, 0, 30, 2), (0, 60, 0, 0)])
def test_replicas_labels_never_overlap_however_close_the_changes(gaps):
    c = kcourse.Cluster(masters=1, workers=2, seed=1)
    plots.record(c)
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2")
    c.run_until_stable()
    for replicas, gap in zip((4, 1, 3, 2), gaps):
        c.kubectl(f"scale deployment web --replicas={replicas}")
        c.run(max_steps=3)
        c.advance(gap)
    c.fail_node("worker-1")
    c.partition_node("worker-2")
    c.advance(5)
    fig = plots.replicas(c, "web")
    assert overlapping_texts(fig) == []


def test_replicas_alt_text_comes_from_the_data():
    c = controller_story()
    fig = plots.replicas(c, "web")
    history = plots.record(c).history("/registry/deployments/default/web")
    ready = [(t, (obj or {}).get("status", {}).get("readyReplicas", 0)) for t, obj in history]
    settled = next(t for i, (t, r) in enumerate(ready) if all(r2 == 3 for _, r2 in ready[i:]))
    assert "Desired 3, then 5, then 2, then 3." in fig.alt
    assert f"ready reaches 3 at t={settled:.1f} s" in fig.alt
    assert "worker-2 powered off" in fig.alt


def test_etcd_revisions_climb_in_write_order_when_the_clock_stands_still():
    """Applying objects without stepping writes everything at one simulated instant: the axis is write
    order."""
    c = kcourse.Cluster(masters=1, workers=1, seed=0)
    rec = plots.record(c)
    for colour in ("blue", "green", "red"):
        c.apply(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"c": colour}}
        )
    c.kubectl("delete configmap settings")
    revisions = sorted(rev for history in rec.writes.values() for _, rev, _ in history)
    fig = plots.etcd_revisions(c)
    line = lines_by_label(fig.axes[0])["revision after each write"]
    assert list(line.get_xdata()) == list(range(1, len(revisions) + 1))
    assert list(line.get_ydata()) == revisions and len(revisions) >= 4
    assert all(b > a for a, b in itertools.pairwise(line.get_ydata()))
    low, high = fig.axes[0].get_ylim()
    assert (
        low < revisions[0] and high > revisions[-1] and high - low < 4 * len(revisions)
    )  # each step visible
    assert fig.axes[0].get_xlabel().startswith("writes in the order etcd applied them (all at t=")
    assert f"climbs from {revisions[0]} to {revisions[-1]} over {len(revisions)} recorded writes" in fig.alt


def test_etcd_revisions_use_time_when_the_writes_are_spread(recorded):
    c, rec = recorded
    fig = plots.etcd_revisions(c)
    assert fig.axes[0].get_xlabel() == "simulated time (s)"
    times = [t for history in rec.writes.values() for t, _, _ in history]
    assert min(fig.axes[0].get_lines()[0].get_xdata()) == min(times)
    assert plots.etcd_revisions(c, x="writes").axes[0].get_xlabel().startswith("writes in the order")
    with pytest.raises(ValueError, match="x must be"):
        plots.etcd_revisions(c, x="revisions")


def test_every_plot_has_alt_text_from_its_data(recorded, monkeypatch):
    c, rec = recorded
    populate(c)
    c.fail_node("worker-2")
    c.advance(70)
    lifecycle = plots.node_lifecycle(c, "worker-2")
    renewals = [t for t, _, e in rec.writes["/registry/leases/kube-node-lease/worker-2"] if e == "PUT"]
    assert lifecycle.alt.startswith("Node heartbeats and lifecycle")
    assert f"worker-2: Lease renewed {len(renewals)} times, last at t={renewals[-1]:.1f} s" in lifecycle.alt
    assert "machine off at t=" in lifecycle.alt and "Unknown from t=" in lifecycle.alt
    sched = plots.scheduling(c)
    running = sum(
        1
        for p in c.api.items("pods")
        if p["spec"].get("nodeName") == "worker-1" and p["status"].get("phase") == "Running"
    )
    assert f"worker-1 {running} Running" in sched.alt
    for fig in (plots.etcd_revisions(c), lifecycle, sched, plots.replicas(c, "coredns", "kube-system")):
        assert len(fig.alt) > 60 and "0x" not in fig.alt
