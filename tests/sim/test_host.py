"""A component receives a :class:`~kcourse.sim.host.Host`, not the cluster: what it may rely on.

sample-controller's ``NewController`` takes exactly its dependencies; these tests build
components against a host that is not a ``Cluster`` to show nothing else is reached for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from kcourse.sim.apiserver import APIServer, Client
from kcourse.sim.clock import Clock, Timer
from kcourse.sim.cluster import Cluster
from kcourse.sim.component import Component, Event
from kcourse.sim.cri import (
    ContainerConfig,
    ContainerMetadata,
    ContainerRuntime,
    ImageSpec,
    PodSandboxConfig,
    PodSandboxMetadata,
    RunPodSandboxRequest,
)
from kcourse.sim.etcd import Etcd
from kcourse.sim.host import Host, Process, Work
from kcourse.sim.kubeproxy import connect, iptables_save
from kcourse.sim.network import Network
from kcourse.sim.programs import ContainerProgram


class BareHost:
    """Only what the Host protocol names: a clock, an API server, a seeded rng, a network."""

    name = "bare"
    seed = 7
    strict = True

    def __init__(self) -> None:
        self.clock = Clock()
        self.rng = random.Random(self.seed)
        self.network = Network(self.rng)
        self.api = APIServer(Etcd(), self.clock, self.rng, allocator=self.network)
        self.scheduled: list[tuple[str, float, bool]] = []
        self.trace: list[Event] = []
        #: Machines that are off (every other name is a machine that is up).
        self.down: set[str | None] = set()

    def client(self, user: str, node: str | None = None) -> Client:
        return self.api.client(user, node)

    def schedule(
        self,
        component: Process,
        delay: float,
        work: Work,
        *,
        background: bool = False,
        trace_name: str | None = None,
        when_stopped: bool = False,
        priority: int = 0,
    ) -> Timer:
        self.scheduled.append((component.name, delay, background))

        def action() -> Event | None:
            return work() if component.running or when_stopped else None

        return self.clock.call_later(
            delay, action, component=trace_name or component.name, background=background, priority=priority
        )

    def make_event(self, component: str, node: str, key: str, message: str, verb: str | None = None) -> Event:
        ev = Event(self.clock.now, component, node, verb or "sync", key, message)
        self.trace.append(ev)
        return ev

    def report_failure(self, component: str, node: str | None, key: str, where: str, err: Exception) -> None:
        raise RuntimeError(f"{component} on {node}: {key} in {where}") from err

    def reachable(self, node: str | None) -> bool:
        return node not in self.down

    def machine_up(self, node: str) -> bool:
        return node not in self.down

    def powered(self, node: str) -> bool:
        return node not in self.down

    def timestamp(self) -> str:
        return "1970-01-01T00:00:00Z"


def run(clock: Clock) -> list[Event]:
    out = []
    while (timer := clock.pop()) is not None:
        ev = timer.action()
        if ev is not None:
            out.append(ev)
    return out


def test_a_component_schedules_its_work_through_its_host_and_names_itself_on_the_trace() -> None:
    host = BareHost()
    comp = Component(host, "ticker", "node-a")
    comp.start()
    comp.after(1.5, lambda: comp.event("default/x", "ticked"), background=True)
    [ev] = run(host.clock)
    assert host.scheduled == [("ticker", 1.5, True)]
    assert (ev.time, ev.component, ev.node, ev.key, ev.message) == (
        1.5,
        "ticker",
        "node-a",
        "default/x",
        "ticked",
    )


def test_a_component_talks_to_the_api_server_its_host_gives_as_itself() -> None:
    host = BareHost()
    comp = Component(host, "writer", "node-a")
    comp.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    assert host.api.peek("namespaces", "team") is not None
    assert host.api.recent_requests[-1].user == "writer"


def test_a_stopped_component_loses_the_work_it_had_scheduled() -> None:
    host = BareHost()
    comp = Component(host, "ticker", "node-a")
    comp.start()
    comp.after(1.0, lambda: comp.event("k", "should not run"))
    comp.stop()
    assert run(host.clock) == []
    assert not host.clock.has_foreground()


def test_a_cluster_is_a_host_for_its_components() -> None:
    def uses(host: Host) -> Callable[[], bool]:
        return lambda: host.machine_up("worker-1") and host.powered("master-1")

    c = Cluster(workers=1, addons=False)
    assert uses(c)()
    c.partition_node("worker-1")
    assert not c.machine_up("worker-1") and c.powered("worker-1")
    c.fail_node("worker-1")
    assert not c.powered("worker-1")
    assert not c.machine_up("no-such-node") and not c.powered("no-such-node")


def test_run_until_steps_until_the_condition_holds_and_stops_there(cluster: Cluster) -> None:
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
                },
            },
        }
    )
    steps = []

    def running() -> bool:
        return any(p["status"].get("phase") == "Running" for p in cluster.pods())

    assert cluster.run_until(running, cluster.now + 120, after_step=lambda: steps.append(cluster.now))
    assert running() and steps
    before = len(cluster.events)
    assert cluster.run_until(running, cluster.now + 120)  # already true: not one more step
    assert len(cluster.events) == before


def test_run_until_gives_up_without_running_work_due_after_the_deadline(cluster: Cluster) -> None:
    start = cluster.now
    assert not cluster.run_until(lambda: False, start + 3)
    head = cluster.clock.peek()
    assert head is not None and head.due > start + 3
    assert all(e.time <= start + 3 for e in cluster.events[-5:])


@pytest.mark.parametrize("deadline", [-1.0, 0.0])
def test_run_until_with_a_past_deadline_runs_nothing(cluster: Cluster, deadline: float) -> None:
    before = len(cluster.events)
    assert not cluster.run_until(lambda: False, deadline)
    assert len(cluster.events) == before


def test_a_container_runtime_needs_of_its_host_only_the_clock_and_the_seeded_random_source() -> None:
    """containerd on a node knows no cluster: its IDs come from the host's rng, its times from its clock."""
    host = BareHost()
    host.clock.advance_to_ms(2_500)
    rt = ContainerRuntime(host, "node-a", "containerd")
    sandbox = PodSandboxConfig(PodSandboxMetadata("web", "uid-1", "default"))
    sid = rt.runtime_service.RunPodSandbox(RunPodSandboxRequest(sandbox), "10.244.1.2").pod_sandbox_id
    rt.image_service.PullImage(ImageSpec("nginx:1.27"), sandbox)
    cid = rt.runtime_service.CreateContainer(
        sid, ContainerConfig(ContainerMetadata("nginx"), ImageSpec("nginx:1.27")), sandbox
    )
    rt.runtime_service.StartContainer(cid)

    again = random.Random(BareHost.seed)
    assert [sid, cid] == [f"{again.getrandbits(256):064x}" for _ in range(2)]
    assert rt.containers[cid].started_at == host.clock.now_ms * 1_000_000
    assert [c.time for c in rt.calls] == [host.clock.now] * len(rt.calls)


