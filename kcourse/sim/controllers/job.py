"""The Job controller (``job-controller``): run Pods until enough of them succeed.

For each Job it reads the Pods it owns and closes the gap, as
``pkg/controller/job/job_controller.go`` does in ``syncJob``:

* up to ``parallelism`` Pods are *active* at once, and never more than the
  completions still missing (``wantActive``); Pods are created from the
  template (``<job-name>-`` plus five random characters) in slow-start
  batches, each with the ``batch.kubernetes.io/job-tracking`` finalizer, so
  that a finished Pod cannot vanish before the controller has counted it;
* a Pod that ends is counted through ``status.uncountedTerminatedPods``:
  first its UID is written there, then its finalizer is removed, then it
  moves to ``status.succeeded`` or ``status.failed`` — a count survives a
  controller restart at any point;
* a failed Pod is replaced after a back-off of 10 s doubling per failure
  since the last success, at most 10 minutes (``DefaultJobPodFailureBackOff``,
  ``MaxJobPodFailureBackOff``), counted from when the last one failed;
* more than ``backoffLimit`` failed Pods (or, with ``restartPolicy:
  OnFailure``, that many container restarts) fail the Job:
  ``FailureTarget`` then ``Failed``, reason ``BackoffLimitExceeded``,
  "Job has reached the specified backoff limit", its active Pods deleted;
  ``activeDeadlineSeconds`` passed fails it with ``DeadlineExceeded``;
* ``completions`` succeeded Pods (or, without completions, one success and
  no Pod left active) complete it: ``SuccessCriteriaMet`` then ``Complete``,
  reason ``CompletionsReached``, ``completionTime`` set, Event ``Completed``.
  In v1.32 the terminal condition waits for terminating Pods to be gone
  (JobManagedBy and JobPodReplacementPolicy delay it);
* ``suspend: true`` deletes the active Pods and sets ``Suspended``;
  resuming sets it False and restarts ``startTime``.

Status also carries ``active``, ``ready``, ``terminating`` and ``startTime``.
Pod events are batched (``syncJobBatchPeriod``: a sync one second after a
Pod changes); a change of the Job itself is synced at once.

Simplified: NonIndexed completion only (an Indexed Job runs as NonIndexed);
no pod failure policy, success policy or per-index back-off; a finalizer is
removed with a JSON merge patch of the remaining list (upstream sends a
strategic ``$deleteFromPrimitiveList``); the back-off record lives in the
controller (upstream's ``podBackoffStore`` too, but keyed by more) and
expectations do not track finalizer removals.
"""

from __future__ import annotations

from typing import Any

from ..apiserver import Unreachable
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..kinds.batch import JOB_TRACKING_FINALIZER
from ..labels import selector_from_spec
from ..objects import controller_of, deep_copy, parse_timestamp, timestamp
from ..resources import object_key
from .controller_utils import (
    POD_CONTROLLER_UID_INDEX,
    SLOW_START_INITIAL_BATCH_SIZE,
    ControllerExpectations,
    PodControl,
    claim_objects,
    is_pod_active,
    is_pod_ready,
    pod_controller_uid_index,
    pods_by_owner,
    rank_pods_for_deletion,
    resolve_controller_ref,
    slow_start_batch,
)

__all__ = [
    "DEFAULT_POD_FAILURE_BACKOFF",
    "MAX_POD_CREATE_DELETE_PER_SYNC",
    "MAX_POD_FAILURE_BACKOFF",
    "SYNC_JOB_BATCH_PERIOD",
    "JobController",
]

#: ``DefaultJobPodFailureBackOff`` and ``MaxJobPodFailureBackOff`` (seconds).
DEFAULT_POD_FAILURE_BACKOFF = 10.0
MAX_POD_FAILURE_BACKOFF = 600.0
#: ``syncJobBatchPeriod``: Pod events are synced together one second later.
SYNC_JOB_BATCH_PERIOD = 1.0
#: ``MaxPodCreateDeletePerSync``.
MAX_POD_CREATE_DELETE_PER_SYNC = 500

BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


def _finished_time(pod: dict, now: float) -> float:
    """``getFinishedTime``: when the last container ended, else when the Pod was deleted, else now."""
    ends = [
        parse_timestamp(c["state"]["terminated"]["finishedAt"])
        for c in (pod.get("status") or {}).get("containerStatuses") or []
        if ((c.get("state") or {}).get("terminated") or {}).get("finishedAt")
    ]
    if ends:
        return max(ends)
    deleted = pod["metadata"].get("deletionTimestamp")
    return parse_timestamp(deleted) if deleted else now


