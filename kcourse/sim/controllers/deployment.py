"""The Deployment controller (``deployment-controller``): roll out Pod templates through ReplicaSets.

A Deployment never creates Pods.  It owns one ReplicaSet per version of its
Pod template, named ``<deployment>-<pod-template-hash>``, and only changes
their ``spec.replicas``; the ReplicaSet controller does the rest.

* The hash is upstream's ``ComputeHash``: FNV-32a over the template (plus
  ``status.collisionCount`` when set), its decimal value rendered with
  ``rand.SafeEncodeString``.  Go hashes a ``spew`` dump of the struct; we hash
  a canonical JSON rendering of the template (sorted keys, no spaces), so the
  letters differ from a real cluster's for the same template but behave alike.
  The label ``pod-template-hash`` is added to the new ReplicaSet's selector and
  template so that two revisions never fight over the same Pods.
* **RollingUpdate**: scale the new ReplicaSet up while the total stays within
  ``replicas + maxSurge`` (a percentage rounds up), and old ones down while at
  least ``replicas - maxUnavailable`` Pods stay available (a percentage rounds
  down); both zero means maxUnavailable 1.  **Recreate**: scale every old
  ReplicaSet to 0, wait for its Pods to be gone, then scale the new one up.
* A change of ``spec.replicas`` alone (a *scaling event*, seen through the
  ``deployment.kubernetes.io/desired-replicas`` annotation) is spread over the
  active ReplicaSets in proportion to their size, as upstream ``scale``.
* Revisions: ``deployment.kubernetes.io/revision`` on the Deployment and each
  ReplicaSet; old ReplicaSets beyond ``revisionHistoryLimit`` that have no
  Pods are deleted.
* Status: ``observedGeneration``, ``replicas``, ``updatedReplicas``,
  ``readyReplicas``, ``availableReplicas``, ``unavailableReplicas`` and the
  conditions ``Available`` and ``Progressing`` with upstream's reasons and
  messages — what ``kubectl rollout status`` reads.  A rollout that makes no
  progress for ``progressDeadlineSeconds`` gets ``ProgressDeadlineExceeded``.
* ``spec.paused``: only scaling is applied, no rollout.

Simplified: the Deployment's revision annotation is written with a plain
update before the status update (the real controller sends both in one
UpdateStatus, which keeps annotation changes); no ``rollbackTo`` (it does not
exist in apps/v1: ``kubectl rollout undo`` works client-side); no
``ReplicaFailure`` condition copied from ReplicaSets.  A rollout already
complete (``NewReplicaSetAvailable``) is not re-checked for its progress
deadline after a sync that changed nothing: upstream's
``requeueStuckDeployment`` re-queues it rate-limited after every such sync,
a loop of syncs that write nothing while a Pod is missing, though the
deadline cannot fire for it; a check due within a second comes one second
after the deadline instead of polling towards it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..apiserver import NAME_SUFFIX_ALPHABET
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..labels import selector_from_spec
from ..objects import controller_of, deep_copy, owner_reference, parse_timestamp, timestamp
from ..resources import object_key
from .controller_utils import (
    POD_CONTROLLER_UID_INDEX,
    claim_objects,
    pod_controller_uid_index,
    pods_by_owner,
    resolve_controller_ref,
)

__all__ = [
    "DESIRED_REPLICAS",
    "MAX_REPLICAS",
    "POD_TEMPLATE_HASH",
    "REVISION",
    "DeploymentController",
    "compute_hash",
    "max_surge",
    "max_unavailable",
    "resolve_fenceposts",
    "safe_encode_string",
    "scaled_value",
]

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
POD_TEMPLATE_HASH = "pod-template-hash"
_SKIP_ANNOTATIONS = {"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                     DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"}

# Condition reasons (pkg/controller/deployment/util/deployment_util.go).
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"


# --- hashing and arithmetic ---------------------------------------------------------------------------

def safe_encode_string(text: str) -> str:
    """``rand.SafeEncodeString``: each byte mapped onto consonants and digits that spell no words."""
    return "".join(NAME_SUFFIX_ALPHABET[b % len(NAME_SUFFIX_ALPHABET)] for b in text.encode())


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """``controller.ComputeHash`` of a Pod template (FNV-32a; canonical JSON stands in for Go's spew)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4)
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return safe_encode_string(str(h))


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: 2 stays 2; "25%" of 10 is 3 (up) or 2 (down).

    A value it cannot read fails with upstream's error text, which the sync returns (the
    key is retried with back-off).  Simplified: a string of digits without "%" is read as
    an integer, as this API server's validation lets it through.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")  # noqa: TRY004
    if not value.endswith("%"):
        if value.isascii() and value.isdigit() and len(value) < 19:
            return int(value)
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    digits = value[:-1]
    number = digits[1:] if digits[:1] in ("+", "-") else digits
    if not (number.isascii() and number.isdigit()):
        raise ValueError(f'invalid value for IntOrString: invalid value "{value}": '
                         f'strconv.Atoi: parsing "{digits}": invalid syntax')
    if len(number) > 19 or int(number) > 2**63 - 1:
        raise ValueError(f'invalid value for IntOrString: invalid value "{value}": '
                         f'strconv.Atoi: parsing "{digits}": value out of range')
    exact = int(digits) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(surge: Any, unavailable: Any, desired: int) -> tuple[int, int]:
    """maxSurge rounds up, maxUnavailable down; if both end up 0, one Pod may be unavailable."""
    s = scaled_value(surge if surge is not None else 0, desired, True)
    u = scaled_value(unavailable if unavailable is not None else 0, desired, False)
    if s == 0 and u == 0:
        u = 1
    return s, u


