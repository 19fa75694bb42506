"""Components and controllers that never die: a failing action is reported, retried with back-off, and the
rest goes on.

Modelled on client-go and apimachinery:

* ``k8s.io/apimachinery/pkg/util/runtime/runtime.go`` — ``HandleCrash`` logs
  ``Observed a panic`` and, with ``ReallyCrash`` off, lets the caller go on;
  ``wait.Until`` runs its function again after its period.  Here the cluster's
  event loop (``Cluster._run_action``) does this for every component's
  action; ``Cluster(strict=True)`` is ``ReallyCrash`` (the test suite's own
  default elsewhere, see ``tests/conftest.py``).
* ``k8s.io/sample-controller/controller.go`` — ``processNextWorkItem``: a sync
  that fails is ``error syncing '<key>': <err>, requeuing`` and
  ``AddRateLimited``; the loop goes on.  ``pkg/controller/deployment/
  deployment_controller.go`` — ``handleErr`` drops a key after ``maxRetries``
  (15) requeues.
* ``k8s.io/client-go/util/workqueue/default_rate_limiters.go`` —
  ``DefaultControllerRateLimiter``: per item 5 ms · 2^n up to 1000 s, and an
  overall bucket of 10 qps with a burst of 100.
* ``k8s.io/apimachinery/pkg/util/intstr/intstr.go`` —
  ``GetScaledValueFromIntOrPercent``'s error texts.
* ``pkg/scheduler/schedule_one.go`` — a plugin error is an ``Error`` status:
  the Pod goes to the backoff queue with a ``FailedScheduling`` Warning Event.

Faults are injected behind the API door (straight into etcd, or a
component's action or sync made to raise), since the door itself refuses
malformed objects.  Generated schedules pick the component, which of its
actions fail, how many, and whether the failure comes before or after the
action did its work.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import gc
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

import kcourse
from kcourse.sim.component import Event

#: How many generated fault schedules one run tries (derandomized: the same ones every time), on top of one
#: explicit schedule per target.
SCHEDULES = 50


class InjectedFault(Exception):
    """What an injected fault raises: a bug in the component, as far as the cluster can tell."""


# --- a booted cluster, copied per schedule ------------------------------------------------------------------


def _deployment(name: str, replicas: int = 2, **strategy: Any) -> dict:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": name, "image": "nginx", "ports": [{"containerPort": 80}]}]},
        },
    }
    if strategy:
        spec["strategy"] = {"type": "RollingUpdate", "rollingUpdate": strategy}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def _service(name: str, type_: str = "ClusterIP") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"type": type_, "selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }


WORKLOAD: list[dict] = [
    _deployment("web"),
    _service("web", "LoadBalancer"),
    {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "default"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "busybox", "command": ["sleep", "3600"]}]},
            },
        },
    },
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "robot", "namespace": "default"}},
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {
            "name": "robot-token",
            "namespace": "default",
            "annotations": {"kubernetes.io/service-account.name": "robot"},
        },
    },
    _deployment("scratch", 1),
]


_TEMPLATE: dict[str, kcourse.Cluster] = {}


def _copied(cluster: kcourse.Cluster) -> kcourse.Cluster:
    from properties.harness import _closures_copied  # the faithful deep copy the fault schedules use

    gc.disable()
    try:
        with _closures_copied():
            return copy.deepcopy(cluster)
    finally:
        gc.enable()


def booted() -> kcourse.Cluster:
    """A stable cluster with every component, the cloud and the addons (booted once, copied per schedule)."""
    if "c" not in _TEMPLATE:
        _TEMPLATE["c"] = kcourse.Cluster(masters=1, workers=2, seed=7, trace_limit=50)
    return _copied(_TEMPLATE["c"])


def exercise(c: kcourse.Cluster) -> list[Event]:
    """Work for every component: a Deployment, a LoadBalancer Service, a DaemonSet, a Namespace
    created and deleted, a ServiceAccount and its token Secret, a new node, CoreDNS restarted, a
    Deployment deleted (the garbage collector) and two minutes of heartbeats, leases, scrapes and
    log flushes."""
    out: list[Event] = []
    c.apply(WORKLOAD)
    c.add_node()
    c.kubectl("delete pods -n kube-system -l k8s-app=kube-dns")
    out += c.run_until_stable(timeout=300)
    c.kubectl("delete namespace team")
    c.kubectl("delete deployment scratch")
    c.kubectl("scale deployment web --replicas=3")
    out += c.run_until_stable(timeout=300)
    out += c.advance(120)
    return out


# --- faults -----------------------------------------------------------------------------------------------


class ActionFaults:
    """Make runs ``skip+1`` … ``skip+count`` of the actions traced as ``target`` raise.

    ``after``: the action does its work first, then raises (its next run may already be on
    the clock); otherwise it raises before doing anything.  The wrapper keeps the action's
    identity (``functools.wraps``), as a decorator would.
    """

    def __init__(self, cluster: kcourse.Cluster, target: str, skip: int, count: int, after: bool):
        self.target, self.skip, self.count, self.after = target, skip, count, after
        self.runs = self.raised = 0
        original = cluster.schedule

        def schedule(component: Any, delay: float, work: Callable[[], Event | None], **kw: Any) -> Any:
            if (kw.get("trace_name") or component.name) == target and not hasattr(work, "__wrapped__"):
                work = self._faulty(work)
            return original(component, delay, work, **kw)

        cluster.schedule = schedule  # type: ignore[method-assign]

    def _faulty(self, work: Callable[[], Event | None]) -> Callable[[], Event | None]:
        @functools.wraps(work)
        def faulty() -> Event | None:
            self.runs += 1
            if self.skip < self.runs <= self.skip + self.count:
                if self.after:
                    work()
                self.raised += 1
                raise InjectedFault(f"injected fault #{self.raised} in {self.target}")
            return work()

        return faulty


class SyncFaults:
    """Make the ``sync_handler`` of every controller named ``target`` raise for its first ``count`` syncs."""

    def __init__(self, cluster: kcourse.Cluster, target: str, skip: int, count: int):
        self.target, self.skip, self.count = target, skip, count
        self.runs = self.raised = 0
        for ctrl in _controllers(cluster):
            if ctrl.name == target:
                ctrl.sync_handler = self._faulty(ctrl.sync_handler)

    def _faulty(self, sync: Callable[[str], str | None]) -> Callable[[str], str | None]:
        def faulty(key: str) -> str | None:
            self.runs += 1
            if self.skip < self.runs <= self.skip + self.count:
                self.raised += 1
                raise InjectedFault(f"injected sync fault #{self.raised} on {key}")
            return sync(key)

        return faulty


def _controllers(c: kcourse.Cluster) -> list[Any]:
    return [
        ctrl
        for m in c.machines.values()
        for comp in m.components
        for ctrl in getattr(comp, "controllers", ())
    ]


# --- what "never dies" means ---------------------------------------------------------------------------


def _background_loops(c: kcourse.Cluster) -> set[str]:
    """The periodic loops on the clock, by the component that runs them."""
    return {t.component for t in c.clock.pending() if t.background}


def _ready(obj: dict, kind: str = "Ready") -> bool:
    return any(
        cond.get("type") == kind and cond.get("status") == "True"
        for cond in (obj.get("status") or {}).get("conditions") or []
    )


def assert_alive_and_converged(c: kcourse.Cluster, loops: set[str]) -> None:
    """Every process runs, every periodic loop is on the clock, every queue drains, the workload is served."""
    for m in c.machines.values():
        for comp in m.components:
            assert comp.running, f"{comp.name} on {m.name} died"
    for ctrl in _controllers(c):
        if ctrl.manager.elector.is_leader:
            assert ctrl.active, f"{ctrl.name} stopped"
            if len(ctrl.queue):
                assert ctrl._timer is not None and not ctrl._timer.cancelled, (
                    f"{ctrl.name} holds keys it never syncs"
                )
    missing = loops - _background_loops(c)
    assert not missing, f"periodic loops gone from the clock: {sorted(missing)}"
    assert all(_ready(n) for n in c.nodes()), c.kubectl("get nodes")
    web = c.get("deployments", "web")
    assert web["status"].get("availableReplicas") == 3, c.kubectl("get deploy,rs,pods -o wide")
    ready = [p for p in c.pods() if p["metadata"]["labels"].get("app") == "web" and _ready(p)]
    assert len(ready) == 3
    eps = c.get("endpoints", "web")
    assert sorted(a["ip"] for s in eps.get("subsets") or [] for a in s.get("addresses") or []) == sorted(
        p["status"]["podIP"] for p in ready
    )
    agents = [p for p in c.pods() if p["metadata"]["labels"].get("app") == "agent" and _ready(p)]
    workers = [n for n in c.nodes() if not n["spec"].get("taints")]
    assert len(agents) == len(workers) == 3, c.kubectl("get ds,pods -o wide")
    assert (
        c.api.peek("namespaces", "team") is None and c.api.peek("deployments", "scratch", "default") is None
    )
    assert not [p for p in c.pods() if p["metadata"]["labels"].get("app") == "scratch"]
    lb = c.get("services", "web")
    assert (lb["status"].get("loadBalancer") or {}).get("ingress"), (
        "the service controller never served the LB"
    )


def _reported(events: list[Event]) -> list[Event]:
    return [e for e in events if "InjectedFault" in e.message or "injected" in e.message]


#: Every kind of component whose actions run through the clock, by the name its trace lines carry.
#: (CoreDNS answers inside other actions; its only action of its own is a reconnect after a partition.)
ACTION_TARGETS = [
    "kubelet",
    "containerd",
    "kube-scheduler",
    "kube-controller-manager",
    "cloud-controller-manager",
    "kube-proxy",
    "fluent-bit",
    "metrics-server",
    "deployment-controller",
    "replicaset-controller",
    "daemonset-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "node-lifecycle-controller",
    "taint-eviction-controller",
    "node-ipam-controller",
    "pod-garbage-collector",
    "service-account-controller",
    "tokens-controller",
    "root-ca-cert-publisher",
    "cloud-node-controller",
    "cloud-node-lifecycle-controller",
    "service-lb-controller",
    "node-route-controller",
]
#: The controllers whose sync handler is made to raise.
SYNC_TARGETS = [
    "deployment-controller",
    "replicaset-controller",
    "daemonset-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "namespace-controller",
    "garbage-collector-controller",
    "service-account-controller",
    "service-lb-controller",
    "node-ipam-controller",
]


@contextlib.contextmanager
def _no_escape() -> Iterator[None]:
    try:
        yield
    except InjectedFault as err:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"an injected fault escaped the cluster's event loop: {err}") from err


#: Targets that act only a few times in the exercise: their faults start with their first action.
FEW_ACTIONS = {
    "tokens-controller",
    "node-ipam-controller",
    "cloud-node-controller",
    "service-account-controller",
    "garbage-collector-controller",
    "namespace-controller",
    "root-ca-cert-publisher",
}


def _one_schedule_per_target(test: Callable) -> Callable:
    """An explicit schedule for every target (two faults, half before and half after the work), so each is
    covered whatever the generated ones pick."""
    for i, target in enumerate(ACTION_TARGETS):
        test = example(
            schedule={"mode": "action", "target": target, "skip": 0, "count": 2, "after": bool(i % 2)}
        )(test)
    for target in SYNC_TARGETS:
        test = example(schedule={"mode": "sync", "target": target, "skip": 0, "count": 2, "after": False})(
            test
        )
    return test


@st.composite
def _schedules(draw: st.DrawFn) -> dict[str, Any]:
    mode = draw(st.sampled_from(["action", "sync"]))
    target = draw(st.sampled_from(ACTION_TARGETS if mode == "action" else SYNC_TARGETS))
    skip = 0 if target in FEW_ACTIONS else draw(st.integers(0, 8 if mode == "action" else 1))
    return {
        "mode": mode,
        "target": target,
        "skip": skip,
        "count": draw(st.integers(1, 6)),
        "after": draw(st.booleans()),
    }


@settings(
    max_examples=SCHEDULES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[
        Phase.explicit,
        Phase.generate,
    ],  # a failing schedule is printed as drawn: shrinking re-runs clusters
    suppress_health_check=[HealthCheck.too_slow],
)
@_one_schedule_per_target
@given(schedule=_schedules())
def test_generated_fault_schedules_never_kill_a_component(schedule: dict[str, Any]) -> None:
    _run_schedule(**schedule)


def _run_schedule(mode: str, target: str, skip: int, count: int, after: bool) -> None:
    c = booted()
    loops = _background_loops(c)
    faults: ActionFaults | SyncFaults = (
        ActionFaults(c, target, skip, count, after)
        if mode == "action"
        else SyncFaults(c, target, skip, count)
    )
    with _no_escape():
        events = exercise(c)
    assert faults.raised >= 1, f"{target} never failed in {faults.runs} runs: the schedule tested nothing"
    # The failure was seen by the learner: one trace line for every fault raised.
    reported = _reported(events)
    assert len(reported) == faults.raised
    for e in reported:
        assert e.message.startswith(("Observed a panic", "error syncing")), e
        assert e.component == target
    assert_alive_and_converged(c, loops)


def test_every_component_kind_is_covered_by_the_schedules() -> None:
    """Each target does run in the exercise, so a fault drawn for it does fire."""
    c = booted()
    events = exercise(c)
    ran = {e.component for e in events}
    assert set(ACTION_TARGETS) - ran == set(), f"never ran: {sorted(set(ACTION_TARGETS) - ran)}"


# --- a controller with an object it cannot handle --------------------------------------------------------


def _store_raw(
    c: kcourse.Cluster, resource: str, name: str, change: Callable[[dict], None], namespace: str = "default"
) -> None:
    """Rewrite an object straight in etcd, past the API server's door (as a buggy client of etcd would)."""
    key = f"/registry/{resource}/{namespace}/{name}"
    obj = json.loads(c.etcd.get(key).value)
    change(obj)
    c.etcd.put(key, json.dumps(obj))