def _is_finished(job: dict) -> bool:
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
        for c in (job.get("status") or {}).get("conditions") or []
    )


def _counted_failed(pod: dict) -> bool:
    """``isPodFailed``: Failed, or being deleted without having succeeded (it will never succeed now)."""
    phase = (pod.get("status") or {}).get("phase")
    return phase == "Failed" or (phase != "Succeeded" and bool(pod["metadata"].get("deletionTimestamp")))


class _Backoff:
    """``backoffRecord``: failures since the last success and when the last one happened."""

    def __init__(self) -> None:
        self.failures_after_last_success = 0
        self.last_failure_time: float | None = None

    def record(self, succeeded: list[float], failed: list[float]) -> None:
        """``newBackoffRecord`` with the finish times of the Pods counted in this sync (sorted)."""
        if not succeeded:
            if failed:
                self.failures_after_last_success += len(failed)
                self.last_failure_time = failed[-1]
            return
        self.failures_after_last_success, self.last_failure_time = 0, None
        for when in reversed(failed):
            if when <= succeeded[-1]:
                break
            if self.last_failure_time is None:
                self.last_failure_time = when
            self.failures_after_last_success += 1

    def remaining(self, now: float) -> float:
        """``getRemainingTime``: how long before a replacement may be created (0: now)."""
        if self.failures_after_last_success == 0 or self.last_failure_time is None:
            return 0.0
        delay = DEFAULT_POD_FAILURE_BACKOFF
        for _ in range(1, self.failures_after_last_success):
            delay = min(delay * 2, MAX_POD_FAILURE_BACKOFF)
        elapsed = now - self.last_failure_time
        return 0.0 if delay < elapsed else delay - elapsed


