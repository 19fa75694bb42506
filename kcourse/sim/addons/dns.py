"""Cluster DNS: CoreDNS as the ``kube-dns`` Service that every Pod's resolver asks.

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
(``options ndots:5``), which is why plain ``web`` works in ``default``.  The resolver is part of the
Pod's network (:func:`kcourse.sim.network.resolve`); this module is the server.
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
from typing import Any

from ..informer import ResourceEventHandler
from ..network import CLUSTER_DNS_IP, DOMAIN, DnsAnswer, Record, candidates, resolve
from ..programs import ContainerProgram

__all__ = [
    "CLUSTER_DNS_IP",
    "COREFILE",
    "IMAGE",
    "ClusterDNS",
    "CoreDNS",
    "DnsAnswer",
    "Record",
    "candidates",
    "manifests",
    "resolve",
]

IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3"

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
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "coredns", "namespace": "kube-system"},
            "data": {"Corefile": COREFILE},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": dict(labels)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "priorityClassName": "system-cluster-critical",
                        "serviceAccountName": "coredns",
                        "tolerations": [
                            {"key": "CriticalAddonsOnly", "operator": "Exists"},
                            {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"},
                        ],
                        "containers": [
                            {
                                "name": "coredns",
                                "image": IMAGE,
                                "imagePullPolicy": "IfNotPresent",
                                "args": ["-conf", "/etc/coredns/Corefile"],
                                "resources": {
                                    "limits": {"memory": "170Mi"},
                                    "requests": {"cpu": "100m", "memory": "70Mi"},
                                },
                                "volumeMounts": [
                                    {"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}
                                ],
                                "ports": [
                                    {"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                    {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                    {"containerPort": 9153, "name": "metrics", "protocol": "TCP"},
                                ],
                                "livenessProbe": {
                                    "httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                    "initialDelaySeconds": 60,
                                    "timeoutSeconds": 5,
                                    "successThreshold": 1,
                                    "failureThreshold": 5,
                                },
                                "readinessProbe": {
                                    "httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}
                                },
                            }
                        ],
                        "dnsPolicy": "Default",
                        "volumes": [
                            {
                                "name": "config-volume",
                                "configMap": {
                                    "name": "coredns",
                                    "items": [{"key": "Corefile", "path": "Corefile"}],
                                },
                            }
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "kube-dns",
                "namespace": "kube-system",
                "labels": {
                    **labels,
                    "kubernetes.io/cluster-service": "true",
                    "kubernetes.io/name": "CoreDNS",
                },
                "annotations": {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
            },
            "spec": {
                "selector": dict(labels),
                "clusterIP": CLUSTER_DNS_IP,
                "ports": [
                    {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                    {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                    {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
                ],
            },
        },
    ]


def _dashed(ip: str) -> str:
    return ip.replace(".", "-")


def _by_service(s: dict) -> list[str]:
    """An EndpointSlice under ``namespace/service``, the Service its ``kubernetes.io/service-name`` names."""
    service = (s["metadata"].get("labels") or {}).get("kubernetes.io/service-name")
    return [f"{s['metadata']['namespace']}/{service}"]


class CoreDNS(ContainerProgram):
    """The ``coredns`` container: the kubernetes plugin answering from its informers."""

    program_name = "coredns"
    resources = ("services", "endpointslices")

    def setup(self) -> None:
        self.services = self.informers.informer("services")
        self.slices = self.informers.informer("endpointslices")
        self.slices.add_indexer("service", _by_service)
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
        self.log(
            "[INFO] plugin/reload: Running configuration SHA512 = "
            "591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908"
        )
        self.log("CoreDNS-1.11.3")
        self.log("linux/amd64, go1.21.11, a6338e9")

    def on_stop(self, _machine_off: bool) -> None:
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

    def _srv(
        self, fq: str, port_name: str, proto: str, svc_name: str, ns: str, qtype: str
    ) -> tuple[str, list, list]:
        svc = self.services.get(f"{ns}/{svc_name}")
        if svc is None:
            return "NXDOMAIN", [], []
        spec = svc.get("spec") or {}
        ports = [
            p
            for p in spec.get("ports") or []
            if port_name in ("*", p.get("name")) and proto in ("*", p.get("protocol", "TCP").lower())
        ]
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


def coredns_program(dns: ClusterDNS | None) -> Callable[[Any], CoreDNS]:
    """The program behind the ``registry.k8s.io/coredns/coredns`` image, registering its replicas with
    ``dns``."""
    return lambda ctx: CoreDNS(ctx, dns)