def _bad_surge(obj: dict) -> None:
    obj["spec"]["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "abc%", "maxUnavailable": "25%"},
    }


def _fault_run() -> tuple[kcourse.Cluster, list[Event]]:
    c = kcourse.Cluster(masters=1, workers=2, seed=3, addons=False)
    c.apply([_deployment("web"), _deployment("api")])
    c.run_until_stable()
    _store_raw(c, "deployments", "web", _bad_surge)
    c.kubectl("scale deployment api --replicas=3")
    return c, c.run_until_stable()


def test_a_deployment_it_cannot_read_is_retried_with_backoff_then_dropped_and_others_go_on() -> None:
    c, events = _fault_run()
    errors = [e for e in events if e.component == "deployment-controller" and "error syncing" in e.message]
    text = (
        "error syncing 'default/web': invalid value for IntOrString: invalid value \"abc%\": "
        'strconv.Atoi: parsing "abc": invalid syntax'
    )
    assert [e.message for e in errors] == [f"{text}; requeuing (attempt {n})" for n in range(1, 16)] + [
        f"{text}; dropping it out of the queue after 15 retries"
    ]
    # Back-off 5 ms, 10 ms, 20 ms … plus the loop's own 5 ms pass between two syncs of the key.
    gaps = [round((b.time - a.time) * 1000) for a, b in itertools.pairwise(errors)]
    assert gaps == [5 * 2**n + 5 for n in range(15)]
    # The other Deployment was scaled meanwhile, and the controller kept running.
    assert c.get("deployments", "api")["status"].get("availableReplicas") == 3
    assert c.scheduler.running and all(comp.running for m in c.machines.values() for comp in m.components)


