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

A packet from one node's Pods to another node's podCIDR needs a route.
With a cloud, cloud-controller-manager's route controller programs one
route per node in the cloud's route table (``routes[podCIDR] = node``).
Without a cloud, the CNI plugin — here a stand-in for flannel's VXLAN
overlay — makes every node that has a podCIDR reachable: each node learns
the others' subnets and encapsulates packets to them over ``flannel.1``.

:func:`reach` follows one connection hop by hop — Pod, veth and ``cni0``
bridge, the node's kube-proxy rules for Service IPs and NodePorts, the
route to the destination node, the destination Pod — and explains where
and why it fails.  A name is looked up first by the Pod's resolver
(:func:`resolve`): the ``resolv.conf`` the kubelet wrote (nameserver
``10.96.0.10``, the search list, ``ndots:5``), each query a UDP packet through
the node's kube-proxy rules to whichever DNS server listens behind them — the
DNS addon's CoreDNS replicas (:mod:`kcourse.sim.addons.dns`), or nothing.

These tools look at a cluster only through :class:`NetworkView` — its network, its machines,
the Pods as the API server stores them, whether a cloud routes between nodes, the DNS addon —
which :class:`~kcourse.sim.cluster.Cluster` satisfies; they never import the cluster.

Simplified: no return path, conntrack or source NAT is shown; a partitioned
node is cut off from every other machine (not only from the control
plane); a Pod "listens" on every port unless it declares containerPorts.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import ApiError, Cause, invalid
from .kubeproxy import RuleSetMemo, connect
from .trace import TRACE_WIDTH

if TYPE_CHECKING:
    from .apiserver import APIServer

__all__ = [
    "CLUSTER_DNS_IP",
    "DOMAIN",
    "DnsAnswer",
    "Hop",
    "Machine",
    "Network",
    "NetworkView",
    "Path",
    "Record",
    "candidates",
    "machine_up",
    "reach",
    "resolve",
    "search_list",
]

#: The kubelet's ``clusterDNS`` (the ``kube-dns`` Service's ClusterIP) and ``clusterDomain``, the records' TTL
#: (the Corefile's ``ttl 30``) and the resolver's ``options ndots:5`` and ``attempts:2``.
CLUSTER_DNS_IP = "10.96.0.10"
DOMAIN = "cluster.local"
TTL = 30
NDOTS = 5
ATTEMPTS = 2


