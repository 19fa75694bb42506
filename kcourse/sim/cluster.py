"""The simulated cluster: one object that wires every component together.

``Cluster`` owns the simulated clock, the one seeded random generator, etcd
and the API server, and the machines — control plane ("master") nodes and
worker nodes — with the processes each one runs:

* on every control plane node: kube-apiserver and etcd (shared here),
  kube-scheduler, kube-controller-manager and cloud-controller-manager, the
  last three electing one leader each through a Lease;
* on every node: a kubelet with its container runtime (CRI) and, as a
  DaemonSet Pod, kube-proxy; the addons run as Pods wherever scheduled.

A learner drives it with ``step()`` (one action of one component),
``run(...)``, ``run_until_stable()`` and ``advance(seconds)``, applies
manifests, runs ``kubectl``-style commands and breaks things on purpose
(``fail_node``, ``partition_node``, ``crash_container`` …).  The same seed
gives the same trace, byte for byte.

It knows no view and no server: ``kcourse.Cluster`` (:mod:`kcourse.cluster`) is this
class with ``diagram()`` and ``serve()``, what notebooks build.  Each component is
given the cluster as its :class:`~kcourse.sim.host.Host` and uses nothing else of it.

This module is the wiring and the event loop (what kubeadm's phases and each binary's ``Run`` do
upstream); the machines, whether each reaches an API server, and the faults a learner injects are
:class:`~kcourse.sim.machines.Machines`, a base class of ``Cluster`` (``Machine`` is re-exported
here).

Simplified:

* one process runs every component, one action at a time on one simulated clock (no goroutines,
  no wall-clock timing);
* the control plane nodes share one etcd and one kube-apiserver;
* no kubeadm: machines join and the addons are installed directly, without join tokens, certificates
  or kubeadm's phases.
"""

from __future__ import annotations

import contextlib
import gc
import random
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from .apiserver import COMPACTION_INTERVAL, APIServer, Client
from .clock import Clock, Timer
from .component import Event, action_key, describe_error
from .etcd import Etcd

if TYPE_CHECKING:
    from .addons import Addons
from .host import Process, Work
from .machines import Machine, Machines
from .network import Network
from .objects import timestamp
from .registry import Registry

__all__ = ["RUNTIMES", "Cluster", "Machine"]

RUNTIMES = ("dockershim", "containerd", "cri-o")
WRITE_VERBS = {"create": "create", "update": "update", "patch": "patch", "delete": "delete"}


class BoundedTrace(deque[Event]):
    """The newest ``maxlen`` events: dropping the oldest costs O(1), and slices read like a list's."""

    @overload
    def __getitem__(self, index: SupportsIndex) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> list[Event]: ...

    def __getitem__(self, index: SupportsIndex | slice) -> Event | list[Event]:
        if isinstance(index, slice):
            return [deque.__getitem__(self, i) for i in range(*index.indices(len(self)))]
        return deque.__getitem__(self, index)


#: The young generation's threshold while the event loop runs (CPython's default is 700 allocations).
RUN_GC_THRESHOLD = 50_000


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect garbage less often while the event loop runs many steps.

    Every step allocates dicts by the hundred, so CPython's default threshold starts a young
    collection every few steps, and each one that gets promoted to an older generation walks the
    millions of objects a big cluster keeps: a fifth of a scale run's CPU.  Raising the threshold
    for the loop's duration (and putting it back after) trades a little memory held briefly for
    that time.  When the collector runs changes nothing simulated: no component keeps weak
    references or finalizers, so the same seed gives the same trace either way.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], RUN_GC_THRESHOLD), old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)


