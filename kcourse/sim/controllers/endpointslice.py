"""endpointslice-controller: the EndpointSlices of each Service with a selector.

EndpointSlices (``discovery.k8s.io/v1``) replaced the single Endpoints
object because one object listing every pod of a large Service had to be
rewritten — and sent to every kube-proxy — whenever any pod changed.
Slices hold at most 100 endpoints each (``--max-endpoints-per-slice``), so a
change rewrites one slice.  kube-proxy and CoreDNS read slices today.

Each slice is named ``<service>-<5 random characters>`` (``generateName``),
is owned by its Service (deleting the Service lets the garbage collector
remove its slices), and carries the labels ``kubernetes.io/service-name``
and ``endpointslice.kubernetes.io/managed-by:
endpointslice-controller.k8s.io``.  ``addressType`` is IPv4.  An endpoint
lists the pod's ``addresses``, ``conditions`` (``ready`` — serving and not
terminating —, ``serving`` — the pod's Ready condition —, ``terminating``),
``nodeName``, the node's ``zone`` when known and a ``targetRef``; ``ports``
carry the Service port names with the resolved ``targetPort`` numbers.
Unlike Endpoints, slices keep terminating pods (``ready: false,
terminating: true``) so that kube-proxy can drain them.  Pods that resolve a
named targetPort to different numbers land in different slices.  A Service
that selects no pod keeps one empty placeholder slice.

A sync costs what changed: the endpoints come from the Service × Pod entries
of :class:`~kcourse.sim.controllers.endpoints.ServicePods` (redone only for
Pods with events, or for every Pod of a node whose zone changed), and when no
entry changed and the Service's slices in the cache are the versions this
controller left, it is up to date without building or comparing anything.

Simplified: the real reconciler weighs rewriting slices against creating
new ones; this one keeps endpoints in the slice where they are, fills
existing slices up to 100 and then creates new ones.  Node label changes do
not by themselves refresh endpoint zones.
"""

from __future__ import annotations

import bisect
import itertools
import json
import operator
from collections.abc import Callable
from typing import Any

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler, SharedInformerFactory
from ..objects import owner_reference
from .endpoints import (
    OrderedEntries,
    ServicePods,
    SharedPorts,
    endpoint_ports,
    ip_order,
    pod_is_ready,
    should_set_hostname,
    target_ref,
    watch_service_pods,
)
from .endpointslice_tracker import SERVICE_NAME_LABEL, EndpointSliceTracker, StaleInformerCache, service_key

__all__ = ["MANAGED_BY", "MAX_ENDPOINTS_PER_SLICE", "EndpointSliceController"]

MAX_ENDPOINTS_PER_SLICE = 100
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
MANAGED_BY = "endpointslice-controller.k8s.io"
#: ``endpointSliceChangeMinSyncDelay``: a slice changed by someone else queues its Service this much later,
#: so that changes to several slices are handled in one sync.
SLICE_CHANGE_MIN_SYNC_DELAY = 1.0


def _slice_service_index(es: dict) -> list[str]:
    labels = es["metadata"].get("labels") or {}
    if labels.get(MANAGED_BY_LABEL) != MANAGED_BY or not labels.get(SERVICE_NAME_LABEL):
        return []
    return [f"{es['metadata']['namespace']}/{labels[SERVICE_NAME_LABEL]}"]


