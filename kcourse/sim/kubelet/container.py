"""The kubelet's records of its Pods and of their containers, with each container's state made explicit.

A container is in exactly one of three states, as ``v1.ContainerStatus``
and the kubelet's ``kubecontainer.ContainerState`` say:

* :class:`Waiting` — not running yet, or not again: ``ContainerCreating``,
  ``ErrImagePull``, ``ImagePullBackOff``, ``ErrImageNeverPull``,
  ``CrashLoopBackOff``, each with its message;
* :class:`Running` — since ``startedAt``;
* :class:`Terminated` — ended with an exit code and a reason
  (``Completed``, ``Error``, ``Unknown`` when the machine lost power).

A :class:`ContainerRecord` holds the current state, the last terminated
one (``lastState``), the restart count and what the kubelet's managers keep
per container: the image manager's pull progress, the prober's counters and
the CrashLoopBackOff back-off.  Transitions are methods (:meth:`~ContainerRecord.wait`,
:meth:`~ContainerRecord.run`, :meth:`~ContainerRecord.terminate`), so a state
never holds fields of another.

Simplified: upstream keeps these across several caches (the runtime cache,
the status manager's cache, the prober's results managers, the back-off
table); here one record per container holds them all.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from typing import Any

from ..clock import Timer
from ..objects import timestamp

__all__ = [
    "ContainerRecord",
    "ContainerState",
    "PodRecord",
    "Running",
    "Terminated",
    "Waiting",
    "should_restart",
    "status_of",
]


@dataclass(frozen=True, slots=True)
class Waiting:
    """``state.waiting``: the container does not run, for ``reason``."""

    reason: str = "ContainerCreating"
    message: str = ""

    key = "waiting"

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"reason": self.reason or "ContainerCreating"}
        if self.message:
            out["message"] = self.message
        return {"waiting": out}


@dataclass(frozen=True, slots=True)
class Running:
    """``state.running``: the container's process runs since ``started_at`` (simulated seconds)."""

    started_at: float

    key = "running"

    def as_dict(self) -> dict:
        return {"running": {"startedAt": timestamp(self.started_at or 0)}}


@dataclass(frozen=True, slots=True)
class Terminated:
    """``state.terminated``: the process ended; ``container_id`` is filled once it is the ``lastState``."""

    exit_code: int
    reason: str
    started_at: float
    finished_at: float
    container_id: str = ""

    key = "terminated"

    def as_dict(self, container_id: str = "") -> dict:
        return {
            "terminated": {
                "exitCode": self.exit_code,
                "reason": self.reason,
                "startedAt": timestamp(self.started_at or 0),
                "finishedAt": timestamp(self.finished_at or 0),
                "containerID": container_id or self.container_id,
            }
        }


ContainerState = Waiting | Running | Terminated


@dataclass(slots=True)
class ContainerRecord:
    """What the kubelet knows about one container of one of its Pods."""

    name: str
    spec: dict
    init: bool
    current: ContainerState = field(default_factory=Waiting)
    last: Terminated | None = None  # lastState.terminated
    cid: str = ""  # the runtime's container ID of the current instance
    cid_old: str = ""  # … and of the one before it (its logs, lastState)
    restart_count: int = 0
    attempts: int = 0  # containers created so far (log file index = attempt)
    ready: bool = False
    started: bool = False
    program: Any = None
    # the image manager's progress
    image_ref: str = ""
    image_checked: bool = False
    image_ready: bool = False
    image_backoff: float = 0.0
    image_backoff_at: float = -1e9  # when the last pull failed (the back-off's lastUpdate)
    # the prober's counters and what a learner made the program answer
    unhealthy: bool = False
    unready: bool = False
    #: Consecutive failures and successes by probe kind, made at the first probe (most have none).
    fails: dict[str, int] | None = None
    oks: dict[str, int] | None = None
    # restarts
    backoff: float = 0.0
    not_before: float = 0.0  # back-off: no (re)start or pull before this time
    stopping: bool = False  # a failed liveness/startup probe asked for a restart
    timers: list[Timer] = field(default_factory=list)

    @property
    def state(self) -> str:
        """``waiting``, ``running`` or ``terminated``: the key under ``state`` in the container's status."""
        return self.current.key

    @property
    def succeeded(self) -> bool:
        return isinstance(self.current, Terminated) and self.current.exit_code == 0

    def wait(self, reason: str, message: str = "") -> None:
        self.current = Waiting(reason, message)

    def run(self, now: float) -> None:
        """StartContainer succeeded: a terminated instance becomes the ``lastState``."""
        if isinstance(self.current, Terminated):
            self.remember_terminated()
        self.current = Running(now)

    def terminate(self, exit_code: int, reason: str, now: float) -> None:
        """The process ended; the probes of this instance stop."""
        started = self.current.started_at if isinstance(self.current, Running) else 0.0
        self.current = Terminated(
            exit_code, reason or ("Completed" if not exit_code else "Error"), started, now
        )
        self.ready = False
        self.cancel_timers()

    def remember_terminated(self) -> None:
        """Keep the terminated instance as ``lastState`` (with the ID of the container that ended)."""
        assert isinstance(self.current, Terminated)
        self.last = replace(self.current, container_id=self.cid_old or self.cid)

    def probe_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """The prober's counters of this instance: (failures, successes) in a row, by probe kind."""
        if self.fails is None or self.oks is None:
            self.fails, self.oks = {}, {}
        return self.fails, self.oks

    def cancel_timers(self) -> None:
        for t in self.timers:
            t.cancel()
        self.timers.clear()


