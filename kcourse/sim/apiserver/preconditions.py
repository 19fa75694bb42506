"""The storage preconditions of a write (``storage.Preconditions``, ``k8s.io/apiserver/pkg/storage``).

Simplified: only the UID and resourceVersion preconditions, as upstream has.
"""

from __future__ import annotations

from .. import errors
from ..resources import ResourceType


def check_preconditions(
    rt: ResourceType, current: dict, uid: str | None, resource_version: str | None, *, stated: bool = False
) -> None:
    """The storage preconditions of a write, checked before anything validates it (409 Conflict).

    As ``GuaranteedUpdate`` (``apiserver/pkg/storage/etcd3/store.go``) and the generic registry's
    ``Update`` do: the UID precondition first (``storage.Preconditions.Check``), then the
    resourceVersion.  An update's stale resourceVersion is the optimistic-lock error; a
    delete's stated preconditions (``stated``) name what they expected.
    """
    md = current["metadata"]
    if uid and uid != md.get("uid"):
        raise errors.conflict(
            rt.plural,
            md["name"],
            rt.group,
            f"Precondition failed: UID in precondition: {uid}, UID in object meta: {md.get('uid')}",
        )
    if resource_version and resource_version != md["resourceVersion"]:
        raise errors.conflict(
            rt.plural,
            md["name"],
            rt.group,
            (
                f"Precondition failed: ResourceVersion in precondition: {resource_version}, ResourceVersion "
                f"in object meta: {md['resourceVersion']}"
            )
            if stated
            else "",
        )