class Network:
    """Address allocation for nodes, Pods and Services."""

    def __init__(
        self,
        rng: random.Random,
        cluster_cidr: str = "10.244.0.0/16",
        service_cidr: str = "10.96.0.0/12",
        node_cidr_mask: int = 24,
        node_network: str = "10.0.0.0/16",
        node_port_range: tuple[int, int] = (30000, 32767),
    ):
        self.rng = rng
        self.cluster_cidr = ipaddress.ip_network(cluster_cidr)
        self.service_cidr = ipaddress.ip_network(service_cidr)
        self.node_network = ipaddress.ip_network(node_network)
        self.node_cidr_mask = node_cidr_mask
        self.node_port_range = node_port_range
        self._pod_cidrs = list(self.cluster_cidr.subnets(new_prefix=node_cidr_mask))
        self._cidrs_used_below = 1  # every podCIDR before this index is taken: allocation starts here
        self._cidrs_used: set[str] = set()  # node_cidrs' values, kept as they come and go
        self.node_cidrs: dict[str, str] = {}  # node -> podCIDR
        self.node_ips: dict[str, str] = {}  # node -> InternalIP
        self.pod_ips: dict[str, str] = {}  # namespace/name -> IP
        self._pod_ip_owner: dict[str, str] = {}  # IP -> namespace/name
        self._next_host: dict[str, int] = {}  # node -> next host index to try
        self.service_ips: dict[str, str] = {}  # IP -> namespace/name
        self.node_ports: dict[int, str] = {}  # nodePort -> namespace/name
        self.routes: dict[str, str] = {}  # podCIDR -> node (programmed by the route controller)
        self.iptables: dict[str, Any] = {}  # node -> its kube-proxy rules (kubeproxy.RuleTable)
        #: The rule sets kube-proxies computed, for others with the same input (immutable, so safely shared).
        self.rule_sets = RuleSetMemo()

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
        used = self._cidrs_used
        if len(used) != len(self.node_cidrs):
            used = self._cidrs_used = set(self.node_cidrs.values())
        for i in range(self._cidrs_used_below, len(self._pod_cidrs)):
            cidr = str(self._pod_cidrs[i])
            if cidr not in used:
                self.node_cidrs[node] = cidr
                used.add(cidr)
                self._cidrs_used_below = i + 1
                return cidr
        raise RuntimeError(f"no podCIDR left in {self.cluster_cidr} for node {node}")

    def release_pod_cidr(self, node: str) -> None:
        self._cidrs_used.discard(self.node_cidrs.pop(node, ""))
        self._cidrs_used_below = 1

    def owner_node(self, ip: str) -> str | None:
        """The node whose podCIDR contains ``ip``."""
        addr = ipaddress.ip_address(ip)
        for node in sorted(self.node_cidrs):
            if addr in ipaddress.ip_network(self.node_cidrs[node]):
                return node
        return None

    def route_via(self, node: str, cloud: bool) -> str | None:
        """How packets reach ``node``'s podCIDR: a cloud route, the overlay, or None (no route yet)."""
        cidr = self.node_cidrs.get(node)
        if cidr is None:
            return None
        if cloud:
            return "via the cloud route table" if self.routes.get(cidr) == node else None
        return "via the flannel VXLAN overlay (flannel.1)"

    # --- pods ----------------------------------------------------------------------------------

    def allocate_pod_ip(self, node: str, pod_key: str) -> str:
        """host-local IPAM on ``node``: the next free address of the node's podCIDR."""
        if pod_key in self.pod_ips:
            return self.pod_ips[pod_key]
        cidr = _pod_network(self.node_cidrs[node])
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
                        raise invalid(
                            "Service",
                            svc["metadata"]["name"],
                            [
                                Cause(
                                    f"spec.ports[{i}].nodePort",
                                    f"Invalid value: {want}: provided port is already allocated",
                                )
                            ],
                        )
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
                raise invalid(
                    "Service",
                    name,
                    [
                        Cause(
                            "spec.clusterIPs[0]",
                            f'Invalid value: "{requested}": must be '
                            "a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                        )
                    ],
                ) from None
            if addr not in self.service_cidr:
                raise invalid(
                    "Service",
                    name,
                    [
                        Cause(
                            "spec.clusterIPs",
                            f'Invalid value: []string{{"{requested}"}}: '
                            f"failed to allocate IP {requested}: the provided IP "
                            f"({requested}) is not in the valid range. The range of "
                            f"valid IPs is {self.service_cidr}",
                        )
                    ],
                )
            if requested in self.service_ips:
                raise invalid(
                    "Service",
                    name,
                    [
                        Cause(
                            "spec.clusterIPs",
                            f'Invalid value: []string{{"{requested}"}}: '
                            f"failed to allocate IP {requested}: provided IP is "
                            "already allocated",
                        )
                    ],
                )
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


# --- following a packet ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Hop:
    """One step of a packet's path: where it is and what happened there."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where:<28} {self.what}"


@dataclass
class Path:
    """The answer of :func:`reach`: the hops in order and a verdict."""

    source: str
    destination: str
    hops: list[Hop] = field(default_factory=list)
    ok: bool = False
    verdict: str = ""
    endpoint: str | None = None  # the podIP:port finally reached

    def hop(self, where: str, what: str) -> None:
        self.hops.append(Hop(where, what))

    def fail(self, verdict: str) -> Path:
        self.ok, self.verdict = False, verdict
        return self

    def __str__(self) -> str:
        """Hop by hop, each hop's text wrapped between words under its column (a rule can be long)."""
        lines = [f"{self.source} -> {self.destination}"]
        for i, h in enumerate(self.hops, 1):
            lines += _wrapped(f"  {i:>2}. {h.where:<28} ", h.what)
        lines += _wrapped("  OK: " if self.ok else "  FAILED: ", self.verdict)
        return "\n".join(lines)


@functools.lru_cache(maxsize=8192)
def _pod_network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A node's podCIDR, parsed once (the CNI's IPAM reads it for every Pod of the node)."""
    return ipaddress.ip_network(cidr)


def _wrapped(prefix: str, text: str) -> list[str]:
    """``prefix`` then ``text``, wrapped at the trace width with the text's column kept."""
    return textwrap.wrap(
        text,
        width=TRACE_WIDTH,
        initial_indent=prefix,
        subsequent_indent=" " * len(prefix),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [prefix.rstrip()]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _pod_key(from_pod: Any) -> str:
    if isinstance(from_pod, dict):
        return f"{from_pod['metadata'].get('namespace', 'default')}/{from_pod['metadata']['name']}"
    return from_pod if "/" in from_pod else f"default/{from_pod}"


class Machine(Protocol):
    """A machine as the network sees it: on or off, cut off by a partition or not, its role."""

    @property
    def powered(self) -> bool: ...

    @property
    def partitioned(self) -> bool: ...

    @property
    def is_master(self) -> bool: ...


class NetworkView(Protocol):
    """What following a packet or a DNS query looks at (:func:`reach`, :func:`resolve`, and
    kube-proxy's ``iptables_save`` and ``connect``): a cluster satisfies it.

    ``api`` is read with ``peek`` only (the Pods as stored, without a request: looking at the
    network is not a client of the API server); ``cloud`` is only asked whether it exists (its
    route table, else the CNI overlay, carries traffic between nodes); ``addons`` may hold the DNS
    addon's servers (``addons.dns.servers``).
    """

    @property
    def network(self) -> Network: ...

    @property
    def rng(self) -> random.Random: ...

    @property
    def api(self) -> APIServer: ...

    @property
    def machines(self) -> Mapping[str, Machine]: ...

    @property
    def cloud(self) -> object | None: ...

    @property
    def addons(self) -> Any: ...

    def machine(self, name: str) -> Machine:
        """The machine called ``name``; ValueError naming every machine when there is none."""
        ...

    def machine_up(self, node: str) -> bool:
        """Is the machine powered and on the network (a partition cuts it off from every other)?"""
        ...


def machine_up(cluster: NetworkView, node: str) -> bool:
    """Is the machine powered and on the network (a partition cuts it off from every other machine)?"""
    m = cluster.machines.get(node)
    return m is not None and m.powered and not m.partitioned


def pod_node_and_ip(cluster: NetworkView, key: str) -> tuple[dict | None, str | None, str | None]:
    ns, name = key.split("/", 1)
    pod = cluster.api.peek("pods", name, ns)
    if pod is None:
        return None, None, None
    return pod, pod["spec"].get("nodeName"), (pod.get("status") or {}).get("podIP")


def reach(cluster: NetworkView, from_pod: Any, to: str, port: int, protocol: str = "TCP") -> Path:
    """Follow a connection from a Pod to an IP or DNS name, hop by hop, and say whether it gets there.

    ``to`` is a Pod IP, a Service ClusterIP, a node IP (for a NodePort) or a
    DNS name, which is resolved through cluster DNS first (itself a
    connection to the ``kube-dns`` ClusterIP, through kube-proxy).
    """
    key = _pod_key(from_pod)
    path = Path(key, f"{to}:{port}/{protocol}")
    pod, node, ip = pod_node_and_ip(cluster, key)
    if pod is None:
        return path.fail(f'pod "{key}" not found')
    phase = (pod.get("status") or {}).get("phase", "Pending")
    if phase != "Running" or not node or not ip:
        return path.fail(
            f"pod {key} is not Running (phase {phase}): it has no network namespace to send from"
        )
    if not (cluster.machines.get(node) and cluster.machines[node].powered):
        return path.fail(f"pod {key}'s node {node} is down: its containers are gone")
    host_network = bool(pod["spec"].get("hostNetwork"))
    path.hop(
        f"pod {key}",
        f"sends from {ip} (eth0)"
        + ("" if host_network else f" through its veth to the cni0 bridge of {node}"),
    )
    if not _is_ip(to):
        answer = resolve(cluster, to, "A", from_pod=key)
        for h in answer.hops:
            path.hops.append(h)
        if not answer.addresses:
            return path.fail(f"cannot resolve {to}: {answer.error or answer.rcode}")
        to = answer.addresses[0]
        path.hop("resolver", f"uses {to}")
    return _deliver(cluster, path, node, to, port, protocol)


def _deliver(cluster: NetworkView, path: Path, node: str, dst: str, port: int, protocol: str) -> Path:
    net = cluster.network
    addr = ipaddress.ip_address(dst)
    if addr in net.service_cidr:
        result = connect(cluster, node, dst, port, protocol)
        for rule in result.rules:
            path.hop(f"iptables on {node}", rule)
        if result.endpoint is None:
            return path.fail(result.verdict)
        path.hop(f"iptables on {node}", f"DNAT {dst}:{port} -> {result.endpoint}")
        dst, port = result.endpoint.rsplit(":", 1)[0], int(result.endpoint.rsplit(":", 1)[1])
        addr = ipaddress.ip_address(dst)
    elif dst in net.node_ips.values() and port in net.node_ports:
        target = next(n for n, i in net.node_ips.items() if i == dst)
        if target != node:
            if not machine_up(cluster, node) or not machine_up(cluster, target):
                return path.fail(f"node {target} ({dst}) does not answer: connection timed out")
            path.hop(f"node {node}", f"routes {dst} on the node network to {target}")
        result = connect(cluster, target, dst, port, protocol)
        for rule in result.rules:
            path.hop(f"iptables on {target}", rule)
        if result.endpoint is None:
            return path.fail(result.verdict)
        path.hop(f"iptables on {target}", f"DNAT {dst}:{port} -> {result.endpoint}")
        node = target
        dst, port = result.endpoint.rsplit(":", 1)[0], int(result.endpoint.rsplit(":", 1)[1])
        addr = ipaddress.ip_address(dst)
    if addr not in net.cluster_cidr:
        if dst in net.node_ips.values():
            target = next(n for n, i in net.node_ips.items() if i == dst)
            if target == node or (machine_up(cluster, node) and machine_up(cluster, target)):
                path.ok, path.endpoint = True, f"{dst}:{port}"
                path.hop(f"node {target}", f"host network {dst}:{port}")
                path.verdict = f"connected to {dst}:{port} on node {target} (host network)"
                return path
            return path.fail(f"node {target} ({dst}) does not answer: connection timed out")
        return path.fail(f"no route to host {dst}: outside the cluster network (no simulated internet)")
    owner = net.owner_node(dst)
    if owner is None:
        return path.fail(f"no route to host {dst}: no node owns a podCIDR containing it")
    if owner != node:
        via = net.route_via(owner, cloud=cluster.cloud is not None)
        if via is None:
            return path.fail(
                f"no route to {net.node_cidrs[owner]} (node {owner}): the route controller "
                "has not programmed it yet"
            )
        path.hop(f"node {node}", f"route {net.node_cidrs[owner]} -> {owner} ({net.node_ip(owner)}) {via}")
        if not machine_up(cluster, node):
            return path.fail(f"node {node} is cut off from the network: connection timed out")
        if not machine_up(cluster, owner):
            state = "partitioned" if cluster.machines[owner].powered else "down"
            return path.fail(f"node {owner} is {state}: connection timed out")
        path.hop(
            f"node {owner}", "receives it" + (" and decapsulates (flannel.1)" if "overlay" in via else "")
        )
    pod_key = net.pod_at(dst)
    if pod_key is None:
        return path.fail(f"no pod has IP {dst} on node {owner}: connection timed out")
    pod, _, _ = pod_node_and_ip(cluster, pod_key)
    phase = (pod or {}).get("status", {}).get("phase") if pod else None
    if pod is None or phase != "Running":
        return path.fail(f"pod {pod_key} ({dst}) is not Running (phase {phase}): connection refused")
    path.hop(f"node {owner}", f"cni0 bridge -> veth -> pod {pod_key} ({dst})")
    declared = [
        p.get("containerPort")
        for c in pod["spec"].get("containers", [])
        for p in c.get("ports") or []
        if p.get("protocol", "TCP") == protocol
    ]
    if declared and port not in declared:
        return path.fail(f"pod {pod_key} has no container listening on {port}/{protocol}: connection refused")
    path.ok, path.endpoint = True, f"{dst}:{port}"
    path.verdict = f"connected to pod {pod_key} at {dst}:{port} (no NAT between Pods)"
    return path


# --- a Pod's DNS resolver --------------------------------------------------------------------------


class DnsServer(Protocol):
    """A DNS server listening on a Pod IP (a CoreDNS replica of the DNS addon)."""

    pod_key: str

    def ready(self) -> bool: ...

    def answer(self, qname: str, qtype: str) -> tuple[str, list[Record], list[Record]]: ...


def _dns_servers(cluster: NetworkView) -> dict[str, DnsServer]:
    """The DNS servers answering, by Pod IP: the DNS addon's CoreDNS replicas (none without the addon)."""
    addons = getattr(cluster, "addons", None)
    return getattr(getattr(addons, "dns", None), "servers", None) or {}


@dataclass(frozen=True)
class Record:
    """One resource record, printed as in a zone file or ``dig``'s ANSWER SECTION."""

    name: str
    rtype: str
    data: str
    ttl: int = TTL

    def __str__(self) -> str:
        return f"{self.name}\t{self.ttl}\tIN\t{self.rtype}\t{self.data}"


@dataclass
class DnsAnswer:
    """What the resolver got: rcode (NOERROR, NXDOMAIN, SERVFAIL), records, and the path of each query."""

    name: str
    rtype: str
    rcode: str = "SERVFAIL"
    records: list[Record] = field(default_factory=list)
    additional: list[Record] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)
    server: str | None = None
    error: str = ""

    @property
    def addresses(self) -> list[str]:
        return [r.data for r in self.records if r.rtype == "A"]

    def __str__(self) -> str:
        lines = [f";; {q}" for q in self.queries]
        lines.append(f";; ->>HEADER<<- status: {self.rcode}")
        if self.error:
            lines.append(f";; {self.error}")
        if self.records:
            lines.append(";; ANSWER SECTION:")
            lines += [str(r) for r in self.records]
        if self.additional:
            lines.append(";; ADDITIONAL SECTION:")
            lines += [str(r) for r in self.additional]
        if self.server:
            lines.append(f";; SERVER: {CLUSTER_DNS_IP}#53 (answered by CoreDNS pod {self.server})")
        return "\n".join(lines)


