"""The served API at the HTTP level: authentication, discovery, Tables, watches, errors, time and the lock."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

import kcourse
from kcourse.sim.discovery import AGGREGATED


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, http_for: Any) -> Any:
    """A booted cluster served with its clock standing still; bookmarks every half second."""
    cluster = kcourse.Cluster(seed=0)
    handle = counted_serve(
        cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config", bookmark_interval=0.5
    )
    yield cluster, handle, http_for(handle)
    handle.stop()


def test_a_request_without_the_token_gets_401_unauthorized(served: Any) -> None:
    _, _, http = served
    code, body = http.json("GET", "/api/v1/pods", token=None)
    assert code == 401
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_version_and_health(served: Any) -> None:
    _, _, http = served
    code, version = http.json("GET", "/version")
    assert (code, version["gitVersion"], version["major"], version["minor"]) == (200, "v1.32.0", "1", "32")
    for path in ("/healthz", "/livez", "/readyz"):
        assert http.request("GET", path)[::2] == (200, b"ok")
    code, _, text = http.request("GET", "/readyz?verbose")
    assert text.decode().endswith(
        "[+]etcd ok\n[+]poststarthook/start-apiextensions-informers ok\n"
        "[+]poststarthook/bootstrap-controller ok\nreadyz check passed\n"
    )


def test_the_kubeconfig_names_a_context_after_the_cluster(served: Any) -> None:
    import yaml

    _, handle, _ = served
    config = yaml.safe_load(handle.kubeconfig.read_text())
    assert config["current-context"] == "kubernetes-admin@kcourse"
    assert config["clusters"][0] == {
        "name": "kcourse",
        "cluster": {
            "server": handle.url,
            "certificate-authority-data": config["clusters"][0]["cluster"]["certificate-authority-data"],
        },
    }
    assert config["users"][0] == {"name": "kubernetes-admin", "user": {"token": handle.token}}
    assert handle.url.startswith("https://127.0.0.1:")


def test_legacy_discovery_lists_subresources_with_their_groups(served: Any) -> None:
    _, _, http = served
    code, core = http.json("GET", "/api/v1")
    by_name = {r["name"]: r for r in core["resources"]}
    assert by_name["pods"]["shortNames"] == ["po"] and by_name["pods"]["namespaced"] is True
    assert (
        by_name["pods/eviction"]["group"],
        by_name["pods/eviction"]["version"],
        by_name["pods/eviction"]["kind"],
    ) == ("policy", "v1", "Eviction")
    code, apps = http.json("GET", "/apis/apps/v1")
    assert {r["name"]: r.get("group") for r in apps["resources"]}["deployments/scale"] == "autoscaling"
    code, groups = http.json("GET", "/apis")
    assert code == 200
    assert [g["name"] for g in groups["groups"]] == [
        "apps",
        "discovery.k8s.io",
        "coordination.k8s.io",
        "storage.k8s.io",
        "batch",
        "scheduling.k8s.io",
        "metrics.k8s.io",
        "authorization.k8s.io",
        "authentication.k8s.io",
    ]


def test_aggregated_discovery_when_the_client_asks_for_it(served: Any) -> None:
    _, _, http = served
    code, headers, data = http.request("GET", "/apis", headers={"Accept": AGGREGATED + ",application/json"})
    assert code == 200
    assert headers["content-type"] == AGGREGATED
    body = json.loads(data)
    assert body["kind"] == "APIGroupDiscoveryList"
    apps = next(i for i in body["items"] if i["metadata"]["name"] == "apps")
    deployments = next(r for r in apps["versions"][0]["resources"] if r["resource"] == "deployments")
    assert {
        "subresource": "scale",
        "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
        "verbs": ["get", "patch", "update"],
    } in deployments["subresources"]


def test_a_table_has_the_printed_columns_with_wide_ones_at_priority_1(served: Any) -> None:
    _, _, http = served
    code, table = http.json(
        "GET", "/api/v1/nodes", headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    )
    assert (code, table["kind"]) == (200, "Table")
    columns = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
    assert columns[:5] == [("NAME", 0), ("STATUS", 0), ("ROLES", 0), ("AGE", 0), ("VERSION", 0)]
    assert ("INTERNAL-IP", 1) in columns
    assert table["rows"][0]["cells"][:3] == ["master-1", "Ready", "control-plane"]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_field_selectors_on_events_involved_object(served: Any) -> None:
    _, _, http = served
    code, events = http.json(
        "GET", "/api/v1/events?fieldSelector=involvedObject.kind%3DNode,involvedObject.name%3Dworker-2"
    )
    assert code == 200 and events["items"]
    assert {e["involvedObject"]["name"] for e in events["items"]} == {"worker-2"}


def test_errors_are_status_objects_with_the_real_reason(served: Any) -> None:
    _, _, http = served
    code, body = http.json("GET", "/api/v1/namespaces/default/pods/nosuch")
    assert (code, body["reason"], body["message"], body["details"]) == (
        404,
        "NotFound",
        'pods "nosuch" not found',
        {"name": "nosuch", "kind": "pods"},
    )
    code, body = http.json("GET", "/apis/apps/v1/namespaces/default/widgets")
    assert (code, body["message"]) == (404, "the server could not find the requested resource")
    code, body = http.json(
        "PATCH", "/api/v1/namespaces/default/pods/x", {}, headers={"Content-Type": "text/plain"}
    )
    assert (code, body["reason"]) == (415, "UnsupportedMediaType")


def test_create_with_dry_run_does_not_store(served: Any) -> None:
    cluster, _, http = served
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "dry"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    code, body = http.json("POST", "/api/v1/namespaces/default/pods?dryRun=All", pod)
    assert code == 201 and body["metadata"]["uid"]
    assert cluster.api.peek("pods", "dry", "default") is None


def test_delete_collection_by_label(served: Any) -> None:
    cluster, _, http = served
    for name in ("a", "b"):
        code, _ = http.json(
            "POST",
            "/api/v1/namespaces/default/configmaps",
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"x": "1"}}},
        )
        assert code == 201
    code, body = http.json("DELETE", "/api/v1/namespaces/default/configmaps?labelSelector=x%3D1")
    assert (code, sorted(i["metadata"]["name"] for i in body["items"])) == (200, ["a", "b"])
    assert cluster.api.peek("configmaps", "a", "default") is None


def test_a_chunked_request_body_is_read(served: Any) -> None:
    cluster, _, http = served
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chunked"}}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
    code, _, _ = http.request(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        chunked,
        headers={"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
    )
    assert code == 201 and cluster.api.peek("configmaps", "chunked", "default") is not None


def test_dry_run_patch_answers_the_result_and_stores_nothing(served: Any) -> None:
    cluster, _, http = served
    before = cluster.etcd.revision
    code, body = http.json(
        "PATCH",
        "/api/v1/nodes/worker-1?dryRun=All",
        {"spec": {"unschedulable": True}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert (code, body["spec"]["unschedulable"]) == (200, True)
    assert not cluster.api.peek("nodes", "worker-1")["spec"].get("unschedulable")
    assert cluster.etcd.revision == before


def test_binding_puts_a_pod_on_a_node_once(served: Any) -> None:
    cluster, _, http = served
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "bind-me"},
        "spec": {"containers": [{"name": "c", "image": "nginx"}]},
    }
    assert http.json("POST", "/api/v1/namespaces/default/pods", pod)[0] == 201
    binding = {
        "apiVersion": "v1",
        "kind": "Binding",
        "metadata": {"name": "bind-me"},
        "target": {"apiVersion": "v1", "kind": "Node", "name": "worker-2"},
    }
    code, body = http.json("POST", "/api/v1/namespaces/default/pods/bind-me/binding", binding)
    assert (code, body["status"]) == (201, "Success")
    assert cluster.api.peek("pods", "bind-me", "default")["spec"]["nodeName"] == "worker-2"
    code, body = http.json("POST", "/api/v1/namespaces/default/pods/bind-me/binding", binding)
    assert (code, body["message"]) == (
        409,
        (
            'Operation cannot be fulfilled on pods "bind-me": pod bind-me is '
            'already assigned to node "worker-2"'
        ),
    )


def test_status_changes_only_through_the_status_subresource(served: Any) -> None:
    cluster, _, http = served
    patch = {"status": {"phase": "Failed"}}
    headers = {"Content-Type": "application/merge-patch+json"}
    pod = "/api/v1/namespaces/kube-system/pods/etcd-master-1"
    assert http.json("PATCH", pod, patch, headers=headers)[0] == 200
    assert cluster.api.peek("pods", "etcd-master-1", "kube-system")["status"]["phase"] == "Running"
    code, body = http.json("PATCH", pod + "/status", patch, headers=headers)
    assert (code, body["status"]["phase"]) == (200, "Failed")


def read_events(http: Any, path: str, seconds: float) -> list[dict]:
    """A watch's events, read until the server ends it."""
    code, _, data = http.request("GET", path, timeout=seconds + 5)
    assert code == 200
    return [json.loads(line) for line in data.decode().splitlines()]


