"""client-go's informer: a local cache kept current by LIST then WATCH.

An informer LISTs a resource once, remembers the list's resourceVersion,
and WATCHes from there, applying each event to its cache (the *store*) and
calling the registered handlers.  When the watch breaks (the node was cut
off from the API server) it resumes from the last resourceVersion it saw;
if the API server answers 410 Gone because that version was compacted, it
LISTs again and reconciles its cache with the fresh list, just as
``Reflector.ListAndWatch`` does.

Handlers must be cheap and must not mutate objects: controllers' handlers
only enqueue keys.  A handler (or an index function) that raises on an
object it cannot handle loses that one notification and nothing else: the
failure is reported on the owner's trace and the cache, the other handlers
and the watch go on, as client-go's ``processorListener`` runs its handlers
under ``HandleCrash``.  ``SharedInformerFactory`` hands every controller in one
process the same informer per resource, as in kube-controller-manager.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable

from .apiserver import Client, Unreachable, WatchHandle
from .errors import ApiError
from .resources import object_key

__all__ = ["Informer", "ResourceEventHandler", "SharedInformerFactory"]

Handler = Callable[..., None]
IndexFunc = Callable[[dict], list[str]]


class ResourceEventHandler:
    """on_add(obj), on_update(old, new), on_delete(obj) — any may be None."""

    def __init__(
        self,
        on_add: Handler | None = None,
        on_update: Handler | None = None,
        on_delete: Handler | None = None,
    ):
        self.on_add, self.on_update, self.on_delete = on_add, on_update, on_delete


class Informer:
    """List-watch cache of one resource (optionally one namespace, or filtered by selectors)."""

    def __init__(
        self,
        client: Client,
        resource: str,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
    ):
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.store: dict[str, dict] = {}
        self._sorted_keys: list[str] | None = None  # the store's keys in order, kept until one comes or goes
        self.indexers: dict[str, IndexFunc] = {}
        self.indices: dict[str, dict[str, set[str]]] = {}
        self.handlers: list[ResourceEventHandler] = []
        # The handlers' callbacks by kind, in registration order: a delivery calls them without asking
        # each handler which callbacks it has.
        self._on_adds: tuple[Handler, ...] = ()
        self._on_updates: tuple[Handler, ...] = ()
        self._on_deletes: tuple[Handler, ...] = ()
        #: Each key's index values as last computed (None where an index function raised): an update
        #: computes only the new object's values, since the cached object's are known.
        self._index_values_of: dict[str, builtins.list[builtins.list[str] | None]] = {}
        #: Guarded: every arriving event first asks the API server whether the client's node still
        #: reaches it; when it does not, the watch breaks instead (``on_lost``) — a node cut off from
        #: the control plane hears nothing more.  Off for an informer whose process cannot be cut off.
        self._guarded = False
        self._on_lost: Callable[[], None] | None = None
        self.resource_version = ""
        self.has_synced = False
        self.relists = 0
        self._watch: WatchHandle | None = None

    # --- the lister side ---------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        return self.store.get(key)

    def list(self) -> list[dict]:
        keys = self._sorted_keys
        if keys is None:  # sorted once per change of membership, not once per call
            keys = self._sorted_keys = sorted(self.store)
        store = self.store
        return [store[k] for k in keys]

    def by_index(self, index: str, value: str) -> builtins.list[dict]:
        keys = self.indices.get(index, {}).get(value, ())
        return [self.store[k] for k in sorted(keys)]

    def add_indexer(self, name: str, func: IndexFunc) -> None:
        self.indexers[name] = func
        self.indices[name] = {}
        self._index_values_of = {}
        for key, obj in self.store.items():
            self._index(key, obj)

    def add_event_handler(self, handler: ResourceEventHandler) -> None:
        self.handlers.append(handler)
        self._on_adds = tuple(h.on_add for h in self.handlers if h.on_add)
        self._on_updates = tuple(h.on_update for h in self.handlers if h.on_update)
        self._on_deletes = tuple(h.on_delete for h in self.handlers if h.on_delete)
        if self.has_synced and handler.on_add:
            for obj in self.list():
                handler.on_add(obj)

    # --- the reflector side ------------------------------------------------------------------------

    def start(self) -> None:
        """LIST, fill the cache, then WATCH from the list's resourceVersion."""
        result = self.client.list(
            self.resource,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        )
        fresh = {object_key(o): o for o in result["items"]}
        self._replace(fresh)
        self.resource_version = result["metadata"]["resourceVersion"]
        self.has_synced = True
        self._start_watch()

    def _start_watch(self) -> None:
        self._watch = self.client.watch(
            self.resource,
            self._on_event,
            namespace=self.namespace,
            resource_version=self.resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            allow_bookmarks=True,
        )

    def _replace(self, fresh: dict[str, dict]) -> None:
        """Reconcile the cache with a new LIST: deletes, adds and updates as events."""
        old = self.store
        for key in sorted(set(old) - set(fresh)):
            self._delete(key, old[key])
        for key in sorted(fresh):
            if key in old:
                if old[key] is not fresh[key] and old[key]["metadata"].get("resourceVersion") != fresh[key][
                    "metadata"
                ].get("resourceVersion"):
                    self._update(key, old[key], fresh[key])
            else:
                self._add(key, fresh[key])

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None

    @property
    def connected(self) -> bool:
        return self._watch is not None

    def disconnect(self) -> None:
        """The watch connection broke (the cache stays, stale, until reconnect)."""
        self.stop()

    def reconnect(self) -> None:
        """Resume the watch from the last resourceVersion, or relist after 410 Gone."""
        if self._watch is not None:
            return
        if not self.has_synced:
            self.start()
            return
        try:
            self._start_watch()
        except ApiError as e:
            if e.code != 410:
                raise
            self.relists += 1
            self.start()

    def _on_event(self, etype: str, obj: dict) -> None:
        """One watch event: every delivery to every watcher comes through here, so the common case (an
        update, no indexers) is written out inline."""
        if self._guarded and not self.client.server.reachable(self.client.node):
            self._lost()
            return
        md = obj["metadata"]
        rv = md.get("resourceVersion")
        if rv:
            self.resource_version = rv
        if etype == "BOOKMARK":
            return
        ns = md.get("namespace")  # object_key, inline
        key = f"{ns}/{md.get('name')}" if ns else str(md.get("name"))
        store = self.store
        old = store.get(key)
        if etype == "DELETED":
            if old is not None:
                self._delete(key, obj)
        elif old is None:
            self._add(key, obj)
        else:
            if self.indexers:
                self._reindex(key, old, obj)
            store[key] = obj
            for on_update in self._on_updates:
                try:
                    on_update(old, obj)
                except Exception as err:  # noqa: BLE001 — reported by _failed
                    self._failed("update handler", key, err)

    def _lost(self) -> None:
        """The guard said the process can no longer reach the API server: its watch is broken."""
        if self._on_lost is not None:
            self._on_lost()

    def _failed(self, what: str, key: str, err: Exception) -> None:
        """A handler or index function raised: report it (a strict cluster re-raises) and drop the
        notification."""
        report = self.client.server.report_failure
        if report is None:
            raise err
        report(self.client.user, self.client.node, key, f"{self.resource} informer {what}", err)

    def _index_values(self, key: str, obj: dict) -> builtins.list[builtins.list[str] | None]:
        """Each index function's values for ``obj``, in indexer order; None where the function raised."""
        out: builtins.list[builtins.list[str] | None] = []
        for name, func in self.indexers.items():
            try:
                out.append(func(obj))
            except Exception as err:  # noqa: BLE001 — reported by _failed; the object is left out of this index
                self._failed(f"index {name!r}", key, err)
                out.append(None)
        return out

    def _known_index_values(self, key: str, obj: dict) -> builtins.list[builtins.list[str] | None]:
        """``obj``'s index values, ``obj`` being the cached object of ``key``: those computed when it was
        cached, unless an index function raised then (it is asked again, and reports again)."""
        known = self._index_values_of.get(key)
        if known is None or None in known:
            return self._index_values(key, obj)
        return known

    def _index(self, key: str, obj: dict) -> None:
        values_of = self._index_values_of[key] = self._index_values(key, obj)
        for name, values in zip(self.indexers, values_of, strict=True):
            if values is not None:
                self._add_to_index(name, key, values)

    def _unindex(self, key: str, obj: dict) -> None:
        for name, values in zip(self.indexers, self._known_index_values(key, obj), strict=True):
            if values is not None:
                self._remove_from_index(name, key, values)
        self._index_values_of.pop(key, None)

    def _add_to_index(self, name: str, key: str, values: builtins.list[str]) -> None:
        index = self.indices[name]
        for value in values:
            keys = index.get(value)
            if keys is None:
                index[value] = {key}
            else:
                keys.add(key)

    def _remove_from_index(self, name: str, key: str, values: builtins.list[str]) -> None:
        index = self.indices[name]
        for value in values:
            keys = index.get(value)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del index[value]

    def _reindex(self, key: str, old: dict, new: dict) -> None:
        """Move ``key`` from ``old``'s index values to ``new``'s, touching only the indices whose values
        changed
        (most updates change a status, not a label, a node name or an owner)."""
        before = self._known_index_values(key, old)
        after = self._index_values_of[key] = self._index_values(key, new)
        for name, was, now in zip(self.indexers, before, after, strict=True):
            if was == now:
                continue
            if was is not None:
                self._remove_from_index(name, key, was)
            if now is not None:
                self._add_to_index(name, key, now)

    def _add(self, key: str, obj: dict) -> None:
        self.store[key] = obj
        self._sorted_keys = None
        if self.indexers:
            self._index(key, obj)
        for on_add in self._on_adds:
            try:
                on_add(obj)
            except Exception as err:  # noqa: BLE001 — reported by _failed
                self._failed("add handler", key, err)

    def _update(self, key: str, old: dict, new: dict) -> None:
        if self.indexers:  # most informers have none, and every watch event comes through here
            self._reindex(key, old, new)
        self.store[key] = new
        for on_update in self._on_updates:
            try:
                on_update(old, new)
            except Exception as err:  # noqa: BLE001 — reported by _failed
                self._failed("update handler", key, err)

    def _delete(self, key: str, obj: dict) -> None:
        old = self.store.pop(key)
        self._sorted_keys = None
        if self.indexers:
            self._unindex(key, old)
        for on_delete in self._on_deletes:
            try:
                on_delete(obj)
            except Exception as err:  # noqa: BLE001 — reported by _failed
                self._failed("delete handler", key, err)


class SharedInformerFactory:
    """One informer per resource for every controller in a process."""

    def __init__(self, client: Client):
        self.client = client
        self.informers: dict[str, Informer] = {}

    def informer(self, resource: str) -> Informer:
        if resource not in self.informers:
            self.informers[resource] = Informer(self.client, resource)
        return self.informers[resource]

    def start(self) -> None:
        for name in sorted(self.informers):
            inf = self.informers[name]
            if not inf.has_synced:
                inf.start()

    def stop(self) -> None:
        for inf in self.informers.values():
            inf.stop()

    def disconnect(self) -> None:
        for inf in self.informers.values():
            inf.disconnect()

    def reconnect(self) -> None:
        for name in sorted(self.informers):
            try:
                self.informers[name].reconnect()
            except Unreachable:
                return