def search_list(namespace: str) -> list[str]:
    """The ``search`` line the kubelet writes for a ClusterFirst Pod in ``namespace``."""
    return [f"{namespace}.svc.{DOMAIN}", f"svc.{DOMAIN}", DOMAIN]


def candidates(name: str, namespace: str) -> list[str]:
    """The names the resolver asks for, in order (``ndots:5``)."""
    if name.endswith("."):
        return [name]
    searched = [f"{name}.{s}." for s in search_list(namespace)]
    return [name + ".", *searched] if name.count(".") >= NDOTS else [*searched, name + "."]


def _querier(cluster: NetworkView, from_pod: Any) -> tuple[str | None, str, dict | None]:
    if from_pod is None:
        workers = sorted(n for n, m in cluster.machines.items() if m.powered and not m.is_master)
        nodes = workers or sorted(n for n, m in cluster.machines.items() if m.powered)
        return (nodes[0] if nodes else None), "default", None
    pod: dict | None
    if isinstance(from_pod, dict):
        pod = from_pod
    else:
        ns, _, pname = from_pod.rpartition("/")
        pod = cluster.api.peek("pods", pname, ns or "default")
        if pod is None:
            raise ValueError(f'pod "{from_pod}" not found')
    return pod["spec"].get("nodeName"), pod["metadata"].get("namespace", "default"), pod