def _rolling(d: dict) -> dict | None:
    strategy = d["spec"].get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {"maxSurge": "25%", "maxUnavailable": "25%"}


def max_surge(d: dict) -> int:
    ru = _rolling(d)
    if ru is None:
        return 0
    return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), d["spec"].get("replicas", 1))[0]


def max_unavailable(d: dict) -> int:
    ru = _rolling(d)
    replicas = d["spec"].get("replicas", 1)
    if ru is None or replicas == 0:
        return 0
    return min(resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas)[1], replicas)


# --- replica set bookkeeping ------------------------------------------------------------------------

def _replicas(rs: dict | None) -> int:
    return 0 if rs is None else rs["spec"].get("replicas", 1)


def _status(rs: dict | None, field: str) -> int:
    return 0 if rs is None else (rs.get("status") or {}).get(field, 0)


def _revision(rs: dict) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def _created(rs: dict) -> tuple[float, str]:
    return parse_timestamp(rs["metadata"]["creationTimestamp"]), rs["metadata"]["name"]


def _int_annotation(rs: dict, name: str) -> int | None:
    try:
        return int((rs["metadata"].get("annotations") or {})[name])
    except (KeyError, ValueError):
        return None


def _without_hash(template: dict) -> dict:
    t = deep_copy(template)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return t


def equal_ignore_hash(a: dict, b: dict) -> bool:
    """Two templates are the same revision if they differ only in ``pod-template-hash``."""
    return _without_hash(a) == _without_hash(b)


def _active(rss: list[dict]) -> list[dict]:
    return [rs for rs in rss if rs is not None and _replicas(rs) > 0]


def _condition(status: dict, ctype: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == ctype), None)


