"""pod-garbage-collector: force-deletes pods nobody else will ever clean up.

A pod is normally removed by the kubelet of its node once its containers
have stopped.  Some pods have no kubelet left to do that, and every
``gc-check-period`` (20 s) the PodGC controller marks them ``Failed`` (unless they
finished) and force-deletes them (grace period 0):

* *orphaned* pods, bound to a node that no longer exists — after the node
  has been gone for the 40 s quarantine and a fresh GET confirms it; they
  get the condition ``DisruptionTarget`` (reason ``DeletionByPodGC``,
  ``PodGC: node no longer exists``);
* *terminating pods that were never scheduled* (no ``nodeName``);
* terminating pods on a node that is not Ready and carries the taint
  ``node.kubernetes.io/out-of-service`` (non-graceful node shutdown);
* *terminated* pods (phase Succeeded or Failed) beyond
  ``--terminated-pod-gc-threshold`` (12,500), oldest first.

A pod deleted from a dead node by the taint manager stays ``Terminating``
until one of these rules applies — typically when cloud-node-lifecycle
deletes the Node because its VM is gone.

On the simulated clock the 20 s pass is periodic (background); a node that
disappears queues its name for a check after the quarantine, which is
pending work, so ``run_until_stable()`` carries a deleted node through to
its pods' removal.
"""

from __future__ import annotations

from ..apiserver import Unreachable
from ..clock import Timer
from ..component import Component, Event
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler, SharedInformerFactory
from ..objects import condition, deep_copy, set_condition
from .node_lifecycle import pods_on_node

__all__ = ["GC_CHECK_PERIOD", "QUARANTINE_TIME", "TERMINATED_POD_GC_THRESHOLD", "PodGCController"]

GC_CHECK_PERIOD = 20.0
QUARANTINE_TIME = 40.0
TERMINATED_POD_GC_THRESHOLD = 12500
OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"


class PodGCController(Controller):
    """A periodic pass over all pods; node names whose pods may be orphaned go through the work queue."""

    name = "pod-garbage-collector"
    gc_check_period = GC_CHECK_PERIOD
    quarantine_time = QUARANTINE_TIME
    terminated_pod_threshold = TERMINATED_POD_GC_THRESHOLD

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.pods = self.informer("pods")
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(ResourceEventHandler(on_delete=self._node_deleted))
        self._tick: Timer | None = None

    def _node_deleted(self, node: dict) -> None:
        self.queue.add_after(node["metadata"]["name"], self.quarantine_time)

    def run(self) -> None:
        super().run()
        self._tick = self.manager.after(self.gc_check_period, self.gc, background=True, trace_name=self.name)

    def stop(self) -> None:
        super().stop()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def gc(self) -> Event | None:
        """One pass: terminated over the threshold, orphaned, unscheduled terminating, out-of-service."""
        self._tick = self.manager.after(self.gc_check_period, self.gc, background=True, trace_name=self.name)
        notes: list[str] = []
        try:
            notes += self._gc_terminated()
            notes += self._gc_orphaned()
            notes += self._gc_unscheduled_terminating()
            notes += self._gc_out_of_service()
        except (ApiError, Unreachable) as err:
            notes.append(f"error: {err}")
        if not notes:
            return self.manager.event("pods", "nothing to collect", verb="gc", component=self.name)
        return self.manager.event("pods", "; ".join(notes), component=self.name)

    def _force_delete(self, pod: dict, *, fail: bool = True, disruption: str | None = None) -> None:
        """``markFailedAndDeletePod``: phase Failed (and a DisruptionTarget condition), then delete with
        grace 0."""
        md = pod["metadata"]
        if fail and pod["status"].get("phase") not in ("Succeeded", "Failed"):
            new = deep_copy(pod)
            new["status"]["phase"] = "Failed"
            if disruption:
                set_condition(new, "DisruptionTarget", "True", self.clock.now, "DeletionByPodGC", disruption)
            try:
                self.client.update_status(new)
            except ApiError as err:
                if err.code != 404:
                    raise
        try:
            self.client.delete("pods", md["name"], md["namespace"], grace_period_seconds=0)
        except ApiError as err:
            if err.code != 404:
                raise

    def _gc_terminated(self) -> list[str]:
        terminated = [p for p in self.pods.list() if p["status"].get("phase") in ("Succeeded", "Failed")]
        excess = len(terminated) - self.terminated_pod_threshold
        if excess <= 0:
            return []
        terminated.sort(key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"]))
        for pod in terminated[:excess]:
            self._force_delete(pod, fail=False)
        return [f"deleted {excess} terminated pod(s) over the threshold of {self.terminated_pod_threshold}"]

    def _gc_orphaned(self) -> list[str]:
        """Pods on nodes missing from the cache: check each such node again after the quarantine."""
        missing = sorted(
            {
                p["spec"]["nodeName"]
                for p in self.pods.list()
                if p["spec"].get("nodeName") and self.nodes.get(p["spec"]["nodeName"]) is None
            }
        )
        for name in missing:
            self.queue.add_after(name, self.quarantine_time)
        if not missing:
            return []
        after = f"{self.quarantine_time:g}s"
        return [f"pods on missing node(s) {', '.join(missing)}: checking again after {after}"]

    def sync_handler(self, key: str) -> str | None:
        """A node that was missing after the quarantine: confirm with the API server, then delete its pods."""
        if self.nodes.get(key) is not None:
            return f"node {key} exists"
        try:
            self.client.get("nodes", key)
            return f"node {key} exists"
        except ApiError as err:
            if err.code != 404:
                raise
        orphans = pods_on_node(self.pods, key)
        for pod in orphans:
            self._force_delete(pod, disruption="PodGC: node no longer exists")
        if not orphans:
            return f"node {key} is gone and has no pods left"
        names = ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in orphans)
        return f"force-deleted {len(orphans)} orphaned pod(s) of deleted node {key}: {names}"

    def _gc_unscheduled_terminating(self) -> list[str]:
        pods = [
            p
            for p in self.pods.list()
            if p["metadata"].get("deletionTimestamp") and not p["spec"].get("nodeName")
        ]
        for pod in pods:
            self._force_delete(pod)
        return [f"force-deleted {len(pods)} unscheduled terminating pod(s)"] if pods else []

    def _gc_out_of_service(self) -> list[str]:
        count = 0
        for node in self.nodes.list():
            ready = condition(node, "Ready")
            if ready is not None and ready.get("status") == "True":
                continue
            if not any(t.get("key") == OUT_OF_SERVICE_TAINT for t in node["spec"].get("taints") or []):
                continue
            for pod in pods_on_node(self.pods, node["metadata"]["name"]):
                if pod["metadata"].get("deletionTimestamp"):
                    self._force_delete(pod)
                    count += 1
        return [f"force-deleted {count} terminating pod(s) on out-of-service nodes"] if count else []
