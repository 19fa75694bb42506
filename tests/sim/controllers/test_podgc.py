"""pod-garbage-collector: pods no kubelet will clean up are force-deleted."""

from __future__ import annotations

from nodekit import add_node, add_pod, kcm_controller, set_pod_status

from kcourse.sim.objects import deep_copy


def test_pods_of_a_deleted_node_are_force_deleted_after_the_quarantine(bare):
    add_node(bare, "node-a")
    add_pod(bare, "web-1", "node-a", ip="10.244.1.5")
    bare.run_until_stable()
    bare.api.delete("nodes", "node-a")
    deleted_at = bare.now
    bare.run_until_stable()
    assert bare.api.peek("pods", "web-1", "default") is None
    gc = [e for e in bare.events if e.component == "pod-garbage-collector" and "orphaned" in e.message]
    assert 40 <= gc[0].time - deleted_at < 41  # the quarantine, then one pass of the loop
    assert "force-deleted 1 orphaned pod(s) of deleted node node-a: default/web-1" in gc[0].message


def test_terminated_pods_over_the_threshold_go_oldest_first(bare):
    kcm_controller(bare, "pod-garbage-collector").terminated_pod_threshold = 2
    add_node(bare, "node-a")
    for i in range(3):
        add_pod(bare, f"job-{i}", "node-a")
        set_pod_status(bare, f"job-{i}", phase="Succeeded")
        bare.advance(1)
    bare.advance(20)
    assert [p["metadata"]["name"] for p in bare.api.items("pods", "default")] == ["job-1", "job-2"]


def test_terminating_pods_on_an_out_of_service_node_are_force_deleted(bare):
    add_node(bare, "node-a", ready="False")
    add_pod(bare, "db-0", "node-a", ip="10.244.1.5")
    bare.api.delete("pods", "db-0", "default")  # graceful: stays Terminating, no kubelet answers
    bare.advance(20)
    assert bare.api.peek("pods", "db-0", "default") is not None
    node = deep_copy(bare.api.peek("nodes", "node-a"))
    node["spec"]["taints"] = [
        {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown", "effect": "NoExecute"}
    ]
    bare.api.update(node, user="admin")
    bare.advance(20)
    assert bare.api.peek("pods", "db-0", "default") is None


def test_healthy_pods_are_left_alone(bare):
    add_node(bare, "node-a")
    add_pod(bare, "web-1", "node-a", ip="10.244.1.5")
    bare.advance(60)
    assert bare.api.peek("pods", "web-1", "default") is not None
