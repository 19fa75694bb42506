"""Events as client-go's recorder writes them (``k8s.io/client-go/tools/record``).

A component does not write Events itself: it calls ``recorder.Eventf(obj, type, reason, message)``
and client-go's ``EventRecorder`` turns that into a v1 Event, runs it through an ``EventCorrelator``
and sends what survives to the API server.  The correlator is why ``kubectl describe`` shows
``Back-off restarting failed container (x6 over 2m)`` rather than six lines, and why a crash-looping
pod cannot flood etcd with Events.  In the order ``EventCorrelate`` applies them
(``tools/record/events_cache.go``):

1. **EventAggregator** — events that differ *only in their message* (same source, object, type and
   reason) are *similar*.  Once 10 distinct messages were seen within 600 s
   (``defaultAggregateMaxEvents``, ``defaultAggregateIntervalInSeconds``), further ones are folded into
   one Event whose message starts with ``(combined from similar events): ``.
2. **eventLogger** — an *identical* event (same source, object, type, reason and message) is not
   created again: the first one is PATCHed with ``count + 1`` and a new ``lastTimestamp``.
3. **EventSourceObjectSpamFilter** — a token bucket per source + object (+ type): 25 events at once
   (``defaultSpamBurst``), then one more every 300 s (``defaultSpamQPS``); the rest are dropped.

Each cache is an LRU of 4096 entries (``maxLruCacheEntries``) and lives in the recording process —
one per ``EventBroadcaster``, here one per client and source — so a restarted process starts counting
afresh, as the real one does.

The Event's name is ``<object name>.<UnixNano in hex>`` (``makeEvent``): with 2025's clock that is
16 hex digits, so names sort in time order and ``kubectl get events`` (which sorts by name) lists
them as they happened.  ``source.component`` is the name the upstream binary gives its recorder —
``default-scheduler``, ``kubelet`` (with ``source.host``), ``node-controller``,
``replicaset-controller`` …: see :data:`EVENT_SOURCES`.

Each recording process keeps up to three of these small records per object it reports on, so
a cluster of a thousand kubelets holds hundreds of thousands of them: they are slotted, and the
aggregator keeps an object's few distinct messages in a tuple rather than a set (a one-message set
takes four times the memory), while the keys share the strings of the Events they came from, and
equal messages and field paths are one string.

Simplified: an event is written at once (client-go queues it on a broadcaster and writes from a
goroutine); when the API server cannot be reached the event is dropped (client-go retries 12 times,
10 s apart); the LRU caches are exact, not ``k8s.io/utils/lru``'s approximate eviction order; the
two-way strategic merge patch is always ``{count, lastTimestamp, message}``, which is what
``CreateTwoWayMergePatch`` yields for a repeat; a component that restarts keeps its recorder's caches
(a real restarted process starts with empty ones, so its next repeat creates a new Event).
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from .errors import ApiError
from .objects import EPOCH, timestamp

__all__ = [
    "DEFAULT_AGGREGATE_INTERVAL_SECONDS",
    "DEFAULT_AGGREGATE_MAX_EVENTS",
    "DEFAULT_SPAM_BURST",
    "DEFAULT_SPAM_QPS",
    "EVENT_SOURCES",
    "MAX_LRU_CACHE_ENTRIES",
    "EventAggregator",
    "EventCorrelateResult",
    "EventCorrelator",
    "EventLogger",
    "EventRecorder",
    "EventSourceObjectSpamFilter",
    "NanoClock",
    "TokenBucket",
    "event_source",
]

# The constants of ``tools/record/events_cache.go``.
MAX_LRU_CACHE_ENTRIES = 4096
DEFAULT_AGGREGATE_MAX_EVENTS = 10
DEFAULT_AGGREGATE_INTERVAL_SECONDS = 600
DEFAULT_SPAM_BURST = 25
DEFAULT_SPAM_QPS = 1.0 / 300.0

#: The ``v1.EventSource`` each simulated component's recorder uses, as the upstream binary names it:
#: ``(component, whether source.host is the node name)``.  Components not listed use their own name.
EVENT_SOURCES: dict[str, tuple[str, bool]] = {
    # cmd/kube-scheduler/app/server.go: the recorder of the first profile, ``DefaultSchedulerName``.
    "kube-scheduler": ("default-scheduler", False),
    # pkg/kubelet/kubelet.go (``makeEventRecorder``): ``EventSource{Component: "kubelet", Host: nodeName}``.
    "kubelet": ("kubelet", True),
    # pkg/proxy: ``EventSource{Component: "kube-proxy", Host: hostname}``.
    "kube-proxy": ("kube-proxy", True),
    # pkg/controller/nodelifecycle/node_lifecycle_controller.go.
    "node-lifecycle-controller": ("node-controller", False),
    # pkg/controller/endpointslice/endpointslice_controller.go.
    "endpointslice-controller": ("endpoint-slice-controller", False),
    # pkg/controller/nodeipam/ipam/range_allocator.go.
    "node-ipam-controller": ("cidrAllocator", False),
    # staging/src/k8s.io/cloud-provider/controllers/service/controller.go.
    "service-lb-controller": ("service-controller", False),
    # staging/src/k8s.io/cloud-provider/controllers/route/route_controller.go.
    "node-route-controller": ("route_controller", False),
    # Named as upstream already: replicaset-controller, deployment-controller, daemonset-controller,
    # endpoint-controller, taint-eviction-controller, cloud-node-controller, cloud-node-lifecycle-controller,
    # kube-controller-manager and cloud-controller-manager (their leader election).
}


def event_source(component: str, node: str | None = None) -> dict:
    """The ``source`` of the Events ``component`` (running on ``node``) records."""
    name, with_host = EVENT_SOURCES.get(component, (component, False))
    return {"component": name, "host": node} if with_host and node else {"component": name}


def _shared(text: Any) -> Any:
    """One string object for every equal message or field path (``Created container: web`` comes once a
    Pod): the correlator's caches keep them, one entry per Event, for as long as upstream's LRUs would."""
    return sys.intern(text) if type(text) is str else text


class NanoClock:
    """The simulated clock read with nanosecond resolution, for Event names (``t.UnixNano()``).

    The simulated clock ticks in milliseconds, and many events happen in the same one; a real clock is
    never read twice at the same nanosecond, so consecutive reads within one millisecond advance by
    one nanosecond.  One per cluster: names stay unique and in time order across all recorders.
    """

    #: Unix nanoseconds of simulated time 0.
    BASE_NS = int(EPOCH.timestamp()) * 1_000_000_000

    def __init__(self, clock: Any):
        self.clock = clock
        self._ms = -1
        self._seq = 0

    def unix_nano(self) -> int:
        ms = self.clock.now_ms
        if ms != self._ms:
            self._ms, self._seq = ms, 0
        else:
            self._seq += 1
        return self.BASE_NS + ms * 1_000_000 + self._seq


class _LRU:
    """``k8s.io/utils/lru``: a bounded map that forgets the least recently used key.

    A plain dict keeps its keys in insertion order, so a use is a pop and a re-insert, and the least
    recently used key is the first: an ``OrderedDict`` would keep a linked list beside the dict, about 60
    bytes an entry, and a cluster's recorders hold hundreds of thousands of entries.

    A dict leaves a hole where a key was removed until it grows, and finding its first key walks over the
    holes before it: a full cache that evicts on every new key (the scheduler's, one Event per Pod) would
    walk thousands of them each time.  So every ``size // 4`` evictions the dict is copied, which leaves
    the holes behind (the same keys in the same order).
    """

    __slots__ = ("_data", "_evicted", "size")

    def __init__(self, size: int = MAX_LRU_CACHE_ENTRIES):
        self.size = size
        self._data: dict[Hashable, Any] = {}
        self._evicted = 0

    def get(self, key: Hashable) -> Any:
        data = self._data
        value = data.pop(key, None)
        if value is not None:
            data[key] = value
        return value

    def add(self, key: Hashable, value: Any) -> None:
        self._data.pop(key, None)
        self.put(key, value)

    def take(self, key: Hashable) -> Any:
        """Remove ``key`` and return its value (None if absent): with :meth:`put` after it, a ``Get`` and
        an ``Add`` of one key in one move to the most recent end."""
        return self._data.pop(key, None)

    def put(self, key: Hashable, value: Any) -> None:
        """``Add`` of a key that is not in the cache (just taken, or never there)."""
        data = self._data
        data[key] = value
        if len(data) > self.size:
            del data[next(iter(data))]
            self._evicted += 1
            if self._evicted >= self.size // 4:
                self._data, self._evicted = dict(data), 0

    def __len__(self) -> int:
        return len(self._data)


class TokenBucket:
    """``flowcontrol.NewTokenBucketPassiveRateLimiterWithClock``: ``TryAccept`` never waits.

    The bucket starts full (``burst`` tokens) and refills at ``qps`` tokens a second, never above
    ``burst`` (``golang.org/x/time/rate``'s ``AllowN``).
    """

    __slots__ = ("burst", "last", "qps", "tokens")

    def __init__(self, qps: float, burst: int, now: float):
        self.qps, self.burst = qps, burst
        self.tokens = float(burst)
        self.last = now

    def try_accept(self, now: float) -> bool:
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.qps)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def _ref(ev: dict) -> dict:
    return ev["involvedObject"]


def event_key(ev: dict) -> tuple:
    """``getEventKey``: source, object (with its fieldPath), type, reason and message."""
    src = ev.get("source") or {}
    return _event_key(
        src.get("component", ""),
        src.get("host", ""),
        _ref(ev),
        ev.get("type", ""),
        ev.get("reason", ""),
        ev.get("message", ""),
    )


def spam_key(ev: dict) -> tuple:
    """``getSpamKey``: source, object and type — not the reason, not the message."""
    src = ev.get("source") or {}
    return _spam_key(src.get("component", ""), src.get("host", ""), _ref(ev), ev.get("type", ""))


def aggregate_key(ev: dict) -> tuple[tuple, str]:
    """``EventAggregatorByReasonFunc``: (the group of similar events, the message within the group)."""
    src = ev.get("source") or {}
    group = _aggregate_group(
        src.get("component", ""),
        src.get("host", ""),
        _ref(ev),
        ev.get("type", ""),
        ev.get("reason", ""),
        ev.get("reportingComponent", ""),
        ev.get("reportingInstance", ""),
    )
    return group, ev.get("message", "")


def _event_key(component: str, host: str, ref: dict, etype: str, reason: str, message: str) -> tuple:
    """:func:`event_key` of an Event made of these (the recorder has them before reading its Event back)."""
    return (
        component,
        host,
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("fieldPath", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
        etype,
        reason,
        message,
    )


def _spam_key(component: str, host: str, ref: dict, etype: str) -> tuple:
    """:func:`spam_key` of an Event made of these."""
    return (
        component,
        host,
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
        etype,
    )


def _aggregate_group(
    component: str,
    host: str,
    ref: dict,
    etype: str,
    reason: str,
    reporting_component: str,
    reporting_instance: str,
) -> tuple:
    """The group of :func:`aggregate_key` of an Event made of these."""
    return (
        component,
        host,
        ref.get("kind", ""),
        ref.get("namespace", ""),
        ref.get("name", ""),
        ref.get("uid", ""),
        ref.get("apiVersion", ""),
        etype,
        reason,
        reporting_component,
        reporting_instance,
    )


def aggregate_message(ev: dict) -> str:
    """``EventAggregatorByReasonMessageFunc``."""
    return "(combined from similar events): " + ev.get("message", "")


class EventSourceObjectSpamFilter:
    """Throttles how many events one source may record about one object (a token bucket per spam key)."""

    def __init__(
        self,
        clock: NanoClock,
        burst: int = DEFAULT_SPAM_BURST,
        qps: float = DEFAULT_SPAM_QPS,
        size: int = MAX_LRU_CACHE_ENTRIES,
    ):
        self.clock, self.burst, self.qps = clock, burst, qps
        self.cache = _LRU(size)

    def filter(self, ev: dict) -> bool:
        """True when ``ev`` must be dropped."""
        return self.filter_key(spam_key(ev), self.clock.clock.now)

    def filter_key(self, key: tuple, now: float) -> bool:
        """:meth:`filter` of an event whose :func:`spam_key` is ``key``."""
        bucket = self.cache.take(key)
        if bucket is None:
            bucket = TokenBucket(self.qps, self.burst, now)
        skip = not bucket.try_accept(now)
        self.cache.put(key, bucket)
        return skip


@dataclass(slots=True)
class _AggregateRecord:
    """``aggregateRecord``: a group's distinct messages (at most ``max_events``) and when it was last seen."""

    local_keys: tuple[str, ...]
    last_timestamp: float


class EventAggregator:
    """Folds similar events (all but the message equal) into one once there are too many of them."""

    def __init__(
        self,
        clock: NanoClock,
        max_events: int = DEFAULT_AGGREGATE_MAX_EVENTS,
        max_interval: int = DEFAULT_AGGREGATE_INTERVAL_SECONDS,
        size: int = MAX_LRU_CACHE_ENTRIES,
    ):
        self.clock, self.max_events, self.max_interval = clock, max_events, max_interval
        self.cache = _LRU(size)

    def aggregate(self, ev: dict) -> tuple[dict, tuple]:
        """``EventAggregate``: the event to write (``ev`` or an aggregate) and its key for the logger."""
        key, local = aggregate_key(ev)
        return self.aggregate_keyed(ev, key, local, None, self.clock.clock.now)

    def aggregate_keyed(
        self, ev: dict, key: tuple, local: str, ev_key: tuple | None, now: float
    ) -> tuple[dict, tuple]:
        """:meth:`aggregate` of an event whose :func:`aggregate_key` is ``(key, local)`` and whose
        :func:`event_key` is ``ev_key`` (None: work it out when needed)."""
        record: _AggregateRecord | None = self.cache.take(key)
        # A group last seen longer ago than the interval starts afresh (a new one has no timestamp).
        if record is None or now - record.last_timestamp > self.max_interval:
            record = _AggregateRecord((), now)
        if local not in record.local_keys:
            record.local_keys += (local,)
        record.last_timestamp = now
        self.cache.put(key, record)
        if len(record.local_keys) < self.max_events:
            return ev, event_key(ev) if ev_key is None else ev_key
        # Do not let the set grow past the maximum (upstream pops an arbitrary one; the smallest here).
        smallest = min(record.local_keys)
        record.local_keys = tuple(k for k in record.local_keys if k != smallest)
        # The aggregate: a fresh Event without reportingComponent/Instance, keyed by the group so that
        # every later similar event bumps its count.
        stamp = timestamp(now)
        ref = _ref(ev)
        agg = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{ref['name']}.{self.clock.unix_nano():x}",
                "namespace": ev["metadata"]["namespace"],
            },
            "involvedObject": ref,
            "reason": ev.get("reason", ""),
            "message": aggregate_message(ev),
            "source": ev.get("source") or {},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": ev.get("type", ""),
            "eventTime": None,
            "reportingComponent": "",
            "reportingInstance": "",
        }
        return agg, key


