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

This module also holds the helpers kube-controller-manager's workload
controllers share (in Kubernetes they live in ``pkg/controller/controller_utils.go``
and ``ref_manager.go``): expectations, ``slow_start_batch``, the Pod control
that creates/deletes Pods and records Events, controller-ref claiming, and
Pod readiness.

Simplified: creations within a batch run one after another (the real
controller runs a batch in parallel goroutines); burstReplicas is 500 as in
kube-controller-manager; a failed status update is retried by the queue
instead of by an immediate GET-and-retry.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..labels import Selector, parse_selector, selector_from_spec
from ..objects import condition, controller_of, deep_copy, owner_reference, parse_timestamp
from ..resources import object_key

if TYPE_CHECKING:
    from ..apiserver import Client
    from ..clock import Clock

__all__ = [
    "BURST_REPLICAS",
    "EXPECTATIONS_TIMEOUT",
    "SLOW_START_INITIAL_BATCH_SIZE",
    "ControllerExpectations",
    "PodControl",
    "ReplicaSetController",
    "claim_objects",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "rank_pods_for_deletion",
    "slow_start_batch",
]

#: kube-controller-manager's ``--concurrent-…`` sibling: at most this many creations/deletions per sync.
BURST_REPLICAS = 500
#: ``controller.SlowStartInitialBatchSize``: the first batch of creations has one Pod.
SLOW_START_INITIAL_BATCH_SIZE = 1
#: ``controller.ExpectationsTimeout``: unmet expectations are ignored after five minutes.
EXPECTATIONS_TIMEOUT = 300.0
POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"


# --- pod helpers (k8s.io/kubernetes/pkg/api/v1/pod) ------------------------------------------------

def is_pod_ready(pod: dict) -> bool:
    c = condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def is_pod_available(pod: dict, min_ready_seconds: int, now: float) -> bool:
    """Ready, and ready for longer than ``minReadySeconds`` (``podutil.IsPodAvailable``)."""
    if not is_pod_ready(pod):
        return False
    if not min_ready_seconds:
        return True
    ltt = (condition(pod, "Ready") or {}).get("lastTransitionTime")
    return bool(ltt) and parse_timestamp(ltt) + min_ready_seconds < now


def is_pod_active(pod: dict) -> bool:
    """Counts towards replicas: not Succeeded, not Failed, not being deleted (``FilterActivePods``)."""
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and \
        not pod["metadata"].get("deletionTimestamp")


#: ``controller.PodControllerUIDIndex``: the pod informer's index of Pods by their controller's UID,
#: with orphans under one key, so a sync reads its own Pods instead of the whole namespace.
POD_CONTROLLER_UID_INDEX = "podControllerUID"
ORPHAN_POD_INDEX_KEY = "_ORPHAN_POD"


def pod_controller_uid_index(pod: dict) -> list[str]:
    ref = controller_of(pod)
    return [ref["uid"]] if ref is not None and ref.get("uid") else [ORPHAN_POD_INDEX_KEY]


def pods_by_owner(pod_informer: Any, owner: dict, include_orphans: bool) -> list[dict]:
    """``controller.FilterPodsByOwner``: the owner's Pods (and its namespace's orphans), in key order."""
    md = owner["metadata"]
    pods = pod_informer.by_index(POD_CONTROLLER_UID_INDEX, md["uid"])
    if include_orphans:
        pods += pod_informer.by_index(POD_CONTROLLER_UID_INDEX, ORPHAN_POD_INDEX_KEY)
        pods.sort(key=object_key)
    return [p for p in pods if p["metadata"]["namespace"] == md["namespace"]]


# --- expectations ----------------------------------------------------------------------------------

class ControllerExpectations:
    """How many creations and which deletions a controller still waits to *see* in its informer.

    The informer's cache lags behind the controller's own writes in a real
    cluster; without expectations a second sync would count the Pods again
    and create duplicates.  ``satisfied`` is True once every expected event
    was observed, or the record is older than five minutes.
    """

    def __init__(self, clock: Clock):
        self.clock = clock
        self._records: dict[str, dict[str, Any]] = {}

    def set_expectations(self, key: str, adds: int, pod_keys: list[str]) -> None:
        self._records[key] = {"add": adds, "del": set(pod_keys), "at": self.clock.now}

    def expect_creations(self, key: str, adds: int) -> None:
        self.set_expectations(key, adds, [])

    def expect_deletions(self, key: str, pod_keys: list[str]) -> None:
        self.set_expectations(key, 0, pod_keys)

    def creation_observed(self, key: str) -> None:
        rec = self._records.get(key)
        if rec is not None and rec["add"] > 0:
            rec["add"] -= 1

    def deletion_observed(self, key: str, pod_key: str) -> None:
        rec = self._records.get(key)
        if rec is not None:
            rec["del"].discard(pod_key)

    def satisfied(self, key: str) -> bool:
        rec = self._records.get(key)
        if rec is None:
            return True
        if rec["add"] <= 0 and not rec["del"]:
            return True
        return self.clock.now - rec["at"] > EXPECTATIONS_TIMEOUT

    def pending(self, key: str) -> tuple[int, int]:
        rec = self._records.get(key)
        return (0, 0) if rec is None else (max(rec["add"], 0), len(rec["del"]))

    def delete(self, key: str) -> None:
        self._records.pop(key, None)


