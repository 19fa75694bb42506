"""The fake cloud and the cloud-controller-manager: nodes, node lifecycle, load balancers, routes, volumes."""

from __future__ import annotations

from typing import Any

import pytest

import kcourse
from kcourse.sim.objects import condition, deep_copy, timestamp

UNINITIALIZED = {
    "key": "node.cloudprovider.kubernetes.io/uninitialized",
    "value": "true",
    "effect": "NoSchedule",
}


def kubelet_registers(c: Any) -> bool:
    return c.api.peek("nodes", "worker-1") is not None


@pytest.fixture
def cloudy() -> kcourse.Cluster:
    """A control plane with a cloud: extra VMs and their Nodes are added by each test."""
    return kcourse.Cluster(masters=1, workers=0, addons=False, seed=0)


def register(c: Any, name: str, *, ready: str = "True", taints: list[dict] | None = None) -> dict:
    """What a kubelet started with ``--cloud-provider=external`` registers."""
    now = timestamp(c.now)
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"taints": taints} if taints else {},
        "status": {
            "conditions": [
                {"type": "Ready", "status": ready, "lastHeartbeatTime": now, "lastTransitionTime": now}
            ]
        },
    }
    return c.api.create(node, user="kubelet")


def set_ready(c: Any, name: str, status: str) -> None:
    node = deep_copy(c.api.peek("nodes", name))
    condition(node, "Ready")["status"] = status
    c.api.update_status(node, user="kubelet")


def events(c: Any, reason: str, about: str | None = None) -> list[str]:
    """Messages of the v1 Events with ``reason`` (only those about the object named ``about``, if given)."""
    return [
        e["message"]
        for e in sorted(c.api.items("events", None), key=lambda e: e["metadata"]["name"])
        if e["reason"] == reason and about in (None, e["involvedObject"]["name"])
    ]


# --- the provider --------------------------------------------------------------------------------


def test_vms_are_spread_round_robin_over_three_zones():
    c = kcourse.Cluster(masters=1, workers=3, addons=False, seed=0)
    assert {n: vm.zone for n, vm in c.cloud.vms.items()} == {
        "master-1": "zone-a",
        "worker-1": "zone-b",
        "worker-2": "zone-c",
        "worker-3": "zone-a",
    }
    vm = c.cloud.vms["worker-1"]
    assert vm.provider_id == "kcourse://zone-b/worker-1"
    assert (vm.instance_type, vm.internal_ip, vm.external_ip) == (
        "k1.standard-2",
        c.network.node_ip("worker-1"),
        "203.0.113.11",
    )


