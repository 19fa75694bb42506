"""Cluster DNS: CoreDNS as the ``kube-dns`` Service, and the resolver in every Pod.

CoreDNS runs as the Deployment ``coredns`` (2 replicas) in ``kube-system``
behind the Service ``kube-dns`` at ``10.96.0.10`` — the address the kubelet
writes into every Pod's ``/etc/resolv.conf``.  Its ``kubernetes`` plugin
watches Services and EndpointSlices and answers from that cache:

* ``<svc>.<ns>.svc.cluster.local`` A → the ClusterIP; for a headless
  Service (``clusterIP: None``) one A per ready endpoint;
* ``_<port>._<proto>.<svc>.<ns>.svc.cluster.local`` SRV → port and target;
* ``<hostname or a-b-c-d>.<svc>.<ns>.svc.cluster.local`` → one endpoint of a
  headless Service;
* ``a-b-c-d.<ns>.pod.cluster.local`` → ``a.b.c.d`` (``pods insecure``).

A Pod's resolver tries the search list ``<ns>.svc.cluster.local
svc.cluster.local cluster.local`` first when a name has fewer than 5 dots
(``options ndots:5``), which is why plain ``web`` works in ``default``.
Each query is a UDP packet to ``10.96.0.10:53`` and so goes through the
querying node's kube-proxy rules to one CoreDNS Pod: a replica on a dead
node times out (the resolver tries twice, ``attempts:2``), and with no ready
replica the query fails.

Simplified: names outside ``cluster.local`` are forwarded nowhere (no
simulated internet: SERVFAIL); no PTR records, no ``cache``/``loadbalance``
plugins (answers come in endpoint order); TTL is the Corefile's 30 s but
nothing caches; a namespace that exists but has no such Service is
NXDOMAIN.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..informer import ResourceEventHandler
from ..network import Hop
from ..programs import ContainerProgram

if TYPE_CHECKING:
    from ..cluster import Cluster

__all__ = [
    "CLUSTER_DNS_IP",
    "COREFILE",
    "IMAGE",
    "ClusterDNS",
    "CoreDNS",
    "DnsAnswer",
    "Record",
    "manifests",
    "resolve",
]

IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"
CLUSTER_DNS_IP = "10.96.0.10"
DOMAIN = "cluster.local"
TTL = 30
NDOTS = 5
ATTEMPTS = 2

COREFILE = """.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
"""


def manifests() -> list[dict]:
    """CoreDNS as kubeadm installs it: ServiceAccount, ConfigMap, Deployment, Service ``kube-dns``."""
    labels = {"k8s-app": "kube-dns"}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "coredns", "namespace": "kube-system"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "coredns", "namespace": "kube-system"},
         "data": {"Corefile": COREFILE}},
        {"apiVersion": "apps/v1", "kind": "Deployment",
         "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(labels)},
         "spec": {"replicas": 2, "selector": {"matchLabels": dict(labels)},
                  "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                  "template": {"metadata": {"labels": dict(labels)}, "spec": {
                      "priorityClassName": "system-cluster-critical",
                      "serviceAccountName": "coredns",
                      "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                      {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}],
                      "containers": [{
                          "name": "coredns", "image": IMAGE, "imagePullPolicy": "IfNotPresent",
                          "args": ["-conf", "/etc/coredns/Corefile"],
                          "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                          "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
                          "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                          "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                            "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                                            "failureThreshold": 5},
                          "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}}}],
                      "dnsPolicy": "Default",
                      "volumes": [{"name": "config-volume", "configMap": {
                          "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}]}}}},
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "kube-dns", "namespace": "kube-system",
                      "labels": {**labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
                      "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}},
         "spec": {"selector": dict(labels), "clusterIP": CLUSTER_DNS_IP,
                  "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                            {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}]}},
    ]


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


def _dashed(ip: str) -> str:
    return ip.replace(".", "-")


class CoreDNS(ContainerProgram):
    """The ``coredns`` container: the kubernetes plugin answering from its informers."""

    program_name = "coredns"
    resources = ("services", "endpointslices")

    def setup(self) -> None:
        self.services = self.informers.informer("services")
        self.slices = self.informers.informer("endpointslices")
        self.slices.add_indexer("service", lambda s: [
            f"{s['metadata']['namespace']}/{(s['metadata'].get('labels') or {}).get('kubernetes.io/service-name')}"])
        noop = ResourceEventHandler()
        self.services.add_event_handler(noop)

    def __init__(self, ctx: Any, dns: ClusterDNS | None = None):
        #: Where this replica registers while it serves (``cluster.addons.dns``), if anywhere.
        self.dns = dns
        super().__init__(ctx)

    def on_synced(self) -> None:
        dns = self.dns
        if dns is not None and self.pod_ip:
            dns.servers[self.pod_ip] = self
        self.log(".:53")
        self.log("[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908")
        self.log("CoreDNS-1.11.3")
        self.log("linux/amd64, go1.21.11, a6338e9")

    def on_stop(self, machine_off: bool) -> None:
        dns = self.dns
        if dns is not None:
            for ip, server in list(dns.servers.items()):
                if server is self:
                    del dns.servers[ip]

    def _ready_addresses(self, ns: str, name: str) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for sl in self.slices.by_index("service", f"{ns}/{name}"):
            for ep in sl.get("endpoints") or []:
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                for addr in ep.get("addresses") or []:
                    out.append((addr, ep.get("hostname")))
        return sorted(set(out), key=lambda a: (tuple(int(x) for x in a[0].split(".")), a[1] or ""))

    def answer(self, qname: str, qtype: str) -> tuple[str, list[Record], list[Record]]:
        """Answer one question: (rcode, answer records, additional records)."""
        name = qname.rstrip(".").lower()
        fq = name + "."
        if not (name == DOMAIN or name.endswith("." + DOMAIN)):
            return "SERVFAIL", [], []
        labels = name[: -len(DOMAIN) - 1].split(".") if name != DOMAIN else []
        if len(labels) == 3 and labels[2] == "pod":
            parts = labels[0].split("-")
            if len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts):
                return ("NOERROR", [Record(fq, "A", ".".join(parts))] if qtype == "A" else [], [])
            return "NXDOMAIN", [], []
        if not labels or labels[-1] != "svc":
            return "NXDOMAIN", [], []
        labels = labels[:-1]
        if len(labels) == 4 and labels[0].startswith("_") and labels[1].startswith("_"):
            return self._srv(fq, labels[0][1:], labels[1][1:], labels[2], labels[3], qtype)
        if len(labels) == 3:
            return self._endpoint(fq, labels[0], labels[1], labels[2], qtype)
        if len(labels) != 2:
            return "NXDOMAIN", [], []
        svc_name, ns = labels
        svc = self.services.get(f"{ns}/{svc_name}")
        if svc is None:
            return "NXDOMAIN", [], []
        spec = svc.get("spec") or {}
        if spec.get("type") == "ExternalName":
            return "NOERROR", [Record(fq, "CNAME", spec["externalName"].rstrip(".") + ".")], []
        headless = spec.get("clusterIP") == "None"
        if qtype == "A":
            if headless:
                return "NOERROR", [Record(fq, "A", ip) for ip, _ in self._ready_addresses(ns, svc_name)], []
            return "NOERROR", [Record(fq, "A", spec["clusterIP"])], []
        if qtype == "SRV":
            return self._srv(fq, "*", "*", svc_name, ns, qtype)
        return "NOERROR", [], []

    def _endpoint(self, fq: str, host: str, svc_name: str, ns: str, qtype: str) -> tuple[str, list, list]:
        svc = self.services.get(f"{ns}/{svc_name}")
        if svc is None or (svc.get("spec") or {}).get("clusterIP") != "None":
            return "NXDOMAIN", [], []
        for ip, hostname in self._ready_addresses(ns, svc_name):
            if host in (hostname, _dashed(ip)):
                return "NOERROR", [Record(fq, "A", ip)] if qtype == "A" else [], []
        return "NXDOMAIN", [], []

    def _srv(self, fq: str, port_name: str, proto: str, svc_name: str, ns: str, qtype: str
             ) -> tuple[str, list, list]:
        svc = self.services.get(f"{ns}/{svc_name}")
        if svc is None:
            return "NXDOMAIN", [], []
        spec = svc.get("spec") or {}
        ports = [p for p in spec.get("ports") or []
                 if port_name in ("*", p.get("name")) and proto in ("*", p.get("protocol", "TCP").lower())]
        if not ports:
            return "NXDOMAIN", [], []
        if qtype != "SRV":
            return "NOERROR", [], []
        base = f"{svc_name}.{ns}.svc.{DOMAIN}."
        answers: list[Record] = []
        extra: list[Record] = []
        if spec.get("clusterIP") == "None":
            eps = self._ready_addresses(ns, svc_name)
            weight = 100 // max(1, len(eps))
            for p in ports:
                for ip, hostname in eps:
                    target = f"{hostname or _dashed(ip)}.{base}"
                    answers.append(Record(fq, "SRV", f"0 {weight} {p['port']} {target}"))
                    extra.append(Record(target, "A", ip))
        else:
            for p in ports:
                answers.append(Record(fq, "SRV", f"0 100 {p['port']} {base}"))
            extra.append(Record(base, "A", spec["clusterIP"]))
        return "NOERROR", answers, sorted(set(extra), key=str)


class ClusterDNS:
    """The cluster's DNS as a learner queries it (``cluster.addons.dns``).

    ``lookup(name, rtype, from_pod)`` is :func:`resolve` bound to the cluster, given by whoever
    installs the addon.
    """

    def __init__(self, lookup: Callable[[str, str, Any], DnsAnswer]):
        self._lookup = lookup
        #: CoreDNS replicas currently serving, by Pod IP (what kube-proxy's DNAT reaches).
        self.servers: dict[str, CoreDNS] = {}

    def resolve(self, name: str, rtype: str = "A", from_pod: Any = None) -> DnsAnswer:
        return self._lookup(name, rtype, from_pod)


def _dns(cluster: Cluster) -> ClusterDNS | None:
    addons = cluster.addons
    return None if addons is None else addons.dns


def search_list(namespace: str) -> list[str]:
    """The ``search`` line the kubelet writes for a ClusterFirst Pod in ``namespace``."""
    return [f"{namespace}.svc.{DOMAIN}", f"svc.{DOMAIN}", DOMAIN]


def candidates(name: str, namespace: str) -> list[str]:
    """The names the resolver asks for, in order (``ndots:5``)."""
    if name.endswith("."):
        return [name]
    searched = [f"{name}.{s}." for s in search_list(namespace)]
    return [name + ".", *searched] if name.count(".") >= NDOTS else [*searched, name + "."]


def _querier(cluster: Cluster, from_pod: Any) -> tuple[str | None, str, dict | None]:
    if from_pod is None:
        workers = sorted(n for n, m in cluster.machines.items() if m.powered and not m.is_master)
        nodes = workers or sorted(n for n, m in cluster.machines.items() if m.powered)
        return (nodes[0] if nodes else None), "default", None
    if isinstance(from_pod, dict):
        pod = from_pod
    else:
        ns, _, pname = from_pod.rpartition("/")
        pod = cluster.api.peek("pods", pname, ns or "default")
        if pod is None:
            raise ValueError(f'pod "{from_pod}" not found')
    return pod["spec"].get("nodeName"), pod["metadata"].get("namespace", "default"), pod


def _ask(cluster: Cluster, node: str, qname: str, qtype: str, out: DnsAnswer) -> tuple[str, Any] | None:
    """One query over UDP to the kube-dns ClusterIP; None when it timed out or was refused."""
    from ..kubeproxy import connect
    dns = _dns(cluster)
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
        server = dns.servers.get(ip) if dns else None
        owner = cluster.network.owner_node(ip)
        reachable = owner is not None and (owner == node or (
            cluster.machine_up(node) and cluster.machine_up(owner)
            and cluster.network.route_via(owner, cloud=cluster.cloud is not None) is not None))
        if server is None or not server.ready() or not reachable:
            out.hops.append(Hop(f"attempt {attempt}", f"no answer from {res.endpoint} (CoreDNS there is gone "
                                                      "or unreachable): timed out after 5s"))
            out.error = "connection timed out; no servers could be reached"
            continue
        out.hops.append(Hop(f"node {owner}", f"CoreDNS pod {server.pod_key} ({ip}) answers {qname} {qtype}"))
        out.server = server.pod_key
        return server.pod_key, server.answer(qname, qtype)
    return None


def resolve(cluster: Cluster, name: str, rtype: str = "A", from_pod: Any = None) -> DnsAnswer:
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
        out.error = (f"dnsPolicy {policy}{' with hostNetwork' if host_net else ''}: the pod uses its node's "
                     "resolver, which knows nothing of cluster.local")
        return out
    out.hops.append(Hop("resolv.conf", f"nameserver {CLUSTER_DNS_IP} search {' '.join(search_list(namespace))} "
                                       f"options ndots:{NDOTS}"))
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


def coredns_program(dns: ClusterDNS | None) -> Callable[[Any], CoreDNS]:
    """The program behind the ``registry.k8s.io/coredns/coredns`` image, registering its replicas with ``dns``."""
    return lambda ctx: CoreDNS(ctx, dns)
