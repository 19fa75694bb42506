"""endpoint-controller: the Endpoints object of each Service, from the pods its selector matches.

A Service is a stable virtual IP in front of a changing set of Pods.  Which
Pods?  Those whose labels match ``spec.selector`` — but only the ones that
have an IP.  This controller writes them into the Endpoints object of the
same name: pods whose Ready condition is True go to ``addresses``, the
others to ``notReadyAddresses`` (kube-proxy and DNS use only the first
list), each with ``ip``, ``nodeName`` and a ``targetRef`` to the Pod.  Each
Service port's ``targetPort`` is resolved per pod — a number as it is, a
name through the pod's container ports — and pods that resolve to the same
ports share one subset.  Terminating and finished pods are left out;
``publishNotReadyAddresses: true`` lists every pod as ready.  At most 1000
addresses are kept (annotation ``endpoints.kubernetes.io/over-capacity:
truncated``).

A Service without a selector is left alone: its Endpoints are whatever the
user (or, for ``default/kubernetes``, the API server) writes.  The
Endpoints API is deprecated since Kubernetes 1.33 in favour of
EndpointSlices (:mod:`kcourse.sim.controllers.endpointslice`), which
kube-proxy reads today; the chapter's "controllers create endpoints"
describes this object.

The helpers here (which pods a Service selects, how a targetPort resolves)
are shared with the EndpointSlice controller, as ``endpointutil`` is in
Kubernetes.

A sync costs what changed, not what the Service selects: :class:`ServicePods`
keeps one entry per Service × Pod (what the Pod shows in the Service's
object), redone only for the Pods whose events arrived since the last sync
(upstream's reconcilers likewise compare per endpoint).  The object is built
from those entries, so an unchanged Pod's entry is the same object from one
version to the next; and when no entry changed and the Endpoints in the cache
are the version this controller left, the sync knows it is up to date without
building or comparing anything.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
from collections.abc import Callable
from typing import Any

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..informer import Informer, ResourceEventHandler, SharedInformerFactory
from ..objects import condition

__all__ = [
    "MAX_ENDPOINTS",
    "EndpointsController",
    "OrderedEntries",
    "ServicePods",
    "SharedPorts",
    "find_port",
    "pod_is_ready",
    "ports_depend_on_pod",
    "selected_pods",
    "services_for_pod",
    "watch_service_pods",
]

MAX_ENDPOINTS = 1000
#: How many distinct label sets the Pod handlers remember the selecting Services of (see watch_service_pods).
MAX_REMEMBERED_LABEL_SETS = 4096


def _selects(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    labels = labels or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _label_index(obj: dict) -> list[str]:
    ns = obj["metadata"].get("namespace") or ""
    return [f"{ns}/{k}={v}" for k, v in (obj["metadata"].get("labels") or {}).items()]


def selected_pods(pods: Informer, service: dict) -> list[dict]:
    """Pods in the Service's namespace whose labels match its (map) selector, by name.

    The Pods carrying the selector's rarest label come from an index, so a
    sync costs what the Service selects, not what the namespace holds.
    """
    selector = service["spec"].get("selector")
    if not selector:
        return []
    if "label" not in pods.indexers:
        pods.add_indexer("label", _label_index)
    ns = service["metadata"]["namespace"]
    index = pods.indices["label"]
    rarest = min((f"{ns}/{k}={v}" for k, v in sorted(selector.items())), key=lambda e: len(index.get(e, ())))
    return [p for p in pods.by_index("label", rarest) if _selects(selector, p["metadata"].get("labels"))]


def _selector_index(obj: dict) -> list[str]:
    ns = obj["metadata"].get("namespace") or ""
    return [f"{ns}/{k}={v}" for k, v in ((obj.get("spec") or {}).get("selector") or {}).items()]


def services_for_pod(services: Informer, pod: dict) -> list[dict]:
    """Services whose selector matches ``pod`` (``GetPodServiceMemberships``), by key.

    A Service can select the pod only if one of its selector's pairs is one
    of the pod's labels, so the candidates come from an index on selector
    pairs: a pod change costs the Services that may select it, not every
    Service of the namespace.
    """
    if "selector" not in services.indexers:
        services.add_indexer("selector", _selector_index)
    labels = pod["metadata"].get("labels")
    if not labels:
        return []
    ns = pod["metadata"]["namespace"]
    index = services.indices["selector"]
    keys: set[str] = set()
    for k, v in labels.items():
        keys.update(index.get(f"{ns}/{k}={v}", ()))
    store = services.store
    return [store[key] for key in sorted(keys) if _selects(store[key]["spec"].get("selector"), labels)]


def pod_is_ready(pod: dict) -> bool:
    c = condition(pod, "Ready")
    return c is not None and c.get("status") == "True"


def find_port(pod: dict, service_port: dict) -> int | None:
    """``podutil.FindPort``: a numeric targetPort as is; a named one through the containers' ports."""
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    proto = service_port.get("protocol", "TCP")
    for c in pod["spec"].get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == proto:
                return p["containerPort"]
    return None


