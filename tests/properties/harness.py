"""What the fault-schedule properties share: a fast copy of a booted cluster and the invariants.

Booting a cluster takes a few tenths of a second, so each schedule starts
from a *copy* of a cluster booted once per shape.  ``copy.deepcopy`` alone
would share the closures the clock holds (``Cluster.schedule`` wraps every
action in one), so the copy also copies closure cells: the copy and the
template then share nothing, and a copy runs exactly as a fresh boot does
(``test_fault_schedules.test_a_copy_runs_exactly_as_a_fresh_boot``).

The cluster is kubeadm's core without the optional addons: kube-proxy runs
as its DaemonSet (the convergence check reads its rules), CoreDNS and the
monitoring/logging/Dashboard addons are left out to keep a schedule cheap.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import ipaddress
import threading
import types
from collections import deque
from collections.abc import Iterator
from typing import Any

import kcourse
from kcourse.sim.addons import kube_proxy_manifests, register_programs
from kcourse.sim.etcd import WatchEvent, prefix_end

_RLOCK = type(threading.RLock())
REGISTRY_PREFIX = "/registry/"
TERMINATED = ("Succeeded", "Failed")


# --- a fast, faithful copy -------------------------------------------------------------------------


def _cell(cell: Any, memo: dict) -> Any:
    try:
        contents = cell.cell_contents
    except ValueError:  # an empty cell (a name not yet bound in the enclosing scope)
        return types.CellType()
    return types.CellType(copy.deepcopy(contents, memo))


def _deepcopy_function(f: types.FunctionType, memo: dict) -> types.FunctionType:
    if f.__closure__ is None:
        return f
    g = types.FunctionType(
        f.__code__, f.__globals__, f.__name__, f.__defaults__, tuple(_cell(c, memo) for c in f.__closure__)
    )
    memo[id(f)] = g
    g.__kwdefaults__, g.__qualname__ = f.__kwdefaults__, f.__qualname__
    return g


@contextlib.contextmanager
def _closures_copied() -> Iterator[None]:
    dispatch = copy._deepcopy_dispatch  # type: ignore[attr-defined]
    saved = dict(dispatch)
    dispatch[types.FunctionType] = _deepcopy_function
    dispatch[_RLOCK] = lambda lock, memo: threading.RLock()  # the copy gets a lock of its own
    try:
        yield
    finally:
        dispatch.clear()
        dispatch.update(saved)


def boot(
    masters: int = 1, workers: int = 2, seed: int = 0, workload: list[dict] | None = None
) -> kcourse.Cluster:
    """A stable cluster with kube-proxy but none of the optional addons, running ``workload``."""
    c = kcourse.Cluster(
        masters=masters, workers=workers, seed=seed, addons=False, record_events=False, trace_limit=200
    )
    register_programs(c.programs)
    for obj in kube_proxy_manifests():
        c.api.create(obj, user="kubeadm")
    if workload:
        c.apply(workload)
    c.run_until_stable()
    return c


_TEMPLATES: dict[tuple[int, int, str], kcourse.Cluster] = {}


def fresh_copy(masters: int = 1, workers: int = 2, workload: list[dict] | None = None) -> kcourse.Cluster:
    """An independent copy of a cluster booted once per shape (the workload is the same every time)."""
    key = (masters, workers, repr(workload))
    if key not in _TEMPLATES:
        _TEMPLATES[key] = boot(masters, workers, workload=workload)
    gc.disable()  # the copy makes ~10^4 objects at once: collecting halfway through is wasted work
    try:
        with _closures_copied():
            return copy.deepcopy(_TEMPLATES[key])
    finally:
        gc.enable()


# --- observing the store -----------------------------------------------------------------------------


class StoreLog:
    """A watch on every key opened when the schedule starts, and what it must have seen."""

    def __init__(self, cluster: kcourse.Cluster):
        self.etcd = cluster.etcd
        self.start = self.etcd.revision
        self.state = {kv.key: kv for kv in self.etcd.range(REGISTRY_PREFIX, prefix_end(REGISTRY_PREFIX))}
        self.batches: list[list[WatchEvent]] = []
        self.seen: list[int] = []
        self._consumed = 0
        self.revisions: list[int] = [self.start]
        self.watcher = self.etcd.watch(
            REGISTRY_PREFIX,
            self.batches.append,
            range_end=prefix_end(REGISTRY_PREFIX),
            start_revision=self.start + 1,
        )

    def check(self) -> None:
        """Revisions only grow; the watch saw each revision once, in order, and replays to the store."""
        rev = self.etcd.revision
        assert rev >= self.revisions[-1], f"store revision went back from {self.revisions[-1]} to {rev}"
        self.revisions.append(rev)
        fresh, self._consumed = self.batches[self._consumed :], len(self.batches)
        for batch in fresh:
            revs = {e.kv.mod_revision for e in batch}
            assert len(revs) == 1, f"one delivery mixes revisions: {batch}"
            self.seen.append(revs.pop())
        assert self.seen == list(range(self.start + 1, rev + 1)), (
            f"watch from {self.start + 1} saw revisions {self.seen[-10:]}… but the store is at {rev}"
        )
        for batch in fresh:
            for ev in batch:
                if ev.type == "PUT":
                    self.state[ev.kv.key] = ev.kv
                else:
                    assert ev.kv.key in self.state, f"DELETE of {ev.kv.key} that was never there"
                    del self.state[ev.kv.key]
        now = {kv.key: kv for kv in self.etcd.range(REGISTRY_PREFIX, prefix_end(REGISTRY_PREFIX))}
        assert self.state.keys() == now.keys(), (
            f"replayed watch differs: {sorted(self.state.keys() ^ now.keys())[:5]}"
        )
        assert self.state == now, "replayed watch has other values or revisions than the store"


class BindingLog:
    """Every node a Pod (by uid) was ever bound to, from an API watch opened at the start."""

    def __init__(self, cluster: kcourse.Cluster):
        self.nodes: dict[str, set[str]] = {}
        for pod in cluster.api.items("pods", None):
            self._see("ADDED", pod)
        cluster.api.watch("pods", self._see)

    def _see(self, etype: str, pod: dict) -> None:
        node = (pod.get("spec") or {}).get("nodeName")
        if node:
            self.nodes.setdefault(pod["metadata"]["uid"], set()).add(node)

    def check(self) -> None:
        twice = {uid: nodes for uid, nodes in self.nodes.items() if len(nodes) > 1}
        assert not twice, f"Pods bound to two nodes: {twice}"


# --- no component spins ------------------------------------------------------------------------------

#: A *no-op* is an action that wrote nothing: none of its API requests is a successful write (Events
#: aside, which only narrate).  No component may perform more than ``NOOP_LIMIT`` no-ops on one key
#: within any ``NOOP_WINDOW`` simulated seconds — 2 per key per second, averaged over 10 s — and why
#: that bound: the fastest honest periodic no-op is kube-proxy's resync at its 1 s minSyncPeriod
#: (10 per window); a controller re-syncs a key once per informer event about it, so a burst while
#: Pods come and go is a handful in a second and averages out over 10 s; a failing key retries with
#: the work queue's back-off (5 ms doubling: 12 tries in its first 10 s).  A spin is far above it: a
#: loop requeued after every pass does 200 a second (5 ms passes), and client-go's overall bucket
#: limiter would still allow 10 a second.
NOOP_WINDOW = 10.0
NOOP_LIMIT = 20
_READS = ("get", "list", "watch")


def wrote_nothing(event: Any) -> bool:
    """Did this action change nothing through the API server (its Events aside)?"""
    return not any(r.verb not in _READS and r.resource != "events" and r.code < 400 for r in event.requests)


class NoOpLog:
    """The no-op actions of every (component, node, key) in a sliding window, and any that went over the
    bound."""

    def __init__(self, cluster: kcourse.Cluster):
        self.recent: dict[tuple[str, str, str], deque[float]] = {}
        self.worst = 0
        self.over: list[str] = []
        cluster.on_event(self._see)

    def _see(self, event: Any) -> None:
        if not wrote_nothing(event):
            return
        times = self.recent.setdefault((event.component, event.node, event.key), deque())
        times.append(event.time)
        while times[0] <= event.time - NOOP_WINDOW:
            times.popleft()
        self.worst = max(self.worst, len(times))
        if len(times) > NOOP_LIMIT and len(self.over) < 3:
            self.over.append(
                f"{len(times)} no-op actions within {NOOP_WINDOW:g} s up to t={event.time:.3f}s, "
                f"the last: {event}"
            )

    def check(self) -> None:
        assert not self.over, "a component spins on one key:\n" + "\n".join(self.over)


# --- invariants over the current state -------------------------------------------------------------


def live_pods(cluster: kcourse.Cluster) -> list[dict]:
    return [
        p for p in cluster.api.items("pods", None) if (p.get("status") or {}).get("phase") not in TERMINATED
    ]


def check_pod_ips(cluster: kcourse.Cluster) -> None:
    """No two live Pods share an IP, and each Pod IP lies in its node's podCIDR (hostNetwork aside)."""
    owners: dict[str, str] = {}
    cidrs = {n["metadata"]["name"]: (n.get("spec") or {}).get("podCIDR") for n in cluster.api.items("nodes")}
    for pod in live_pods(cluster):
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or pod["spec"].get("hostNetwork"):
            continue
        key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        assert ip not in owners, f"{key} and {owners[ip]} both have IP {ip}"
        owners[ip] = key
        node = pod["spec"].get("nodeName")
        cidr = cidrs.get(node)
        if cidr is None:  # the Node object is gone (its VM was deleted); the Pod is being collected
            continue
        assert ipaddress.ip_address(ip) in ipaddress.ip_network(cidr), (
            f"{key} has {ip}, outside {node}'s {cidr}"
        )


