"""What a component holds to talk to the API server (client-go's clientset), and the audit log's record.

Simplified: calls are in-process; a partitioned node gets :class:`Unreachable` at once, not a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..record import EventRecorder, event_source
from ..resources import object_key

if TYPE_CHECKING:
    from .cacher import WatchHandle
    from .server import APIServer


class Unreachable(ConnectionError):
    """The caller cannot reach any API server (its node is partitioned, or every master is down)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One API request, as the audit log would record it."""

    seq: int
    time: float
    user: str
    verb: str
    resource: str
    namespace: str
    name: str
    code: int
    subresource: str = ""


class Client:
    """What a component holds to talk to the API server (client-go's clientset).

    It names the caller for the audit log and fails with :class:`Unreachable`
    when the caller's node cannot reach any API server.
    """

    def __init__(
        self, server: APIServer, user: str, node: str | None = None, field_validation: str | None = None
    ):
        self.server, self.user, self.node = server, user, node
        # What the client sends as ``?fieldValidation=`` on writes: client-go sends nothing (the server's
        # ``Warn``), kubectl sends ``Strict``.
        self.field_validation = field_validation
        self._recorders: dict[str, EventRecorder] = {}

    def _ok(self) -> APIServer:
        self.server._check_reachable(self.node)
        return self.server

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict:
        return self._ok().get(resource, name, namespace, user=self.user)

    def list(self, resource: str, namespace: str | None = None, **kw: Any) -> dict:
        return self._ok().list(resource, namespace, user=self.user, **kw)

    def watch(self, resource: str, handler: Callable[[str, dict], None], **kw: Any) -> WatchHandle:
        return self._ok().watch(resource, handler, user=self.user, **kw)

    def create(self, obj: dict, namespace: str | None = None, **kw: Any) -> dict:
        kw.setdefault("field_validation", self.field_validation)
        return self._ok().create(obj, namespace=namespace, user=self.user, **kw)

    def update(self, obj: dict, **kw: Any) -> dict:
        kw.setdefault("field_validation", self.field_validation)
        return self._ok().update(obj, user=self.user, **kw)

    def update_status(self, obj: dict) -> dict:
        return self._ok().update(
            obj, subresource="status", user=self.user, field_validation=self.field_validation
        )

    def patch(self, resource: str, name: str, patch: Any, namespace: str | None = None, **kw: Any) -> dict:
        kw.setdefault("field_validation", self.field_validation)
        return self._ok().patch(resource, name, patch, namespace=namespace, user=self.user, **kw)

    def delete(self, resource: str, name: str, namespace: str | None = None, **kw: Any) -> dict:
        return self._ok().delete(resource, name, namespace, user=self.user, **kw)

    def bind(self, namespace: str, pod_name: str, node_name: str) -> dict:
        return self._ok().bind(namespace, pod_name, node_name, user=self.user)

    def event(
        self,
        involved: dict,
        etype: str,
        reason: str,
        message: str,
        *,
        source: str | None = None,
        field_path: str = "",
    ) -> dict | None:
        """Record an Event through this process's recorder (client-go's ``EventRecorder``, see record.py).

        Best effort, as client-go's: a refused or unreachable write is dropped.  ``source`` is the
        recorder's component when it is not the upstream name of this client's component.
        """
        if not self.server.record_events_enabled or not self.server.reachable(self.node):
            return None
        src = {"component": source} if source else event_source(self.user, self.node)
        recorder = self._recorders.get(src["component"])
        if recorder is None:
            recorder = self._recorders[src["component"]] = EventRecorder(self, src, self.server.event_clock)
        return recorder.event(involved, etype, reason, message, field_path=field_path)


def sorted_keys(objs: Iterable[dict]) -> list[str]:
    return sorted(object_key(o) for o in objs)
