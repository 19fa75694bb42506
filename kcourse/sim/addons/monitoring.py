"""Cluster monitoring: metrics-server and the metrics store behind ``kubectl top``.

metrics-server runs as a Deployment in ``kube-system``.  Every
``--metric-resolution`` (15 s) it scrapes each kubelet's resource metrics
endpoint for node and container CPU and memory, and serves the latest values
through the ``metrics.k8s.io`` API — what ``kubectl top`` and the Horizontal
Pod Autoscaler read.  Here each scrape also lands in a time-series store
(``cluster.addons.metrics``) so a notebook can plot it, as a Prometheus-style
monitoring stack would keep it.

Because it is a Pod, monitoring fails like one: while metrics-server's node
is down there are no new samples and ``top`` answers "Metrics API not
available" until the Deployment's replacement Pod runs elsewhere; a node it
cannot reach gets no sample (``kubectl top node`` shows ``<unknown>``).

Simplified: usage is made up, deterministically — a container uses a share
of its CPU request and of its memory request (capped below its limit),
varied by the cluster's seeded RNG; a container without requests uses a few
millicores and MiB; a node adds a fixed system overhead.  Pods that are not
Running are recorded at zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..clock import Clock
from ..errors import ApiError
from ..program import ContainerProgram
from ..quantity import millicores, units

__all__ = ["IMAGE", "RESOLUTION", "MetricsServer", "MetricsStore", "Sample", "manifests"]

IMAGE = "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
RESOLUTION = 15.0
MI = 1024 * 1024
SYSTEM_CPU_M = 150  # kubelet, container runtime, kube-proxy's own share
SYSTEM_MEMORY = 700 * MI


def manifests() -> list[dict]:
    """metrics-server as its release manifest installs it (RBAC and APIService left out)."""
    labels = {"k8s-app": "metrics-server"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "metrics-server", "namespace": "kube-system", "labels": dict(labels)},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "metrics-server", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": dict(labels)},
                "strategy": {"rollingUpdate": {"maxUnavailable": 0}},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "priorityClassName": "system-cluster-critical",
                        "serviceAccountName": "metrics-server",
                        "containers": [
                            {
                                "name": "metrics-server",
                                "image": IMAGE,
                                "imagePullPolicy": "IfNotPresent",
                                "args": [
                                    "--cert-dir=/tmp",
                                    "--secure-port=10250",
                                    "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                                    "--kubelet-use-node-status-port",
                                    "--metric-resolution=15s",
                                ],
                                "ports": [{"containerPort": 10250, "name": "https", "protocol": "TCP"}],
                                "readinessProbe": {
                                    "httpGet": {"path": "/readyz", "port": "https", "scheme": "HTTPS"},
                                    "initialDelaySeconds": 20,
                                    "periodSeconds": 10,
                                    "failureThreshold": 3,
                                },
                                "livenessProbe": {
                                    "httpGet": {"path": "/livez", "port": "https", "scheme": "HTTPS"},
                                    "periodSeconds": 10,
                                    "failureThreshold": 3,
                                },
                                "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}},
                                "volumeMounts": [{"name": "tmp-dir", "mountPath": "/tmp"}],
                            }
                        ],
                        "volumes": [{"name": "tmp-dir", "emptyDir": {}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "metrics-server", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "selector": dict(labels),
                "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}],
            },
        },
    ]


@dataclass(frozen=True)
class Sample:
    time: float
    cpu: int  # millicores
    memory: int  # bytes


class MetricsStore:
    """Every scrape, by (kind, name): ``series`` over time, ``top_nodes``/``top_pods`` for now."""

    #: A sample older than this is not "current" (metrics-server keeps the last two scrapes).
    FRESH = 2 * RESOLUTION + 5

    def __init__(self, clock: Clock, nodes: Callable[[], list[dict]], node_capacity: dict[str, str]):
        self.clock = clock
        #: The Nodes as the API server has them (``kubectl top nodes`` lists every Node).
        self._nodes = nodes
        #: What a Node that reports no allocatable resources is taken to have.
        self._node_capacity = node_capacity
        self.samples: dict[tuple[str, str], list[Sample]] = {}
        self.servers: list[MetricsServer] = []

    def record(self, kind: str, name: str, sample: Sample) -> None:
        self.samples.setdefault((kind, name), []).append(sample)

    def series(
        self,
        kind: str,
        name: str,
        metric: str = "cpu",
        since: float | None = None,
        until: float | None = None,
    ) -> list[tuple[float, int]]:
        """``[(time, value)]`` for a node (``kind="node"``) or pod (``"pod"``, name ``ns/name``).

        ``metric`` is ``cpu`` (millicores) or ``memory`` (bytes).
        """
        if metric not in ("cpu", "memory"):
            raise ValueError("metric must be 'cpu' or 'memory'")
        if kind == "pod" and "/" not in name:
            name = f"default/{name}"
        return [
            (s.time, getattr(s, metric))
            for s in self.samples.get((kind, name), [])
            if (since is None or s.time >= since) and (until is None or s.time <= until)
        ]

    @property
    def available(self) -> bool:
        """Is the ``metrics.k8s.io`` API served (a metrics-server Pod running and synced)?"""
        return any(s.running and s.connected for s in self.servers)

    def _require(self, what: str) -> None:
        if not self.available:
            raise ApiError(
                503,
                "ServiceUnavailable",
                f"the server is currently unable to handle the request (get {what}.metrics.k8s.io)",
            )

    def _latest(self, kind: str, name: str) -> Sample | None:
        got = self.samples.get((kind, name))
        if got and got[-1].time >= self.clock.now - self.FRESH:
            return got[-1]
        return None

    def top_nodes(self) -> list[dict[str, Any]]:
        """``kubectl top nodes`` rows; ``cpu``/``memory`` None (``<unknown>``) without a fresh sample."""
        self._require("nodes")
        rows = []
        for node in self._nodes():
            name = node["metadata"]["name"]
            alloc = (node.get("status") or {}).get("allocatable") or self._node_capacity
            s = self._latest("node", name)
            cap_cpu, cap_mem = millicores(alloc.get("cpu", "0")), units(alloc.get("memory", "0"))
            rows.append(
                {
                    "name": name,
                    "cpu": s.cpu if s else None,
                    "memory": s.memory if s else None,
                    "cpu_percent": round(100 * s.cpu / cap_cpu) if s and cap_cpu else None,
                    "memory_percent": round(100 * s.memory / cap_mem) if s and cap_mem else None,
                }
            )
        return rows

    def top_pods(self, namespace: str | None = "default") -> list[dict[str, Any]]:
        """``kubectl top pods`` rows for ``namespace`` (None: all namespaces)."""
        self._require("pods")
        rows = []
        for (kind, name), _ in sorted(self.samples.items()):
            ns = name.split("/", 1)[0]
            if kind != "pod" or (namespace is not None and ns != namespace):
                continue
            s = self._latest(kind, name)
            if s is not None:
                rows.append(
                    {"namespace": ns, "name": name.split("/", 1)[1], "cpu": s.cpu, "memory": s.memory}
                )
        return rows

    def top_nodes_text(self) -> str:
        """``kubectl top nodes`` as kubectl prints it."""
        lines = [f"{'NAME':<12} {'CPU(cores)':<11} {'CPU(%)':<7} {'MEMORY(bytes)':<14} MEMORY(%)"]
        for r in self.top_nodes():
            if r["cpu"] is None:
                unknown = "<unknown>"
                lines.append(f"{r['name']:<12} {unknown:<11} {unknown:<7} {unknown:<14} {unknown}")
            else:
                lines.append(
                    f"{r['name']:<12} {str(r['cpu']) + 'm':<11} {str(r['cpu_percent']) + '%':<7} "
                    f"{str(r['memory'] // MI) + 'Mi':<14} {r['memory_percent']}%"
                )
        return "\n".join(lines)


def _container_usage(container: dict, noise: float) -> tuple[int, int]:
    res = container.get("resources") or {}
    req, lim = res.get("requests") or {}, res.get("limits") or {}
    cpu_req = millicores(req["cpu"]) if "cpu" in req else 0
    mem_req = units(req["memory"]) if "memory" in req else 0
    cpu = round(cpu_req * (0.2 + 0.5 * noise)) if cpu_req else 1 + round(4 * noise)
    memory = round(mem_req * (0.5 + 0.4 * noise)) if mem_req else round((6 + 10 * noise) * MI)
    if "memory" in lim:
        memory = min(memory, round(units(lim["memory"]) * 0.95))
    if "cpu" in lim:
        cpu = min(cpu, millicores(lim["cpu"]))
    return cpu, memory


class MetricsServer(ContainerProgram):
    """The ``metrics-server`` container: scrapes every kubelet each 15 s."""

    program_name = "metrics-server"
    resources = ("nodes", "pods")

    def __init__(self, ctx: Any, store: MetricsStore | None = None):
        #: Where scrapes go (``cluster.addons.metrics``), if anywhere.
        self.store = store
        super().__init__(ctx)

    def setup(self) -> None:
        self.nodes = self.informers.informer("nodes")
        self.pods = self.informers.informer("pods")
        self._scheduled = False

    def on_synced(self) -> None:
        store = self.store
        if store is not None and self not in store.servers:
            store.servers.append(self)
        if not self._scheduled:
            self._scheduled = True
            self.after(RESOLUTION, self.scrape, background=True, trace_name=self.program_name)
        self.log("I0101 09:00:00.000000       1 secure_serving.go:213] Serving securely on [::]:10250")

    def on_stop(self, _machine_off: bool) -> None:
        store = self.store
        if store is not None and self in store.servers:
            store.servers.remove(self)

    def scrape(self) -> Any:
        """One scrape of every reachable kubelet (``/metrics/resource``)."""
        self.after(RESOLUTION, self.scrape, background=True, trace_name=self.program_name)
        store = self.store
        if store is None:
            return None
        now = self.clock.now
        rng = self.host.rng
        by_node: dict[str, list[dict]] = {}
        for pod in self.pods.list():
            if pod["spec"].get("nodeName"):
                by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
        scraped, missed = 0, []
        for node in self.nodes.list():
            name = node["metadata"]["name"]
            if not (self.host.machine_up(name) and self.host.machine_up(self.node)) and name != self.node:
                missed.append(name)
                continue
            node_cpu = SYSTEM_CPU_M + round(40 * rng.random())
            node_mem = SYSTEM_MEMORY + round(80 * MI * rng.random())
            for pod in by_node.get(name, []):
                key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
                cpu = mem = 0
                if (pod.get("status") or {}).get("phase") == "Running":
                    for c in pod["spec"].get("containers") or []:
                        ccpu, cmem = _container_usage(c, rng.random())
                        cpu, mem = cpu + ccpu, mem + cmem
                store.record("pod", key, Sample(now, cpu, mem))
                node_cpu, node_mem = node_cpu + cpu, node_mem + mem
            store.record("node", name, Sample(now, node_cpu, node_mem))
            scraped += 1
        msg = f"scraped {scraped} kubelets"
        if missed:
            msg += f"; failed to scrape {', '.join(missed)}: connection timed out"
        return self.event(self.pod_key or self.node, msg, verb="sync")


def metrics_server_program(store: MetricsStore | None) -> Callable[[Any], MetricsServer]:
    """The program behind the ``registry.k8s.io/metrics-server/metrics-server`` image, scraping into
    ``store``."""
    return lambda ctx: MetricsServer(ctx, store)