def controllers(cluster: kcourse.Cluster) -> list[Any]:
    return [
        (m, c)
        for m in cluster.machines.values()
        for comp in m.components
        if comp.name == "kube-controller-manager"
        for c in comp.controllers
    ]


def check_queues(cluster: kcourse.Cluster) -> None:
    """client-go work-queue accounting: every waiting key is queued once, none is in flight between steps,
    and an active controller with queued keys has its next pass on the clock (else the keys are lost)."""
    for machine, ctrl in controllers(cluster):
        q, where = ctrl.queue, f"{ctrl.name} on {machine.name}"
        assert not q._processing, f"{where}: keys left in flight between steps: {q._processing}"
        assert len(q._queue) == len(set(q._queue)), f"{where}: a key queued twice: {list(q._queue)}"
        assert set(q._queue) == q._dirty, f"{where}: dirty {q._dirty} but queued {list(q._queue)}"
        if q._queue and ctrl.active and ctrl.manager.running:
            assert ctrl._timer is not None and not ctrl._timer.cancelled, (
                f"{where}: keys {list(q._queue)} queued but no pass scheduled: they would never be synced"
            )


# --- convergence -------------------------------------------------------------------------------------


def _ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def selected(cluster: kcourse.Cluster, app: str) -> list[dict]:
    return [
        p
        for p in cluster.pods("default")
        if (p["metadata"].get("labels") or {}).get("app") == app
        and not p["metadata"].get("deletionTimestamp")
        and p["status"].get("phase") not in TERMINATED
    ]