# --- slow start --------------------------------------------------------------------------------------

def slow_start_batch(count: int, initial_batch_size: int, fn: Callable[[], Any]) -> tuple[int, list[int], Exception | None]:
    """Call ``fn`` ``count`` times in batches of 1, 2, 4, …; stop after the first batch with an error.

    Returns ``(successes, batch sizes attempted, first error)`` — the real
    ``slowStartBatch`` returns the first two without the sizes.
    """
    remaining, successes, batches = count, 0, []
    batch = min(remaining, initial_batch_size)
    while batch > 0:
        batches.append(batch)
        error: Exception | None = None
        for _ in range(batch):
            try:
                fn()
                successes += 1
            except (ApiError, Unreachable) as err:
                error = error or err
        if error is not None:
            return successes, batches, error
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, batches, None


# --- pod control -------------------------------------------------------------------------------------

class PodControl:
    """``controller.RealPodControl``: create Pods from a template, delete them, record the Events."""

    def __init__(self, client: Client):
        self.client = client

    @staticmethod
    def pod_from_template(template: dict, owner: dict) -> dict:
        """What ``GetPodFromTemplate`` builds: labels, annotations, finalizers and spec from the template."""
        tmeta = template.get("metadata") or {}
        md: dict[str, Any] = {"generateName": f"{owner['metadata']['name']}-",
                              "namespace": owner["metadata"]["namespace"],
                              "labels": dict(tmeta.get("labels") or {})}
        if tmeta.get("annotations"):
            md["annotations"] = dict(tmeta["annotations"])
        if tmeta.get("finalizers"):
            md["finalizers"] = list(tmeta["finalizers"])
        md["ownerReferences"] = [owner_reference(owner)]
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": deep_copy(template.get("spec") or {})}

    def create_pod(self, template: dict, owner: dict) -> dict:
        pod = self.pod_from_template(template, owner)
        if not pod["metadata"]["labels"]:
            raise ApiError(400, "BadRequest", "unable to create pods, no labels")
        try:
            created = self.client.create(pod)
        except ApiError as err:
            self.client.event(owner, "Warning", "FailedCreate", f"Error creating: {err}")
            raise
        self.client.event(owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")
        return created

    def delete_pod(self, namespace: str, name: str, owner: dict) -> None:
        try:
            self.client.delete("pods", name, namespace)
        except ApiError as err:
            if err.code != 404:
                self.client.event(owner, "Warning", "FailedDelete", f"Error deleting: {err}")
            raise
        self.client.event(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")


# --- controller references (ref_manager.go) ---------------------------------------------------------

def claim_objects(client: Client, owner: dict, selector: Selector, objects: list[dict], resource: str,
                  can_adopt: Callable[[], bool] | None = None) -> tuple[list[dict], list[str]]:
    """``ClaimObject`` for each object: keep ours, adopt matching orphans, release non-matching ones.

    Returns the claimed objects and a list of ``adopted x`` / ``released x`` notes.
    Adopting and releasing are strategic merge patches on ``metadata.ownerReferences``,
    as the real ``ControllerRefManager`` sends them.
    """
    uid = owner["metadata"]["uid"]
    owner_deleting = bool(owner["metadata"].get("deletionTimestamp"))
    claimed, notes = [], []
    adoption_ok: bool | None = None
    for obj in objects:
        md = obj["metadata"]
        ref = controller_of(obj)
        matches = selector.matches(md.get("labels"))
        if ref is not None:
            if ref.get("uid") != uid:
                continue  # another controller's
            if matches:
                claimed.append(obj)
            elif not owner_deleting:
                patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}], "uid": md["uid"]}}
                try:
                    client.patch(resource, md["name"], patch, namespace=md.get("namespace"), patch_type="strategic")
                    notes.append(f"released {md['name']}")
                except ApiError as err:
                    if err.code != 404:
                        raise
            continue
        if owner_deleting or not matches or md.get("deletionTimestamp"):
            continue
        if adoption_ok is None:
            adoption_ok = can_adopt() if can_adopt else True
        if not adoption_ok:
            continue
        patch = {"metadata": {"ownerReferences": [owner_reference(owner)], "uid": md["uid"]}}
        try:
            adopted = client.patch(resource, md["name"], patch, namespace=md.get("namespace"), patch_type="strategic")
        except ApiError as err:
            if err.code == 404:
                continue
            raise
        claimed.append(adopted)
        notes.append(f"adopted {md['name']}")
    return claimed, notes