def _managed(es: dict) -> bool:
    return (es["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == MANAGED_BY


def _zone(node: dict | None) -> str | None:
    return ((node or {}).get("metadata", {}).get("labels") or {}).get("topology.kubernetes.io/zone")


def _endpoint_key(ep: dict) -> str:
    ref = ep.get("targetRef") or {}
    return ref.get("uid") or ep["addresses"][0]


class EndpointSliceController(Controller):
    """Keys are Services; each sync brings the Service's slices in line with its pods."""

    name = "endpointslice-controller"
    max_retries = 15
    max_endpoints_per_slice = MAX_ENDPOINTS_PER_SLICE

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.services = self.informer("services")
        self.pods = self.informer("pods")
        self.nodes = self.informer("nodes")
        self.slices = self.informer("endpointslices")
        if "service" not in self.slices.indexers:
            self.slices.add_indexer("service", _slice_service_index)
        self.members = ServicePods(self.pods, self._endpoint)
        self.ports = SharedPorts(self._ports)
        #: Service key -> (the Service, its entries' version, its slices' names and resourceVersions, the
        #: message) of the last sync that left the slices as its entries say.
        self._in_sync: dict[str, tuple[dict, int, dict[str, str], str]] = {}
        self.tracker = EndpointSliceTracker()
        #: Service key -> its entries by ports, in endpoint order.  After a write (or a sync that finds a
        #: slice up to date) an item's endpoint is swapped for the equal one the API server stores, so the
        #: next body hands that one back and the API server finds the endpoint it already holds (by
        #: identity) without decoding or comparing it again.
        self._ordered: dict[str, OrderedEntries] = {}
        #: Service key -> slice name -> (its resourceVersion, its endpoints' keys) as the last sync left it.
        self._slice_keys: dict[str, dict[str, tuple[str, list[str]]]] = {}
        #: Slice events that arrive while a sync is writing, handled when it returns (see sync_handler).
        self._echoes: list[tuple[Callable[..., None], tuple[dict, ...]]] | None = None
        watch_service_pods(self, self.services, self.pods, self.members)
        self.slices.add_event_handler(
            ResourceEventHandler(self._slice_added, self._slice_updated, self._slice_deleted)
        )
        self.nodes.add_event_handler(
            ResourceEventHandler(self._node_changed, self._node_updated, self._node_changed)
        )

    def _node_changed(self, node: dict) -> None:
        if _zone(node):
            self.members.invalidate()  # endpoints read their node's zone when they are next built

    def _node_updated(self, old: dict, new: dict) -> None:
        if _zone(old) != _zone(new):
            self.members.invalidate()

    # The slice handlers queue a Service only for a change this controller did not make itself: the echo of
    # its own write carries the generation it remembers (see endpointslice_tracker).

    def _deferred(self, handler: Callable[..., None], *slices: dict) -> bool:
        if self._echoes is None:
            return False
        self._echoes.append((handler, slices))
        return True

    def _queue_service_for(self, es: dict) -> None:
        if (es["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL):
            self.queue.add_after(service_key(es), SLICE_CHANGE_MIN_SYNC_DELAY)

    def _slice_added(self, es: dict) -> None:
        if self._deferred(self._slice_added, es):
            return
        if _managed(es) and self.tracker.should_sync(es):
            self._queue_service_for(es)

    def _slice_updated(self, old: dict, new: dict) -> None:
        if self._deferred(self._slice_updated, old, new):
            return
        old_service = (old["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL)
        if (new["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) != old_service:
            self.tracker.handle_deletion(
                old
            )  # gone from its old Service, whose next sync must not wait for it
            self._queue_service_for(new)  # someone moved the slice to another Service: both must sync
            self._queue_service_for(old)
        elif _managed(old) != _managed(new) or (_managed(new) and self.tracker.should_sync(new)):
            self._queue_service_for(new)

    def _slice_deleted(self, es: dict) -> None:
        if self._deferred(self._slice_deleted, es):
            return
        if _managed(es) and self.tracker.has(es) and not self.tracker.handle_deletion(es):
            self._queue_service_for(es)  # a slice this controller still wanted is gone

    def _endpoint(self, svc: dict, pod: dict) -> tuple[str, list[dict], dict, str, tuple[int, ...]] | None:
        """A Pod's entry: (its ports' group, the ports, its endpoint, the endpoint's key, its IP's order).

        None if it has no endpoint.  The key and the order are kept with the entry so that a sync
        sorts and matches endpoints without computing them again for every Pod.
        """
        ip = pod["status"].get("podIP")
        if not ip or pod["status"].get("phase") in ("Succeeded", "Failed"):
            return None
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        serving = publish or pod_is_ready(pod)
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        ep: dict[str, Any] = {
            "addresses": [ip],
            "conditions": {
                "ready": publish or (serving and not terminating),
                "serving": serving,
                "terminating": terminating,
            },
        }
        if should_set_hostname(pod, svc):
            ep["hostname"] = pod["spec"]["hostname"]
        node_name = pod["spec"].get("nodeName")
        if node_name:
            ep["nodeName"] = node_name
            zone = _zone(self.nodes.get(node_name))
            if zone:
                ep["zone"] = zone
        ep["targetRef"] = target_ref(pod)
        group, ports = self.ports.get(svc, pod)
        if svc["spec"].get("ports") and not ports:
            return None
        return group, ports, ep, _endpoint_key(ep), ip_order(ip)

    @staticmethod
    def _ports(svc: dict, pod: dict) -> tuple[str, list[dict]]:
        """The pod's ports as a slice lists them, with their grouping key."""
        ports = endpoint_ports(svc, pod)
        return json.dumps(ports, sort_keys=True), ports

    def _new_slice(self, svc: dict, ports: list[dict], endpoints: list[dict]) -> dict:
        return {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "generateName": f"{svc['metadata']['name']}-",
                "namespace": svc["metadata"]["namespace"],
                "labels": self._labels(svc),
                "ownerReferences": [owner_reference(svc)],
            },
            "addressType": "IPv4",
            "endpoints": endpoints,
            "ports": ports,
        }

    @staticmethod
    def _labels(svc: dict) -> dict[str, str]:
        labels = dict(svc["metadata"].get("labels") or {})
        labels[SERVICE_NAME_LABEL] = svc["metadata"]["name"]
        labels[MANAGED_BY_LABEL] = MANAGED_BY
        if svc["spec"].get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        return labels

    def _adopt(self, key: str, ordered: OrderedEntries, group_key: str, sent: list[tuple], es: dict) -> None:
        """Swap each endpoint the body sent (``sent``: their items) for the equal one the slice ``es`` (as
        written, or found up to date) stores at the same place, in the ordered entries and in the Pod's entry
        (see ``_ordered``).  Endpoints sent as stored already are passed over without a look."""
        stored = es.get("endpoints") or ()
        eps = list(map(_EP, sent))
        items = ordered.groups[group_key][1][0]
        for at in itertools.compress(itertools.count(), map(operator.is_not, eps, stored)):
            if at >= len(stored):
                break
            item, got = sent[at], stored[at]
            if item[3] != got:
                continue
            where = bisect.bisect_left(items, item[:2])
            if where < len(items) and items[where] is item:
                items[where] = (*item[:3], got, item[4])
            entry = self.members.entry_of(key, item[1])
            if entry is not None and entry[2] is item[3]:
                self.members.adopt(key, item[1], (*entry[:2], got, *entry[3:]))

    def sync_handler(self, key: str) -> str | None:
        """Sync one Service; the slice events its own writes cause are handled after it returns.

        In the simulation an informer hears of a write before the write call returns, so the echo of a
        slice this sync writes would reach the handlers before the tracker has recorded it.  A real
        controller's informer hears of it later, over the watch; holding those events until the sync is
        done gives the handlers the order they have upstream.
        """
        self._echoes = []
        try:
            return self._sync_service(key)
        finally:
            echoes, self._echoes = self._echoes, None
            for handler, slices in echoes:
                handler(*slices)

    def _forget(self, key: str) -> None:
        self.members.forget(key)
        self.ports.forget(key)
        self._ordered.pop(key, None)
        self._slice_keys.pop(key, None)

    def _sync_service(self, key: str) -> str | None:
        svc = self.services.get(key)
        synced = self._in_sync.pop(key, None)
        if svc is None:
            self._forget(key)
            self.tracker.delete_service(key)
            return f"service {key} is gone: its slices are left to the garbage collector"
        if not svc["spec"].get("selector") or svc["spec"].get("type") == "ExternalName":
            self._forget(key)
            return f"service {key} has no selector: its slices are not managed here"
        existing = [
            es for es in self.slices.by_index("service", key) if not es["metadata"].get("deletionTimestamp")
        ]
        if self.tracker.stale_slices(key, existing):
            raise StaleInformerCache("EndpointSlice informer cache is out of date")
        before = self.members.version(key)
        entries = self.members.entries(svc)
        version = self.members.version(key)
        ordered = self._ordered[key] = OrderedEntries.follow(
            self._ordered.get(key), self.members, entries, before, version, _place_endpoint
        )
        if (
            synced is not None
            and synced[0] is svc
            and synced[1] == version
            and synced[2]
            == {es["metadata"]["name"]: es["metadata"].get("resourceVersion") for es in existing}
        ):
            self._in_sync[key] = synced  # nothing changed on either side since: no need to build anything
            return synced[3]
        groups = ordered.groups
        # (existing slice or None, ports, endpoints, their group)
        plan: list[tuple[dict | None, list[dict], list[dict], str]] = []
        used: set[str] = set()
        existing_ports = (
            [json.dumps(es.get("ports") or [], sort_keys=True) for es in existing] if groups else []
        )
        most = self.max_endpoints_per_slice
        known = self._slice_keys.get(key, {})
        keys_left: dict[str, tuple[str, list[str]]] = {}
        for ports_key in sorted(groups):
            ports, (wanted,) = groups[ports_key]
            remaining = dict(zip(map(_KEY, wanted), wanted))  # endpoint key -> item
            kept = []
            for es, es_ports in zip(existing, existing_ports, strict=True):
                if es_ports != ports_key:
                    continue
                md = es["metadata"]
                was = known.get(md["name"])
                if was is not None and was[0] == md.get("resourceVersion"):
                    keys = was[1]  # the slice as this controller left it: its endpoints' keys are known
                else:
                    keys = list(map(_endpoint_key, es.get("endpoints") or ()))
                kept.append((es, list(filter(None, map(remaining.pop, keys, itertools.repeat(None))))))
            rest = [item for item in wanted if item[2] in remaining] if remaining else []
            taken = 0
            for es, items in kept:
                if taken < len(rest) and len(items) < most:
                    more = rest[taken : taken + most - len(items)]
                    items.extend(more)
                    taken += len(more)
                if items:
                    plan.append((es, ports, items, ports_key))
                    used.add(es["metadata"]["name"])
            for i in range(taken, len(rest), most):
                plan.append((None, ports, rest[i : i + most], ports_key))
        if not groups:  # no endpoints: keep (or create) one empty placeholder slice
            placeholder = next(
                (es for es in existing if not es.get("endpoints")), existing[0] if existing else None
            )
            plan.append((placeholder, [], [], ""))
            if placeholder is not None:
                used.add(placeholder["metadata"]["name"])
        created = updated = deleted = total = ready = 0
        left: dict[str, str] = {}  # the slices as this sync leaves them: name -> resourceVersion
        for es, ports, items, group_key in plan:
            eps = list(map(_EP, items))
            total += len(eps)
            ready += sum(map(_READY, items))
            if es is None:
                written = self.client.create(self._new_slice(svc, ports, eps))
                created += 1
            else:
                labels = {**(es["metadata"].get("labels") or {}), **self._labels(svc)}
                if (
                    es.get("endpoints") == eps
                    and (es.get("ports") or []) == ports
                    and es["metadata"].get("labels") == labels
                ):
                    written = es
                else:
                    written = self.client.update(
                        {
                            **es,
                            "metadata": {**es["metadata"], "labels": labels},
                            "endpoints": eps,
                            "ports": ports,
                        }
                    )
                    updated += 1
            if written is not es:
                self.tracker.update(written)
            md = written["metadata"]
            left[md["name"]] = md.get("resourceVersion")
            if items:
                self._adopt(key, ordered, group_key, items, written)
                keys_left[md["name"]] = (md.get("resourceVersion"), list(map(_KEY, items)))
        self._slice_keys[key] = keys_left
        for es in existing:
            if es["metadata"]["name"] not in used:
                self.tracker.expect_deletion(es)
                try:
                    self.client.delete("endpointslices", es["metadata"]["name"], es["metadata"]["namespace"])
                except ApiError as err:
                    if err.code != 404:
                        raise
                deleted += 1
        changes = ", ".join(
            f"{n} {what}"
            for n, what in ((created, "created"), (updated, "updated"), (deleted, "deleted"))
            if n
        )
        summary = f"{len(plan)} slice(s) for {key}, {total} endpoint(s) ({ready} ready)"
        self._in_sync[key] = (svc, version, left, summary + ", up to date")
        return summary + (f": {changes}" if changes else ", up to date")


def _place_endpoint(pod_key: str, entry: tuple) -> tuple[str, Any, int, tuple]:
    """Where an EndpointSlice entry goes in its :class:`OrderedEntries`: by IP, then Pod key."""
    group_key, ports, ep, ep_key, order = entry
    return group_key, ports, 0, (order, pod_key, ep_key, ep, ep["conditions"]["ready"])


_KEY, _EP, _READY = operator.itemgetter(2), operator.itemgetter(3), operator.itemgetter(4)
