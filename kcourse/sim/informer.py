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

Informers on different machines that watch the same thing (every node's kube-proxy watches all
Services and all EndpointSlices) hold identical caches: in the simulation every live watch with one
selector receives each event at the same instant, and an informer's cache after its LIST equals the
watch cache's selected objects.  Such an informer may ask to ``share`` its cache: while its watch is
live it reads one :class:`InformerGroup` store, updated once per event for all of them, and learns
what changed through a change feed (:meth:`Informer.take_changes`, :meth:`Informer.notify_once`)
instead of handlers, so one event costs the same for 5,000 nodes as for one.  This is a shortcut of
the simulation, not of Kubernetes: what each informer holds, its resourceVersion, its watch and its
counters are what they would be if it held its own copy (it takes one the moment its watch breaks).

Simplified: a sharing informer has no handlers or indexers (asking for either makes it hold its own
cache for good); it joins its group only when its watch starts and its cache equals the group's, and
while it has not, it is served on its own as before.
"""

from __future__ import annotations

import builtins
import heapq
from collections.abc import Callable
from functools import partial

from .apiserver import Client, Unreachable, WatchHandle
from .apiserver.cacher import Cacher, MemberWork, WatchGroup
from .errors import ApiError
from .resources import object_key

__all__ = ["Informer", "InformerGroup", "ResourceEventHandler", "SharedInformerFactory"]

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
        share: str | None = None,
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
        #: One list per distinct set of index values, shared by every key that has them (30,000 Pods
        #: have a few hundred owners and a thousand nodes between them): see :meth:`_shared`.
        self._values_seen: dict[tuple, builtins.list[str]] = {}
        #: Guarded: every arriving event first asks the API server whether the client's node still
        #: reaches it; when it does not, the watch breaks instead (``on_lost``) — a node cut off from
        #: the control plane hears nothing more.  Off for an informer whose process cannot be cut off.
        self._guarded = False
        self._on_lost: Callable[[], None] | None = None
        self._rv = ""
        self.has_synced = False
        self.relists = 0
        self._watch: WatchHandle | None = None
        #: Sharing (see the module docstring): the name under which identical informers share one cache
        #: (None: this one keeps its own), the group whose cache it reads while its watch is live, and
        #: the group's event count when it joined (its own resourceVersion holds until the next event).
        self.share = share
        self._group: InformerGroup | None = None
        self._rv_at = 0
        #: The change feed: changes recorded while on its own, its place in its group's log, and the
        #: one-shot callback of :meth:`notify_once`.
        self._changes: builtins.list[tuple[dict | None, dict | None]] = []
        self._cursor = 0
        self._waker: Callable[[], None] | None = None
        self._waiting = False
        self._feed = share is not None
        if share is not None:
            self._on_adds = (self._record_add,)
            self._on_updates = (self._record_update,)
            self._on_deletes = (self._record_delete,)

    @property
    def resource_version(self) -> str:
        """The resourceVersion of the last event (or LIST) this informer saw."""
        group = self._group
        if group is not None and group.count != self._rv_at:
            return group.resource_version
        return self._rv

    @resource_version.setter
    def resource_version(self, rv: str) -> None:
        self._leave_group()
        self._rv = rv

    # --- the lister side ---------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        return self.store.get(key)

    def list(self) -> list[dict]:
        if self._group is not None:
            return self._group.list()
        keys = self._sorted_keys
        if keys is None:  # sorted once per change of membership, not once per call
            keys = self._sorted_keys = sorted(self.store)
        store = self.store
        return [store[k] for k in keys]

    def by_index(self, index: str, value: str) -> builtins.list[dict]:
        keys = self.indices.get(index, {}).get(value, ())
        return [self.store[k] for k in sorted(keys)]

    def add_indexer(self, name: str, func: IndexFunc) -> None:
        self._stop_sharing()
        self.indexers[name] = func
        self.indices[name] = {}
        self._index_values_of = {}
        for key, obj in self.store.items():
            self._index(key, obj)

    def add_event_handler(self, handler: ResourceEventHandler) -> None:
        self._stop_sharing()
        self.handlers.append(handler)
        self._on_adds = tuple(h.on_add for h in self.handlers if h.on_add)
        self._on_updates = tuple(h.on_update for h in self.handlers if h.on_update)
        self._on_deletes = tuple(h.on_delete for h in self.handlers if h.on_delete)
        if self._feed:  # the change feed keeps recording, first
            self._on_adds = (self._record_add, *self._on_adds)
            self._on_updates = (self._record_update, *self._on_updates)
            self._on_deletes = (self._record_delete, *self._on_deletes)
        if self.has_synced and handler.on_add:
            for obj in self.list():
                handler.on_add(obj)

    # --- the reflector side ------------------------------------------------------------------------

    def start(self) -> None:
        """LIST, fill the cache, then WATCH from the list's resourceVersion."""
        self._leave_group()
        result = self.client.list(
            self.resource,
            self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        )
        fresh = {object_key(o): o for o in result["items"]}
        self._replace(fresh)
        self._rv = result["metadata"]["resourceVersion"]
        self.has_synced = True
        self._start_watch()
        self._join()

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
            return
        self._join()

    def _on_event(self, etype: str, obj: dict) -> None:
        """One watch event: every delivery to every watcher comes through here, so the common case (an
        update, no indexers) is written out inline."""
        if self._guarded and not self.client.server.reachable(self.client.node):
            self._lost()
            return
        md = obj["metadata"]
        rv = md.get("resourceVersion")
        if rv:
            self._rv = rv
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

    # --- the change feed of a sharing informer ------------------------------------------------------

    def take_changes(self) -> builtins.list[tuple[dict | None, dict | None]]:
        """The changes since the last call, in the order they came: ``(None, new)`` for an add,
        ``(old, new)`` for an update, ``(obj, None)`` for a delete (what handlers would have been
        given).  Only an informer made with ``share`` records them."""
        out = self._changes
        self._changes = []
        group = self._group
        if group is not None:
            log = group.log
            start = self._cursor - group.log_base
            if start < len(log):
                if out:
                    out.extend(log[start:])
                else:
                    out = log[start:]
                self._cursor = group.moved(self._cursor)
        return out

    def notify_once(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` after the next change to the cache (once; again only if asked again).
        Asking again before it was called replaces the callback."""
        self._waker = callback
        group = self._group
        if group is not None and not self._waiting:
            self._waiting = True
            group.waiting.append(self)

    def _recorded(self, change: tuple[dict | None, dict | None]) -> None:
        self._changes.append(change)
        waker = self._waker
        if waker is not None:
            self._waker = None
            waker()

    def _record_add(self, obj: dict) -> None:
        self._recorded((None, obj))

    def _record_update(self, old: dict, new: dict) -> None:
        self._recorded((old, new))

    def _record_delete(self, obj: dict) -> None:
        self._recorded((obj, None))

    # --- sharing the cache ------------------------------------------------------------------------

    def _join(self) -> None:
        """The watch has started: read the group's cache from now on, if it holds what this one does."""
        w = self._watch
        if self.share is None or w is None or w.stopped or self.indexers or self._group is not None:
            return
        server = self.client.server
        group = server.watch_group((self.share, self._guarded), partial(InformerGroup, server), w)
        if not isinstance(group, InformerGroup):
            return
        if group.members:
            if not _same_objects(self.store, group.store):
                return  # behind or ahead of the others: served on its own (it may join after a reconnect)
            self.store = group.store
        else:  # nobody reads the group's cache: it becomes this one's
            group.store, group.sorted_keys, group.resource_version = self.store, self._sorted_keys, self._rv
            group.log.clear()
        w.owner = self
        self._group = group
        self._rv_at = group.count
        self._cursor = group.placed()
        group.join(w)
        if self._waker is not None:
            self._waiting = True
            group.waiting.append(self)

    def _left(self, group: InformerGroup) -> None:
        """The watch left the group (broke, stopped, or on its own again): keep a copy of the cache as it
        stands, with the changes not yet taken."""
        self._rv = self.resource_version
        self._group = None
        self.store = dict(group.store)
        self._sorted_keys = group.sorted_keys
        start = self._cursor - group.log_base
        self._changes.extend(group.log[start:])
        group.unplace(self._cursor)
        if self._waiting:
            self._waiting = False
            group.waiting.remove(self)

    def _leave_group(self) -> None:
        if self._group is not None and self._watch is not None:
            self._group.leave(self._watch)

    def _stop_sharing(self) -> None:
        self._leave_group()
        self.share = None

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

    def _shared(self, values: builtins.list[str] | None) -> builtins.list[str] | None:
        """``values`` as kept for a key: the list kept already for equal values, if any.

        The lists are only read (compared with a key's next values, iterated to index it), so one list
        serves every key with those values.  The table forgets everything when it grows large; sharing
        then starts again.
        """
        if type(values) is not list:
            return values
        seen = self._values_seen
        try:
            return seen.setdefault(tuple(values), values)
        except TypeError:  # unhashable values: kept as they are
            return values
        finally:
            if len(seen) > 100_000:
                seen.clear()

    def _index(self, key: str, obj: dict) -> None:
        values_of = self._index_values_of[key] = [self._shared(v) for v in self._index_values(key, obj)]
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
        before = self._index_values_of.get(key)  # _known_index_values, inline: every update comes here
        if before is None or None in before:
            before = self._index_values(key, old)
        after: builtins.list[builtins.list[str] | None] = []
        for name, func in self.indexers.items():  # _index_values, inline
            try:
                after.append(self._shared(func(new)))
            except Exception as err:  # noqa: BLE001 — reported by _failed; the object is left out of this index
                self._failed(f"index {name!r}", key, err)
                after.append(None)
        self._index_values_of[key] = after
        for name, was, now in zip(self.indexers, before, after):
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


def _same_objects(mine: dict[str, dict], theirs: dict[str, dict]) -> bool:
    """Do two caches hold the same objects (the same ones, or equal ones)?"""
    if len(mine) != len(theirs):
        return False
    for key, obj in mine.items():
        other = theirs.get(key)
        if other is not obj and other != obj:
            return False
    return True


class InformerGroup(WatchGroup):
    """One cache for every live informer that shares it: N identical caches held once.

    The API server's fan-out hands each event to the group once (:meth:`receive`): the group updates
    its store and resourceVersion, appends the change to a log each member reads from its own place
    (:meth:`Informer.take_changes`), and returns the work its members must do on their own, each at
    its place in registration order: waking the members that asked to be told (``notify_once``), and,
    for guarded informers when reachability may have changed since the last event (the cluster's
    ``reachability_epoch``), losing the watch of each member whose node no longer reaches the API
    server, exactly as that member's own guard would have.  A member that leaves takes a private copy
    of the store as it stood.

    The log keeps a change until every member has taken it: the group counts its members at each
    place in the log, so when the last one leaves the oldest place the changes before the next are
    dropped at once (the old versions they hold are freed as soon as each node's own list would be).
    """

    def __init__(self, server: Cacher, probe: WatchHandle):
        super().__init__(server, probe)
        self.guarded = False
        self.store: dict[str, dict] = {}
        self.sorted_keys: builtins.list[str] | None = None
        self.resource_version = ""
        #: Every change since the slowest member took its changes; ``log_base`` is the index (counted
        #: from the group's first change) of ``log[0]``; ``_at`` how many members read from each index.
        self.log: builtins.list[tuple[dict | None, dict | None]] = []
        self.log_base = 0
        self._at: dict[int, int] = {}
        self._places: builtins.list[int] = []  # the places of ``_at``, a heap (some stale: not in ``_at``)
        #: Members with a ``notify_once`` callback (woken in registration order at the next change).
        self.waiting: builtins.list[Informer] = []
        self._epoch: int | None = None

    def list(self) -> builtins.list[dict]:
        keys = self.sorted_keys
        if keys is None:
            keys = self.sorted_keys = sorted(self.store)
        store = self.store
        return [store[k] for k in keys]

    def join(self, w: WatchHandle) -> None:
        self.guarded = w.owner._guarded
        super().join(w)

    def left(self, w: WatchHandle) -> None:
        w.owner._left(self)
        if not self.members:  # nobody reads the store any more: the next member brings its own
            self.log_base += len(self.log)
            self.log = []
            self._at, self._places = {}, []
            self.store, self.sorted_keys = {}, None
            self.waiting = []

    def receive(self, etype: str, obj: dict) -> MemberWork | None:
        work: MemberWork | None = None
        if self.guarded:
            epoch = self.server.reachability_epoch()
            if epoch != self._epoch:
                self._epoch = epoch
                reachable = self.server.reachable
                for w in builtins.list(self.members):
                    if not reachable(w.owner.client.node):
                        self.leave(w)  # before the event: its copy is what it held
                        work = work or []
                        work.append((w.seq, partial(_lose, w)))
                if not self.members:
                    return work
        md = obj["metadata"]
        rv = md.get("resourceVersion")
        if rv:
            self.resource_version = rv
        if etype == "BOOKMARK":
            return work
        ns = md.get("namespace")  # object_key, inline
        key = f"{ns}/{md.get('name')}" if ns else str(md.get("name"))
        store = self.store
        old = store.get(key)
        if etype == "DELETED":
            if old is None:
                return work
            del store[key]
            self.sorted_keys = None
            self.log.append((obj, None))
            what = "delete handler"
        elif old is None:
            store[key] = obj
            self.sorted_keys = None
            self.log.append((None, obj))
            what = "add handler"
        else:
            store[key] = obj
            self.log.append((old, obj))
            what = "update handler"
        waiting = self.waiting
        if waiting:
            self.waiting = []
            if len(waiting) > 1:
                waiting.sort(key=_watch_seq)
            work = work or []
            for inf in waiting:
                inf._waiting = False
                waker = inf._waker
                inf._waker = None
                if waker is not None:
                    work.append((_watch_seq(inf), partial(_wake, inf, waker, what, key)))
        return work

    def placed(self) -> int:
        """A member reads from the end of the log: its place."""
        end = self.log_base + len(self.log)
        at = self._at
        if end in at:
            at[end] += 1
        else:
            at[end] = 1
            heapq.heappush(self._places, end)
        return end

    def moved(self, place: int) -> int:
        """A member took every change from ``place`` on: its new place."""
        end = self.placed()
        self.unplace(place)
        return end

    def unplace(self, place: int) -> None:
        """A member no longer reads from ``place``: drop what nobody reads any more."""
        at = self._at
        left = at[place] - 1
        if left:
            at[place] = left
            return
        del at[place]
        if place == self.log_base:
            places = self._places
            while places and places[0] not in at:
                heapq.heappop(places)
            low = places[0] if places else self.log_base + len(self.log)
            del self.log[: low - self.log_base]
            self.log_base = low


def _watch_seq(inf: Informer) -> int:
    assert inf._watch is not None
    return inf._watch.seq


def _lose(w: WatchHandle) -> None:
    """A member's guard found its node cut off: its watch is broken (as its own delivery would find)."""
    try:
        w.owner._lost()
    except Exception as err:  # noqa: BLE001 — as a handler that raises: re-raised when nobody takes reports
        w.broke(err)


def _wake(inf: Informer, waker: Callable[[], None], what: str, key: str) -> None:
    try:
        waker()
    except Exception as err:  # noqa: BLE001 — reported by _failed, as a handler's
        inf._failed(what, key, err)


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