@dataclass(slots=True)
class _EventLog:
    count: int
    first_timestamp: str
    name: str
    resource_version: str


class EventLogger:
    """``eventLogger``: remembers each event it has written, so a repeat becomes a count + 1 patch."""

    def __init__(self, size: int = MAX_LRU_CACHE_ENTRIES):
        self.cache = _LRU(size)

    def observe(self, ev: dict, key: Hashable) -> tuple[dict, dict | None]:
        """``eventObserve``: the event as it will be written, and the patch if it updates an old one."""
        return self.observe_own(dict(ev, metadata=dict(ev["metadata"])), key)

    def observe_own(self, event: dict, key: Hashable) -> tuple[dict, dict | None]:
        """:meth:`observe` of an event the caller built and gives up: it becomes the event to write."""
        last: _EventLog | None = self.cache.take(key)
        patch = None
        md = event["metadata"]
        if last is not None and last.count > 0:
            md["name"] = last.name
            md["resourceVersion"] = last.resource_version
            event["firstTimestamp"] = last.first_timestamp
            event["count"] = last.count + 1
            patch = {
                "count": event["count"],
                "lastTimestamp": event["lastTimestamp"],
                "message": event["message"],
            }
        self.cache.put(
            key, _EventLog(event["count"], event["firstTimestamp"], md["name"], md.get("resourceVersion", ""))
        )
        return event, patch

    def update_state(self, ev: dict) -> None:
        """``updateState``: what the server returned (its name and resourceVersion) is the new truth."""
        md = ev["metadata"]
        self.cache.add(
            event_key(ev),
            _EventLog(
                ev.get("count") or 1,
                ev.get("firstTimestamp") or "",
                md["name"],
                md.get("resourceVersion", ""),
            ),
        )


