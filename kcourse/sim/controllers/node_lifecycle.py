"""node-lifecycle-controller: notices nodes that stopped reporting, taints them, and evicts their pods.

Every ``node-monitor-period`` (5 s) the controller looks at each Node's
heartbeat: the ``renewTime`` of its Lease in ``kube-node-lease`` (the
kubelet renews it every 10 s) or the ``lastHeartbeatTime`` of its Ready
condition.  When neither moved for ``node-monitor-grace-period`` (50 s;
40 s before Kubernetes 1.32) the controller writes the node's status for
the silent kubelet: Ready, MemoryPressure, DiskPressure and PIDPressure
become ``Unknown`` with reason ``NodeStatusUnknown`` and message
``Kubelet stopped posting node status.``; it records the Event
``NodeNotReady`` and marks every pod on the node ``Ready=False``.  A node
that never posted a status gets ``node-startup-grace-period`` (60 s) and
reason ``NodeStatusNeverUpdated``.

Node conditions become taints.  ``node.kubernetes.io/not-ready`` (Ready
False) or ``node.kubernetes.io/unreachable`` (Ready Unknown) are added with
effect ``NoSchedule`` at once — the scheduler stops placing pods there —
and with effect ``NoExecute`` through a per-zone rate limiter
(``--node-eviction-rate`` 0.1 nodes/s; ``--secondary-node-eviction-rate``
0.01 when more than ``--unhealthy-zone-threshold`` 55 % of a zone's nodes
— at least 3 — are not ready, and none at all in such a zone of at most
``--large-cluster-size-threshold`` 50 nodes; when every zone is fully
disrupted the controller assumes the control plane itself is cut off and
evicts nothing).  When the node is Ready again the taints go.

The NoExecute taint is what evicts pods: the taint manager
(:class:`NoExecuteTaintManager`, the ``taint-eviction-controller``) deletes
a pod on a NoExecute-tainted node at once when the pod has no matching
toleration, or when its toleration runs out — 300 s for the tolerations the
DefaultTolerationSeconds admission plugin adds to every pod.  It records
``TaintManagerEviction`` (``Marking for deletion Pod default/web-7x2kq``).
The deleted pods stay ``Terminating`` on the dead node (no kubelet is left
to confirm), and their ReplicaSet creates replacements elsewhere.

On the simulated clock: the monitor tick is a periodic (background) timer,
except while some node's heartbeat has gone stale and its grace period is
running out — then the next tick is pending work, as are eviction
deadlines, so ``run_until_stable()`` carries a failure through to eviction.
The grace period and the other flags are attributes of the controller
(``node_monitor_grace_period`` …); a new leader term starts with the class
defaults.

Simplified: the heartbeat is read from the Lease's ``renewTime`` and the
condition's ``lastHeartbeatTime`` (the real controller records when *it*
observed them change — the same thing on one shared clock); pods are
marked not ready only when the node's Ready condition leaves True, not on
later pod updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..clock import Timer
from ..component import Event
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..objects import condition, deep_copy, parse_timestamp, set_condition, timestamp
from ..taints import tolerates

if TYPE_CHECKING:
    from ..component import Component
    from ..informer import Informer, SharedInformerFactory

__all__ = [
    "NODE_MONITOR_GRACE_PERIOD",
    "NODE_MONITOR_PERIOD",
    "NODE_STARTUP_GRACE_PERIOD",
    "TAINT_NOT_READY",
    "TAINT_UNREACHABLE",
    "TAINT_UNSCHEDULABLE",
    "NoExecuteTaintManager",
    "NodeLifecycleController",
    "pods_on_node",
    "tolerates",
]

TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"

NODE_MONITOR_PERIOD = 5.0
NODE_MONITOR_GRACE_PERIOD = 50.0  # 40.0 before Kubernetes 1.32
NODE_STARTUP_GRACE_PERIOD = 60.0
#: A heartbeat older than this (one kubelet renew interval, 10 s, plus a monitor period) means the
#: node stopped renewing: its grace period is now running out, which is pending work.
STALE_AFTER = 15.0

#: nodeConditionToTaintKeyStatusMap: which condition status gives which NoSchedule taint.
CONDITION_TAINTS = {
    "Ready": {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE},
    "MemoryPressure": {"True": "node.kubernetes.io/memory-pressure"},
    "DiskPressure": {"True": "node.kubernetes.io/disk-pressure"},
    "NetworkUnavailable": {"True": "node.kubernetes.io/network-unavailable"},
    "PIDPressure": {"True": "node.kubernetes.io/pid-pressure"},
}
MANAGED_NO_SCHEDULE = {k for m in CONDITION_TAINTS.values() for k in m.values()} | {TAINT_UNSCHEDULABLE}
NO_EXECUTE_KEYS = (TAINT_NOT_READY, TAINT_UNREACHABLE)
REMAINING_CONDITIONS = ("MemoryPressure", "DiskPressure", "PIDPressure")

NORMAL, PARTIAL, FULL = "Normal", "PartialDisruption", "FullDisruption"


# --- helpers shared with other controllers ---------------------------------------------------------


def pods_on_node(pods: Informer, node: str) -> list[dict]:
    """Pods bound to ``node``, from a pods informer (adds the ``nodeName`` index on first use)."""
    if "nodeName" not in pods.indexers:
        pods.add_indexer("nodeName", lambda p: [p["spec"]["nodeName"]] if p["spec"].get("nodeName") else [])
    return pods.by_index("nodeName", node)


def zone_of(node: dict) -> str:
    """The node's zone key (region and zone labels, as ``GetZoneKey``); "" when the node has none."""
    labels = node["metadata"].get("labels") or {}
    region, zone = (
        labels.get("topology.kubernetes.io/region", ""),
        labels.get("topology.kubernetes.io/zone", ""),
    )
    return f"{region}:{zone}" if region or zone else ""


