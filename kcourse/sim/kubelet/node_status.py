"""The kubelet's Node: registration, the node lease, and the Node's status.

As upstream's ``kubelet_node_status.go`` and ``pkg/kubelet/nodelease``:

* **registerWithAPIServer** creates the Node (labels, taints, capacity,
  ``nodeInfo``, addresses), or finds it there after a restart;
* a **Lease** in ``kube-node-lease`` is renewed every 10 s — the cheap
  heartbeat the node lifecycle controller reads;
* the Node's **status** (conditions Ready, MemoryPressure, DiskPressure,
  PIDPressure, the images on the node) is posted when it changes and at
  least every 5 minutes (``nodeStatusReportFrequency``).

These are methods of the kubelet, in their own file as upstream keeps them.

Simplified: Node Ready waits for ``spec.podCIDR`` (the node-ipam
controller's) and the runtime's ``UpdateRuntimeConfig`` — a stand-in for a
CNI plugin becoming ready; allocatable = capacity minus the kubeadm
defaults' eviction thresholds (memory 100Mi, 10 % of ephemeral storage), no
kube-reserved.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ..apiserver import Unreachable
from ..component import Component, Event
from ..errors import ApiError
from ..objects import deep_copy, micro_timestamp, set_condition
from ..quantity import format_bytes, units

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..clock import Timer
    from ..cri import ContainerRuntime
    from ..informer import Informer
    from ..network import Network

__all__ = ["DEFAULT_CAPACITY", "KUBELET_VERSION", "NodeStatusMixin", "hash_text"]

KUBELET_VERSION = "v1.32.0"
LEASE_DURATION = 40
LEASE_RENEW = 10.0
NODE_STATUS_UPDATE = 10.0
NODE_STATUS_REPORT = 300.0
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
UNINITIALIZED_TAINT = {
    "key": "node.cloudprovider.kubernetes.io/uninitialized",
    "value": "true",
    "effect": "NoSchedule",
}
#: A machine's capacity when none is given: kcourse's default VM (2 CPUs, 4 GiB, kubelet's maxPods 110).
DEFAULT_CAPACITY = {"cpu": "2", "memory": "4Gi", "pods": "110", "ephemeral-storage": "20Gi"}
NETWORK_NOT_READY = (
    "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
    "message:Network plugin returns error: cni plugin not initialized"
)


def hash_text(text: str) -> int:
    """A stable integer from text (Python's ``hash`` of str changes between runs)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:32], 16)


class NodeStatusMixin(Component):
    """The kubelet's methods that keep its Node registered, leased and its status current."""

    cri: ContainerRuntime
    node_informer: Informer | None
    registered: bool
    boot_id: str
    _last_status_post: float
    _posted_ready: str | None
    role: str
    network: Network
    capacity: Mapping[str, str]
    cloud_provider: bool
    #: The timer of the next node-status post, while one is pending among the process's timers.
    _node_status_timer: Timer | None = None

    @property
    def runtime_name(self) -> str:
        return self.cri.name

    @property
    def is_master(self) -> bool:
        return self.role == "control-plane"

    def _node_object(self) -> dict:
        cap = dict(self.capacity)
        alloc = dict(cap)
        alloc["memory"] = format_bytes(units(cap["memory"]) - 100 * 2**20)
        alloc["ephemeral-storage"] = str(units(cap["ephemeral-storage"]) * 9 // 10)
        labels = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": self.node,
            "kubernetes.io/os": "linux",
        }
        taints = []
        if self.is_master:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            taints.append(dict(CONTROL_PLANE_TAINT))
        if self.cloud_provider:
            taints.append(dict(UNINITIALIZED_TAINT))
        spec: dict[str, Any] = {"taints": taints} if taints else {}
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.node,
                "labels": labels,
                "annotations": {
                    "kubeadm.alpha.kubernetes.io/cri-socket": self.cri.info.socket,
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": spec,
            "status": {
                "capacity": cap,
                "allocatable": alloc,
                "addresses": [
                    {"type": "InternalIP", "address": self.network.node_ip(self.node)},
                    {"type": "Hostname", "address": self.node},
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": self._node_info(),
            },
        }

    def _node_info(self) -> dict:
        return {
            "architecture": "amd64",
            "bootID": self.boot_id,
            "containerRuntimeVersion": self.cri.version_string,
            "kernelVersion": "6.8.0-51-generic",
            "kubeProxyVersion": "",
            "kubeletVersion": KUBELET_VERSION,
            "machineID": f"{abs(hash_text(self.node)):032x}"[:32],
            "operatingSystem": "linux",
            "osImage": "Ubuntu 24.04.1 LTS",
            "systemUUID": f"{abs(hash_text('uuid' + self.node)):032x}"[:32],
        }

    @property
    def node_key(self) -> str:
        return f"nodes/{self.node}"

    def _renew_lease(self) -> Event | None:
        """Renew ``kube-node-lease/<node>`` (create it the first time): the node's cheap heartbeat."""
        self.after(LEASE_RENEW, self._renew_lease, background=True)
        now = self.clock.now
        key = f"kube-node-lease/{self.node}"
        try:
            lease = self.client.get("leases", self.node, "kube-node-lease") if self._lease_exists() else None
            if lease is None:
                node = self.node_informer.get(self.node) if self.node_informer else None
                obj = {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.node, "namespace": "kube-node-lease"},
                    "spec": {
                        "holderIdentity": self.node,
                        "leaseDurationSeconds": LEASE_DURATION,
                        "renewTime": micro_timestamp(now),
                    },
                }
                if node is not None:
                    obj["metadata"]["ownerReferences"] = [
                        {
                            "apiVersion": "v1",
                            "kind": "Node",
                            "name": self.node,
                            "uid": node["metadata"]["uid"],
                        }
                    ]
                self.client.create(obj)
                return self.event(key, "created the node lease", verb="create")
            # A new version sharing what it leaves alone with the one read (which is never changed).
            spec = {**lease["spec"], "renewTime": micro_timestamp(now), "holderIdentity": self.node}
            self.client.update({**lease, "spec": spec})
        except Unreachable:
            return self.event(key, "failed to renew lease: the API server is unreachable", verb="renew")
        except ApiError as err:
            return self.event(key, f"failed to renew lease: {err}", verb="renew")
        return self.event(
            key, f"renewed the node lease (leaseDurationSeconds {LEASE_DURATION})", verb="renew"
        )

    def _lease_exists(self) -> bool:
        """Is there a lease to renew?  Read from the API server's storage, so it leaves no request behind."""
        return self.client.server.peek("leases", self.node, "kube-node-lease") is not None

    def _node_status(self) -> Event | None:
        """tryUpdateNodeStatus: post conditions when they change, or every nodeStatusReportFrequency."""
        node = self.node_informer.get(self.node) if self.node_informer else None
        if node is None:
            self._schedule_node_status()
            return None
        now = self.clock.now
        net_ready = bool(self.cri.pod_cidr)
        images = [
            {"names": sorted(i.repo_digests + i.repo_tags), "sizeBytes": i.size}
            for i in sorted(self.cri.image_service.ListImages(), key=lambda i: -i.size)
        ]
        if now - self._last_status_post < NODE_STATUS_REPORT and self._unchanged(node, net_ready, images):
            self._schedule_node_status()  # nothing to post: the new status is not even built
            return None
        new = deep_copy(node)
        st = new.setdefault("status", {})
        changed = False
        for ctype, reason, message in (
            ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        ):
            changed |= (
                set_condition(new, ctype, "False", now, reason, message, heartbeat=True)
                and self._cond_status(node, ctype) != "False"
            )
        ready, reason, message = (
            ("True", "KubeletReady", "kubelet is posting ready status")
            if net_ready
            else ("False", "KubeletNotReady", NETWORK_NOT_READY)
        )
        changed |= (
            set_condition(new, "Ready", ready, now, reason, message, heartbeat=True)
            and self._cond_status(node, "Ready") != ready
        )
        base = self._node_object()["status"]
        for k in ("capacity", "allocatable", "daemonEndpoints"):
            st[k] = base[k]
        st["nodeInfo"] = self._node_info()
        if not st.get("addresses"):
            st["addresses"] = base["addresses"]
        if st.get("images") != images:
            st["images"] = images
            changed = True
        self._schedule_node_status()
        if not changed and now - self._last_status_post < NODE_STATUS_REPORT:
            return None
        try:
            stored = self.client.update_status(new)
        except (ApiError, Unreachable) as err:
            return self.event(self.node_key, f"Error updating node status, will retry: {err}", verb="update")
        self._last_status_post = now
        if self._posted_ready != ready:
            if ready == "True":
                self.client.event(stored, "Normal", "NodeReady", f"Node {self.node} status is now: NodeReady")
            elif self._posted_ready is None:
                for r in ("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"):
                    self.client.event(stored, "Normal", r, f"Node {self.node} status is now: {r}")
            self._posted_ready = ready
        return self.event(
            self.node_key,
            f"posted node status: Ready={ready}"
            + ("" if net_ready else f" ({reason}: waiting for spec.podCIDR)"),
        )

    def _unchanged(self, node: dict, net_ready: bool, images: list[dict]) -> bool:
        """Would :meth:`_node_status` find nothing to post: every condition's status and the images as
        the Node has them?  (Only a condition's status counts as a change; its heartbeat does not.)"""
        return (
            all(
                self._cond_status(node, c) == "False"
                for c in ("MemoryPressure", "DiskPressure", "PIDPressure")
            )
            and self._cond_status(node, "Ready") == ("True" if net_ready else "False")
            and (node.get("status") or {}).get("images") == images
        )

    def _schedule_node_status(self) -> None:
        pending = self._node_status_timer
        if pending is not None and not pending.cancelled and any(t is pending for t in self._timers):
            return
        self._node_status_timer = self.after(NODE_STATUS_UPDATE, self._node_status, background=True)

    @staticmethod
    def _cond_status(node: dict, ctype: str) -> str | None:
        for c in (node.get("status") or {}).get("conditions") or []:
            if c.get("type") == ctype:
                return c.get("status")
        return None
