"""The garbage collector (``garbage-collector-controller``): delete what nobody owns any more.

Objects point at their owners with ``metadata.ownerReferences`` (by uid): a
Pod at its ReplicaSet, a ReplicaSet at its Deployment, an EndpointSlice at
its Service, a Lease at its Node.  The collector watches every kind, keeps a
graph of those references — ``GraphBuilder`` — and works through the nodes
that may need action (``attemptToDelete`` / ``attemptToOrphan``):

* **Background** (the default for ``kubectl delete``): the owner goes at
  once; its dependents find their owner missing (a live GET says 404 or a
  different uid) and are deleted in turn — Deployment, then ReplicaSets,
  then Pods.
* **Foreground**: the API server marks the owner with a deletionTimestamp
  and the ``foregroundDeletion`` finalizer; the collector deletes the
  dependents first (those with ``blockOwnerDeletion: true`` block the
  owner), then removes the finalizer and the API server deletes the owner.
* **Orphan**: the ``orphan`` finalizer; the collector removes the owner's
  entry from every dependent's ``ownerReferences``, then the finalizer — the
  Pods keep running without a controller.

An object with several owners is only collected when none is left; references
to owners that are gone are removed with a patch.  Owners the graph has not
seen (*virtual* nodes) are looked up with a live GET.

Simplified: one work queue for both attempt-to-delete and attempt-to-orphan
(keyed ``<resource>/<namespace>/<name>``), no absent-owner cache, no
RESTMapper discovery (the kinds are the simulated API server's), and
ownership cycles are not broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler
from ..objects import deep_copy
from ..resources import RESOURCES, by_kind, by_plural

__all__ = ["GarbageCollector", "GraphNode"]


_NO_DEPENDENTS: frozenset[str] = frozenset()


@dataclass(slots=True)
class GraphNode:
    """One object in the ownership graph (``node`` in graph.go).

    ``owners`` is the object's ``ownerReferences`` list as the informer delivered it: cached objects are
    never changed, so the graph shares the list instead of copying it (one graph node per object of the
    cluster).  ``dependents`` is one shared empty set until the object has a dependent (most objects
    never have one): add and discard them with :meth:`add_dependent` and :meth:`discard_dependent`.
    """

    uid: str
    resource: str
    namespace: str
    name: str
    owners: list[dict] = field(default_factory=list)
    dependents: set[str] | frozenset[str] = _NO_DEPENDENTS
    virtual: bool = False
    being_deleted: bool = False
    deleting_dependents: bool = False

    def add_dependent(self, uid: str) -> None:
        if isinstance(self.dependents, set):
            self.dependents.add(uid)
        else:
            self.dependents = {uid}

    def discard_dependent(self, uid: str) -> None:
        if isinstance(self.dependents, set):
            self.dependents.discard(uid)

    @property
    def key(self) -> str:
        return (
            f"{self.resource}/{self.namespace}/{self.name}"
            if self.namespace
            else f"{self.resource}/{self.name}"
        )


def _identity(obj: dict, resource: str) -> tuple[str, str, str]:
    md = obj["metadata"]
    return resource, md.get("namespace") or "", md["name"]


class GarbageCollector(Controller):
    """Cascading deletion over the ownerReference graph."""

    name = "garbage-collector-controller"

    #: Kinds watched: every kind the API server serves except Events (which nothing owns).
    WATCHED = tuple(r.plural for r in RESOURCES if r.plural != "events")

    def __init__(self, manager: Any, informers: Any):
        super().__init__(manager, informers)
        self.nodes: dict[str, GraphNode] = {}  # uid → node
        #: queue key → uid, or uids when there are several (a real object and maybe a virtual one)
        self.by_key: dict[str, str | set[str]] = {}
        for resource in self.WATCHED:
            self.informer(resource).add_event_handler(
                ResourceEventHandler(
                    on_add=lambda obj, r=resource: self._observe(obj, r),
                    on_update=lambda _old, new, r=resource: self._observe(new, r),
                    on_delete=self._forget,
                )
            )

    # --- GraphBuilder: keep the graph in step with the informers ---------------------------------

    def _index(self, node: GraphNode) -> None:
        key = node.key
        uids = self.by_key.get(key)
        if uids is None:
            self.by_key[key] = node.uid  # one object per key, nearly always: no set for it
        elif isinstance(uids, set):
            uids.add(node.uid)
        elif uids != node.uid:
            self.by_key[key] = {uids, node.uid}

    def _unindex(self, node: GraphNode) -> None:
        key = node.key
        uids = self.by_key.get(key)
        if isinstance(uids, set):
            uids.discard(node.uid)
            if not uids:
                del self.by_key[key]
        elif uids == node.uid:
            del self.by_key[key]

    def _ensure_owner(self, ref: dict, namespace: str) -> GraphNode | None:
        """The owner's node; a virtual one (to be verified with a GET) if the graph has not seen it."""
        node = self.nodes.get(ref.get("uid", ""))
        if node is not None:
            return node
        rt = by_kind(ref.get("kind", ""))
        if rt is None:
            return None
        node = GraphNode(
            ref["uid"], rt.plural, namespace if rt.namespaced else "", ref.get("name", ""), virtual=True
        )
        self.nodes[node.uid] = node
        self._index(node)
        self.queue.add(node.key)
        return node

    def _observe(self, obj: dict, resource: str) -> None:
        md = obj["metadata"]
        uid = md.get("uid")
        if not uid:
            return
        refs = md.get("ownerReferences") or []
        deleting = bool(md.get("deletionTimestamp"))
        node = self.nodes.get(uid)
        if (
            not deleting
            and node is not None
            and not node.virtual
            and not node.being_deleted
            and not node.deleting_dependents
            and node.owners == refs
        ):
            return  # the common case of the check below, without reading the finalizers
        finalizers = md.get("finalizers") or []
        if node is None or node.virtual:
            resource_, ns, name = _identity(obj, resource)
            if node is None:
                node = GraphNode(uid, resource_, ns, name)
                self.nodes[uid] = node
            else:
                self._unindex(node)
                node.resource, node.namespace, node.name, node.virtual = resource_, ns, name, False
            self._index(node)
            old_owners: list[dict] = []
        else:
            old_owners = node.owners
            if (
                old_owners == refs
                and node.being_deleted == deleting
                and node.deleting_dependents == (deleting and "foregroundDeletion" in finalizers)
                and not (deleting and "orphan" in finalizers)
            ):
                return  # nothing that matters to the graph changed (a status update, a heartbeat)
        owners = refs  # shared with the cached object, which nobody changes
        node.owners = owners
        old_uids: set[Any] = {r.get("uid") for r in old_owners}
        new_uids: set[Any] = {r.get("uid") for r in owners}
        for gone in old_uids - new_uids:
            owner = self.nodes.get(gone)
            if owner is not None:
                owner.discard_dependent(uid)
                if owner.deleting_dependents:
                    self.queue.add(owner.key)  # one blocker fewer
        for ref in owners:
            owner = self._ensure_owner(ref, node.namespace)  # an unseen owner is verified with a GET
            if owner is not None:
                owner.add_dependent(uid)
        node.being_deleted = deleting
        if deleting and "foregroundDeletion" in finalizers:
            if not node.deleting_dependents:
                node.deleting_dependents = True
                for dep in sorted(node.dependents):
                    if dep in self.nodes:
                        self.queue.add(self.nodes[dep].key)
            self.queue.add(node.key)
        if deleting and "orphan" in finalizers:
            self.queue.add(node.key)

    def _forget(self, obj: dict) -> None:
        uid = obj["metadata"].get("uid")
        node = self.nodes.pop(uid, None) if uid else None
        if node is None:
            return
        self._unindex(node)
        self._removed(node)

    def _removed(self, node: GraphNode) -> None:
        """An object is gone: its dependents may be garbage now, its deleting owners one blocker lighter."""
        for dep in sorted(node.dependents):
            if dep in self.nodes:
                self.queue.add(self.nodes[dep].key)
        for ref in node.owners:
            owner = self.nodes.get(ref.get("uid", ""))
            if owner is not None:
                owner.discard_dependent(node.uid)
                if owner.deleting_dependents or owner.virtual:
                    self.queue.add(owner.key)
                if owner.virtual and not owner.dependents:
                    self.nodes.pop(owner.uid, None)
                    self._unindex(owner)

    # --- the workers -----------------------------------------------------------------------------

    def sync_handler(self, key: str) -> str | None:
        held = self.by_key.get(key, ())
        uids = [held] if isinstance(held, str) else sorted(held)
        if not uids:
            return f"{key} is no longer in the graph"
        return (
            "; ".join(self._attempt(self.nodes[uid]) for uid in uids if uid in self.nodes) or "nothing to do"
        )

    def _live(self, resource: str, namespace: str, name: str) -> dict | None:
        rt = by_plural(resource)
        try:
            return self.client.get(resource, name, namespace if rt and rt.namespaced else None)
        except ApiError as err:
            if err.code == 404:
                return None
            raise

    def _attempt(self, node: GraphNode) -> str:
        latest = self._live(node.resource, node.namespace, node.name)
        if latest is None or latest["metadata"]["uid"] != node.uid:
            if node.virtual:
                # The owner never existed or is gone: treat it as deleted so its dependents are checked.
                self.nodes.pop(node.uid, None)
                self._unindex(node)
                self._removed(node)
                return f"owner {node.key} does not exist: checking its {len(node.dependents)} dependent(s)"
            return f"{node.key} is already gone"
        md = latest["metadata"]
        finalizers = md.get("finalizers") or []
        if md.get("deletionTimestamp"):
            if "orphan" in finalizers:
                return self._orphan_dependents(node, latest)
            if "foregroundDeletion" in finalizers:
                return self._process_deleting_dependents(node, latest)
            return f"{node.key} is being deleted"
        owners = md.get("ownerReferences") or []
        if not owners:
            return f"{node.key} has no owners"
        solid: list[dict] = []
        dangling: list[dict] = []
        waiting: list[dict] = []
        for ref in owners:
            owner = self._owner_state(ref, node.namespace)
            {"solid": solid, "dangling": dangling, "waiting": waiting}[owner].append(ref)
        if solid:
            if not dangling and not waiting:
                return f"{node.key} has a live owner"
            gone = {r["uid"] for r in dangling + waiting}
            patch = {
                "metadata": {
                    "ownerReferences": [{"$patch": "delete", "uid": u} for u in sorted(gone)],
                    "uid": node.uid,
                }
            }
            self.client.patch(
                node.resource, node.name, patch, namespace=node.namespace or None, patch_type="strategic"
            )
            return f"removed references to deleted owners from {node.key}"
        if waiting and node.dependents:
            policy = "Foreground"  # an owner waits for us: our own dependents must go first too
        elif "orphan" in finalizers:
            policy = "Orphan"
        elif "foregroundDeletion" in finalizers:
            policy = "Foreground"
        else:
            policy = "Background"
        owner_names = ", ".join(f"{r.get('kind')} {r.get('name')}" for r in dangling + waiting)
        try:
            self.client.delete(
                node.resource,
                node.name,
                node.namespace or None,
                propagation_policy=policy,
                preconditions_uid=node.uid,
            )
        except ApiError as err:
            if err.code != 404:
                raise
        why = "is being deleted in the foreground" if waiting and not dangling else "is gone"
        return f"deleted {node.key} (propagationPolicy={policy}): its owner {owner_names} {why}"

    def _owner_state(self, ref: dict, namespace: str) -> str:
        """solid (exists), dangling (absent or a different uid) or waiting (foreground-deleting)."""
        rt = by_kind(ref.get("kind", ""))
        if rt is None:
            return "dangling"
        owner = self._live(rt.plural, namespace if rt.namespaced else "", ref.get("name", ""))
        if owner is None or owner["metadata"]["uid"] != ref.get("uid"):
            return "dangling"
        finalizers = owner["metadata"].get("finalizers") or []
        if owner["metadata"].get("deletionTimestamp") and "foregroundDeletion" in finalizers:
            return "waiting"
        return "solid"

    def _blocking(self, node: GraphNode) -> list[GraphNode]:
        out = []
        for dep_uid in sorted(node.dependents):
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            if any(r.get("uid") == node.uid and r.get("blockOwnerDeletion") for r in dep.owners):
                out.append(dep)
        return out

    def _process_deleting_dependents(self, node: GraphNode, latest: dict) -> str:
        blocking = self._blocking(node)
        if not blocking:
            self._remove_finalizer(latest, "foregroundDeletion")
            return f"{node.key}: no blocking dependents left, removed the foregroundDeletion finalizer"
        for dep in blocking:
            if not dep.deleting_dependents:
                self.queue.add(dep.key)
        return (
            f"{node.key}: waiting for {len(blocking)} dependent(s) with blockOwnerDeletion "
            f"({', '.join(d.name for d in blocking[:5])}{'…' if len(blocking) > 5 else ''})"
        )

    def _orphan_dependents(self, node: GraphNode, latest: dict) -> str:
        orphaned = []
        for dep_uid in sorted(node.dependents):
            dep = self.nodes.get(dep_uid)
            if dep is None:
                continue
            patch = {"metadata": {"ownerReferences": [{"$patch": "delete", "uid": node.uid}], "uid": dep.uid}}
            try:
                self.client.patch(
                    dep.resource, dep.name, patch, namespace=dep.namespace or None, patch_type="strategic"
                )
                orphaned.append(dep.name)
            except ApiError as err:
                if err.code != 404:
                    raise
        self._remove_finalizer(latest, "orphan")
        return (
            f"orphaned {len(orphaned)} dependent(s) of {node.key} ({', '.join(orphaned)}), removed the "
            "orphan finalizer"
        )

    def _remove_finalizer(self, latest: dict, finalizer: str) -> None:
        copy = deep_copy(latest)
        copy["metadata"]["finalizers"] = [
            f for f in copy["metadata"].get("finalizers") or [] if f != finalizer
        ]
        if not copy["metadata"]["finalizers"]:
            del copy["metadata"]["finalizers"]
        try:
            self.client.update(copy)
        except ApiError as err:
            if err.code != 404:
                raise
