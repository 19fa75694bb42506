"""A fake cloud provider and the cloud-controller-manager that talks to it.

Kubernetes does not know which cloud it runs on; the cloud-controller-manager
does.  It runs on the control plane, elects a leader through the Lease
``kube-system/cloud-controller-manager`` like kube-controller-manager, and
runs the controllers that need the provider's API:

* **cloud-node** initialises a new Node.  A kubelet started with an external
  cloud provider registers its Node with the taint
  ``node.cloudprovider.kubernetes.io/uninitialized:NoSchedule``, so nothing
  is scheduled before the cloud has described the machine; this controller
  sets ``spec.providerID`` (``kcourse://zone-a/worker-1``), the addresses
  (InternalIP, ExternalIP, Hostname), the labels
  ``topology.kubernetes.io/region``, ``topology.kubernetes.io/zone`` and
  ``node.kubernetes.io/instance-type``, then removes the taint (Event
  ``Synced``).
* **cloud-node-lifecycle** looks every 5 s at nodes that are not Ready: a
  node whose VM is shut down gets ``node.cloudprovider.kubernetes.io/
  shutdown:NoSchedule``; a node whose VM no longer exists is deleted
  (Event ``DeletingNode``).  Ready nodes lose the shutdown taint.
* **service-lb** gives Services of type LoadBalancer a cloud load balancer
  in front of the nodes' NodePorts and writes its IP to
  ``status.loadBalancer.ingress`` (Events ``EnsuringLoadBalancer`` and
  ``EnsuredLoadBalancer``); the finalizer
  ``service.kubernetes.io/load-balancer-cleanup`` keeps the Service until
  the load balancer is deleted (``DeletingLoadBalancer``,
  ``DeletedLoadBalancer``).
* **node-route** programs one route per node podCIDR in the cloud's route
  table (so pods on different nodes reach each other without an overlay),
  mirrored into ``cluster.network.routes``, and sets the node condition
  NetworkUnavailable to False with reason ``RouteCreated``.
* **volumes**, kept small: a PersistentVolumeClaim of a StorageClass whose
  provisioner is ``kcourse.io/fake-disk`` gets a PersistentVolume backed by
  a fake cloud disk, and both are bound.  The 2020 chapter says the
  cloud-controller-manager manages storage volumes; that has aged.  Today
  a CSI driver does this (its external-provisioner sidecar creates the
  disk and the PV, kube-controller-manager's PV controller binds), and the
  in-tree volume plugins of the clouds are gone.  The events written here
  (``Provisioning``, ``ProvisioningSucceeded``) are the external
  provisioner's.

:class:`FakeCloud` is the provider: VMs spread round-robin over the zones
``zone-a``, ``zone-b`` and ``zone-c`` of ``region-1``, instance type
``k1.standard-2``, InternalIP from the cluster's node network, ExternalIP
from 203.0.113.0/24, load balancer IPs from 198.51.100.0/24, a route table
and disks.  Everything is allocated in order, so the same cluster gets the
same addresses.  The cluster calls ``create_vm``, ``power_off``,
``power_on`` and ``delete_vm`` when machines join, fail, recover or are
deleted.

Simplified: no cloud API latency or errors, no health checks behind load
balancers, routes are created without the real controller's concurrency
limit, node addresses are not re-polled every 5 minutes, and the
deprecated ``beta.kubernetes.io`` / ``failure-domain`` labels are not set.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from .apiserver import Unreachable
from .clock import Timer
from .component import Component, Event
from .controller import Controller
from .controllers import ControllerFactory, ControllerManager
from .errors import ApiError
from .host import Host
from .informer import ResourceEventHandler, SharedInformerFactory
from .network import Network
from .objects import condition, deep_copy, set_condition

__all__ = [
    "CLOUD_CONTROLLERS",
    "PROVIDER",
    "REGION",
    "ZONES",
    "CloudControllerManager",
    "CloudNodeController",
    "CloudNodeLifecycleController",
    "FakeCloud",
    "NodeRouteController",
    "ServiceLBController",
    "VolumeController",
]

PROVIDER = "kcourse"
REGION = "region-1"
ZONES = ("zone-a", "zone-b", "zone-c")
INSTANCE_TYPE = "k1.standard-2"
FAKE_DISK_PROVISIONER = "kcourse.io/fake-disk"
UNINITIALIZED_TAINT = "node.cloudprovider.kubernetes.io/uninitialized"
SHUTDOWN_TAINT = "node.cloudprovider.kubernetes.io/shutdown"
LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
EXCLUDE_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


# --- the provider --------------------------------------------------------------------------------


@dataclass
class VM:
    """A virtual machine: one node of the cluster."""

    name: str
    role: str
    zone: str
    instance_type: str
    internal_ip: str
    external_ip: str
    state: str = "running"  # running | stopped

    @property
    def provider_id(self) -> str:
        return f"{PROVIDER}://{self.zone}/{self.name}"


@dataclass
class LoadBalancer:
    name: str
    service: str  # namespace/name
    ip: str
    ports: list[dict] = field(default_factory=list)  # {port, nodePort, protocol}
    nodes: list[str] = field(default_factory=list)


@dataclass
class Route:
    name: str
    node: str
    destination: str  # the node's podCIDR


@dataclass
class Disk:
    name: str
    size: str
    zone: str

    @property
    def id(self) -> str:
        return f"{PROVIDER}://{self.zone}/disks/{self.name}"


class FakeCloud:
    """An in-memory cloud: instances, a route table, load balancers and disks."""

    def __init__(self, network: Network, region: str = REGION, zones: tuple[str, ...] = ZONES):
        #: Where a VM's internal address comes from: the cluster network's node addresses.
        self.network = network
        self.region = region
        self.zones = zones
        self.vms: dict[str, VM] = {}
        self.routes: dict[str, Route] = {}  # destination CIDR -> route
        self.load_balancers: dict[str, LoadBalancer] = {}
        self.disks: dict[str, Disk] = {}
        self._vms_created = 0
        self._external = ipaddress.ip_network("203.0.113.0/24")
        self._lb_range = ipaddress.ip_network("198.51.100.0/24")

    # --- instances (the cluster calls these) ------------------------------------------------

    def create_vm(self, name: str, role: str) -> VM:
        """A new VM in the next zone (round-robin), with its internal and external addresses."""
        if name in self.vms:
            return self.vms[name]
        zone = self.zones[self._vms_created % len(self.zones)]
        self._vms_created += 1
        used = {vm.external_ip for vm in self.vms.values()}
        external = next(
            str(self._external.network_address + i)
            for i in range(10, 255)
            if str(self._external.network_address + i) not in used
        )
        vm = VM(name, role, zone, INSTANCE_TYPE, self.network.node_ip(name), external)
        self.vms[name] = vm
        return vm

    def power_off(self, name: str) -> None:
        if name in self.vms:
            self.vms[name].state = "stopped"

    def power_on(self, name: str) -> None:
        if name in self.vms:
            self.vms[name].state = "running"

    def delete_vm(self, name: str) -> None:
        self.vms.pop(name, None)

    # --- InstancesV2: what the controllers ask ------------------------------------------------

    def _vm_of(self, node: dict) -> VM | None:
        provider_id = node["spec"].get("providerID") or ""
        name = (
            provider_id.rsplit("/", 1)[-1]
            if provider_id.startswith(f"{PROVIDER}://")
            else node["metadata"]["name"]
        )
        return self.vms.get(name)

    def instance_exists(self, node: dict) -> bool:
        return self._vm_of(node) is not None

    def instance_shutdown(self, node: dict) -> bool:
        vm = self._vm_of(node)
        return vm is not None and vm.state == "stopped"

    def instance_metadata(self, node: dict) -> dict | None:
        """providerID, instance type, zone, region and addresses of the node's VM (None if there is none)."""
        vm = self._vm_of(node)
        if vm is None:
            return None
        return {
            "providerID": vm.provider_id,
            "instanceType": vm.instance_type,
            "zone": vm.zone,
            "region": self.region,
            "addresses": [
                {"type": "InternalIP", "address": vm.internal_ip},
                {"type": "ExternalIP", "address": vm.external_ip},
                {"type": "Hostname", "address": vm.name},
            ],
        }

    # --- routes -----------------------------------------------------------------------------------

    def list_routes(self) -> list[Route]:
        return [self.routes[k] for k in sorted(self.routes)]

    def create_route(self, name: str, node: str, destination: str) -> Route:
        route = Route(name, node, destination)
        self.routes[destination] = route
        return route

    def delete_route(self, destination: str) -> None:
        self.routes.pop(destination, None)

    # --- load balancers -----------------------------------------------------------------------------

    def get_load_balancer(self, name: str) -> LoadBalancer | None:
        return self.load_balancers.get(name)

    def ensure_load_balancer(
        self, name: str, service: str, ports: list[dict], nodes: list[str]
    ) -> LoadBalancer:
        """Create or update the load balancer; its IP stays the same for its lifetime."""
        lb = self.load_balancers.get(name)
        if lb is None:
            used = {b.ip for b in self.load_balancers.values()}
            ip = next(
                str(self._lb_range.network_address + i)
                for i in range(10, 255)
                if str(self._lb_range.network_address + i) not in used
            )
            lb = self.load_balancers[name] = LoadBalancer(name, service, ip)
        lb.ports, lb.nodes = list(ports), list(nodes)
        return lb

    def update_load_balancer(self, name: str, nodes: list[str]) -> None:
        self.load_balancers[name].nodes = list(nodes)

    def delete_load_balancer(self, name: str) -> None:
        self.load_balancers.pop(name, None)

    # --- disks ----------------------------------------------------------------------------------------

    def create_disk(self, name: str, size: str, zone: str) -> Disk:
        disk = self.disks.get(name) or Disk(name, size, zone)
        self.disks[name] = disk
        return disk

    def delete_disk(self, name: str) -> None:
        self.disks.pop(name, None)


