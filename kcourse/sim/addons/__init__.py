"""The addons: cluster DNS, the Dashboard, monitoring and logging — and kube-proxy.

Addons give a cluster features the core components do not: name lookup,
a web UI, cluster-wide metrics and logs.  They are ordinary workloads
(Deployments and DaemonSets in ``kube-system`` or their own namespace), so
they are scheduled, started, probed and lost with their nodes like any Pod.
:func:`install_addons` does what kubeadm and a cluster operator do after
``kubeadm init``: it creates their manifests through the API server and
registers the programs their images run in the simulation.  kube-proxy, a
DaemonSet kubeadm installs the same way, comes along.

The stores the addons fill are reachable as ``cluster.addons.dns``,
``.metrics``, ``.logs`` and ``.dashboard``, so views never need their
internals; each program is given the store it fills when it is registered,
so no program looks for it through the cluster.

Simplified: RBAC objects (ClusterRoles, bindings), the metrics APIService
and PodDisruptionBudgets are not created; ``kubernetes.io/os`` node
selectors are left out of the manifests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..apiserver import APIServer
from .dashboard import Dashboard, dashboard_summary
from .dns import ClusterDNS, resolve
from .logging import LogStore
from .monitoring import MetricsStore

__all__ = [
    "Addons",
    "ClusterDNS",
    "Dashboard",
    "LogStore",
    "MetricsStore",
    "ProgramFactory",
    "dashboard_summary",
    "install_addons",
    "kube_proxy_manifests",
    "register_programs",
    "resolve",
]

#: What the kubelet calls with a container's context to get the program its image runs.
ProgramFactory = Callable[[Any], Any]
#: A node's ``/var/log/containers`` files (path → lines), as a log shipper's hostPath mount shows them.
NodeLogs = Callable[[str], "dict[str, list[str]] | None"]

INSTALLER = "kubernetes-admin"

KUBE_PROXY_CONFIG = """apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clusterCIDR: 10.244.0.0/16
mode: iptables
iptables:
  masqueradeBit: 14
  minSyncPeriod: 1s
  syncPeriod: 30s
"""


@dataclass
class Addons:
    """What the addons keep, for views and tests: ``dns``, ``metrics``, ``logs``, ``dashboard``."""

    dns: ClusterDNS
    metrics: MetricsStore
    logs: LogStore
    dashboard: Dashboard


def kube_proxy_manifests() -> list[dict]:
    """kube-proxy as kubeadm installs it: ServiceAccount, ConfigMap and a host-network DaemonSet."""
    from ..kubeproxy import IMAGE

    labels = {"k8s-app": "kube-proxy"}
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"app": "kube-proxy"}},
            "data": {"config.conf": KUBE_PROXY_CONFIG},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": dict(labels)},
            "spec": {
                "selector": {"matchLabels": dict(labels)},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "priorityClassName": "system-node-critical",
                        "serviceAccountName": "kube-proxy",
                        "hostNetwork": True,
                        "tolerations": [{"operator": "Exists"}],
                        "containers": [
                            {
                                "name": "kube-proxy",
                                "image": IMAGE,
                                "imagePullPolicy": "IfNotPresent",
                                "command": [
                                    "/usr/local/bin/kube-proxy",
                                    "--config=/var/lib/kube-proxy/config.conf",
                                    "--hostname-override=$(NODE_NAME)",
                                ],
                                "env": [
                                    {
                                        "name": "NODE_NAME",
                                        "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
                                    }
                                ],
                                "securityContext": {"privileged": True},
                                "volumeMounts": [
                                    {"name": "kube-proxy", "mountPath": "/var/lib/kube-proxy"},
                                    {"name": "xtables-lock", "mountPath": "/run/xtables.lock"},
                                    {"name": "lib-modules", "mountPath": "/lib/modules", "readOnly": True},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "kube-proxy", "configMap": {"name": "kube-proxy"}},
                            {
                                "name": "xtables-lock",
                                "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"},
                            },
                            {"name": "lib-modules", "hostPath": {"path": "/lib/modules"}},
                        ],
                    },
                },
            },
        },
    ]


def register_programs(
    programs: dict[str, ProgramFactory], addons: Addons | None = None, node_logs: NodeLogs | None = None
) -> None:
    """Tell the simulation which program each addon image runs (by image repository).

    The programs report to ``addons``' stores (CoreDNS replicas to ``dns``, scrapes to
    ``metrics``, shipped lines to ``logs``), or to none when the cluster has no addons.
    """
    from ..kubeproxy import IMAGE as PROXY_IMAGE
    from ..kubeproxy import kube_proxy_program
    from . import dns, logging, monitoring

    for image, factory in (
        (PROXY_IMAGE, kube_proxy_program),
        (dns.IMAGE, dns.coredns_program(addons.dns if addons else None)),
        (monitoring.IMAGE, monitoring.metrics_server_program(addons.metrics if addons else None)),
        (logging.IMAGE, logging.fluent_bit_program(addons.logs if addons else None, node_logs)),
    ):
        programs[image.rsplit(":", 1)[0]] = factory


def install_addons(
    api: APIServer, programs: dict[str, ProgramFactory], addons: Addons, node_logs: NodeLogs | None = None
) -> Addons:
    """Register the addons' programs and create kube-proxy and the addons through the API server."""
    from . import dashboard, dns, logging, monitoring

    register_programs(programs, addons, node_logs)
    for obj in (
        *kube_proxy_manifests(),
        *dns.manifests(),
        *monitoring.manifests(),
        *logging.manifests(),
        *dashboard.manifests(),
    ):
        _create(api, obj)
    return addons


def _create(api: APIServer, obj: dict[str, Any]) -> None:
    md = obj["metadata"]
    resource = {
        "Namespace": "namespaces",
        "ServiceAccount": "serviceaccounts",
        "ConfigMap": "configmaps",
        "Deployment": "deployments",
        "DaemonSet": "daemonsets",
        "Service": "services",
    }[obj["kind"]]
    if api.peek(resource, md["name"], md.get("namespace")) is None:
        api.create(obj, user=INSTALLER)