def endpoint_ports(service: dict, pod: dict) -> list[dict]:
    """The Service's ports as this pod serves them (ports whose name does not resolve are skipped)."""
    out = []
    for sp in service["spec"].get("ports") or []:
        number = find_port(pod, sp)
        if number is None:
            continue
        port: dict[str, Any] = {
            "name": sp.get("name", ""),
            "port": number,
            "protocol": sp.get("protocol", "TCP"),
        }
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        out.append(port)
    return out


def ports_depend_on_pod(service: dict) -> bool:
    """Does some port's targetPort need the pod to resolve (a name, or none at all)?

    A numeric targetPort resolves to itself on every pod (:func:`find_port`), so when all are numeric
    every pod's :func:`endpoint_ports` are the same, and one list serves every endpoint of the Service.
    """
    for sp in service["spec"].get("ports") or []:
        target = sp.get("targetPort", sp.get("port"))
        if not (isinstance(target, int) or (isinstance(target, str) and target.isdigit())):
            return True
    return False


class SharedPorts:
    """Per Service, the ports its endpoints show, made once while they do not depend on the pod.

    ``make(service, pod)`` builds them (any value, e.g. the ports with their grouping key); :meth:`get`
    returns the value made for the current version of the Service when :func:`ports_depend_on_pod` says
    every pod gets the same, else makes it for this pod.  Shared values are never modified.
    """

    def __init__(self, make: Callable[[dict, dict], Any]):
        self._make = make
        self._kept: dict[str, tuple[dict, Any]] = {}  # Service key -> (the Service, its value or None)

    def get(self, service: dict, pod: dict) -> Any:
        md = service["metadata"]
        key = f"{md.get('namespace')}/{md.get('name')}"
        kept = self._kept.get(key)
        if kept is None or kept[0] is not service:
            kept = self._kept[key] = (
                service,
                None if ports_depend_on_pod(service) else self._make(service, pod),
            )
        return self._make(service, pod) if kept[1] is None else kept[1]

    def forget(self, service_key: str) -> None:
        self._kept.pop(service_key, None)


def target_ref(pod: dict) -> dict:
    md = pod["metadata"]
    return {"kind": "Pod", "namespace": md["namespace"], "name": md["name"], "uid": md.get("uid")}


def should_set_hostname(pod: dict, service: dict) -> bool:
    spec = pod["spec"]
    return bool(spec.get("hostname")) and spec.get("subdomain") == service["metadata"]["name"]


@functools.lru_cache(maxsize=1 << 16)  # every sync sorts the same Pod IPs again
def ip_order(ip: str) -> tuple[int, ...]:
    return tuple(int(x) for x in ip.split("."))


def _pod_signature(pod: dict) -> tuple:
    md, spec, status = pod["metadata"], pod["spec"], pod.get("status") or {}
    return (
        md.get("labels"),
        md.get("deletionTimestamp"),
        spec.get("nodeName"),
        spec.get("hostname"),
        spec.get("subdomain"),
        status.get("podIP"),
        status.get("phase"),
        pod_is_ready(pod),
    )