class JobController(Controller):
    """Runs each Job's Pods until ``completions`` succeed, or fails the Job past its ``backoffLimit``."""

    name = "job-controller"

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.job_informer = self.informer("jobs")
        self.pod_informer = self.informer("pods")
        if POD_CONTROLLER_UID_INDEX not in self.pod_informer.indexers:
            self.pod_informer.add_indexer(POD_CONTROLLER_UID_INDEX, pod_controller_uid_index)
        self.expectations = ControllerExpectations(self.clock)
        self.pod_control = PodControl(self.client)
        self.backoff: dict[str, _Backoff] = {}
        self._deleted_uids: dict[
            str, str
        ] = {}  # key of a deleted Job → its UID, to free its Pods' finalizers
        self.job_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self.enqueue, on_update=lambda _old, new: self.enqueue(new), on_delete=self._delete_job
            )
        )
        self.pod_informer.add_event_handler(
            ResourceEventHandler(on_add=self._add_pod, on_update=self._update_pod, on_delete=self._delete_pod)
        )

    # --- informer handlers: bookkeeping and enqueue, nothing else -------------------------------------------

    def _delete_job(self, job: dict) -> None:
        key = object_key(job)
        self.expectations.delete(key)
        self._deleted_uids[key] = job["metadata"]["uid"]
        self.enqueue(job)

    def _owner(self, pod: dict) -> dict | None:
        return resolve_controller_ref(
            self.job_informer, pod["metadata"]["namespace"], controller_of(pod), "Job"
        )

    def _enqueue_batched(self, job: dict) -> None:
        self.queue.add_after(object_key(job), SYNC_JOB_BATCH_PERIOD)

    def _add_pod(self, pod: dict) -> None:
        job = self._owner(pod)
        if job is not None:
            self.expectations.creation_observed(object_key(job))
            self._enqueue_batched(job)

    def _update_pod(self, old: dict, cur: dict) -> None:
        if old["metadata"].get("resourceVersion") == cur["metadata"].get("resourceVersion"):
            return
        job = self._owner(cur)
        if job is not None:
            self._enqueue_batched(job)

    def _delete_pod(self, pod: dict) -> None:
        job = self._owner(pod)
        if job is not None:
            self.expectations.deletion_observed(object_key(job), object_key(pod))
            self._enqueue_batched(job)

    # --- the sync -------------------------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        job = self.job_informer.get(key)
        if job is None:
            self.expectations.delete(key)
            self.backoff.pop(key, None)
            freed = self._free_orphans(self._deleted_uids.pop(key, ""))
            return f"Job {key} has been deleted" + (
                f"; removed the tracking finalizer of {freed}" if freed else ""
            )
        if _is_finished(job):
            self.backoff.pop(key, None)
            return f"Job {key} has finished"
        now = self.clock.now
        spec = job["spec"]
        satisfied = self.expectations.satisfied(key)
        owned = pods_by_owner(self.pod_informer, job, include_orphans=True)
        pods, notes = claim_objects(
            self.client,
            job,
            selector_from_spec(spec.get("selector")),
            owned,
            "pods",
            lambda: self._can_adopt(job),
        )
        status = deep_copy(job.get("status") or {})
        uncounted = status.setdefault("uncountedTerminatedPods", {})
        in_uncounted = set(uncounted.get("succeeded") or []) | set(uncounted.get("failed") or [])
        active = [p for p in pods if is_pod_active(p)]
        tracked = [
            p
            for p in pods
            if JOB_TRACKING_FINALIZER in (p["metadata"].get("finalizers") or [])
            and p["metadata"]["uid"] not in in_uncounted
        ]
        new_succeeded = [p for p in tracked if (p.get("status") or {}).get("phase") == "Succeeded"]
        new_failed = [p for p in tracked if _counted_failed(p)]
        succeeded = status.get("succeeded", 0) + len(new_succeeded) + len(uncounted.get("succeeded") or [])
        failed = status.get("failed", 0) + len(new_failed) + len(uncounted.get("failed") or [])
        suspended = bool(spec.get("suspend"))
        if not status.get("startTime") and not suspended:
            status["startTime"] = timestamp(now)
        backoff = self.backoff.setdefault(key, _Backoff())
        backoff.record(
            sorted(_finished_time(p, now) for p in new_succeeded),
            sorted(_finished_time(p, now) for p in new_failed),
        )

        failure: tuple[str, str] | None = None
        if self._has_condition(job, "FailureTarget"):
            target = next(c for c in status.get("conditions") or [] if c.get("type") == "FailureTarget")
            failure = (target.get("reason", ""), target.get("message", ""))
        elif failed > spec.get("backoffLimit", 6) or self._past_backoff_limit_on_failure(job, active):
            failure = ("BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE)
        elif self._past_active_deadline(job, status, now):
            failure = ("DeadlineExceeded", DEADLINE_MESSAGE)
        elif spec.get("activeDeadlineSeconds") is not None and not suspended:
            self.queue.add_after(
                key, spec["activeDeadlineSeconds"] - (now - parse_timestamp(status["startTime"]))
            )

        actions: list[str] = []
        error: Exception | None = None
        success = False
        if failure is not None:
            actions += self._delete_pods(job, active, "the Job failed")
            new_failed += [
                p for p in active if p not in new_failed and p in tracked
            ]  # all its Pods count failed
            active = []
        else:
            if satisfied and not job["metadata"].get("deletionTimestamp"):
                try:
                    active, action = self._manage_job(job, active, succeeded, backoff)
                    if action:
                        actions.append(action)
                except (ApiError, Unreachable) as err:
                    error = err
            completions = spec.get("completions")
            success = not active and (succeeded > 0 if completions is None else succeeded >= completions)
            if not success and satisfied:
                self._suspend_condition(job, status, suspended, now)

        terminating = sum(
            1
            for p in pods
            if p["metadata"].get("deletionTimestamp")
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        )
        status["active"] = len(active)
        status["ready"] = sum(1 for p in active if is_pod_ready(p))
        status["terminating"] = terminating
        wrote = self._track_and_finish(job, status, new_succeeded, new_failed, failure, success, terminating)
        if error is not None:
            raise error
        head = f"{succeeded} succeeded, {failed} failed, {len(active)} active" + (
            f" ({', '.join(notes)})" if notes else ""
        )
        said = actions + wrote
        if said:
            return f"{head}: {'; '.join(said)}"
        if not satisfied:
            adds, dels = self.expectations.pending(key)
            return (
                f"{head}: waiting for the informer to observe {adds} creation(s) and {dels} deletion(s) "
                "(expectations) before acting again"
            )
        return f"{head}: nothing to do"

    def _can_adopt(self, job: dict) -> bool:
        fresh = self.client.get("jobs", job["metadata"]["name"], job["metadata"]["namespace"])
        return fresh["metadata"]["uid"] == job["metadata"]["uid"] and not fresh["metadata"].get(
            "deletionTimestamp"
        )

    @staticmethod
    def _has_condition(job: dict, ctype: str) -> bool:
        return any(
            c.get("type") == ctype and c.get("status") == "True"
            for c in (job.get("status") or {}).get("conditions") or []
        )

    @staticmethod
    def _past_backoff_limit_on_failure(job: dict, active: list[dict]) -> bool:
        """``pastBackoffLimitOnFailure``: with OnFailure, container restarts of running Pods count as
        failures."""
        if job["spec"]["template"]["spec"].get("restartPolicy") != "OnFailure":
            return False
        restarts = sum(
            c.get("restartCount", 0)
            for p in active
            if (p.get("status") or {}).get("phase") in ("Running", "Pending")
            for c in ((p.get("status") or {}).get("initContainerStatuses") or [])
            + ((p.get("status") or {}).get("containerStatuses") or [])
        )
        limit = job["spec"].get("backoffLimit", 6)
        return restarts > 0 if limit == 0 else restarts >= limit

    @staticmethod
    def _past_active_deadline(job: dict, status: dict, now: float) -> bool:
        deadline = job["spec"].get("activeDeadlineSeconds")
        if deadline is None or not status.get("startTime") or job["spec"].get("suspend"):
            return False
        return now - parse_timestamp(status["startTime"]) >= deadline

    def _manage_job(
        self, job: dict, active: list[dict], succeeded: int, backoff: _Backoff
    ) -> tuple[list[dict], str | None]:
        """``manageJob``: create or delete Pods towards ``wantActive``; returns the active Pods and what it
        did."""
        key, spec = object_key(job), job["spec"]
        parallelism = spec.get("parallelism", 1)
        if spec.get("suspend"):
            want = 0
        elif spec.get("completions") is None:
            want = len(active) if succeeded > 0 else parallelism
        else:
            want = max(0, min(spec["completions"] - succeeded, parallelism))
        if len(active) > want:
            victims = rank_pods_for_deletion(active, {}, self.clock.now)[
                : min(len(active) - want, MAX_POD_CREATE_DELETE_PER_SYNC)
            ]
            self.expectations.expect_deletions(key, [object_key(p) for p in victims])
            said = self._delete_pods(job, victims, "too many active")
            return [p for p in active if p not in victims], "; ".join(said) or None
        if len(active) == want:
            return active, None
        wait = backoff.remaining(self.clock.now)
        if wait > 0:
            self.queue.add_after(key, wait)
            return active, (
                f"waiting {wait:g}s (back-off after {backoff.failures_after_last_success} failed "
                "Pod(s)) before creating a replacement"
            )
        count = min(want - len(active), MAX_POD_CREATE_DELETE_PER_SYNC)
        self.expectations.expect_creations(key, count)
        template = deep_copy(spec["template"])
        template["metadata"]["finalizers"] = [JOB_TRACKING_FINALIZER]
        created: list[dict] = []
        ok, _, err = slow_start_batch(
            count,
            SLOW_START_INITIAL_BATCH_SIZE,
            lambda: created.append(self.pod_control.create_pod(template, job)),
        )
        for _ in range(count - ok):
            self.expectations.creation_observed(key)  # never coming: do not wait for them
        if err is not None:
            raise err
        names = ", ".join(p["metadata"]["name"] for p in created)
        return active + created, f"created {names}"

    def _delete_pods(self, job: dict, pods: list[dict], why: str) -> list[str]:
        deleted = []
        for pod in pods:
            try:
                self.pod_control.delete_pod(pod["metadata"]["namespace"], pod["metadata"]["name"], job)
                deleted.append(pod["metadata"]["name"])
            except (ApiError, Unreachable):
                self.expectations.deletion_observed(object_key(job), object_key(pod))
        return [f"deleted {', '.join(deleted)} ({why})"] if deleted else []

    def _suspend_condition(self, job: dict, status: dict, suspended: bool, now: float) -> None:
        """``ensureJobConditionStatus`` of ``Suspended``, with its Events."""
        conditions = status.setdefault("conditions", [])
        current = next((c for c in conditions if c.get("type") == "Suspended"), None)
        if suspended and (current is None or current.get("status") != "True"):
            reason, message, event = "JobSuspended", "Job suspended", "Suspended"
        elif not suspended and current is not None and current.get("status") == "True":
            reason, message, event = "JobResumed", "Job resumed", "Resumed"
            status["startTime"] = timestamp(now)
        else:
            if not conditions:
                status.pop("conditions")
            return
        new = {
            "type": "Suspended",
            "status": "True" if suspended else "False",
            "lastProbeTime": timestamp(now),
            "lastTransitionTime": timestamp(now),
            "reason": reason,
            "message": message,
        }
        status["conditions"] = [c for c in conditions if c.get("type") != "Suspended"] + [new]
        self.client.event(job, "Normal", event, message)

    # --- status: count finished Pods, free them, finish the Job (trackJobStatusAndRemoveFinalizers) ---------

    def _track_and_finish(
        self,
        job: dict,
        status: dict,
        new_succeeded: list[dict],
        new_failed: list[dict],
        failure: tuple[str, str] | None,
        success: bool,
        terminating: int,
    ) -> list[str]:
        said: list[str] = []
        now = self.clock.now
        uncounted = status["uncountedTerminatedPods"]
        if failure is not None and not self._has_condition(job, "FailureTarget"):
            self._add_condition(status, "FailureTarget", failure, now)
        if success and not self._has_condition(job, "SuccessCriteriaMet"):
            self._add_condition(
                status, "SuccessCriteriaMet", ("CompletionsReached", COMPLETIONS_MESSAGE), now
            )
        for field, pods in (("succeeded", new_succeeded), ("failed", new_failed)):
            if pods:
                uncounted[field] = list(uncounted.get(field) or []) + [p["metadata"]["uid"] for p in pods]
        if new_succeeded or new_failed:
            job = self._write_status(job, status)  # 1. the UIDs are recorded before the finalizers go
            said.append(
                f"recorded {len(new_succeeded)} succeeded and {len(new_failed)} failed Pod(s) as uncounted"
            )
            freed = self._remove_finalizers(new_succeeded + new_failed)  # 2. the Pods may now go
            said.append(f"removed the tracking finalizer of {', '.join(freed)}")
            status = deep_copy(job["status"])
            counted = status["uncountedTerminatedPods"]
            for field in ("succeeded", "failed"):  # 3. the counters take them over
                status[field] = status.get(field, 0) + len(counted.pop(field, None) or [])
                if not status[field]:
                    del status[field]
        finished = (failure is not None or success) and terminating == 0
        if finished:
            ctype, reason_message = (
                ("Failed", failure)
                if failure is not None
                else ("Complete", ("CompletionsReached", COMPLETIONS_MESSAGE))
            )
            self._add_condition(status, ctype, reason_message, now)
            if ctype == "Complete":
                status["completionTime"] = timestamp(now)
        if status != (job.get("status") or {}):
            self._write_status(job, status)
            if not said:
                said.append("wrote status")
        if finished:
            if failure is not None:
                self.client.event(job, "Warning", failure[0], failure[1])
                said.append(f"the Job failed: {failure[0]}")
            else:
                self.client.event(job, "Normal", "Completed", "Job completed")
                said.append("the Job completed")
        return said

    @staticmethod
    def _add_condition(status: dict, ctype: str, reason_message: tuple[str, str], now: float) -> None:
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != ctype]
        conditions.append(
            {
                "type": ctype,
                "status": "True",
                "lastProbeTime": timestamp(now),
                "lastTransitionTime": timestamp(now),
                "reason": reason_message[0],
                "message": reason_message[1],
            }
        )
        status["conditions"] = conditions

    def _write_status(self, job: dict, status: dict) -> dict:
        copy = deep_copy(job)
        copy["status"] = status
        return self.client.update_status(copy)

    def _remove_finalizers(self, pods: list[dict]) -> list[str]:
        freed = []
        for pod in pods:
            md = pod["metadata"]
            rest = [f for f in md.get("finalizers") or [] if f != JOB_TRACKING_FINALIZER]
            try:
                self.client.patch(
                    "pods",
                    md["name"],
                    {"metadata": {"finalizers": rest or None}},
                    namespace=md["namespace"],
                    patch_type="merge",
                )
                freed.append(md["name"])
            except ApiError as err:
                if err.code != 404:
                    raise
        return freed

    def _free_orphans(self, uid: str) -> str:
        """A deleted Job's Pods keep its finalizer: remove it so they can go (``cleanupPodFinalizers``)."""
        if not uid:
            return ""
        pods = [
            p
            for p in self.pod_informer.by_index(POD_CONTROLLER_UID_INDEX, uid)
            if JOB_TRACKING_FINALIZER in (p["metadata"].get("finalizers") or [])
        ]
        return ", ".join(self._remove_finalizers(sorted(pods, key=object_key)))
