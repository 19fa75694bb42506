"""Builders for the views' tests: register nodes and bind Pods the way their writers would."""

from __future__ import annotations

from kcourse.sim.objects import deep_copy


def add_node(cluster, name: str, ready: str = "True", taints: list | None = None) -> None:
    """Register a Node (if the kubelet has not) and set its Ready condition, as a status writer would."""
    node = cluster.api.peek("nodes", name)
    if node is None:
        cluster.api.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}, user="test")
        node = cluster.api.peek("nodes", name)
    node = deep_copy(node)
    if taints is not None:
        node.setdefault("spec", {})["taints"] = taints
        node = deep_copy(cluster.api.update(node, user="test"))
    conds = [c for c in node.get("status", {}).get("conditions") or [] if c["type"] != "Ready"]
    node.setdefault("status", {})["conditions"] = conds + [{"type": "Ready", "status": ready}]
    cluster.api.update(node, subresource="status", user="test")


def add_pod(cluster, name: str, node: str | None, phase: str = "Running", namespace: str = "default") -> None:
    """A Pod bound to ``node`` with a phase and an IP from the node's podCIDR."""
    spec = {"containers": [{"name": "nginx", "image": "nginx"}]}
    if node:
        spec["nodeName"] = node
    cluster.api.create(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}, "spec": spec},
        user="test",
    )
    pod = deep_copy(cluster.api.peek("pods", name, namespace))
    status = {"phase": phase}
    if node:
        cluster.network.allocate_pod_cidr(node)
        status["podIP"] = cluster.network.allocate_pod_ip(node, f"{namespace}/{name}")
    pod["status"] = status
    cluster.api.update(pod, subresource="status", user="test")


def populate(cluster, pods_per_worker: int = 2) -> None:
    for name in sorted(cluster.machines):
        add_node(cluster, name)
    for name in sorted(m for m in cluster.machines if not cluster.machines[m].is_master):
        for i in range(pods_per_worker):
            add_pod(cluster, f"{name}-web-{i}", name)
