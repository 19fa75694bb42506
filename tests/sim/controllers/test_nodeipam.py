"""node-ipam-controller: one podCIDR per node out of the cluster CIDR."""

from __future__ import annotations

import ipaddress

from nodekit import add_node, events


def test_a_new_node_gets_a_pod_cidr(bare):
    add_node(bare, "node-a")
    bare.run_until_stable()
    spec = bare.api.peek("nodes", "node-a")["spec"]
    cidr = bare.network.node_cidrs["node-a"]
    assert spec["podCIDR"] == cidr and spec["podCIDRs"] == [cidr]
    assert ipaddress.ip_network(cidr).subnet_of(ipaddress.ip_network("10.244.0.0/16"))
    assert ipaddress.ip_network(cidr).prefixlen == 24


def test_nodes_get_distinct_ranges(bare):
    for name in ("node-a", "node-b", "node-c"):
        add_node(bare, name)
    bare.run_until_stable()
    cidrs = [bare.api.peek("nodes", n)["spec"]["podCIDR"] for n in ("node-a", "node-b", "node-c")]
    assert len(set(cidrs)) == 3


def test_a_deleted_nodes_range_returns_to_the_pool(bare):
    add_node(bare, "node-a")
    bare.run_until_stable()
    cidr = bare.api.peek("nodes", "node-a")["spec"]["podCIDR"]
    bare.api.delete("nodes", "node-a")
    bare.run_until_stable()
    assert "node-a" not in bare.network.node_cidrs
    add_node(bare, "node-b")
    bare.run_until_stable()
    assert bare.api.peek("nodes", "node-b")["spec"]["podCIDR"] == cidr


def test_an_exhausted_cluster_cidr_is_reported_on_the_node(bare):
    assert list(bare.network.node_cidrs) == ["master-1"]  # registered by its kubelet at boot
    bare.network._pod_cidrs = bare.network._pod_cidrs[:3]  # room for one more node (x.x.0.0/24 stays unused)
    add_node(bare, "node-a")
    add_node(bare, "node-b")
    bare.run_until_stable()
    assert "podCIDR" in bare.api.peek("nodes", "node-a")["spec"]
    assert "podCIDR" not in bare.api.peek("nodes", "node-b")["spec"]
    [ev] = events(bare, "CIDRNotAvailable")
    assert ev["involvedObject"]["name"] == "node-b"
    assert ev["message"] == "Node node-b status is now: CIDRNotAvailable"


def test_a_freed_range_is_the_next_one_given_then_allocation_carries_on_after_the_last(bare):
    for name in ("node-a", "node-b", "node-c"):
        add_node(bare, name)
    bare.run_until_stable()
    cidrs = dict(bare.network.node_cidrs)
    bare.api.delete("nodes", "node-b")
    bare.run_until_stable()
    add_node(bare, "node-d")
    add_node(bare, "node-e")
    bare.run_until_stable()
    given = bare.network.node_cidrs
    assert given["node-d"] == cidrs["node-b"]  # the lowest free range first
    ranges = [ipaddress.ip_network(c) for c in bare.network.node_cidrs.values()]
    assert ipaddress.ip_network(given["node-e"]) == max(ranges)  # then the one after the highest in use
    assert len(set(ranges)) == len(ranges)
