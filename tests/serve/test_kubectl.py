"""A learner's terminal session with the real kubectl against the served, simulated cluster.

The cluster runs in real time at 10x, so ``rollout status``, ``drain`` and
``delete`` see their waits end as they would on a real cluster.  Every
command's exit code and the key lines of its output are checked.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

MANIFESTS = Path(__file__).parent / "manifests"
NGINX = str(MANIFESTS / "nginx-deployment.yaml")


@pytest.fixture(scope="module")
def deployed(kubectl: Any, live: tuple[Any, Any]) -> Any:
    """The documentation's nginx Deployment, applied once and rolled out."""
    applied = kubectl("apply", "-f", NGINX)
    kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=60s")
    return applied


def nginx_pods(cluster: Any) -> list[dict]:
    return [
        p
        for p in cluster.api.items("pods", "default")
        if (p["metadata"].get("labels") or {}).get("app") == "nginx"
    ]


def test_get_nodes_lists_the_control_plane_and_the_workers(kubectl: Any) -> None:
    r = kubectl("get", "nodes")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["master-1", "Ready", "control-plane"],
        ["worker-1", "Ready", "<none>"],
        ["worker-2", "Ready", "<none>"],
        ["worker-3", "Ready", "<none>"],
    ]


def test_get_pods_all_namespaces_wide_shows_where_each_pod_runs(kubectl: Any) -> None:
    r = kubectl("get", "pods", "-A", "-o", "wide")
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0]
    assert header.split() == [
        "NAMESPACE",
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
        "IP",
        "NODE",
        "NOMINATED",
        "NODE",
        "READINESS",
        "GATES",
    ]
    assert any(
        line.split()[:2] == ["kube-system", "kube-apiserver-master-1"] and "master-1" in line.split()
        for line in r.stdout.splitlines()
    )


def test_apply_creates_the_nginx_deployment_and_a_second_apply_changes_nothing(
    kubectl: Any, deployed: Any
) -> None:
    assert deployed.returncode == 0, deployed.stderr
    assert deployed.stdout == "deployment.apps/nginx-deployment created\n"
    again = kubectl("apply", "-f", NGINX)
    assert (again.returncode, again.stdout) == (0, "deployment.apps/nginx-deployment unchanged\n")


def test_rollout_status_waits_until_the_replicas_are_available(kubectl: Any, deployed: Any) -> None:
    r = kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=60s")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == 'deployment "nginx-deployment" successfully rolled out'


def test_scale_to_five_replicas(kubectl: Any, deployed: Any, live: tuple[Any, Any]) -> None:
    r = kubectl("scale", "deployment/nginx-deployment", "--replicas=5")
    assert (r.returncode, r.stdout) == (0, "deployment.apps/nginx-deployment scaled\n"), r.stderr
    status = kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=60s")
    assert status.returncode == 0, status.stderr
    r = kubectl("get", "deployment", "nginx-deployment")
    assert r.stdout.splitlines()[1].split()[:4] == ["nginx-deployment", "5/5", "5", "5"]


def test_get_pods_watch_prints_the_changes_as_they_happen(
    kubectl: Any, deployed: Any, live: tuple[Any, Any], wait_for: Any
) -> None:
    cluster = live[0]
    victim = wait_for(lambda: nginx_pods(cluster))[0]["metadata"]["name"]
    proc = kubectl.popen("get", "pods", "-l", "app=nginx", "-w")
    time.sleep(1.5)
    with cluster.lock:
        cluster.api.delete("pods", victim, "default", user="kubectl")
    time.sleep(2.0)
    proc.terminate()
    out, err = proc.communicate(timeout=10)
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"], err
    seen = [line.split()[2] for line in lines if line.startswith(victim)]
    assert seen[0] == "Running" and len(seen) >= 2, out  # listed first, then its deletion streamed in
    assert any("Terminating" == s or "Completed" == s for s in seen[1:]) or len(lines) > len(
        nginx_pods(cluster)
    ), out


