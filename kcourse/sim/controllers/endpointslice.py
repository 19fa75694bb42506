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

import json
from collections.abc import Callable
from typing import Any

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler, SharedInformerFactory
from ..objects import owner_reference
from .endpoints import (
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
        #: Service key -> endpoint key -> (an entry's endpoint, the equal endpoint the API server stored for
        #: it): a body puts the stored one back in its place, so the API server finds the endpoint it already
        #: holds (by identity) and neither decodes nor compares it again.
        self._stored: dict[str, dict[str, tuple[dict, dict]]] = {}
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

    @staticmethod
    def _desired(entries: dict[str, Any]) -> dict[str, tuple[list[dict], list[tuple]]]:
        """Endpoints grouped by resolved ports: {ports-json: (ports, [(IP order, Pod key, key, endpoint)])}.

        Each group is in IP order, Pods with the same IP by key.
        """
        groups: dict[str, tuple[list[dict], list[tuple]]] = {}
        for pod_key in sorted(entries):
            group, ports, ep, ep_key, order = entries[pod_key]
            groups.setdefault(group, (ports, []))[1].append((order, pod_key, ep_key, ep))
        for _, eps in groups.values():
            eps.sort()
        return groups

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

    @staticmethod
    def _remember(
        es: dict,
        wanted: dict[str, dict],
        stored: dict[str, tuple[dict, dict]],
        now_stored: dict[str, tuple[dict, dict]],
    ) -> None:
        """Record which stored endpoint of the slice ``es`` (as written, or found up to date) equals which
        entry's endpoint, for the next body to reuse (see ``_stored``)."""
        for got in es.get("endpoints") or ():
            ep_key = _endpoint_key(got)
            entry_ep = wanted.get(ep_key)
            if entry_ep is None:
                continue
            held = stored.get(ep_key)
            if held is not None and held[0] is entry_ep and held[1] is got:
                now_stored[ep_key] = held
            elif got == entry_ep:
                now_stored[ep_key] = (entry_ep, got)

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

    def _sync_service(self, key: str) -> str | None:
        svc = self.services.get(key)
        synced = self._in_sync.pop(key, None)
        if svc is None:
            self.members.forget(key)
            self.ports.forget(key)
            self._stored.pop(key, None)
            self.tracker.delete_service(key)
            return f"service {key} is gone: its slices are left to the garbage collector"
        if not svc["spec"].get("selector") or svc["spec"].get("type") == "ExternalName":
            self.members.forget(key)
            self.ports.forget(key)
            self._stored.pop(key, None)
            return f"service {key} has no selector: its slices are not managed here"
        existing = [
            es for es in self.slices.by_index("service", key) if not es["metadata"].get("deletionTimestamp")
        ]
        if self.tracker.stale_slices(key, existing):
            raise StaleInformerCache("EndpointSlice informer cache is out of date")
        entries = self.members.entries(svc)
        version = self.members.version(key)
        if (
            synced is not None
            and synced[0] is svc
            and synced[1] == version
            and synced[2]
            == {es["metadata"]["name"]: es["metadata"].get("resourceVersion") for es in existing}
        ):
            self._in_sync[key] = synced  # nothing changed on either side since: no need to build anything
            return synced[3]
        groups = self._desired(entries)
        plan: list[
            tuple[dict | None, list[dict], list[dict]]
        ] = []  # (existing slice or None, ports, endpoints)
        used: set[str] = set()
        existing_ports = (
            [json.dumps(es.get("ports") or [], sort_keys=True) for es in existing] if groups else []
        )
        stored = self._stored.get(key, {})
        wanted_by_key: dict[str, dict] = {}
        for ports_key in sorted(groups):
            ports, wanted = groups[ports_key]
            remaining = {ep_key: ep for _, _, ep_key, ep in wanted}
            wanted_by_key.update(remaining)
            kept = []
            for es, es_ports in zip(existing, existing_ports, strict=True):
                if es_ports != ports_key:
                    continue
                eps = []
                for ep in es.get("endpoints") or []:
                    ep_key = _endpoint_key(ep)
                    wanted_ep = remaining.pop(ep_key, None)
                    if wanted_ep is not None:
                        held = stored.get(ep_key)
                        eps.append(
                            ep if held is not None and held[0] is wanted_ep and held[1] is ep else wanted_ep
                        )
                kept.append((es, eps))
            rest = [ep for _, _, ep_key, ep in wanted if ep_key in remaining]
            for es, eps in kept:
                while rest and len(eps) < self.max_endpoints_per_slice:
                    eps.append(rest.pop(0))
                if eps:
                    plan.append((es, ports, eps))
                    used.add(es["metadata"]["name"])
            for i in range(0, len(rest), self.max_endpoints_per_slice):
                plan.append((None, ports, rest[i : i + self.max_endpoints_per_slice]))
        if not groups:  # no endpoints: keep (or create) one empty placeholder slice
            placeholder = next(
                (es for es in existing if not es.get("endpoints")), existing[0] if existing else None
            )
            plan.append((placeholder, [], []))
            if placeholder is not None:
                used.add(placeholder["metadata"]["name"])
        created = updated = deleted = 0
        left: dict[str, str] = {}  # the slices as this sync leaves them: name -> resourceVersion
        now_stored: dict[str, tuple[dict, dict]] = {}
        for es, ports, eps in plan:
            if es is None:
                written = self.client.create(self._new_slice(svc, ports, eps))
                self.tracker.update(written)
                left[written["metadata"]["name"]] = written["metadata"].get("resourceVersion")
                self._remember(written, wanted_by_key, stored, now_stored)
                created += 1
                continue
            labels = {**(es["metadata"].get("labels") or {}), **self._labels(svc)}
            if (
                es.get("endpoints") == eps
                and (es.get("ports") or []) == ports
                and es["metadata"].get("labels") == labels
            ):
                left[es["metadata"]["name"]] = es["metadata"].get("resourceVersion")
                self._remember(es, wanted_by_key, stored, now_stored)
                continue
            written = self.client.update(
                {**es, "metadata": {**es["metadata"], "labels": labels}, "endpoints": eps, "ports": ports}
            )
            self.tracker.update(written)
            left[written["metadata"]["name"]] = written["metadata"].get("resourceVersion")
            self._remember(written, wanted_by_key, stored, now_stored)
            updated += 1
        self._stored[key] = now_stored
        for es in existing:
            if es["metadata"]["name"] not in used:
                self.tracker.expect_deletion(es)
                try:
                    self.client.delete("endpointslices", es["metadata"]["name"], es["metadata"]["namespace"])
                except ApiError as err:
                    if err.code != 404:
                        raise
                deleted += 1
        total = sum(len(eps) for _, _, eps in plan)
        ready = sum(1 for _, _, eps in plan for ep in eps if ep["conditions"]["ready"])
        changes = ", ".join(
            f"{n} {what}"
            for n, what in ((created, "created"), (updated, "updated"), (deleted, "deleted"))
            if n
        )
        summary = f"{len(plan)} slice(s) for {key}, {total} endpoint(s) ({ready} ready)"
        self._in_sync[key] = (svc, version, left, summary + ", up to date")
        return summary + (f": {changes}" if changes else ", up to date")
