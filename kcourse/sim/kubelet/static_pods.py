"""Static pods: the control plane as files on the master, published as mirror Pods.

kubeadm writes the control plane's Pods to ``/etc/kubernetes/manifests``;
the kubelet's file source (upstream ``pkg/kubelet/config/file.go``) runs
them without the API server — they must run *before* there is one — and
the mirror client (``pkg/kubelet/pod/mirror_client.go``) publishes a read-
only copy of each, a *mirror Pod*, so that ``kubectl get pods -n
kube-system`` shows them.  A deleted mirror Pod is created again.

Simplified: the manifests are generated, not read from files; the static
pods' containers run through the same pod worker as every other Pod.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..apiserver import Unreachable
from ..component import Component, Event
from ..errors import ApiError
from ..objects import timestamp
from .node_status import hash_text

if TYPE_CHECKING:
    from ..informer import Informer
    from ..network import Network

__all__ = ["STATIC_PODS", "StaticPodsMixin"]

#: The control plane as kubeadm writes it to /etc/kubernetes/manifests (image, command, CPU request).
STATIC_PODS = (
    (
        "etcd",
        "registry.k8s.io/etcd:3.5.16-0",
        [
            "etcd",
            "--advertise-client-urls=https://{ip}:2379",
            "--data-dir=/var/lib/etcd",
            ("--listen-client-urls=https://127.0.0.1:2379,https://{ip}:2379"),
        ],
        "100m",
    ),
    (
        "kube-apiserver",
        "registry.k8s.io/kube-apiserver:v1.32.0",
        [
            "kube-apiserver",
            "--advertise-address={ip}",
            "--etcd-servers=https://127.0.0.1:2379",
            "--service-cluster-ip-range=10.96.0.0/12",
        ],
        "250m",
    ),
    (
        "kube-controller-manager",
        "registry.k8s.io/kube-controller-manager:v1.32.0",
        [
            "kube-controller-manager",
            "--allocate-node-cidrs=true",
            "--cluster-cidr=10.244.0.0/16",
            "--leader-elect=true",
        ],
        "200m",
    ),
    (
        "kube-scheduler",
        "registry.k8s.io/kube-scheduler:v1.32.0",
        ["kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"],
        "100m",
    ),
)


class StaticPodsMixin(Component):
    """The kubelet's methods that run the static pods' manifests and publish their mirror Pods."""

    node_informer: Informer | None
    network: Network

    def static_pod_manifests(self) -> list[dict]:
        """The control plane's Pods as kubeadm writes them to ``/etc/kubernetes/manifests``."""
        ip = self.network.node_ip(self.node)
        out = []
        for name, image, command, cpu in STATIC_PODS:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{name}-{self.node}",
                        "namespace": "kube-system",
                        "labels": {"component": name, "tier": "control-plane"},
                        "annotations": {"kubernetes.io/config.source": "file"},
                    },
                    "spec": {
                        "nodeName": self.node,
                        "hostNetwork": True,
                        "priorityClassName": "system-node-critical",
                        "priority": 2000001000,
                        "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                        "containers": [
                            {
                                "name": name,
                                "image": image,
                                "imagePullPolicy": "IfNotPresent",
                                "command": [c.format(ip=ip) for c in command],
                                "resources": {"requests": {"cpu": cpu}},
                            }
                        ],
                    },
                }
            )
        return out

    def _static_pods(self) -> Event | None:
        """Publish a mirror Pod for each static pod so the API server shows what runs here."""
        node = self.node_informer.get(self.node) if self.node_informer else None
        created = []
        try:
            for manifest in self.static_pod_manifests():
                md = manifest["metadata"]
                if self.client.server.peek("pods", md["name"], md["namespace"]) is not None:
                    continue
                h = f"{abs(hash_text(md['name'])):032x}"[:32]
                md["annotations"].update(
                    {
                        "kubernetes.io/config.hash": h,
                        "kubernetes.io/config.mirror": h,
                        "kubernetes.io/config.seen": timestamp(self.clock.now),
                    }
                )
                if node is not None:
                    md["ownerReferences"] = [
                        {
                            "apiVersion": "v1",
                            "kind": "Node",
                            "name": self.node,
                            "uid": node["metadata"]["uid"],
                            "controller": True,
                        }
                    ]
                self.client.create(manifest)
                created.append(md["name"])
        except (ApiError, Unreachable) as err:
            self.after(10.0, self._static_pods)
            return self.event("kube-system", f"failed to create mirror pods: {err}")
        if not created:
            return None
        return self.event(
            "kube-system",
            f"static pods from /etc/kubernetes/manifests: created mirror pods {', '.join(created)}",
            verb="create",
        )
