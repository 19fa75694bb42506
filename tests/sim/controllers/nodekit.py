"""Helpers for the node and service controller tests: hand-made Nodes with Leases, and their heartbeats.

These tests run on the ``bare`` control plane (no workers, no addons) and
register their own Nodes, so that each test decides exactly which node
renews its Lease and which one falls silent.  Pods are created already
bound to those nodes, with the status their kubelet would have reported.
"""

from __future__ import annotations

from typing import Any

from kcourse.sim.component import Component, Event
from kcourse.sim.objects import deep_copy, micro_timestamp, timestamp


class Heartbeats(Component):
    """Renews the Lease of each node in ``alive`` every 10 s, as the kubelet does (a background timer)."""

    def __init__(self, cluster: Any):
        super().__init__(cluster, "heartbeats", "master-1")
        self.cluster = cluster
        self.alive: set[str] = set()
        self.start()
        self.after(10, self._renew, background=True)

    def _renew(self) -> Event | None:
        self.after(10, self._renew, background=True)
        for name in sorted(self.alive):
            renew_lease(self.cluster, name)
        return None


def renew_lease(cluster: Any, name: str) -> None:
    lease = deep_copy(cluster.api.peek("leases", name, "kube-node-lease"))
    lease["spec"]["renewTime"] = micro_timestamp(cluster.now)
    cluster.api.update(lease, user="kubelet")


def add_node(
    cluster: Any,
    name: str,
    *,
    ready: str | None = "True",
    zone: str | None = None,
    taints: list[dict] | None = None,
    heartbeats: Heartbeats | None = None,
) -> dict:
    """Register a Node (status as a kubelet would post it) and its Lease in kube-node-lease."""
    now = timestamp(cluster.now)
    labels = {"kubernetes.io/hostname": name}
    if zone:
        labels.update({"topology.kubernetes.io/region": "region-1", "topology.kubernetes.io/zone": zone})
    node: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {},
        "status": {},
    }
    if taints:
        node["spec"]["taints"] = taints
    if ready is not None:
        node["status"]["conditions"] = [
            {"type": t, "status": s, "lastHeartbeatTime": now, "lastTransitionTime": now, "reason": r}
            for t, s, r in (
                ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID"),
                ("Ready", ready, "KubeletReady" if ready == "True" else "KubeletNotReady"),
            )
        ]
    created = cluster.api.create(node, user="kubelet")
    cluster.api.create(
        {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": name, "namespace": "kube-node-lease"},
            "spec": {
                "holderIdentity": name,
                "leaseDurationSeconds": 40,
                "renewTime": micro_timestamp(cluster.now),
            },
        },
        user="kubelet",
    )
    if heartbeats is not None:
        heartbeats.alive.add(name)
    return created


def add_pod(
    cluster: Any,
    name: str,
    node: str | None,
    *,
    labels: dict | None = None,
    ip: str | None = None,
    ready: bool = True,
    namespace: str = "default",
    **spec: Any,
) -> dict:
    """A pod already bound to ``node`` (no scheduler involved) with the status its kubelet would report."""
    body: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx:1.27"}], **spec}
    if node:
        body["nodeName"] = node
    pod = cluster.api.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
            "spec": body,
        },
        user="test",
    )
    if ip is not None:
        status = deep_copy(pod)
        status["status"].update({"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]})
        status["status"]["conditions"] = [
            {
                "type": "Ready",
                "status": "True" if ready else "False",
                "lastProbeTime": None,
                "lastTransitionTime": timestamp(cluster.now),
            }
        ]
        pod = cluster.api.update_status(status, user="kubelet")
    return pod


def set_pod_status(cluster: Any, name: str, namespace: str = "default", **status: Any) -> dict:
    pod = deep_copy(cluster.api.peek("pods", name, namespace))
    pod["status"].update(status)
    return cluster.api.update_status(pod, user="kubelet")


def set_pod_ready(cluster: Any, name: str, status: str, namespace: str = "default") -> dict:
    """The Pod's conditions become one Ready condition with ``status`` ("True" or "False"), changed now."""
    condition = {"type": "Ready", "status": status, "lastTransitionTime": timestamp(cluster.now)}
    return set_pod_status(cluster, name, namespace, conditions=[condition])


def kcm_controller(cluster: Any, name: str) -> Any:
    return cluster.machines["master-1"].component("kube-controller-manager").controller(name)


def events(cluster: Any, reason: str) -> list[dict]:
    """v1 Events with ``reason``, oldest first."""
    return sorted(
        (e for e in cluster.api.items("events", None) if e["reason"] == reason),
        key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]),
    )
