"""The kinds of object the simulated API server serves, as the rest of the simulation looks them up.

Each kind is described once, in :mod:`kcourse.sim.kinds` (where it lives in
the REST API and in etcd, its defaulting, validation and printing); this
module is the short name the components use for it: ``ResourceType`` is a
:class:`~kcourse.sim.kinds.Kind`, and ``RESOURCES`` the registry in the API
server's order.
"""

from __future__ import annotations

from .kinds import KINDS, Kind, by_kind, by_plural, lookup

__all__ = ["RESOURCES", "ResourceType", "by_kind", "by_plural", "lookup", "object_key"]

ResourceType = Kind
RESOURCES: tuple[Kind, ...] = KINDS


def object_key(obj: dict) -> str:
    """The informer key: ``namespace/name``, or ``name`` for cluster-scoped objects."""
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))
