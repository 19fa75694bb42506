"""The kubelet without copies: a status write shares what did not change; its records hold no Pod.

Upstream's status manager (``pkg/kubelet/status/status_manager.go``, ``syncPod``) takes the Pod from
its informer's cache, which client-go says must never be mutated, and sends
``mergePodStatus(oldStatus, newStatus)`` in a patch; its pod workers keep ``UID``-keyed state of their
own (``pkg/kubelet/pod_workers.go``, ``podSyncStatus``), not copies of the Pods.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import kcourse
from kcourse.sim.informer import ResourceEventHandler
from kcourse.sim.kubelet import Kubelet
from kcourse.sim.kubelet.container import PodRecord
from kcourse.sim.objects import deep_copy

KUBELET_DIR = Path(__import__("kcourse.sim.kubelet", fromlist=["x"]).__file__).parent


def small(**kw) -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=0, **kw)


def pod(name: str = "web", command: list[str] | None = None, **spec) -> dict:
    container: dict = {"name": "app", "image": "busybox:1.36" if command else "nginx:1.27"}
    if command:
        container["command"] = command
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"nodeName": "worker-1", "containers": [container], **spec},
    }


def spy_status_writes(c: kcourse.Cluster) -> list[tuple[dict, dict, dict]]:
    """Each Pod status write of worker-1's kubelet: (body, the cached Pod it was built from, its snapshot)."""
    kl = c.kubelet("worker-1")
    writes: list[tuple[dict, dict, dict]] = []
    real = kl.client.update_status

    def update_status(body: dict) -> dict:
        if body.get("kind") != "Pod":
            return real(body)
        current = kl.pod_informer.get(f"{body['metadata']['namespace']}/{body['metadata']['name']}")
        writes.append((body, current, deep_copy(current)))
        return real(body)

    kl.client.update_status = update_status
    return writes


def watch_cached_pods(c: kcourse.Cluster) -> list[tuple[dict, dict]]:
    """Every Pod worker-1's informer delivers, with a snapshot taken on delivery."""
    seen: list[tuple[dict, dict]] = []
    kl = c.kubelet("worker-1")
    kl.pod_informer.add_event_handler(
        ResourceEventHandler(
            lambda obj: seen.append((obj, deep_copy(obj))),
            lambda _old, new: seen.append((new, deep_copy(new))),
        )
    )
    return seen


def test_a_status_write_is_a_new_pod_that_shares_what_did_not_change():
    c = small()
    writes = spy_status_writes(c)
    c.apply(pod())
    c.run_until_stable()
    assert len(writes) >= 2
    for body, current, before in writes:
        assert body is not current and body["status"] is not current.get("status")
        assert body["metadata"] is current["metadata"] and body["spec"] is current["spec"]
        assert current == before, "the informer's cached Pod was changed by the status write"
    body, current, _ = writes[-1]
    old, new = current["status"], body["status"]
    assert new["phase"] == "Running"
    scheduled = [cond for cond in new["conditions"] if cond["type"] == "PodScheduled"]
    assert scheduled and any(scheduled[0] is cond for cond in old["conditions"])


def test_conditions_that_change_are_new_and_keep_their_transition_time_otherwise():
    c = small()
    writes = spy_status_writes(c)
    c.apply(pod(command=["sh", "-c", "sleep 5; exit 1"], restartPolicy="Never"))
    c.run_until_stable()
    changed = 0
    for body, current, _ in writes:
        old = {cond["type"]: cond for cond in (current.get("status") or {}).get("conditions") or []}
        for cond in body["status"]["conditions"]:
            before = old.get(cond["type"])
            if before is None:
                continue
            if cond == before:
                assert cond is before
            else:
                changed += 1
                assert cond is not before
                if cond["status"] == before["status"]:
                    assert cond["lastTransitionTime"] == before["lastTransitionTime"]
    assert changed
    final = c.api.peek("pods", "web", "default")["status"]
    assert final["phase"] == "Failed"
    ready = next(cond for cond in final["conditions"] if cond["type"] == "Ready")
    assert ready["status"] == "False" and ready["reason"] == "PodCompleted"


@pytest.mark.parametrize("scenario", ["crash-loop", "probe-restart", "delete", "reboot"])
def test_no_cached_pod_is_ever_changed_by_the_kubelet(scenario):
    """An informer's objects are shared with the API server's cache: whatever the kubelet does, they stay."""
    c = small()
    seen = watch_cached_pods(c)
    if scenario == "crash-loop":
        c.apply(pod(command=["sh", "-c", "sleep 2; exit 3"]))
        c.advance(90)
    elif scenario == "probe-restart":
        spec = pod()
        spec["spec"]["containers"][0]["livenessProbe"] = {
            "httpGet": {"path": "/", "port": 81},
            "periodSeconds": 2,
            "failureThreshold": 1,
        }
        c.apply(spec)
        c.advance(40)
    elif scenario == "delete":
        c.apply(pod())
        c.run_until_stable()
        c.kubectl("delete pod web --wait=false")
        c.run_until_stable()
    else:
        c.apply(pod())
        c.run_until_stable()
        c.fail_node("worker-1")
        c.advance(20)
        c.recover_node("worker-1")
        c.run_until_stable()
        seen += watch_cached_pods(c)
        c.advance(10)
    assert seen
    for obj, snapshot in seen:
        assert obj == snapshot


