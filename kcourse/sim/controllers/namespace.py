"""The namespace controller (``namespace-controller``): empty a deleted namespace, then let it go.

``kubectl delete namespace shop`` does not remove the namespace at once: the
API server sets its ``deletionTimestamp`` and ``status.phase: Terminating``
and refuses new objects in it.  The namespace keeps the ``kubernetes``
finalizer in ``spec.finalizers`` until this controller has deleted every
namespaced object in it — Deployments, ReplicaSets, Pods, Services,
ConfigMaps, Secrets, Events … — and seen them gone.  Then it removes the
finalizer and the API server deletes the namespace.

Pods terminate gracefully, so the controller comes back after the longest
remaining grace period (the real ``estimateGracefulTermination``); other
content that lingers (finalizers) is checked again after 5 seconds.  The
namespace's conditions tell a learner what is holding it up:
``NamespaceDeletionDiscoveryFailure``, ``NamespaceDeletionGroupVersionParsingFailure``,
``NamespaceDeletionContentFailure``, ``NamespaceContentRemaining``,
``NamespaceFinalizersRemaining``, with upstream's reasons and messages.

The work starts 5 seconds after the namespace was marked for deletion (the
real controller's ``namespaceDeletionGracePeriod``, which lets HA API
servers notice the deletion and late creations land first).

Simplified: ``deletecollection`` is sent as one ``delete`` per object (the
simulated API server has no collection delete); the finalizer is removed with
a plain update instead of the ``/finalize`` subresource; discovery cannot fail.
"""

from __future__ import annotations

from typing import Any

from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..objects import deep_copy, parse_timestamp, timestamp
from ..resources import RESOURCES

__all__ = ["NAMESPACE_DELETION_GRACE_PERIOD", "RECHECK_SECONDS", "NamespaceController"]

NAMESPACE_DELETION_GRACE_PERIOD = 5.0
RECHECK_SECONDS = 5.0
FINALIZER = "kubernetes"