def test_describe_pod_shows_its_controller_and_events(
    kubectl: Any, deployed: Any, live: tuple[Any, Any], wait_for: Any
) -> None:
    name = wait_for(
        lambda: [
            p
            for p in nginx_pods(live[0])
            if p["status"].get("phase") == "Running" and not p["metadata"].get("deletionTimestamp")
        ]
    )[0]["metadata"]["name"]
    r = kubectl("describe", "pod", name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Name:             {name}\nNamespace:        default\n")
    assert "Controlled By:  ReplicaSet/nginx-deployment-" in r.stdout
    assert "Image:          nginx:1.14.2" in r.stdout
    assert "Normal  Scheduled" in r.stdout and "Started container nginx" in r.stdout


def test_logs_of_the_deployment_come_from_the_kubelet(kubectl: Any, deployed: Any) -> None:
    r = kubectl("logs", "deployment/nginx-deployment", "--tail=2")
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 2
    assert "[notice] 1#1: start worker processes" in r.stdout


def test_logs_follow_streams_until_kubectl_is_stopped(kubectl: Any, deployed: Any) -> None:
    proc = kubectl.popen("logs", "-f", "deployment/nginx-deployment")
    time.sleep(2.0)
    assert proc.poll() is None  # still following
    proc.terminate()
    out, _ = proc.communicate(timeout=10)
    assert "[notice] 1#1: nginx/1.14.2" in out


def test_server_side_apply_creates_then_updates(kubectl: Any, live: tuple[Any, Any], manifests: Path) -> None:
    manifest = kubectl.home / "ssa.yaml"
    manifest.write_text(
        (manifests / "nginx-deployment.yaml").read_text().replace("nginx-deployment", "ssa-demo")
    )
    r = kubectl("apply", "--server-side", "-f", str(manifest))
    assert (r.returncode, r.stdout) == (0, "deployment.apps/ssa-demo serverside-applied\n"), r.stderr
    manifest.write_text(manifest.read_text().replace("replicas: 3", "replicas: 1"))
    r = kubectl("apply", "--server-side", "-f", str(manifest))
    assert (r.returncode, r.stdout) == (0, "deployment.apps/ssa-demo serverside-applied\n"), r.stderr
    assert live[0].api.peek("deployments", "ssa-demo", "default")["spec"]["replicas"] == 1
    assert kubectl("delete", "-f", str(manifest)).stdout == 'deployment.apps "ssa-demo" deleted\n'


def test_diff_shows_the_change_without_making_it(kubectl: Any, deployed: Any, live: tuple[Any, Any]) -> None:
    changed = kubectl.home / "nginx-7.yaml"
    changed.write_text(Path(NGINX).read_text().replace("replicas: 3", "replicas: 7"))
    r = kubectl("diff", "-f", str(changed))
    assert r.returncode == 1, r.stderr  # 1: differences found
    assert "-  replicas: " in r.stdout and "+  replicas: 7" in r.stdout
    assert live[0].api.peek("deployments", "nginx-deployment", "default")["spec"]["replicas"] != 7


def test_cordon_then_drain_evicts_everything_but_daemonset_pods(
    kubectl: Any, deployed: Any, live: tuple[Any, Any]
) -> None:
    cluster = live[0]
    r = kubectl("cordon", "worker-1")
    assert (r.returncode, r.stdout) == (0, "node/worker-1 cordoned\n"), r.stderr
    r = kubectl("drain", "worker-1", "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=60s")
    assert r.returncode == 0, r.stderr
    assert "Warning: ignoring DaemonSet-managed Pods: kube-system/fluent-bit-" in r.stderr
    assert r.stdout.splitlines()[-1] == "node/worker-1 drained"
    left = [
        p["metadata"]["name"]
        for p in cluster.api.items("pods")
        if p["spec"].get("nodeName") == "worker-1"
        and not any(o["kind"] == "DaemonSet" for o in p["metadata"].get("ownerReferences") or [])
    ]
    assert left == []
    assert kubectl("get", "node", "worker-1").stdout.splitlines()[1].split()[1] == "Ready,SchedulingDisabled"
    r = kubectl("uncordon", "worker-1")
    assert (r.returncode, r.stdout) == (0, "node/worker-1 uncordoned\n")


def test_get_events_lists_what_the_components_recorded(kubectl: Any, deployed: Any) -> None:
    r = kubectl("get", "events")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert any(
        line.split()[1:4] == ["Normal", "ScalingReplicaSet", "deployment/nginx-deployment"]
        for line in r.stdout.splitlines()
    )
    assert "Scaled up replica set nginx-deployment-" in r.stdout


def test_an_invalid_manifest_is_refused_with_the_field_and_the_reason(kubectl: Any) -> None:
    r = kubectl("apply", "-f", str(MANIFESTS / "broken-deployment.yaml"))
    assert r.returncode == 1
    assert r.stderr == (
        'The Deployment "broken" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"web"}: `selector` does not match template `labels`\n'
    )


def test_replace_with_a_stale_resource_version_is_a_conflict(kubectl: Any, deployed: Any) -> None:
    stale = kubectl.home / "stale.yaml"
    stale.write_text(kubectl("get", "deployment", "nginx-deployment", "-o", "yaml").stdout)
    assert kubectl("label", "deployment", "nginx-deployment", "tier=web").returncode == 0
    r = kubectl("replace", "-f", str(stale))
    assert r.returncode == 1
    assert r.stderr == (
        f'Error from server (Conflict): error when replacing "{stale}": Operation cannot be '
        'fulfilled on deployments.apps "nginx-deployment": the object has been modified; please '
        "apply your changes to the latest version and try again\n"
    )


def test_get_a_missing_pod_is_not_found(kubectl: Any) -> None:
    r = kubectl("get", "pod", "nosuch")
    assert (r.returncode, r.stderr) == (1, 'Error from server (NotFound): pods "nosuch" not found\n')


def test_without_the_token_kubectl_must_log_in(kubectl: Any) -> None:
    config = kubectl.home / "wrong-token"
    config.write_text(kubectl.kubeconfig.read_text().replace("token: ", "token: x"))
    r = kubectl("--kubeconfig", str(config), "get", "pods")
    assert r.returncode == 1
    # "(Unauthorized)" from the 401 Status of the list; discovery, when not cached, words it differently.
    assert r.stderr.splitlines()[-1] in (
        "error: You must be logged in to the server (Unauthorized)",
        (
            "error: You must be logged in to the server (the server has asked for the "
            "client to provide credentials)"
        ),
    )


def test_delete_the_deployment_and_its_pods_go(
    kubectl: Any, deployed: Any, live: tuple[Any, Any], wait_for: Any
) -> None:
    r = kubectl("delete", "deployment", "nginx-deployment")
    assert (r.returncode, r.stdout) == (0, 'deployment.apps "nginx-deployment" deleted\n'), r.stderr
    wait_for(lambda: not nginx_pods(live[0]), timeout=60)
    r = kubectl("get", "deployments")
    assert (r.returncode, r.stderr) == (0, "No resources found in default namespace.\n")


def test_create_subcommands_send_protobuf_and_the_objects_arrive_intact(
    kubectl: Any, live: tuple[Any, Any]
) -> None:
    cluster = live[0]
    for args, printed in (
        (
            ["deployment", "web", "--image=nginx:1.25", "--port=80", "--replicas=0"],
            "deployment.apps/web created",
        ),
        (["namespace", "team-a"], "namespace/team-a created"),
        (["configmap", "settings", "--from-literal=color=blue"], "configmap/settings created"),
        (["secret", "generic", "token", "--from-literal=key=s3cr3t"], "secret/token created"),
        (["service", "clusterip", "web", "--tcp=80:80"], "service/web created"),
    ):
        r = kubectl("create", *args)
        assert (r.returncode, r.stdout) == (0, printed + "\n"), r.stderr
    web = cluster.api.peek("deployments", "web", "default")
    assert web["spec"]["replicas"] == 0  # a pointer field: zero is kept
    assert web["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]
    assert cluster.api.peek("configmaps", "settings", "default")["data"] == {"color": "blue"}
    assert cluster.api.peek("secrets", "token", "default")["data"] == {"key": "czNjcjN0"}
    assert cluster.api.peek("services", "web", "default")["spec"]["ports"][0]["targetPort"] == 80
    assert cluster.api.peek("namespaces", "team-a") is not None


def test_top_nodes_reads_the_metrics_api(kubectl: Any) -> None:
    r = kubectl("top", "nodes")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0].split() == ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
    assert [line.split()[0] for line in r.stdout.splitlines()[1:]] == [
        "master-1",
        "worker-1",
        "worker-2",
        "worker-3",
    ]


def test_auth_can_i_answers_yes_for_the_admin(kubectl: Any) -> None:
    r = kubectl("auth", "can-i", "create", "deployments")
    assert (r.returncode, r.stdout) == (0, "yes\n"), r.stderr


def test_exec_is_refused_with_a_reason(kubectl: Any) -> None:
    r = kubectl("exec", "-n", "kube-system", "etcd-master-1", "--", "ls")
    assert r.returncode == 1
    assert r.stderr == (
        "Error from server (BadRequest): exec is not supported by the simulated cluster: its "
        "containers are simulated programs, with no process to stream to or from\n"
    )


def test_explain_reads_the_openapi_schemas(kubectl: Any) -> None:
    r = kubectl("explain", "deployment.spec.replicas")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(
        "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n"
    )
    assert "Number of desired pods." in r.stdout
    r = kubectl("explain", "pod.spec.containers.ports")
    assert "containerPort\t<integer> -required-" in r.stdout
