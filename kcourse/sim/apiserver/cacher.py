"""The watch cache (``k8s.io/apiserver/pkg/storage/cacher``): the objects, their watchers, who is woken.

Upstream splits the API server's storage the same way: the generic registry store
(``pkg/registry/generic/registry/store.go``, here :mod:`.server`) runs the verbs, and every read and watch
is served by the ``Cacher`` (``cacher.go``, ``watch_cache.go``, ``cache_watcher.go``), which follows etcd
with one watch and fans each change out to the watchers it concerns.  :class:`Cacher` is that half: the
server inherits it and shares its state, since a write's own object goes straight into the cache
(``_pending``) instead of being decoded again from the bytes etcd echoes back.

Simplified: a watcher is a callback, not a stream with a buffer; indexed triggers only for the pod and
node registries, as upstream; a watch from an old resourceVersion replays etcd's own history (upstream
serves it from the cache's ring buffer, falling back to 410 Gone the same way); one cache for all
resources, not one ``Cacher`` per resource.
"""

from __future__ import annotations

import bisect
import itertools
import json
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import ApiError
from ..etcd import Etcd, EtcdError, KeyValue, WatchEvent
from ..frozen import enabled_by_environment, freeze
from ..labels import _get_path, parse_field_selector, parse_selector
from ..resources import RESOURCES, ResourceType, by_plural
from ..serializer import decode
from ..serializer.shared import SharedParts
from ..serializer.storage import KeptAsStored

if TYPE_CHECKING:
    from .server import APIServer

#: The cacher's indexed triggers (``TriggerFunc`` in the pod and node registries): a watch whose field
#: selector pins this field is woken only by objects whose old or new value is the one it asked for,
#: so a kubelet's watch of its own Pods costs nothing when another node's Pod changes.
TRIGGER_FIELDS = {"pods": "spec.nodeName", "nodes": "metadata.name"}

#: Kinds written once and rarely read, whose cache keeps etcd's bytes and decodes them on each read
#: (:class:`.serializer.storage.KeptAsStored`): a cluster's Events are then held once, by etcd.
KEPT_AS_STORED = ("events",)


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
        #: No namespace, label or field to match: every object of the resource is selected.
        self.everything = not namespace and self.labels.empty() and not field_selector
        self.allow_bookmarks = allow_bookmarks
        self.user = user
        self.stopped = False
        self._delivered = 0
        self.seq = 0  # registration order: deliveries follow it
        self.trigger = _trigger_value(field_selector, TRIGGER_FIELDS.get(rt.plural))
        #: The :class:`WatchGroup` this watch is delivered through while it is a member (else None),
        #: and the group's count of deliveries when it joined.
        self.group: WatchGroup | None = None
        self._joined_at = 0
        #: Who reads this watch (an informer), for a group that must tell its members apart.
        self.owner: Any = None

    @property
    def delivered(self) -> int:
        """Events sent on this watch (a group member counts every event its group received since it
        joined)."""
        group = self.group
        if group is None:
            return self._delivered
        return self._delivered + group.count - self._joined_at

    def matches(self, obj: dict | None) -> bool:
        if obj is None:
            return False
        if self.everything:
            return True
        md = obj["metadata"]
        if self.namespace and md.get("namespace") != self.namespace:
            return False
        return self.labels.matches(md.get("labels")) and self.fields(obj)

    def deliver(self, etype: str, obj: dict) -> None:
        """Send one event; a handler that raises ends its own watch (its stream broke), never the
        writer's request."""
        if not self.stopped:
            self._delivered += 1
            try:
                self.handler(etype, obj)
            except Exception as err:  # noqa: BLE001 — re-raised when nobody takes reports
                self.broke(err)

    def broke(self, err: Exception) -> None:
        """The handler raised: the stream is broken, reported (a strict cluster re-raises)."""
        report = self.server.report_failure
        if report is None:
            raise err
        self.stop()
        report(self.user, None, self.rt.plural, "watch handler", err)

    def stop(self) -> None:
        self.stopped = True
        watchers = self.server._watchers.get(self.rt.plural, [])
        if self in watchers:
            watchers.remove(self)
            if self.group is not None:
                self.group.leave(self, stopping=True)
            else:
                self.server._untrigger(self)


