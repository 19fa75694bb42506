"""A learner's session end to end: apply the docs' Deployment, watch it roll out, drain a node.

These need the scheduler, kubelet and controllers; until the kubelet
registers Nodes they are skipped.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse

MANIFESTS = Path(__file__).parent.parent / "manifests"


@pytest.fixture
def c() -> kcourse.Cluster:
    cluster = kcourse.Cluster(masters=1, workers=3, seed=0)
    if not cluster.nodes():
        pytest.skip("nodes are not registered yet (kubelet)")
    return cluster


def test_apply_and_rollout_status(c):
    assert (
        c.kubectl(f"apply -f {MANIFESTS / 'nginx-deployment.yaml'}")
        == "deployment.apps/nginx-deployment created\n"
    )
    out = c.kubectl("rollout status deployment/nginx-deployment")
    assert out.endswith('deployment "nginx-deployment" successfully rolled out\n')
    lines = c.kubectl("get pods -o wide").splitlines()
    assert len(lines) == 4 and all(" Running " in line for line in lines[1:])


def test_nodes_are_ready_with_roles(c):
    out = c.kubectl("get nodes")
    assert "master-1   Ready    control-plane" in out
    assert "worker-1   Ready    <none>" in out


def test_drain_moves_pods_away(c):
    c.apply(MANIFESTS / "nginx-deployment.yaml")
    c.run_until_stable()
    out = c.kubectl("drain worker-1 --ignore-daemonsets --delete-emptydir-data")  # the dashboard may run here
    assert out.startswith("node/worker-1 cordoned\n") and out.endswith("node/worker-1 drained\n")
    c.run_until_stable()
    assert all(p["spec"].get("nodeName") != "worker-1" for p in c.pods())