def test_power_and_deletion_change_the_vm(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    cloudy.cloud.power_off("extra-1")
    assert cloudy.cloud.vms["extra-1"].state == "stopped"
    cloudy.cloud.power_on("extra-1")
    assert cloudy.cloud.vms["extra-1"].state == "running"
    cloudy.cloud.delete_vm("extra-1")
    assert "extra-1" not in cloudy.cloud.vms


# --- cloud-node ----------------------------------------------------------------------------------


def test_cloud_node_initialises_a_new_node_and_removes_the_taint(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    register(cloudy, "extra-1", taints=[UNINITIALIZED])
    cloudy.run_until_stable()
    node = cloudy.api.peek("nodes", "extra-1")
    assert node["spec"]["providerID"] == cloudy.cloud.vms["extra-1"].provider_id
    labels = node["metadata"]["labels"]
    assert (labels["topology.kubernetes.io/region"], labels["node.kubernetes.io/instance-type"]) == (
        "region-1",
        "k1.standard-2",
    )
    assert labels["topology.kubernetes.io/zone"] == cloudy.cloud.vms["extra-1"].zone
    assert [a["type"] for a in node["status"]["addresses"]] == ["InternalIP", "ExternalIP", "Hostname"]
    assert "taints" not in node["spec"] or not any(
        t["key"] == UNINITIALIZED["key"] for t in node["spec"]["taints"]
    )
    assert events(cloudy, "Synced", about="extra-1") == ["Node synced successfully"]  # master-1 was, at boot


def test_a_node_without_the_taint_is_not_touched(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    register(cloudy, "extra-1")
    cloudy.run_until_stable()
    assert "providerID" not in cloudy.api.peek("nodes", "extra-1")["spec"]


# --- cloud-node-lifecycle ----------------------------------------------------------------------


def test_a_not_ready_node_whose_vm_is_gone_is_deleted(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    register(cloudy, "extra-1")
    cloudy.run_until_stable()
    cloudy.cloud.delete_vm("extra-1")
    set_ready(cloudy, "extra-1", "Unknown")
    cloudy.run_until_stable()
    assert cloudy.api.peek("nodes", "extra-1") is None
    assert events(cloudy, "DeletingNode") == [
        "Deleting node extra-1 because it does not exist in the cloud provider"
    ]


def test_a_ready_node_is_kept_even_without_a_vm(cloudy):
    register(cloudy, "no-vm")
    cloudy.advance(30)
    assert cloudy.api.peek("nodes", "no-vm") is not None


def test_a_shut_down_vm_taints_its_node_until_it_is_ready_again(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    register(cloudy, "extra-1")
    cloudy.cloud.power_off("extra-1")
    set_ready(cloudy, "extra-1", "Unknown")
    cloudy.run_until_stable()
    taints = cloudy.api.peek("nodes", "extra-1")["spec"].get("taints") or []
    assert {"key": "node.cloudprovider.kubernetes.io/shutdown", "effect": "NoSchedule"} in taints
    cloudy.cloud.power_on("extra-1")
    set_ready(cloudy, "extra-1", "True")
    cloudy.advance(6)
    taints = cloudy.api.peek("nodes", "extra-1")["spec"].get("taints") or []
    assert not any(t["key"] == "node.cloudprovider.kubernetes.io/shutdown" for t in taints)


# --- service-lb ----------------------------------------------------------------------------------

LB_SERVICE = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "shop", "namespace": "default"},
    "spec": {"type": "LoadBalancer", "selector": {"app": "shop"}, "ports": [{"port": 80}]},
}


def test_a_load_balancer_service_gets_an_external_ip(cloudy):
    cloudy.api.create(LB_SERVICE, user="admin")
    cloudy.run_until_stable()
    svc = cloudy.api.peek("services", "shop", "default")
    assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": "198.51.100.10", "ipMode": "VIP"}]
    assert "service.kubernetes.io/load-balancer-cleanup" in svc["metadata"]["finalizers"]
    assert events(cloudy, "EnsuringLoadBalancer") == ["Ensuring load balancer"]
    assert events(cloudy, "EnsuredLoadBalancer") == ["Ensured load balancer"]
    [lb] = cloudy.cloud.load_balancers.values()
    assert lb.ports == [{"port": 80, "nodePort": svc["spec"]["ports"][0]["nodePort"], "protocol": "TCP"}]


def test_deleting_the_service_deletes_the_load_balancer_first(cloudy):
    cloudy.api.create(LB_SERVICE, user="admin")
    cloudy.run_until_stable()
    cloudy.api.delete("services", "shop", "default", user="admin")
    assert cloudy.api.peek("services", "shop", "default")["metadata"]["deletionTimestamp"]
    cloudy.run_until_stable()
    assert cloudy.api.peek("services", "shop", "default") is None
    assert cloudy.cloud.load_balancers == {}
    assert events(cloudy, "DeletedLoadBalancer") == ["Deleted load balancer"]


def test_new_nodes_join_the_load_balancer(cloudy):
    cloudy.api.create(LB_SERVICE, user="admin")
    cloudy.run_until_stable()
    register(cloudy, "extra-1")
    cloudy.run_until_stable()
    [lb] = cloudy.cloud.load_balancers.values()
    assert "extra-1" in lb.nodes
    assert events(cloudy, "UpdatedLoadBalancer") == ["Updated load balancer with new hosts"]


# --- node-route ----------------------------------------------------------------------------------


def test_each_node_pod_cidr_gets_a_route_and_network_available(cloudy):
    cloudy.cloud.create_vm("extra-1", "worker")
    register(cloudy, "extra-1")
    cloudy.run_until_stable()
    cidr = cloudy.api.peek("nodes", "extra-1")["spec"]["podCIDR"]
    assert cloudy.cloud.routes[cidr].node == "extra-1"
    assert cloudy.network.routes[cidr] == "extra-1"
    cond = condition(cloudy.api.peek("nodes", "extra-1"), "NetworkUnavailable")
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False",
        "RouteCreated",
        "RouteController created a route",
    )
    cloudy.api.delete("nodes", "extra-1")
    cloudy.run_until_stable()
    assert cidr not in cloudy.cloud.routes and cidr not in cloudy.network.routes


# --- volumes -------------------------------------------------------------------------------------


def test_a_claim_of_the_fake_disk_class_gets_a_bound_volume(cloudy):
    cloudy.api.create(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "standard"},
            "provisioner": "kcourse.io/fake-disk",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "Immediate",
        },
        user="admin",
    )
    cloudy.api.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "default"},
            "spec": {
                "storageClassName": "standard",
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "5Gi"}},
            },
        },
        user="admin",
    )
    cloudy.run_until_stable()
    pvc = cloudy.api.peek("persistentvolumeclaims", "data", "default")
    pv = cloudy.api.peek("persistentvolumes", pvc["spec"]["volumeName"])
    assert pvc["status"]["phase"] == "Bound" and pv["status"]["phase"] == "Bound"
    assert pv["spec"]["claimRef"]["name"] == "data" and pv["spec"]["capacity"] == {"storage": "5Gi"}
    assert pv["spec"]["csi"]["volumeHandle"] == cloudy.cloud.disks[pv["metadata"]["name"]].id
    assert events(cloudy, "ProvisioningSucceeded") == [
        f"Successfully provisioned volume {pv['metadata']['name']}"
    ]
    cloudy.api.delete("persistentvolumeclaims", "data", "default", user="admin")
    cloudy.run_until_stable()
    assert cloudy.api.peek("persistentvolumes", pv["metadata"]["name"]) is None and cloudy.cloud.disks == {}


# --- leader election and determinism ----------------------------------------------------------


def test_one_cloud_controller_manager_leads():
    c = kcourse.Cluster(masters=2, workers=0, addons=False, seed=0)
    lease = c.api.peek("leases", "cloud-controller-manager", "kube-system")
    assert lease["spec"]["holderIdentity"] == "master-1_cloud-controller-manager"


def test_the_same_seed_gives_the_same_cloud_trace():
    def trace() -> str:
        c = kcourse.Cluster(masters=1, workers=0, addons=False, seed=3)
        c.api.create(LB_SERVICE, user="admin")
        c.cloud.create_vm("extra-1", "worker")
        register(c, "extra-1", taints=[UNINITIALIZED])
        c.run_until_stable()
        c.advance(30)
        return c.trace()

    assert trace() == trace()


# --- a learner's session (needs the kubelet) ----------------------------------------------------


def test_deleting_a_workers_vm_deletes_its_node():
    c = kcourse.Cluster(seed=0)
    if not kubelet_registers(c):
        pytest.skip("needs kubelets that register their nodes")
    c.delete_vm("worker-2")
    c.run_until_stable()
    assert c.api.peek("nodes", "worker-2") is None
    assert "worker-2" not in c.kubectl("get nodes")