class DeploymentController(Controller):
    """Rolls each Deployment's template out through its ReplicaSets."""

    name = "deployment-controller"
    max_retries = 15

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.d_informer = self.informer("deployments")
        self.rs_informer = self.informer("replicasets")
        self.pod_informer = self.informer("pods")
        # The controller-UID index serves ReplicaSets as it serves Pods: a sync reads its own and the orphans.
        if POD_CONTROLLER_UID_INDEX not in self.rs_informer.indexers:
            self.rs_informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        self.d_informer.add_event_handler(ResourceEventHandler(
            on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new), on_delete=self.enqueue))
        self.rs_informer.add_event_handler(ResourceEventHandler(
            on_add=self._add_rs, on_update=self._update_rs, on_delete=self._delete_rs))
        self.pod_informer.add_event_handler(ResourceEventHandler(on_delete=self._delete_pod))
        self._actions: list[str] = []

    # --- informer handlers -----------------------------------------------------------------------

    def _owner(self, rs: dict, ref: dict | None = None) -> dict | None:
        return resolve_controller_ref(self.d_informer, rs["metadata"]["namespace"],
                                      ref if ref is not None else controller_of(rs), "Deployment")

    def _matching(self, rs: dict) -> list[dict]:
        ns, labels = rs["metadata"]["namespace"], rs["metadata"].get("labels")
        return [d for d in self.d_informer.list() if d["metadata"]["namespace"] == ns
                and selector_from_spec(d["spec"].get("selector")).matches(labels)]

    def _add_rs(self, rs: dict) -> None:
        if rs["metadata"].get("deletionTimestamp"):
            self._delete_rs(rs)
            return
        if controller_of(rs) is not None:
            d = self._owner(rs)
            if d is not None:
                self.enqueue(d)
            return
        for d in self._matching(rs):
            self.enqueue(d)

    def _update_rs(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        old_ref, cur_ref = controller_of(old), controller_of(cur)
        if old_ref != cur_ref and old_ref is not None:
            d = self._owner(old, old_ref)
            if d is not None:
                self.enqueue(d)
        if cur_ref is not None:
            d = self._owner(cur)
            if d is not None:
                self.enqueue(d)
            return
        if old["metadata"].get("labels") != cur["metadata"].get("labels") or old_ref != cur_ref:
            for d in self._matching(cur):
                self.enqueue(d)

    def _delete_rs(self, rs: dict) -> None:
        d = self._owner(rs)
        if d is not None:
            self.enqueue(d)

    def _delete_pod(self, pod: dict) -> None:
        """A Recreate rollout waits for old Pods to be gone: their deletion may unblock it."""
        rs = resolve_controller_ref(self.rs_informer, pod["metadata"]["namespace"], controller_of(pod),
                                    "ReplicaSet")
        d = self._owner(rs) if rs is not None else None
        if d is not None and (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self.enqueue(d)

    # --- the sync --------------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        cached = self.d_informer.get(key)
        if cached is None:
            return f"Deployment {key} has been deleted"
        self._actions = []
        d = deep_copy(cached)  # never modify the cache: work on a copy, write it back through the API
        rs_list = self._replica_sets_for(d)
        if d["metadata"].get("deletionTimestamp"):
            d = self._sync(d, rs_list, status_only=True)
            return self._summary(d, "being deleted: status only")
        d = self._check_paused_conditions(d)
        if d["spec"].get("paused"):
            d = self._sync(d, rs_list)
            return self._summary(d, "paused: scaling only, no rollout")
        if self._is_scaling_event(d, rs_list):
            d = self._sync(d, rs_list)
            return self._summary(d, "scaling event")
        if (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            d = self._rollout_recreate(d, rs_list)
        else:
            d = self._rollout_rolling(d, rs_list)
        return self._summary(d)

    def _summary(self, d: dict, what: str = "") -> str:
        st = d.get("status") or {}
        desired = d["spec"].get("replicas", 1)
        done = "; ".join(self._actions) if self._actions else "nothing to change"
        prog = _condition(st, "Progressing")
        tail = f", Progressing={prog['reason']}" if prog else ""
        prefix = f"{what}: " if what else ""
        return (f"{prefix}{done} — {st.get('updatedReplicas', 0)}/{desired} updated, "
                f"{st.get('availableReplicas', 0)} available{tail}")

    def _replica_sets_for(self, d: dict) -> list[dict]:
        """Every ReplicaSet of the namespace this Deployment controls, adopting and releasing as needed."""
        ns = d["metadata"]["namespace"]
        # Ours and the orphans, in key order: another controller's ReplicaSets are never claimed anyway.
        candidates = pods_by_owner(self.rs_informer, d, include_orphans=True)

        def can_adopt() -> bool:
            fresh = self.client.get("deployments", d["metadata"]["name"], ns)
            return (fresh["metadata"]["uid"] == d["metadata"]["uid"]
                    and not fresh["metadata"].get("deletionTimestamp"))

        claimed, notes = claim_objects(self.client, d, selector_from_spec(d["spec"].get("selector")),
                                       candidates,
                                       "replicasets", can_adopt)
        self._actions.extend(notes)
        return claimed

    # --- writing the Deployment ------------------------------------------------------------------

    def _write_status(self, d: dict, annotations_changed: bool = False) -> dict:
        """Persist ``d``'s revision annotation (plain update) and status (status subresource)."""
        if annotations_changed:
            stored = deep_copy(self.client.update(d))
            stored["status"] = d.get("status") or {}
            d = stored
            self._actions.append(f"set revision {(d['metadata'].get('annotations') or {}).get(REVISION)}")
        written = deep_copy(self.client.update_status(d))
        if "updated status" not in self._actions:  # the trace says a write happened, not "nothing to change"
            self._actions.append("updated status")
        return written

    def _now(self) -> str:
        return timestamp(self.clock.now)

    def _new_condition(self, ctype: str, status: str, reason: str, message: str) -> dict:
        now = self._now()
        return {"type": ctype, "status": status, "lastUpdateTime": now, "lastTransitionTime": now,
                "reason": reason, "message": message}

    @staticmethod
    def _set_condition(status: dict, cond: dict) -> None:
        """``SetDeploymentCondition``: same status and reason is a no-op; keep the transition time."""
        current = _condition(status, cond["type"])
        if (current is not None and current["status"] == cond["status"]
                and current.get("reason") == cond["reason"]):
            return
        if current is not None and current["status"] == cond["status"]:
            cond["lastTransitionTime"] = current["lastTransitionTime"]
        status["conditions"] = [c for c in status.get("conditions") or []
                                if c["type"] != cond["type"]] + [cond]

    @staticmethod
    def _remove_condition(status: dict, ctype: str) -> None:
        status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != ctype]
        if not status["conditions"]:
            del status["conditions"]

    def _has_deadline(self, d: dict) -> bool:
        return d["spec"].get("progressDeadlineSeconds") not in (None, 2147483647)

    def _check_paused_conditions(self, d: dict) -> dict:
        if not self._has_deadline(d):
            return d
        st = d.setdefault("status", {})
        cond = _condition(st, "Progressing")
        if cond is not None and cond.get("reason") == TIMED_OUT_REASON:
            return d
        paused_exists = cond is not None and cond.get("reason") == PAUSED_REASON
        if d["spec"].get("paused") and not paused_exists:
            self._set_condition(st, self._new_condition("Progressing", "Unknown", PAUSED_REASON,
                                                        "Deployment is paused"))
        elif not d["spec"].get("paused") and paused_exists:
            self._set_condition(st, self._new_condition("Progressing", "Unknown", RESUMED_REASON,
                                                        "Deployment is resumed"))
        else:
            return d
        return self._write_status(d)

    # --- finding and creating ReplicaSets ----------------------------------------------------------

    def _all_replica_sets(self, d: dict, rs_list: list[dict], create: bool) -> tuple[dict, dict | None,
                                                                                     list[dict]]:
        """``getAllReplicaSetsAndSyncRevision``: (deployment, new ReplicaSet or None, old ReplicaSets)."""
        new = self._find_new(d, rs_list)
        old = [rs for rs in rs_list if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]
        d, new = self._get_new_replica_set(d, new, old, create)
        return d, new, old

    @staticmethod
    def _find_new(d: dict, rs_list: list[dict]) -> dict | None:
        for rs in sorted(rs_list, key=_created):
            if equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"]):
                return rs
        return None

    def _set_new_rs_annotations(self, d: dict, rs: dict, new_revision: str, exists: bool) -> bool:
        changed = False
        ann = rs["metadata"].setdefault("annotations", {})
        for k, v in sorted((d["metadata"].get("annotations") or {}).items()):
            if k in _SKIP_ANNOTATIONS or ann.get(k) == v:
                continue
            ann[k] = v
            changed = True
        if _revision(rs) < int(new_revision):
            ann[REVISION] = new_revision
            changed = True
        if not exists and self._set_replicas_annotations(rs, d):
            changed = True
        return changed

    @staticmethod
    def _replicas_annotations(d: dict) -> dict[str, str]:
        desired = d["spec"].get("replicas", 1)
        return {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(desired + max_surge(d))}

    def _set_replicas_annotations(self, rs: dict, d: dict) -> bool:
        ann = rs["metadata"].setdefault("annotations", {})
        wanted = self._replicas_annotations(d)
        if all(ann.get(k) == v for k, v in wanted.items()):
            return False
        ann.update(wanted)
        return True

    def _get_new_replica_set(self, d: dict, existing: dict | None, old: list[dict],
                             create: bool) -> tuple[dict, dict | None]:
        new_revision = str(max((_revision(rs) for rs in old), default=0) + 1)
        st = d.setdefault("status", {})
        if existing is not None:
            rs_copy = deep_copy(existing)
            changed = self._set_new_rs_annotations(d, rs_copy, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds") or 0
            if changed or (rs_copy["spec"].get("minReadySeconds") or 0) != min_ready:
                rs_copy["spec"]["minReadySeconds"] = min_ready
                return d, deep_copy(self.client.update(rs_copy))
            revision = (rs_copy["metadata"].get("annotations") or {}).get(REVISION, "")
            annotations_changed = self._set_deployment_revision(d, revision)
            needs_update = annotations_changed
            if self._has_deadline(d) and _condition(st, "Progressing") is None:
                name = rs_copy["metadata"]["name"]
                self._set_condition(st, self._new_condition("Progressing", "True", FOUND_NEW_RS_REASON,
                                                            f'Found new replica set "{name}"'))
                needs_update = True
            if needs_update:
                d = self._write_status(d, annotations_changed)
            return d, rs_copy
        if not create:
            return d, None
        template = deep_copy(d["spec"]["template"])
        pod_hash = compute_hash(template, st.get("collisionCount"))
        template.setdefault("metadata", {}).setdefault("labels", {})[POD_TEMPLATE_HASH] = pod_hash
        selector = deep_copy(d["spec"]["selector"])
        selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                              "metadata": {"name": name, "namespace": d["metadata"]["namespace"],
                                           "labels": dict(template["metadata"]["labels"]),
                                           "ownerReferences": [owner_reference(d)]},
                              "spec": {"replicas": 0,
                                       "minReadySeconds": d["spec"].get("minReadySeconds") or 0,
                                       "selector": selector, "template": template}}
        new_replicas = self._new_rs_new_replicas(d, old + [rs], rs)
        rs["spec"]["replicas"] = new_replicas
        self._set_new_rs_annotations(d, rs, new_revision, False)
        already_exists = False
        try:
            created = deep_copy(self.client.create(rs))
        except ApiError as err:
            if err.code == 409 and err.reason == "AlreadyExists":
                found = self.rs_informer.get(f"{d['metadata']['namespace']}/{name}")
                if found is not None and (controller_of(found) or {}).get("uid") == d["metadata"]["uid"] and \
                        equal_ignore_hash(found["spec"]["template"], d["spec"]["template"]):
                    created, already_exists = deep_copy(found), True
                else:
                    # A hash collision: count it, so the next hash differs (and the name with it).
                    st["collisionCount"] = st.get("collisionCount", 0) + 1
                    self._write_status(d)
                    raise
            else:
                msg = f'Failed to create new replica set "{name}": {err}'
                if self._has_deadline(d):
                    self._set_condition(st, self._new_condition("Progressing", "False",
                                                                FAILED_RS_CREATE_REASON, msg))
                    self._write_status(d)
                self.client.event(d, "Warning", FAILED_RS_CREATE_REASON, msg)
                raise
        if not already_exists:
            self._actions.append(f"created replica set {name} (revision {new_revision})")
            if new_replicas > 0:
                self._record_scaling(d, "up", name, 0, new_replicas)
        annotations_changed = self._set_deployment_revision(d, new_revision)
        if not already_exists and self._has_deadline(d):
            self._set_condition(st, self._new_condition("Progressing", "True", NEW_RS_REASON,
                                                        f'Created new replica set "{name}"'))
            d = self._write_status(d, annotations_changed)
        elif annotations_changed:
            d = self._write_status(d, True)
        return d, created

    @staticmethod
    def _set_deployment_revision(d: dict, revision: str) -> bool:
        ann = d["metadata"].setdefault("annotations", {})
        if not revision or ann.get(REVISION) == revision:
            return False
        ann[REVISION] = revision
        return True

    def _new_rs_new_replicas(self, d: dict, all_rss: list[dict], new: dict) -> int:
        desired = d["spec"].get("replicas", 1)
        if _rolling(d) is None:
            return desired
        current = sum(_replicas(rs) for rs in all_rss)
        max_total = desired + max_surge(d)
        if current >= max_total:
            return _replicas(new)
        return _replicas(new) + min(max_total - current, desired - _replicas(new))

    # --- scaling a ReplicaSet --------------------------------------------------------------------

    def _record_scaling(self, d: dict, op: str, name: str, old: int, new: int) -> None:
        self.client.event(d, "Normal", "ScalingReplicaSet",
                          f"Scaled {op} replica set {name} from {old} to {new}")
        self._actions.append(f"scaled {op} {name} from {old} to {new}")

    def _scale(self, rs: dict, new_scale: int, d: dict, op: str | None = None) -> tuple[bool, dict]:
        """``scaleReplicaSet``: update spec.replicas and the replicas annotations; Event if the size
        changed."""
        old_scale = _replicas(rs)
        size_changed = old_scale != new_scale
        ann = rs["metadata"].get("annotations") or {}
        wanted = self._replicas_annotations(d)
        if not size_changed and all(ann.get(k) == v for k, v in wanted.items()):
            return False, rs
        copy = deep_copy(rs)
        copy["spec"]["replicas"] = new_scale
        copy["metadata"].setdefault("annotations", {}).update(wanted)
        updated = deep_copy(self.client.update(copy))
        if size_changed:
            self._record_scaling(d, op or ("up" if new_scale > old_scale else "down"), rs["metadata"]["name"],
                                 old_scale, new_scale)
        return size_changed, updated

    def _scale_and_record(self, rs: dict, new_scale: int, d: dict) -> bool:
        if _replicas(rs) == new_scale:
            return False
        return self._scale(rs, new_scale, d)[0]

    # --- rolling update (rolling.go) ---------------------------------------------------------------

    def _rollout_rolling(self, d: dict, rs_list: list[dict]) -> dict:
        d, new, old = self._all_replica_sets(d, rs_list, True)
        all_rss = old + ([new] if new else [])
        if self._reconcile_new(all_rss, new, d):
            return self._sync_rollout_status(all_rss, new, d)
        if self._reconcile_old(all_rss, _active(old), new, d):
            return self._sync_rollout_status(all_rss, new, d)
        if self._complete(d, d.get("status") or {}):
            self._cleanup(old, d)
        return self._sync_rollout_status(all_rss, new, d)

    def _reconcile_new(self, all_rss: list[dict], new: dict | None, d: dict) -> bool:
        if new is None:
            return False
        desired = d["spec"].get("replicas", 1)
        if _replicas(new) == desired:
            return False
        if _replicas(new) > desired:
            return self._scale_and_record(new, desired, d)
        return self._scale_and_record(new, self._new_rs_new_replicas(d, all_rss, new), d)

    def _reconcile_old(self, all_rss: list[dict], old: list[dict], new: dict | None, d: dict) -> bool:
        if sum(_replicas(rs) for rs in old) == 0:
            return False  # nothing to scale down
        all_pods = sum(_replicas(rs) for rs in all_rss)
        min_available = d["spec"].get("replicas", 1) - max_unavailable(d)
        new_unavailable = _replicas(new) - _status(new, "availableReplicas")
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        # First get rid of old Pods that are not available anyway: that costs no availability.
        old, cleaned = self._cleanup_unhealthy(old, d, max_scaled_down)
        all_rss = old + ([new] if new else [])
        scaled = self._scale_down_old(all_rss, old, d)
        return cleaned + scaled > 0

    def _cleanup_unhealthy(self, old: list[dict], d: dict, max_cleanup: int) -> tuple[list[dict], int]:
        total = 0
        result = []
        for rs in sorted(old, key=_created):
            if total >= max_cleanup or _replicas(rs) == 0 or _replicas(rs) == _status(rs,
                                                                                      "availableReplicas"):
                result.append(rs)
                continue
            count = min(max_cleanup - total, _replicas(rs) - _status(rs, "availableReplicas"))
            _, rs = self._scale(rs, _replicas(rs) - count, d) if count else (False, rs)
            total += count
            result.append(rs)
        return result, total

    def _scale_down_old(self, all_rss: list[dict], old: list[dict], d: dict) -> int:
        min_available = d["spec"].get("replicas", 1) - max_unavailable(d)
        available = sum(_status(rs, "availableReplicas") for rs in all_rss)
        if available <= min_available:
            return 0
        budget = available - min_available
        total = 0
        for rs in sorted(old, key=_created):
            if total >= budget:
                break
            if _replicas(rs) == 0:
                continue
            count = min(_replicas(rs), budget - total)
            self._scale_and_record(rs, _replicas(rs) - count, d)
            total += count
        return total

    # --- recreate (recreate.go) --------------------------------------------------------------------

    def _rollout_recreate(self, d: dict, rs_list: list[dict]) -> dict:
        d, new, old = self._all_replica_sets(d, rs_list, False)
        all_rss = old + ([new] if new else [])
        scaled_down = False
        for rs in _active(old):
            scaled_down = self._scale_and_record(rs, 0, d) or scaled_down
        if scaled_down:
            return self._sync_rollout_status(all_rss, new, d)
        if self._old_pods_running(old):
            self._actions.append("waiting for the old Pods to terminate")
            return self._sync_rollout_status(all_rss, new, d)
        if new is None:
            d, new, old = self._all_replica_sets(d, rs_list, True)
            all_rss = old + ([new] if new else [])
        if new is not None:
            self._scale_and_record(new, d["spec"].get("replicas", 1), d)
        if self._complete(d, d.get("status") or {}):
            self._cleanup(old, d)
        return self._sync_rollout_status(all_rss, new, d)

    def _old_pods_running(self, old: list[dict]) -> bool:
        if sum(_status(rs, "replicas") for rs in old) > 0:
            return True
        old_uids = {rs["metadata"]["uid"] for rs in old}
        for pod in self.pod_informer.list():
            ref = controller_of(pod) or {}
            if ref.get("uid") in old_uids and (pod.get("status") or {}).get("phase") not in ("Failed",
                                                                                             "Succeeded"):
                return True
        return False

    # --- scaling events (sync.go) ------------------------------------------------------------------

    def _is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        desired = d["spec"].get("replicas", 1)
        for rs in _active(rs_list):
            wanted = _int_annotation(rs, DESIRED_REPLICAS)
            if wanted is not None and wanted != desired:
                return True
        return False

    def _sync(self, d: dict, rs_list: list[dict], status_only: bool = False) -> dict:
        d, new, old = self._all_replica_sets(d, rs_list, False)
        if not status_only:
            self._proportional_scale(d, new, old)
            if d["spec"].get("paused"):
                self._cleanup(old, d)
        all_rss = old + ([new] if new else [])
        status = self._calculate_status(all_rss, new, d)
        if status == (d.get("status") or {}):
            return d
        d["status"] = status
        return self._write_status(d)

    def _proportional_scale(self, d: dict, new: dict | None, old: list[dict]) -> None:
        desired = d["spec"].get("replicas", 1)
        active = _active(old + ([new] if new else []))
        lone: dict | None = None
        if len(active) == 1:
            lone = active[0]
        elif not active:
            lone = new if new is not None else (max(old, key=_created) if old else None)
        if lone is not None or not active:
            if lone is not None and _replicas(lone) != desired:
                self._scale_and_record(lone, desired, d)
            return
        if new is not None and _int_annotation(new,
                                               DESIRED_REPLICAS) == desired and _replicas(new) == desired \
                and _status(new, "availableReplicas") == desired:
            for rs in _active(old):
                self._scale_and_record(rs, 0, d)
            return
        if _rolling(d) is None:
            return
        allowed = desired + max_surge(d) if desired > 0 else 0
        to_add = allowed - sum(_replicas(rs) for rs in active)
        if to_add > 0:   # newer first among equals when growing, older first when shrinking
            active.sort(key=lambda rs: (-_replicas(rs), -_created(rs)[0], rs["metadata"]["name"]))
        elif to_add < 0:
            active.sort(key=lambda rs: (-_replicas(rs), _created(rs)[0], rs["metadata"]["name"]))
        op = "up" if to_add > 0 else "down"
        added = 0
        sizes: dict[str, int] = {}
        for rs in active:
            proportion = self._proportion(rs, d, to_add, added) if to_add else 0
            sizes[rs["metadata"]["name"]] = _replicas(rs) + proportion
            added += proportion
        for i, rs in enumerate(active):
            name = rs["metadata"]["name"]
            if i == 0 and to_add:
                sizes[name] = max(sizes[name] + to_add - added, 0)  # leftovers go to the largest
            self._scale(rs, sizes[name], d, op)

    @staticmethod
    def _proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
        if _replicas(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        desired = d["spec"].get("replicas", 1)
        if desired == 0:
            fraction = -_replicas(rs)
        else:
            annotated = _int_annotation(rs, MAX_REPLICAS)
            if annotated is None:
                annotated = (d.get("status") or {}).get("replicas", 0)
            total = desired + max_surge(d)
            exact = _replicas(rs) * total / annotated if annotated else 0
            fraction = math.floor(exact + 0.5) - _replicas(rs)  # math.Round: halves away from zero
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    # --- history ---------------------------------------------------------------------------------

    def _cleanup(self, old: list[dict], d: dict) -> None:
        """Delete the oldest ReplicaSets beyond ``revisionHistoryLimit`` (only empty, settled ones)."""
        limit = d["spec"].get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
        diff = len(alive) - limit
        if diff <= 0:
            return
        for rs in sorted(alive, key=lambda r: (_revision(r), _created(r)))[:diff]:
            if _status(rs, "replicas") or _replicas(rs) or \
                    rs["metadata"].get("generation", 1) > _status(rs, "observedGeneration"):
                continue
            try:
                self.client.delete("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"])
                self._actions.append(f"deleted old replica set {rs['metadata']['name']} "
                                     f"(revisionHistoryLimit {limit})")
            except ApiError as err:
                if err.code != 404:
                    raise

    # --- status (sync.go, progress.go) -------------------------------------------------------------

    def _calculate_status(self, all_rss: list[dict], new: dict | None, d: dict) -> dict:
        desired = d["spec"].get("replicas", 1)
        available = sum(_status(rs, "availableReplicas") for rs in all_rss)
        total = sum(_replicas(rs) for rs in all_rss)
        old_status = d.get("status") or {}
        status: dict[str, Any] = {
            "observedGeneration": d["metadata"].get("generation", 1),
            "replicas": sum(_status(rs, "replicas") for rs in all_rss),
            "updatedReplicas": _status(new, "replicas"),
            "readyReplicas": sum(_status(rs, "readyReplicas") for rs in all_rss),
            "availableReplicas": available,
            "unavailableReplicas": max(total - available, 0),
        }
        status = {k: v for k, v in status.items() if v}  # omitempty
        if old_status.get("collisionCount") is not None:
            status["collisionCount"] = old_status["collisionCount"]
        if old_status.get("conditions"):
            status["conditions"] = deep_copy(old_status["conditions"])
        if available >= desired - max_unavailable(d):
            cond = self._new_condition("Available", "True", "MinimumReplicasAvailable",
                                       "Deployment has minimum availability.")
        else:
            cond = self._new_condition("Available", "False", "MinimumReplicasUnavailable",
                                       "Deployment does not have minimum availability.")
        self._set_condition(status, cond)
        return status

    @staticmethod
    def _complete(d: dict, st: dict) -> bool:
        desired = d["spec"].get("replicas", 1)
        return (st.get("updatedReplicas", 0) == desired and st.get("replicas", 0) == desired
                and st.get("availableReplicas", 0) == desired
                and st.get("observedGeneration", 0) >= d["metadata"].get("generation", 1))

    @staticmethod
    def _progressing(d: dict, new: dict) -> bool:
        old = d.get("status") or {}

        def old_replicas(s: dict) -> int:
            return s.get("replicas", 0) - s.get("updatedReplicas", 0)

        return (new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
                or old_replicas(new) < old_replicas(old)
                or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
                or new.get("availableReplicas", 0) > old.get("availableReplicas", 0))

    def _timed_out(self, d: dict, st: dict) -> bool:
        cond = _condition(st, "Progressing")
        if not self._has_deadline(d) or cond is None or cond.get("reason") == NEW_RS_AVAILABLE_REASON:
            return False
        if cond.get("reason") == TIMED_OUT_REASON:
            return True
        return parse_timestamp(cond["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] < self.clock.now

    def _sync_rollout_status(self, all_rss: list[dict], new: dict | None, d: dict) -> dict:
        status = self._calculate_status(all_rss, new, d)
        if not self._has_deadline(d) and _condition(status, "Progressing") is not None:
            self._remove_condition(status, "Progressing")
        current = _condition(d.get("status") or {}, "Progressing")
        complete = (status.get("replicas", 0) == status.get("updatedReplicas", 0) and current is not None
                    and current.get("reason") == NEW_RS_AVAILABLE_REASON)
        name = new["metadata"]["name"] if new else ""
        if self._has_deadline(d) and not complete:
            if self._complete(d, status):
                msg = f'ReplicaSet "{name}" has successfully progressed.' if new else \
                    "Deployment has successfully progressed."
                self._set_condition(status, self._new_condition("Progressing", "True",
                                                                NEW_RS_AVAILABLE_REASON, msg))
            elif self._progressing(d, status):
                msg = f'ReplicaSet "{name}" is progressing.' if new else "Deployment is progressing."
                cond = self._new_condition("Progressing", "True", RS_UPDATED_REASON, msg)
                if current is not None and current["status"] == "True":
                    cond["lastTransitionTime"] = current["lastTransitionTime"]
                self._remove_condition(status, "Progressing")
                self._set_condition(status, cond)
            elif self._timed_out(d, status):
                msg = f'ReplicaSet "{name}" has timed out progressing.' if new else \
                    "Deployment has timed out progressing."
                self._set_condition(status, self._new_condition("Progressing", "False", TIMED_OUT_REASON,
                                                                msg))
        if status == (d.get("status") or {}):
            self._requeue_stuck(d, status)
            return d
        d["status"] = status
        return self._write_status(d)

    def _requeue_stuck(self, d: dict, status: dict) -> None:
        """``requeueStuckDeployment``: come back when the progress deadline passes, to report
        ProgressDeadlineExceeded.

        Only a rollout still in progress can time out (``DeploymentTimedOut`` answers no for a
        ``NewReplicaSetAvailable`` condition), so a finished rollout that later loses a Pod — a node
        fails — is not re-checked: the deadline cannot fire, and the ReplicaSet status changes that
        would matter enqueue it anyway.  Upstream re-checks it after every sync, rate-limited
        (``enqueueRateLimited``, whose back-off the successful sync's ``Forget`` resets), which turns
        into a loop of syncs that write nothing for as long as a Pod is missing.  Within the last
        second before the deadline we come back one second after it, as for every later check,
        instead of polling rate-limited through that second.
        """
        cond = _condition(d.get("status") or {}, "Progressing")
        if not self._has_deadline(d) or cond is None or self._complete(d, status) or \
                cond.get("reason") in (TIMED_OUT_REASON, NEW_RS_AVAILABLE_REASON):
            self.queue.cancel_after(object_key(d))  # the deadline no longer matters
            return
        deadline = parse_timestamp(cond["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"]
        after = deadline - self.clock.now
        key = object_key(d)
        if after < 0:
            self.queue.add_rate_limited(key)  # past the deadline yet not timed out: stay on the safe side
        else:
            self.queue.add_after(key, after + 1)  # +1: timestamps have whole-second resolution