class ServicePods:
    """One entry per Service × Pod, kept from Pod events: what each Pod shows in the Service's object.

    ``entry(service, pod)`` builds a Pod's entry (None: the Pod shows nothing, e.g. it has no IP).
    The Pod handlers call :meth:`pod_changed`; :meth:`entries` redoes the entries of those Pods
    only, or all of a Service's when the Service object itself changed (or :meth:`invalidate`
    said something every entry reads did).  An entry equal to the one it replaces is not replaced,
    so an unchanged Pod's entry stays the same object; :meth:`version` moves only when one changes,
    and :attr:`changes` says which did in the last call (None: all were built afresh), so that an
    ordered view of them (:class:`OrderedEntries`) follows without sorting again.
    Entries are never modified once built: objects written from them share them safely.  An entry
    may be swapped for an equal one (:meth:`adopt`: the same endpoint as the API server stores it).
    """

    def __init__(self, pods: Informer, entry: Callable[[dict, dict], Any]):
        self.pods = pods
        self._entry = entry
        self._entries: dict[str, dict[str, Any]] = {}  # Service key -> Pod key -> entry
        self._built_for: dict[str, tuple[dict, int]] = {}  # Service key -> (the Service object, epoch)
        self._changed: dict[str, set[str]] = {}  # Service key -> Pods with events since its last sync
        self._versions: dict[str, int] = {}
        self._epoch = 0
        #: The last :meth:`entries` call's changes: (Pod key, the entry it had or None, the entry it has or
        #: None) for each Pod whose entry was replaced, added or removed; None when all were built afresh.
        self.changes: list[tuple[str, Any, Any]] | None = None

    def pod_changed(self, service_key: str, pod_key: str) -> None:
        self._changed.setdefault(service_key, set()).add(pod_key)

    def invalidate(self) -> None:
        """Something every entry may read changed (a node's zone).

        Each Service redoes all its entries next time.
        """
        self._epoch += 1

    def forget(self, service_key: str) -> None:
        """The Service is gone or not managed here: drop what was kept for it."""
        for kept in (self._entries, self._built_for, self._changed, self._versions):
            kept.pop(service_key, None)

    def version(self, service_key: str) -> int:
        return self._versions.get(service_key, 0)

    def entry_of(self, service_key: str, pod_key: str) -> Any:
        entries = self._entries.get(service_key)
        return None if entries is None else entries.get(pod_key)

    def adopt(self, service_key: str, pod_key: str, entry: Any) -> None:
        """Swap a Pod's entry for an equal one (its object as the API server stores it); not a change."""
        entries = self._entries.get(service_key)
        if entries is not None and pod_key in entries:
            entries[pod_key] = entry

    def entries(self, svc: dict) -> dict[str, Any]:
        """The Service's entries by Pod key, brought up to date with the Pod events since the last call."""
        key = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        old = self._entries.get(key)
        changed = self._changed.pop(key, set())
        built = self._built_for.get(key)
        if old is None or built is None or built[0] is not svc or built[1] != self._epoch:
            fresh: dict[str, Any] = {}
            for pod in selected_pods(self.pods, svc):
                entry = self._entry(svc, pod)
                if entry is not None:
                    pk = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
                    was = old.get(pk) if old is not None else None
                    fresh[pk] = was if was is not None and was == entry else entry
            moved = old is None or fresh.keys() != old.keys() or any(fresh[k] is not old[k] for k in fresh)
            self._entries[key], self._built_for[key] = fresh, (svc, self._epoch)
            self.changes = None
        else:
            fresh, moved = old, False
            self.changes = changes_made = []
            ns, selector = svc["metadata"]["namespace"], svc["spec"].get("selector")
            for pk in changed:
                pod = self.pods.get(pk)
                entry = None
                if (
                    pod is not None
                    and pod["metadata"]["namespace"] == ns
                    and _selects(selector, pod["metadata"].get("labels"))
                ):
                    entry = self._entry(svc, pod)
                was = fresh.get(pk)
                if entry is None:
                    if was is not None:
                        del fresh[pk]
                        changes_made.append((pk, was, None))
                        moved = True
                elif was is None or was != entry:
                    fresh[pk] = entry
                    changes_made.append((pk, was, entry))
                    moved = True
        if moved:
            self._versions[key] = self.version(key) + 1
        return fresh


