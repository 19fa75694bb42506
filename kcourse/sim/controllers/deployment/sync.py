"""Syncing a Deployment (upstream ``sync.go``): its ReplicaSets, scaling, history and status."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ...errors import ApiError
from ...objects import controller_of, deep_copy, owner_reference, timestamp
from .util import (
    _SKIP_ANNOTATIONS,
    DESIRED_REPLICAS,
    FAILED_RS_CREATE_REASON,
    FOUND_NEW_RS_REASON,
    MAX_REPLICAS,
    NEW_RS_REASON,
    PAUSED_REASON,
    POD_TEMPLATE_HASH,
    RESUMED_REASON,
    REVISION,
    TIMED_OUT_REASON,
    _active,
    _condition,
    _created,
    _int_annotation,
    _replicas,
    _revision,
    _rolling,
    _status,
    compute_hash,
    equal_ignore_hash,
    max_surge,
    max_unavailable,
    writable,
)

if TYPE_CHECKING:
    from .deployment_controller import DeploymentController


# --- writing the Deployment ------------------------------------------------------------------


def write_status(self: DeploymentController, d: dict, annotations_changed: bool = False) -> dict:
    """Persist ``d``'s status, and its revision annotation with it: one ``UpdateStatus``, as upstream's
    ``getNewReplicaSet`` writes both (the status strategy keeps annotations, and bumps no generation)."""
    if annotations_changed:
        self._actions.append(f"set revision {(d['metadata'].get('annotations') or {}).get(REVISION)}")
    written = writable(self.client.update_status(d))
    if "updated status" not in self._actions:  # the trace says a write happened, not "nothing to change"
        self._actions.append("updated status")
    return written


def now(self: DeploymentController) -> str:
    return timestamp(self.clock.now)


def new_condition(self: DeploymentController, ctype: str, status: str, reason: str, message: str) -> dict:
    now = self._now()
    return {
        "type": ctype,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def set_condition(status: dict, cond: dict) -> None:
    """``SetDeploymentCondition``: same status and reason is a no-op; keep the transition time."""
    current = _condition(status, cond["type"])
    if (
        current is not None
        and current["status"] == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current["status"] == cond["status"]:
        cond["lastTransitionTime"] = current["lastTransitionTime"]
    status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != cond["type"]] + [cond]


def remove_condition(status: dict, ctype: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c["type"] != ctype]
    if not status["conditions"]:
        del status["conditions"]


def has_deadline(d: dict) -> bool:
    return d["spec"].get("progressDeadlineSeconds") not in (None, 2147483647)


def check_paused_conditions(self: DeploymentController, d: dict) -> dict:
    if not self._has_deadline(d):
        return d
    st = d.setdefault("status", {})
    cond = _condition(st, "Progressing")
    if cond is not None and cond.get("reason") == TIMED_OUT_REASON:
        return d
    paused_exists = cond is not None and cond.get("reason") == PAUSED_REASON
    if d["spec"].get("paused") and not paused_exists:
        self._set_condition(
            st, self._new_condition("Progressing", "Unknown", PAUSED_REASON, "Deployment is paused")
        )
    elif not d["spec"].get("paused") and paused_exists:
        self._set_condition(
            st, self._new_condition("Progressing", "Unknown", RESUMED_REASON, "Deployment is resumed")
        )
    else:
        return d
    return self._write_status(d)


# --- finding and creating ReplicaSets ----------------------------------------------------------


def all_replica_sets(
    self: DeploymentController, d: dict, rs_list: list[dict], create: bool
) -> tuple[dict, dict | None, list[dict]]:
    """``getAllReplicaSetsAndSyncRevision``: (deployment, new ReplicaSet or None, old ReplicaSets)."""
    new = self._find_new(d, rs_list)
    old = [rs for rs in rs_list if new is None or rs["metadata"]["uid"] != new["metadata"]["uid"]]
    d, new = self._get_new_replica_set(d, new, old, create)
    return d, new, old


def find_new(d: dict, rs_list: list[dict]) -> dict | None:
    for rs in sorted(rs_list, key=_created):
        if equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"]):
            return rs
    return None


def set_new_rs_annotations(
    self: DeploymentController, d: dict, rs: dict, new_revision: str, exists: bool
) -> bool:
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


def replicas_annotations(d: dict) -> dict[str, str]:
    desired = d["spec"].get("replicas", 1)
    return {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(desired + max_surge(d))}


def set_replicas_annotations(self: DeploymentController, rs: dict, d: dict) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    wanted = self._replicas_annotations(d)
    if all(ann.get(k) == v for k, v in wanted.items()):
        return False
    ann.update(wanted)
    return True


def get_new_replica_set(
    self: DeploymentController, d: dict, existing: dict | None, old: list[dict], create: bool
) -> tuple[dict, dict | None]:
    new_revision = str(max((_revision(rs) for rs in old), default=0) + 1)
    st = d.setdefault("status", {})
    if existing is not None:
        rs_copy = writable(existing, spec=True)
        changed = self._set_new_rs_annotations(d, rs_copy, new_revision, True)
        min_ready = d["spec"].get("minReadySeconds") or 0
        if changed or (rs_copy["spec"].get("minReadySeconds") or 0) != min_ready:
            rs_copy["spec"]["minReadySeconds"] = min_ready
            return d, writable(self.client.update(rs_copy), spec=True)
        revision = (rs_copy["metadata"].get("annotations") or {}).get(REVISION, "")
        annotations_changed = self._set_deployment_revision(d, revision)
        needs_update = annotations_changed
        if self._has_deadline(d) and _condition(st, "Progressing") is None:
            name = rs_copy["metadata"]["name"]
            self._set_condition(
                st,
                self._new_condition(
                    "Progressing", "True", FOUND_NEW_RS_REASON, f'Found new replica set "{name}"'
                ),
            )
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
    rs: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": d["metadata"]["namespace"],
            "labels": dict(template["metadata"]["labels"]),
            "ownerReferences": [owner_reference(d)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": d["spec"].get("minReadySeconds") or 0,
            "selector": selector,
            "template": template,
        },
    }
    new_replicas = self._new_rs_new_replicas(d, old + [rs], rs)
    rs["spec"]["replicas"] = new_replicas
    self._set_new_rs_annotations(d, rs, new_revision, False)
    already_exists = False
    try:
        created = writable(self.client.create(rs), spec=True)
    except ApiError as err:
        if err.code == 409 and err.reason == "AlreadyExists":
            found = self.rs_informer.get(f"{d['metadata']['namespace']}/{name}")
            if (
                found is not None
                and (controller_of(found) or {}).get("uid") == d["metadata"]["uid"]
                and equal_ignore_hash(found["spec"]["template"], d["spec"]["template"])
            ):
                created, already_exists = writable(found, spec=True), True
            else:
                # A hash collision: count it, so the next hash differs (and the name with it).
                st["collisionCount"] = st.get("collisionCount", 0) + 1
                self._write_status(d)
                raise
        else:
            msg = f'Failed to create new replica set "{name}": {err}'
            if self._has_deadline(d):
                self._set_condition(
                    st, self._new_condition("Progressing", "False", FAILED_RS_CREATE_REASON, msg)
                )
                self._write_status(d)
            self.client.event(d, "Warning", FAILED_RS_CREATE_REASON, msg)
            raise
    if not already_exists:
        self._actions.append(f"created replica set {name} (revision {new_revision})")
        if new_replicas > 0:
            self._record_scaling(d, "up", name, 0, new_replicas)
    annotations_changed = self._set_deployment_revision(d, new_revision)
    if not already_exists and self._has_deadline(d):
        self._set_condition(
            st, self._new_condition("Progressing", "True", NEW_RS_REASON, f'Created new replica set "{name}"')
        )
        d = self._write_status(d, annotations_changed)
    elif annotations_changed:
        d = self._write_status(d, True)
    return d, created


def set_deployment_revision(d: dict, revision: str) -> bool:
    ann = d["metadata"].setdefault("annotations", {})
    if not revision or ann.get(REVISION) == revision:
        return False
    ann[REVISION] = revision
    return True


def new_rs_new_replicas(d: dict, all_rss: list[dict], new: dict) -> int:
    desired = d["spec"].get("replicas", 1)
    if _rolling(d) is None:
        return desired
    current = sum(_replicas(rs) for rs in all_rss)
    max_total = desired + max_surge(d)
    if current >= max_total:
        return _replicas(new)
    return _replicas(new) + min(max_total - current, desired - _replicas(new))


# --- scaling a ReplicaSet --------------------------------------------------------------------


def record_scaling(self: DeploymentController, d: dict, op: str, name: str, old: int, new: int) -> None:
    self.client.event(d, "Normal", "ScalingReplicaSet", f"Scaled {op} replica set {name} from {old} to {new}")
    self._actions.append(f"scaled {op} {name} from {old} to {new}")


def scale(
    self: DeploymentController, rs: dict, new_scale: int, d: dict, op: str | None = None
) -> tuple[bool, dict]:
    """``scaleReplicaSet``: update spec.replicas and the replicas annotations; Event if the size
    changed."""
    old_scale = _replicas(rs)
    size_changed = old_scale != new_scale
    ann = rs["metadata"].get("annotations") or {}
    wanted = self._replicas_annotations(d)
    if not size_changed and all(ann.get(k) == v for k, v in wanted.items()):
        return False, rs
    copy = writable(rs, spec=True)
    copy["spec"]["replicas"] = new_scale
    copy["metadata"].setdefault("annotations", {}).update(wanted)
    updated = writable(self.client.update(copy), spec=True)
    if size_changed:
        self._record_scaling(
            d, op or ("up" if new_scale > old_scale else "down"), rs["metadata"]["name"], old_scale, new_scale
        )
    return size_changed, updated


def scale_and_record(self: DeploymentController, rs: dict, new_scale: int, d: dict) -> bool:
    if _replicas(rs) == new_scale:
        return False
    return self._scale(rs, new_scale, d)[0]


# --- scaling events (sync.go) ------------------------------------------------------------------


def is_scaling_event(d: dict, rs_list: list[dict]) -> bool:
    desired = d["spec"].get("replicas", 1)
    for rs in _active(rs_list):
        wanted = _int_annotation(rs, DESIRED_REPLICAS)
        if wanted is not None and wanted != desired:
            return True
    return False


def sync(self: DeploymentController, d: dict, rs_list: list[dict], status_only: bool = False) -> dict:
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


def proportional_scale(self: DeploymentController, d: dict, new: dict | None, old: list[dict]) -> None:
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
    if (
        new is not None
        and _int_annotation(new, DESIRED_REPLICAS) == desired
        and _replicas(new) == desired
        and _status(new, "availableReplicas") == desired
    ):
        for rs in _active(old):
            self._scale_and_record(rs, 0, d)
        return
    if _rolling(d) is None:
        return
    allowed = desired + max_surge(d) if desired > 0 else 0
    to_add = allowed - sum(_replicas(rs) for rs in active)
    if to_add > 0:  # newer first among equals when growing, older first when shrinking
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


def proportion(rs: dict, d: dict, to_add: int, added: int) -> int:
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


def cleanup(self: DeploymentController, old: list[dict], d: dict) -> None:
    """Delete the oldest ReplicaSets beyond ``revisionHistoryLimit`` (only empty, settled ones)."""
    limit = d["spec"].get("revisionHistoryLimit")
    if limit is None:
        return
    alive = [rs for rs in old if not rs["metadata"].get("deletionTimestamp")]
    diff = len(alive) - limit
    if diff <= 0:
        return
    for rs in sorted(alive, key=lambda r: (_revision(r), _created(r)))[:diff]:
        if (
            _status(rs, "replicas")
            or _replicas(rs)
            or rs["metadata"].get("generation", 1) > _status(rs, "observedGeneration")
        ):
            continue
        try:
            self.client.delete("replicasets", rs["metadata"]["name"], rs["metadata"]["namespace"])
            self._actions.append(
                f"deleted old replica set {rs['metadata']['name']} (revisionHistoryLimit {limit})"
            )
        except ApiError as err:
            if err.code != 404:
                raise


# --- status (sync.go, progress.go) -------------------------------------------------------------


def calculate_status(self: DeploymentController, all_rss: list[dict], new: dict | None, d: dict) -> dict:
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
        status["conditions"] = list(old_status["conditions"])  # replaced, never changed in place
    if available >= desired - max_unavailable(d):
        cond = self._new_condition(
            "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."
        )
    else:
        cond = self._new_condition(
            "Available",
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    self._set_condition(status, cond)
    return status
