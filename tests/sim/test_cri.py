"""The CRI: which calls a pod's start makes, and the chain each runtime sends them down."""

from __future__ import annotations

import re

import pytest

import kcourse
from kcourse.sim.cri import (
    CALL_LOG_SIZE,
    ContainerRuntime,
    ContainerState,
    go_duration,
    image_repository,
    normalize_image,
)

POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web"},
    "spec": {"nodeName": "worker-1", "containers": [{"name": "nginx", "image": "nginx:1.27"}]},
}

CHAINS = {
    ("containerd", "runc"): "kubelet → containerd (CRI plugin) → containerd-shim-runc-v2 → runc create",
    (
        "dockershim",
        "runc",
    ): "kubelet → dockershim → dockerd → containerd → containerd-shim-runc-v2 → runc create",
    ("cri-o", "runc"): "kubelet → CRI-O → conmon → runc create",
    ("cri-o", "kata"): "kubelet → CRI-O → conmon → kata-runtime create (boots a lightweight VM",
}


def small(runtime: str = "containerd", oci: str = "runc", seed: int = 0) -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, runtime=runtime, oci_runtime=oci, addons=False, seed=seed)


@pytest.mark.parametrize(("runtime", "oci"), sorted(CHAINS))
def test_a_pod_start_is_the_same_cri_calls_down_each_runtimes_chain(runtime, oci):
    c = small(runtime, oci)
    c.apply(POD)
    events = c.run_until_stable()
    calls = [e for e in events if e.component == runtime and e.key == "default/web"]
    assert [e.message.split()[0] for e in calls] == [
        "RunPodSandbox",
        "PodSandboxStatus",
        "ImageStatus",
        "PullImage",
        "CreateContainer",
        "StartContainer",
    ]
    assert calls[0].message.startswith(f"RunPodSandbox default/web: {CHAINS[(runtime, oci)]}")
    assert all(e.verb == "cri" and e.node == "worker-1" for e in calls)


def test_each_cri_call_is_its_own_step_of_the_runtime():
    c = small()
    c.apply(POD)
    times = [e.time for e in c.run_until_stable() if e.component == "containerd" and e.key == "default/web"]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_an_image_already_on_the_node_is_not_pulled_again():
    c = small()
    c.apply(POD)
    c.run_until_stable()
    c.apply(dict(POD, metadata={"name": "web2"}))
    rpcs = [e.message.split()[0] for e in c.run_until_stable() if e.key == "default/web2" and e.verb == "cri"]
    assert "PullImage" not in rpcs and rpcs[-2:] == ["CreateContainer", "StartContainer"]


def test_node_reports_the_runtime_version_of_its_runtime():
    c = kcourse.Cluster(
        masters=1, workers=2, runtimes={"worker-1": "cri-o", "worker-2": "dockershim"}, addons=False, seed=0
    )
    versions = {n["metadata"]["name"]: n["status"]["nodeInfo"]["containerRuntimeVersion"] for n in c.nodes()}
    assert versions == {
        "master-1": "containerd://1.7.24",
        "worker-1": "cri-o://1.32.0",
        "worker-2": "docker://20.10.24",
    }


def test_sandbox_and_container_ids_are_64_hex_digits_and_states_follow_the_enum():
    c = small()
    c.apply(POD)
    c.run_until_stable()
    rt = c.kubelet("worker-1").cri
    [container] = rt.runtime_service.ListContainers()
    assert re.fullmatch(r"[0-9a-f]{64}", container.id) and re.fullmatch(
        r"[0-9a-f]{64}", container.pod_sandbox_id
    )
    assert container.state is ContainerState.CONTAINER_RUNNING
    assert rt.runtime_service.ContainerStatus(container.id).image_ref.startswith(
        "docker.io/library/nginx@sha256:"
    )


def test_version_and_status_answer_like_the_runtime():
    c = small("cri-o")
    rt = c.kubelet("worker-1").cri
    v = rt.runtime_service.Version()
    assert (v.runtime_name, v.runtime_version, v.runtime_api_version) == ("cri-o", "1.32.0", "v1")
    assert [(x.type, x.status) for x in rt.runtime_service.Status().conditions] == [
        ("RuntimeReady", True),
        ("NetworkReady", True),
    ]


def test_a_failing_image_fails_only_in_its_own_cluster():
    a, b = small(), small()
    a.fail_image_pull("nginx:1.27")
    assert a.registry.is_failing("nginx:1.27") and not b.registry.is_failing("nginx:1.27")


def test_kata_is_offered_through_cri_o_only():
    c = small()
    assert ContainerRuntime(c, "worker-1", "containerd", "kata").oci == "runc"
    assert ContainerRuntime(c, "worker-1", "cri-o", "kata").oci == "kata-runtime"


def test_image_names_and_durations_read_like_the_real_tools():
    assert image_repository("registry.k8s.io/etcd:3.5.16-0") == "registry.k8s.io/etcd"
    assert image_repository("localhost:5000/app@sha256:ab") == "localhost:5000/app"
    assert normalize_image("nginx") == "docker.io/library/nginx:latest"
    assert (go_duration(2.5), go_duration(0.806), go_duration(75)) == ("2.5s", "806ms", "1m15s")


def test_a_runtime_keeps_its_last_calls_and_the_trace_every_one():
    """The call log is bounded (``CALL_LOG_SIZE``): a node that has run many Pods keeps its newest calls
    in order, while the trace shows each call as it was made, the oldest included."""
    c = small()
    for i in range(12):
        c.apply(dict(POD, metadata={"name": f"web-{i}"}))
    events = c.run_until_stable()
    rt = c.kubelet("worker-1").cri
    traced = [e.message for e in events if e.component == "containerd" and e.verb == "cri"]
    assert len(traced) > CALL_LOG_SIZE  # every Pod's calls were traced, more than the log keeps
    assert len(rt.calls) == CALL_LOG_SIZE
    assert [r.message for r in rt.calls][-10:] == traced[-10:]
    assert rt.last_call is rt.calls[-1] and [r.time for r in rt.calls] == sorted(r.time for r in rt.calls)