@dataclass
class EventCorrelateResult:
    event: dict | None
    patch: dict | None = None
    skip: bool = False


class EventCorrelator:
    """``EventCorrelator``: aggregate, then count, then filter spam — in that order, as upstream."""

    def __init__(self, clock: NanoClock):
        self.aggregator = EventAggregator(clock)
        self.logger = EventLogger()
        self.spam_filter = EventSourceObjectSpamFilter(clock)

    def correlate(self, ev: dict) -> EventCorrelateResult:
        aggregated, key = self.aggregator.aggregate(ev)
        observed, patch = self.logger.observe(aggregated, key)
        # The spam filter comes last: a dropped repeat has still been counted by the logger (upstream too).
        if self.spam_filter.filter(observed):
            return EventCorrelateResult(None, skip=True)
        return EventCorrelateResult(observed, patch)

    def update_state(self, ev: dict) -> None:
        self.logger.update_state(ev)


class EventSink(Protocol):
    """``EventSinkImpl``: the events client of the recording process."""

    def create(self, obj: dict, namespace: str | None = None, **kw: Any) -> dict: ...

    def patch(
        self, resource: str, name: str, patch: Any, namespace: str | None = None, **kw: Any
    ) -> dict: ...


class EventRecorder:
    """``recorderImpl``: makes Events about objects and writes them through the correlator.

    :meth:`event` is :meth:`make_event` and :meth:`EventCorrelator.correlate` with each key worked out
    once, from the values it puts in the Event rather than read back from it: an object's Events are
    written by the thousand, and the three keys share all but three of their eleven strings.
    """

    def __init__(self, sink: EventSink, source: dict, clock: NanoClock):
        self.sink, self.source, self.clock = sink, source, clock
        self.correlator = EventCorrelator(clock)

    def event(self, obj: dict, etype: str, reason: str, message: str, *, field_path: str = "") -> dict | None:
        """``Event``: record one; returns the Event as stored, or None when it was dropped.

        As ``generateEvent``: an unsupported type is refused (``util.ValidateEventType``); the
        reference is ``ref.GetReference`` of the object (kind, namespace, name, uid, apiVersion,
        resourceVersion, and the container's ``fieldPath`` when given).
        """
        if etype not in ("Normal", "Warning"):
            return None
        if (
            not isinstance(obj.get("metadata"), dict)
            or not obj["metadata"].get("name")
            or not obj.get("kind")
        ):
            return None  # "Could not construct reference, will not report event"
        now = self.clock.clock.now
        ev = self._make(obj, etype, reason, message, field_path, now)
        ref, message = ev["involvedObject"], ev["message"]
        # The keys of aggregate_key, event_key and spam_key, from what the Event was made of.
        component, host = ev["reportingComponent"], ev["reportingInstance"]
        c = self.correlator
        group = _aggregate_group(component, host, ref, etype, reason, component, host)
        own_key = _event_key(component, host, ref, etype, reason, message)
        event, key = c.aggregator.aggregate_keyed(ev, group, message, own_key, now)
        event, patch = c.logger.observe_own(event, key)
        # The spam filter comes last: a dropped repeat has still been counted by the logger (upstream too).
        if c.spam_filter.filter_key(_spam_key(component, host, ref, etype), now):
            return None
        return self._record(event, patch)

    def make_event(self, obj: dict, etype: str, reason: str, message: str, field_path: str = "") -> dict:
        """``makeEvent`` plus the source ``generateEvent`` sets."""
        return self._make(obj, etype, reason, message, field_path, self.clock.clock.now)

    def _make(self, obj: dict, etype: str, reason: str, message: str, field_path: str, now: float) -> dict:
        md = obj["metadata"]
        name, namespace = md["name"], md.get("namespace")
        ref: dict[str, Any] = {"kind": obj.get("kind")}
        if namespace:
            ref["namespace"] = namespace
        ref.update(
            name=name,
            uid=md.get("uid"),
            apiVersion=obj.get("apiVersion"),
            resourceVersion=md.get("resourceVersion"),
        )
        if field_path:
            ref["fieldPath"] = _shared(field_path)
        stamp = timestamp(now)
        source = self.source
        return {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{self.clock.unix_nano():x}", "namespace": namespace or "default"},
            "involvedObject": ref,
            "reason": reason,
            "message": _shared(message),
            "source": dict(source),
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "type": etype,
            "eventTime": None,
            "reportingComponent": source["component"],
            "reportingInstance": source.get("host", ""),
        }

    def _record(self, ev: dict, patch: dict | None) -> dict | None:
        """``recordEvent``: PATCH a repeat (CREATE if it vanished), CREATE a new one; a refusal drops it.

        ``ev`` is the recorder's own: a new one is the body of the create as it is.  The logger's new
        record is filed under the :func:`event_key` of what the server stored, as upstream's."""
        md = ev["metadata"]
        ns = md["namespace"]
        stored: dict | None = None
        try:
            if patch is not None:
                try:
                    stored = self.sink.patch("events", md["name"], patch, ns, patch_type="strategic")
                except ApiError as e:
                    if e.code != 404:
                        raise
            if stored is None:
                if "resourceVersion" in md:
                    ev = dict(ev, metadata=dict(md))
                    ev["metadata"].pop("resourceVersion")
                stored = self.sink.create(ev, ns)
        except ApiError:
            return None  # AlreadyExists, a terminating namespace, invalid: "will not retry!"
        self.correlator.update_state(stored)
        return stored