def _ask(cluster: NetworkView, node: str, qname: str, qtype: str, out: DnsAnswer) -> tuple[str, Any] | None:
    """One query over UDP to the kube-dns ClusterIP; None when it timed out or was refused."""
    servers = _dns_servers(cluster)
    for attempt in range(1, ATTEMPTS + 1):
        res = connect(cluster, node, CLUSTER_DNS_IP, 53, "UDP")
        where = f"iptables on {node}"
        for rule in res.rules:
            out.hops.append(Hop(where, rule))
        if res.endpoint is None:
            out.error = f"{res.verdict}"
            if "REJECT" in res.verdict:
                out.error = "connection refused: the kube-dns Service has no ready endpoints"
                return None
            continue
        ip = res.endpoint.rsplit(":", 1)[0]
        server = servers.get(ip)
        owner = cluster.network.owner_node(ip)
        reachable = owner is not None and (
            owner == node
            or (
                cluster.machine_up(node)
                and cluster.machine_up(owner)
                and cluster.network.route_via(owner, cloud=cluster.cloud is not None) is not None
            )
        )
        if server is None or not server.ready() or not reachable:
            out.hops.append(
                Hop(
                    f"attempt {attempt}",
                    f"no answer from {res.endpoint} (CoreDNS there is gone "
                    "or unreachable): timed out after 5s",
                )
            )
            out.error = "connection timed out; no servers could be reached"
            continue
        out.hops.append(Hop(f"node {owner}", f"CoreDNS pod {server.pod_key} ({ip}) answers {qname} {qtype}"))
        out.server = server.pod_key
        return server.pod_key, server.answer(qname, qtype)
    return None


