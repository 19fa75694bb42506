"""Container logs: the files the runtime writes and what ``kubectl logs`` reads from them.

Each container instance writes to
``/var/log/pods/<namespace>_<pod>_<uid>/<container>/<attempt>.log`` in the
CRI log format (``<RFC3339Nano> stdout F <line>``), with a symlink
``/var/log/containers/<pod>_<namespace>_<container>-<id>.log`` that log
shippers such as Fluent Bit tail.  ``kubectl logs`` goes through the API
server to the kubelet's ``/containerLogs`` endpoint, which picks the
instance as ``validateContainerLogStatus`` (``kubelet_pods.go``) does.

These are methods of the kubelet, as upstream keeps them.  A file is a
:class:`LogFile`: a sequence of its lines that keeps each line as the
``<time> <stream> F `` prefix of the write it came from (one string for all
the lines a program writes at one instant) and its text (often a constant
of the program), joining them only when a line is read.

Simplified: ``--since``, ``--limit-bytes`` and following are not modelled;
logs are never rotated.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from ..component import Component
from ..errors import ApiError
from ..objects import micro_timestamp
from .container import ContainerRecord, PodRecord

if TYPE_CHECKING:
    from ..clock import Clock
    from .status import StatusManager

__all__ = ["ContainerLogsMixin", "LogFile", "LogStamper"]


class LogStamper:
    """The runtime's clock as its log lines show it: ``"<RFC3339Nano> <stream> F "``, made once per instant.

    One per node: the lines its containers write at one instant (a program's start-up lines, or
    several containers' at once) share the one prefix string.
    """

    __slots__ = ("_clock", "_last")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._last: tuple[float, str, str] = (-1.0, "", "")

    def prefix(self, stream: str) -> str:
        now = self._clock.now
        when, last_stream, prefix = self._last
        if when != now or last_stream != stream:
            stamp = micro_timestamp(now).rstrip("Z") + "000Z"
            prefix = f"{stamp} {stream} F "
            self._last = (now, stream, prefix)
        return prefix


class LogFile(Sequence[str]):
    """One container log file: an append-only sequence of CRI log lines (``<time> <stream> F <text>``).

    Reading a line (by index, slice or iteration) gives the same string the file holds; the lines
    are kept as a prefix and a text each, so what many lines or many containers have in common is
    held once.  Called as a program's ``log(line, stream)``, it writes the line stamped by the
    node's :class:`LogStamper`.
    """

    __slots__ = ("_prefixes", "_stamper", "_texts")

    def __init__(self, stamper: LogStamper | None = None) -> None:
        self._prefixes: list[str] = []
        self._texts: list[str] = []
        self._stamper = stamper

    def __call__(self, line: str, stream: str = "stdout") -> None:
        """The container writes ``line`` to ``stream`` now (the runtime stamps it)."""
        if self._stamper is None:
            raise TypeError("this log file has no clock to stamp its lines: write() them")
        self.write(self._stamper.prefix(stream), line if type(line) is str else f"{line}")

    def write(self, prefix: str, text: str) -> None:
        """Append the line ``prefix + text`` (``prefix`` is ``"<time> <stream> F "``)."""
        self._prefixes.append(prefix)
        self._texts.append(text)

    def append(self, line: str) -> None:
        """Append a whole line."""
        self.write("", line)

    def __len__(self) -> int:
        return len(self._texts)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [a + b for a, b in zip(self._prefixes[index], self._texts[index], strict=True)]
        return self._prefixes[index] + self._texts[index]

    def __iter__(self) -> Iterator[str]:
        for a, b in zip(self._prefixes, self._texts, strict=True):
            yield a + b

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LogFile):
            return list(self) == list(other)
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list

    def __repr__(self) -> str:
        return repr(list(self))


class ContainerLogsMixin(Component):
    """The kubelet's log files and its ``/containerLogs`` endpoint."""

    pods: dict[str, PodRecord]
    log_store: dict[str, LogFile]
    _links: dict[str, str]
    status_manager: StatusManager

    def log_files(self) -> dict[str, LogFile]:
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
        lines: Sequence[str] = self.log_store[path]
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        out = []
        for line in lines:
            stamp, _stream, _tag, text = (line.split(" ", 3) + ["", "", ""])[:4]
            out.append(f"{stamp} {text}" if timestamps else text)
        return "".join(t + "\n" for t in out)
