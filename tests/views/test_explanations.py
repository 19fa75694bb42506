"""The Stepper's explanation of each trace event matches the event: who acted, what it did, and whether it
failed.

The scenarios below produce every kind of event a learner can meet in the
chapters — booting, rolling out, scaling, crashing a container, failing,
partitioning and deleting nodes, stopping control plane nodes, losing every
API server — and each event must be explained by a sentence written for its
kind (``ACTIONS``), with a failure variant for each action that can fail.

Upstream references for the two kinds of Lease: a kubelet renews its node's
Lease in ``kube-node-lease`` as a heartbeat (``pkg/kubelet/nodelease``,
``k8s.io/component-helpers/apimachinery/lease/controller.go``: every 10 s,
``leaseDurationSeconds`` 40), which ``pkg/controller/nodelifecycle`` reads;
leader election is a different Lease per component in ``kube-system``
(``k8s.io/client-go/tools/leaderelection/leaderelection.go``).
"""

from __future__ import annotations

import collections
from collections.abc import Callable

import pytest

import kcourse
from kcourse.sim.component import Event
from kcourse.widgets.stepper import ACTIONS, EXPLANATIONS, event_kind, explain, failed


def _rollout_and_break_workers(c: kcourse.Cluster) -> None:
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.run_until_stable()
    c.kubectl("expose deployment web --port=80 --type=LoadBalancer")
    c.kubectl("scale deployment web --replicas=5")
    c.run_until_stable()
    c.kubectl("set image deployment/web nginx=nginx:1.28")
    c.run_until_stable()
    pod = next(p for p in c.pods("default") if p["status"].get("phase") == "Running")
    c.crash_container(pod["metadata"]["name"])
    c.run_until_stable()
    c.partition_node("worker-1")
    c.advance(120)
    c.heal_partition("worker-1")
    c.stop_kubelet("worker-3")
    c.advance(70)
    c.start_kubelet("worker-3")
    c.fail_node("worker-2")
    c.advance(400)
    c.delete_vm("worker-2")
    c.run_until_stable()
    c.kubectl("delete deployment web")
    c.run_until_stable()


def _break_the_control_plane(c: kcourse.Cluster) -> None:
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=3")
    c.run_until_stable()
    c.partition_node("master-1")
    c.advance(60)
    c.heal_partition("master-1")
    c.stop_master("master-2")
    c.advance(60)
    c.kubectl("delete deployment web")
    c.partition_node("master-3")
    c.advance(40)
    c.heal_partition("master-3")
    c.run_until_stable()


def _lose_the_only_api_server(c: kcourse.Cluster) -> None:
    c.kubectl("create deployment web --image=nginx:1.27 --replicas=2")
    c.run_until_stable()
    c.partition_node("master-1")
    c.advance(40)
    c.heal_partition("master-1")
    c.run_until_stable()
    c.fail_node("master-1")
    c.advance(30)
    c.recover_node("master-1")
    c.run_until_stable()
    # A node cut off for longer than nodeStatusReportFrequency (5 min): its kubelet's status report fails.
    c.partition_node("worker-1")
    c.advance(310)
    c.heal_partition("worker-1")
    c.run_until_stable()


SCENARIOS: list[tuple[dict, Callable[[kcourse.Cluster], None]]] = [
    ({"masters": 1, "workers": 3, "seed": 0}, _rollout_and_break_workers),
    ({"masters": 3, "workers": 2, "seed": 1}, _break_the_control_plane),
    ({"masters": 1, "workers": 2, "seed": 2}, _lose_the_only_api_server),
]


@pytest.fixture(scope="module")
def events_by_kind() -> dict[tuple[str, str, str], list]:
    """(component, verb, kind) → a few events of that kind, from every scenario (boot included)."""
    seen: dict[tuple[str, str, str], list] = collections.defaultdict(list)

    def keep(ev) -> None:
        bucket = seen[(ev.component, ev.verb, event_kind(ev))]
        if len(bucket) < 5:
            bucket.append(ev)

    for args, scenario in SCENARIOS:
        c = kcourse.Cluster(**args)
        for ev in c.events:
            keep(ev)
        c.on_event(keep)
        scenario(c)
    return dict(seen)


