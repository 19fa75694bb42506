"""The cluster network: the IP-per-Pod model.

Kubernetes gives every Pod its own IP address, so Pods talk to each other
like VMs on one flat network, without NAT.  The addresses come from three
ranges:

* the *cluster CIDR* (``10.244.0.0/16``), cut into one *podCIDR* per node
  (``10.244.1.0/24`` …) by kube-controller-manager's node-ipam controller;
* each node's podCIDR, from which the node's CNI plugin gives each Pod an IP;
* the *service CIDR* (``10.96.0.0/12``), from which the API server gives
  each Service a virtual ClusterIP (the first one, ``10.96.0.1``, is the
  ``kubernetes`` Service; cluster DNS conventionally takes ``10.96.0.10``).
"""

from __future__ import annotations

import ipaddress
import random
from typing import Any

from .errors import ApiError, Cause, invalid

__all__ = ["Network"]


class Network:
    """Address allocation for nodes, Pods and Services."""

    def __init__(self, rng: random.Random, cluster_cidr: str = "10.244.0.0/16",
                 service_cidr: str = "10.96.0.0/12", node_cidr_mask: int = 24,
                 node_network: str = "10.0.0.0/16", node_port_range: tuple[int, int] = (30000, 32767)):
        self.rng = rng
        self.cluster_cidr = ipaddress.ip_network(cluster_cidr)
        self.service_cidr = ipaddress.ip_network(service_cidr)
        self.node_network = ipaddress.ip_network(node_network)
        self.node_cidr_mask = node_cidr_mask
        self.node_port_range = node_port_range
        self._pod_cidrs = list(self.cluster_cidr.subnets(new_prefix=node_cidr_mask))
        self.node_cidrs: dict[str, str] = {}        # node -> podCIDR
        self.node_ips: dict[str, str] = {}          # node -> InternalIP
        self.pod_ips: dict[str, str] = {}           # namespace/name -> IP
        self._pod_ip_owner: dict[str, str] = {}     # IP -> namespace/name
        self._next_host: dict[str, int] = {}        # node -> next host index to try
        self.service_ips: dict[str, str] = {}       # IP -> namespace/name
        self.node_ports: dict[int, str] = {}        # nodePort -> namespace/name
        self.routes: dict[str, str] = {}            # podCIDR -> node (programmed by the route controller)

    # --- nodes ---------------------------------------------------------------------------------

    def node_ip(self, node: str) -> str:
        """The node's InternalIP on the machines' network (10.0.0.x), stable per name order."""
        if node not in self.node_ips:
            self.node_ips[node] = str(self.node_network.network_address + 10 + len(self.node_ips))
        return self.node_ips[node]

    def allocate_pod_cidr(self, node: str) -> str:
        """node-ipam: the next free podCIDR (the first one, x.x.0.0/24, is left unused as kubeadm does)."""
        if node in self.node_cidrs:
            return self.node_cidrs[node]
        used = set(self.node_cidrs.values())
        for cidr in self._pod_cidrs[1:]:
            if str(cidr) not in used:
                self.node_cidrs[node] = str(cidr)
                return str(cidr)
        raise RuntimeError(f"no podCIDR left in {self.cluster_cidr} for node {node}")

    def release_pod_cidr(self, node: str) -> None:
        self.node_cidrs.pop(node, None)

    # --- pods ----------------------------------------------------------------------------------

    def allocate_pod_ip(self, node: str, pod_key: str) -> str:
        """host-local IPAM on ``node``: the next free address of the node's podCIDR."""
        if pod_key in self.pod_ips:
            return self.pod_ips[pod_key]
        cidr = ipaddress.ip_network(self.node_cidrs[node])
        size = cidr.num_addresses
        start = self._next_host.get(node, 2)  # .0 network, .1 the node's bridge (cni0)
        for i in range(size - 3):
            host = 2 + (start - 2 + i) % (size - 3)
            ip = str(cidr.network_address + host)
            if ip not in self._pod_ip_owner:
                self._pod_ip_owner[ip] = pod_key
                self.pod_ips[pod_key] = ip
                self._next_host[node] = host + 1
                return ip
        raise RuntimeError(f"failed to allocate for range 0: no IP addresses available in range set: {cidr}")

    def release_pod_ip(self, pod_key: str) -> None:
        ip = self.pod_ips.pop(pod_key, None)
        if ip is not None:
            self._pod_ip_owner.pop(ip, None)

    def pod_at(self, ip: str) -> str | None:
        return self._pod_ip_owner.get(ip)

    # --- services (called by the API server while it creates a Service) ------------------------

    def allocate_service(self, svc: dict) -> None:
        """Give a Service its ClusterIP (unless headless) and NodePorts, or refuse with 422."""
        spec = svc["spec"]
        key = f"{svc['metadata']['namespace']}/{svc['metadata']['name']}"
        stype = spec.get("type", "ClusterIP")
        if stype == "ExternalName":
            return
        requested = spec.get("clusterIP")
        if requested == "None":
            spec["clusterIPs"] = ["None"]
        else:
            ip = self._allocate_service_ip(svc, requested)
            self.service_ips[ip] = key
            spec["clusterIP"] = ip
            spec["clusterIPs"] = [ip]
        if stype in ("NodePort", "LoadBalancer"):
            taken: list[int] = []
            for i, port in enumerate(spec.get("ports") or []):
                want = port.get("nodePort")
                if want:
                    if want in self.node_ports:
                        for p in taken:
                            self.node_ports.pop(p, None)
                        self._release_ip(spec)
                        raise invalid("Service", svc["metadata"]["name"], [Cause(
                            f"spec.ports[{i}].nodePort", f"Invalid value: {want}: provided port is already "
                            "allocated")])
                else:
                    lo, hi = self.node_port_range
                    free = [p for p in range(lo, hi + 1) if p not in self.node_ports]
                    want = self.rng.choice(free)
                port["nodePort"] = want
                self.node_ports[want] = key
                taken.append(want)

    def _allocate_service_ip(self, svc: dict, requested: str | None) -> str:
        name = svc["metadata"]["name"]
        if requested:
            try:
                addr = ipaddress.ip_address(requested)
            except ValueError:
                raise invalid("Service", name, [Cause("spec.clusterIPs[0]", f'Invalid value: "{requested}": must be '
                                                      "a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
                              ) from None
            if addr not in self.service_cidr:
                raise invalid("Service", name, [Cause("spec.clusterIPs", f'Invalid value: []string{{"{requested}"}}: '
                                                      f"failed to allocate IP {requested}: the provided IP "
                                                      f"({requested}) is not in the valid range. The range of "
                                                      f"valid IPs is {self.service_cidr}")])
            if requested in self.service_ips:
                raise invalid("Service", name, [Cause("spec.clusterIPs", f'Invalid value: []string{{"{requested}"}}: '
                                                      f"failed to allocate IP {requested}: provided IP is "
                                                      "already allocated")])
            return requested
        size = self.service_cidr.num_addresses
        for _ in range(64):
            ip = str(self.service_cidr.network_address + self.rng.randrange(11, size - 1))
            if ip not in self.service_ips:
                return ip
        for host in range(11, size - 1):
            ip = str(self.service_cidr.network_address + host)
            if ip not in self.service_ips:
                return ip
        raise ApiError(500, "InternalError", "range is full")

    def _release_ip(self, spec: dict[str, Any]) -> None:
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            self.service_ips.pop(ip, None)

    def release_service(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        self._release_ip(spec)
        for port in spec.get("ports") or []:
            if port.get("nodePort"):
                self.node_ports.pop(port["nodePort"], None)