# --- the controllers ------------------------------------------------------------------------------


class CloudController(Controller):
    """A controller of cloud-controller-manager: built, as upstream's, with the cloud provider it drives."""

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers)
        self.cloud = cloud


def _has_taint(node: dict, key: str) -> bool:
    return any(t.get("key") == key for t in node["spec"].get("taints") or [])


def _without_taint(node: dict, key: str) -> dict:
    new = deep_copy(node)
    new["spec"]["taints"] = [t for t in new["spec"].get("taints") or [] if t.get("key") != key]
    if not new["spec"]["taints"]:
        del new["spec"]["taints"]
    return new


def _ready(node: dict) -> bool:
    c = condition(node, "Ready")
    return c is not None and c.get("status") == "True"


class CloudNodeController(CloudController):
    """Initialise Nodes that carry the uninitialized taint with what the cloud knows about their VM."""

    name = "cloud-node-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(ResourceEventHandler(self._maybe, lambda _old, new: self._maybe(new)))

    def _maybe(self, node: dict) -> None:
        if _has_taint(node, UNINITIALIZED_TAINT):
            self.enqueue(node)

    def sync_handler(self, key: str) -> str | None:
        node = self.nodes.get(key)
        if node is None or not _has_taint(node, UNINITIALIZED_TAINT):
            return f"node {key} needs no initialisation"
        meta = self.cloud.instance_metadata(node)
        if meta is None:
            return f"node {key} has no instance in the cloud: left for cloud-node-lifecycle"
        status = deep_copy(node)
        status.setdefault("status", {})["addresses"] = meta["addresses"]
        node = self.client.update_status(status)
        new = _without_taint(node, UNINITIALIZED_TAINT)
        new["spec"]["providerID"] = meta["providerID"]
        labels = new["metadata"].setdefault("labels", {})
        labels["node.kubernetes.io/instance-type"] = meta["instanceType"]
        labels["topology.kubernetes.io/region"] = meta["region"]
        labels["topology.kubernetes.io/zone"] = meta["zone"]
        self.client.update(new)
        self.client.event(node, "Normal", "Synced", "Node synced successfully")
        return (
            f"initialised node {key}: providerID {meta['providerID']}, {meta['instanceType']} in "
            f"{meta['region']}/{meta['zone']}, removed taint {UNINITIALIZED_TAINT}:NoSchedule"
        )


