"""The challenge widget: buttons that call the challenge, progress recorded, no solution before it is asked
for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest

from kcourse import challenges
from kcourse.challenges.solution import run_solution
from kcourse.challenges.widget import RUN_MESSAGE


def states(widget: w.Widget) -> str:
    """Every trait of ``widget`` and the widgets inside it, as the front end would receive them."""
    out = [json.dumps(widget.get_state(), default=str)]
    for child in getattr(widget, "children", ()):
        out.append(states(child))
    return "\n".join(out)


def entry(progress: Path, name: str) -> dict[str, Any]:
    return json.loads(progress.read_text())["chapters"]["ch04-challenges"][name]


def test_check_says_what_is_wrong_and_records_an_attempt(_private_progress: Path):
    view = challenges.show("pending-cordoned-node", seed=1)
    view.check_button.click()
    assert "✘" in view.feedback.value and "were unschedulable" in view.feedback.value
    assert entry(_private_progress, "pending-cordoned-node")["attempts"] == 1
    assert not entry(_private_progress, "pending-cordoned-node")["correct"]


def test_a_fix_in_a_cell_then_check_shows_success_and_records_it(_private_progress: Path):
    view = challenges.show("pending-cordoned-node", seed=1)
    view.cluster.kubectl(f"uncordon {view.challenge.params['node']}")
    view.check_button.click()
    assert "✔" in view.feedback.value
    assert entry(_private_progress, "pending-cordoned-node")["correct"]
    assert (
        "t=" in view.status.value
        and f"Pods in default: {view.challenge.params['replicas']} Running" in view.status.value
    )


def test_the_solution_is_offered_after_two_checks_and_held_by_no_widget_before(_private_progress: Path):
    view = challenges.show("etcd-deleted-revision", seed=0)
    secret = str(view.challenge.baseline["revision"])
    solution = "\n".join(view.challenge.solution)
    assert solution not in states(view) and f"={secret}" not in states(view)
    assert view.solution_button.disabled
    view.check_button.click()
    assert view.solution_button.disabled
    view.check_button.click()
    assert not view.solution_button.disabled
    assert f"={secret}" not in states(view)
    view.solution_button.click()
    assert f"deleted-at-revision={secret}" in view.solution.value
    assert view.solution_button.disabled
    assert entry(_private_progress, "etcd-deleted-revision")["revealed"]
    run_solution(view.cluster, view.challenge.solution)
    view.check_button.click()
    recorded = entry(_private_progress, "etcd-deleted-revision")
    assert recorded["correct"] is False and recorded["best"] == 0  # a pass after the reveal earns nothing


def test_hints_come_one_at_a_time():
    view = challenges.show("service-no-endpoints", seed=0)
    total = len(view.challenge.hints)
    assert view.hint_button.description == f"Hint 1 of {total}"
    view.hint_button.click()
    assert "Hint 1:" in view.hints.value and "Hint 2:" not in view.hints.value
    for _ in range(total):
        view.hint_button.click()
    assert view.hint_button.disabled and view.hints.value.count("<p>") == total


def test_reset_builds_the_starting_state_again():
    view = challenges.show("scale-without-downtime", seed=4)
    before = view.cluster.kubectl("get pods,deployments -o wide")
    view.cluster.kubectl("scale deployment shop --replicas=1")
    view.check_button.click()
    view.hint_button.click()
    old = view.cluster
    view.reset_button.click()
    assert view.cluster is not old
    assert view.cluster.kubectl("get pods,deployments -o wide") == before
    assert view.hints.value == "" and view.solution_button.disabled
    assert "starting state" in view.feedback.value


def test_reset_serves_the_new_cluster_at_the_same_kubeconfig(capsys: pytest.CaptureFixture[str]):
    view = challenges.show("dns-coredns-scaled-to-zero", seed=0)
    handle = view.serve()
    try:
        kubeconfig = handle.kubeconfig
        assert "served: export KUBECONFIG=" in view.status.value
        view.reset_button.click()
        assert not handle.running and view._handle.running
        assert view._handle.kubeconfig == kubeconfig and view._handle.app.cluster is view.cluster
        assert capsys.readouterr().out.count("export KUBECONFIG=") == 2
    finally:
        view._handle.stop()


def test_the_static_copy_reads_without_a_kernel_and_holds_no_solution():
    view = challenges.show("pending-node-selector", seed=0)
    static, live = view.outputs()
    assert RUN_MESSAGE in static["text/plain"] and RUN_MESSAGE in static["text/html"]
    assert "Challenge: Pending: a node selector that matches nothing" in static["text/plain"]
    assert "kubectl label" not in static["text/html"] and "kubectl label" not in static["text/plain"]
    assert live["text/plain"] == "Challenge: Pending: a node selector that matches nothing: interactive"
    assert challenges.show("pending-node-selector", seed=0).outputs()[0] == static  # byte for byte, for nbval
