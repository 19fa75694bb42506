"""The kube-scheduler process: informers feed the cache and the queue; one pod per step (``scheduler.go``).

The Scheduler watches Pods, Nodes, Services and ReplicaSets.  A Pod without
``spec.nodeName`` whose ``schedulerName`` is the profile's enters the
scheduling queue; a Pod already bound to a node updates the cache.  The
informer handlers do nothing else — and tell the queue which
:class:`ClusterEvent` happened, so the pods it may help are retried.

Each step of the trace is one ``scheduleOne`` (``schedule_one.go``): pop the
head of activeQ, run the scheduling cycle (:meth:`Framework.schedule`), then
the binding cycle — Reserve, then Bind (DefaultBinder's ``pods/binding``
POST) and a ``Scheduled`` Event — or, when no node fits,
``handleSchedulingFailure``: the pod goes back to the queue, gets
``PodScheduled=False`` with the FitError's message (``0/4 nodes are
available: …``) and a ``FailedScheduling`` Event, and PostFilter's victims
are evicted.

Only the instance holding the ``kube-system/kube-scheduler`` Lease
schedules; a new leader starts afresh (new informers, a new LIST).

Simplified: the binding cycle runs in the same step as the scheduling
cycle (the real one binds in a goroutine; here no pod is "assumed" because
the bind's watch event updates the cache at once); Permit and PreBind are not
run; "no nodes available to schedule pods" waits for a node to be added
instead of retrying with back-off.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..component import Component, describe_error
from ..errors import ApiError
from ..informer import Informer, ResourceEventHandler
from ..labels import Selector, selector_from_spec
from ..leader import LeaderElector
from ..objects import controller_of, deep_copy, set_condition
from ..resources import object_key
from ..trace import Event
from .cache import Cache
from .framework.cycle_state import CycleState
from .framework.runtime import Framework
from .framework.types import ClusterEvent, PodInfo
from .profile import DEFAULT_SCHEDULER_NAME
from .queue import POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION, QueuedPodInfo, SchedulingQueue
from .queue import node_scheduling_properties_change as _node_events
from .schedule_one import CycleResult

if TYPE_CHECKING:
    from ..host import Host

__all__ = ["CYCLE_TIME", "UNSCHEDULABLE_FLUSH_PERIOD", "Decisions", "Scheduler"]

#: Simulated seconds one scheduling cycle takes (the time between two cycles).
CYCLE_TIME = 0.005
UNSCHEDULABLE_FLUSH_PERIOD = 30.0


class Decisions(Mapping):
    """``pod key → decision`` for the last ``limit`` pods scheduled or tried, oldest first.

    A cycle records its CycleResult; the decision dict (scores per node and
    plugin, filter reasons …) is built the first time someone reads it, so
    cycles nobody looks at never pay for it.
    """

    def __init__(self, limit: int = 1000):
        self.limit = limit
        self._entries: OrderedDict[str, CycleResult | dict] = OrderedDict()

    def record(self, key: str, decision: CycleResult | dict) -> None:
        self._entries.pop(key, None)
        self._entries[key] = decision
        while len(self._entries) > self.limit:
            self._entries.popitem(last=False)

    def __getitem__(self, key: str) -> dict:
        decision = self._entries[key]
        if isinstance(decision, CycleResult):
            decision = self._entries[key] = decision.decision()
        return decision

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


def _by_selector_label(svc: dict) -> list[str]:
    """A Service under each ``namespace/key=value`` of its selector: the pods it may select share one."""
    ns = svc["metadata"].get("namespace") or "default"
    return [f"{ns}/{k}={v}" for k, v in ((svc.get("spec") or {}).get("selector") or {}).items()]


class Scheduler(Component):
    """The kube-scheduler process on one control plane node."""

    def __init__(
        self,
        host: Host,
        node: str,
        *,
        percentage_of_nodes_to_score: int = 0,
        decisions_limit: int = 1000,
        scheduler_name: str = DEFAULT_SCHEDULER_NAME,
    ):
        super().__init__(host, "kube-scheduler", node)
        self.scheduler_name = scheduler_name
        self.percentage_of_nodes_to_score = percentage_of_nodes_to_score
        self.rng = host.rng
        self.decisions = Decisions(decisions_limit)
        self.active = False
        self._build()
        self.elector = LeaderElector(
            self, "kube-scheduler", on_started_leading=self._lead, on_stopped_leading=self._follow
        )

    @property
    def is_leader(self) -> bool:
        return self.elector.is_leader

    # --- life cycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        self.elector.start()

    def stop(self) -> None:
        self._follow()
        self.elector.stop()
        super().stop()

    def _build(self) -> None:
        """Fresh informers, cache and queue: what a (re)started process has."""
        self.pods = Informer(
            self.client, "pods", field_selector="status.phase!=Succeeded,status.phase!=Failed"
        )
        self.nodes = Informer(self.client, "nodes")
        self.services = Informer(self.client, "services")
        self.replicasets = Informer(self.client, "replicasets")
        self.services.add_indexer("selector", _by_selector_label)
        self.cache = Cache()
        self.framework = Framework(
            self.cache,
            self.rng,
            client=self.client,
            percentage_of_nodes_to_score=self.percentage_of_nodes_to_score,
            default_selector=self._default_selector,
        )
        self.queue = SchedulingQueue(
            self.clock, self.framework, start_timer=self._queue_timer, on_active=self._wake
        )
        self.nodes.add_event_handler(
            ResourceEventHandler(self._node_added, self._node_updated, self._node_deleted)
        )
        self.pods.add_event_handler(
            ResourceEventHandler(self._pod_added, self._pod_updated, self._pod_deleted)
        )
        self._cycle_timer: Any = None
        self._flush_timer: Any = None
        self._stale = False

    def _queue_timer(self, delay: float, work: Callable[[], Any]) -> Any:
        """A queue's timer (a back-off ending) runs as one of this process's actions."""
        return self.after(delay, work, trace_name=self.name)

    def _informers(self) -> list[Informer]:
        return [self.nodes, self.services, self.replicasets, self.pods]

    def _lead(self) -> None:
        """Became leader: LIST and WATCH, then start the scheduling loop."""
        if self._stale:
            self._build()
        self.active = True
        for inf in self._informers():
            inf.start()
        self._flush_timer = self.after(UNSCHEDULABLE_FLUSH_PERIOD, self._flush, background=True)
        self._wake()

    def _follow(self) -> None:
        """Lost the lease or died: the real process exits; the next term starts from scratch."""
        self.active = False
        for inf in self._informers():
            inf.stop()
        for timer in (self._cycle_timer, self._flush_timer):
            if timer is not None:
                timer.cancel()
        self._cycle_timer = self._flush_timer = None
        self.queue.cancel_timers()
        self._stale = True

    def disconnect(self) -> None:
        for inf in self._informers():
            inf.disconnect()

    def reconnect(self) -> None:
        if not self.active:
            return
        for inf in self._informers():
            try:
                inf.reconnect()
            except Unreachable:
                return

    # --- informer handlers: they only update the cache and the queue -------------------------------------

    def _responsible(self, pod: dict) -> bool:
        return (pod["spec"].get("schedulerName") or DEFAULT_SCHEDULER_NAME) == self.scheduler_name

    def _node_added(self, node: dict) -> None:
        self.cache.add_node(node)
        self.queue.move_all({ClusterEvent.NODE_ADD})

    def _node_updated(self, old: dict, new: dict) -> None:
        self.cache.add_node(new)
        events = _node_events(old, new)
        if events:
            self.queue.move_all(events)

    def _node_deleted(self, node: dict) -> None:
        self.cache.remove_node(node)

    def _pod_added(self, pod: dict) -> None:
        if pod["spec"].get("nodeName"):
            self.cache.add_pod(pod)
            self.queue.move_all({ClusterEvent.ASSIGNED_POD_ADD})
        elif self._responsible(pod):
            self.queue.add(pod)

    def _pod_updated(self, old: dict, new: dict) -> None:
        key = object_key(new)
        if new["spec"].get("nodeName"):
            self.queue.delete(key)
            self.cache.update_pod(new)
            if not old["spec"].get("nodeName"):
                self.queue.move_all({ClusterEvent.ASSIGNED_POD_ADD})
            elif old["metadata"].get("labels") != new["metadata"].get("labels"):
                self.queue.move_all({ClusterEvent.ASSIGNED_POD_UPDATE})
        elif self._responsible(new):
            self.queue.update(old, new)
        else:
            self.queue.delete(key)

    def _pod_deleted(self, pod: dict) -> None:
        key = object_key(pod)
        if key in self.cache.pod_nodes:
            self.cache.remove_pod(key)
            self.queue.move_all({ClusterEvent.ASSIGNED_POD_DELETE})
        self.queue.delete(key)

    def _default_selector(self, pod: dict) -> Selector:
        """``helper.DefaultSelector``: the selectors of the Services and the ReplicaSet owning the pod."""
        ns = pod["metadata"].get("namespace") or "default"
        labels = pod["metadata"].get("labels") or {}
        merged: dict[str, str] = {}
        for k, v in labels.items():  # only Services sharing a label with the pod can select it
            for svc in self.services.by_index("selector", f"{ns}/{k}={v}"):
                sel = (svc.get("spec") or {}).get("selector") or {}
                if all(labels.get(key) == value for key, value in sel.items()):
                    merged.update(sel)
        reqs: list[tuple[str, str, tuple[str, ...]]] = [
            (k, "=", (str(v),)) for k, v in sorted(merged.items())
        ]
        owner = controller_of(pod)
        if owner and owner.get("kind") == "ReplicaSet" and owner.get("apiVersion") == "apps/v1":
            rs = self.replicasets.get(f"{ns}/{owner['name']}")
            if rs is not None:
                reqs += selector_from_spec(rs["spec"].get("selector")).requirements
        return Selector(reqs)

    # --- the loop ----------------------------------------------------------------------------------------

    def _wake(self) -> None:
        if self.active and self.running and self._cycle_timer is None and len(self.queue):
            self._cycle_timer = self.after(CYCLE_TIME, self.schedule_one, trace_name=self.name)

    def _flush(self) -> Event:
        """Every 30 s: give pods unschedulable for over 5 minutes another try."""
        self._flush_timer = self.after(UNSCHEDULABLE_FLUSH_PERIOD, self._flush, background=True)
        waiting = len(self.queue.unschedulable)
        moved = self.queue.flush_leftover()
        return self.event(
            "unschedulablePods",
            f"flushUnschedulablePodsLeftover: {moved} of {waiting} pod(s) "
            f"unschedulable for over {POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION:g}s moved back",
            verb="flush",
        )

    def schedule_one(self) -> Event | None:
        """``scheduleOne``: pop a pod, find it a node, bind — or record why none fits."""
        self._cycle_timer = None
        pinfo = self.queue.pop()
        if pinfo is None:
            return None
        try:
            return self._cycle(pinfo)
        except Exception as err:  # a plugin failed on this pod: an Error status for handleSchedulingFailure
            if self.host.strict:
                raise
            return self._fail(pinfo, CycleResult(None, 0, 0, {}, message=describe_error(err), error=True))
        finally:
            self.queue.done(pinfo.key)
            self._wake()

    def _cycle(self, pinfo: QueuedPodInfo) -> Event:
        pod, key = pinfo.pod, pinfo.key
        if pod["metadata"].get("deletionTimestamp"):
            self.queue.delete(key)
            return self.event(key, f"skip schedule deleting pod {key}")
        pinfo.attempts += 1
        if pinfo.initial_attempt_timestamp is None:
            pinfo.initial_attempt_timestamp = self.clock.now
        result = self.framework.schedule(pod)
        self.decisions.record(key, result)
        try:
            if result.node is not None:
                return self._bind(pinfo, result.node, result.state or CycleState(PodInfo(pod), []))
            return self._fail(pinfo, result)
        finally:
            result.state = None  # the cycle is over: what its plugins kept goes

    def _bind(self, pinfo: QueuedPodInfo, node: str, state: CycleState) -> Event:
        """The binding cycle: Reserve, then Bind (DefaultBinder's pods/binding POST); Unreserve on failure."""
        pod, key = pinfo.pod, pinfo.key
        status = self.framework.run_reserve_plugins_reserve(state, pod, node)
        if status.ok:
            status = self.framework.run_bind_plugins(state, pod, node)
        if not status.ok:
            self.framework.run_reserve_plugins_unreserve(state, pod, node)
            where = self.queue.add_unschedulable(pinfo, set(), error=True)
            return self.event(
                key, f"binding {key} to {node} failed: {status.message()}; retrying from {where}"
            )
        ns, name = pod["metadata"].get("namespace") or "default", pod["metadata"]["name"]
        self.client.event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {ns}/{name} to {node}",
            source=self.scheduler_name,
        )
        return self.event(key, f"bound {key} to {node}")

    def _fail(self, pinfo: QueuedPodInfo, result: CycleResult) -> Event:
        """handleSchedulingFailure: requeue, preempt if PostFilter found victims, tell the pod why."""
        pod, key = pinfo.pod, pinfo.key
        notes = []
        if result.victims:
            notes.append(self._preempt(pod, result.nominated or "", result.victims))
        where = self.queue.add_unschedulable(pinfo, result.unschedulable_plugins, error=result.error)
        reason = "SchedulerError" if result.error else "Unschedulable"
        try:
            self.client.event(pod, "Warning", "FailedScheduling", result.message, source=self.scheduler_name)
            current = self.pods.get(key) or pod
            new = deep_copy(current)
            changed = set_condition(new, "PodScheduled", "False", self.clock.now, reason, result.message)
            status = new.setdefault("status", {})
            if result.nominated and status.get("nominatedNodeName") != result.nominated:
                status["nominatedNodeName"] = result.nominated
                changed = True
            if changed:
                self.client.update_status(new)
        except (ApiError, Unreachable) as err:
            notes.append(f"status not updated: {err}")
        tail = f" ({'; '.join(notes)})" if notes else ""
        return self.event(key, f"{result.message}{tail} → {where}")

    def _preempt(self, preemptor: dict, node: str, victims: list[PodInfo]) -> str:
        """Evict the victims: mark them DisruptionTarget, delete them, record Preempted."""
        uid = preemptor["metadata"].get("uid")
        names = []
        for v in victims:
            ns, name = v.namespace, v.pod["metadata"]["name"]
            try:
                current = self.pods.get(v.key) or v.pod
                marked = deep_copy(current)
                set_condition(
                    marked,
                    "DisruptionTarget",
                    "True",
                    self.clock.now,
                    "PreemptionByScheduler",
                    f"{self.scheduler_name}: preempting to accommodate a higher priority pod",
                )
                self.client.update_status(marked)
                self.client.delete("pods", name, ns)
            except (ApiError, Unreachable):
                continue
            self.client.event(
                v.pod,
                "Normal",
                "Preempted",
                f"Preempted by pod {uid} on node {node}",
                source=self.scheduler_name,
            )
            names.append(v.key)
        return f"nominated {node}, preempting {', '.join(names)}"