class _PeriodicController(CloudController):
    """A controller that also runs ``periodic()`` every ``period`` seconds while it runs (a background
    timer)."""

    period = 10.0

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self._tick: Timer | None = None

    def run(self) -> None:
        super().run()
        self._tick = self.manager.after(self.period, self._pass, background=True, trace_name=self.name)

    def stop(self) -> None:
        super().stop()
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None

    def _pass(self) -> Event | None:
        self._tick = self.manager.after(self.period, self._pass, background=True, trace_name=self.name)
        return self.periodic()

    def periodic(self) -> Event | None:
        raise NotImplementedError


class CloudNodeLifecycleController(_PeriodicController):
    """Every 5 s: delete Nodes whose VM is gone, taint Nodes whose VM is shut down."""

    name = "cloud-node-lifecycle-controller"
    period = 5.0  # node-monitor-period

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(ResourceEventHandler(on_update=self._updated))

    def _updated(self, old: dict, new: dict) -> None:
        if _ready(old) and not _ready(new) and self._tick is not None:
            # The node just stopped being Ready: the next pass will look at it — pending work.
            self.queue.add_after(new["metadata"]["name"], self._tick.due - self.clock.now)

    def _needs_action(self, node: dict) -> bool:
        cloud = self.cloud
        if _ready(node):
            return _has_taint(node, SHUTDOWN_TAINT)
        if cloud.instance_shutdown(node):
            return not _has_taint(node, SHUTDOWN_TAINT)
        return not cloud.instance_exists(node)

    def periodic(self) -> Event | None:
        nodes = self.nodes.list()
        due = [n for n in nodes if self._needs_action(n)]
        for node in due:
            self.enqueue(node)
        not_ready = sum(1 for n in nodes if not _ready(n))
        message = f"checked {len(nodes)} node(s) against the cloud: {not_ready} not ready"
        if due:
            message += f"; to act on: {', '.join(n['metadata']['name'] for n in due)}"
        return self.manager.event("nodes", message, verb="monitor", component=self.name)

    def sync_handler(self, key: str) -> str | None:
        node = self.nodes.get(key)
        if node is None:
            return f"node {key} is gone"
        cloud = self.cloud
        if _ready(node):
            if _has_taint(node, SHUTDOWN_TAINT):
                self.client.update(_without_taint(node, SHUTDOWN_TAINT))
                return f"node {key} is Ready: removed taint {SHUTDOWN_TAINT}"
            return f"node {key} is Ready"
        if cloud.instance_shutdown(node):
            if _has_taint(node, SHUTDOWN_TAINT):
                return f"node {key}: its VM is shut down (already tainted)"
            new = deep_copy(node)
            new["spec"].setdefault("taints", []).append({"key": SHUTDOWN_TAINT, "effect": "NoSchedule"})
            self.client.update(new)
            return f"node {key}: its VM is shut down, added taint {SHUTDOWN_TAINT}:NoSchedule"
        if cloud.instance_exists(node):
            return f"node {key} is not Ready but its VM exists"
        self.client.event(
            node,
            "Normal",
            "DeletingNode",
            f"Deleting node {key} because it does not exist in the cloud provider",
        )
        try:
            self.client.delete("nodes", key)
        except ApiError as err:
            if err.code != 404:
                raise
        return f"deleted node {key}: its VM no longer exists in the cloud"


