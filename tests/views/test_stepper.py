"""The stepper widget, driven by clicks without a browser."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from builders import populate

import kcourse
from kcourse.widgets.stepper import Stepper, explain


@pytest.fixture
def stepper(cluster):
    return Stepper(cluster)


def test_step_runs_one_action_and_updates_table_and_diagram(stepper):
    before_events = len(stepper.cluster.events)
    before_table, before_svg = stepper.table.value, stepper.diagram.value
    stepper.step_button.click()
    assert len(stepper.cluster.events) == before_events + 1
    last = stepper.cluster.events[-1]
    assert stepper.table.value != before_table and last.message.split("(")[0] in stepper.table.value
    assert stepper.diagram.value != before_svg and stepper.diagram.value.lstrip().startswith("<?xml")
    assert last.component in stepper.explanation.value


def test_step_ten_runs_ten_actions(stepper):
    before = len(stepper.cluster.events)
    stepper.step10_button.click()
    assert len(stepper.cluster.events) == before + 10


def test_the_dropdown_picks_which_ready_component_acts(stepper):
    c = stepper.cluster
    while len(c.ready_components()) < 2:
        c.step()
    stepper.refresh()
    choice = c.ready_components()[-1]
    assert choice in stepper.component_dropdown.options[-1]
    stepper.component_dropdown.value = choice
    stepper.step_button.click()
    assert c.events[-1].component == choice


def test_run_until_stable_reports_how_long_it_took(stepper):
    stepper.node_dropdown.value = "worker-1"
    stepper.fail_button.click()
    stepper.stable_button.click()
    assert "stable after" in stepper.status.value
    assert stepper.cluster.clock.now >= stepper.cluster.FAULT_DETECTION_WINDOW


def test_fail_and_recover_a_node(stepper):
    stepper.node_dropdown.value = "worker-2"
    stepper.fail_button.click()
    assert not stepper.cluster.machines["worker-2"].powered
    assert "machine powered off" in stepper.diagram.value
    stepper.recover_button.click()
    assert stepper.cluster.machines["worker-2"].powered


def test_a_refused_action_is_reported_not_raised(stepper):
    stepper.deployment_dropdown.options = ["default/missing"]
    stepper.deployment_dropdown.value = "default/missing"
    stepper.scale_button.click()
    assert "failed" in stepper.status.value or "not found" in stepper.status.value.lower()


def test_crash_offers_running_pods(cluster):
    populate(cluster)
    s = Stepper(cluster)
    assert "default/worker-1-web-0" in s.pod_dropdown.options


def test_reset_rebuilds_the_same_cluster_from_its_seed(stepper):
    first = stepper.cluster
    stepper.step10_button.click()
    stepper.reset_button.click()
    assert stepper.cluster is not first
    fresh = kcourse.Cluster(seed=0)
    assert stepper.cluster.trace() == fresh.trace()
    assert "rebuilt with seed 0" in stepper.status.value


def test_every_control_says_what_it_does(stepper):
    def walk(w):
        yield w
        for child in getattr(w, "children", ()):
            yield from walk(child)
    for w in walk(stepper):
        if isinstance(w, widgets.Button):
            assert w.description and w.tooltip, w
        if isinstance(w, (widgets.Dropdown, widgets.BoundedIntText)):
            assert w.description and w.tooltip, w


def test_static_fallback_has_text_and_html(stepper):
    stepper.step_button.click()
    bundle = stepper._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<svg" in bundle["text/html"] and "<table" in bundle["text/html"]
    text = bundle["text/plain"]
    assert text.startswith("<kcourse Stepper: 'kcourse' seed=0, t=")
    assert str(stepper.cluster.events[-1]) in text


def test_static_text_is_deterministic():
    def text():
        s = Stepper(kcourse.Cluster(seed=3))
        s.step10_button.click()
        return s._repr_mimebundle_()["text/plain"]
    assert text() == text()


def test_explanation_names_the_role_and_the_message(cluster):
    ev = cluster.step()
    words = explain(ev)
    assert ev.message in words and f"t={ev.time:.3f}s" in words
    assert explain(None).startswith("Nothing has happened yet")
