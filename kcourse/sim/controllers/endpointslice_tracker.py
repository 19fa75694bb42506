"""The EndpointSlice controller's memory of its own writes, so that it does not answer its own echo.

Every slice the controller creates or updates comes back to it through its
informer a moment later.  Without a memory of what it wrote, each write
would queue the Service again for a sync that finds nothing to do — and a
Service whose Pods churn would sync twice for every change.  Upstream's
``EndpointSliceTracker`` (``k8s.io/endpointslice/util/endpointslice_tracker.go``)
remembers, per Service, the ``metadata.generation`` of each slice it last
wrote (the API server bumps a slice's generation on every change of its
endpoints, ports or labels), and the controller's event handlers queue the
Service only for a slice whose generation is newer than the one remembered:
a change someone else made.  A slice the controller deleted itself is
remembered as "deletion expected", so its delete event is not a reason to
sync either; deleting a slice the controller still wants is.

The same memory tells a sync when its informer cache lags behind its own
writes (a tracked slice missing, or older than what was written): the sync
then fails with "EndpointSlice informer cache is out of date" and is retried,
rather than acting on stale slices and creating duplicates.

Simplified: upstream also forgets a Service's generations when the Service
is recreated with a new UID; here a deleted Service's entries are dropped
when its sync sees it gone.
"""

from __future__ import annotations

from ..controller import SyncError

__all__ = ["DELETION_EXPECTED", "EndpointSliceTracker", "StaleInformerCache", "service_key"]

#: The generation recorded for a slice the controller has just deleted.
DELETION_EXPECTED = -1

SERVICE_NAME_LABEL = "kubernetes.io/service-name"


class StaleInformerCache(SyncError):
    """``endpointslicepkg.NewStaleInformerCache``: the cache has not yet seen this controller's own writes."""


def service_key(es: dict) -> str:
    """``namespace/name`` of the Service a slice belongs to, from its ``kubernetes.io/service-name`` label."""
    md = es["metadata"]
    return f"{md.get('namespace', '')}/{(md.get('labels') or {}).get(SERVICE_NAME_LABEL, '')}"


class EndpointSliceTracker:
    """Per Service, the generation of each slice (by UID) as the controller last wrote it."""

    def __init__(self) -> None:
        self._generations: dict[str, dict[str, int]] = {}

    def has(self, es: dict) -> bool:
        return es["metadata"].get("uid") in self._generations.get(service_key(es), {})

    def should_sync(self, es: dict) -> bool:
        """Is this version of the slice news — not one this controller wrote?"""
        known = self._generations.get(service_key(es))
        if known is None:
            return True
        generation = known.get(es["metadata"].get("uid", ""))
        return generation is None or es["metadata"].get("generation", 0) > generation

    def stale_slices(self, key: str, slices: list[dict]) -> bool:
        """Does the cache lag behind this controller's writes for the Service ``key``?"""
        known = self._generations.get(key)
        if not known:
            return False
        seen = set()
        for es in slices:
            uid = es["metadata"].get("uid", "")
            seen.add(uid)
            generation = known.get(uid)
            if generation is not None and (
                generation == DELETION_EXPECTED or generation > es["metadata"].get("generation", 0)
            ):
                return True
        return any(g != DELETION_EXPECTED and uid not in seen for uid, g in known.items())

    def update(self, es: dict) -> None:
        """Remember a slice as this controller just wrote it."""
        self._generations.setdefault(service_key(es), {})[es["metadata"]["uid"]] = es["metadata"].get(
            "generation", 0
        )

    def expect_deletion(self, es: dict) -> None:
        self._generations.setdefault(service_key(es), {})[es["metadata"]["uid"]] = DELETION_EXPECTED

    def handle_deletion(self, es: dict) -> bool:
        """Forget a deleted slice; was its deletion this controller's own?"""
        known = self._generations.get(service_key(es))
        if known is None:
            return True
        generation = known.pop(es["metadata"].get("uid", ""), None)
        return generation is None or generation == DELETION_EXPECTED

    def delete_service(self, key: str) -> None:
        self._generations.pop(key, None)