def _ready_status(node: dict) -> str | None:
    c = condition(node, "Ready")
    return None if c is None else c.get("status")


def _taint_signature(node: dict) -> tuple:
    """What the taint pass depends on: condition statuses, unschedulable, taints, zone."""
    conds = tuple(
        sorted((c.get("type"), c.get("status")) for c in (node.get("status") or {}).get("conditions") or [])
    )
    taints = tuple((t.get("key"), t.get("effect")) for t in node["spec"].get("taints") or [])
    return conds, bool(node["spec"].get("unschedulable")), taints, zone_of(node)


# --- the node lifecycle controller ---------------------------------------------------------------


class NodeLifecycleController(Controller):
    """Node health from heartbeats (a monitor tick) and taints from conditions (one node key per sync)."""

    name = "node-lifecycle-controller"
    node_monitor_period = NODE_MONITOR_PERIOD
    node_monitor_grace_period = NODE_MONITOR_GRACE_PERIOD
    node_startup_grace_period = NODE_STARTUP_GRACE_PERIOD
    node_eviction_rate = 0.1
    secondary_node_eviction_rate = 0.01
    unhealthy_zone_threshold = 0.55
    large_cluster_size_threshold = 50

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.nodes = self.informer("nodes")
        self.leases = self.informer("leases")
        self.pods = self.informer("pods")
        self.nodes.add_event_handler(_handler(self._node_added, self._node_updated, self._node_deleted))
        self.taint_manager = NoExecuteTaintManager(manager, informers)
        self.known: dict[str, dict] = {}  # knownNodeSet: name -> a small reference to the Node
        self.observed_ready: dict[str, str] = {}  # the Ready status seen on the previous tick
        self.zone_states: dict[str, str] = {}
        self.all_disrupted = False
        self._next_token: dict[str, float] = {}  # per zone: when the eviction limiter has a token again
        self._probes: dict[
            str, tuple[str | None, str | None, float | None]
        ] = {}  # node -> (renewTime, beat, probe)
        self._tick: Timer | None = None
        #: node -> (the Node as last read, its Ready condition, its zone): every tick reads every node, most
        #: of them the same version as on the previous tick, so each version is searched once.
        self._read: dict[str, tuple[dict, dict | None, str]] = {}

    def _facts(self, node: dict) -> tuple[dict, dict | None, str]:
        name = node["metadata"]["name"]
        kept = self._read.get(name)
        if kept is None or kept[0] is not node:
            kept = self._read[name] = (node, condition(node, "Ready"), zone_of(node))
        return kept

    def _ready(self, node: dict) -> dict | None:
        """The node's Ready condition (as :func:`condition`, once per version of the Node)."""
        return self._facts(node)[1]

    def _ready_status(self, node: dict) -> str | None:
        c = self._facts(node)[1]
        return None if c is None else c.get("status")

    def _zone(self, node: dict) -> str:
        return self._facts(node)[2]

    # handlers: only enqueue node names
    def _node_added(self, node: dict) -> None:
        self.enqueue(node)

    def _node_updated(self, old: dict, new: dict) -> None:
        if _taint_signature(old) != _taint_signature(new):
            self.enqueue(new)

    def _node_deleted(self, node: dict) -> None:
        self.enqueue(node)

    # --- start / stop ----------------------------------------------------------------------

    def run(self) -> None:
        super().run()
        self.taint_manager.run()
        self._tick = self.manager.after(0, self.monitor_node_health, background=True, trace_name=self.name)

    def stop(self) -> None:
        super().stop()
        self.taint_manager.stop()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    # --- monitorNodeHealth: the periodic pass ---------------------------------------------

    def _probe_time(self, node: dict) -> float | None:
        """The last heartbeat: Lease renewTime or the Ready condition's lastHeartbeatTime, whichever is later.

        Parsed once per new pair of timestamps: every tick reads every node, most unchanged since.
        """
        name = node["metadata"]["name"]
        lease = self.leases.get(f"kube-node-lease/{name}")
        renew = lease["spec"].get("renewTime") if lease else None
        ready = self._ready(node)
        beat = ready.get("lastHeartbeatTime") if ready else None
        cached = self._probes.get(name)
        if cached is not None and cached[0] == renew and cached[1] == beat:
            return cached[2]
        times = [parse_timestamp(t) for t in (renew, beat) if t]
        probe = max(times) if times else None
        self._probes[name] = (renew, beat, probe)
        return probe

    def _grace_expired(self, node: dict, now: float) -> str | None:
        """The reason to write Unknown now (NodeStatusUnknown / NodeStatusNeverUpdated), or None."""
        ready = self._ready(node)
        if ready is None:
            created = parse_timestamp(node["metadata"]["creationTimestamp"])
            return "NodeStatusNeverUpdated" if now > created + self.node_startup_grace_period else None
        if ready.get("status") == "Unknown":
            return None
        probe = self._probe_time(node)
        return (
            "NodeStatusUnknown"
            if probe is not None and now > probe + self.node_monitor_grace_period
            else None
        )

    def _running_out(self, node: dict, now: float) -> bool:
        """True while a node's heartbeat is stale but its grace period has not run out yet."""
        ready = self._ready(node)
        if ready is None:
            return True
        if ready.get("status") == "Unknown":
            return False
        probe = self._probe_time(node)
        return probe is not None and now - probe > STALE_AFTER

    def monitor_node_health(self) -> Event | None:
        """One pass over all nodes: registrations, missed heartbeats, zone states."""
        self._tick = None
        now = self.clock.now
        notes: list[str] = []
        try:
            notes += self._diff_known_nodes()
            for node in self.nodes.list():
                name = node["metadata"]["name"]
                reason = self._grace_expired(node, now)
                if reason is not None:
                    node = self._mark_unknown(node, reason)
                    notes.append(f"{name}: Ready=Unknown ({reason})")
                status = self._ready_status(node) or "Unknown"
                if self.observed_ready.get(name) == "True" and status != "True":
                    self.client.event(
                        node, "Normal", "NodeNotReady", f"Node {name} status is now: NodeNotReady"
                    )
                    marked = self._mark_pods_not_ready(name)
                    notes.append(f"{name}: NodeNotReady, {marked} pod(s) marked Ready=False")
                self.observed_ready[name] = status
            notes += self._handle_disruption()
        except (ApiError, Unreachable) as err:
            notes.append(f"error: {err}")
        pending = any(self._running_out(n, now) for n in self.nodes.list())
        self._tick = self.manager.after(
            self.node_monitor_period, self.monitor_node_health, background=not pending, trace_name=self.name
        )
        counts: dict[str, int] = {}
        for n in self.nodes.list():
            s = {"True": "Ready", "False": "NotReady"}.get(self._ready_status(n) or "", "Unknown")
            counts[s] = counts.get(s, 0) + 1
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no nodes"
        message = f"monitored node health: {summary}"
        if notes:
            message += "; " + "; ".join(notes)
        return self.manager.event("nodes", message, component=self.name, verb=None if notes else "monitor")

    def _diff_known_nodes(self) -> list[str]:
        notes = []
        current = {n["metadata"]["name"]: n for n in self.nodes.list()}
        for name in sorted(set(current) - set(self.known)):
            node = current[name]
            self.known[name] = {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "uid": node["metadata"].get("uid")},
            }
            self.client.event(
                node, "Normal", "RegisteredNode", f"Node {name} event: Registered Node {name} in Controller"
            )
            notes.append(f"registered {name}")
        for name in sorted(set(self.known) - set(current)):
            self.client.event(
                self.known.pop(name),
                "Normal",
                "RemovingNode",
                f"Node {name} event: Removing Node {name} from Controller",
            )
            self.observed_ready.pop(name, None)
            self._probes.pop(name, None)
            self._read.pop(name, None)
            notes.append(f"removed {name}")
        return notes

    def _mark_unknown(self, node: dict, reason: str) -> dict:
        """Write the status the kubelet no longer writes: Ready and the pressure conditions Unknown."""
        now = self.clock.now
        new = deep_copy(node)
        ready = condition(new, "Ready")
        message = (
            "Kubelet never posted node status."
            if reason == "NodeStatusNeverUpdated"
            else "Kubelet stopped posting node status."
        )
        if ready is None:
            new.setdefault("status", {}).setdefault("conditions", []).append(
                {
                    "type": "Ready",
                    "status": "Unknown",
                    "lastHeartbeatTime": timestamp(now),
                    "lastTransitionTime": timestamp(now),
                    "reason": reason,
                    "message": message,
                }
            )
        else:
            set_condition(new, "Ready", "Unknown", now, reason, message)
        for ctype in REMAINING_CONDITIONS:
            c = condition(new, ctype)
            if c is None:
                new["status"]["conditions"].append(
                    {
                        "type": ctype,
                        "status": "Unknown",
                        "lastHeartbeatTime": timestamp(now),
                        "lastTransitionTime": timestamp(now),
                        "reason": "NodeStatusNeverUpdated",
                        "message": "Kubelet never posted node status.",
                    }
                )
            elif c.get("status") != "Unknown":
                set_condition(
                    new, ctype, "Unknown", now, "NodeStatusUnknown", "Kubelet stopped posting node status."
                )
        return self.client.update_status(new)

    def _mark_pods_not_ready(self, node_name: str) -> int:
        """``MarkPodsNotReady``: the pods' Ready condition goes False (nobody reports for them any more)."""
        marked = 0
        for pod in pods_on_node(self.pods, node_name):
            ready = condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            new = deep_copy(pod)
            set_condition(new, "Ready", "False", self.clock.now)
            self.client.update_status(new)
            self.client.event(pod, "Warning", "NodeNotReady", "Node is not ready")
            marked += 1
        return marked

    # --- zones and the eviction rate ------------------------------------------------------

    def _handle_disruption(self) -> list[str]:
        """Recompute each zone's state; a change re-evaluates that zone's nodes."""
        zones: dict[str, list[dict]] = {}
        for node in self.nodes.list():
            zones.setdefault(self._zone(node), []).append(node)
        states = {}
        for zone, nodes in sorted(zones.items()):
            ready = sum(1 for n in nodes if self._ready_status(n) == "True")
            not_ready = len(nodes) - ready
            if ready == 0 and not_ready > 0:
                states[zone] = FULL
            elif not_ready > 2 and not_ready / len(nodes) >= self.unhealthy_zone_threshold:
                states[zone] = PARTIAL
            else:
                states[zone] = NORMAL
        notes = []
        all_disrupted = bool(states) and all(s == FULL for s in states.values())
        if all_disrupted != self.all_disrupted:
            self.all_disrupted = all_disrupted
            notes.append(
                "all nodes are not ready: entering master disruption mode, evictions stopped"
                if all_disrupted
                else "some nodes are ready again: exiting master disruption mode"
            )
            for node in self.nodes.list():
                self.enqueue(node)
        for zone, state in states.items():
            if self.zone_states.get(zone, NORMAL) != state:
                notes.append(f"zone {zone or '(none)'} is now in state {state}")
                for node in zones[zone]:
                    self.enqueue(node)
        self.zone_states = states
        return notes

    def eviction_rate(self, zone: str) -> float:
        """Nodes per second that may get a NoExecute taint in ``zone`` (setLimiterInZone)."""
        if self.all_disrupted:
            return 0.0
        state = self.zone_states.get(zone, NORMAL)
        if state == PARTIAL:
            size = sum(1 for n in self.nodes.list() if self._zone(n) == zone)
            return self.secondary_node_eviction_rate if size > self.large_cluster_size_threshold else 0.0
        return self.node_eviction_rate

    def _take_token(self, zone: str) -> float:
        """0 when the zone's token bucket (burst 1) allows a taint now, else seconds to wait (-1: never)."""
        rate = self.eviction_rate(zone)
        if rate <= 0:
            return -1.0
        now = self.clock.now
        ready_at = self._next_token.get(zone, float("-inf"))
        if now >= ready_at:
            self._next_token[zone] = now + 1.0 / rate
            return 0.0
        return ready_at - now

    # --- the taint pass for one node ------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        node = self.nodes.get(key)
        if node is None:
            return f"node {key} is gone"
        taints = node["spec"].get("taints") or []
        keep = [
            t
            for t in taints
            if not (t.get("effect") == "NoSchedule" and t.get("key") in MANAGED_NO_SCHEDULE)
            and not (t.get("effect") == "NoExecute" and t.get("key") in NO_EXECUTE_KEYS)
        ]
        # doNoScheduleTaintingPass: conditions (and spec.unschedulable) -> NoSchedule taints, no rate limit.
        no_schedule = []
        for ctype, by_status in CONDITION_TAINTS.items():
            c = condition(node, ctype)
            if c is not None and c.get("status") in by_status:
                no_schedule.append({"key": by_status[c["status"]], "effect": "NoSchedule"})
        if node["spec"].get("unschedulable"):
            no_schedule.append({"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"})
        # processTaintBaseEviction: Ready False/Unknown -> NoExecute, added through the zone's rate limiter.
        status = _ready_status(node)
        want = {"False": TAINT_NOT_READY, "Unknown": TAINT_UNREACHABLE}.get(status or "")
        if self.all_disrupted:
            want = None
        current = [t for t in taints if t.get("effect") == "NoExecute" and t.get("key") in NO_EXECUTE_KEYS]
        notes = []
        no_execute = []
        if want is not None:
            same = [t for t in current if t["key"] == want]
            if same:
                no_execute = same[:1]
            elif current:  # swap not-ready <-> unreachable straight away
                no_execute = [{"key": want, "effect": "NoExecute", "timeAdded": timestamp(self.clock.now)}]
            else:
                wait = self._take_token(zone_of(node))
                if wait == 0:
                    no_execute = [
                        {"key": want, "effect": "NoExecute", "timeAdded": timestamp(self.clock.now)}
                    ]
                elif wait > 0:
                    self.queue.add_after(key, wait)
                    notes.append(f"{want}:NoExecute waits {wait:g}s for the eviction rate limiter")
                else:
                    notes.append(
                        f"{want}:NoExecute held: evictions stopped in zone {zone_of(node) or '(none)'}"
                    )
        new_taints = _merge_taints(taints, keep, no_schedule + no_execute)
        if new_taints == taints:
            return "; ".join(notes) or "taints in sync"
        new = deep_copy(node)
        new["spec"]["taints"] = new_taints
        if not new_taints:
            del new["spec"]["taints"]
        self.client.update(new)
        added = [f"{t['key']}:{t['effect']}" for t in new_taints if t not in taints]
        removed = [f"{t['key']}:{t['effect']}" for t in taints if t not in new_taints]
        parts = ([f"added taint {', '.join(added)}"] if added else []) + (
            [f"removed taint {', '.join(removed)}"] if removed else []
        )
        return "; ".join(parts + notes)