def proxied_endpoints(cluster: kcourse.Cluster, node: str, cluster_ip: str) -> set[str] | None:
    """The endpoint IPs ``node``'s kube-proxy DNATs ``cluster_ip`` to (None: no rules installed)."""
    table = cluster.network.iptables.get(node)
    if table is None:
        return None
    chains = {
        r.jump for r in table.chain("KUBE-SERVICES") if r.dst == cluster_ip and r.jump.startswith("KUBE-SVC-")
    }
    seps = {r.jump for c in chains for r in table.chain(c) if r.jump.startswith("KUBE-SEP-")}
    return {r.dnat.rsplit(":", 1)[0] for s in seps for r in table.chain(s) if r.dnat}


def convergence_gaps(cluster: kcourse.Cluster, apps: list[str]) -> list[str]:
    """What still differs from the desired state (empty once converged)."""
    gaps: list[str] = []
    nodes = {n["metadata"]["name"] for n in cluster.nodes() if _ready_node(n)}
    for app in apps:
        dep = cluster.api.peek("deployments", app, "default")
        pods = selected(cluster, app)
        want = dep["spec"]["replicas"] if dep else 0
        running = [
            p
            for p in pods
            if p["status"].get("phase") == "Running" and _ready(p) and p["spec"].get("nodeName") in nodes
        ]
        if len(running) != want or len(pods) != want:
            gaps.append(f"{app}: {len(running)} Running and Ready of {want} wanted, {len(pods)} pods")
            continue
        svc = cluster.api.peek("services", app, "default")
        if svc is None:
            continue
        ips = {p["status"]["podIP"] for p in running}
        eps = cluster.api.peek("endpoints", app, "default")
        listed = {a["ip"] for s in (eps or {}).get("subsets") or [] for a in s.get("addresses") or []}
        if listed != ips:
            gaps.append(f"{app}: Endpoints list {sorted(listed)}, ready pods have {sorted(ips)}")
        for node in sorted(nodes):
            proxied = proxied_endpoints(cluster, node, svc["spec"]["clusterIP"])
            if proxied != ips:
                gaps.append(f"{app}: kube-proxy on {node} sends to {proxied}, ready pods have {sorted(ips)}")
    return gaps


def _ready_node(node: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (node.get("status") or {}).get("conditions") or []
    )
