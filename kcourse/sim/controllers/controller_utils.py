"""Helpers the workload controllers share, as upstream's ``pkg/controller/controller_utils.go``.

The ReplicaSet, Deployment and DaemonSet controllers (and any workload controller
added next to them) create and delete Pods the same way, wait for their own writes
the same way and claim what their selector matches the same way, so a learner reads
each once here, next to upstream's file:

* Pod state (``pkg/api/v1/pod``): ready, available, active;
* the Pod informer's index by controller UID and ``pods_by_owner`` (``FilterPodsByOwner``);
* ``ControllerExpectations``: the creations and deletions a controller still waits to
  see in its cache, so a stale cache never makes it act twice;
* ``slow_start_batch``: creations in batches of 1, 2, 4 … that stop at the first error;
* ``PodControl`` (``RealPodControl``): create Pods from a template, delete them, record Events;
* ``claim_objects`` and ``resolve_controller_ref`` (``ref_manager.go``): adopt matching
  orphans, release what no longer matches, follow a controllerRef back to its owner;
* ``rank_pods_for_deletion`` (``ActivePodsWithRanks``): which Pods a scale-down deletes first;
* ``ActivePodCounts``: per owner, the active Pods' counts a status needs, kept from the Pod
  informer's events so a sync reads counters instead of listing and re-checking every Pod.

Simplified: expectations are one record per controller key (upstream keeps add and delete
counters under a TTL store); a batch runs its creations one after another.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cmp_to_key
from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..labels import Selector
from ..objects import condition, controller_of, owner_reference, parse_timestamp
from ..resources import object_key

if TYPE_CHECKING:
    from ..apiserver import Client
    from ..clock import Clock

__all__ = [
    "EXPECTATIONS_TIMEOUT",
    "ORPHAN_POD_INDEX_KEY",
    "POD_CONTROLLER_UID_INDEX",
    "POD_DELETION_COST",
    "SLOW_START_INITIAL_BATCH_SIZE",
    "ActivePodCounts",
    "ControllerExpectations",
    "OwnedPods",
    "PodControl",
    "claim_objects",
    "is_pod_active",
    "is_pod_available",
    "is_pod_ready",
    "pod_controller_uid_index",
    "pods_by_owner",
    "rank_pods_for_deletion",
    "resolve_controller_ref",
    "slow_start_batch",
]

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
    return (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed") and not pod["metadata"].get(
        "deletionTimestamp"
    )


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


# --- counters of active pods per owner ------------------------------------------------------------


class OwnedPods:
    """The active Pods of one owner (or a namespace's orphans): their keys, the ready ones, their label sets.

    ``ready`` maps each ready Pod's key to its Ready condition's ``lastTransitionTime`` ("" if it has
    none); ``label_sets`` maps each distinct set of labels (its sorted items) to
    ``[how many Pods carry it, the labels, that key]``.  A ReplicaSet's Pods come from one template, so
    there is usually a single label set.  ``owner`` is the ``(namespace, owner UID)`` it is kept under.
    """

    __slots__ = ("keys", "label_sets", "owner", "ready")

    def __init__(self, owner: tuple[str, str | None] = ("", None)) -> None:
        self.owner = owner
        self.keys: set[str] = set()
        self.ready: dict[str, str] = {}
        self.label_sets: dict[tuple[tuple[str, str], ...], list[Any]] = {}

    def __len__(self) -> int:
        return len(self.keys)

    def labels(self) -> list[dict | None]:
        """One representative labels mapping per distinct label set."""
        return [entry[1] for entry in self.label_sets.values()]

    def count_labeled(self, selector: Selector) -> int:
        """How many of these Pods carry labels the selector matches."""
        return sum(entry[0] for entry in self.label_sets.values() if selector.matches(entry[1]))

    def count_available(self, min_ready_seconds: int, now: float) -> int:
        """``is_pod_available`` over these Pods, from the Ready times recorded when they changed."""
        if not min_ready_seconds:
            return len(self.ready)
        return sum(1 for ltt in self.ready.values() if ltt and parse_timestamp(ltt) + min_ready_seconds < now)


_NO_PODS = OwnedPods()


class ActivePodCounts:
    """Per owner UID, the active Pods a workload controller's status counts, kept from Pod events.

    Upstream's ``calculateStatus`` lists the owner's Pods on every sync and checks each one
    (labels, the Ready condition, how long it has been ready).  Here every add, update and
    delete the Pod informer delivers moves that one Pod between per-owner records, so a sync
    reads the counts in time proportional to its owner's label sets, not to its Pods.

    It gives the same answer as listing because the informer calls its handlers synchronously
    right after it changes its cache, and a sync only runs between deliveries: the records
    always describe exactly the Pods in the cache, classified by the same functions
    (``is_pod_active``, ``controller_of``, ``is_pod_ready``).  What depends on the owner rather
    than on the Pod (its selector, its template's labels, ``minReadySeconds`` and the clock) is
    applied when the counts are read, to the distinct label sets and the recorded Ready times.

    Simplified: Pods whose controllerRef has no UID are not recorded (no claim ever takes them);
    availability with ``minReadySeconds`` is still a pass over the owner's ready Pods.
    """

    def __init__(self, pod_informer: Any):
        self._groups: dict[tuple[str, str | None], OwnedPods] = {}
        #: Per Pod key: its owner's record and its label set's entry there (one entry for every Pod of a
        #: template: nothing per Pod but this pair).
        self._where: dict[str, tuple[OwnedPods, list[Any]]] = {}
        pod_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self._observe, on_update=lambda _old, new: self._observe(new), on_delete=self._forget
            )
        )

    def owned(self, namespace: str, uid: str) -> OwnedPods:
        """The active Pods in ``namespace`` whose controllerRef carries ``uid``."""
        return self._groups.get((namespace, uid), _NO_PODS)

    def orphans(self, namespace: str) -> OwnedPods:
        """The active Pods in ``namespace`` with no controllerRef: candidates for adoption."""
        return self._groups.get((namespace, None), _NO_PODS)

    def _observe(self, pod: dict) -> None:
        md = pod["metadata"]
        key = f"{md.get('namespace')}/{md.get('name')}"
        try:
            self._place(key, md, pod)
        except Exception:  # an object it cannot read is not counted (the informer reports the error)
            self._remove(key)
            raise

    def _place(self, key: str, md: Any, pod: dict) -> None:
        """Record ``pod`` under its owner, label set and readiness, moving it only if one of them changed."""
        if not is_pod_active(pod):
            self._remove(key)
            return
        ref = controller_of(pod)
        owner = None if ref is None else ref.get("uid")
        if ref is not None and not owner:
            self._remove(key)
            return
        labels = md.get("labels")
        group_key = (md.get("namespace"), owner)
        where = self._where.get(key)
        if (
            where is not None
            and where[0].owner == group_key
            and (where[1][1] is labels or where[1][1] == labels)
        ):
            # Most updates are a status change: the Pod stays where it is; only its readiness may move.
            group = where[0]
        else:
            self._remove(key)
            label_key = tuple(sorted(labels.items())) if labels else ()
            found = self._groups.get(group_key)
            if found is None:
                found = self._groups[group_key] = OwnedPods(group_key)
            group = found
            group.keys.add(key)
            entry = group.label_sets.get(label_key)
            if entry is None:
                entry = group.label_sets[label_key] = [0, labels, label_key]
            entry[0] += 1
            self._where[key] = (group, entry)
        ready = condition(pod, "Ready")
        if ready is not None and ready.get("status") == "True":  # is_pod_ready
            group.ready[key] = ready.get("lastTransitionTime") or ""
        else:
            group.ready.pop(key, None)

    def _forget(self, pod: dict) -> None:
        md = pod["metadata"]
        self._remove(f"{md.get('namespace')}/{md.get('name')}")

    def _remove(self, key: str) -> None:
        where = self._where.pop(key, None)
        if where is None:
            return
        group, entry = where
        group.keys.discard(key)
        group.ready.pop(key, None)
        entry[0] -= 1
        if not entry[0]:
            del group.label_sets[entry[2]]
        if not group.keys:
            del self._groups[group.owner]


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


def slow_start_batch(
    count: int, initial_batch_size: int, fn: Callable[[], Any]
) -> tuple[int, list[int], Exception | None]:
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
        """What ``GetPodFromTemplate`` builds: labels, annotations, finalizers and spec from the template.

        The spec is the template's own, not a copy (upstream deep-copies it): the Pod is only a request
        body, which the API server decodes into its own new object, and nothing changes it on the way.
        """
        tmeta = template.get("metadata") or {}
        md: dict[str, Any] = {
            "generateName": f"{owner['metadata']['name']}-",
            "namespace": owner["metadata"]["namespace"],
            "labels": dict(tmeta.get("labels") or {}),
        }
        if tmeta.get("annotations"):
            md["annotations"] = dict(tmeta["annotations"])
        if tmeta.get("finalizers"):
            md["finalizers"] = list(tmeta["finalizers"])
        md["ownerReferences"] = [owner_reference(owner)]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": md,
            "spec": template.get("spec") or {},
        }

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


def claim_objects(
    client: Client,
    owner: dict,
    selector: Selector,
    objects: list[dict],
    resource: str,
    can_adopt: Callable[[], bool] | None = None,
) -> tuple[list[dict], list[str]]:
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
                patch = {
                    "metadata": {"ownerReferences": [{"$patch": "delete", "uid": uid}], "uid": md["uid"]}
                }
                try:
                    client.patch(
                        resource, md["name"], patch, namespace=md.get("namespace"), patch_type="strategic"
                    )
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
            adopted = client.patch(
                resource, md["name"], patch, namespace=md.get("namespace"), patch_type="strategic"
            )
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

_PHASE_ORDINAL: dict[Any, int] = {"Pending": 0, "Unknown": 1, "Running": 2}


def _log_rank(when: float, now: float) -> int:
    d = (now - when) * 1e9  # Go durations are nanoseconds
    return int(math.log2(d)) if d > 0 else -1


def _max_restarts(pod: dict) -> int:
    return max(
        (c.get("restartCount", 0) for c in (pod.get("status") or {}).get("containerStatuses") or []),
        default=0,
    )


def _deletion_cost(pod: dict) -> int:
    try:
        return int((pod["metadata"].get("annotations") or {}).get(POD_DELETION_COST, 0))
    except ValueError:
        return 0


def _ready_since(pod: dict) -> float:
    ready = condition(pod, "Ready") or {}
    return parse_timestamp(ready.get("lastTransitionTime") or "2025-01-01T09:00:00Z")


def rank_pods_for_deletion(pods: list[dict], ranks: dict[str, int], now: float) -> list[dict]:
    """Sort Pods so the ones to delete first come first, as ``ActivePodsWithRanks.Less``.

    ``ranks`` counts, per Pod name, the related Pods on its node (doubled-up Pods go first).
    LogarithmicScaleDown (on by default since 1.22) compares ready and creation
    times by powers of two of their age, and breaks ties by UID.
    """

    def less(a: dict, b: dict) -> int:
        sa, sb = a["spec"].get("nodeName") or "", b["spec"].get("nodeName") or ""
        if sa != sb and (not sa or not sb):  # 1. unassigned first
            return -1 if not sa else 1
        pa, pb = (_PHASE_ORDINAL.get((p.get("status") or {}).get("phase"), 0) for p in (a, b))
        if pa != pb:  # 2. Pending < Unknown < Running
            return -1 if pa < pb else 1
        ra, rb = is_pod_ready(a), is_pod_ready(b)
        if ra != rb:  # 3. not ready first
            return -1 if not ra else 1
        ca, cb = _deletion_cost(a), _deletion_cost(b)
        if ca != cb:  # 4. lower deletion cost first
            return -1 if ca < cb else 1
        ka, kb = ranks.get(a["metadata"]["name"], 0), ranks.get(b["metadata"]["name"], 0)
        if ka != kb:  # 5. doubled up first
            return -1 if ka > kb else 1
        if ra and rb:  # 6. ready for less time first
            ta = _ready_since(a)
            tb = _ready_since(b)
            if ta != tb:
                diff = _log_rank(ta, now) - _log_rank(tb, now)
                if diff != 0:
                    return -1 if diff < 0 else 1
                return -1 if a["metadata"]["uid"] < b["metadata"]["uid"] else 1
        xa, xb = _max_restarts(a), _max_restarts(b)
        if xa != xb:  # 7. more restarts first
            return -1 if xa > xb else 1
        ta = parse_timestamp(a["metadata"]["creationTimestamp"])
        tb = parse_timestamp(b["metadata"]["creationTimestamp"])
        if ta != tb:  # 8. newer first
            diff = _log_rank(ta, now) - _log_rank(tb, now)
            if diff != 0:
                return -1 if diff < 0 else 1
            return -1 if a["metadata"]["uid"] < b["metadata"]["uid"] else 1
        return 0

    return sorted(pods, key=cmp_to_key(less))
