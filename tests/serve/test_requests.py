"""Requests a real client makes that the served API answers as kube-apiserver does.

Upstream: apimachinery runtime/serializer/json (``gvkWithDefaults``: kind and apiVersion from the URL),
kube-apiserver's version WebService (``/version`` and ``/version/``), pkg/registry/authentication/
selfsubjectreview/rest.go (``kubectl auth whoami``, staging/src/k8s.io/kubectl/pkg/cmd/auth/whoami.go), and
kubectl's cmd/debug/debug.go (``debugByNode`` creates a Pod with a hostPath volume;
``debugByEphemeralContainer`` reads a 404 with empty details as "ephemeral containers are disabled").
"""

from __future__ import annotations

from typing import Any

import pytest

import kcourse


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, http_for: Any) -> Any:
    cluster = kcourse.Cluster(seed=0, workers=1)
    cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
        }
    )
    cluster.run_until_stable()
    handle = counted_serve(cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    yield cluster, handle, http_for(handle)
    handle.stop()


@pytest.fixture(scope="module")
def kubectl(served: Any, kubectl_for: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return kubectl_for(served[1], tmp_path_factory.mktemp("home"))


def test_a_post_without_kind_and_api_version_takes_them_from_the_url(served: Any) -> None:
    cluster, _, http = served
    code, body = http.json(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"metadata": {"name": "kindless"}, "data": {"a": "b"}},
    )
    assert code == 201 and (body["apiVersion"], body["kind"]) == ("v1", "ConfigMap")
    assert cluster.api.get("configmaps", "kindless", "default")["data"] == {"a": "b"}
    code, body = http.json(
        "POST",
        "/apis/apps/v1/namespaces/default/deployments",
        {
            "metadata": {"name": "kindless"},
            "spec": {
                "selector": {"matchLabels": {"app": "k"}},
                "template": {
                    "metadata": {"labels": {"app": "k"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
                },
            },
        },
    )
    assert code == 201 and (body["apiVersion"], body["kind"]) == ("apps/v1", "Deployment")


def test_a_put_without_kind_takes_it_from_the_url(served: Any) -> None:
    cluster, _, http = served
    cm = cluster.api.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "put-kindless", "namespace": "default"},
        },
        user="test",
    )
    code, body = http.json(
        "PUT",
        "/api/v1/namespaces/default/configmaps/put-kindless",
        {
            "metadata": {"name": "put-kindless", "resourceVersion": cm["metadata"]["resourceVersion"]},
            "data": {"x": "1"},
        },
    )
    assert code == 200 and body["kind"] == "ConfigMap" and body["data"] == {"x": "1"}


def test_a_group_without_version_takes_the_urls_version(served: Any) -> None:
    _, _, http = served
    code, body = http.json(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        {"kind": "ConfigMap", "apiVersion": "", "metadata": {"name": "empty-version"}},
    )
    assert code == 201 and body["apiVersion"] == "v1"


def test_version_answers_with_and_without_the_trailing_slash(served: Any) -> None:
    _, _, http = served
    code, plain = http.json("GET", "/version")
    code2, slash = http.json("GET", "/version/")
    assert (code, code2) == (200, 200) and plain == slash and plain["gitVersion"] == "v1.32.0"


def test_self_subject_review_returns_the_requesters_user_info(served: Any) -> None:
    _, _, http = served
    code, body = http.json(
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "status": {"userInfo": {"username": "someone-else"}},
        },
    )
    assert code == 201
    assert body["status"] == {
        "userInfo": {
            "username": "kubernetes-admin",
            "groups": ["kubeadm:cluster-admins", "system:authenticated"],
        }
    }
    assert body["metadata"]["creationTimestamp"]


def test_self_subject_reviews_are_discovered(served: Any) -> None:
    _, _, http = served
    code, body = http.json("GET", "/apis/authentication.k8s.io/v1")
    assert code == 200
    assert [(r["name"], r["kind"], r["verbs"]) for r in body["resources"]] == [
        ("selfsubjectreviews", "SelfSubjectReview", ["create"])
    ]


def test_kubectl_auth_whoami(kubectl: Any) -> None:
    out = kubectl("auth", "whoami")
    assert out.returncode == 0, out.stderr
    assert out.stdout == (
        "ATTRIBUTE   VALUE\nUsername    kubernetes-admin\n"
        "Groups      [kubeadm:cluster-admins system:authenticated]\n"
    )
    yaml_out = kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert yaml_out.stdout == "kubernetes-admin"


def test_kubectl_debug_node_creates_a_host_pod_on_that_node(served: Any, kubectl: Any) -> None:
    """debugByNode: a Pod named node-debugger-<node>-xxxxx with the host's root at /host (a protobuf body)."""
    cluster, _, _ = served
    out = kubectl("debug", "node/worker-1", "--image=busybox", "--profile=general")
    assert out.returncode == 0, out.stderr
    [pod] = [
        p for p in cluster.api.items("pods", "default") if p["metadata"]["name"].startswith("node-debugger-")
    ]
    assert (
        out.stdout
        == f"Creating debugging pod {pod['metadata']['name']} with container debugger on node worker-1.\n"
    )
    spec = pod["spec"]
    assert spec["nodeName"] == "worker-1" and spec["hostPID"] and spec["hostNetwork"] and spec["hostIPC"]
    assert spec["volumes"] == [{"name": "host-root", "hostPath": {"path": "/"}}]
    assert spec["containers"][0]["volumeMounts"] == [{"name": "host-root", "mountPath": "/host"}]


def test_kubectl_debug_of_a_pod_is_refused_as_without_ephemeral_containers(served: Any, kubectl: Any) -> None:
    cluster, _, _ = served
    before = cluster.api.get("pods", "web", "default")
    out = kubectl("debug", "pod/web", "--image=busybox", "--profile=general")
    assert out.returncode == 1
    assert out.stderr.endswith(
        'error: ephemeral containers are disabled for this cluster (error from server: "the '
        'server could not find the requested resource")\n'
    )
    assert cluster.api.get("pods", "web", "default") == before


def test_the_ephemeral_containers_refusal_is_a_404_status_with_empty_details(served: Any) -> None:
    _, _, http = served
    code, body = http.json(
        "PATCH",
        "/api/v1/namespaces/default/pods/web/ephemeralcontainers",
        {"spec": {"ephemeralContainers": [{"name": "d", "image": "busybox"}]}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    )
    assert code == 404 and body["reason"] == "NotFound" and body["details"] == {}