def test_watch_streams_changes_made_while_it_runs(served: Any) -> None:
    cluster, _, http = served
    rv = cluster.api.list("namespaces")["metadata"]["resourceVersion"]

    def create_later() -> None:
        time.sleep(0.3)
        with cluster.lock:
            cluster.api.create(
                {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}, user="t"
            )

    threading.Thread(target=create_later).start()
    events = read_events(http, f"/api/v1/namespaces?watch=true&resourceVersion={rv}&timeoutSeconds=1", 1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "team-a")]


def test_watch_from_version_0_starts_with_the_current_state(served: Any) -> None:
    cluster, _, http = served
    events = read_events(http, "/api/v1/nodes?watch=true&resourceVersion=0&timeoutSeconds=1", 1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", n["metadata"]["name"]) for n in cluster.api.items("nodes")
    ]


def test_watch_sends_bookmarks_when_allowed(served: Any) -> None:
    _, _, http = served
    events = read_events(
        http, "/api/v1/pods?watch=1&resourceVersion=0&allowWatchBookmarks=true&timeoutSeconds=2", 2
    )
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[0]["object"]["kind"] == "Pod"
    assert int(bookmarks[0]["object"]["metadata"]["resourceVersion"]) > 0


def test_watch_from_a_compacted_version_ends_with_a_410_error_event(served: Any) -> None:
    cluster, _, http = served
    with cluster.lock:
        old = cluster.etcd.revision - 10
        cluster.etcd.compact(cluster.etcd.revision)
    events = read_events(http, f"/api/v1/pods?watch=true&resourceVersion={old}", 1)
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old} (")


def test_requests_are_counted_per_verb_and_resource(served: Any) -> None:
    _, handle, http = served
    before = handle.requests[("list", "nodes")]
    http.json("GET", "/api/v1/nodes")
    assert handle.requests[("list", "nodes")] == before + 1


def test_a_request_waits_for_the_step_in_progress(served: Any) -> None:
    cluster, _, http = served
    with cluster.lock:  # as if a notebook step were running
        result: list[int] = []
        t = threading.Thread(target=lambda: result.append(http.json("GET", "/api/v1/nodes")[0]))
        t.start()
        time.sleep(0.3)
        assert result == []
    t.join(5)
    assert result == [200]


def test_the_clock_moves_only_when_the_cluster_runs(served: Any) -> None:
    cluster, _, http = served
    before = cluster.now
    http.json("GET", "/api/v1/pods")
    time.sleep(0.2)
    assert cluster.now == before


def test_real_time_mode_advances_the_simulated_clock() -> None:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
    with cluster.serve(realtime=True, speed=20.0) as handle:
        before = cluster.now
        time.sleep(0.5)
        assert cluster.now - before >= 5
    assert not handle.running


def test_stop_closes_the_port(tmp_path: Any, http_for: Any) -> None:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
    handle = cluster.serve(kubeconfig=tmp_path / "config")
    http = http_for(handle)
    assert http.json("GET", "/version")[0] == 200
    handle.stop()
    with pytest.raises(OSError):
        http.json("GET", "/version", timeout=2)


def test_with_every_master_down_requests_get_503(tmp_path: Any, http_for: Any) -> None:
    cluster = kcourse.Cluster(masters=1, workers=0, addons=False, cloud=False, seed=0)
    with cluster.serve(kubeconfig=tmp_path / "config") as handle:
        http = http_for(handle)
        cluster.fail_node("master-1")
        code, body = http.json("GET", "/api/v1/nodes")
        assert (code, body["reason"]) == (503, "ServiceUnavailable")
        assert http.request("GET", "/readyz")[0] == 500


def test_the_simulation_loads_no_http_machinery() -> None:
    code = (
        "import sys, kcourse; kcourse.Cluster(masters=1, workers=1, seed=0); "
        "print(sorted(m for m in ('http.server', 'ssl', 'kcourse.serve') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_kcourse_serve_prints_the_kubeconfig_to_export(tmp_path: Any) -> None:
    import io

    from kcourse.cli import build_parser
    from kcourse.serve.cli import _serve

    args = build_parser().parse_args(
        ["serve", "--workers", "0", "--speed", "5", "--kubeconfig", str(tmp_path / "config")]
    )
    out = io.StringIO()
    assert _serve(args, out, forever=False) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Serving cluster 'kcourse' at https://127.0.0.1:")
    assert lines[1] == f"export KUBECONFIG={tmp_path / 'config'}"
