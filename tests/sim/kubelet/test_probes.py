"""Probes that probe: what a container's program serves decides whether httpGet, tcpSocket, grpc and exec
pass."""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.objects import condition


def small(seed: int = 0) -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=seed)


def pod(name: str = "web", image: str = "nginx:1.27", **container) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {"nodeName": "worker-1", "containers": [{"name": "app", "image": image, **container}]},
    }


def messages(c: kcourse.Cluster, name: str, reason: str) -> list[str]:
    obj = c.api.peek("pods", name, "default")
    return [e["message"] for e in c.api.events_for(obj) if e["reason"] == reason]


def status(c: kcourse.Cluster, name: str) -> dict:
    return c.api.peek("pods", name, "default")["status"]


def ready(c: kcourse.Cluster, name: str) -> str:
    return condition(c.api.peek("pods", name, "default"), "Ready")["status"]


@pytest.fixture
def c() -> kcourse.Cluster:
    return small()


def test_a_liveness_probe_on_a_port_nobody_listens_on_is_connection_refused_and_restarts_the_container(c):
    """pkg/probe/http/http.go: a failed request is a failure whose output is the client's error (``Get "url":
    dial tcp …: connect: connection refused``); prober.go records ``%s probe failed: %s`` (Unhealthy);
    kuberuntime_manager.go kills with "Container %s failed liveness probe, will be restarted"."""
    c.apply(
        pod(
            livenessProbe={"httpGet": {"path": "/", "port": 8080}, "periodSeconds": 10, "failureThreshold": 3}
        )
    )
    c.run(until=c.now + 40)
    ip = status(c, "web")["podIP"]
    assert messages(c, "web", "Unhealthy")[0] == (
        f'Liveness probe failed: Get "http://{ip}:8080/": dial tcp {ip}:8080: connect: connection refused'
    )
    assert "Container app failed liveness probe, will be restarted" in messages(c, "web", "Killing")
    assert status(c, "web")["containerStatuses"][0]["restartCount"] >= 1


def test_the_right_port_and_path_pass_and_the_container_keeps_running(c):
    c.apply(
        pod(
            livenessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5},
            readinessProbe={"httpGet": {"path": "/index.html", "port": 80}, "periodSeconds": 5},
        )
    )
    c.run(until=c.now + 60)
    assert messages(c, "web", "Unhealthy") == []
    cs = status(c, "web")["containerStatuses"][0]
    assert cs["restartCount"] == 0 and cs["ready"] is True and ready(c, "web") == "True"


def test_nginx_answers_healthz_with_404_so_a_readiness_probe_there_keeps_the_pod_unready(c):
    """http.go: a status outside 200–399 is ``HTTP probe failed with statuscode: %d``."""
    c.apply(pod(readinessProbe={"httpGet": {"path": "/healthz", "port": 80}, "periodSeconds": 5}))
    c.run(until=c.now + 30)
    assert set(messages(c, "web", "Unhealthy")) == {
        "Readiness probe failed: HTTP probe failed with statuscode: 404"
    }
    assert ready(c, "web") == "False" and status(c, "web")["containerStatuses"][0]["restartCount"] == 0


def test_a_named_port_is_resolved_from_the_containers_ports(c):
    c.apply(
        pod(
            ports=[{"name": "http", "containerPort": 80}],
            readinessProbe={"httpGet": {"path": "/", "port": "http"}},
        )
    )
    c.apply(
        pod(
            "typo",
            ports=[{"name": "http", "containerPort": 80}],
            readinessProbe={"httpGet": {"path": "/", "port": "htpp"}},
        )
    )
    c.run(until=c.now + 20)
    assert ready(c, "web") == "True"
    assert ready(c, "typo") == "False"
    assert messages(c, "typo", "Unhealthy")[0] == "Readiness probe errored: port htpp not found"


def test_busybox_serves_nothing_so_a_tcp_probe_is_refused(c):
    """pkg/probe/tcp/tcp.go: the dial error is the output (``dial tcp …: connect: connection refused``)."""
    c.apply(pod(image="busybox:1.36", command=["sleep", "3600"], readinessProbe={"tcpSocket": {"port": 80}}))
    c.run(until=c.now + 20)
    ip = status(c, "web")["podIP"]
    assert (
        messages(c, "web", "Unhealthy")[0]
        == f"Readiness probe failed: dial tcp {ip}:80: connect: connection refused"
    )
    assert ready(c, "web") == "False"


