"""The official ``kubernetes`` Python client against the served cluster: list, watch, create, patch,
delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

NGINX = yaml.safe_load((Path(__file__).parent / "manifests" / "nginx-deployment.yaml").read_text())


@pytest.fixture(scope="module")
def api(live: tuple[Any, Any]) -> Any:
    return config.new_client_from_config(config_file=str(live[1].kubeconfig))


def test_list_pods_of_kube_system(api: Any) -> None:
    pods = client.CoreV1Api(api).list_namespaced_pod("kube-system")
    names = [p.metadata.name for p in pods.items]
    assert "kube-apiserver-master-1" in names
    assert all(p.status.phase == "Running" for p in pods.items)
    assert int(pods.metadata.resource_version) > 0


def test_list_with_a_field_selector_on_the_node(api: Any) -> None:
    pods = client.CoreV1Api(api).list_pod_for_all_namespaces(field_selector="spec.nodeName=master-1")
    assert pods.items and {p.spec.node_name for p in pods.items} == {"master-1"}


def test_create_then_watch_sees_the_pods_come_up(api: Any, live: tuple[Any, Any], wait_for: Any) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    created = apps.create_namespaced_deployment("default", NGINX)
    assert (created.metadata.name, created.metadata.generation, created.spec.replicas) == (
        "nginx-deployment",
        1,
        3,
    )
    seen: list[tuple[str, str]] = []
    for event in watch.Watch().stream(
        core.list_namespaced_pod, "default", label_selector="app=nginx", timeout_seconds=3
    ):
        seen.append((event["type"], event["object"].status.phase))
    assert ("ADDED", "Pending") in seen or ("ADDED", "Running") in seen
    assert ("MODIFIED", "Running") in seen, seen
    wait_for(
        lambda: (
            (apps.read_namespaced_deployment("nginx-deployment", "default").status.ready_replicas or 0) == 3
        )
    )


def test_patch_the_replicas_strategic_and_through_the_scale_subresource(api: Any, wait_for: Any) -> None:
    apps = client.AppsV1Api(api)
    wait_for(
        lambda: (
            apps.list_namespaced_deployment("default", field_selector="metadata.name=nginx-deployment").items
        )
    )
    patched = apps.patch_namespaced_deployment("nginx-deployment", "default", {"spec": {"replicas": 2}})
    assert patched.spec.replicas == 2 and patched.metadata.generation == 2
    scale = apps.patch_namespaced_deployment_scale("nginx-deployment", "default", {"spec": {"replicas": 4}})
    assert (scale.kind, scale.spec.replicas, scale.status.selector) == ("Scale", 4, "app=nginx")
    assert apps.read_namespaced_deployment_scale("nginx-deployment", "default").spec.replicas == 4


def test_a_stale_replace_is_a_409_conflict(api: Any) -> None:
    apps = client.AppsV1Api(api)
    old = apps.read_namespaced_deployment("nginx-deployment", "default")
    apps.patch_namespaced_deployment("nginx-deployment", "default", {"metadata": {"labels": {"tier": "web"}}})
    with pytest.raises(ApiException) as e:
        apps.replace_namespaced_deployment("nginx-deployment", "default", old)
    assert e.value.status == 409
    assert '"reason":"Conflict"' in e.value.body


def test_foreground_delete_waits_for_the_pods_then_the_deployment_is_not_found(
    api: Any, wait_for: Any
) -> None:
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    apps.delete_namespaced_deployment("nginx-deployment", "default", propagation_policy="Foreground")
    wait_for(lambda: not core.list_namespaced_pod("default", label_selector="app=nginx").items, timeout=60)

    def gone() -> Any:
        try:
            apps.read_namespaced_deployment("nginx-deployment", "default")
        except ApiException as e:
            return e
        return None

    error = wait_for(gone)
    assert error.status == 404
    assert 'deployments.apps \\"nginx-deployment\\" not found' in error.body


def test_a_watch_from_a_compacted_version_gets_410_gone(api: Any, live: tuple[Any, Any]) -> None:
    cluster = live[0]
    with cluster.lock:
        old = cluster.etcd.revision - 5
        cluster.etcd.compact(cluster.etcd.revision)
    with pytest.raises(ApiException) as e:
        for _ in watch.Watch().stream(
            client.CoreV1Api(api).list_namespaced_pod, "default", resource_version=str(old), timeout_seconds=2
        ):
            pass
    assert e.value.status == 410


def test_requests_appear_in_the_api_servers_log_under_the_clients_name(
    api: Any, live: tuple[Any, Any]
) -> None:
    client.CoreV1Api(api).list_node()
    cluster = live[0]
    with cluster.lock:
        mine = [r for r in cluster.api.recent_requests if r.user == "kubernetes-python"]
    assert mine and (mine[-1].verb, mine[-1].resource) == ("list", "nodes")