def test_fixing_the_object_brings_the_deployment_back_to_stable() -> None:
    c, _ = _fault_run()
    _store_raw(
        c, "deployments", "web", lambda o: o["spec"].__setitem__("strategy", {"type": "RollingUpdate"})
    )
    c.kubectl("scale deployment web --replicas=4")  # a change re-enqueues the dropped key
    events = c.run_until_stable()
    assert not [e for e in events if "error syncing" in e.message]
    assert c.get("deployments", "web")["status"].get("availableReplicas") == 4
    assert not c.clock.has_foreground()


def test_a_fault_run_gives_the_same_trace_byte_for_byte() -> None:
    first, _ = _fault_run()
    second, _ = _fault_run()
    assert first.trace() == second.trace()
    assert "error syncing 'default/web'" in first.trace()


def test_the_apply_then_run_until_stable_of_the_issue_does_not_raise() -> None:
    """In-process: a stored Deployment the controller cannot read leaves ``run_until_stable`` working."""
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    c.apply(_deployment("web"))
    c.run_until_stable()
    _store_raw(c, "deployments", "web", _bad_surge)
    c.run_until_stable()
    assert "error syncing 'default/web'" in c.trace()
    assert c.kubectl("get deployment web").splitlines()[1].split()[1] == "2/2"