def test_kube_proxy_rules_are_read_from_what_the_network_shows_not_from_a_cluster() -> None:
    """``iptables_save`` and ``connect`` look at a :class:`~kcourse.sim.network.NetworkView`: a stand-in
    with two machines, one of them off, answers as a cluster would."""

    @dataclass
    class Box:
        powered: bool = True
        partitioned: bool = False
        is_master: bool = False

    class View:
        def __init__(self) -> None:
            self.rng = random.Random(0)
            self.network = Network(self.rng)
            self.machines = {"node-a": Box(), "node-b": Box(powered=False)}
            self.api = APIServer(Etcd(), Clock(), self.rng, allocator=self.network)
            self.cloud, self.addons = None, None

        def machine(self, name: str) -> Box:
            if name not in self.machines:
                raise ValueError(f"no node named {name!r}")
            return self.machines[name]

        def machine_up(self, node: str) -> bool:
            return self.machines[node].powered

    view = View()
    assert iptables_save(view, "node-a").startswith("# no kube-proxy rules on this node yet")
    with pytest.raises(ValueError, match="node node-b is down"):
        iptables_save(view, "node-b")
    with pytest.raises(ValueError, match="no node named 'node-c'"):
        iptables_save(view, "node-c")
    assert "kube-proxy has not synced on node-a" in connect(view, "node-a", "10.96.0.1", 443).verdict
    assert connect(view, "node-b", "10.96.0.1", 443).verdict == "node node-b is down: no rules"


def test_a_container_program_runs_on_its_host_and_learns_from_it_whether_its_machine_went_off() -> None:
    """kube-proxy and the addons are programs given a host in their context, never the cluster."""
    stops: list[bool] = []

    class Probe(ContainerProgram):
        program_name = "probe"

        def on_stop(self, machine_off: bool) -> None:
            stops.append(machine_off)

    host = BareHost()
    host.network.pod_ips["default/probe"] = "10.244.1.7"
    pod = {"metadata": {"name": "probe", "namespace": "default"}, "spec": {}}
    for off in (False, True):
        program = Probe({"host": host, "node": "node-a", "pod": pod, "log": lambda _line: None})
        assert (program.host, program.pod_ip) == (host, "10.244.1.7")
        program.start()
        host.down = {"node-a"} if off else set()
        program.stop()
    assert stops == [False, True]