class OrderedEntries:
    """A Service's entries grouped by their ports and in the order its object lists them, kept sorted from
    the changes :class:`ServicePods` reports instead of sorted again at each sync.

    ``place(pod_key, entry)`` says where an entry goes: (its ports' group key, the ports, which of the
    group's ``lists`` it is in, its item — a tuple starting with its sort key and the Pod key, which
    together are unique, so no comparison ever reaches the rest).  ``groups`` maps each group key to
    (the ports, the lists); a group without entries is dropped.  ``version`` is the entries' version the
    view was built for (see :meth:`ServicePods.version`).
    """

    def __init__(self, place: Callable[[str, Any], tuple[str, Any, int, tuple]], lists: int = 1):
        self._place = place
        self._lists = lists
        self.groups: dict[str, tuple[Any, list[list[tuple]]]] = {}
        self.version = -1

    @classmethod
    def follow(
        cls,
        view: OrderedEntries | None,
        members: ServicePods,
        entries: dict[str, Any],
        before: int,
        after: int,
        place: Callable[[str, Any], tuple[str, Any, int, tuple]],
        lists: int = 1,
    ) -> OrderedEntries:
        """``view`` brought to the entries just returned by ``members`` (whose version was ``before`` the
        call and is ``after`` it): their changes applied, or a view built afresh."""
        changes = members.changes
        if view is None or changes is None or view.version != before:
            view = cls(place, lists)
            for pod_key in sorted(entries):
                view._add(pod_key, entries[pod_key], False)
            for _, group in view.groups.values():
                for items in group:
                    items.sort()
        else:
            for pod_key, was, now in changes:
                if was is not None:
                    view._remove(pod_key, was)
                if now is not None:
                    view._add(pod_key, now, True)
        view.version = after
        return view

    def _add(self, pod_key: str, entry: Any, in_order: bool) -> None:
        group_key, ports, which, item = self._place(pod_key, entry)
        group = self.groups.get(group_key)
        if group is None:
            group = self.groups[group_key] = (ports, [[] for _ in range(self._lists)])
        if in_order:
            bisect.insort(group[1][which], item)
        else:
            group[1][which].append(item)

    def _remove(self, pod_key: str, entry: Any) -> None:
        group_key, _, which, item = self._place(pod_key, entry)
        group = self.groups[group_key]
        items = group[1][which]
        at = bisect.bisect_left(items, item[:2])
        del items[at]
        if not any(group[1]):
            del self.groups[group_key]

    def find(self, group_key: str, which: int, pod_key: str, entry: Any) -> tuple[list[tuple], int]:
        """The list holding a Pod's item, and its index there."""
        items = self.groups[group_key][1][which]
        return items, bisect.bisect_left(items, self._place(pod_key, entry)[3][:2])


def watch_service_pods(
    controller: Controller, services: Informer, pods: Informer, members: ServicePods | None = None
) -> None:
    """Handlers: a Service change queues it; a pod change queues the Services that select it (old and new).

    With ``members``, the pod is also marked changed for each of those Services.

    The Pods of one template carry the same labels, so which Services select a set of labels is
    remembered until the Service informer's next event (its resourceVersion moves with each one).
    """
    selecting: dict[tuple, list[dict]] = {}  # (namespace, *the pod's labels) -> the Services that select them
    seen_at = [services.resource_version]

    def services_selecting(pod: dict) -> list[dict]:
        md = pod["metadata"]
        labels = md.get("labels")
        if not labels:
            return []
        if seen_at[0] != services.resource_version or len(selecting) > MAX_REMEMBERED_LABEL_SETS:
            selecting.clear()
            seen_at[0] = services.resource_version
        key = (md["namespace"], *labels.items())
        found = selecting.get(key)
        if found is None:
            found = selecting[key] = services_for_pod(services, pod)
        return found

    def on_pod(pod: dict) -> None:
        for svc in services_selecting(pod):
            controller.enqueue(svc)
            if members is not None:
                md = svc["metadata"]
                members.pod_changed(
                    f"{md['namespace']}/{md['name']}",
                    f"{pod['metadata']['namespace']}/{pod['metadata']['name']}",
                )

    def on_pod_update(old: dict, new: dict) -> None:
        if _pod_signature(old) == _pod_signature(new):
            return  # podEndpointsChanged: nothing an endpoint shows has changed
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            on_pod(old)
        on_pod(new)

    services.add_event_handler(
        ResourceEventHandler(
            controller.enqueue, lambda _old, new: controller.enqueue(new), controller.enqueue
        )
    )
    pods.add_event_handler(ResourceEventHandler(on_pod, on_pod_update, on_pod))