def test_a_strict_cluster_lets_the_failure_propagate_so_tests_catch_bugs() -> None:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0, strict=True)
    c.apply(_deployment("web"))
    c.run_until_stable()
    _store_raw(c, "deployments", "web", _bad_surge)
    with pytest.raises(ValueError, match="invalid value for IntOrString"):
        c.run_until_stable()


# --- the back-off of a component's own action -------------------------------------------------------------


def test_a_periodic_action_that_keeps_failing_is_retried_5_10_20_ms_and_keeps_its_period_after() -> None:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    faults = ActionFaults(c, "pod-garbage-collector", 0, 5, after=False)
    events = c.advance(100)
    failed = [e for e in events if e.component == "pod-garbage-collector" and e.verb == "error"]
    assert len(failed) == faults.raised == 5
    gaps = [round((b.time - a.time) * 1000) for a, b in itertools.pairwise(failed)]
    assert gaps == [5, 10, 20, 40]
    assert [e.message.split("; ")[1] for e in failed] == [
        f"running it again in {5 * 2**n}ms" for n in range(5)
    ]
    runs = [
        e
        for e in events
        if e.component == "pod-garbage-collector" and e.verb != "error" and e.time > failed[-1].time
    ]
    assert len(runs) >= 3, "the loop did not go on after the fault"
    assert round(runs[0].time - failed[-1].time, 3) == 0.08  # the fifth back-off, then a normal run
    # Back on its 20 s period once the fault is gone.
    assert {round(b.time - a.time, 3) for a, b in itertools.pairwise(runs)} == {20.0}