def load_balancer_name(service: dict) -> str:
    """``cloudprovider.DefaultLoadBalancerName``: "a" + the Service's UID without dashes, 32 characters."""
    return ("a" + service["metadata"]["uid"].replace("-", ""))[:32]


class ServiceLBController(CloudController):
    """Keys are Services: LoadBalancer Services get a cloud load balancer; others (and deleted ones) lose
    it."""

    name = "service-lb-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self.services = self.informer("services")
        self.nodes = self.informer("nodes")
        self.services.add_event_handler(
            ResourceEventHandler(self._maybe, lambda _old, new: self._maybe(new), self._maybe)
        )
        self.nodes.add_event_handler(
            ResourceEventHandler(
                self._nodes_changed, lambda old, new: self._node_updated(old, new), self._nodes_changed
            )
        )

    def _maybe(self, svc: dict) -> None:
        if svc["spec"].get("type") == "LoadBalancer" or LB_FINALIZER in (
            svc["metadata"].get("finalizers") or []
        ):
            self.enqueue(svc)

    def _nodes_changed(self, _node: dict) -> None:
        for svc in self.services.list():
            if svc["spec"].get("type") == "LoadBalancer":
                self.enqueue(svc)

    def _node_updated(self, old: dict, new: dict) -> None:
        if (old["metadata"].get("labels") or {}).get(EXCLUDE_LB_LABEL) != (
            new["metadata"].get("labels") or {}
        ).get(EXCLUDE_LB_LABEL):
            self._nodes_changed(new)

    def lb_nodes(self) -> list[str]:
        """Nodes behind every load balancer: all, except those labelled to be excluded."""
        return [
            n["metadata"]["name"]
            for n in self.nodes.list()
            if EXCLUDE_LB_LABEL not in (n["metadata"].get("labels") or {})
        ]

    def sync_handler(self, key: str) -> str | None:
        svc = self.services.get(key)
        if svc is None:
            return f"service {key} is gone"
        cloud = self.cloud
        name = load_balancer_name(svc)
        finalizers = list(svc["metadata"].get("finalizers") or [])
        wanted = svc["spec"].get("type") == "LoadBalancer" and not svc["metadata"].get("deletionTimestamp")
        if not wanted:
            return self._delete(svc, key, name, finalizers)
        nodes = self.lb_nodes()
        ports = [
            {"port": p["port"], "nodePort": p.get("nodePort"), "protocol": p.get("protocol", "TCP")}
            for p in svc["spec"].get("ports") or []
        ]
        lb = cloud.get_load_balancer(name)
        ingress = [{"ip": lb.ip, "ipMode": "VIP"}] if lb is not None else None
        current_ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress")
        if lb is not None and LB_FINALIZER in finalizers and current_ingress == ingress and lb.ports == ports:
            if lb.nodes == nodes:
                return f"load balancer {name} for {key} is up to date ({lb.ip})"
            cloud.update_load_balancer(name, nodes)
            self.client.event(svc, "Normal", "UpdatedLoadBalancer", "Updated load balancer with new hosts")
            return f"load balancer {name} for {key} now sends to {len(nodes)} node(s)"
        if LB_FINALIZER not in finalizers:
            svc = self.client.update(
                {**svc, "metadata": {**svc["metadata"], "finalizers": finalizers + [LB_FINALIZER]}}
            )
        self.client.event(svc, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
        lb = cloud.ensure_load_balancer(name, key, ports, nodes)
        status = deep_copy(svc)
        status["status"] = {
            **(svc.get("status") or {}),
            "loadBalancer": {"ingress": [{"ip": lb.ip, "ipMode": "VIP"}]},
        }
        self.client.update_status(status)
        self.client.event(svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
        return f"ensured load balancer {name} for {key}: {lb.ip} -> {len(nodes)} node(s)"

    def _delete(self, svc: dict, key: str, name: str, finalizers: list[str]) -> str:
        cloud = self.cloud
        if cloud.get_load_balancer(name) is None and LB_FINALIZER not in finalizers:
            return f"service {key} needs no load balancer"
        self.client.event(svc, "Normal", "DeletingLoadBalancer", "Deleting load balancer")
        cloud.delete_load_balancer(name)
        self.client.event(svc, "Normal", "DeletedLoadBalancer", "Deleted load balancer")
        if (svc.get("status") or {}).get("loadBalancer", {}).get("ingress"):
            status = deep_copy(svc)
            status["status"]["loadBalancer"] = {}
            svc = self.client.update_status(status)
        if LB_FINALIZER in finalizers:
            self.client.update(
                {
                    **svc,
                    "metadata": {
                        **svc["metadata"],
                        "finalizers": [f for f in finalizers if f != LB_FINALIZER],
                    },
                }
            )
        return f"deleted load balancer {name} of {key}"


class NodeRouteController(_PeriodicController):
    """One cloud route per node podCIDR; routes of deleted nodes go.  The single key is ``routes``."""

    name = "node-route-controller"
    period = 10.0  # --route-reconciliation-period

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(ResourceEventHandler(self._changed, self._updated, self._changed))

    def _changed(self, _node: dict) -> None:
        self.queue.add("routes")

    def _updated(self, old: dict, new: dict) -> None:
        if old["spec"].get("podCIDR") != new["spec"].get("podCIDR") or self._needs_condition(new):
            self.queue.add("routes")

    @staticmethod
    def _needs_condition(node: dict) -> bool:
        if not node["spec"].get("podCIDR"):
            return False
        c = condition(node, "NetworkUnavailable")
        return c is None or c.get("status") != "False"

    def periodic(self) -> Event | None:
        try:
            message = self.sync_handler("routes")
        except (ApiError, Unreachable) as err:
            message = f"error reconciling routes: {err}"
        return self.manager.event("routes", message or "", verb=None, component=self.name)

    def sync_handler(self, _key: str) -> str | None:
        cloud = self.cloud
        network = self.host.network
        nodes = {n["metadata"]["name"]: n for n in self.nodes.list()}
        routes = {r.destination: r for r in cloud.list_routes()}
        created, deleted, marked = [], [], []
        for cidr, route in sorted(routes.items()):
            node = nodes.get(route.node)
            if node is None or node["spec"].get("podCIDR") != cidr:
                cloud.delete_route(cidr)
                if network.routes.get(cidr) == route.node:
                    del network.routes[cidr]
                deleted.append(f"{cidr} -> {route.node}")
        for name, node in sorted(nodes.items()):
            cidr = node["spec"].get("podCIDR")
            if not cidr:
                continue
            existing = cloud.routes.get(cidr)
            if existing is None or existing.node != name:
                cloud.create_route(f"{self.host.name}-{name}", name, cidr)
                created.append(f"{cidr} -> {name}")
            network.routes[cidr] = name
            c = condition(node, "NetworkUnavailable")
            if c is None or c.get("status") != "False" or c.get("reason") != "RouteCreated":
                new = deep_copy(node)
                set_condition(
                    new,
                    "NetworkUnavailable",
                    "False",
                    self.clock.now,
                    "RouteCreated",
                    "RouteController created a route",
                )
                self.client.update_status(new)
                marked.append(name)
        parts = []
        if created:
            parts.append(f"created route(s) {', '.join(created)}")
        if deleted:
            parts.append(f"deleted route(s) {', '.join(deleted)}")
        if marked:
            parts.append(f"NetworkUnavailable=False (RouteCreated) on {', '.join(marked)}")
        return "; ".join(parts) or f"{len(routes) - len(deleted) + len(created)} route(s) in sync"


def _claim_index(pv: dict) -> list[str]:
    ref = pv["spec"].get("claimRef") or {}
    return [f"{ref['namespace']}/{ref['name']}"] if ref.get("name") else []


class VolumeController(CloudController):
    """Keys are PersistentVolumeClaims: provision a fake disk and a PV, then bind them."""

    name = "fake-disk-provisioner"

    def __init__(self, manager: Component, informers: SharedInformerFactory, cloud: FakeCloud):
        super().__init__(manager, informers, cloud)
        self.claims = self.informer("persistentvolumeclaims")
        self.volumes = self.informer("persistentvolumes")
        self.classes = self.informer("storageclasses")
        self.nodes = self.informer("nodes")
        if "claim" not in self.volumes.indexers:
            self.volumes.add_indexer("claim", _claim_index)
        self.claims.add_event_handler(
            ResourceEventHandler(self.enqueue, lambda _old, new: self.enqueue(new), self.enqueue)
        )

    def _storage_class(self, claim: dict) -> dict | None:
        name = claim["spec"].get("storageClassName")
        if name:
            return self.classes.get(name)
        for sc in self.classes.list():
            if (sc["metadata"].get("annotations") or {}).get(
                "storageclass.kubernetes.io/is-default-class"
            ) == "true":
                return sc
        return None

    def sync_handler(self, key: str) -> str | None:
        claim = self.claims.get(key)
        bound = self.volumes.by_index("claim", key)
        if claim is None:
            return self._reclaim(key, bound)
        sc = self._storage_class(claim)
        if sc is None or sc.get("provisioner") != FAKE_DISK_PROVISIONER:
            return f"claim {key} is not for {FAKE_DISK_PROVISIONER}"
        if (claim.get("status") or {}).get("phase") == "Bound":
            return f"claim {key} is bound to {claim['spec'].get('volumeName')}"
        annotations = claim["metadata"].get("annotations") or {}
        selected = annotations.get("volume.kubernetes.io/selected-node")
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not selected:
            return f"claim {key} waits for its first consumer to be scheduled"
        pv = next((v for v in bound if v["spec"]["claimRef"].get("uid") == claim["metadata"]["uid"]), None)
        if pv is None:
            pv = self._provision(claim, sc, selected)
        return self._bind(claim, pv)

    def _provision(self, claim: dict, sc: dict, selected: str | None) -> dict:
        md = claim["metadata"]
        key = f"{md['namespace']}/{md['name']}"
        self.client.event(
            claim, "Normal", "Provisioning", f'External provisioner is provisioning volume for claim "{key}"'
        )
        node = self.nodes.get(selected) if selected else None
        zone = ((node or {}).get("metadata", {}).get("labels") or {}).get(
            "topology.kubernetes.io/zone"
        ) or self.cloud.zones[0]
        size = ((claim["spec"].get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        name = f"pvc-{md['uid']}"
        disk = self.cloud.create_disk(name, size, zone)
        pv: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": name,
                "annotations": {"pv.kubernetes.io/provisioned-by": FAKE_DISK_PROVISIONER},
            },
            "spec": {
                "capacity": {"storage": size},
                "accessModes": claim["spec"].get("accessModes") or ["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": claim["spec"].get("volumeMode", "Filesystem"),
                "claimRef": {
                    "kind": "PersistentVolumeClaim",
                    "namespace": md["namespace"],
                    "name": md["name"],
                    "uid": md["uid"],
                    "apiVersion": "v1",
                },
                "csi": {"driver": FAKE_DISK_PROVISIONER, "volumeHandle": disk.id, "fsType": "ext4"},
                "nodeAffinity": {
                    "required": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
                                ]
                            }
                        ]
                    }
                },
            },
        }
        created = self.client.create(pv)
        self.client.event(claim, "Normal", "ProvisioningSucceeded", f"Successfully provisioned volume {name}")
        return created

    def _bind(self, claim: dict, pv: dict) -> str:
        """What the PV controller does: both objects point at each other and become Bound."""
        name = pv["metadata"]["name"]
        if (pv.get("status") or {}).get("phase") != "Bound":
            new_pv = deep_copy(pv)
            new_pv["status"] = {"phase": "Bound"}
            self.client.update_status(new_pv)
        new = deep_copy(claim)
        new["spec"]["volumeName"] = name
        annotations = new["metadata"].setdefault("annotations", {})
        annotations["pv.kubernetes.io/bind-completed"] = "yes"
        annotations["pv.kubernetes.io/bound-by-controller"] = "yes"
        claim = self.client.update(new)
        status = deep_copy(claim)
        status["status"] = {
            "phase": "Bound",
            "accessModes": pv["spec"]["accessModes"],
            "capacity": dict(pv["spec"]["capacity"]),
        }
        self.client.update_status(status)
        key = f"{claim['metadata']['namespace']}/{claim['metadata']['name']}"
        return f"bound claim {key} to volume {name}"

    def _reclaim(self, key: str, volumes: list[dict]) -> str:
        """The claim is gone: volumes with reclaim policy Delete go, with their disks."""
        gone = []
        for pv in volumes:
            ours = (pv["metadata"].get("annotations") or {}).get(
                "pv.kubernetes.io/provisioned-by"
            ) == FAKE_DISK_PROVISIONER
            if not ours or pv["spec"].get("persistentVolumeReclaimPolicy", "Delete") != "Delete":
                continue
            self.cloud.delete_disk(pv["metadata"]["name"])
            try:
                self.client.delete("persistentvolumes", pv["metadata"]["name"])
            except ApiError as err:
                if err.code != 404:
                    raise
            gone.append(pv["metadata"]["name"])
        return f"claim {key} is gone" + (
            f": deleted volume(s) {', '.join(gone)} and their disks" if gone else ""
        )


CLOUD_CONTROLLERS: tuple[type[CloudController], ...] = (
    CloudNodeController,
    CloudNodeLifecycleController,
    ServiceLBController,
    NodeRouteController,
    VolumeController,
)


class CloudControllerManager(ControllerManager):
    """The cloud-controller-manager process on one control plane node.

    The same process shape as kube-controller-manager — shared informers,
    controllers that run only while this instance holds its Lease — with
    the cloud's controllers, each given the cloud provider.
    """

    def __init__(self, host: Host, node: str, cloud: FakeCloud):
        self.cloud = cloud
        super().__init__(host, "cloud-controller-manager", node, self._cloud_controllers)

    def _cloud_controllers(self) -> list[ControllerFactory]:
        def factory(cls: type[CloudController]) -> ControllerFactory:
            return lambda manager, informers: cls(manager, informers, self.cloud)

        return [factory(cls) for cls in CLOUD_CONTROLLERS]
