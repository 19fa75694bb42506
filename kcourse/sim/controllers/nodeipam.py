"""node-ipam-controller: cuts the cluster CIDR into one podCIDR per node.

The IP-per-Pod model needs every node to own a distinct range from which
its CNI plugin hands addresses to Pods.  With ``--allocate-node-cidrs``
(kubeadm turns it on) kube-controller-manager's node-ipam controller
(the ``RangeAllocator``) picks the next free ``/24`` of
``--cluster-cidr`` for each new Node and writes it to ``spec.podCIDR`` and
``spec.podCIDRs``; the range returns to the pool when the Node is deleted.
When the cluster CIDR is used up the node gets the Event
``CIDRNotAvailable`` (``Node worker-9 status is now: CIDRNotAvailable``)
and keeps no podCIDR — its pods cannot get addresses; a failed write of
the range gives ``CIDRAssignmentFailed``.  The ranges themselves live in
:class:`kcourse.sim.network.Network`.

Simplified: one IPv4 cluster CIDR (no dual stack, no multi-CIDR allocator).
"""

from __future__ import annotations

from ..component import Component
from ..controller import Controller
from ..errors import ApiError
from ..informer import ResourceEventHandler, SharedInformerFactory

__all__ = ["NodeIpamController"]


class NodeIpamController(Controller):
    """Give every Node a podCIDR; release it when the Node goes."""

    name = "node-ipam-controller"

    def __init__(self, manager: Component, informers: SharedInformerFactory):
        super().__init__(manager, informers)
        self.nodes = self.informer("nodes")
        self.nodes.add_event_handler(ResourceEventHandler(self._added, self._updated, self.enqueue))

    def _added(self, node: dict) -> None:
        if not node["spec"].get("podCIDR"):
            self.enqueue(node)

    def _updated(self, _old: dict, new: dict) -> None:
        if not new["spec"].get("podCIDR"):
            self.enqueue(new)

    def sync_handler(self, key: str) -> str | None:
        network = self.host.network
        node = self.nodes.get(key)
        if node is None:
            cidr = network.node_cidrs.get(key)
            if cidr is None:
                return f"node {key} is gone"
            network.release_pod_cidr(key)
            return f"released podCIDR {cidr} of deleted node {key}"
        if node["spec"].get("podCIDR"):
            return f"node {key} already has podCIDR {node['spec']['podCIDR']}"
        try:
            cidr = network.allocate_pod_cidr(key)
        except RuntimeError as err:
            self.client.event(
                node, "Normal", "CIDRNotAvailable", f"Node {key} status is now: CIDRNotAvailable"
            )
            return f"failed to allocate a podCIDR for {key}: {err}"
        try:
            self.client.patch("nodes", key, {"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
        except ApiError:
            self.client.event(
                node, "Normal", "CIDRAssignmentFailed", f"Node {key} status is now: CIDRAssignmentFailed"
            )
            raise
        return f"set podCIDR {cidr} on node {key}"