def test_a_scheduling_cycle_that_raises_is_a_scheduler_error_with_a_failed_scheduling_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kcourse.sim import scheduler as sched

    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    original = sched.Framework.schedule
    failing = {"n": 3}

    def schedule(self: Any, pod: dict) -> Any:
        if pod["metadata"]["name"] == "boom" and failing["n"]:
            failing["n"] -= 1
            raise InjectedFault("plugin exploded")
        return original(self, pod)

    monkeypatch.setattr(sched.Framework, "schedule", schedule)
    for name in ("boom", "fine"):
        c.apply(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            }
        )
    c.run_until_stable()
    assert "InjectedFault: plugin exploded → backoffQ" in c.trace()
    events = c.kubectl("get events --field-selector involvedObject.name=boom")
    assert "FailedScheduling" in events and "InjectedFault: plugin exploded" in events
    assert c.get("pods", "boom")["spec"].get("nodeName") and c.get("pods", "fine")["spec"].get("nodeName")


def test_an_informer_handler_that_raises_loses_one_notification_not_the_watch() -> None:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    kcm = next(
        comp for m in c.machines.values() for comp in m.components if comp.name == "kube-controller-manager"
    )
    rs = kcm.controller("replicaset-controller")
    informer = kcm.informers.informer("replicasets")
    calls = {"n": 0}

    def explode(obj: dict) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise InjectedFault("handler bug")

    from kcourse.sim.informer import ResourceEventHandler

    informer.add_event_handler(ResourceEventHandler(on_add=explode))
    c.apply(_deployment("web"))  # the write that triggers the handler succeeds
    c.run_until_stable()
    assert calls["n"] >= 1 and "handler bug" in c.trace()
    assert informer.connected and rs.active
    assert c.get("deployments", "web")["status"].get("availableReplicas") == 2


def test_bytes_that_are_no_object_written_straight_to_etcd_leave_the_api_server_watching() -> None:
    """The API server's watch cache skips what it cannot decode; its watch on etcd and the cluster go on."""
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    c.etcd.put("/registry/configmaps/default/junk", b"\xff not json")
    c.etcd.put("/registry/pods/default/junk", b'{"metadata": "x"}')
    c.etcd.put("/registry/pods/default/list", b"[1, 2]")
    c.apply(_deployment("web"))
    c.run_until_stable()
    assert c.get("deployments", "web")["status"].get("availableReplicas") == 2
    lines = [e for e in c.events if e.component == "kube-apiserver" and e.verb == "error"]
    assert [e.key for e in lines] == [
        "/registry/configmaps/default/junk",
        "/registry/pods/default/junk",
        "/registry/pods/default/list",
    ]
    assert all("watch cache's decoder" in e.message for e in lines)
    assert c.api.peek("pods", "junk", "default") is None
