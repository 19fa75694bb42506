"""The Recreate strategy (upstream ``recreate.go``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..controller_utils import POD_CONTROLLER_UID_INDEX
from .util import (
    _active,
    _status,
)

if TYPE_CHECKING:
    from .deployment_controller import DeploymentController


# --- recreate (recreate.go) --------------------------------------------------------------------


def rollout_recreate(self: DeploymentController, d: dict, rs_list: list[dict]) -> dict:
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


def old_pods_running(self: DeploymentController, old: list[dict]) -> bool:
    """``oldPodsRunning``: an old ReplicaSet still counts replicas, or one of its Pods has not finished.

    The old ReplicaSets' Pods come from the Pod informer's controller-UID index, so the check
    costs what the old ReplicaSets own, not every Pod of the cluster.
    """
    if sum(_status(rs, "replicas") for rs in old) > 0:
        return True
    for uid in sorted({rs["metadata"]["uid"] for rs in old}):
        for pod in self.pod_informer.by_index(POD_CONTROLLER_UID_INDEX, uid):
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True
    return False