def test_a_tcp_probe_passes_on_the_port_the_image_listens_on(c):
    c.apply(
        pod(
            image="redis:7",
            livenessProbe={"tcpSocket": {"port": 6379}},
            readinessProbe={"tcpSocket": {"port": 6379}},
        )
    )
    c.run(until=c.now + 30)
    assert ready(c, "web") == "True" and messages(c, "web", "Unhealthy") == []


def test_an_nginx_whose_command_is_replaced_serves_nothing(c):
    c.apply(pod(command=["sh", "-c", "sleep 3600"], readinessProbe={"tcpSocket": {"port": 80}}))
    c.run(until=c.now + 20)
    assert ready(c, "web") == "False"


def test_an_http_probe_to_a_port_that_does_not_speak_http_fails_with_the_clients_error(c):
    c.apply(pod(image="redis:7", readinessProbe={"httpGet": {"path": "/", "port": 6379}}))
    c.run(until=c.now + 10)
    assert messages(c, "web", "Unhealthy")[0].startswith('Readiness probe failed: Get "http://')
    assert (
        "net/http: HTTP/1.x transport connection broken: malformed HTTP response"
        in messages(c, "web", "Unhealthy")[0]
    )


def test_https_to_a_plain_http_server_is_refused_by_the_client(c):
    c.apply(pod(readinessProbe={"httpGet": {"path": "/", "port": 80, "scheme": "HTTPS"}}))
    c.run(until=c.now + 10)
    assert messages(c, "web", "Unhealthy")[0].endswith("http: server gave HTTP response to HTTPS client")


def test_exec_probe_follows_the_files_the_containers_script_writes_and_removes(c):
    """The task "Define a liveness command" (kubernetes.io docs): ``touch /tmp/healthy; sleep 30; rm -f
    /tmp/healthy; sleep 600`` with ``cat /tmp/healthy`` every 5 s after 5 s — healthy for 30 s, then
    busybox's cat fails and after three failures the kubelet restarts the container.  pkg/probe/exec/exec.go:
    a non-zero exit is a failure whose output is the message."""
    c.apply(
        pod(
            "liveness-exec",
            image="registry.k8s.io/busybox",
            args=["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"],
            livenessProbe={
                "exec": {"command": ["cat", "/tmp/healthy"]},
                "initialDelaySeconds": 5,
                "periodSeconds": 5,
            },
        )
    )
    c.run(until=c.now + 30)
    assert messages(c, "liveness-exec", "Unhealthy") == []
    c.run(until=c.now + 30)
    assert (
        messages(c, "liveness-exec", "Unhealthy")[0]
        == "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
    )
    assert "Container app failed liveness probe, will be restarted" in messages(c, "liveness-exec", "Killing")


def test_exec_probe_commands_run_through_cri_exec_sync(c):
    c.apply(
        pod(
            image="busybox:1.36",
            command=["sleep", "3600"],
            readinessProbe={"exec": {"command": ["sh", "-c", "test -f /tmp/ready || exit 3"]}},
        )
    )
    c.run(until=c.now + 15)
    calls = [r for r in c.kubelet("worker-1").cri.calls if r.rpc == "ExecSync"]
    assert calls and "test -f /tmp/ready || exit 3" in calls[0].message
    assert ready(c, "web") == "False"


def test_the_http_liveness_example_fails_after_ten_seconds():
    """The task "Define a liveness HTTP request": registry.k8s.io/liveness answers /healthz with 200 for 10 s,
    then 500; with initialDelaySeconds 3 and periodSeconds 3 the kubelet restarts it."""
    c = small()
    c.apply(
        pod(
            "liveness-http",
            image="registry.k8s.io/liveness",
            args=["/server"],
            livenessProbe={
                "httpGet": {"path": "/healthz", "port": 8080},
                "initialDelaySeconds": 3,
                "periodSeconds": 3,
            },
        )
    )
    c.run(until=c.now + 25)
    assert (
        messages(c, "liveness-http", "Unhealthy")[0]
        == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    )
    assert status(c, "liveness-http")["containerStatuses"][0]["restartCount"] == 1