class NamespaceController(Controller):
    """Deletes the content of terminating namespaces and finalizes them."""

    name = "namespace-controller"

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.ns_informer = self.informer("namespaces")
        self.ns_informer.add_event_handler(
            ResourceEventHandler(
                on_add=self._enqueue_deleted, on_update=lambda _old, new: self._enqueue_deleted(new)
            )
        )

    def _enqueue_deleted(self, ns: dict) -> None:
        """Only namespaces being deleted need work; start after the deletion grace period."""
        if ns["metadata"].get("deletionTimestamp"):
            self.queue.add_after(ns["metadata"]["name"], NAMESPACE_DELETION_GRACE_PERIOD)

    def sync_handler(self, key: str) -> str | None:
        if self.ns_informer.get(key) is None:
            return f"namespace {key} is gone"
        try:
            ns = self.client.get("namespaces", key)  # the latest view, not the cache
        except ApiError as err:
            if err.code == 404:
                return f"namespace {key} is gone"
            raise
        if not ns["metadata"].get("deletionTimestamp"):
            return f"namespace {key} is not being deleted"
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return f"namespace {key} is already finalized"
        deleted, remaining, by_finalizer, estimate = self._delete_all_content(key, ns)
        ns = self._update_conditions(ns, remaining, by_finalizer)
        done = f"deleted {', '.join(deleted)}; " if deleted else ""
        if remaining:
            wait = estimate if estimate > 0 else RECHECK_SECONDS
            self.queue.add_after(key, wait)
            left = ", ".join(f"{n} {r}" for r, n in sorted(remaining.items()))
            return f"{done}waiting for {left} to go (checking again in {wait:g}s)"
        copy = deep_copy(ns)
        copy["spec"]["finalizers"] = [f for f in copy["spec"].get("finalizers") or [] if f != FINALIZER]
        self.client.update(copy)
        return f"{done}namespace {key} is empty: removed the {FINALIZER} finalizer, the API server deletes it"

    def _delete_all_content(
        self, namespace: str, ns: dict
    ) -> tuple[list[str], dict[str, int], dict[str, int], float]:
        deleted: list[str] = []
        remaining: dict[str, int] = {}
        by_finalizer: dict[str, int] = {}
        estimate = 0.0
        deleted_at = parse_timestamp(ns["metadata"]["deletionTimestamp"])
        for rt in RESOURCES:
            if not rt.namespaced:
                continue
            items = self.client.list(rt.plural, namespace)["items"]
            if not items:
                continue
            if rt.kind == "Pod":
                estimate = max(estimate, self._estimate_graceful_termination(items, deleted_at))
            count = 0
            for obj in items:
                if obj["metadata"].get("deletionTimestamp") and rt.kind != "Pod":
                    continue
                try:
                    self.client.delete(rt.plural, obj["metadata"]["name"], namespace)
                    count += 1
                except ApiError as err:
                    if err.code != 404:
                        raise
            if count:
                deleted.append(f"{count} {rt.plural}")
            left = self.client.list(rt.plural, namespace)["items"]
            if left:
                remaining[rt.qualified] = len(left)
                for obj in left:
                    for f in obj["metadata"].get("finalizers") or []:
                        by_finalizer[f] = by_finalizer.get(f, 0) + 1
        return deleted, remaining, by_finalizer, estimate

    def _estimate_graceful_termination(self, pods: list[dict], deleted_at: float) -> float:
        """The longest grace period among the Pods, minus the time since the namespace was deleted."""
        longest = 0
        for pod in pods:
            grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
            if pod["metadata"].get("deletionGracePeriodSeconds") is not None:
                grace = pod["metadata"]["deletionGracePeriodSeconds"]
            longest = max(longest, grace)
        return max(longest - (self.clock.now - deleted_at), 0)

    def _update_conditions(self, ns: dict, remaining: dict[str, int], by_finalizer: dict[str, int]) -> dict:
        now = timestamp(self.clock.now)

        def cond(ctype: str, status: str, reason: str, message: str) -> dict:
            return {
                "type": ctype,
                "status": status,
                "lastTransitionTime": now,
                "reason": reason,
                "message": message,
            }

        wanted = [
            cond(
                "NamespaceDeletionDiscoveryFailure",
                "False",
                "ResourcesDiscovered",
                "All resources successfully discovered",
            ),
            cond(
                "NamespaceDeletionGroupVersionParsingFailure",
                "False",
                "ParsedGroupVersions",
                "All legacy kube types successfully parsed",
            ),
            cond(
                "NamespaceDeletionContentFailure",
                "False",
                "ContentDeleted",
                "All content successfully deleted, may be waiting on finalization",
            ),
        ]
        if remaining:
            wanted.append(
                cond(
                    "NamespaceContentRemaining",
                    "True",
                    "SomeResourcesRemain",
                    "Some resources are remaining: "
                    + ", ".join(f"{r} has {n} resource instances" for r, n in sorted(remaining.items())),
                )
            )
        else:
            wanted.append(
                cond(
                    "NamespaceContentRemaining", "False", "ContentRemoved", "All content successfully removed"
                )
            )
        if by_finalizer:
            wanted.append(
                cond(
                    "NamespaceFinalizersRemaining",
                    "True",
                    "SomeFinalizersRemain",
                    "Some content in the namespace has finalizers remaining: "
                    + ", ".join(f"{f} in {n} resource instances" for f, n in sorted(by_finalizer.items())),
                )
            )
        else:
            wanted.append(
                cond(
                    "NamespaceFinalizersRemaining",
                    "False",
                    "ContentHasNoFinalizers",
                    "All content-preserving finalizers finished",
                )
            )
        current = {c["type"]: c for c in (ns.get("status") or {}).get("conditions") or []}
        changed = False
        for c in wanted:
            old = current.get(c["type"])
            if (
                old is not None
                and old.get("status") == c["status"]
                and old.get("reason") == c["reason"]
                and old.get("message") == c["message"]
            ):
                c["lastTransitionTime"] = old["lastTransitionTime"]
            else:
                changed = True
        if not changed:
            return ns
        copy = deep_copy(ns)
        copy.setdefault("status", {})["conditions"] = wanted
        return self.client.update_status(copy)