def test_a_pod_record_holds_references_into_the_current_version_not_a_copy():
    c = small()
    c.apply(pod())
    c.run_until_stable()
    kl = c.kubelet("worker-1")
    record = kl.pods["default/web"]
    current = kl.pod_informer.get("default/web")
    assert not hasattr(record, "pod")
    assert record.spec is current["spec"] and record.labels is current["metadata"]["labels"]
    assert record.resource_version == current["metadata"]["resourceVersion"]
    assert record.ctrs["app"].spec is current["spec"]["containers"][0]


def test_the_kubelets_events_name_the_version_of_the_pod_it_last_saw():
    """``ref.GetReference``: kind, namespace, name, uid, apiVersion, resourceVersion and the fieldPath."""
    c = small()
    c.apply(pod(command=["sh", "-c", "sleep 2; exit 3"]))
    c.advance(40)
    obj = c.api.peek("pods", "web", "default")
    events = [e for e in c.api.events_for(obj) if e["source"].get("component") == "kubelet"]
    assert {e["reason"] for e in events} >= {"Pulled", "Created", "Started", "BackOff"}
    versions = set()
    for e in events:
        ref = e["involvedObject"]
        assert {k: ref[k] for k in ("kind", "apiVersion", "namespace", "name", "uid")} == {
            "kind": "Pod",
            "apiVersion": "v1",
            "namespace": "default",
            "name": "web",
            "uid": obj["metadata"]["uid"],
        }
        assert ref["fieldPath"] == "spec.containers{app}" and ref["resourceVersion"].isdigit()
        assert int(ref["resourceVersion"]) <= int(obj["metadata"]["resourceVersion"])
        versions.add(ref["resourceVersion"])
    assert len(versions) > 1, "the reference follows the versions the kubelet saw"


def test_a_program_sees_its_pod_by_name_uid_and_ip_not_a_copy_of_it():
    c = kcourse.Cluster(masters=1, workers=1, seed=0)
    c.run_until_stable()
    kl = c.kubelet("worker-1")
    programs = [
        ctr.program
        for rec in kl.pods.values()
        for ctr in rec.ctrs.values()
        if hasattr(ctr.program, "pod_key")
    ]
    assert programs
    for program in programs:
        current = c.api.peek("pods", program.pod_key.split("/")[1], program.pod_key.split("/")[0])
        assert program.pod["metadata"]["uid"] == current["metadata"]["uid"]
        assert set(program.pod) == {"metadata", "spec", "status"} and "containers" not in program.pod["spec"]
        assert program.pod_ip in (current["status"].get("podIP"), c.network.node_ip("worker-1"))


def test_a_kubelet_is_built_from_a_host_and_its_collaborators():
    c = small()
    kl = Kubelet(
        c,
        "spare",
        registry=c.registry,
        programs={},
        capacity={"cpu": "8", "memory": "16Gi", "pods": "250", "ephemeral-storage": "100Gi"},
        cloud_provider=False,
    )
    node = kl._node_object()
    assert node["status"]["capacity"] == {
        "cpu": "8",
        "memory": "16Gi",
        "pods": "250",
        "ephemeral-storage": "100Gi",
    }
    assert node["status"]["allocatable"]["memory"] == "16284Mi"
    assert "taints" not in node["spec"]
    clouded = Kubelet(c, "spare-2", cloud_provider=True)
    assert {
        "key": "node.cloudprovider.kubernetes.io/uninitialized",
        "value": "true",
        "effect": "NoSchedule",
    } in clouded._node_object()["spec"]["taints"]
    assert clouded._node_object()["status"]["capacity"]["pods"] == "110"


def test_the_kubelet_package_knows_no_cluster():
    """A component receives a Host and its collaborators; it never imports or reaches for the cluster."""
    for path in sorted(KUBELET_DIR.glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.module not in ("cluster", "kcourse.sim.cluster") and not (
                    node.level and node.module == "cluster"
                ), f"{path.name} imports the cluster"
            if isinstance(node, ast.Attribute):
                assert node.attr != "cluster", f"{path.name}:{node.lineno} reaches for .cluster"


def test_pod_record_fields_are_the_kubelets_own():
    fields = set(PodRecord.__dataclass_fields__)
    assert "pod" not in fields and {"key", "uid", "spec", "resource_version"} <= fields
