"""Random schedules of workloads and faults on small clusters, with the cluster's invariants after every step.

Hypothesis drives a state machine: each rule is something a learner (or a
bad day) does — apply, scale or delete a Deployment, fail, partition or
recover a node, stop a kubelet, crash a container, delete a VM, stop a
master, compact etcd, send a stale update, let time pass.  After every
step the invariants of a real cluster must hold (see :mod:`harness`); when
the schedule ends, every fault is repaired and the cluster must converge
within ``CONVERGENCE_BOUND`` simulated seconds.
"""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import kcourse
from kcourse.sim.apiserver import Unreachable

from .harness import (
    BindingLog,
    NoOpLog,
    StoreLog,
    boot,
    check_pod_ips,
    check_queues,
    convergence_gaps,
    fresh_copy,
)

#: The whole derandomized run (1,000 schedules) takes about 7 minutes of a busy 2-core machine, above the
#: suite's 10-minute hang guard once the machine is busier still: this module gets half an hour.
pytestmark = pytest.mark.timeout(1800)

APPS = ["web", "api"]
IMAGES = ["nginx:1.25", "nginx:1.26"]

#: How long, in simulated seconds, a repaired cluster may take to converge, and why it is enough:
#: once every machine is back, a kubelet re-registers and posts Ready within its 10 s status period;
#: the node-lifecycle controller sees it on its next 5 s pass and lifts its taints; a Pod left on a
#: deleted VM's Node is removed once the cloud node-lifecycle controller (every 5 s… up to its 40 s
#: grace) deletes that Node and pod GC runs (every 20 s); the worst pending delay is a container in
#: CrashLoopBackOff, whose back-off is capped at 300 s (kubelet's MaxContainerBackOff), then its
#: probe-free start and the endpoint and kube-proxy syncs (1 s min sync period) take seconds.
#: 300 s back-off + 60 s fault detection + 40 s + 20 s + 30 s of syncs and heartbeats = 450 s; the
#: bound adds a third for slack.
CONVERGENCE_BOUND = 600.0


#: More events than a small cluster makes in a simulated minute many times over: past it, something repeats
#: at one instant and the clock would never move on.
MAX_STEPS_PER_ADVANCE = 20_000


def advance(cluster: kcourse.Cluster, seconds: float) -> None:
    """Let time pass, failing (instead of hanging) if the simulation stops advancing the clock."""
    target = round((cluster.now + seconds) * 1000)
    cluster.run(until=target / 1000, max_steps=MAX_STEPS_PER_ADVANCE)
    assert cluster.clock.now_ms == target, (
        f"the clock is stuck at {cluster.now:.3f}s: an action repeats at one instant"
    )


def deployment(name: str, replicas: int, image: str, progress_deadline: int | None = None) -> dict:
    """A Deployment of nginx Pods; ``progress_deadline`` sets spec.progressDeadlineSeconds (default 600)."""
    deadline = {} if progress_deadline is None else {"progressDeadlineSeconds": progress_deadline}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            **deadline,
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }


#: What every schedule starts with: a Deployment of three nginx replicas behind a Service, all Running.
WORKLOAD = [deployment("web", 3, IMAGES[0]), service("web")]