def test_the_scenarios_reach_failures_of_every_kind_that_matters(events_by_kind):
    kinds = {kind for _, _, kind in events_by_kind}
    assert {
        "node-lease-renew",
        "node-lease-renew-failed",
        "leader-won",
        "leader-renew",
        "leader-lost",
        "leader-standby",
        "leader-holder-silent",
        "leader-cut-off",
        "sync",
        "sync-failed",
        "node-status-failed",
        "unschedulable",
        "probe",
        "cri",
    } <= kinds, sorted(kinds)


def test_every_event_kind_has_its_own_explanation(events_by_kind):
    missing = sorted({key for key in events_by_kind if key[2] not in ACTIONS})
    assert not missing, f"events explained by nothing but their message: {missing}"
    no_role = sorted({component for component, _, _ in events_by_kind if component not in EXPLANATIONS})
    assert not no_role, f"components without a sentence on what they are for: {no_role}"


def test_a_failed_action_is_explained_as_a_failure_and_a_success_is_not(events_by_kind):
    for (component, verb, kind), events in events_by_kind.items():
        action = ACTIONS[kind]
        for ev in events:
            if failed(ev):
                assert kind.endswith("-failed") or kind in ("leader-cut-off",), (kind, str(ev))
                assert any(w in action for w in ("did not", "could not", "failed", "cannot")), (kind, action)
            else:
                assert not kind.endswith("-failed"), (kind, str(ev))
            assert action in explain(ev)


def test_a_node_lease_is_a_heartbeat_not_leadership(events_by_kind):
    node_lease = [
        ev
        for (component, _, kind), evs in events_by_kind.items()
        if kind.startswith("node-lease")
        for ev in evs
    ]
    assert {ev.component for ev in node_lease} == {"kubelet"}
    assert any(failed(ev) for ev in node_lease) and any(not failed(ev) for ev in node_lease)
    for ev in node_lease:
        words = explain(ev)
        assert "heartbeat" in words and "leading" not in words and "leader" not in words, words
        if failed(ev):
            assert "renewed" not in words.split(": ", 1)[1].split(".", 1)[1], words  # the message aside


def test_leader_election_events_speak_of_leading(events_by_kind):
    leader = [ev for (_, _, kind), evs in events_by_kind.items() if kind.startswith("leader") for ev in evs]
    assert {ev.component for ev in leader} == {
        "kube-scheduler",
        "kube-controller-manager",
        "cloud-controller-manager",
    }
    for ev in leader:
        assert "leader" in ACTIONS[event_kind(ev)] or "Lease" in ACTIONS[event_kind(ev)]
        assert not ev.key.startswith("kube-node-lease/")


def test_a_write_the_api_server_refused_is_named_with_its_status_code(events_by_kind):
    refused = [
        ev
        for evs in events_by_kind.values()
        for ev in evs
        if any(r.code >= 400 and r.verb not in ("get", "list", "watch") for r in ev.requests)
    ]
    assert refused, "the scenarios should include a refused write (a 409 on an existing object)"
    for ev in refused:
        assert "The API server refused" in explain(ev) and "HTTP 4" in explain(ev)


def test_a_controller_that_retries_and_one_that_gives_up_are_told_apart():
    """client-go's loop (sample-controller's processNextWorkItem): requeue rate-limited, or drop the key
    after maxRetries; both are failures of the sync, with different futures for the key."""
    retry = Event(
        1.0,
        "deployment-controller",
        "master-1",
        "sync",
        "default/web",
        "error syncing 'default/web': the API server is unreachable; requeuing (attempt 3)",
    )
    gave_up = Event(
        2.0,
        "deployment-controller",
        "master-1",
        "sync",
        "default/web",
        "error syncing 'default/web': Conflict; dropping it out of the queue after 15 retries",
    )
    assert (event_kind(retry), event_kind(gave_up)) == ("sync-failed", "sync-dropped")
    assert "back-off" in explain(retry) and "gave up" in explain(gave_up)
    assert failed(retry) and failed(gave_up)