def _merge_taints(old: list[dict], keep: list[dict], desired: list[dict]) -> list[dict]:
    """Unmanaged taints as they were, then the managed ones (an unchanged taint keeps its timeAdded)."""
    out = list(keep)
    for d in desired:
        prior = next((t for t in old if t.get("key") == d["key"] and t.get("effect") == d["effect"]), None)
        out.append(prior if prior is not None else d)
    return out


def _handler(on_add: Any, on_update: Any, on_delete: Any) -> ResourceEventHandler:
    return ResourceEventHandler(on_add, on_update, on_delete)


# --- the taint manager ---------------------------------------------------------------------------


class NoExecuteTaintManager(Controller):
    """Deletes pods from nodes with NoExecute taints they do not tolerate (or no longer tolerate).

    Part of node-lifecycle-controller until Kubernetes 1.29, then its own
    ``taint-eviction-controller``.  Each pod's deadline is a pending timer.
    """

    name = "taint-eviction-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.nodes = self.informer("nodes")
        self.pods = self.informer("pods")

        def node_updated(old: dict, new: dict) -> None:
            self._node_changed(new, old)

        self.nodes.add_event_handler(_handler(self._node_changed, node_updated, self._node_changed))
        self.pods.add_event_handler(_handler(self._pod_added, self._pod_updated, self.enqueue))
        #: pod key -> (time the eviction was scheduled, deadline, timer)
        self.scheduled: dict[str, tuple[float, float, Timer]] = {}

    def _node_changed(self, node: dict, old: dict | None = None) -> None:
        if old is not None and _no_execute(old) == _no_execute(node):
            return
        for pod in pods_on_node(self.pods, node["metadata"]["name"]):
            self.enqueue(pod)

    def _pod_added(self, pod: dict) -> None:
        if pod["spec"].get("nodeName"):
            self.enqueue(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        if new["spec"].get("nodeName") and (
            old["spec"].get("nodeName") != new["spec"].get("nodeName")
            or old["spec"].get("tolerations") != new["spec"].get("tolerations")
        ):
            self.enqueue(new)

    def stop(self) -> None:
        super().stop()
        for _, _, timer in self.scheduled.values():
            timer.cancel()
        self.scheduled.clear()

    def _cancel(self, key: str, pod: dict | None) -> bool:
        entry = self.scheduled.pop(key, None)
        if entry is None:
            return False
        entry[2].cancel()
        if pod is not None:
            self.client.event(pod, "Normal", "TaintManagerEviction", f"Cancelling deletion of Pod {key}")
        return True

    def sync_handler(self, key: str) -> str | None:
        pod = self.pods.get(key)
        if pod is None or not pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            self._cancel(key, None)
            return None if pod is None else f"pod {key} is not on a node or already terminating"
        node_name = pod["spec"]["nodeName"]
        node = self.nodes.get(node_name)
        taints = _no_execute(node) if node is not None else []
        if not taints:
            if self._cancel(key, pod):
                return f"cancelled the deletion of {key}"
            return f"no NoExecute taint on {node_name}"
        tolerations = pod["spec"].get("tolerations") or []
        used = []
        for taint in taints:
            match = [t for t in tolerations if tolerates(t, taint)]
            if not match:
                self._cancel(key, None)
                return self._evict(pod, key, f"it does not tolerate {taint['key']}:NoExecute")
            used += match
        seconds = [max(0, t["tolerationSeconds"]) for t in used if t.get("tolerationSeconds") is not None]
        if not seconds:
            return (
                f"cancelled the deletion of {key}"
                if self._cancel(key, pod)
                else f"{key} tolerates the taints of {node_name} forever"
            )
        now = self.clock.now
        entry = self.scheduled.get(key)
        start = entry[0] if entry is not None else now
        trigger = start + min(seconds)
        if now >= trigger:
            self.scheduled.pop(key, None)
            return self._evict(pod, key, f"its toleration of {min(seconds)}s ran out")
        if entry is not None and entry[1] == trigger:
            return f"{key}: deletion already scheduled at {trigger:.3f}s"
        if entry is not None:
            entry[2].cancel()
        timer = self.manager.after(trigger - now, lambda: self._deadline(key), trace_name=self.name)
        self.scheduled[key] = (start, trigger, timer)
        names = ", ".join(f"{t['key']}:NoExecute" for t in taints)
        return f"{key} tolerates {names} for {min(seconds)}s: deletion scheduled at {trigger:.3f}s"

    def _deadline(self, key: str) -> None:
        self.queue.add(key)

    def _evict(self, pod: dict, key: str, why: str) -> str:
        """``addConditionAndDeletePod``: a DisruptionTarget condition, then an ordinary (graceful) delete."""
        self.client.event(pod, "Normal", "TaintManagerEviction", f"Marking for deletion Pod {key}")
        new = deep_copy(pod)
        set_condition(
            new,
            "DisruptionTarget",
            "True",
            self.clock.now,
            "DeletionByTaintManager",
            "Taint manager: deleting due to NoExecute taint",
        )
        try:
            self.client.update_status(new)
        except ApiError as err:
            if err.code != 404:
                raise
        try:
            self.client.delete("pods", pod["metadata"]["name"], pod["metadata"]["namespace"])
        except ApiError as err:
            if err.code != 404:
                raise
        return f"deleted pod {key}: {why}"


def _no_execute(node: dict) -> list[dict]:
    return [t for t in node["spec"].get("taints") or [] if t.get("effect") == "NoExecute"]
