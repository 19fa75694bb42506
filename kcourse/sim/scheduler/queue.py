"""The scheduling queue: activeQ, backoffQ, unschedulablePods (``backend/queue/scheduling_queue.go``).

*activeQ* is a heap ordered by the profile's QueueSort plugin (PrioritySort:
higher ``spec.priority`` first, then the time the pod entered the queue);
*backoffQ* holds pods waiting out their back-off (1 s, doubling per attempt,
at most 10 s); *unschedulablePods* holds pods that fitted nowhere.  Those
wait for a :class:`ClusterEvent` that may help them — a node added or
changed, an assigned pod deleted … — as the plugins that rejected them
registered (``EventsToRegister``), or at most 5 minutes, checked by a flush
every 30 s.  A pod that was updated, or saw a cluster event, while its cycle
ran goes to backoffQ instead: what its cycle saw is already stale.

The queue receives what it uses: the clock, a way to start a timer, a
callback for "activeQ has a pod", and the framework (for the sort order and
the plugins' events).

Simplified: queueing hints are the plugins' fixed event sets, not functions
of the event's objects; no PreEnqueue plugins and no scheduling gates;
``isPodUpdated`` compares metadata (but resourceVersion, generation,
managedFields, finalizers) and spec.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..resources import object_key
from .framework.types import ClusterEvent

if TYPE_CHECKING:
    from ..clock import Clock
    from .framework.runtime import Framework

__all__ = [
    "POD_INITIAL_BACKOFF",
    "POD_MAX_BACKOFF",
    "POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION",
    "ClusterEvent",
    "QueuedPodInfo",
    "SchedulingQueue",
    "node_scheduling_properties_change",
]

POD_INITIAL_BACKOFF = 1.0
POD_MAX_BACKOFF = 10.0
POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION = 300.0


@dataclass
class QueuedPodInfo:
    """A pod waiting in the queue, with its attempts and which plugins rejected it last."""

    pod: dict
    key: str
    timestamp: float
    seq: int
    attempts: int = 0
    initial_attempt_timestamp: float | None = None
    unschedulable_plugins: set[str] = field(default_factory=set)

    @property
    def priority(self) -> int:
        return int(self.pod["spec"].get("priority") or 0)


def _is_pod_updated(old: dict, new: dict) -> bool:
    """``isPodUpdated``: did anything but status, resourceVersion, generation or finalizers change?"""

    def strip(p: dict) -> tuple:
        md = {
            k: v
            for k, v in p["metadata"].items()
            if k not in ("resourceVersion", "generation", "managedFields", "finalizers")
        }
        return md, p.get("spec")

    return strip(old) != strip(new)


def node_scheduling_properties_change(old: dict, new: dict) -> set[ClusterEvent]:
    """``NodeSchedulingPropertiesChange``: which kinds of node change happened (what may make a pod fit)."""
    events = set()
    os_, ns_ = old.get("status") or {}, new.get("status") or {}
    if os_.get("allocatable") != ns_.get("allocatable"):
        events.add(ClusterEvent.NODE_ALLOCATABLE_CHANGE)
    if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
        events.add(ClusterEvent.NODE_LABEL_CHANGE)
    ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
    if ospec.get("taints") != nspec.get("taints") or ospec.get("unschedulable") != nspec.get("unschedulable"):
        events.add(ClusterEvent.NODE_TAINT_CHANGE)
    return events


class SchedulingQueue:
    """``PriorityQueue``: activeQ (a heap), backoffQ (timers) and unschedulablePods."""

    def __init__(
        self,
        clock: Clock,
        framework: Framework,
        *,
        start_timer: Callable[[float, Callable[[], Any]], Any],
        on_active: Callable[[], None],
    ):
        self.clock = clock
        self.framework = framework
        self._start_timer = start_timer
        self._on_active = on_active
        self._sort_key = framework.queue_sort.sort_key
        self._heap: list[tuple] = []
        self._active: dict[str, tuple] = {}
        self.backoff: dict[str, Any] = {}
        self.unschedulable: dict[str, QueuedPodInfo] = {}
        self.infos: dict[str, QueuedPodInfo] = {}
        self.in_flight: str | None = None
        self._moved_in_cycle = False
        self._seq = 0

    # what is where
    def active_keys(self) -> list[str]:
        """activeQ in the order pods will be popped."""
        return [e[-1] for e in sorted(self._active.values())]

    def backoff_keys(self) -> list[str]:
        return sorted(self.backoff)

    def unschedulable_keys(self) -> list[str]:
        return sorted(self.unschedulable)

    def __len__(self) -> int:
        return len(self._active)

    def __contains__(self, key: str) -> bool:
        return key in self.infos

    # activeQ
    def _push_active(self, pinfo: QueuedPodInfo) -> None:
        entry = (*self._sort_key(pinfo), pinfo.key)
        self._active[pinfo.key] = entry
        heapq.heappush(self._heap, entry)
        self._on_active()

    def pop(self) -> QueuedPodInfo | None:
        """The pod the QueueSort plugin puts first, now in flight."""
        while self._heap:
            entry = heapq.heappop(self._heap)
            key = entry[-1]
            if self._active.get(key) is entry:
                del self._active[key]
                self.in_flight = key
                self._moved_in_cycle = False
                return self.infos[key]
        return None

    def done(self, key: str) -> None:
        if self.in_flight == key:
            self.in_flight = None

    # informer events
    def add(self, pod: dict) -> None:
        key = object_key(pod)
        if key in self.infos:
            self.update(self.infos[key].pod, pod)
            return
        self._seq += 1
        pinfo = QueuedPodInfo(pod, key, self.clock.now, self._seq)
        self.infos[key] = pinfo
        self._push_active(pinfo)

    def update(self, old: dict, new: dict) -> None:
        key = object_key(new)
        pinfo = self.infos.get(key)
        if pinfo is None:
            self.add(new)
            return
        pinfo.pod = new
        updated = _is_pod_updated(old, new)
        if key == self.in_flight:
            self._moved_in_cycle = self._moved_in_cycle or updated
        elif key in self._active:
            if updated:
                self._push_active(pinfo)  # the priority may have changed: re-sort
        elif key in self.unschedulable and updated:
            self._move(pinfo)

    def delete(self, key: str) -> None:
        self.infos.pop(key, None)
        self._active.pop(key, None)
        self.unschedulable.pop(key, None)
        timer = self.backoff.pop(key, None)
        if timer is not None:
            timer.cancel()
        if self.in_flight == key:
            self.in_flight = None

    # after a failed cycle
    def backoff_duration(self, pinfo: QueuedPodInfo) -> float:
        """1 s doubling per attempt, at most 10 s."""
        duration = POD_INITIAL_BACKOFF
        for _ in range(1, pinfo.attempts):
            if duration > POD_MAX_BACKOFF - duration:
                return POD_MAX_BACKOFF
            duration += duration
        return duration

    def backoff_until(self, pinfo: QueuedPodInfo) -> float:
        return pinfo.timestamp + self.backoff_duration(pinfo)

    def add_unschedulable(self, pinfo: QueuedPodInfo, plugins: set[str], *, error: bool = False) -> str:
        """Put a pod back after a failed cycle; returns where it went."""
        if pinfo.key not in self.infos:
            return "gone"
        pinfo.timestamp = self.clock.now
        pinfo.unschedulable_plugins = set(plugins)
        if error or self._moved_in_cycle:
            self._to_backoff(pinfo)
            return "backoffQ"
        self.unschedulable[pinfo.key] = pinfo
        return "unschedulablePods"

    def _to_backoff(self, pinfo: QueuedPodInfo) -> None:
        key = pinfo.key
        delay = max(0.0, self.backoff_until(pinfo) - self.clock.now)

        def complete() -> None:
            if self.backoff.pop(key, None) is not None and key in self.infos:
                self._push_active(self.infos[key])

        old = self.backoff.pop(key, None)
        if old is not None:
            old.cancel()
        self.backoff[key] = self._start_timer(delay, complete)

    def _move(self, pinfo: QueuedPodInfo) -> None:
        """unschedulablePods → backoffQ if still backing off, else activeQ."""
        self.unschedulable.pop(pinfo.key, None)
        if self.backoff_until(pinfo) > self.clock.now:
            self._to_backoff(pinfo)
        else:
            self._push_active(pinfo)

    def move_all(self, events: set[ClusterEvent]) -> int:
        """``MoveAllToActiveOrBackoffQueue``: move the pods the event may help (queueing hints)."""
        if self.in_flight is not None:
            self._moved_in_cycle = True
        moved = 0
        plugin = self.framework.plugin
        for key in sorted(self.unschedulable):
            pinfo = self.unschedulable[key]
            if not pinfo.unschedulable_plugins or any(
                events & plugin(p).events for p in pinfo.unschedulable_plugins
            ):
                self._move(pinfo)
                moved += 1
        return moved

    def flush_leftover(self) -> int:
        """Pods unschedulable for more than 5 minutes get another try anyway."""
        now = self.clock.now
        stale = [
            p
            for _, p in sorted(self.unschedulable.items())
            if now - p.timestamp > POD_MAX_IN_UNSCHEDULABLE_PODS_DURATION
        ]
        for pinfo in stale:
            self._move(pinfo)
        return len(stale)

    def cancel_timers(self) -> None:
        for timer in self.backoff.values():
            timer.cancel()
        self.backoff.clear()
