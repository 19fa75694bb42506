"""The Kubernetes Dashboard addon and the summary it serves.

The Dashboard is a web UI running as a Deployment in its own namespace,
``kubernetes-dashboard``; it reads the cluster through the API server (and
metrics through metrics-server) like any client.  Its front page is what
:func:`dashboard_summary` returns as plain data — node health, workloads
with desired and ready counts, Pods by phase, recent Warning events — for
a widget to draw.  When the Dashboard's own Pod is not running, the summary
says so: there is nothing serving the page.

Simplified: no dashboard-metrics-scraper Deployment, RBAC, Secrets or login
token; the summary reads the API server's cache directly (as a view does).
"""

from __future__ import annotations

from typing import Any, Protocol

from ..apiserver import APIServer
from ..objects import condition

__all__ = ["IMAGE", "NAMESPACE", "Dashboard", "DashboardSource", "dashboard_summary", "manifests"]

IMAGE = "kubernetesui/dashboard:v2.7.0"
NAMESPACE = "kubernetes-dashboard"
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
#: The Ready condition's status as the Dashboard's node list shows it.
_NODE_STATUS: dict[Any, str] = {"True": "Ready", "False": "NotReady"}


def manifests() -> list[dict]:
    """The Dashboard's namespace, ServiceAccount, Deployment and Service (from its recommended.yaml)."""
    labels = {"k8s-app": "kubernetes-dashboard"}
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "kubernetes-dashboard", "namespace": NAMESPACE, "labels": dict(labels)},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "kubernetes-dashboard", "namespace": NAMESPACE, "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": dict(labels)},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "serviceAccountName": "kubernetes-dashboard",
                        "tolerations": [{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"}],
                        "containers": [
                            {
                                "name": "kubernetes-dashboard",
                                "image": IMAGE,
                                "imagePullPolicy": "Always",
                                "args": ["--auto-generate-certificates", f"--namespace={NAMESPACE}"],
                                "ports": [{"containerPort": 8443, "protocol": "TCP"}],
                                "livenessProbe": {
                                    "httpGet": {"scheme": "HTTPS", "path": "/", "port": 8443},
                                    "initialDelaySeconds": 30,
                                    "timeoutSeconds": 30,
                                },
                                "volumeMounts": [{"name": "tmp-volume", "mountPath": "/tmp"}],
                            }
                        ],
                        "volumes": [{"name": "tmp-volume", "emptyDir": {}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "kubernetes-dashboard", "namespace": NAMESPACE, "labels": dict(labels)},
            "spec": {"selector": dict(labels), "ports": [{"port": 443, "targetPort": 8443}]},
        },
    ]


class DashboardSource(Protocol):
    """What the Dashboard reads: the API server's cache (as a view does), the cluster's name and time.

    Metrics come from ``addons.metrics`` when the source has them (a cluster with the monitoring addon).
    """

    @property
    def name(self) -> str: ...

    @property
    def api(self) -> APIServer: ...

    def timestamp(self) -> str: ...


def _node_row(node: dict, metrics: Any) -> dict[str, Any]:
    name = node["metadata"]["name"]
    ready = condition(node, "Ready")
    status = "Unknown" if ready is None else _NODE_STATUS.get(ready.get("status"), "Unknown")
    if node["spec"].get("unschedulable"):
        status += ",SchedulingDisabled"
    labels = node["metadata"].get("labels") or {}
    roles = sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    row: dict[str, Any] = {"name": name, "status": status, "roles": ",".join(roles) or "<none>"}
    if metrics is not None:
        s = metrics._latest("node", name)
        row["cpu"] = f"{s.cpu}m" if s else "<unknown>"
        row["memory"] = f"{s.memory // (1024 * 1024)}Mi" if s else "<unknown>"
    return row


def _workloads(api: APIServer) -> list[dict[str, Any]]:
    rows = []
    for d in api.items("deployments", None):
        st = d.get("status") or {}
        rows.append(
            {
                "kind": "Deployment",
                "namespace": d["metadata"]["namespace"],
                "name": d["metadata"]["name"],
                "desired": d["spec"].get("replicas", 1),
                "ready": st.get("readyReplicas", 0),
            }
        )
    for ds in api.items("daemonsets", None):
        st = ds.get("status") or {}
        rows.append(
            {
                "kind": "DaemonSet",
                "namespace": ds["metadata"]["namespace"],
                "name": ds["metadata"]["name"],
                "desired": st.get("desiredNumberScheduled", 0),
                "ready": st.get("numberReady", 0),
            }
        )
    for rs in api.items("replicasets", None):
        if rs["metadata"].get("ownerReferences"):
            continue
        st = rs.get("status") or {}
        rows.append(
            {
                "kind": "ReplicaSet",
                "namespace": rs["metadata"]["namespace"],
                "name": rs["metadata"]["name"],
                "desired": rs["spec"].get("replicas", 1),
                "ready": st.get("readyReplicas", 0),
            }
        )
    for r in rows:
        r["health"] = "OK" if r["ready"] >= r["desired"] else "Degraded"
    return sorted(rows, key=lambda r: (r["namespace"], r["kind"], r["name"]))


def dashboard_running(api: APIServer) -> bool:
    return any(
        (p.get("status") or {}).get("phase") == "Running"
        for p in api.items("pods", NAMESPACE)
        if (p["metadata"].get("labels") or {}).get("k8s-app") == "kubernetes-dashboard"
    )


def dashboard_summary(cluster: DashboardSource, warnings: int = 10) -> dict[str, Any]:
    """The Dashboard's overview as plain data: sections of rows, mappings or text."""
    metrics = getattr(getattr(cluster, "addons", None), "metrics", None)
    if metrics is not None and not metrics.available:
        metrics = None
    nodes = [_node_row(n, metrics) for n in cluster.api.items("nodes")]
    pods = cluster.api.items("pods", None)
    phases = {ph: 0 for ph in PHASES}
    for p in pods:
        phase = (p.get("status") or {}).get("phase", "Pending")
        phases[phase] = phases.get(phase, 0) + 1
    events = [e for e in cluster.api.items("events", None) if e.get("type") == "Warning"]
    events.sort(key=lambda e: (e.get("lastTimestamp") or "", e["metadata"]["name"]))
    recent = [
        {
            "last seen": e.get("lastTimestamp"),
            "object": f"{e['involvedObject'].get('kind', '')}/{e['involvedObject'].get('name', '')}",
            "reason": e.get("reason"),
            "message": e.get("message"),
            "count": e.get("count", 1),
        }
        for e in events[-warnings:]
    ][::-1]
    ready_nodes = sum(1 for n in nodes if n["status"].startswith("Ready"))
    return {
        "Cluster": {
            "name": cluster.name,
            "time": cluster.timestamp(),
            "dashboard": "serving" if dashboard_running(cluster.api) else "not running (no Dashboard pod)",
            "nodes ready": f"{ready_nodes}/{len(nodes)}",
            "metrics": "available" if metrics is not None else "not available",
        },
        "Nodes": nodes,
        "Workloads": _workloads(cluster.api),
        "Pods by phase": phases,
        "Recent warnings": recent,
    }


class Dashboard:
    """``cluster.addons.dashboard``: the summary on demand."""

    def __init__(self, source: DashboardSource):
        self.source = source

    @property
    def running(self) -> bool:
        return dashboard_running(self.source.api)

    def summary(self) -> dict[str, Any]:
        return dashboard_summary(self.source)
