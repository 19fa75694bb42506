"""The ReplicaSet controller (``replicaset-controller``): keep N copies of a Pod running.

For each ReplicaSet it compares ``spec.replicas`` with the *active* Pods it
owns (not terminating, not Succeeded/Failed) and closes the gap:

* too few: create Pods from ``spec.template`` named ``<rs-name>-`` plus the
  API server's five random characters (``generateName``), each carrying an
  ``ownerReference`` with ``controller: true`` — in *slow-start batches* of
  1, 2, 4, 8 … so that a template that cannot work (a quota, a bad field)
  fails after one request instead of five hundred;
* too many: delete the Pods that matter least, by the real ranking
  (unassigned before assigned, Pending before Unknown before Running, not
  ready before ready, lower ``controller.kubernetes.io/pod-deletion-cost``,
  doubled-up on a node, ready for less time, more restarts, newer);
* Pods that match the selector but have no controller are *adopted*; Pods it
  owns that no longer match are *released*.

*Expectations* stop the controller from acting twice on a stale cache: after
asking for 3 creations it waits until its informer has seen 3 Pods appear
(or 5 minutes pass) before it counts again.  Status (``replicas``,
``fullyLabeledReplicas``, ``readyReplicas``, ``availableReplicas``,
``observedGeneration``) goes through the ``status`` subresource.

Upstream lists the ReplicaSet's Pods on every sync to claim and count them.
Here an :class:`~.controller_utils.ActivePodCounts` keeps, per owner, the
active Pods' keys, ready times and label sets from the Pod informer's events,
so a sync whose claim would change nothing (every owned Pod still matches the
selector, no orphan does) reads counters instead of checking each Pod; only a
sync that adopts or releases, or a scale-down that ranks Pods, reads the Pods
themselves.  The counts are read before the sync writes anything, as the
listing would have been, so its own creations do not count until the next sync.

The helpers it shares with the other workload controllers — expectations,
``slow_start_batch``, the Pod control, controller-ref claiming, the deletion
ranking — live in :mod:`.controller_utils`, as upstream keeps them in
``pkg/controller/controller_utils.go``.

Simplified: creations within a batch run one after another (the real
controller runs a batch in parallel goroutines); burstReplicas is 500 as in
kube-controller-manager; a failed status update is retried by the queue
instead of by an immediate GET-and-retry; ``availableReplicas`` with
``minReadySeconds`` is still a pass over the ready Pods' recorded times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..apiserver import Unreachable
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..labels import Selector, parse_selector, selector_from_spec
from ..objects import controller_of
from ..resources import object_key
from .controller_utils import (
    POD_CONTROLLER_UID_INDEX,
    SLOW_START_INITIAL_BATCH_SIZE,
    ActivePodCounts,
    ControllerExpectations,
    OwnedPods,
    PodControl,
    claim_objects,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    pod_controller_uid_index,
    pods_by_owner,
    rank_pods_for_deletion,
    resolve_controller_ref,
    slow_start_batch,
)

__all__ = ["BURST_REPLICAS", "ReplicaSetController"]

#: kube-controller-manager's ``--concurrent-…`` sibling: at most this many creations/deletions per sync.
BURST_REPLICAS = 500
# --- the controller ----------------------------------------------------------------------------------


class ReplicaSetController(Controller):
    """Keeps each ReplicaSet's count of active Pods equal to ``spec.replicas``."""

    name = "replicaset-controller"

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.rs_informer = self.informer("replicasets")
        self.pod_informer = self.informer("pods")
        if POD_CONTROLLER_UID_INDEX not in self.pod_informer.indexers:
            self.pod_informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        self.pod_counts = ActivePodCounts(self.pod_informer)
        self._template_selectors: dict[str, tuple[dict, Selector]] = {}
        self.expectations = ControllerExpectations(self.clock)
        self.pod_control = PodControl(self.client)
        self.burst_replicas = BURST_REPLICAS
        self.rs_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new), on_delete=self._delete_rs
            )
        )
        self.pod_informer.add_event_handler(
            ResourceEventHandler(on_add=self._add_pod, on_update=self._update_pod, on_delete=self._delete_pod)
        )

    # --- informer handlers: bookkeeping and enqueue, nothing else --------------------------------

    def _delete_rs(self, rs: dict) -> None:
        self.expectations.delete(object_key(rs))
        self._template_selectors.pop(object_key(rs), None)
        self.enqueue(rs)

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller_ref(
            self.rs_informer, pod["metadata"]["namespace"], controller_of(pod), "ReplicaSet"
        )

    def _matching_sets(self, pod: dict) -> list[dict]:
        """ReplicaSets whose selector matches an orphan Pod (candidates to adopt it)."""
        ns, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels")
        return [
            rs
            for rs in self.rs_informer.list()
            if rs["metadata"]["namespace"] == ns
            and selector_from_spec(rs["spec"].get("selector")).matches(labels)
        ]

    def _add_pod(self, pod: dict) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            self._delete_pod(pod)  # seen for the first time already terminating: count it as gone
            return
        if controller_of(pod) is not None:
            rs = self._owner(pod)
            if rs is not None:
                self.expectations.creation_observed(object_key(rs))
                self.enqueue(rs)
            return
        for rs in self._matching_sets(pod):
            self.enqueue(rs)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        labels_changed = old["metadata"].get("labels") != cur["metadata"].get("labels")
        if cur["metadata"].get("deletionTimestamp"):
            # A Pod being deleted is as good as gone for the expectations (it no longer counts).
            self._delete_pod(cur)
            if labels_changed:
                self._delete_pod(old)
            return
        old_ref, cur_ref = controller_of(old), controller_of(cur)
        if old_ref != cur_ref and old_ref is not None:
            rs = resolve_controller_ref(self.rs_informer, old["metadata"]["namespace"], old_ref, "ReplicaSet")
            if rs is not None:
                self.enqueue(rs)
        if cur_ref is not None:
            rs = self._owner(cur)
            if rs is not None:
                self.enqueue(rs)
                min_ready = rs["spec"].get("minReadySeconds") or 0
                if min_ready and not is_pod_ready(old) and is_pod_ready(cur):
                    # Check availability again once minReadySeconds have passed (plus a second of skew).
                    self.queue.add_after(object_key(rs), min_ready + 1)
            return
        if labels_changed or old_ref != cur_ref:
            for rs in self._matching_sets(cur):
                self.enqueue(rs)

    def _delete_pod(self, pod: dict) -> None:
        rs = self._owner(pod)
        if rs is not None:
            self.expectations.deletion_observed(object_key(rs), object_key(pod))
            self.enqueue(rs)

    # --- the sync --------------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        rs = self.rs_informer.get(key)
        if rs is None:
            self.expectations.delete(key)
            return f"ReplicaSet {key} has been deleted; forgot its expectations"
        needs_sync = self.expectations.satisfied(key)
        selector = selector_from_spec(rs["spec"].get("selector"))
        owned = self._claimed_without_changes(rs, selector)
        claimed: list[dict] = []
        notes: list[str] = []
        if owned is None:  # something to adopt or release: list and claim Pod by Pod, as upstream
            candidates = pods_by_owner(self.pod_informer, rs, include_orphans=True)
            active = [p for p in candidates if is_pod_active(p)]
            claimed, notes = claim_objects(
                self.client, rs, selector, active, "pods", lambda: self._can_adopt(rs)
            )
            counts = self.count_pods(rs, claimed)
        else:  # read now: this sync's own creations and deletions reach the counters as they happen
            counts = self.read_counts(rs, owned)
        current = counts[0]
        action, error = None, None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                if owned is None:
                    action = self.manage_replicas(claimed, rs)
                else:  # the Pods themselves are read only if a scale-down has to rank them
                    action = self._manage(current, rs, lambda: self._pods(owned))
            except (ApiError, Unreachable) as err:
                error = err
        new_status = self._status(rs, *counts, error)
        updated = self._update_status(rs, new_status)
        desired = rs["spec"].get("replicas", 1)
        if error is not None:
            raise error
        min_ready = updated["spec"].get("minReadySeconds") or 0
        st = updated.get("status") or {}
        if min_ready and st.get("readyReplicas", 0) == desired and st.get("availableReplicas", 0) != desired:
            self.queue.add_after(key, min_ready + 1)
        head = f"desired {desired}, current {current}"
        if notes:
            head += f" ({', '.join(notes)})"
        if action:
            return f"{head}: {action}"
        if not needs_sync:
            adds, dels = self.expectations.pending(key)
            return (
                f"{head}: waiting for the informer to observe {adds} creation(s) and {dels} deletion(s) "
                "(expectations) before acting again"
            )
        verb = "wrote status" if updated is not rs else "status already says"
        return (
            f"{head}: nothing to do; {verb} replicas={st.get('replicas', 0)} "
            f"ready={st.get('readyReplicas', 0)} "
            f"available={st.get('availableReplicas', 0)}"
        )

    def _claimed_without_changes(self, rs: dict, selector: Selector) -> OwnedPods | None:
        """The ReplicaSet's active Pods when claiming them would change nothing, else None.

        ``claim_objects`` keeps every owned Pod its selector matches, releases the others and
        adopts matching orphans.  If every label set among the owned Pods matches and none among
        the namespace's active orphans does, it would neither adopt nor release: the claimed Pods
        are exactly the owned ones, and their counters stand for them.
        """
        md = rs["metadata"]
        owned = self.pod_counts.owned(md["namespace"], md["uid"])
        if not all(selector.matches(labels) for labels in owned.labels()):
            return None
        if any(selector.matches(labels) for labels in self.pod_counts.orphans(md["namespace"]).labels()):
            return None
        return owned

    def _pods(self, owned: OwnedPods) -> list[dict]:
        """The Pods behind a record, in key order as ``pods_by_owner`` lists them."""
        store = self.pod_informer.store
        return [store[k] for k in sorted(owned.keys)]

    def _can_adopt(self, rs: dict) -> bool:
        """Re-read the ReplicaSet from the API server: never adopt for an owner that is being deleted."""
        fresh = self.client.get("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"])
        return fresh["metadata"]["uid"] == rs["metadata"]["uid"] and not fresh["metadata"].get(
            "deletionTimestamp"
        )

    def manage_replicas(self, pods: list[dict], rs: dict) -> str | None:
        """Create or delete Pods to reach ``spec.replicas``; return what was done (None: nothing)."""
        return self._manage(len(pods), rs, lambda: pods)

    def _manage(self, current: int, rs: dict, pods: Callable[[], list[dict]]) -> str | None:
        """``manage_replicas`` for ``current`` claimed Pods, read through ``pods()`` only to delete some."""
        key = object_key(rs)
        diff = current - rs["spec"].get("replicas", 1)
        if diff < 0:
            want = min(-diff, self.burst_replicas)
            self.expectations.expect_creations(key, want)
            created: list[str] = []

            def create() -> None:
                created.append(self.pod_control.create_pod(rs["spec"]["template"], rs)["metadata"]["name"])

            ok, batches, err = slow_start_batch(want, SLOW_START_INITIAL_BATCH_SIZE, create)
            for _ in range(want - ok):
                self.expectations.creation_observed(key)  # never coming: do not wait for them
            if err is not None:
                raise err
            sizes = ", ".join(str(b) for b in batches)
            return (
                f"created {', '.join(created)} "
                f"({'batch of' if len(batches) == 1 else 'slow-start batches'} {sizes})"
            )
        if diff > 0:
            diff = min(diff, self.burst_replicas)
            victims = self.pods_to_delete(pods(), rs, diff)
            self.expectations.expect_deletions(key, [object_key(p) for p in victims])
            deleted, first_error = [], None
            for pod in victims:
                try:
                    self.pod_control.delete_pod(pod["metadata"]["namespace"], pod["metadata"]["name"], rs)
                    deleted.append(pod["metadata"]["name"])
                except (ApiError, Unreachable) as err:
                    self.expectations.deletion_observed(key, object_key(pod))
                    if not (isinstance(err, ApiError) and err.code == 404):
                        first_error = first_error or err
            if first_error is not None:
                raise first_error
            return f"deleted {', '.join(deleted)}"
        return None

    def pods_to_delete(self, pods: list[dict], rs: dict, diff: int) -> list[dict]:
        """The ``diff`` Pods that matter least, ranking doubled-up Pods by their ReplicaSet siblings."""
        if diff >= len(pods):
            return list(pods)
        related = self._related_pods(rs)
        on_node: dict[str, int] = {}
        for p in related:
            if is_pod_active(p) and p["spec"].get("nodeName"):
                on_node[p["spec"]["nodeName"]] = on_node.get(p["spec"]["nodeName"], 0) + 1
        ranks = {p["metadata"]["name"]: on_node.get(p["spec"].get("nodeName") or "", 0) for p in pods}
        return rank_pods_for_deletion(pods, ranks, self.clock.now)[:diff]

    def _related_pods(self, rs: dict) -> list[dict]:
        """Pods of every ReplicaSet with the same controlling owner (a Deployment's other revisions)."""
        owner = controller_of(rs)
        ns = rs["metadata"]["namespace"]
        sets = [rs]
        if owner is not None:
            sets = [
                r
                for r in self.rs_informer.list()
                if r["metadata"]["namespace"] == ns
                and (controller_of(r) or {}).get("uid") == owner.get("uid")
            ]
        return [p for r in sets for p in pods_by_owner(self.pod_informer, r, include_orphans=False)]

    def calculate_status(self, rs: dict, pods: list[dict], error: Exception | None) -> dict:
        """The status the ReplicaSet should have, from the Pods it owns (upstream's listing way)."""
        return self._status(rs, *self.count_pods(rs, pods), error)

    def count_pods(self, rs: dict, pods: list[dict]) -> tuple[int, int, int, int]:
        """Replicas, fully labeled, ready and available among ``pods``, checking each Pod."""
        template_selector = self._template_selector(rs)
        min_ready = rs["spec"].get("minReadySeconds") or 0
        now = self.clock.now
        return (
            len(pods),
            sum(1 for p in pods if template_selector.matches(p["metadata"].get("labels"))),
            sum(1 for p in pods if is_pod_ready(p)),
            sum(1 for p in pods if is_pod_available(p, min_ready, now)),
        )

    def read_counts(self, rs: dict, owned: OwnedPods) -> tuple[int, int, int, int]:
        """What ``count_pods`` gives for the owned Pods, read from their counters."""
        min_ready = rs["spec"].get("minReadySeconds") or 0
        return (
            len(owned),
            owned.count_labeled(self._template_selector(rs)),
            len(owned.ready),
            owned.count_available(min_ready, self.clock.now),
        )

    def _template_selector(self, rs: dict) -> Selector:
        """Matches Pods that carry every label of the template (``fullyLabeledReplicas``).

        Parsed once per version of the template's labels, not once per sync.
        """
        template_labels = (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
        key = object_key(rs)
        kept = self._template_selectors.get(key)
        if kept is None or kept[0] != template_labels:
            selector = parse_selector(",".join(f"{k}={v}" for k, v in sorted(template_labels.items())))
            kept = self._template_selectors[key] = (template_labels, selector)
        return kept[1]

    def _status(
        self, rs: dict, replicas: int, fully_labeled: int, ready: int, available: int, error: Exception | None
    ) -> dict:
        status = dict(rs.get("status") or {})  # its conditions get a new list below, never changed
        status["replicas"] = replicas
        status["fullyLabeledReplicas"] = fully_labeled
        status["readyReplicas"] = ready
        status["availableReplicas"] = available
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[field]:
                del status[field]  # omitempty, as the real API serialises them
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        if error is not None:
            reason = "FailedCreate" if replicas < rs["spec"].get("replicas", 1) else "FailedDelete"
            failure = failure or {
                "type": "ReplicaFailure",
                "status": "True",
                "lastTransitionTime": self.host.timestamp(),
                "reason": reason,
                "message": str(error),
            }
            conditions.append(failure)
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        return status

    def _update_status(self, rs: dict, status: dict) -> dict:
        generation = rs["metadata"].get("generation", 1)
        current = rs.get("status") or {}
        if status == current and current.get("observedGeneration") == generation:
            return rs
        status["observedGeneration"] = generation
        # The rest of the body is the cached ReplicaSet's own (never changed): the API server decodes a new
        # object from it and finds the fields the status subresource cannot change by identity.
        return self.client.update_status({**rs, "status": status})