class Cluster(Machines):
    """A deterministic Kubernetes cluster in one Python process.

    ``runtime`` is ``dockershim`` (removed from Kubernetes in 1.24, kept to
    show the 2020 picture), ``containerd`` or ``cri-o``; with ``cri-o``,
    ``oci_runtime`` picks ``runc`` or ``kata`` (Kata Containers, the
    successor of Clear Containers).  ``runtimes`` may set it per node.
    """

    def __init__(
        self,
        masters: int = 1,
        workers: int = 3,
        runtime: str = "containerd",
        seed: int = 0,
        *,
        oci_runtime: str = "runc",
        runtimes: dict[str, str] | None = None,
        cloud: bool = True,
        addons: bool = True,
        record_events: bool = True,
        bootstrap: bool = True,
        node_cpu: str = "2",
        node_memory: str = "4Gi",
        max_pods: int = 110,
        trace_limit: int | None = None,
        etcd: Any = None,
        name: str = "kcourse",
        cluster_cidr: str = "10.244.0.0/16",
        strict: bool | None = None,
    ):
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}: choose one of {', '.join(RUNTIMES)}")
        if masters < 1 or workers < 0:
            raise ValueError("a cluster needs at least one control plane node and zero or more workers")
        #: What this cluster was built from, so a view can build the same cluster again (a "Reset" button).
        self.init_args: dict[str, Any] = {
            "masters": masters,
            "workers": workers,
            "runtime": runtime,
            "seed": seed,
            "oci_runtime": oci_runtime,
            "runtimes": dict(runtimes) if runtimes else None,
            "cloud": cloud,
            "addons": addons,
            "record_events": record_events,
            "bootstrap": bootstrap,
            "node_cpu": node_cpu,
            "node_memory": node_memory,
            "max_pods": max_pods,
            "trace_limit": trace_limit,
            "etcd": etcd,
            "name": name,
            "cluster_cidr": cluster_cidr,
            "strict": strict,
        }
        self.name = name
        #: Re-raise a component's failure instead of reporting it and carrying on (see ``STRICT``).
        self.strict = self.STRICT if strict is None else strict
        self._acting: tuple[Process, list[Work]] | None = None
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = Clock()
        #: ``reachable``'s answers by node, forgotten whenever a machine joins, fails, recovers or is cut off.
        self._reachability: dict[str | None, bool] = {}
        if isinstance(etcd, str):  # the URL of a real etcd server to persist to
            from .etcd_remote import SyncRemoteEtcd

            etcd = SyncRemoteEtcd(etcd)
        self.etcd = Etcd() if etcd is None else etcd
        if self.strict and hasattr(self.etcd, "cancel_failing_watchers"):
            # A watcher that raises is a bug of ours: let it surface.
            self.etcd.cancel_failing_watchers = False
        # ``--cluster-cidr``: kubeadm's /16 holds 255 nodes' /24 podCIDRs; a 5,000-node cluster needs a /11.
        self.network = Network(self.rng, cluster_cidr=cluster_cidr)
        self.api = APIServer(
            self.etcd,
            self.clock,
            self.rng,
            record_events=record_events,
            allocator=self.network,
            reachable=self.reachable,
            report_failure=self.report_failure,
        )
        self.api.reachability_epoch = self.reachability_epoch
        self.runtime = runtime
        self.oci_runtime = oci_runtime
        self.node_capacity = {
            "cpu": node_cpu,
            "memory": node_memory,
            "pods": str(max_pods),
            "ephemeral-storage": "20Gi",
        }
        self.events: list[Event] | BoundedTrace = (
            [] if trace_limit is None else BoundedTrace(maxlen=trace_limit)
        )
        self.trace_limit = trace_limit
        self.machines: dict[str, Machine] = {}
        #: Programs that container images run inside the simulation, by image repository
        #: (kube-proxy, CoreDNS, the addons); other images run a generic program.
        self.programs: dict[str, Callable[..., Any]] = {}
        #: The container registry every node pulls images from (``fail_image_pull`` makes it refuse one).
        self.registry = Registry()
        #: What the addons keep (``dns``, ``metrics``, ``logs``, ``dashboard``); None without addons.
        self.addons: Addons | None = None
        self._action_seq_start = 0
        self._settle_until_ms = 0
        self._event_listeners: list[Callable[[Event], None]] = []
        self._instant_ms, self._instant_events = -1, 0
        #: Serialises steps with requests from a served API (``serve()``): the simulation is single-threaded.
        self.lock = threading.RLock()
        self.clock.call_later(
            COMPACTION_INTERVAL, self._compact_etcd, component="kube-apiserver", background=True
        )

        from .cloud import FakeCloud

        self.cloud = FakeCloud(self.network) if cloud else None
        self._bootstrap_api_objects()
        runtimes = runtimes or {}
        for i in range(1, masters + 1):
            self._add_machine(f"master-{i}", "control-plane", runtimes.get(f"master-{i}", runtime))
        for i in range(1, workers + 1):
            self._add_machine(f"worker-{i}", "worker", runtimes.get(f"worker-{i}", runtime))
        self._reconcile_master_endpoints()
        if addons:
            self._install_addons()
        if bootstrap:
            self.run_until_stable()

    # --- construction ------------------------------------------------------------------------------

    def _bootstrap_api_objects(self) -> None:
        """What kube-apiserver creates for itself on first start: the system namespaces and ``kubernetes``."""
        for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
            self.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, user="system:apiserver"
            )
        self.api.create(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": str(self.network.service_cidr.network_address + 1),
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                },
            },
            user="system:apiserver",
        )
        # The scheduling/bootstrap-system-priority-classes post-start hook: the two system PriorityClasses.
        from .kinds.scheduling import SYSTEM_PRIORITY_CLASSES

        for pc in SYSTEM_PRIORITY_CLASSES:
            self.api.create(dict(pc), user="system:apiserver")

    def _install_addons(self) -> None:
        """What kubeadm and an operator do after ``kubeadm init``: kube-proxy and the addons, through the API
        server."""
        from .addons import Addons, ClusterDNS, Dashboard, LogStore, MetricsStore, install_addons, resolve

        self.addons = Addons(
            ClusterDNS(lambda name, rtype, from_pod: resolve(self, name, rtype, from_pod)),
            MetricsStore(self.clock, lambda: self.api.items("nodes"), self.node_capacity),
            LogStore(),
            Dashboard(self),
        )
        install_addons(self.api, self.programs, self.addons, node_logs=self._node_logs)

    def _node_logs(self, node: str) -> dict[str, list[str]] | None:
        """The node's container log files as its kubelet keeps them (what a log shipper mounts)."""
        reader = getattr(self.machines[node].component("kubelet"), "log_files", None)
        return None if reader is None else reader()

    def _reconcile_master_endpoints(self) -> None:
        """kube-apiserver's endpoint reconciler: ``default/kubernetes`` lists the running API servers."""
        ips = [self.network.node_ip(m.name) for m in self.machines.values() if m.is_master and m.powered]
        subsets = (
            [
                {
                    "addresses": [{"ip": ip} for ip in ips],
                    "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                }
            ]
            if ips
            else []
        )
        slice_: dict[str, Any] = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"kubernetes.io/service-name": "kubernetes"},
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": True}} for ip in ips],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
        }
        eps: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
            },
            "subsets": subsets,
        }
        for obj, resource in ((eps, "endpoints"), (slice_, "endpointslices")):
            if not self.api.reachable(None):
                return
            current = self.api.peek(resource, "kubernetes", "default")
            if current is None:
                self.api.create(obj, user="system:apiserver")
            else:
                merged = dict(obj, metadata={**current["metadata"], **obj["metadata"]})
                self.api.update(merged, user="system:apiserver")

    def _add_machine(self, name: str, role: str, runtime: str) -> Machine:
        from .kubelet import Kubelet

        machine = Machine(name, role, runtime, on_change=self._forget_reachability)
        self.machines[name] = machine
        self._forget_reachability()
        self.network.node_ip(name)
        if self.cloud is not None:
            self.cloud.create_vm(name, role)
        kubelet = Kubelet(
            self,
            name,
            runtime=runtime,
            oci_runtime=self.oci_runtime,
            role=role,
            registry=self.registry,
            programs=self.programs,
            capacity=self.node_capacity,
            cloud_provider=self.cloud is not None,
        )
        machine.components.append(kubelet)
        if machine.is_master:
            from .cloud import CloudControllerManager
            from .controllers import KubeControllerManager
            from .scheduler import Scheduler

            machine.components.append(Scheduler(self, name))
            machine.components.append(KubeControllerManager(self, name))
            if self.cloud is not None:
                machine.components.append(CloudControllerManager(self, name, self.cloud))
        for comp in machine.components:
            comp.start()
        return machine

    def add_node(self, name: str | None = None, runtime: str | None = None) -> Machine:
        """Join a new worker node (a new VM with a kubelet that registers itself)."""
        name = name or f"worker-{sum(1 for m in self.machines.values() if not m.is_master) + 1}"
        if name in self.machines:
            raise ValueError(f"node {name!r} already exists")
        return self._add_machine(name, "worker", runtime or self.runtime)

    # --- the event loop ----------------------------------------------------------------------------

    #: The default of ``Cluster(strict=...)``.  A learner's cluster survives whatever a component's
    #: action raises: the failure is reported on the trace and the work runs again after a back-off,
    #: as ``utilruntime.HandleCrash`` with ``ReallyCrash = false`` would let it.  Upstream's own tests
    #: keep ``ReallyCrash = true`` so that a bug crashes the test; this project's test suite sets
    #: ``STRICT`` for the same reason (``tests/conftest.py``), and the hostile tests turn it off.
    STRICT = False

    def client(self, user: str, node: str | None = None) -> Client:
        """An API client acting as ``user`` from ``node``: what a component talks to the cluster through."""
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
        """Put a component's next piece of work on the clock (skipped if the process has stopped by then).

        ``when_stopped`` work runs even so: what a container does on its own, which the
        runtime keeps doing while the kubelet is down.  This is where a component's action
        runs, so this is where its failures are caught (``_run_action``): the one place
        between the clock and every component's code.
        """
        acting = self._acting
        if acting is not None and acting[0] is component:
            acting[1].append(work)  # the action schedules work of its own: its loop goes on by itself

        def action() -> Event | None:
            if not (component.running or when_stopped):
                return None
            self._action_seq_start = self.api.request_seq
            if self.strict:
                return work()
            return self._run_action(component, work, background, trace_name, when_stopped)

        return self.clock.call_later(
            delay, action, component=trace_name or component.name, background=background, priority=priority
        )

    def _run_action(
        self,
        component: Process,
        work: Work,
        background: bool,
        trace_name: str | None,
        when_stopped: bool = False,
    ) -> Event | None:
        """Run one action as ``wait.Until`` runs its function under ``HandleCrash``: a failure never kills
        the loop.

        An action that raises is reported (a warning line on the component's trace, in
        ``HandleCrash``'s words) and, unless it already put its own next run on the clock
        before failing, runs again after the component's per-action back-off: 5 ms,
        10 ms, 20 ms … up to 1000 s, reset by the next success — so a periodic loop keeps
        its period once the cause is gone, and a one-off action is retried until it works.
        The boundary: everything raised while a component acts is its failure, including what
        the API server or etcd raise while serving its requests (a real client would see an
        error response, not a crash).  The clock's own loop, the API server's compaction timer
        and what a learner calls (``apply``, ``kubectl``, ``fail_node`` …) run outside any
        action, so their errors propagate; and a ``strict`` cluster re-raises here too.
        """
        outer, scheduled = self._acting, list[Work]()
        self._acting = (component, scheduled)
        try:
            ev = work()
        except Exception as err:  # noqa: BLE001 — reported on the trace and retried, never dropped
            self._acting = outer
            return self._handle_crash(component, work, err, scheduled, background, trace_name, when_stopped)
        self._acting = outer
        if component.crash_backoff.failures:
            component.crash_backoff.forget(action_key(work))
        return ev

    def _handle_crash(
        self,
        component: Process,
        work: Work,
        err: Exception,
        scheduled: list[Work],
        background: bool,
        trace_name: str | None,
        when_stopped: bool,
    ) -> Event:
        key = action_key(work)
        if any(action_key(w) == key for w in scheduled):
            then = "its next run is already scheduled"
        else:
            delay = component.crash_backoff.when(key)
            if when_stopped:
                self.schedule(
                    component, delay, work, background=background, trace_name=trace_name, when_stopped=True
                )
            else:
                component.after(delay, work, background=background, trace_name=trace_name)
            then = f"running it again in {delay * 1000:g}ms"
        name = getattr(work, "__name__", "action").strip("_<>") or "action"
        return self.make_event(
            trace_name or component.name,
            component.node,
            name,
            f'Observed a panic: "{describe_error(err)}"; {then}',
            verb="error",
        )

    def report_failure(self, component: str, node: str | None, key: str, where: str, err: Exception) -> None:
        """A failure outside any action of ``component`` (a watch handler it registered raised inside a
        write).

        The writer is never harmed: the failure becomes a warning line on ``component``'s trace at
        this instant (its own clock entry, so the current action's line stays as it was).  A
        strict cluster re-raises instead.
        """
        if self.strict:
            raise err
        message = f'Observed a panic: "{describe_error(err)}" in the {where}; the notification is dropped'

        def report() -> Event:
            return self.make_event(component, node or "", key, message, verb="error")

        self.clock.call_later(0, report, component=component)

    def make_event(self, component: str, node: str, key: str, message: str, verb: str | None = None) -> Event:
        """An Event for the current action, with the API requests it made."""
        start = self._action_seq_start
        newest: list = []
        for r in reversed(self.api.recent_requests):  # newest first: stop at the action's start
            if r.seq <= start:
                break
            newest.append(r)
        requests = tuple(reversed(newest))
        if verb is None:
            verb = "sync"
            for r in requests:
                if r.subresource == "binding":
                    verb = "bind"
                    break
                if r.verb in WRITE_VERBS and r.resource != "events":
                    verb = WRITE_VERBS[r.verb]
                    break
        return Event(self.clock.now, component, node, verb, key, message, requests)

    def _compact_etcd(self) -> Event | None:
        """kube-apiserver's periodic etcd compaction (``--etcd-compaction-interval``), while one is up."""
        self.clock.call_later(
            COMPACTION_INTERVAL, self._compact_etcd, component="kube-apiserver", background=True
        )
        master = next((m.name for m in self.machines.values() if m.is_master and m.powered), None)
        if master is None:
            return None  # every API server is down: nobody compacts
        return self.make_event(
            "kube-apiserver", master, "etcd", self.api.compactor.run_once(), verb="compact"
        )

    def ready_components(self) -> list[str]:
        """Components with work due at the next instant: the learner may pick which one steps."""
        head = self.clock.peek()
        if head is None:
            return []
        return sorted({t.component for t in self.clock.pending() if t.due_ms == head.due_ms})

    def step(self, component: str | None = None) -> Event | None:
        """Perform exactly one action of one component and return its Event (None if nothing is left).

        With ``component``, that component acts next — allowed only when it has work due now,
        so a learner can reorder simultaneous actions but not jump ahead in time.
        """
        if component is not None and component not in self.ready_components():
            ready = ", ".join(self.ready_components())
            raise ValueError(f"{component} has nothing to do now; ready: {ready}")
        return self._step(component)

    def _step(self, component: str | None = None, until_ms: int | None = None) -> Event | None:
        """One action; internal timers that make no event are run on the way, but none due after
        ``until_ms``."""
        with self.lock:
            return self._step_locked(component, until_ms)

    def _step_locked(self, component: str | None, until_ms: int | None) -> Event | None:
        pop = self.clock.pop
        for _ in range(1_000_000):
            timer = pop(component, until_ms)
            if timer is None:
                return None
            self._action_seq_start = self.api.request_seq
            ev = timer.action()
            if ev is not None:
                self._record(ev)
                return ev
            if component is not None and component not in self.ready_components():
                return None
        raise RuntimeError("a million internal timers in a row without an event: a component is spinning")

    #: More events than this at one simulated instant means components are feeding each other without
    #: time passing (a retry with no back-off): stop with a clear error instead of hanging the notebook.
    MAX_EVENTS_PER_INSTANT = 1_000_000

    def _record(self, ev: Event) -> None:
        if self.clock.now_ms == self._instant_ms:
            self._instant_events += 1
            if self._instant_events > self.MAX_EVENTS_PER_INSTANT:
                raise RuntimeError(
                    f"{self._instant_events} events at t={self.clock.now:.3f}s without time "
                    "passing; "
                    f"the last: {ev.one_line()}"
                )
        else:
            self._instant_ms, self._instant_events = self.clock.now_ms, 1
        self.events.append(ev)
        for listener in self._event_listeners:
            listener(ev)

    def on_event(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener(event)`` after every step (views use it to refresh)."""
        self._event_listeners.append(listener)

    def run_until(
        self, done: Callable[[], bool], deadline: float, after_step: Callable[[], None] | None = None
    ) -> bool:
        """Step until ``done()`` holds; False once nothing is due by ``deadline`` (simulated seconds).

        What a client waiting on a condition does (``kubectl wait``, ``rollout status``, ``--wait``):
        it checks, and while the condition does not hold the cluster takes one more step.
        ``after_step`` is called after each step (a progress line).
        """
        deadline_ms = round(deadline * 1000)
        with fewer_collections():
            while not done():
                head = self.clock.peek()
                if head is None or head.due_ms > deadline_ms:
                    return False
                self.step()
                if after_step is not None:
                    after_step()
        return True

    def run(self, until: float | None = None, max_steps: int | None = None) -> list[Event]:
        """Step until simulated time ``until`` (seconds) or ``max_steps`` events, whichever comes first."""
        if until is None and max_steps is None:
            raise ValueError("run() needs until= or max_steps= (or use run_until_stable())")
        out: list[Event] = []
        until_ms = None if until is None else round(until * 1000)
        with fewer_collections():
            while max_steps is None or len(out) < max_steps:
                head = self.clock.peek()
                if head is None or (until_ms is not None and head.due_ms > until_ms):
                    break
                ev = self._step(until_ms=until_ms)
                if ev is not None:
                    out.append(ev)
        if until_ms is not None and (max_steps is None or len(out) < max_steps):
            self.clock.advance_to_ms(until_ms)
        return out

    def advance(self, seconds: float) -> list[Event]:
        """Let ``seconds`` of simulated time pass, running everything that falls due."""
        return self.run(until=self.clock.now + seconds)

    def run_until_stable(
        self, timeout: float = 900.0, max_steps: int | None = None, progress: bool = False
    ) -> list[Event]:
        """Step until no component has pending work (periodic heartbeats aside), or ``timeout`` seconds pass.

        ``progress=True`` shows a bar of simulated seconds (``tqdm.auto``: a widget in a notebook, a line
        on stderr in a terminal) for big clusters; it changes nothing that is simulated.
        """
        out: list[Event] = []
        start = self.clock.now_ms
        deadline = start + round(timeout * 1000)
        bar = None
        if progress:
            from tqdm.auto import tqdm  # only when asked: the simulation itself imports nothing of the UI

            bar = tqdm(total=round(timeout, 3), unit="s", desc="simulated time", leave=False)
        with fewer_collections():
            while self.clock.has_foreground() or self.clock.now_ms < self._settle_until_ms:
                head = self.clock.peek()
                if (
                    head is None
                    or head.due_ms > deadline
                    or (max_steps is not None and len(out) >= max_steps)
                ):
                    break
                ev = self._step(until_ms=deadline)
                if ev is not None:
                    out.append(ev)
                if bar is not None:
                    bar.update(round((self.clock.now_ms - start) / 1000 - bar.n, 3))
        if bar is not None:
            bar.close()
        return out

    @property
    def now(self) -> float:
        return self.clock.now

    # --- what a learner types -------------------------------------------------------------------------

    def apply(self, manifest: Any, namespace: str | None = None) -> Any:
        """Create or update objects from a dict, YAML text or a file path, as ``kubectl apply``.

        Returns the stored object (a list for several documents).  Bad input raises
        :class:`kcourse.ApiError`:

        * A document kubectl cannot read (broken YAML, no ``kind``, a file that is not a
          regular file or is over 3 MiB) or that does not decode into its kind's schema
          (a wrongly typed field, an unknown or duplicate field: kubectl's ``--validate=strict``)
          stops the apply before anything is written.
        * The API server's refusal of one object (422 Invalid, 409, a missing namespace)
          does not stop the others: as ``kubectl apply`` does, every other object is applied
          and the first refusal is raised at the end.  Each refused object is left as it was.

        Simplified: kubectl 1.32 leaves the schema check to the server (its ``paramVerifyingSchema``
        skips the client-side check when the server supports ``fieldValidation``), so a real
        ``kubectl apply`` of a wrongly typed second document writes the first one; here every
        document is decoded before the first write, as kubectl's client-side validation does
        against a server without field validation.
        """
        from .kubectl import Kubectl
        from .manifests import load_manifests
        from .resources import by_kind
        from .serializer import decode

        with self.lock:
            objs = load_manifests(manifest)
            for obj in objs:
                rt = by_kind(obj.get("kind", ""))
                if rt is not None and obj.get("apiVersion") == rt.api_version:
                    decode(obj, "Strict")  # refuses with the API server's own 400 before any write
            return Kubectl(self).apply(objs, namespace=namespace)

    def kubectl(self, command: str) -> str:
        """Run a kubectl command line against the cluster and return what kubectl would print."""
        from .kubectl import Kubectl

        with self.lock:
            return Kubectl(self).run(command)

    def get(self, resource: str, name: str, namespace: str | None = "default") -> dict:
        """A deep copy of one object (404 raises :class:`kcourse.ApiError`)."""
        from .objects import deep_copy

        return deep_copy(self.api.get(resource, name, namespace, user="kubectl"))

    def pods(self, namespace: str | None = "default") -> list[dict]:
        return self.api.items("pods", namespace)

    def nodes(self) -> list[dict]:
        return self.api.items("nodes")

    @property
    def scheduler(self) -> Any:
        """The scheduler currently holding the leader Lease (or the first one)."""
        scheds = [c for m in self.machines.values() for c in m.components if c.name == "kube-scheduler"]
        for s in scheds:
            if getattr(s, "is_leader", False):
                return s
        return scheds[0]

    def timestamp(self) -> str:
        return timestamp(self.clock.now)

    def __repr__(self) -> str:
        masters = sum(1 for m in self.machines.values() if m.is_master)
        return (
            f"<Cluster {self.name!r}: {masters} control plane, {len(self.machines) - masters} workers, "
            f"runtime={self.runtime}, seed={self.seed}, t={self.clock.now:.3f}s>"
        )

    def trace(self, events: Iterable[Event] | None = None) -> str:
        """The trace as text, one line per event."""
        return "\n".join(str(e) for e in (self.events if events is None else events))


def load_path(path: str | Path) -> str:
    """A manifest file's text, read as ``apply`` reads it: a regular file of at most 3 MiB, never blocking."""
    from .manifests import load_manifests, read_manifest_file

    data = read_manifest_file(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        load_manifests(data, filename=str(path))  # raises kubectl's "invalid leading UTF-8 octet"
        raise
