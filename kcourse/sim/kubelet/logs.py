"""Container logs: the files the runtime writes and what ``kubectl logs`` reads from them.

Each container instance writes to
``/var/log/pods/<namespace>_<pod>_<uid>/<container>/<attempt>.log`` in the
CRI log format (``<RFC3339Nano> stdout F <line>``), with a symlink
``/var/log/containers/<pod>_<namespace>_<container>-<id>.log`` that log
shippers such as Fluent Bit tail.  ``kubectl logs`` goes through the API
server to the kubelet's ``/containerLogs`` endpoint, which picks the
instance as ``validateContainerLogStatus`` (``kubelet_pods.go``) does.

These are methods of the kubelet, as upstream keeps them.

Simplified: ``--since``, ``--limit-bytes`` and following are not modelled;
logs are never rotated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..component import Component
from ..errors import ApiError
from .container import ContainerRecord, PodRecord

if TYPE_CHECKING:
    from .status import StatusManager

__all__ = ["ContainerLogsMixin"]


class ContainerLogsMixin(Component):
    """The kubelet's log files and its ``/containerLogs`` endpoint."""

    pods: dict[str, PodRecord]
    log_store: dict[str, list[str]]
    _links: dict[str, str]
    status_manager: StatusManager

    def log_files(self) -> dict[str, list[str]]:
        """The node's ``/var/log/containers/*.log`` (symlinks into ``/var/log/pods``), for log shippers."""
        return {
            link: self.log_store[target]
            for link, target in sorted(self._links.items())
            if target in self.log_store
        }

    def _log_container_id(self, p: PodRecord, c: ContainerRecord, previous: bool) -> str:
        """``validateContainerLogStatus``: which container instance ``kubectl logs`` reads."""
        status = self.status_manager.container_status(c)
        last = (status.get("lastState") or {}).get("terminated") or {}
        state = status["state"]
        if previous:
            if not last.get("containerID"):
                raise ApiError(
                    400, "BadRequest", f'previous terminated container "{c.name}" in pod "{p.name}" not found'
                )
            return last["containerID"]
        if "running" in state:
            return status["containerID"]
        if "terminated" in state or last:
            cid = state.get("terminated", {}).get("containerID") or last.get("containerID")
            if not cid:
                raise ApiError(400, "BadRequest", f'container "{c.name}" in pod "{p.name}" is terminated')
            return cid
        reason = state["waiting"].get("reason", "")
        reason = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise ApiError(
            400, "BadRequest", f'container "{c.name}" in pod "{p.name}" is waiting to start: {reason}'
        )

    def _log_path(self, p: PodRecord, container_id: str) -> str:
        """The instance's log file, found as CRI's ContainerStatus.LogPath would give it."""
        cid = container_id.split("://", 1)[-1]
        prefix = f"/var/log/containers/{p.name}_{p.namespace}_"
        return next(
            (
                target
                for link, target in self._links.items()
                if link.startswith(prefix) and link.endswith(f"-{cid}.log")
            ),
            "",
        )

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str | None = None,
        previous: bool = False,
        tail: int | None = None,
        timestamps: bool = False,
    ) -> str:
        """What ``kubectl logs`` shows (served by the kubelet's ``/containerLogs`` endpoint).

        The container is chosen as ``validateContainerLogStatus`` does, from
        the status the kubelet reports: ``previous`` reads the last terminated
        instance; otherwise the running one, else the one that just ended —
        so a container waiting in CrashLoopBackOff still shows the log of its
        last run.  Only a container that never ran is "waiting to start".
        """
        p = self.pods.get(f"{namespace}/{pod}")
        if p is None:
            raise ApiError(404, "NotFound", f'pods "{pod}" not found')
        c = p.ctrs.get(container) if container else next(iter(c for c in p.ctrs.values() if not c.init), None)
        if c is None:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        path = self._log_path(p, self._log_container_id(p, c, previous))
        if path not in self.log_store:
            raise ApiError(
                400, "BadRequest", f'container "{c.name}" in pod "{pod}" is waiting to start - no logs yet'
            )
        lines = self.log_store[path]
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        out = []
        for line in lines:
            stamp, _stream, _tag, text = (line.split(" ", 3) + ["", "", ""])[:4]
            out.append(f"{stamp} {text}" if timestamps else text)
        return "".join(t + "\n" for t in out)