_registration = operator.attrgetter("seq")
_first = operator.itemgetter(0)

#: Work a group hands back for one event: ``(seq, action)`` per member that needs something of its own,
#: run at that member's place in registration order among the other watchers' deliveries.
MemberWork = list[tuple[int, Callable[[], None]]]


class WatchGroup:
    """Watches with one selector whose receivers hold one shared state: one delivery serves them all.

    In the simulation a delivery is synchronous, so every live watch with the same resource and
    selectors receives each event at the same instant; receivers that would each do the same work
    with it (every node's kube-proxy informer filling an identical cache) can do it once, in the
    group's :meth:`receive`.  The cacher calls ``receive`` once per event for all members and counts
    it for each (``WatchHandle.delivered``).  Whatever a member must still do on its own (wake up,
    notice it lost its connection) ``receive`` returns as ``(seq, action)`` pairs, which the fan-out
    runs at each member's place in registration order, so clock timers are scheduled exactly as if
    every watch had been sent the event one by one.  A member that leaves (stopped, or told to by
    its receiver) becomes an ordinary watch again.

    Simplified: a watch joins only after its initial events (a LIST or a replay) went to it alone;
    groups exist only for resources without indexed triggers (not Pods or Nodes).
    """

    def __init__(self, server: Cacher, probe: WatchHandle):
        self.server = server
        #: A watch that is never registered, for the selector: whether an object concerns the members.
        self.probe = probe
        self.rt = probe.rt
        self.members: list[WatchHandle] = []  # registration order
        #: Events received: each member's ``delivered`` adds those since it joined.
        self.count = 0

    def join(self, w: WatchHandle) -> None:
        """Deliver ``w``'s events through the group from now on (``w`` is registered and live)."""
        plural = self.rt.plural
        self.server._solo[plural].remove(w)
        w.group, w._joined_at = self, self.count
        members = self.members
        if members and members[-1].seq > w.seq:
            members.append(w)
            members.sort(key=_registration)
        else:
            members.append(w)
        live = self.server._live_groups[plural]
        if self not in live:
            live.append(self)

    def leave(self, w: WatchHandle, stopping: bool = False) -> None:
        """``w`` is delivered on its own again (or not at all, ``stopping``); its count is kept."""
        plural = self.rt.plural
        w._delivered += self.count - w._joined_at
        w.group = None
        self.members.remove(w)
        if not self.members:
            self.server._live_groups[plural].remove(self)
        if not stopping:
            solo = self.server._solo[plural]
            solo.insert(bisect.bisect(solo, w.seq, key=_registration), w)
        self.left(w)

    def left(self, w: WatchHandle) -> None:
        """Hook: ``w`` is no longer a member."""

    def receive(self, etype: str, obj: dict) -> MemberWork | None:
        """One event for every member; the per-member work it leaves, in registration order."""
        raise NotImplementedError


def _send(w: WatchHandle, modified: bool, etype: str, old: dict | None, new: dict) -> str | None:
    """What a watcher with ``w``'s selector is sent for a change: ``etype``, or for a MODIFIED one an
    ADDED if the object enters the selection and a DELETED if it leaves it (``convertToWatchEvent``);
    None when the change does not concern it."""
    now = w.matches(new)
    if not modified:
        return etype if now else None
    if w.matches(old):
        return "MODIFIED" if now else "DELETED"
    return "ADDED" if now else None


def _bookmark(rt: ResourceType, rv: str) -> dict:
    return {"kind": rt.kind, "apiVersion": rt.api_version, "metadata": {"resourceVersion": rv}}


def _no_handler(_etype: str, _obj: dict) -> None:
    """A group's probe is never registered: nothing is ever sent to it."""


