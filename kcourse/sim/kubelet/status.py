"""The status manager: what the kubelet writes to a Pod's ``status``, and when.

Like upstream's ``pkg/kubelet/status`` (``status_manager.go``), the pod
worker never writes a status itself: it tells the manager that the status
changed (:meth:`StatusManager.mark`), and the manager writes it a moment
later — one pending write per Pod, so a burst of changes is one PUT of
``pods/<name>/status``.  The status is computed from the kubelet's records:

* ``phase`` as ``getPhase`` does (init containers first; ``restartPolicy``
  decides whether exited containers make the Pod Succeeded, Failed or keep
  it Running);
* the conditions ``PodReadyToStartContainers``, ``Initialized``, ``Ready``,
  ``ContainersReady`` and ``PodScheduled``, with upstream's reasons and
  messages (``ContainersNotReady``, ``containers with unready status: […]``);
* ``containerStatuses`` and ``initContainerStatuses`` from each container's
  explicit state, ``lastState``, ``restartCount`` and ``imageID``.

Simplified: the write is an update of the whole status from the kubelet's
informer copy, not a strategic-merge patch; a write that fails with a
conflict is retried at once, one that cannot reach the API server waits for
the reconnect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..component import Event
from ..errors import ApiError
from ..objects import set_condition, timestamp
from .container import ContainerRecord, PodRecord, Terminated

if TYPE_CHECKING:
    from .kubelet import Kubelet

__all__ = ["CONDITION_ORDER", "StatusManager"]

#: The order kubectl shows a Pod's conditions in (the order the kubelet generates them).
CONDITION_ORDER = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
_RANK = {ctype: i for i, ctype in enumerate(CONDITION_ORDER)}


class StatusManager:
    """Computes Pod status from the kubelet's records and writes it through the API server."""

    def __init__(self, kubelet: Kubelet):
        self.kubelet = kubelet

    def mark(self, p: PodRecord) -> None:
        """Schedule a write of the pod's status (one pending write per pod)."""
        kl = self.kubelet
        if p.status_timer is not None and not p.status_timer.cancelled or not kl.running or p.deleted_sent:
            return

        def write() -> Event | None:
            p.status_timer = None
            if p.removed or p.deleted_sent:
                return None
            try:
                phase = self.write(p)
            except Unreachable:
                return None  # written again on reconnect
            except ApiError as err:
                if err.code == 404:
                    return None
                self.mark(p)
                return kl.event(p.key, f"failed to update pod status: {err}; retrying")
            ready = sum(1 for c in p.mains() if c.ready)
            total = len(p.mains())
            return kl.event(p.key, f"status: {phase}, {ready}/{total} ready, {self.summary(p)}")

        p.status_timer = kl.after(0.01, write)

    @staticmethod
    def summary(p: PodRecord) -> str:
        """``nginx running, sidecar CrashLoopBackOff``: the trace's one-line view of the containers."""
        parts = []
        for c in p.ordered():
            cur = c.current
            what = cur.reason if cur.key == "waiting" else cur.key
            if isinstance(cur, Terminated):
                what = f"terminated ({cur.reason}, exit {cur.exit_code})"
            parts.append(f"{c.name} {what}")
        return ", ".join(parts)

    @staticmethod
    def phase(p: PodRecord) -> str:
        """``getPhase``: Pending, Running, Succeeded or Failed, from the containers' states."""
        restart = p.restart_policy
        inits, mains = p.inits(), p.mains()

        def failed(c: ContainerRecord) -> bool:
            return isinstance(c.current, Terminated) and c.current.exit_code != 0

        if any(failed(c) for c in inits) and restart == "Never":
            return "Failed"
        if not all(c.succeeded for c in inits):
            return "Pending"
        if any(c.state == "running" for c in mains):
            return "Running"
        if all(c.state == "terminated" for c in mains) and mains:
            if restart == "Always" and not p.terminating:
                return "Running"
            if all(c.succeeded for c in mains):
                return "Succeeded"
            if restart == "Never" or p.terminating:
                return "Failed"
            return "Running"
        if any(c.restart_count for c in mains) and restart != "Never":
            return "Running"
        return "Pending"

    def container_status(self, c: ContainerRecord) -> dict:
        """One entry of ``containerStatuses`` (or ``initContainerStatuses``)."""
        scheme = self.kubelet.cri.info.scheme
        cur = c.current
        if isinstance(cur, Terminated):
            state = cur.as_dict(f"{scheme}://{c.cid or c.cid_old}")
        else:
            state = cur.as_dict()
        last = c.last.as_dict(f"{scheme}://{c.last.container_id}") if c.last else {}
        out: dict[str, Any] = {
            "name": c.name,
            "state": state,
            "lastState": last,
            "ready": c.ready,
            "restartCount": c.restart_count,
            "image": c.spec["image"],
            "imageID": c.image_ref,
        }
        if c.cid and c.state != "waiting":
            out["containerID"] = f"{scheme}://{c.cid}"
        elif c.cid_old:
            out["containerID"] = f"{scheme}://{c.cid_old}"
        if not c.init:
            out["started"] = c.state == "running" and c.started
        return out

    def write(self, p: PodRecord) -> str:
        """Write the pod's status now; returns its phase (raises what the API server answers).

        The update body is a new Pod sharing everything it does not change with the informer's
        cached one (which is never mutated): a new top-level dict, a new ``status`` dict, and
        new entries only where a condition or a container's status changed.
        """
        kl = self.kubelet
        current = kl.pod_informer.get(p.key) if kl.pod_informer else None
        if current is None or current["metadata"]["uid"] != p.uid:
            raise ApiError(404, "NotFound", f'pods "{p.name}" not found')
        now = kl.clock.now
        for c in p.mains():
            if c.state == "running" and c.started and not c.spec.get("readinessProbe"):
                c.ready = True
        old_st = current.get("status")
        st: dict[str, Any] = dict(old_st) if old_st else {}
        phase = self.phase(p)
        st["phase"] = phase
        host_ip = kl.network.node_ip(kl.node)
        st["hostIP"] = host_ip
        st["hostIPs"] = _shared(old_st, "hostIPs", [{"ip": host_ip}])
        if p.ip and p.sandbox_ok:
            st["podIP"], st["podIPs"] = p.ip, _shared(old_st, "podIPs", [{"ip": p.ip}])
        if p.start_time is not None:
            st["startTime"] = timestamp(p.start_time)
        inits, mains = p.inits(), p.mains()
        st["conditions"] = self._conditions(p, st.get("conditions") or [], phase, now)
        if inits:
            st["initContainerStatuses"] = _shared_list(
                st.get("initContainerStatuses"), [self.container_status(c) for c in inits]
            )
        st["containerStatuses"] = _shared_list(
            st.get("containerStatuses"), [self.container_status(c) for c in mains]
        )
        new = dict(current)
        new["status"] = st
        kl.client.update_status(new)
        return phase

    def _conditions(self, p: PodRecord, old: list[dict], phase: str, now: float) -> list[dict]:
        """The Pod's conditions as ``generateAPIPodStatus`` sets them, in :data:`CONDITION_ORDER`.

        A condition keeps its ``lastTransitionTime`` unless its status changes (``set_condition``,
        applied to a copy of a condition that changes); a condition that comes out equal is the old
        dict itself, and one that would is not copied at all.
        """
        inits, mains = p.inits(), p.mains()
        initialized = all(c.succeeded for c in inits)
        all_ready = bool(mains) and all(c.ready for c in mains)
        conds = {
            "PodReadyToStartContainers": "True" if p.sandbox_ok and p.sandbox_status_known else "False",
            "Initialized": "True" if initialized else "False",
            "Ready": "True" if all_ready else "False",
            "ContainersReady": "True" if all_ready else "False",
            "PodScheduled": "True",
        }
        first: dict[str, int] = {}  # the position of the first condition of each type
        for i, cond in enumerate(old):
            ctype = cond.get("type")
            if isinstance(ctype, str) and ctype not in first:
                first[ctype] = i
        updated: list[dict] | None = None  # a copy of ``old`` once something changes
        for ctype in CONDITION_ORDER:
            reason = message = ""
            if ctype == "Initialized" and not initialized:
                pending = [c.name for c in inits if not c.succeeded]
                reason, message = (
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(pending)}]",
                )
            if ctype in ("Ready", "ContainersReady") and not all_ready:
                reason = "ContainersNotReady"
                message = (
                    "containers with unready status: [" + " ".join(c.name for c in mains if not c.ready) + "]"
                )
                if phase in ("Succeeded", "Failed"):
                    reason = "PodCompleted"
                    message = ""
            status = conds[ctype]
            i = first.get(ctype, -1)
            if i >= 0 and _unchanged(old[i], status, reason, message):
                continue  # set_condition would give an equal dict: keep the old one itself
            holder: dict[str, Any] = {
                "kind": "Pod",
                "status": {"conditions": [dict(old[i])] if i >= 0 else []},
            }
            set_condition(holder, ctype, status, now, reason, message)
            if updated is None:
                updated = list(old)
            if i < 0:
                updated.append(holder["status"]["conditions"][0])
            else:
                updated[i] = holder["status"]["conditions"][0]
        conditions = old if updated is None else updated
        ordered = sorted(conditions, key=_rank)
        return old if len(ordered) == len(old) and all(a is b for a, b in zip(ordered, old)) else ordered


def _rank(cond: dict) -> int:
    """Where a condition goes in :data:`CONDITION_ORDER` (another type goes after them all)."""
    ctype = cond["type"]
    return _RANK.get(ctype, 9) if isinstance(ctype, str) else 9


def _unchanged(cond: dict, status: str, reason: str, message: str) -> bool:
    """Would ``set_condition`` leave this condition equal to itself (status, reason and message kept)?"""
    return (
        cond.get("status") == status
        and (bool(reason) and cond["reason"] == reason if "reason" in cond else not reason)
        and (bool(message) and cond["message"] == message if "message" in cond else not message)
    )


def _shared(old_status: dict | None, field: str, value: Any) -> Any:
    """``value``, or the old status's equal value itself (the update shares what did not change)."""
    before = old_status.get(field) if old_status else None
    return before if before == value else value


def _shared_list(old: list | None, new: list[dict]) -> list[dict]:
    """A list of statuses where every entry equal to the old one at its place is the old entry."""
    if not old:
        return new
    for i, entry in enumerate(new[: len(old)]):
        if entry == old[i]:
            new[i] = old[i]
    return old if len(new) == len(old) and all(a is b for a, b in zip(new, old)) else new
