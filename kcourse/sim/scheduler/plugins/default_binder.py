"""DefaultBinder: tell the API server which node the pod runs on.

Upstream: ``pkg/scheduler/framework/plugins/defaultbinder/default_binder.go``.
The scheduler never writes ``spec.nodeName`` itself: it POSTs a ``Binding``
to the pod's ``binding`` subresource, and the API server sets the field.  A
failed bind is an Error status: the pod goes back to the queue (backoffQ).
Extension points: Bind.

Simplified: nothing.
"""

from __future__ import annotations

from ...apiserver import Unreachable
from ...errors import ApiError
from ..framework.cycle_state import CycleState
from ..framework.interface import BindPlugin, Plugin, Status

__all__ = ["DefaultBinder"]


class DefaultBinder(Plugin):
    """Bind: POST ``pods/<name>/binding`` with the chosen node."""

    name = "DefaultBinder"

    def bind(self, _state: CycleState, pod: dict, node_name: str) -> Status | None:
        fw = self.handle
        assert fw is not None and fw.client is not None
        md = pod["metadata"]
        try:
            fw.client.bind(md.get("namespace") or "default", md["name"], node_name)
        except (ApiError, Unreachable) as err:
            return Status.error(str(err))
        return None


#: What the plugin implements, checked by the type checker (upstream: ``var _ framework.BindPlugin = …``).
_implements: type[BindPlugin] = DefaultBinder