def test_a_grpc_probe_passes_on_etcds_health_service_and_times_out_elsewhere(c):
    """pkg/probe/grpc/grpc.go: a port without a gRPC server never connects: ``timeout: failed to connect
    service %q within %v: context deadline exceeded``."""
    c.apply(
        pod(
            "etcd",
            image="registry.k8s.io/etcd:3.5.1-0",
            command=["/usr/local/bin/etcd"],
            livenessProbe={"grpc": {"port": 2379}, "initialDelaySeconds": 5},
        )
    )
    c.apply(pod("web", readinessProbe={"grpc": {"port": 80}, "timeoutSeconds": 2}))
    c.run(until=c.now + 30)
    assert messages(c, "etcd", "Unhealthy") == []
    ip = status(c, "web")["podIP"]
    assert (
        messages(c, "web", "Unhealthy")[0]
        == f'Readiness probe failed: timeout: failed to connect service "{ip}:80" within 2s: '
        "context deadline exceeded"
    )


def test_a_slow_answer_past_timeout_seconds_fails(c):
    """http.go: the client's timeout is ``timeoutSeconds``: ``context deadline exceeded (Client.Timeout
    exceeded while awaiting headers)``."""
    c.registry.push("slow:1", serves=[{"port": 8080, "paths": {"/": 200}, "latency": 2}])
    c.apply(pod("slow", image="slow:1", readinessProbe={"httpGet": {"path": "/", "port": 8080}}))
    c.apply(
        pod(
            "patient",
            image="slow:1",
            readinessProbe={"httpGet": {"path": "/", "port": 8080}, "timeoutSeconds": 5},
        )
    )
    c.run(until=c.now + 20)
    assert messages(c, "slow", "Unhealthy")[0].endswith(
        "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
    )
    assert ready(c, "slow") == "False" and ready(c, "patient") == "True"


def test_a_startup_probe_holds_liveness_back_and_restarts_when_it_runs_out(c):
    """worker.go: liveness and readiness do not run before the startup probe succeeded; a startup probe
    failing ``failureThreshold`` times restarts the container (``failed startup probe, will be
    restarted``)."""
    c.apply(
        pod(
            startupProbe={"httpGet": {"path": "/", "port": 8080}, "failureThreshold": 3, "periodSeconds": 5},
            livenessProbe={"httpGet": {"path": "/", "port": 80}},
        )
    )
    c.run(until=c.now + 20)
    unhealthy = messages(c, "web", "Unhealthy")
    assert unhealthy and all(m.startswith("Startup probe failed:") for m in unhealthy)
    assert "Container app failed startup probe, will be restarted" in messages(c, "web", "Killing")
    assert status(c, "web")["containerStatuses"][0]["started"] is False


def test_success_threshold_needs_that_many_passes_in_a_row(c):
    c.apply(
        pod(readinessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10, "successThreshold": 3})
    )
    c.run(until=c.now + 15)
    assert ready(c, "web") == "False"
    c.run(until=c.now + 20)
    assert ready(c, "web") == "True"


def test_readiness_decides_the_service_endpoints():
    """A failing readiness probe leaves the Pod out of its Service's ready endpoints (EndpointSlice
    ``conditions.ready``), and the container is not restarted."""
    c = small()
    c.apply(pod("good", readinessProbe={"httpGet": {"path": "/", "port": 80}}))
    bad = pod("bad", readinessProbe={"httpGet": {"path": "/", "port": 8080}})
    bad["metadata"]["labels"] = {"app": "good"}
    c.apply(bad)
    c.apply(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "good"},
            "spec": {"selector": {"app": "good"}, "ports": [{"port": 80}]},
        }
    )
    c.run(until=c.now + 30)
    eps = c.api.peek("endpoints", "good", "default")
    ready_ips = [a["ip"] for s in eps.get("subsets") or [] for a in s.get("addresses") or []]
    not_ready = [a["ip"] for s in eps.get("subsets") or [] for a in s.get("notReadyAddresses") or []]
    assert ready_ips == [status(c, "good")["podIP"]] and not_ready == [status(c, "bad")["podIP"]]
    assert status(c, "bad")["containerStatuses"][0]["restartCount"] == 0