class EndpointsController(Controller):
    """Keys are Services; each sync rewrites the Service's Endpoints if they differ."""

    name = "endpoint-controller"
    max_retries = 15

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.services = self.informer("services")
        self.pods = self.informer("pods")
        self.endpoints = self.informer("endpoints")
        self.members = ServicePods(self.pods, self._address)
        self.ports = SharedPorts(self._ports)
        #: Service key -> (the Service, its entries' version, the Endpoints' resourceVersion, the summary) of
        #: the last sync that left the Endpoints as its entries say.
        self._in_sync: dict[str, tuple[dict, int, str, str]] = {}
        #: Service key -> its entries by ports, ready and not ready, in address order.  After a write (or a
        #: sync that finds the Endpoints up to date) an item's address is swapped for the equal one the API
        #: server stores, so the next body hands that one back and the API server finds the address it
        #: already holds (by identity) without decoding or comparing it again.
        self._ordered: dict[str, OrderedEntries] = {}
        watch_service_pods(self, self.services, self.pods, self.members)
        self.endpoints.add_event_handler(ResourceEventHandler(on_delete=self._endpoints_deleted))

    def _endpoints_deleted(self, eps: dict) -> None:
        if self.services.get(f"{eps['metadata']['namespace']}/{eps['metadata']['name']}") is not None:
            self.enqueue(eps)

    def _forget(self, key: str) -> None:
        self.members.forget(key)
        self.ports.forget(key)
        self._ordered.pop(key, None)

    def sync_handler(self, key: str) -> str | None:
        ns, name = key.split("/", 1)
        svc = self.services.get(key)
        current = self.endpoints.get(key)
        synced = self._in_sync.pop(key, None)
        if svc is None:
            self._forget(key)
            if current is None:
                return f"service {key} is gone"
            try:
                self.client.delete("endpoints", name, ns)
            except ApiError as err:
                if err.code != 404:
                    raise
            return f"deleted Endpoints {key}: the service is gone"
        if not svc["spec"].get("selector") or svc["spec"].get("type") == "ExternalName":
            self._forget(key)
            return f"service {key} has no selector: its Endpoints are not managed here"
        before = self.members.version(key)
        entries = self.members.entries(svc)
        version = self.members.version(key)
        ordered = self._ordered[key] = OrderedEntries.follow(
            self._ordered.get(key), self.members, entries, before, version, _place_address, 2
        )
        if (
            synced is not None
            and synced[0] is svc
            and synced[1] == version
            and current is not None
            and current["metadata"].get("resourceVersion") == synced[2]
        ):
            self._in_sync[key] = synced  # nothing changed on either side since: no need to build anything
            return f"Endpoints {key} up to date: {synced[3]}"
        subsets, ready, not_ready, truncated, sources = self._subsets(ordered)
        labels = dict(svc["metadata"].get("labels") or {})
        if svc["spec"].get("clusterIP") == "None":
            labels["service.kubernetes.io/headless"] = ""
        annotations = {"endpoints.kubernetes.io/over-capacity": "truncated"} if truncated else {}
        summary = f"{ready} ready, {not_ready} not ready address(es)"
        if (
            current is not None
            and current.get("subsets", []) == subsets
            and (current["metadata"].get("labels") or {}) == labels
            and (current["metadata"].get("annotations") or {}) == annotations
        ):
            self._in_sync[key] = (svc, version, current["metadata"].get("resourceVersion", ""), summary)
            self._adopt(key, current, subsets, sources)
            return f"Endpoints {key} up to date: {summary}"
        md: dict[str, Any] = {"name": name, "namespace": ns}
        if labels:
            md["labels"] = labels
        if annotations:
            md["annotations"] = annotations
        obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": md, "subsets": subsets}
        if current is None:
            written = self.client.create(obj)
            verb = "created"
        else:
            md["resourceVersion"] = current["metadata"]["resourceVersion"]
            written = self.client.update(obj)
            verb = "updated"
        self._in_sync[key] = (svc, version, written["metadata"].get("resourceVersion", ""), summary)
        self._adopt(key, written, subsets, sources)
        return f"{verb} Endpoints {key}: {summary}"

    def _adopt(self, key: str, eps: dict, subsets: list[dict], sources: list[list[list[tuple]]]) -> None:
        """Swap each address the body sent for the equal one ``eps`` (as written, or found up to date) stores
        at the same place, in the ordered entries and in the Pod's entry (see ``_ordered``)."""
        for sent, got, lists in zip(subsets, eps.get("subsets") or (), sources, strict=False):
            for field, items in zip(("addresses", "notReadyAddresses"), lists, strict=True):
                mine, theirs = sent.get(field), got.get(field)
                if not mine or not theirs:
                    continue
                for at in itertools.compress(itertools.count(), map(operator.is_not, mine, theirs)):
                    if at >= len(theirs):
                        break
                    address, stored = mine[at], theirs[at]
                    if address == stored:
                        order, pod_key, _ = items[at]
                        items[at] = (order, pod_key, stored)
                        entry = self.members.entry_of(key, pod_key)
                        if entry is not None and entry[2] is address:
                            self.members.adopt(key, pod_key, (*entry[:2], stored, *entry[3:]))

    @staticmethod
    def _ports(svc: dict, pod: dict) -> tuple[str, list[dict]]:
        """The pod's ports as an Endpoints subset lists them (no empty names), with their grouping key."""
        ports = [
            {k: v for k, v in p.items() if not (k == "name" and v == "")} for p in endpoint_ports(svc, pod)
        ]
        return repr(ports), ports

    def _address(self, svc: dict, pod: dict) -> tuple[str, list[dict], dict, bool, tuple[str, str]] | None:
        """A Pod's entry: (its ports' group, the ports, its address, listed as ready?, its sort key).

        None if not listed.  Addresses sort as upstream's ``LessEndpointAddress``
        (``pkg/api/v1/endpoints/util.go``): by the IP's text, byte by byte — so ``10.244.1.10`` comes
        before ``10.244.1.9`` — then by the Pod's UID.
        """
        publish = bool(svc["spec"].get("publishNotReadyAddresses"))
        ip = pod["status"].get("podIP")
        if not ip or pod["status"].get("phase") in ("Succeeded", "Failed"):
            return None
        if pod["metadata"].get("deletionTimestamp") and not publish:
            return None
        address: dict[str, Any] = {"ip": ip}
        if should_set_hostname(pod, svc):
            address["hostname"] = pod["spec"]["hostname"]
        if pod["spec"].get("nodeName"):
            address["nodeName"] = pod["spec"]["nodeName"]
        address["targetRef"] = target_ref(pod)
        group, ports = self.ports.get(svc, pod)
        if svc["spec"].get("ports") and not ports:
            return None
        return group, ports, address, publish or pod_is_ready(pod), (ip, pod["metadata"].get("uid", ""))

    @staticmethod
    def _subsets(ordered: OrderedEntries) -> tuple[list[dict], int, int, bool, list[list[list[tuple]]]]:
        """The subsets: one per group of resolved ports, addresses in the order of their IP's text, then
        UID; with, for each subset, the ordered lists (ready, not ready) its addresses come from."""
        subsets, sources, ready, not_ready, kept = [], [], 0, 0, 0
        truncated = False
        groups = ordered.groups
        for group_key in sorted(groups):
            ports, lists = groups[group_key]
            addrs = list(map(_ADDRESS, lists[0]))
            not_addrs = list(map(_ADDRESS, lists[1]))
            room = MAX_ENDPOINTS - kept
            if len(addrs) + len(not_addrs) > room:
                truncated = True
                addrs = addrs[:room]
                not_addrs = not_addrs[: max(0, room - len(addrs))]
            kept += len(addrs) + len(not_addrs)
            subset: dict[str, Any] = {}
            if addrs:
                subset["addresses"] = addrs
            if not_addrs:
                subset["notReadyAddresses"] = not_addrs
            if ports:
                subset["ports"] = ports
            if addrs or not_addrs:
                subsets.append(subset)
                sources.append(lists)
            ready, not_ready = ready + len(addrs), not_ready + len(not_addrs)
        return subsets, ready, not_ready, truncated, sources


def _place_address(pod_key: str, entry: tuple) -> tuple[str, Any, int, tuple]:
    """Where an Endpoints entry goes in its :class:`OrderedEntries`: ready or not, by address order."""
    group_key, ports, address, ready, order = entry
    return group_key, ports, 0 if ready else 1, (order, pod_key, address)


_ADDRESS = operator.itemgetter(2)
