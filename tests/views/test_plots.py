"""The matplotlib timelines: each returns a Figure whose artists carry the cluster's history."""

from __future__ import annotations

from collections import Counter

import pytest
from builders import add_pod, populate

import kcourse
from kcourse import plots

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
              "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                       "template": {"metadata": {"labels": {"app": "web"}},
                                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}}


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
    assert fig._repr_png_().startswith(b"\x89PNG")
    assert repr(fig) == "<Figure size 1000x650 with 3 Axes>"


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
    ax = plots.replicas(c, "web").axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "worker-1 powered off" in texts
    assert any(t.startswith("Scaled up replica set web-") for t in texts)


def test_etcd_revisions_follow_the_store_and_mark_compactions(recorded):
    c, rec = recorded
    c.run(max_steps=20)
    c.etcd.compact(c.etcd.revision - 5)
    c.run(max_steps=3)
    fig = plots.etcd_revisions(c)
    ax_rev, _ax_keys, ax_bar = fig.axes
    lines = lines_by_label(ax_rev)
    assert list(lines["current revision"].get_ydata())[-1] == c.etcd.revision
    assert rec.compactions and rec.compactions[-1][1] == c.etcd.compact_revision
    assert any(t.get_text() == f"compact({c.etcd.compact_revision})" for t in ax_rev.texts)
    keys = {label.get_text(): patch.get_width() for label, patch in zip(ax_bar.get_yticklabels(), ax_bar.patches)}
    assert keys["namespaces"] == len(c.api.items("namespaces"))


def test_scheduling_counts_pods_per_node_by_phase(cluster):
    populate(cluster, pods_per_worker=2)
    add_pod(cluster, "slow", "worker-1", phase="Pending")
    fig = plots.scheduling(cluster)
    ax = fig.axes[0]
    running = next(p for p in ax.containers if p.get_label() == "Running")
    widths = {label.get_text(): bar.get_width() for label, bar in zip(ax.get_yticklabels(), running)}
    running_on = Counter(p["spec"].get("nodeName") for p in cluster.api.items("pods")
                         if p.get("status", {}).get("phase") == "Running")
    assert widths["worker-1"] == running_on["worker-1"] >= 2
    assert widths["master-1"] == running_on["master-1"]


def test_scheduling_shows_per_plugin_scores_of_one_decision(cluster, monkeypatch):
    decision = {"node": "worker-2", "scores": {"worker-1": {"NodeResourcesFit": 50, "TaintToleration": 3},
                                               "worker-2": {"NodeResourcesFit": 80, "TaintToleration": 3}},
                "total": {"worker-1": 53, "worker-2": 83}, "filtered": {"worker-3": "node(s) had untolerated taint"},
                "feasible": 2, "evaluated": 3, "decided_by": "NodeResourcesFit"}

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
