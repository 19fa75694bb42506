"""The watch cache's watchers (``k8s.io/apiserver/pkg/storage/cacher``): who is woken by which change.

The cache itself (the objects, their fan-out to watchers) lives on the server, which follows etcd.

Simplified: a watcher is a callback, not a stream with a buffer; indexed triggers only for the pod and
node registries, as upstream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..labels import parse_field_selector, parse_selector
from ..resources import ResourceType

if TYPE_CHECKING:
    from .server import APIServer

#: The cacher's indexed triggers (``TriggerFunc`` in the pod and node registries): a watch whose field
#: selector pins this field is woken only by objects whose old or new value is the one it asked for,
#: so a kubelet's watch of its own Pods costs nothing when another node's Pod changes.
TRIGGER_FIELDS = {"pods": "spec.nodeName", "nodes": "metadata.name"}


class WatchHandle:
    """A live watch; events go to ``handler(type, obj)``; ``stop()`` ends it."""

    def __init__(
        self,
        server: APIServer,
        rt: ResourceType,
        handler: Callable[[str, dict], None],
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        allow_bookmarks: bool,
        user: str,
    ):
        self.server, self.rt, self.handler = server, rt, handler
        self.namespace = namespace
        self.labels = parse_selector(label_selector)
        self.fields = parse_field_selector(field_selector)
        #: Watchers with the same key select the same objects: a fan-out matches an object once per key,
        #: not once per watcher (every node's kube-proxy watches EndpointSlices with one selector).
        self.match_key = (namespace, label_selector, field_selector)
        self.allow_bookmarks = allow_bookmarks
        self.user = user
        self.stopped = False
        self.delivered = 0
        self.seq = 0  # registration order: deliveries follow it
        self.trigger = _trigger_value(field_selector, TRIGGER_FIELDS.get(rt.plural))

    def matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        md = obj["metadata"]
        if self.namespace and md.get("namespace") != self.namespace:
            return False
        return self.labels.matches(md.get("labels")) and self.fields(obj)

    def deliver(self, etype: str, obj: dict) -> None:
        """Send one event; a handler that raises ends its own watch (its stream broke), never the
        writer's request."""
        if not self.stopped:
            self.delivered += 1
            try:
                self.handler(etype, obj)
            except Exception as err:
                report = self.server.report_failure
                if report is None:
                    raise
                self.stop()
                report(self.user, None, self.rt.plural, "watch handler", err)

    def stop(self) -> None:
        self.stopped = True
        watchers = self.server._watchers.get(self.rt.plural, [])
        if self in watchers:
            watchers.remove(self)
            self.server._untrigger(self)


def _trigger_value(field_selector: str | None, field: str | None) -> str | None:
    """The value an equality term of the selector requires for the resource's trigger field, if any."""
    if not field_selector or field is None:
        return None
    for term in field_selector.split(","):
        name, sep, value = term.partition("=")
        if sep and not name.endswith("!") and name.strip() == field:
            return value.lstrip("=").strip()
    return None