def _decodes_alike(obj: dict) -> bool:
    """Does an object the server built decode from its stored bytes with its keys in the same order?  The
    bytes hold no resourceVersion, so a read puts it last: it must be last already."""
    return next(reversed(obj["metadata"])) == "resourceVersion"


def _trigger_value(field_selector: str | None, field: str | None) -> str | None:
    """The value an equality term of the selector requires for the resource's trigger field, if any."""
    if not field_selector or field is None:
        return None
    for term in field_selector.split(","):
        name, sep, value = term.partition("=")
        if sep and not name.endswith("!") and name.strip() == field:
            return value.lstrip("=").strip()
    return None


class Cacher:
    """The watch cache the API server serves reads and watches from, fed by one etcd watch on ``/registry/``.

    A mixin of :class:`.server.APIServer`: it owns the cached objects and the watchers, the server owns the
    verbs.
    """

    etcd: Etcd
    #: ``reachable(node)``: can a process on ``node`` reach the API server (the server's own)?
    reachable: Callable[[str | None], bool]
    #: ``report_failure(component, node, key, where, err)``: a watcher's handler raised.
    report_failure: Callable[[str, str | None, str, str, Exception], None] | None

    def _init_watch_cache(self) -> None:
        self._cache: dict[str, dict[str, dict]] = {
            r.plural: KeptAsStored(self._kept_reader(r)) if r.plural in KEPT_AS_STORED else {}
            for r in RESOURCES
        }
        self._watchers: dict[str, list[WatchHandle]] = {r.plural: [] for r in RESOURCES}
        #: Per resource without triggers: the watches delivered one by one (not through a group), in
        #: registration order, and the groups that have members.
        self._solo: dict[str, list[WatchHandle]] = {
            r.plural: [] for r in RESOURCES if r.plural not in TRIGGER_FIELDS
        }
        self._live_groups: dict[str, list[WatchGroup]] = {r.plural: [] for r in RESOURCES}
        self._watch_groups: dict[tuple, WatchGroup] = {}
        #: ``reachability_epoch()`` changes whenever an answer of ``reachable`` may have: a group checks
        #: its members' reach only then.  Unwired, it changes on every call (always check).
        self.reachability_epoch: Callable[[], int] = itertools.count().__next__
        self._triggered: dict[str, dict[str, list[WatchHandle]]] = {r: {} for r in TRIGGER_FIELDS}
        self._untriggered: dict[str, list[WatchHandle]] = {r: [] for r in TRIGGER_FIELDS}
        self._watch_seq = 0
        self._by_prefix = {r.etcd_prefix + "/": r for r in RESOURCES}
        self._pending: dict[str, tuple[bytes, dict]] = {}
        #: Cache keys whose object was read back from bytes written past the API (not decoded on the way in):
        #: until deleted, nothing of theirs is taken as well typed (:meth:`_prepare`).
        self._untyped: dict[str, set[str]] = {r.plural: set() for r in RESOURCES}
        #: Parts of new versions held once across the cache (a ReplicaSet's Pods share their containers).
        self._shared_parts = SharedParts()
        #: The debug mode of :mod:`..frozen` (``KCOURSE_FREEZE=1``): every cached object is read-only.
        self.debug_freeze = enabled_by_environment()

    def _add_watcher(self, w: WatchHandle) -> None:
        """Register a watch after its initial events: deliveries follow registration order."""
        rt = w.rt
        self._watch_seq += 1
        w.seq = self._watch_seq
        self._watchers[rt.plural].append(w)
        if w.trigger is not None and rt.plural in TRIGGER_FIELDS:
            self._triggered[rt.plural].setdefault(w.trigger, []).append(w)
        elif rt.plural in TRIGGER_FIELDS:
            self._untriggered[rt.plural].append(w)
        else:
            self._solo[rt.plural].append(w)

    def watch_group(
        self, key: tuple, make: Callable[[WatchHandle], WatchGroup], w: WatchHandle
    ) -> WatchGroup | None:
        """The group for ``key`` that watches like ``w`` may join, made by ``make(probe)`` the first
        time (None: this resource has triggers, its watches are never grouped)."""
        plural = w.rt.plural
        if plural in TRIGGER_FIELDS:
            return None
        full = (plural, w.match_key, w.allow_bookmarks, key)
        group = self._watch_groups.get(full)
        if group is None:
            _, labels, fields = w.match_key
            probe = WatchHandle(
                w.server, w.rt, _no_handler, w.namespace, labels, fields, w.allow_bookmarks, ""
            )
            probe.stopped = True
            group = self._watch_groups[full] = make(probe)
        return group

    def _resource_of_key(self, key: str) -> tuple[ResourceType, str] | None:
        """The resource whose longest prefix the key starts with: a few dict lookups, longest cut first."""
        end = key.rfind("/")
        while end > 0:
            rt = self._by_prefix.get(key[: end + 1])
            if rt is not None:
                return rt, key[end + 1 :]
            end = key.rfind("/", 0, end)
        return None

    def _decode(self, kv_key: str, value: bytes, mod_revision: int) -> tuple[dict, bool]:
        """The object a PUT stored, and whether the server built it (else it is read back from the bytes)."""
        pending = self._pending.pop(kv_key, None)
        typed = pending is not None and pending[0] is value
        if pending is not None and typed:
            obj = pending[1]
            obj["metadata"]["resourceVersion"] = str(mod_revision)
            return obj, True
        return self._from_bytes(value, mod_revision), False

    def _kept_reader(self, rt: ResourceType) -> Callable[[str, KeyValue], dict]:
        """How a :class:`KeptAsStored` cache reads a kept version: decoded as read back from etcd (the
        bytes of an object the server built decode to an equal object, keys in the same order)."""

        def read(rest: str, kv: KeyValue) -> dict:
            obj = self._from_bytes(kv.value, kv.mod_revision)
            return freeze(obj, f"{rt.kind} {rest}") if self.debug_freeze else obj

        return read

    @staticmethod
    def _from_bytes(value: bytes, mod_revision: int) -> dict:
        """An object read back from etcd's bytes, as the real cacher reads them into Go types: a null is the
        field's zero value and an unknown field is dropped, so a controller sees what a request would have
        stored (a Deployment whose template held a null would otherwise never match the ReplicaSet made
        from it).  Bytes no Go type can hold stay as they are, for the components to survive."""
        obj = json.loads(value)
        try:
            obj = decode(obj, "Ignore")
        except (ApiError, KeyError, TypeError, ValueError, AttributeError):
            pass
        obj["metadata"]["resourceVersion"] = str(mod_revision)
        return obj

    def _on_etcd(self, events: list[WatchEvent]) -> None:
        for ev in events:
            found = self._resource_of_key(ev.kv.key)
            if found is None:
                continue
            rt, rest = found
            cache = self._cache[rt.plural]
            old = cache.get(rest)
            if ev.type == "PUT":
                try:
                    obj, typed = self._decode(ev.kv.key, ev.kv.value, ev.kv.mod_revision)
                except (ValueError, TypeError, KeyError, AttributeError) as err:  # bytes written past the API
                    if self.report_failure is None:
                        raise
                    self.report_failure("kube-apiserver", None, ev.kv.key, "watch cache's decoder", err)
                    continue
                if self.debug_freeze:
                    obj = freeze(obj, f"{rt.kind} {rest}")
                if typed:
                    self._shared_parts.share(rt.plural, obj, old)
                if typed and type(cache) is KeptAsStored and _decodes_alike(obj):
                    cache.keep(rest, ev.kv, obj)  # held once, as etcd's bytes
                else:
                    cache[rest] = obj
                if not typed:
                    self._untyped[rt.plural].add(rest)
                self._fan_out(rt, old, obj, "MODIFIED" if old is not None else "ADDED")
            else:
                cache.pop(rest, None)
                self._untyped[rt.plural].discard(rest)
                if old is not None:
                    # The last version as the deletion's revision: only its metadata is new, the rest is
                    # shared with the cached version (which nobody changes).
                    gone = dict(old, metadata=dict(old["metadata"], resourceVersion=str(ev.kv.mod_revision)))
                    if self.debug_freeze:
                        gone = freeze(gone, f"{rt.kind} {rest}")
                    self._fan_out(rt, old, gone, "DELETED")

    def _woken(self, rt: ResourceType, old: dict | None, new: dict) -> list[WatchHandle]:
        """The watchers an event can concern that are not in a group, in registration order (indexed
        triggers skip the rest)."""
        index = self._triggered.get(rt.plural)
        if index is None:
            return list(self._solo[rt.plural])
        if not index:
            return list(self._untriggered[rt.plural])
        field = TRIGGER_FIELDS[rt.plural]
        values = {_get_path(new, field)}
        if old is not None:
            values.add(_get_path(old, field))
        untriggered = self._untriggered[rt.plural]
        buckets = [index[v] for v in values if v in index]
        if not buckets:
            return list(untriggered)
        if len(buckets) == 1 and (not untriggered or untriggered[-1].seq < buckets[0][0].seq):
            return untriggered + buckets[0]  # both in registration order already: no sort
        picked = list(untriggered)
        for bucket in buckets:
            picked.extend(bucket)
        picked.sort(key=_registration)
        return picked

    def _untrigger(self, w: WatchHandle) -> None:
        if w.rt.plural not in TRIGGER_FIELDS:
            self._solo[w.rt.plural].remove(w)
            return
        if w.trigger is None:
            self._untriggered[w.rt.plural].remove(w)
            return
        bucket = self._triggered[w.rt.plural][w.trigger]
        bucket.remove(w)
        if not bucket:
            del self._triggered[w.rt.plural][w.trigger]

    def _fan_out(self, rt: ResourceType, old: dict | None, new: dict, etype: str) -> None:
        """Deliver one change to every watcher it concerns, in registration order.

        A MODIFIED change is an ADDED to a watcher whose selector the object now enters and a
        DELETED to one it leaves (``cacheWatcher``'s ``convertToWatchEvent``).  Whether the old
        and new object match is worked out once per distinct selector, not once per watcher.
        """
        # What each distinct selector's watchers get: the event type to send, or None.
        decided: dict[tuple, str | None] = {}
        modified = etype == "MODIFIED"
        work: MemberWork | None = None
        # Taken before the groups receive: a member that leaves its group now is not sent this event twice.
        solo: list[Any] = self._woken(rt, old, new)
        for group in list(self._live_groups[rt.plural]):  # each group once, for all its members
            probe = group.probe
            send = decided.get(probe.match_key, "")
            if send == "":
                send = decided[probe.match_key] = _send(probe, modified, etype, old, new)
            if send is not None:
                group.count += 1
                got = group.receive(send, new)
                if got:
                    work = got if work is None else work + got
        if work:
            solo = self._interleave(solo, work)
        for w in solo:
            if w.__class__ is tuple:  # a member's own work, at its place in the order
                w[1]()
                continue
            send = decided.get(w.match_key, "")
            if send == "":
                send = decided[w.match_key] = _send(w, modified, etype, old, new)
            # ``WatchHandle.deliver``, inline: this loop runs once per watcher per change.
            if send is None or w.stopped:
                continue
            w._delivered += 1
            try:
                w.handler(send, new)
            except Exception as err:  # noqa: BLE001 — re-raised when nobody takes reports
                w.broke(err)

    @staticmethod
    def _interleave(solo: list[WatchHandle], work: MemberWork) -> list[Any]:
        """The solo watchers and the members' work in one registration order."""
        work.sort(key=_first)
        out: list[Any] = []
        i, n = 0, len(work)
        for w in solo:
            while i < n and work[i][0] < w.seq:
                out.append(work[i])
                i += 1
            out.append(w)
        out.extend(work[i:])
        return out

    def _replay(self, rt: ResourceType, w: WatchHandle, rv: int) -> None:
        """Send what changed after ``rv`` from etcd's history, or 410 Gone if it was compacted."""
        backlog: list[WatchEvent] = []
        if rv < self.etcd.compact_revision:
            # The client's version is itself compacted: a deletion right at the compaction point has lost its
            # tombstone in etcd, so only a relist can tell the client about it.
            raise errors.gone(f"too old resource version: {rv} ({self.etcd.compact_revision})")
        try:
            probe = self.etcd.watch(
                rt.etcd_prefix + "/", backlog.extend, prefix=True, start_revision=rv + 1, prev_kv=True
            )
        except EtcdError as e:
            raise errors.gone(f"too old resource version: {rv} ({e.compact_revision})") from None
        probe.cancel()
        for ev in backlog:
            if ev.type == "PUT":
                obj = self._from_bytes(ev.kv.value, ev.kv.mod_revision)
                if self.debug_freeze:  # the watcher's informer shares what it is sent
                    obj = freeze(obj, f"{rt.kind} {ev.kv.key[len(rt.etcd_prefix) + 1 :]}")
                old = None
                if ev.prev_kv is not None:
                    old = self._from_bytes(ev.prev_kv.value, ev.prev_kv.mod_revision)
                if old is not None and w.matches(old):
                    w.deliver("MODIFIED" if w.matches(obj) else "DELETED", obj)
                elif w.matches(obj):
                    w.deliver("ADDED", obj)
            elif ev.prev_kv is not None:
                obj = self._from_bytes(ev.prev_kv.value, ev.kv.mod_revision)
                if self.debug_freeze:
                    obj = freeze(obj, f"{rt.kind} {ev.kv.key[len(rt.etcd_prefix) + 1 :]}")
                if w.matches(obj):
                    w.deliver("DELETED", obj)

    def send_bookmarks(self) -> None:
        """Tell every watcher that asked for bookmarks how far the store has got (BOOKMARK events)."""
        rv = str(self.etcd.revision)
        for rt in RESOURCES:
            work: MemberWork = []
            watchers: list[Any] = [w for w in self._watchers[rt.plural] if w.group is None]
            for group in list(self._live_groups[rt.plural]):
                if group.probe.allow_bookmarks:
                    group.count += 1
                    work.extend(group.receive("BOOKMARK", _bookmark(rt, rv)) or ())
            if work:
                watchers = self._interleave(watchers, work)
            for w in watchers:
                if w.__class__ is tuple:
                    w[1]()
                elif w.allow_bookmarks:
                    w.deliver("BOOKMARK", _bookmark(rt, rv))

    # --- lookups in the cache (no API request) ---

    def resource(self, resource: str) -> ResourceType:
        rt = by_plural(resource)
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rt

    def _cache_key(self, rt: ResourceType, namespace: str | None, name: str) -> str:
        return f"{namespace}/{name}" if rt.namespaced else name

    def _get(self, rt: ResourceType, namespace: str | None, name: str) -> dict:
        obj = self._cache[rt.plural].get(self._cache_key(rt, namespace, name))
        if obj is None:
            raise errors.not_found(rt.plural, name, rt.group)
        return obj

    def _namespace_of(self, rt: ResourceType, namespace: str | None) -> str | None:
        if not rt.namespaced:
            return None
        return namespace or "default"

    def peek(self, resource: str, name: str, namespace: str | None = None) -> dict | None:
        """Read the cache without an API request (for views that only look)."""
        rt = self.resource(resource)
        return self._cache[rt.plural].get(self._cache_key(rt, self._namespace_of(rt, namespace), name))

    def items(self, resource: str, namespace: str | None = None) -> list[dict]:
        """Current objects of a resource without an API request (for views and tests that only look)."""
        rt = self.resource(resource)
        cache = self._cache[rt.plural]
        return [
            cache[k]
            for k in sorted(cache)
            if not namespace or not rt.namespaced or cache[k]["metadata"].get("namespace") == namespace
        ]
