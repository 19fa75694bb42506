"""The RollingUpdate strategy (upstream ``rolling.go``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .util import (
    _active,
    _created,
    _replicas,
    _status,
    max_unavailable,
)

if TYPE_CHECKING:
    from .deployment_controller import DeploymentController


# --- rolling update (rolling.go) ---------------------------------------------------------------


def rollout_rolling(self: DeploymentController, d: dict, rs_list: list[dict]) -> dict:
    d, new, old = self._all_replica_sets(d, rs_list, True)
    all_rss = old + ([new] if new else [])
    if self._reconcile_new(all_rss, new, d):
        return self._sync_rollout_status(all_rss, new, d)
    if self._reconcile_old(all_rss, _active(old), new, d):
        return self._sync_rollout_status(all_rss, new, d)
    if self._complete(d, d.get("status") or {}):
        self._cleanup(old, d)
    return self._sync_rollout_status(all_rss, new, d)


def reconcile_new(self: DeploymentController, all_rss: list[dict], new: dict | None, d: dict) -> bool:
    if new is None:
        return False
    desired = d["spec"].get("replicas", 1)
    if _replicas(new) == desired:
        return False
    if _replicas(new) > desired:
        return self._scale_and_record(new, desired, d)
    return self._scale_and_record(new, self._new_rs_new_replicas(d, all_rss, new), d)


def reconcile_old(
    self: DeploymentController, all_rss: list[dict], old: list[dict], new: dict | None, d: dict
) -> bool:
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


def cleanup_unhealthy(
    self: DeploymentController, old: list[dict], d: dict, max_cleanup: int
) -> tuple[list[dict], int]:
    total = 0
    result = []
    for rs in sorted(old, key=_created):
        if total >= max_cleanup or _replicas(rs) == 0 or _replicas(rs) == _status(rs, "availableReplicas"):
            result.append(rs)
            continue
        count = min(max_cleanup - total, _replicas(rs) - _status(rs, "availableReplicas"))
        _, rs = self._scale(rs, _replicas(rs) - count, d) if count else (False, rs)
        total += count
        result.append(rs)
    return result, total


def scale_down_old(self: DeploymentController, all_rss: list[dict], old: list[dict], d: dict) -> int:
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
