"""The scale benchmark's scenario, small: every Pod placed, Running and reachable through its Service.

This asserts what the benchmark's steady state must hold (not how long it
takes): ``benchmarks/run.py`` measures the time at full size.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import run

NODES, PODS = 40, 1_200


@pytest.fixture(scope="module")
def scaled():
    cluster, figures = run.build(NODES, PODS)
    return cluster, figures, run.check(cluster, NODES, PODS)


def test_every_pod_runs_and_every_service_has_all_its_endpoints(scaled):
    _, _, result = scaled
    assert result["problems"] == []
    assert result["pods_running"] == PODS


def test_the_scheduler_spreads_pods_within_bounds(scaled):
    _, _, result = scaled
    mean = PODS / NODES
    # Least-allocated scoring and balanced allocation keep nodes within a few Pods of each other.
    assert mean * 0.7 <= result["spread_min"] <= mean <= result["spread_max"] <= mean * 1.3


def test_scheduling_samples_nodes_with_percentage_of_nodes_to_score(scaled):
    cluster, _, _ = scaled
    decisions = cluster.scheduler.decisions
    assert decisions
    # Below 100 nodes every feasible node is scored (the minimum of 100 nodes to score).
    key = max(decisions)
    assert len(decisions[key]["scores"]) == NODES


def test_every_node_has_kube_proxy_rules_for_every_service(scaled):
    cluster, _, _ = scaled
    assert run._stale_proxies(cluster, dict(run.workloads(PODS))) == []


def test_the_store_holds_each_pod_at_a_bounded_cost(scaled):
    cluster, _, _ = scaled
    figures = run.bytes_per_pod(cluster, sample=50)
    assert figures["pod_json_bytes"] > 0 and figures["bytes_per_pod"] > figures["pod_json_bytes"]


def test_the_benchmark_prints_one_json_object_with_every_figure(capsys):
    result = run.main(
        ["--nodes", "3", "--pods", "12", "--json", "--skip-nbval", "--skip-widget", "--no-progress"]
    )
    out = capsys.readouterr().out.strip()
    assert out.count("\n") == 0 and out.startswith("{")
    for key in (
        "scale_s",
        "scale_peak_rss_mib",
        "scale_pods_per_s",
        "step_ms_p50_small",
        "step_ms_p50_large",
        "step_ratio_large_small",
        "import_s",
        "bytes_per_pod",
        "held_bytes_per_pod",
        "etcd_held_mib",
    ):
        assert key in result
    assert result["scale_ok"] is True


def test_the_progress_bars_follow_nodes_and_pods_on_stderr_only(capsys):
    """Boot counts nodes Ready, scale counts Pods Running; stdout (the JSON's stream) stays empty."""
    run.build(3, 12, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "boot: nodes Ready" in captured.err and "4/4" in captured.err
    assert "scale: Pods Running" in captured.err and "12/12" in captured.err


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    """``make bench`` piped or in CI: the JSON alone, and nothing drawn on stderr."""
    run.main(["--nodes", "3", "--pods", "12", "--json", "--skip-nbval", "--skip-widget"])
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1 and captured.out.startswith("{")
    assert "Pods Running" not in captured.err and "nodes Ready" not in captured.err