def resolve_controller_ref(informer: Any, namespace: str, ref: dict | None, kind: str) -> dict | None:
    """The owner a controllerRef points to, if it is of ``kind`` and its uid still matches."""
    if ref is None or ref.get("kind") != kind:
        return None
    obj = informer.get(f"{namespace}/{ref.get('name')}")
    if obj is None or obj["metadata"].get("uid") != ref.get("uid"):
        return None
    return obj


# --- which pods to delete first (controller.ActivePodsWithRanks) -------------------------------------

_PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


def _log_rank(when: float, now: float) -> int:
    d = (now - when) * 1e9  # Go durations are nanoseconds
    return int(math.log2(d)) if d > 0 else -1


def _max_restarts(pod: dict) -> int:
    return max((c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or []),
               default=0)


def _deletion_cost(pod: dict) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST, 0))
    except ValueError:
        return 0


def rank_pods_for_deletion(pods: list[dict], ranks: dict[str, int], now: float) -> list[dict]:
    """Sort Pods so the ones to delete first come first, as ``ActivePodsWithRanks.Less``.

    ``ranks`` counts, per Pod name, the related Pods on its node (doubled-up Pods go first).
    LogarithmicScaleDown (on by default since 1.22) compares ready and creation
    times by powers of two of their age, and breaks ties by UID.
    """
    def less(a: dict, b: dict) -> int:
        sa, sb = a["spec"].get("nodeName") or "", b["spec"].get("nodeName") or ""
        if sa != sb and (not sa or not sb):                                    # 1. unassigned first
            return -1 if not sa else 1
        pa, pb = (_PHASE_ORDINAL.get((p.get("status") or {}).get("phase"), 0) for p in (a, b))
        if pa != pb:                                                           # 2. Pending < Unknown < Running
            return -1 if pa < pb else 1
        ra, rb = is_pod_ready(a), is_pod_ready(b)
        if ra != rb:                                                           # 3. not ready first
            return -1 if not ra else 1
        ca, cb = _deletion_cost(a), _deletion_cost(b)
        if ca != cb:                                                           # 4. lower deletion cost first
            return -1 if ca < cb else 1
        ka, kb = ranks.get(a["metadata"]["name"], 0), ranks.get(b["metadata"]["name"], 0)
        if ka != kb:                                                           # 5. doubled up first
            return -1 if ka > kb else 1
        if ra and rb:                                                          # 6. ready for less time first
            ta = parse_timestamp((condition(a, "Ready") or {}).get("lastTransitionTime") or "2025-01-01T09:00:00Z")
            tb = parse_timestamp((condition(b, "Ready") or {}).get("lastTransitionTime") or "2025-01-01T09:00:00Z")
            if ta != tb:
                diff = _log_rank(ta, now) - _log_rank(tb, now)
                if diff != 0:
                    return -1 if diff < 0 else 1
                return -1 if a["metadata"]["uid"] < b["metadata"]["uid"] else 1
        xa, xb = _max_restarts(a), _max_restarts(b)
        if xa != xb:                                                           # 7. more restarts first
            return -1 if xa > xb else 1
        ta = parse_timestamp(a["metadata"]["creationTimestamp"])
        tb = parse_timestamp(b["metadata"]["creationTimestamp"])
        if ta != tb:                                                           # 8. newer first
            diff = _log_rank(ta, now) - _log_rank(tb, now)
            if diff != 0:
                return -1 if diff < 0 else 1
            return -1 if a["metadata"]["uid"] < b["metadata"]["uid"] else 1
        return 0

    return sorted(pods, key=cmp_to_key(less))


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
        self.expectations = ControllerExpectations(self.clock)
        self.pod_control = PodControl(self.client)
        self.burst_replicas = BURST_REPLICAS
        self.rs_informer.add_event_handler(ResourceEventHandler(
            on_add=self.enqueue, on_update=lambda old, new: self.enqueue(new), on_delete=self._delete_rs))
        self.pod_informer.add_event_handler(ResourceEventHandler(
            on_add=self._add_pod, on_update=self._update_pod, on_delete=self._delete_pod))

    # --- informer handlers: bookkeeping and enqueue, nothing else --------------------------------

    def _delete_rs(self, rs: dict) -> None:
        self.expectations.delete(object_key(rs))
        self.enqueue(rs)

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller_ref(self.rs_informer, pod["metadata"]["namespace"], controller_of(pod),
                                      "ReplicaSet")

    def _matching_sets(self, pod: dict) -> list[dict]:
        """ReplicaSets whose selector matches an orphan Pod (candidates to adopt it)."""
        ns, labels = pod["metadata"]["namespace"], pod["metadata"].get("labels")
        return [rs for rs in self.rs_informer.list() if rs["metadata"]["namespace"] == ns
                and selector_from_spec(rs["spec"].get("selector")).matches(labels)]

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
        active = [p for p in pods_by_owner(self.pod_informer, rs, include_orphans=True) if is_pod_active(p)]
        pods, notes = claim_objects(self.client, rs, selector, active, "pods", lambda: self._can_adopt(rs))
        action, error = None, None
        if needs_sync and not rs["metadata"].get("deletionTimestamp"):
            try:
                action = self.manage_replicas(pods, rs)
            except (ApiError, Unreachable) as err:
                error = err
        new_status = self.calculate_status(rs, pods, error)
        updated = self._update_status(rs, new_status)
        desired = rs["spec"].get("replicas", 1)
        if error is not None:
            raise error
        min_ready = updated["spec"].get("minReadySeconds") or 0
        st = updated.get("status") or {}
        if min_ready and st.get("readyReplicas", 0) == desired and st.get("availableReplicas", 0) != desired:
            self.queue.add_after(key, min_ready + 1)
        head = f"desired {desired}, current {len(pods)}"
        if notes:
            head += f" ({', '.join(notes)})"
        if action:
            return f"{head}: {action}"
        if not needs_sync:
            adds, dels = self.expectations.pending(key)
            return (f"{head}: waiting for the informer to observe {adds} creation(s) and {dels} deletion(s) "
                    "(expectations) before acting again")
        verb = "wrote status" if updated is not rs else "status already says"
        return (f"{head}: nothing to do; {verb} replicas={st.get('replicas', 0)} ready={st.get('readyReplicas', 0)} "
                f"available={st.get('availableReplicas', 0)}")

    def _can_adopt(self, rs: dict) -> bool:
        """Re-read the ReplicaSet from the API server: never adopt for an owner that is being deleted."""
        fresh = self.client.get("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"])
        return fresh["metadata"]["uid"] == rs["metadata"]["uid"] and not fresh["metadata"].get("deletionTimestamp")

    def manage_replicas(self, pods: list[dict], rs: dict) -> str | None:
        """Create or delete Pods to reach ``spec.replicas``; return what was done (None: nothing)."""
        key = object_key(rs)
        diff = len(pods) - rs["spec"].get("replicas", 1)
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
            return f"created {', '.join(created)} ({'batch of' if len(batches) == 1 else 'slow-start batches'} {sizes})"
        if diff > 0:
            diff = min(diff, self.burst_replicas)
            victims = self.pods_to_delete(pods, rs, diff)
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
            sets = [r for r in self.rs_informer.list() if r["metadata"]["namespace"] == ns
                    and (controller_of(r) or {}).get("uid") == owner.get("uid")]
        return [p for r in sets for p in pods_by_owner(self.pod_informer, r, include_orphans=False)]

    def calculate_status(self, rs: dict, pods: list[dict], error: Exception | None) -> dict:
        """The status the ReplicaSet should have, from the Pods it owns."""
        status = deep_copy(rs.get("status") or {})
        template_labels = (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
        template_selector = parse_selector(",".join(f"{k}={v}" for k, v in sorted(template_labels.items())))
        min_ready = rs["spec"].get("minReadySeconds") or 0
        now = self.clock.now
        status["replicas"] = len(pods)
        status["fullyLabeledReplicas"] = sum(1 for p in pods if template_selector.matches(p["metadata"].get("labels")))
        status["readyReplicas"] = sum(1 for p in pods if is_pod_ready(p))
        status["availableReplicas"] = sum(1 for p in pods if is_pod_available(p, min_ready, now))
        for field in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[field]:
                del status[field]  # omitempty, as the real API serialises them
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "ReplicaFailure"]
        failure = next((c for c in status.get("conditions") or [] if c.get("type") == "ReplicaFailure"), None)
        if error is not None:
            reason = "FailedCreate" if len(pods) < rs["spec"].get("replicas", 1) else "FailedDelete"
            failure = failure or {"type": "ReplicaFailure", "status": "True",
                                  "lastTransitionTime": self.cluster.timestamp(), "reason": reason,
                                  "message": str(error)}
            conditions.append(failure)
        if conditions:
            status["conditions"] = conditions
        else:
            status.pop("conditions", None)
        return status

    def _update_status(self, rs: dict, status: dict) -> dict:
        generation = rs["metadata"].get("generation", 1)
        if status == (rs.get("status") or {}) and (rs.get("status") or {}).get("observedGeneration") == generation:
            return rs
        status["observedGeneration"] = generation
        copy = deep_copy(rs)
        copy["status"] = status
        return self.client.update_status(copy)
