"""The stepper widget, driven by clicks without a browser."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from builders import populate

import kcourse
from kcourse.widgets.stepper import Stepper, diagram_html, explain


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
    assert stepper.diagram.value != before_svg and "<svg" in stepper.diagram.value
    assert "<?xml" not in stepper.diagram.value  # inline in HTML: no XML prologue
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
    """Displayed, the Stepper is an HTML-only copy first, then the live view (kcourse.widgets.static)."""
    stepper.step_button.click()
    static, live = stepper.outputs()
    assert set(static) == {"text/html", "text/plain"}
    assert "application/vnd.jupyter.widget-view+json" in live and "text/html" not in live
    assert "<svg" in static["text/html"] and "<table" in static["text/html"]
    assert stepper.cluster.events[-1].message.split(" (")[0] in static["text/html"]
    assert "Run this cell" in static["text/html"]
    text = static["text/plain"]
    assert "<kcourse Stepper: 'kcourse' seed=0, t=" in text
    assert str(stepper.cluster.events[-1]) in text
    assert live["text/plain"].startswith("<kcourse Stepper: 'kcourse' seed=0")


def test_static_text_is_deterministic():
    def text():
        s = Stepper(kcourse.Cluster(seed=3))
        s.step10_button.click()
        return s.outputs()[0]["text/plain"]

    assert text() == text()


def test_explanation_names_the_role_and_the_message(cluster):
    ev = cluster.step()
    words = explain(ev)
    assert ev.message in words and f"t={ev.time:.3f}s" in words
    assert explain(None).startswith("Nothing has happened yet")


# --- pickers without traps -----------------------------------------------------------------------------


def _powered(cluster) -> dict[str, bool]:
    return {name: m.powered for name, m in sorted(cluster.machines.items())}


@pytest.mark.parametrize("masters", [1, 3])
def test_the_node_picker_starts_on_the_first_worker_never_on_the_control_plane(masters):
    s = Stepper(kcourse.Cluster(masters=masters, workers=2, seed=0))
    assert s.node_dropdown.value == "worker-1"
    assert [value for _, value in s.node_dropdown.options][:2] == ["worker-1", "worker-2"]
    assert all(
        "(control plane)" in label for label, value in s.node_dropdown.options if value.startswith("master")
    )


def test_fail_node_then_run_until_stable_keeps_the_control_plane_running(stepper):
    """What notebook 05 suggests a learner try first: it must break a worker, not the control plane."""
    stepper.fail_button.click()
    stepper.stable_button.click()
    assert _powered(stepper.cluster) == {
        "master-1": True,
        "worker-1": False,
        "worker-2": True,
        "worker-3": True,
    }
    assert stepper.cluster.reachable(None)
    assert "stable after" in stepper.status.value


def test_without_a_worker_no_node_is_picked_and_fail_is_disabled_with_a_hint():
    s = Stepper(kcourse.Cluster(masters=1, workers=0, seed=0))
    assert s.node_dropdown.value is None
    assert s.fail_button.disabled and s.recover_button.disabled
    assert s.node_hint.value == "Pick a node first"
    s.fail_button.click()  # a click that reaches the kernel anyway changes nothing
    assert _powered(s.cluster) == {"master-1": True}
    assert s.status.value == "Pick a node first"


def test_the_pod_and_deployment_pickers_start_on_the_first_ones(stepper):
    c = stepper.cluster
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2")
    c.run_until_stable()
    stepper.refresh()
    running = stepper.pod_choices()
    assert running and running == sorted(running) and running[0].startswith("default/web-")
    assert stepper.pod_dropdown.value == running[0]
    assert stepper.deployment_dropdown.value == "default/web"
    assert not stepper.crash_button.disabled and not stepper.scale_button.disabled
    assert stepper.pod_hint.value == stepper.deployment_hint.value == ""


def test_pickers_follow_the_cluster_and_keep_a_choice_while_it_exists(stepper):
    c = stepper.cluster
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2")
    c.run_until_stable()  # no refresh(): the pickers follow the cluster's events
    web = [p for p in stepper.pod_dropdown.options if p.startswith("default/web-")]
    assert len(web) == 2 and stepper.deployment_dropdown.value == "default/web"
    stepper.pod_dropdown.value = web[1]
    stepper.deployment_dropdown.value = "kube-system/coredns"
    c.kubectl("scale deployment web --replicas=3")
    c.run_until_stable()
    assert stepper.pod_dropdown.value == web[1] and stepper.deployment_dropdown.value == "kube-system/coredns"
    c.kubectl(f"delete pod {web[1].split('/')[1]}")
    c.run_until_stable()
    assert web[1] not in stepper.pod_dropdown.options
    assert stepper.pod_dropdown.value == stepper.pod_dropdown.options[0]


def test_actions_that_need_a_choice_are_disabled_until_there_is_one(bare):
    s = Stepper(bare)
    assert s.deployment_dropdown.value is None and s.scale_button.disabled
    assert s.deployment_hint.value == "No Deployment yet: create one with kubectl create deployment"
    assert s.pod_dropdown.value == "kube-system/etcd-master-1"  # only the control plane's static Pods run
    bare.kubectl("create deployment web --image=nginx:1.27 --replicas=1")
    bare.step()
    assert s.deployment_dropdown.value == "default/web" and not s.scale_button.disabled
    s.node_dropdown.value = "master-1"
    s.fail_button.click()
    assert s.pod_dropdown.value is None and s.crash_button.disabled
    assert s.pod_hint.value == "No running Pod to crash yet: step or run the cluster first"
    s.crash_button.click()
    assert s.status.value == "No running Pod to crash yet: step or run the cluster first"


def test_a_default_choice_follows_the_cluster_a_hand_picked_one_stays(stepper):
    c = stepper.cluster
    assert stepper.deployment_dropdown.value == "kube-system/coredns"  # nothing of the learner's yet
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=1")
    c.step()
    assert stepper.deployment_dropdown.value == "default/web"  # the learner's own comes first
    stepper.deployment_dropdown.value = "kube-system/coredns"
    c.kubectl("create deployment api --image=nginx:1.27 --replicas=1")
    c.run_until_stable()
    assert stepper.deployment_dropdown.value == "kube-system/coredns"
    assert list(stepper.deployment_dropdown.options)[:2] == ["default/api", "default/web"]


def test_a_missing_choice_shows_a_hint_never_a_kubectl_error(stepper):
    """Before: Scale said "error: flag needs an argument: 'n' in -n", Crash said 'pod "" is not running'."""
    c = stepper.cluster
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=1")
    c.run_until_stable()
    stepper.pod_dropdown.value = None
    stepper.deployment_dropdown.value = None
    assert stepper.crash_button.disabled and stepper.scale_button.disabled
    requests, revision = c.api.request_seq, c.etcd.revision
    stepper.scale_button.click()
    assert stepper.status.value == "Pick a Deployment first"
    stepper.crash_button.click()
    assert stepper.status.value == "Pick a Pod first"
    assert (c.api.request_seq, c.etcd.revision) == (requests, revision)
    assert stepper.pod_hint.value == "Pick a Pod first"


def test_a_powered_off_node_offers_recover_not_fail(stepper):
    stepper.node_dropdown.value = "worker-2"
    assert not stepper.fail_button.disabled and stepper.recover_button.disabled
    stepper.fail_button.click()
    assert stepper.fail_button.disabled and not stepper.recover_button.disabled
    assert "worker-2 is powered off" in stepper.node_hint.value
    stepper.recover_button.click()
    assert stepper.cluster.machines["worker-2"].powered and stepper.recover_button.disabled


def test_a_node_whose_vm_was_deleted_is_no_longer_offered(stepper):
    stepper.cluster.delete_vm("worker-1")
    stepper.refresh()
    assert "worker-1" not in [value for _, value in stepper.node_dropdown.options]
    assert stepper.node_dropdown.value == "worker-2"


def test_after_reset_the_pickers_follow_the_new_cluster_only(stepper):
    old = stepper.cluster
    stepper.node_dropdown.value = "worker-3"
    stepper.reset_button.click()
    assert stepper.cluster is not old and stepper.node_dropdown.value == "worker-3"
    old.kubectl("create deployment gone --image=nginx:1.27")
    old.run_until_stable()
    assert "default/gone" not in stepper.deployment_dropdown.options


def test_the_diagram_is_embedded_as_the_diagram_module_renders_it(stepper):
    """Whatever the diagrams draw for a notebook (their text/html) is what the Stepper shows."""
    live = kcourse.diagrams.live(stepper.cluster, max_pods_per_node=stepper.max_pods_per_node)
    assert live._repr_mimebundle_()["text/html"] in stepper.diagram.value

    class SvgOnly:
        def _repr_svg_(self) -> str:
            return (
                '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg role="img" aria-label="x"><title>x</title></svg>'
            )

    assert diagram_html(SvgOnly()).endswith('<svg role="img" aria-label="x"><title>x</title></svg></div>')


def test_step_with_every_machine_off_says_so_instead_of_running_for_ever():
    """Only the API server's compaction timer is left, and it acts on nothing while no master runs."""
    s = Stepper(kcourse.Cluster(masters=1, workers=1, seed=0))
    for name in ("worker-1", "master-1"):
        s.node_dropdown.value = name
        s.fail_button.click()
    start, events = s.cluster.now, len(s.cluster.events)
    s.step_button.click()
    assert "every component that could act is stopped" in s.status.value
    assert s.cluster.now <= start + s.QUIET_HORIZON and len(s.cluster.events) == events
    s.step10_button.click()
    assert "every component that could act is stopped" in s.status.value
    s.node_dropdown.value = "master-1"
    s.recover_button.click()
    s.step_button.click()
    assert len(s.cluster.events) == events + 1 and s.status.value == ""