@dataclass(slots=True)
class PodRecord:
    """What the kubelet knows about one of its Pods: the sandbox, the containers, the pod worker's state.

    The record holds no copy of the Pod: the informer's cache has the current one, and the
    record keeps only what the worker reads when the Pod may be gone from there (deleted from
    the API server, or a new incarnation under the same name) — references to the spec, the
    labels and annotations of the version last seen (shared with the cached object, never
    mutated), its ``resourceVersion`` for Events, and the deletion's grace period.
    """

    key: str
    uid: str
    spec: dict
    ctrs: dict[str, ContainerRecord]
    #: Of the version last seen: what an Event's ``involvedObject.resourceVersion`` names.
    resource_version: str | None = None
    labels: dict | None = None
    annotations: dict | None = None
    #: ``metadata.deletionGracePeriodSeconds`` once the Pod is being deleted.
    deletion_grace: int | None = None
    sandbox_id: str = ""
    sandbox_ok: bool = False
    sandbox_attempt: int = -1
    sandbox_status_known: bool = False
    ip: str = ""
    start_time: float | None = None
    busy: Timer | None = None
    status_timer: Timer | None = None
    terminating: bool = False
    killing_announced: bool = False
    removed: bool = False
    gone_from_api: bool = False
    deleted_sent: bool = False
    network_wait_logged: bool = False
    #: Of the key, split once: every CRI config and Event of the Pod shares these strings.
    namespace: str = field(init=False)
    name: str = field(init=False)
    #: ``/var/log/pods/<namespace>_<name>_<uid>``: where the runtime writes this Pod's container logs.
    log_directory: str = field(init=False)
    #: The containers, init containers first (a Pod's containers never change): read at every step.
    _ordered: tuple[ContainerRecord, ...] = field(init=False, repr=False, compare=False)
    _n_inits: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        namespace, self.name = self.key.split("/", 1)
        self.namespace = sys.intern(namespace)  # one string for all the Pods of a namespace
        self.log_directory = f"/var/log/pods/{self.namespace}_{self.name}_{self.uid}"
        inits = tuple(c for c in self.ctrs.values() if c.init)
        self._ordered = inits + tuple(c for c in self.ctrs.values() if not c.init)
        self._n_inits = len(inits)

    def observe(self, pod: dict) -> None:
        """The informer delivered a version of the Pod: keep what the worker reads of it."""
        md = pod["metadata"]
        self.spec = pod["spec"]
        self.resource_version = md.get("resourceVersion")
        self.labels = md.get("labels")
        self.annotations = md.get("annotations")
        self.deletion_grace = md.get("deletionGracePeriodSeconds")

    def reference(self) -> dict:
        """The Pod as an Event's ``involvedObject`` names it (``ref.GetReference``'s fields)."""
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "uid": self.uid,
                "resourceVersion": self.resource_version,
            },
        }

    @property
    def host_network(self) -> bool:
        return bool(self.spec.get("hostNetwork"))

    @property
    def restart_policy(self) -> str:
        return self.spec.get("restartPolicy", "Always")

    def ordered(self) -> tuple[ContainerRecord, ...]:
        """Init containers first, in order, then the app containers."""
        return self._ordered

    def inits(self) -> tuple[ContainerRecord, ...]:
        return self._ordered[: self._n_inits]

    def mains(self) -> tuple[ContainerRecord, ...]:
        return self._ordered[self._n_inits :]  # the tuple itself when there are no init containers


def status_of(pod: dict, name: str, init: bool) -> dict | None:
    """The container's status as the API server holds it (a restarted kubelet takes its restartCount)."""
    key = "initContainerStatuses" if init else "containerStatuses"
    for s in (pod.get("status") or {}).get(key) or []:
        if s.get("name") == name:
            return s
    return None


def should_restart(policy: str, exit_code: int) -> bool:
    """``restartPolicy``: Always restarts any exit, OnFailure a non-zero one, Never none."""
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)