class FaultSchedule(RuleBasedStateMachine):
    """One schedule: a copy of a booted cluster, the logs that watch it from the start, and the faults
    applied."""

    cluster: kcourse.Cluster

    @initialize(masters=st.sampled_from([1, 1, 1, 3]))
    def boot(self, masters: int) -> None:
        self.cluster = fresh_copy(masters=masters, workers=2, workload=WORKLOAD)
        self.store = StoreLog(self.cluster)
        self.bindings = BindingLog(self.cluster)
        self.no_ops = NoOpLog(self.cluster)
        self.deleted_vms: set[str] = set()

    # --- helpers ---------------------------------------------------------------------------------

    def node(self, i: int, role: str | None = None) -> str:
        names = sorted(
            n
            for n, m in self.cluster.machines.items()
            if n not in self.deleted_vms and (role is None or m.role == role)
        )
        return names[i % len(names)]

    def user_request(self, fn, *args, **kw):
        """A learner's request: with every API server down it cannot connect, which is not a bug."""
        try:
            return fn(*args, **kw)
        except Unreachable:
            return None
        except kcourse.ApiError as err:
            if self.cluster.reachable(None):
                raise
            assert "refused" in str(err) or err.code >= 500, err
            return None

    # --- workloads -------------------------------------------------------------------------------

    @rule(
        app=st.sampled_from(APPS),
        replicas=st.integers(0, 4),
        image=st.sampled_from(IMAGES),
        deadline=st.sampled_from([None, 30]),
    )
    def apply_deployment(self, app: str, replicas: int, image: str, deadline: int | None) -> None:
        """A short progress deadline (30 s) lets a schedule reach the deadline checks in its few minutes."""
        self.user_request(self.cluster.apply, [deployment(app, replicas, image, deadline), service(app)])

    @rule(app=st.sampled_from(APPS), replicas=st.integers(0, 4))
    def scale(self, app: str, replicas: int) -> None:
        if self.cluster.api.peek("deployments", app, "default") is not None:
            self.user_request(
                self.cluster.api.patch,
                "deployments",
                app,
                {"spec": {"replicas": replicas}},
                namespace="default",
                user="kubectl",
            )

    @rule(app=st.sampled_from(APPS))
    def delete_deployment(self, app: str) -> None:
        if self.cluster.api.peek("deployments", app, "default") is not None:
            self.user_request(self.cluster.api.delete, "deployments", app, "default", user="kubectl")

    @rule(app=st.sampled_from(APPS), replicas=st.integers(0, 4))
    def stale_update(self, app: str, replicas: int) -> None:
        """Two writers read the same version; the second write must get 409 Conflict and change nothing."""
        api = self.cluster.api
        if api.peek("deployments", app, "default") is None or not self.cluster.reachable(None):
            return
        first = copy.deepcopy(api.get("deployments", app, "default", user="alice"))
        second = copy.deepcopy(first)
        first["spec"]["replicas"] = replicas
        first["metadata"].setdefault("annotations", {})["who"] = "alice"
        api.update(first, user="alice")
        if (
            api.peek("deployments", app, "default")["metadata"]["resourceVersion"]
            == second["metadata"]["resourceVersion"]
        ):
            return  # alice's update was a no-op, so bob's version is not stale
        before, revision = copy.deepcopy(api.peek("deployments", app, "default")), self.cluster.etcd.revision
        second["metadata"].setdefault("annotations", {})["who"] = "bob"
        with pytest.raises(kcourse.ApiError) as err:
            api.update(second, user="bob")
        assert err.value.code == 409 and err.value.reason == "Conflict", err.value
        assert self.cluster.etcd.revision == revision
        assert api.peek("deployments", app, "default") == before

    @rule(i=st.integers(0, 20))
    def crash_container(self, i: int) -> None:
        pods = [p for p in self.cluster.pods("default") if p["status"].get("phase") == "Running"]
        if not pods:
            return
        pod = pods[i % len(pods)]
        try:
            self.cluster.crash_container(pod["metadata"]["name"])
        except ValueError:
            pass  # its node is down or the container is already restarting: nothing to crash

    # --- faults ----------------------------------------------------------------------------------

    @rule(i=st.integers(0, 4))
    def fail_node(self, i: int) -> None:
        self.cluster.fail_node(self.node(i))

    @rule(i=st.integers(0, 4))
    def recover_node(self, i: int) -> None:
        self.cluster.recover_node(self.node(i))

    @rule(i=st.integers(0, 4))
    def partition_node(self, i: int) -> None:
        self.cluster.partition_node(self.node(i))

    @rule(i=st.integers(0, 4))
    def heal_partition(self, i: int) -> None:
        self.cluster.heal_partition(self.node(i))

    @rule(i=st.integers(0, 4))
    def stop_kubelet(self, i: int) -> None:
        name = self.node(i)
        if self.cluster.machines[name].powered:
            self.cluster.stop_kubelet(name)

    @rule(i=st.integers(0, 4))
    def start_kubelet(self, i: int) -> None:
        name = self.node(i)
        if self.cluster.machines[name].powered:
            self.cluster.start_kubelet(name)

    @precondition(lambda self: not self.deleted_vms)
    @rule(i=st.integers(0, 1))
    def delete_vm(self, i: int) -> None:
        """At most one worker per schedule, so the workloads still fit on the other."""
        name = self.node(i, "worker")
        self.cluster.delete_vm(name)
        self.deleted_vms.add(name)

    @rule(i=st.integers(0, 2))
    def stop_master(self, i: int) -> None:
        self.cluster.stop_master(self.node(i, "control-plane"))

    @rule(back=st.integers(0, 50))
    def compact(self, back: int) -> None:
        etcd = self.cluster.etcd
        target = max(etcd.revision - back, 1)
        if target > etcd.compact_revision:
            etcd.compact(target)

    # --- time ------------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.5, 2, 10, 30, 60]))
    def advance(self, seconds: float) -> None:
        advance(self.cluster, seconds)

    @rule(n=st.integers(1, 30))
    def step(self, n: int) -> None:
        for _ in range(n):
            self.cluster.step()

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def pods_bound_once(self) -> None:
        self.bindings.check()

    @invariant()
    def pod_ips_unique_and_in_node_cidr(self) -> None:
        check_pod_ips(self.cluster)

    @invariant()
    def watch_sees_every_revision_once_in_order(self) -> None:
        self.store.check()

    @invariant()
    def no_controller_loses_a_key(self) -> None:
        check_queues(self.cluster)

    @invariant()
    def no_component_spins(self) -> None:
        self.no_ops.check()

    def teardown(self) -> None:
        """Repair every fault; the cluster must reach the desired state within the bound."""
        c = self.cluster
        for name, m in sorted(c.machines.items()):
            if name in self.deleted_vms:
                continue
            c.recover_node(name)
            c.start_kubelet(name)
        start, gaps = c.now, ["not checked yet"]
        while c.now - start <= CONVERGENCE_BOUND:
            gaps = convergence_gaps(c, APPS)
            if not gaps:
                break
            advance(c, 5)
        assert not gaps, f"not converged {CONVERGENCE_BOUND:.0f} s after the faults stopped: {gaps}"
        self.store.check()
        self.bindings.check()
        check_pod_ips(c)
        check_queues(c)
        self.no_ops.check()


test_fault_schedules = FaultSchedule.TestCase


def test_a_copy_runs_exactly_as_a_fresh_boot() -> None:
    """The fast copy is sound: the same schedule on a copy and on a fresh boot gives the same trace."""
    fresh, copied = boot(workload=WORKLOAD), fresh_copy(workload=WORKLOAD)
    for c in (fresh, copied):
        c.apply([deployment("api", 2, "nginx:1.25"), service("api")])
        c.fail_node("worker-1")
        c.advance(90)
        c.recover_node("worker-1")
        c.run_until_stable()
    assert copied.trace() == fresh.trace()
    assert copied.etcd.revision == fresh.etcd.revision
    assert math.isclose(copied.now, fresh.now)
