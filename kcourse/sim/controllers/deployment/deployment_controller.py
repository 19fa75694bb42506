"""The DeploymentController (upstream ``deployment_controller.go``): informers, handlers and the sync."""

from __future__ import annotations

from typing import Any

from ...controller import Controller
from ...informer import ResourceEventHandler
from ...labels import selector_from_spec
from ...objects import controller_of
from ..controller_utils import (
    POD_CONTROLLER_UID_INDEX,
    claim_objects,
    pod_controller_uid_index,
    pods_by_owner,
    resolve_controller_ref,
)
from . import progress, recreate, rolling, sync
from .util import (
    _condition,
    writable,
)


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
        for informer in (self.rs_informer, self.pod_informer):
            if POD_CONTROLLER_UID_INDEX not in informer.indexers:
                informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        self.d_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new), on_delete=self.enqueue
            )
        )
        self.rs_informer.add_event_handler(
            ResourceEventHandler(on_add=self._add_rs, on_update=self._update_rs, on_delete=self._delete_rs)
        )
        self.pod_informer.add_event_handler(ResourceEventHandler(on_delete=self._delete_pod))
        self._actions: list[str] = []

    # --- informer handlers -----------------------------------------------------------------------

    def _owner(self, rs: dict, ref: dict | None = None) -> dict | None:
        return resolve_controller_ref(
            self.d_informer,
            rs["metadata"]["namespace"],
            ref if ref is not None else controller_of(rs),
            "Deployment",
        )

    def _matching(self, rs: dict) -> list[dict]:
        ns, labels = rs["metadata"]["namespace"], rs["metadata"].get("labels")
        return [
            d
            for d in self.d_informer.list()
            if d["metadata"]["namespace"] == ns
            and selector_from_spec(d["spec"].get("selector")).matches(labels)
        ]

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
        rs = resolve_controller_ref(
            self.rs_informer, pod["metadata"]["namespace"], controller_of(pod), "ReplicaSet"
        )
        d = self._owner(rs) if rs is not None else None
        if d is not None and (d["spec"].get("strategy") or {}).get("type") == "Recreate":
            self.enqueue(d)

    # --- the sync --------------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        cached = self.d_informer.get(key)
        if cached is None:
            return f"Deployment {key} has been deleted"
        self._actions = []
        d = writable(cached)  # never modify the cache: work on a copy, write it back through the API
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
        return (
            f"{prefix}{done} — {st.get('updatedReplicas', 0)}/{desired} updated, "
            f"{st.get('availableReplicas', 0)} available{tail}"
        )

    def _replica_sets_for(self, d: dict) -> list[dict]:
        """Every ReplicaSet of the namespace this Deployment controls, adopting and releasing as needed."""
        ns = d["metadata"]["namespace"]
        # Ours and the orphans, in key order: another controller's ReplicaSets are never claimed anyway.
        candidates = pods_by_owner(self.rs_informer, d, include_orphans=True)

        def can_adopt() -> bool:
            fresh = self.client.get("deployments", d["metadata"]["name"], ns)
            return fresh["metadata"]["uid"] == d["metadata"]["uid"] and not fresh["metadata"].get(
                "deletionTimestamp"
            )

        claimed, notes = claim_objects(
            self.client,
            d,
            selector_from_spec(d["spec"].get("selector")),
            candidates,
            "replicasets",
            can_adopt,
        )
        self._actions.extend(notes)
        return claimed

    # --- sync.py -----------------------------------------------------------------------------

    _write_status = sync.write_status
    _now = sync.now
    _new_condition = sync.new_condition
    _set_condition = staticmethod(sync.set_condition)
    _remove_condition = staticmethod(sync.remove_condition)
    _has_deadline = staticmethod(sync.has_deadline)
    _check_paused_conditions = sync.check_paused_conditions
    _all_replica_sets = sync.all_replica_sets
    _find_new = staticmethod(sync.find_new)
    _set_new_rs_annotations = sync.set_new_rs_annotations
    _replicas_annotations = staticmethod(sync.replicas_annotations)
    _set_replicas_annotations = sync.set_replicas_annotations
    _get_new_replica_set = sync.get_new_replica_set
    _set_deployment_revision = staticmethod(sync.set_deployment_revision)
    _new_rs_new_replicas = staticmethod(sync.new_rs_new_replicas)
    _record_scaling = sync.record_scaling
    _scale = sync.scale
    _scale_and_record = sync.scale_and_record
    _is_scaling_event = staticmethod(sync.is_scaling_event)
    _sync = sync.sync
    _proportional_scale = sync.proportional_scale
    _proportion = staticmethod(sync.proportion)
    _cleanup = sync.cleanup
    _calculate_status = sync.calculate_status

    # --- rolling.py --------------------------------------------------------------------------

    _rollout_rolling = rolling.rollout_rolling
    _reconcile_new = rolling.reconcile_new
    _reconcile_old = rolling.reconcile_old
    _cleanup_unhealthy = rolling.cleanup_unhealthy
    _scale_down_old = rolling.scale_down_old

    # --- recreate.py -------------------------------------------------------------------------

    _rollout_recreate = recreate.rollout_recreate
    _old_pods_running = recreate.old_pods_running

    # --- progress.py -------------------------------------------------------------------------

    _complete = staticmethod(progress.complete)
    _progressing = staticmethod(progress.progressing)
    _timed_out = progress.timed_out
    _sync_rollout_status = progress.sync_rollout_status
    _requeue_stuck = progress.requeue_stuck
