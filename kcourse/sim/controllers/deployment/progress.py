"""Rollout progress and its deadline (upstream ``progress.go``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...objects import parse_timestamp
from ...resources import object_key
from .util import (
    NEW_RS_AVAILABLE_REASON,
    RS_UPDATED_REASON,
    TIMED_OUT_REASON,
    _condition,
)

if TYPE_CHECKING:
    from .deployment_controller import DeploymentController


def complete(d: dict, st: dict) -> bool:
    desired = d["spec"].get("replicas", 1)
    return (
        st.get("updatedReplicas", 0) == desired
        and st.get("replicas", 0) == desired
        and st.get("availableReplicas", 0) == desired
        and st.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
    )


def progressing(d: dict, new: dict) -> bool:
    old = d.get("status") or {}

    def old_replicas(s: dict) -> int:
        return s.get("replicas", 0) - s.get("updatedReplicas", 0)

    return (
        new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or old_replicas(new) < old_replicas(old)
        or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def timed_out(self: DeploymentController, d: dict, st: dict) -> bool:
    cond = _condition(st, "Progressing")
    if not self._has_deadline(d) or cond is None or cond.get("reason") == NEW_RS_AVAILABLE_REASON:
        return False
    if cond.get("reason") == TIMED_OUT_REASON:
        return True
    return parse_timestamp(cond["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"] < self.clock.now


def sync_rollout_status(self: DeploymentController, all_rss: list[dict], new: dict | None, d: dict) -> dict:
    status = self._calculate_status(all_rss, new, d)
    if not self._has_deadline(d) and _condition(status, "Progressing") is not None:
        self._remove_condition(status, "Progressing")
    current = _condition(d.get("status") or {}, "Progressing")
    complete = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current.get("reason") == NEW_RS_AVAILABLE_REASON
    )
    name = new["metadata"]["name"] if new else ""
    if self._has_deadline(d) and not complete:
        if self._complete(d, status):
            msg = (
                f'ReplicaSet "{name}" has successfully progressed.'
                if new
                else "Deployment has successfully progressed."
            )
            self._set_condition(
                status, self._new_condition("Progressing", "True", NEW_RS_AVAILABLE_REASON, msg)
            )
        elif self._progressing(d, status):
            msg = f'ReplicaSet "{name}" is progressing.' if new else "Deployment is progressing."
            cond = self._new_condition("Progressing", "True", RS_UPDATED_REASON, msg)
            if current is not None and current["status"] == "True":
                cond["lastTransitionTime"] = current["lastTransitionTime"]
            self._remove_condition(status, "Progressing")
            self._set_condition(status, cond)
        elif self._timed_out(d, status):
            msg = (
                f'ReplicaSet "{name}" has timed out progressing.'
                if new
                else "Deployment has timed out progressing."
            )
            self._set_condition(status, self._new_condition("Progressing", "False", TIMED_OUT_REASON, msg))
    if status == (d.get("status") or {}):
        self._requeue_stuck(d, status)
        return d
    d["status"] = status
    return self._write_status(d)


def requeue_stuck(self: DeploymentController, d: dict, status: dict) -> None:
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
    if (
        not self._has_deadline(d)
        or cond is None
        or self._complete(d, status)
        or cond.get("reason") in (TIMED_OUT_REASON, NEW_RS_AVAILABLE_REASON)
    ):
        self.queue.cancel_after(object_key(d))  # the deadline no longer matters
        return
    deadline = parse_timestamp(cond["lastUpdateTime"]) + d["spec"]["progressDeadlineSeconds"]
    after = deadline - self.clock.now
    key = object_key(d)
    if after < 0:
        self.queue.add_rate_limited(key)  # past the deadline yet not timed out: stay on the safe side
    else:
        self.queue.add_after(key, after + 1)  # +1: timestamps have whole-second resolution