def resolve(cluster: NetworkView, name: str, rtype: str = "A", from_pod: Any = None) -> DnsAnswer:
    """Look ``name`` up as a Pod's resolver would (``from_pod``: "ns/name", a Pod dict, or None).

    With ``from_pod=None`` the query comes from a Pod in ``default`` on the
    first running worker.
    """
    rtype = rtype.upper()
    out = DnsAnswer(name, rtype)
    node, namespace, pod = _querier(cluster, from_pod)
    if node is None:
        out.error = "the querying pod is not on any node"
        return out
    policy = (pod or {}).get("spec", {}).get("dnsPolicy", "ClusterFirst")
    host_net = bool((pod or {}).get("spec", {}).get("hostNetwork"))
    if policy == "Default" or (host_net and policy == "ClusterFirst"):
        out.rcode = "NXDOMAIN"
        out.error = (
            f"dnsPolicy {policy}{' with hostNetwork' if host_net else ''}: the pod uses its node's "
            "resolver, which knows nothing of cluster.local"
        )
        return out
    out.hops.append(
        Hop(
            "resolv.conf",
            f"nameserver {CLUSTER_DNS_IP} search {' '.join(search_list(namespace))} options ndots:{NDOTS}",
        )
    )
    for qname in candidates(name, namespace):
        out.queries.append(f"QUESTION: {qname} IN {rtype}")
        got = _ask(cluster, node, qname, rtype, out)
        if got is None:
            out.rcode = "SERVFAIL"
            return out
        _, (rcode, records, extra) = got
        out.rcode = rcode
        if rcode == "NOERROR" and records:
            out.records, out.additional, out.error = records, extra, ""
            return out
        if rcode == "SERVFAIL":
            out.error = f"{qname} is outside {DOMAIN}: forwarded upstream, which the simulation does not have"
            return out
    out.error = ""
    return out
