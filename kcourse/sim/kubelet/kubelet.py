"""The kubelet: the agent on every node that turns bound Pods into running containers.

The kubelet is the only component that makes things happen on a machine.
It

* **registers its Node** and keeps it alive (lease, status): see
  :mod:`.node_status`;
* **watches the Pods bound to it** (field selector ``spec.nodeName=<node>``)
  and drives each through the container runtime over **CRI**, one call at a
  time as a per-pod worker does: ``RunPodSandbox`` (the CNI gives the Pod its
  IP), ``PodSandboxStatus``, the image (:mod:`.images`),
  ``CreateContainer``, ``StartContainer`` — init containers first, in order;
* learns of container exits from the **PLEG** (:mod:`.pleg`) and restarts
  containers per ``restartPolicy`` with the CrashLoopBackOff back-off (10 s
  doubling to 300 s, reset after 10 minutes of running);
* runs **probes** (:mod:`.prober`) and writes the Pod's **status** through
  the status manager (:mod:`.status`);
* **terminates** deleted Pods gracefully (StopContainer with the grace
  period, StopPodSandbox, RemovePodSandbox) and then removes them from the
  API server;
* runs the control plane as **static pods** on control plane nodes
  (:mod:`.static_pods`) and serves **container logs** (:mod:`.logs`).

A container runs a *program* chosen by its image repository (the
``programs`` registry the kubelet is built with, see
:mod:`kcourse.sim.programs`); other images run a
generic program that writes a few log lines and ends when ``lifetime()``'s
reading of its command says the shell would — nothing is ever executed.

The kubelet is built with a :class:`~kcourse.sim.host.Host` and its own
collaborators — the network (Pod IPs), the image registry its runtime pulls
from, the program registry, the node's capacity — never with the cluster.
It holds no copies of its Pods: the pod informer's cache has the current
ones, and a :class:`~.container.PodRecord` keeps only the kubelet's own
state and references into the version last seen.

Simplified: a restarted kubelet keeps its records of the Pods (the real one
rediscovers them with ListPodSandbox/ListContainers); no volumes, no
cgroups, no eviction, no image garbage collection, no ephemeral containers;
all containers of a Pod are stopped one after another, not in parallel.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..clock import Timer
from ..component import Component, Event
from ..cri import (
    ContainerConfig,
    ContainerMetadata,
    ContainerRuntime,
    DNSConfig,
    ImageSpec,
    KeyValue,
    PodSandboxConfig,
    PodSandboxMetadata,
    PortMapping,
    RunPodSandboxRequest,
    image_repository,
)
from ..errors import ApiError
from ..informer import Informer, ResourceEventHandler
from ..programs import GenericProgram, ProgramContext, ignores_sigterm, lifetime
from ..resources import object_key
from .container import ContainerRecord, PodRecord, Terminated, Waiting, should_restart, status_of
from .images import BACKOFF_INITIAL, BACKOFF_MAX, ImageManager
from .logs import ContainerLogsMixin, LogFile, LogStamper
from .node_status import DEFAULT_CAPACITY, KUBELET_VERSION, NodeStatusMixin
from .pleg import GenericPLEG
from .prober import ProberManager
from .static_pods import StaticPodsMixin
from .status import StatusManager

if TYPE_CHECKING:
    from ..host import Host
    from ..network import Network
    from ..registry import Registry

__all__ = ["DURATIONS", "Kubelet"]

BACKOFF_RESET = 600.0
#: Simulated time each CRI call takes (seconds); PullImage depends on the image's size.
DURATIONS = {
    "RunPodSandbox": 0.5,
    "PodSandboxStatus": 0.01,
    "ImageStatus": 0.01,
    "CreateContainer": 0.1,
    "StartContainer": 0.2,
    "StopPodSandbox": 0.2,
    "RemovePodSandbox": 0.1,
    "RemoveContainer": 0.05,
    "UpdateRuntimeConfig": 0.01,
}
KATA_EXTRA = {"RunPodSandbox": 1.5, "StartContainer": 0.1}


#: Shared by every CRI config that has none: the runtime only reads them (a reader copies what it hands out).
_NONE_LIST: list = []
_NONE_DICT: dict = {}


@functools.lru_cache(maxsize=256)
def _cluster_first_dns(namespace: str) -> DNSConfig:
    """The sandbox's resolv.conf for ``dnsPolicy: ClusterFirst``: one per namespace, shared by its Pods."""
    return DNSConfig(
        ["10.96.0.10"], [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"], ["ndots:5"]
    )


@functools.lru_cache(maxsize=256)
def _image_spec(image: str) -> ImageSpec:
    return ImageSpec(image)


@functools.lru_cache(maxsize=64)
def _restart_count_annotations(count: int) -> dict[str, str]:
    """A container config's annotations: the same dict for every container restarted ``count`` times."""
    return {"io.kubernetes.container.restartCount": str(count)}


def _lost_power(c: ContainerRecord) -> bool:
    """Did the container end because its machine powered off (its sandbox is gone too)?"""
    return isinstance(c.current, Terminated) and c.current.reason == "Unknown"


class Kubelet(NodeStatusMixin, StaticPodsMixin, ContainerLogsMixin, Component):
    """The node agent (one per machine)."""

    def __init__(
        self,
        host: Host,
        node: str,
        runtime: str = "containerd",
        oci_runtime: str = "runc",
        role: str = "worker",
        *,
        registry: Registry | None = None,
        programs: Mapping[str, Callable[..., Any]] | None = None,
        capacity: Mapping[str, str] | None = None,
        cloud_provider: bool = False,
    ):
        super().__init__(host, "kubelet", node)
        self.role = role
        #: Where Pod IPs come from (the CNI's IPAM) and the node's own address.
        self.network: Network = host.network
        #: The programs containers run, by image repository (an image without one runs a generic program).
        self.programs: Mapping[str, Callable[..., Any]] = programs if programs is not None else {}
        #: The machine's capacity as the Node reports it (cpu, memory, pods, ephemeral-storage).
        self.capacity: Mapping[str, str] = capacity if capacity is not None else DEFAULT_CAPACITY
        #: Started with ``--cloud-provider=external``: the Node waits for the cloud controller to
        #: initialize it.
        self.cloud_provider = cloud_provider
        # The runtime reads only the host's clock and seeded rng.
        self.cri = ContainerRuntime(host, node, runtime, oci_runtime, registry=registry)
        self.status_manager = StatusManager(self)
        self.prober = ProberManager(self)
        self.pleg = GenericPLEG(self)
        self.image_manager = ImageManager(self)
        self.pods: dict[str, PodRecord] = {}
        self.log_store: dict[str, LogFile] = {}
        #: What stamps the containers' log lines (the lines written at one instant share a prefix).
        self.log_stamper = LogStamper(host.clock)
        self._links: dict[str, str] = {}
        self.pod_informer: Informer | None = None
        self.node_informer: Informer | None = None
        self.registered = False
        self._last_status_post = -1e9
        self._posted_ready: str | None = None
        self._container_timers: list[Timer] = []
        self.boot_id = ""

    # --- process lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """The kubelet process starts: register, heartbeat, watch the pods bound here."""
        if self.running:
            return
        super().start()
        self.boot_id = self.boot_id or self.cri.new_id()[:32]
        self.after(0, self._register)

    def stop_process(self) -> None:
        """Only the kubelet dies: containers keep running; nobody reports for the node."""
        super().stop()
        self._drop_informers()
        for p in self.pods.values():
            p.busy = p.status_timer = None
            for c in p.ctrs.values():
                c.timers.clear()

    def stop(self) -> None:
        """The machine powers off: the kubelet and every container on it are gone."""
        self.stop_process()
        for t in self._container_timers:
            t.cancel()
        self._container_timers.clear()
        self.cri.power_off()
        for p in self.pods.values():
            p.sandbox_ok = False
            if not p.host_network:
                self.network.release_pod_ip(p.key)
            for c in p.ctrs.values():
                self.stop_program(c)
                if c.state == "running":
                    c.terminate(255, "Unknown", self.clock.now)
                c.ready = False

    def _drop_informers(self) -> None:
        for inf in (self.pod_informer, self.node_informer):
            if inf is not None:
                inf.stop()
        self.pod_informer = self.node_informer = None

    def disconnect(self) -> None:
        """The node lost the API server: the watches break; pods keep running."""
        for inf in (self.pod_informer, self.node_informer):
            if inf is not None:
                inf.disconnect()

    def reconnect(self) -> None:
        if not self.running:
            return
        try:
            for inf in (self.node_informer, self.pod_informer):
                if inf is not None:
                    inf.reconnect()
        except Unreachable:
            return
        for key in sorted(self.pods):
            self.status_manager.mark(self.pods[key])
            self.kick(self.pods[key])

    # --- registration ---------------------------------------------------------------------------

    def _register(self) -> Event | None:
        """registerWithAPIServer: create the Node (or find it there), then start the loops."""
        try:
            version = self.cri.runtime_service.Version()
            try:
                node = self.client.create(self._node_object())
                what = f"registered node {self.node}"
            except ApiError as err:
                if err.code != 409:
                    raise
                node = self.client.get("nodes", self.node)
                what = f"node {self.node} was already registered"
            self.registered = True
            self.client.event(node, "Normal", "Starting", "Starting kubelet.")
            self.client.event(
                node, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods"
            )
            self._start_informers()
        except Unreachable:
            self.after(7.0, self._register)
            return self.event(
                f"nodes/{self.node}",
                "Unable to register node with API server: the API server is unreachable; retrying",
                verb="register",
            )
        self.after(0, self._renew_lease)
        self.after(0.01, self._node_status)
        if self.is_master:
            self.after(0.02, self._static_pods)
        return self.event(
            f"nodes/{self.node}",
            f"{what} ({version.runtime_name} {version.runtime_version} via CRI "
            f"{version.runtime_api_version}, kubelet {KUBELET_VERSION})",
        )

    def _start_informers(self) -> None:
        if self.node_informer is None:
            self.node_informer = Informer(self.client, "nodes", field_selector=f"metadata.name={self.node}")
            self.node_informer.add_event_handler(
                ResourceEventHandler(self._node_changed, lambda _old, new: self._node_changed(new))
            )
            self.node_informer.start()
        if self.pod_informer is None:
            self.pod_informer = Informer(self.client, "pods", field_selector=f"spec.nodeName={self.node}")
            self.pod_informer.add_event_handler(
                ResourceEventHandler(self._pod_added, self._pod_updated, self._pod_deleted)
            )
            self.pod_informer.start()
        for key in sorted(self.pods):
            p = self.pods[key]
            self.pleg.relist(p)  # containers that died while the kubelet was down
            self.kick(p)

    def _node_changed(self, node: dict) -> None:
        cidr = node["spec"].get("podCIDR")
        if cidr and cidr != self.cri.pod_cidr and self.running:
            self.after(
                DURATIONS["UpdateRuntimeConfig"],
                lambda: self._update_runtime_config(cidr),
                trace_name=self.runtime_name,
            )

    def _update_runtime_config(self, cidr: str) -> Event | None:
        if self.cri.pod_cidr == cidr:
            return None
        self.cri.runtime_service.UpdateRuntimeConfig(cidr)
        self.after(0.01, self._node_status)
        for key in sorted(self.pods):
            self.kick(self.pods[key])
        return self.cri_event(self.node_key)

    # --- pod informer handlers (they only note and kick) ------------------------------------------

    def _pod_added(self, pod: dict) -> None:
        self._pod_updated(None, pod)

    def _pod_updated(self, _old: dict | None, pod: dict) -> None:
        key = object_key(pod)
        p = self.pods.get(key)
        if p is not None and p.uid != pod["metadata"]["uid"]:
            p.gone_from_api = True
            p.terminating = True
            self.kick(p)
            key = key + "#new"  # a new incarnation waits until the old one is gone
            return
        if p is None:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") and not pod["metadata"].get(
                "deletionTimestamp"
            ):
                return
            ctrs = {
                c["name"]: ContainerRecord(c["name"], c, True)
                for c in pod["spec"].get("initContainers") or []
            }
            ctrs.update(
                {c["name"]: ContainerRecord(c["name"], c, False) for c in pod["spec"].get("containers") or []}
            )
            for c in ctrs.values():
                prev = status_of(pod, c.name, c.init)
                if prev:
                    c.restart_count = prev.get("restartCount", 0)
                    c.attempts = c.restart_count
            p = self.pods[key] = PodRecord(key, pod["metadata"]["uid"], pod["spec"], ctrs)
        p.observe(pod)
        if pod["metadata"].get("deletionTimestamp"):
            p.terminating = True
        if self._ready_drifted(p, pod):
            self.status_manager.mark(
                p
            )  # the status manager's needsReconcile: someone else rewrote our status
        self.kick(p)

    @staticmethod
    def _ready_drifted(p: PodRecord, pod: dict) -> bool:
        """Does the API server show another Ready than the kubelet knows (node-lifecycle marked it False)?"""
        mains = [c for c in p.ctrs.values() if not c.init]
        ours = "True" if mains and all(c.ready for c in mains) else "False"
        theirs = next(
            (
                c.get("status")
                for c in (pod.get("status") or {}).get("conditions") or []
                if c.get("type") == "Ready"
            ),
            None,
        )
        return theirs is not None and theirs != ours

    def _pod_deleted(self, pod: dict) -> None:
        p = self.pods.get(object_key(pod))
        if p is None or p.uid != pod["metadata"]["uid"]:
            return
        p.gone_from_api = True
        p.terminating = True
        if (
            (pod["metadata"].get("annotations") or {}).get("kubernetes.io/config.source") == "file"
            and self.is_master
            and self.running
        ):
            self.after(1.0, self._static_pods)
        self.kick(p)

    # --- the pod worker ------------------------------------------------------------------------------

    def kick(self, p: PodRecord, delay: float = 0.0) -> None:
        """Make sure the pod's worker has its next step scheduled (one step in flight per pod)."""
        if p.busy is not None and not p.busy.cancelled or not self.running or p.removed:
            return
        step = self._next_step(p)
        if step is None:
            p.busy = None
            return
        duration, trace, work = step

        def run() -> Event | None:
            p.busy = None
            ev = work()
            self.kick(p)
            return ev

        p.busy = self.after(delay + duration, run, trace_name=trace)

    def _next_step(self, p: PodRecord) -> tuple[float, str, Callable[[], Event | None]] | None:
        """computePodActions: what the pod needs next, as (duration, who acts, work)."""
        rt = self.runtime_name
        if p.terminating:
            return self._next_kill_step(p)
        if not p.sandbox_ok:
            if not p.host_network and not self.cri.pod_cidr:
                return None  # waits for the network (kicked again by UpdateRuntimeConfig)
            if p.sandbox_id and any(_lost_power(c) for c in p.ctrs.values()):
                return (DURATIONS["StopPodSandbox"], rt, lambda: self._stop_old_sandbox(p))
            return (self._duration("RunPodSandbox"), rt, lambda: self._run_sandbox(p))
        if not p.sandbox_status_known:
            return (DURATIONS["PodSandboxStatus"], rt, lambda: self._sandbox_status(p))
        restart = p.restart_policy
        for c in p.ordered():
            if c.stopping and c.state == "running":
                grace = self._grace(p)
                seconds = float(grace) if ignores_sigterm(c.spec) else min(0.1, float(grace))
                return (seconds, rt, lambda c=c, grace=grace: self._kill_for_restart(p, c, grace))
        for c in p.ordered():
            if c.init:
                if c.succeeded:
                    continue
                if c.state == "running":
                    return None
                if c.state == "terminated" and restart == "Never":
                    return None
                return self._start_steps(p, c)
            if c.state == "running" or c.stopping:
                continue
            if isinstance(c.current, Terminated) and not should_restart(restart, c.current.exit_code):
                continue
            step = self._start_steps(p, c)
            if step is not None:
                return step
        return None

    def _duration(self, rpc: str) -> float:
        extra = KATA_EXTRA.get(rpc, 0.0) if self.cri.oci_runtime == "kata" else 0.0
        return DURATIONS[rpc] + extra

    def _start_steps(
        self, p: PodRecord, c: ContainerRecord
    ) -> tuple[float, str, Callable[[], Event | None]] | None:
        rt = self.runtime_name
        now = self.clock.now
        if c.not_before > now + 1e-6:
            return None  # a back-off timer will kick the worker
        if not c.image_checked:
            return (DURATIONS["ImageStatus"], rt, lambda: self.image_manager.image_status(p, c))
        if not c.image_ready:
            seconds = self.image_manager.pull_seconds(c)
            return (seconds, rt, lambda: self.image_manager.pull(p, c, seconds))
        if not c.cid:
            return (DURATIONS["CreateContainer"], rt, lambda: self._create_container(p, c))
        return (self._duration("StartContainer"), rt, lambda: self._start_container(p, c))

    # --- CRI steps -------------------------------------------------------------------------------------

    def cri_event(self, key: str) -> Event:
        rec = self.cri.last_call
        return self.event(key, rec.message if rec else "", verb="cri", component=self.runtime_name)

    def sandbox_config(self, p: PodRecord) -> PodSandboxConfig:
        """generatePodSandboxConfig: what RunPodSandbox gets (and the runtime keeps while the sandbox lives).

        What is the same for many Pods is shared, never copied: the DNS config of a namespace, the
        empty port list and annotations, and the Pod's name strings from its record.
        """
        spec = p.spec
        ports = [
            PortMapping(port.get("protocol", "TCP"), port.get("containerPort", 0), port.get("hostPort", 0))
            for c in spec.get("containers") or []
            for port in c.get("ports") or []
            if port.get("hostPort")
        ] or _NONE_LIST
        dns = None
        if not spec.get("hostNetwork") and spec.get("dnsPolicy", "ClusterFirst") == "ClusterFirst":
            dns = _cluster_first_dns(p.namespace)
        return PodSandboxConfig(
            PodSandboxMetadata(p.name, p.uid, p.namespace, max(p.sandbox_attempt, 0)),
            hostname=self.node if spec.get("hostNetwork") else p.name,
            log_directory=p.log_directory,
            dns_config=dns,
            port_mappings=ports,
            labels={
                **(p.labels or _NONE_DICT),
                "io.kubernetes.pod.name": p.name,
                "io.kubernetes.pod.namespace": p.namespace,
                "io.kubernetes.pod.uid": p.uid,
            },
            annotations=dict(p.annotations) if p.annotations else _NONE_DICT,
            host_network=bool(spec.get("hostNetwork")),
        )

    def _run_sandbox(self, p: PodRecord) -> Event | None:
        p.sandbox_attempt += 1
        cfg = self.sandbox_config(p)
        ip = (
            self.network.node_ip(self.node)
            if p.host_network
            else self.network.allocate_pod_ip(self.node, p.key)
        )
        handler = "kata" if self.cri.oci_runtime == "kata" else ""
        resp = self.cri.runtime_service.RunPodSandbox(RunPodSandboxRequest(cfg, handler), ip)
        p.sandbox_id, p.sandbox_ok, p.sandbox_status_known, p.ip = resp.pod_sandbox_id, True, False, ip
        if p.start_time is None:
            p.start_time = self.clock.now
        for c in p.ctrs.values():
            c.cid_old, c.cid = c.cid or c.cid_old, ""
        self.status_manager.mark(p)
        return self.cri_event(p.key)

    def _stop_old_sandbox(self, p: PodRecord) -> Event | None:
        try:
            self.client.event(
                p.reference(),
                "Normal",
                "SandboxChanged",
                "Pod sandbox changed, it will be killed and re-created.",
            )
        except Unreachable:
            pass
        self.cri.runtime_service.StopPodSandbox(p.sandbox_id)
        p.sandbox_id = ""
        return self.cri_event(p.key)

    def _sandbox_status(self, p: PodRecord) -> Event | None:
        status = self.cri.runtime_service.PodSandboxStatus(p.sandbox_id)
        p.ip = status.ip
        p.sandbox_status_known = True
        self.status_manager.mark(p)
        return self.cri_event(p.key)

    def record(
        self, p: PodRecord, etype: str, reason: str, message: str, c: ContainerRecord | None = None
    ) -> None:
        """A v1 Event about the pod (``involvedObject.fieldPath`` names the container in the real kubelet)."""
        # ref.GetPartialReference(pod, "spec.containers{name}") as the kubelet's container events carry it.
        field_path = f"spec.{'initContainers' if c.init else 'containers'}{{{c.name}}}" if c else ""
        try:
            self.client.event(p.reference(), etype, reason, message, field_path=field_path)
        except Unreachable:
            pass

    def _create_container(self, p: PodRecord, c: ContainerRecord) -> Event | None:
        if (
            c.state == "terminated"
            or isinstance(c.current, Waiting)
            and c.current.reason == "CrashLoopBackOff"
        ):
            c.restart_count += 1  # restartCount: how many times this container was started again
        attempt = c.attempts
        spec = c.spec
        env = spec.get("env")
        cfg = ContainerConfig(
            ContainerMetadata(c.name, attempt),
            _image_spec(spec["image"]),
            spec.get("command") or _NONE_LIST,  # the spec's own list, never mutated: shared, not copied
            spec.get("args") or _NONE_LIST,
            spec.get("workingDir", ""),
            [KeyValue(e["name"], str(e.get("value", ""))) for e in env] if env else _NONE_LIST,
            {
                "io.kubernetes.container.name": c.name,
                "io.kubernetes.pod.name": p.name,
                "io.kubernetes.pod.namespace": p.namespace,
                "io.kubernetes.pod.uid": p.uid,
            },
            _restart_count_annotations(c.restart_count),
            sys.intern(f"{c.name}/{attempt}.log"),
        )
        c.cid = self.cri.runtime_service.CreateContainer(p.sandbox_id, cfg, self.sandbox_config(p))
        c.attempts += 1
        pods_path = f"{p.log_directory}/{c.name}/{attempt}.log"
        if pods_path not in self.log_store:
            self.log_store[pods_path] = LogFile(self.log_stamper)
        self._links[f"/var/log/containers/{p.name}_{p.namespace}_{c.name}-{c.cid}.log"] = pods_path
        self.record(p, "Normal", "Created", f"Created container: {c.name}", c)
        return self.cri_event(p.key)

    def _start_container(self, p: PodRecord, c: ContainerRecord) -> Event | None:
        self.cri.runtime_service.StartContainer(c.cid)
        c.run(self.clock.now)
        c.ready = False
        c.fails = c.oks = None  # the prober counts this instance afresh
        c.unhealthy = c.unready = False
        c.started = not c.spec.get("startupProbe")
        self.record(p, "Normal", "Started", f"Started container {c.name}", c)
        self._start_program(p, c)
        self.prober.add_container(p, c)
        life = lifetime(c.spec) if self._program_factory(c) is None else None
        if life is not None:
            seconds, code = life
            cid = c.cid
            self._container_timer(seconds, lambda: self.pleg.exited(p, c, cid, code))
        self.status_manager.mark(p)
        return self.cri_event(p.key)

    def _container_timer(self, delay: float, work: Callable[[], Event | None]) -> None:
        """Something a container does on its own (it keeps running even when the kubelet does not)."""
        self._container_timers = [t for t in self._container_timers if not t.cancelled]
        self._container_timers.append(
            self.host.schedule(self, delay, work, trace_name=self.runtime_name, when_stopped=True)
        )

    # --- programs ------------------------------------------------------------------------------------

    def _program_factory(self, c: ContainerRecord) -> Callable[..., Any] | None:
        return self.programs.get(image_repository(c.spec["image"]))

    def _start_program(self, p: PodRecord, c: ContainerRecord) -> None:
        path = f"{p.log_directory}/{c.name}/{c.attempts - 1}.log"
        log = self.log_store.get(path)  # the file is the program's log(line, stream)
        if log is None:
            log = self.log_store[path] = LogFile(self.log_stamper)

        # A program reads only the host's services.
        factory = self._program_factory(c)
        ctx = ProgramContext(
            self.host,
            self.node,
            p.namespace,
            p.name,
            c.name,
            log,
            self._program_pod(p) if factory is not None else None,
            c.spec,
            self.cri.registry.serves(c.spec["image"]),
        )
        c.program = factory(ctx) if factory is not None else GenericProgram(ctx)
        c.program.start()

    def _program_pod(self, p: PodRecord) -> dict:
        """The Pod as its container's program sees it: its name, uid, host network and IP, not a copy."""
        current = self.pod_informer.get(p.key) if self.pod_informer is not None else None
        status = (
            (current.get("status") or {})
            if current is not None and current["metadata"]["uid"] == p.uid
            else {}
        )
        return {
            "metadata": {"name": p.name, "namespace": p.namespace, "uid": p.uid},
            "spec": {"hostNetwork": p.host_network},
            "status": {"podIP": status.get("podIP")},
        }

    def stop_program(self, c: ContainerRecord) -> None:
        if c.program is not None:
            program, c.program = c.program, None
            program.stop()

    # --- what a learner makes happen -------------------------------------------------------------

    def crash_container(
        self, namespace: str, pod: str, container: str | None = None, exit_code: int = 1
    ) -> None:
        """Make a running container exit with ``exit_code`` (its process crashed)."""
        p = self.pods.get(f"{namespace}/{pod}")
        if p is None:
            raise ValueError(f'pod "{pod}" is not running on node {self.node}')
        c = p.ctrs.get(container) if container else next((c for c in p.ctrs.values() if not c.init), None)
        if c is None or c.state != "running":
            raise ValueError(f'container "{container or "?"}" of pod "{pod}" is not running')
        self.pleg.exited(p, c, c.cid, exit_code)

    def set_unhealthy(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        unhealthy: bool = True,
        readiness_only: bool = False,
    ) -> None:
        """Make a container's program fail its probes (liveness and readiness, or readiness only)."""
        p = self.pods[f"{namespace}/{pod}"]
        c = p.ctrs[container] if container else next(c for c in p.ctrs.values() if not c.init)
        if readiness_only:
            c.unready = unhealthy
        else:
            c.unhealthy = c.unready = unhealthy

    def plan_restart(self, p: PodRecord, c: ContainerRecord) -> str:
        """Restart now, or wait out the CrashLoopBackOff back-off (10 s doubling to 300 s)."""
        now = self.clock.now
        assert isinstance(c.current, Terminated)
        ran = now - (c.current.started_at or now)
        if ran >= BACKOFF_RESET:
            c.backoff = 0.0
        c.image_checked = c.image_ready = False
        c.cid_old, c.cid = c.cid, ""
        if c.backoff == 0.0:
            c.backoff = BACKOFF_INITIAL
            return "; restarting"
        delay = c.backoff
        c.backoff = min(c.backoff * 2, BACKOFF_MAX)
        c.not_before = now + delay
        c.remember_terminated()
        c.wait(
            "CrashLoopBackOff",
            f"back-off {delay:g}s restarting failed container={c.name} pod={p.name}_{p.namespace}({p.uid})",
        )
        self.record(
            p,
            "Warning",
            "BackOff",
            f"Back-off restarting failed container {c.name} in pod {p.name}_{p.namespace}({p.uid})",
            c,
        )
        self.after(delay, lambda: self.kick(p))
        return f"; CrashLoopBackOff: back-off {delay:g}s"

    # --- termination ------------------------------------------------------------------------------------

    def _grace(self, p: PodRecord) -> int:
        g = p.deletion_grace
        return int(p.spec.get("terminationGracePeriodSeconds", 30) if g is None else g)

    def _next_kill_step(self, p: PodRecord) -> tuple[float, str, Callable[[], Event | None]] | None:
        rt = self.runtime_name
        if not p.killing_announced:
            return (0.0, "kubelet", lambda: self._announce_kill(p))
        for c in p.ordered():
            if c.state == "running":
                grace = self._grace(p)
                seconds = float(grace) if ignores_sigterm(c.spec) else min(0.1, float(grace))
                return (seconds, rt, lambda c=c, grace=grace: self._stop_container(p, c, grace))
        if p.sandbox_ok and p.sandbox_id:
            return (DURATIONS["StopPodSandbox"], rt, lambda: self._stop_sandbox(p))
        if p.sandbox_id:
            return (DURATIONS["RemovePodSandbox"], rt, lambda: self._remove_sandbox(p))
        if not p.deleted_sent:
            if not self.host.reachable(self.node):
                return None  # the final status waits for the API server: reconnect() kicks every pod
            return (0.0, "kubelet", lambda: self._finish_delete(p))
        return None

    def _announce_kill(self, p: PodRecord) -> Event | None:
        p.killing_announced = True
        names = []
        for c in p.ordered():
            if c.state == "running":
                self.record(p, "Normal", "Killing", f"Stopping container {c.name}", c)
                names.append(c.name)
            c.cancel_timers()
        why = (
            "deleted from the API server"
            if p.gone_from_api
            else f"deletionTimestamp set, grace period {self._grace(p)}s"
        )
        return self.event(
            p.key, f"SyncTerminatingPod: {why}; stopping {', '.join(names) or 'no running containers'}"
        )

    def _stop_container(self, p: PodRecord, c: ContainerRecord, grace: int) -> Event | None:
        killed = ignores_sigterm(c.spec)
        code = 137 if killed else 0
        self.cri.runtime_service.StopContainer(c.cid, grace, exit_code=code, killed=killed)
        self.stop_program(c)
        c.terminate(code, "Error" if code else "Completed", self.clock.now)
        self.status_manager.mark(p)
        return self.cri_event(p.key)

    def _kill_for_restart(self, p: PodRecord, c: ContainerRecord, grace: int) -> Event | None:
        """A failed liveness (or startup) probe: stop the container, then restart it per restartPolicy."""
        ev = self._stop_container(p, c, grace)
        c.stopping = False
        assert isinstance(c.current, Terminated)
        if should_restart(p.restart_policy, c.current.exit_code):
            self.plan_restart(p, c)
        return ev

    def _stop_sandbox(self, p: PodRecord) -> Event | None:
        self.cri.runtime_service.StopPodSandbox(p.sandbox_id)
        p.sandbox_ok = False
        if not p.host_network:
            self.network.release_pod_ip(p.key)
        return self.cri_event(p.key)

    def _remove_sandbox(self, p: PodRecord) -> Event | None:
        self.cri.runtime_service.RemovePodSandbox(p.sandbox_id)
        p.sandbox_id = ""
        if not p.host_network:
            self.network.release_pod_ip(p.key)
        return self.cri_event(p.key)

    def _finish_delete(self, p: PodRecord) -> Event | None:
        """The containers are gone: post the final status and let the API server delete the Pod."""
        p.deleted_sent = True
        if p.status_timer is not None:
            p.status_timer.cancel()
            p.status_timer = None
        if p.gone_from_api:
            self._forget(p)
            return self.event(p.key, "pod removed from the node")
        try:
            self.status_manager.write(p)
            self.client.delete("pods", p.name, p.namespace, grace_period_seconds=0, preconditions_uid=p.uid)
        except ApiError as err:
            if err.code not in (404, 409):
                p.deleted_sent = False
                self.after(1.0, lambda: self.kick(p))
                return self.event(p.key, f"failed to delete pod: {err}")
        except Unreachable:
            p.deleted_sent = False
            return self.event(
                p.key, "failed to delete pod: the API server is unreachable; waiting for reconnect"
            )
        self._forget(p)
        return self.event(
            p.key,
            "containers stopped and sandbox removed; deleted the pod with grace period 0",
            verb="delete",
        )

    def _forget(self, p: PodRecord) -> None:
        p.removed = True
        if self.pods.get(p.key) is p:
            del self.pods[p.key]
        prefix = f"{p.log_directory}/"
        for path in [k for k in self.log_store if k.startswith(prefix)]:
            del self.log_store[path]
        self._links = {k: v for k, v in self._links.items() if not v.startswith(prefix)}
        if self.pod_informer is not None:
            current = self.pod_informer.get(p.key)
            if current is not None and current["metadata"]["uid"] != p.uid:
                self._pod_added(current)
