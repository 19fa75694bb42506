"""The kubelet, as a learner meets it: nodes that register, pods that start, crash, restart and stop."""

from __future__ import annotations

import ipaddress
import itertools
import re

import pytest

import kcourse
from kcourse import ApiError
from kcourse.sim.kubelet import lifetime
from kcourse.sim.objects import condition, parse_timestamp


def small(seed: int = 0, **kw) -> kcourse.Cluster:
    return kcourse.Cluster(masters=1, workers=1, addons=False, seed=seed, **kw)


def pod(name: str = "web", image: str = "nginx:1.27", **container) -> dict:
    spec = {
        "nodeName": "worker-1",
        "containers": [{"name": container.pop("cname", "nginx"), "image": image, **container}],
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def messages(c: kcourse.Cluster, name: str, reason: str | None = None) -> list[str]:
    obj = c.api.peek("pods", name, "default")
    return [e["message"] for e in c.api.events_for(obj) if reason is None or e["reason"] == reason]


@pytest.fixture
def c() -> kcourse.Cluster:
    return small()


# --- the node ---------------------------------------------------------------------------------------


def test_each_kubelet_registers_its_node_with_labels_taints_and_node_info(c):
    master, worker = c.api.peek("nodes", "master-1"), c.api.peek("nodes", "worker-1")
    assert master["metadata"]["labels"]["node-role.kubernetes.io/control-plane"] == ""
    assert {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"} in master["spec"][
        "taints"
    ]
    assert worker["metadata"]["labels"]["kubernetes.io/hostname"] == "worker-1"
    assert not worker["spec"].get("taints")  # the cloud-node controller removed the uninitialized taint
    info = worker["status"]["nodeInfo"]
    assert (info["kubeletVersion"], info["operatingSystem"], info["architecture"]) == (
        "v1.32.0",
        "linux",
        "amd64",
    )
    assert worker["status"]["daemonEndpoints"] == {"kubeletEndpoint": {"Port": 10250}}
    assert (
        worker["status"]["allocatable"]["memory"] == "3996Mi"
        and worker["status"]["capacity"]["memory"] == "4Gi"
    )


def test_a_node_without_a_cloud_keeps_its_own_addresses_and_no_uninitialized_taint():
    c = small(cloud=False)
    node = c.api.peek("nodes", "worker-1")
    assert node["status"]["addresses"] == [
        {"type": "InternalIP", "address": "10.0.0.11"},
        {"type": "Hostname", "address": "worker-1"},
    ]
    assert not node["spec"].get("taints")


def test_a_node_is_ready_once_it_has_a_pod_cidr(c):
    ready = condition(c.api.peek("nodes", "worker-1"), "Ready")
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "True",
        "KubeletReady",
        "kubelet is posting ready status",
    )
    assert (
        condition(c.api.peek("nodes", "worker-1"), "MemoryPressure")["reason"] == "KubeletHasSufficientMemory"
    )


def test_the_lease_is_renewed_every_10_seconds(c):
    renews = [
        e.time
        for e in c.advance(30)
        if e.component == "kubelet" and e.node == "worker-1" and e.key == "kube-node-lease/worker-1"
    ]
    assert len(renews) == 3 and renews[1] - renews[0] == 10 and renews[2] - renews[1] == 10
    lease = c.api.peek("leases", "worker-1", "kube-node-lease")
    assert lease["spec"]["leaseDurationSeconds"] == 40
    assert parse_timestamp(lease["spec"]["renewTime"]) == renews[-1]


def test_static_pods_run_the_control_plane_on_masters(c):
    for name, image in (
        ("etcd", "registry.k8s.io/etcd:3.5.16-0"),
        ("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.32.0"),
        ("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.32.0"),
        ("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.32.0"),
    ):
        p = c.api.peek("pods", f"{name}-master-1", "kube-system")
        assert p["metadata"]["labels"] == {"component": name, "tier": "control-plane"}
        assert p["metadata"]["annotations"]["kubernetes.io/config.source"] == "file"
        assert p["metadata"]["ownerReferences"][0]["kind"] == "Node"
        assert p["spec"]["containers"][0]["image"] == image
        assert p["status"]["phase"] == "Running" and p["status"]["podIP"] == "10.0.0.10"


# --- starting a pod ---------------------------------------------------------------------------------


def test_a_bound_pod_runs_with_ip_conditions_and_container_status(c):
    c.apply(pod())
    c.run_until_stable()
    p = c.api.peek("pods", "web", "default")
    st = p["status"]
    assert st["phase"] == "Running"
    assert ipaddress.ip_address(st["podIP"]) in ipaddress.ip_network(
        c.api.peek("nodes", "worker-1")["spec"]["podCIDR"]
    )
    assert st["hostIP"] == "10.0.0.11"
    assert [(x["type"], x["status"]) for x in st["conditions"]] == [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", "True"),
        ("ContainersReady", "True"),
        ("PodScheduled", "True"),
    ]
    [cs] = st["containerStatuses"]
    assert (cs["ready"], cs["started"], cs["restartCount"]) == (True, True, 0)
    assert "running" in cs["state"] and re.fullmatch(r"containerd://[0-9a-f]{64}", cs["containerID"])
    assert cs["imageID"].startswith("docker.io/library/nginx@sha256:")


def test_starting_a_pod_records_the_kubelets_events(c):
    c.apply(pod())
    c.run_until_stable()
    msgs = messages(c, "web")
    assert msgs[0] == 'Pulling image "nginx:1.27"'
    assert re.fullmatch(
        r'Successfully pulled image "nginx:1\.27" in [0-9.]+s \([0-9.]+s including waiting\)\. '
        r"Image size: \d+ bytes\.",
        msgs[1],
    )
    assert msgs[2:] == ["Created container: nginx", "Started container nginx"]


def test_a_pod_is_pending_with_container_creating_while_its_image_is_pulled(c):
    c.apply(pod())
    c.run(until=c.now + 1.0)
    st = c.api.peek("pods", "web", "default")["status"]
    assert st["phase"] == "Pending"
    assert st["containerStatuses"][0]["state"] == {"waiting": {"reason": "ContainerCreating"}}


def test_init_containers_run_to_completion_first():
    c = small()
    p = pod()
    p["spec"]["initContainers"] = [
        {"name": "setup", "image": "busybox:1.36", "command": ["sh", "-c", "sleep 2"]}
    ]
    c.apply(p)
    c.run_until_stable()
    st = c.api.peek("pods", "web", "default")["status"]
    assert st["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert st["phase"] == "Running"
    created = messages(c, "web", "Created")
    assert created == ["Created container: setup", "Created container: nginx"]


def test_a_finished_container_with_restart_never_makes_the_pod_succeed(c):
    p = pod("job", "busybox:1.36", cname="task", command=["sh", "-c", "echo done"])
    p["spec"]["restartPolicy"] = "Never"
    c.apply(p)
    c.run_until_stable()
    st = c.api.peek("pods", "job", "default")["status"]
    assert st["phase"] == "Succeeded"
    assert st["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 0
    assert c.kubelet("worker-1").logs("default", "job") == "done\n"


# --- restarts ----------------------------------------------------------------------------------------


def test_a_crash_loop_backs_off_10_20_40_seconds(c):
    c.apply(pod("crash", "busybox:1.36", cname="app", command=["sh", "-c", "exit 1"]))
    events = c.run(until=c.now + 120)
    starts = [e.time for e in events if e.key == "default/crash" and e.message.startswith("StartContainer")]
    gaps = [round(b - a) for a, b in itertools.pairwise(starts)]
    assert gaps[1:4] == [11, 21, 41]  # each back-off plus the second PLEG takes to notice the exit
    notes = [e.message for e in events if e.message.startswith("PLEG") and "CrashLoopBackOff" in e.message]
    assert [re.search(r"back-off (\d+)s", m).group(1) for m in notes[:3]] == ["10", "20", "40"]


def test_a_crash_looping_container_shows_crash_loop_back_off(c):
    c.apply(pod("crash", "busybox:1.36", cname="app", command=["sh", "-c", "exit 1"]))
    c.run(until=c.now + 8)
    p = c.api.peek("pods", "crash", "default")
    cs = p["status"]["containerStatuses"][0]
    assert cs["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert cs["state"]["waiting"]["message"].startswith(
        "back-off 10s restarting failed container=app pod=crash_"
    )
    assert (
        cs["lastState"]["terminated"]["exitCode"] == 1 and cs["lastState"]["terminated"]["reason"] == "Error"
    )
    assert any(
        m.startswith("Back-off restarting failed container app in pod crash_default(")
        for m in messages(c, "crash", "BackOff")
    )


def test_crash_container_restarts_it_with_a_higher_restart_count(c):
    c.apply(pod())
    c.run_until_stable()
    c.crash_container("web", "nginx", exit_code=2)
    c.run_until_stable()
    cs = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 2


def test_a_failing_liveness_probe_kills_and_restarts_the_container(c):
    c.apply(pod(livenessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}))
    c.run_until_stable()
    c.kubelet("worker-1").set_unhealthy("default", "web", "nginx")
    c.advance(40)
    assert (
        messages(c, "web", "Unhealthy")[0] == "Liveness probe failed: HTTP probe failed with statuscode: 500"
    )
    assert "Container nginx failed liveness probe, will be restarted" in messages(c, "web", "Killing")
    cs = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and "running" in cs["state"]


def test_a_readiness_probe_decides_the_ready_condition(c):
    c.apply(pod(readinessProbe={"httpGet": {"path": "/", "port": 80}, "initialDelaySeconds": 5}))
    c.run(until=c.now + 4)
    assert condition(c.api.peek("pods", "web", "default"), "Ready")["status"] == "False"
    c.run_until_stable()
    assert condition(c.api.peek("pods", "web", "default"), "Ready")["status"] == "True"
    c.kubelet("worker-1").set_unhealthy("default", "web", readiness_only=True)
    c.advance(40)
    p = c.api.peek("pods", "web", "default")
    assert (
        condition(p, "Ready")["status"] == "False"
        and p["status"]["containerStatuses"][0]["restartCount"] == 0
    )


def test_a_readiness_probe_failing_past_its_threshold_stops_counting(c):
    c.apply(pod(readinessProbe={"httpGet": {"path": "/", "port": 80}, "periodSeconds": 10}))
    c.run_until_stable()
    c.kubelet("worker-1").set_unhealthy("default", "web", readiness_only=True)
    events = c.run(until=c.now + 60)
    trace = [e.message for e in events if e.key == "default/web" and "probe of nginx failed" in e.message]
    assert trace[:3] == [
        "Readiness probe of nginx failed (1/3)",
        "Readiness probe of nginx failed (2/3)",
        "Readiness probe of nginx failed (3/3): not ready",
    ]
    assert trace[3:] and all(m == "Readiness probe of nginx failed" for m in trace[3:])
    assert set(messages(c, "web", "Unhealthy")) == {
        "Readiness probe failed: HTTP probe failed with statuscode: 500"
    }


def test_an_image_that_cannot_be_pulled_goes_to_image_pull_back_off(c):
    c.fail_image_pull("nginx:1.27")
    c.apply(pod(image="nginx:1.27"))
    c.run(until=c.now + 5)
    waiting = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff"
    assert 'Back-off pulling image "nginx:1.27"' in messages(c, "web", "BackOff")
    assert "Error: ErrImagePull" in messages(c, "web", "Failed")
    c.fail_image_pull("nginx:1.27", failing=False)
    c.run(until=c.now + 30)
    assert c.api.peek("pods", "web", "default")["status"]["phase"] == "Running"


# --- stopping ----------------------------------------------------------------------------------------


def test_deleting_a_pod_stops_it_gracefully_and_removes_it(c):
    c.apply(pod())
    c.run_until_stable()
    ip = c.api.peek("pods", "web", "default")["status"]["podIP"]
    c.kubectl("delete pod web --wait=false")
    events = c.run_until_stable()
    rpcs = [e.message.split()[0] for e in events if e.key == "default/web" and e.verb == "cri"]
    assert rpcs == ["StopContainer", "StopPodSandbox", "RemovePodSandbox"]
    assert c.api.peek("pods", "web", "default") is None
    assert c.network.pod_at(ip) is None
    killing = [e for e in c.api.items("events", "default") if e["reason"] == "Killing"]
    assert [e["message"] for e in killing] == ["Stopping container nginx"]


def test_a_sleeping_shell_ignores_sigterm_and_is_killed_after_the_grace_period(c):
    p = pod("sleeper", "busybox:1.36", cname="app", command=["sleep", "3600"])
    p["spec"]["terminationGracePeriodSeconds"] = 5
    c.apply(p)
    c.run_until_stable()
    start = c.now
    c.kubectl("delete pod sleeper --wait=false")
    events = c.run_until_stable()
    [stop] = [e for e in events if e.message.startswith("StopContainer")]
    assert stop.time - start == pytest.approx(5, abs=0.1) and "SIGKILL after 5s" in stop.message


def test_a_pod_deleted_during_a_partition_is_stopped_after_it_heals(c):
    c.apply(pod())
    c.run_until_stable()
    c.partition_node("worker-1")
    c.kubectl("delete pod web --wait=false")
    c.advance(5)
    assert c.kubelet("worker-1").pods["default/web"].ctrs["nginx"].state == "running"
    c.heal_partition("worker-1")
    c.run_until_stable()
    assert c.api.peek("pods", "web", "default") is None


def test_a_rebooted_node_runs_its_pods_again_in_new_sandboxes(c):
    c.apply(pod())
    c.run_until_stable()
    c.fail_node("worker-1")
    c.advance(20)
    c.recover_node("worker-1")
    c.run_until_stable()
    cs = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]
    assert cs["restartCount"] == 1 and "running" in cs["state"]
    assert cs["lastState"]["terminated"]["exitCode"] == 255
    assert "Pod sandbox changed, it will be killed and re-created." in messages(c, "web", "SandboxChanged")


def test_a_stopped_kubelet_leaves_containers_running(c):
    c.apply(pod())
    c.run_until_stable()
    c.stop_kubelet("worker-1")
    c.advance(30)
    assert c.kubelet("worker-1").cri.runtime_service.ListContainers()[0].state.name == "CONTAINER_RUNNING"


# --- how long a generic container runs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["sh", "-c", "while true; do echo hi; sleep 10; done"], None),
        (["/bin/sh", "-c", "while :; do date; sleep 1; done"], None),
        (["sh", "-c", "until false; do sleep 5; done"], None),
        (["sleep", "30"], (30.0, 0)),
        (["sleep", "infinity"], None),
        (["sh", "-c", "exit 3"], (0.05, 3)),
        (["sh", "-c", "echo start; sleep 2; exit 1"], (2.0, 1)),
        (["sh", "-c", "sleep 1m && exit 2"], (60.0, 2)),
        (["sh", "-c", "[ -f /ready ] || exit 1; sleep 10"], (10.0, 0)),
        (["sh", "-c", "for i in 1 2 3; do echo $i; sleep 2; done"], (6.0, 0)),
        (["sh", "-c", "while true; do sleep 5; exit 4; done"], (5.0, 4)),
        (["sh", "-c", "false"], (0.05, 1)),
        (["sh", "-c", "tail -f /dev/null"], None),
        (["nginx", "-g", "daemon off;"], None),
    ],
)
def test_lifetime_reads_common_shell_commands(command, expected):
    assert lifetime({"command": command}) == expected


def test_a_while_true_loop_with_a_sleep_keeps_running(c):
    c.apply(
        pod(
            "loop",
            "busybox:1.36",
            cname="app",
            command=["sh", "-c", "while true; do echo hi; sleep 10; done"],
        )
    )
    c.advance(120)
    cs = c.api.peek("pods", "loop", "default")["status"]["containerStatuses"][0]
    assert "running" in cs["state"] and cs["restartCount"] == 0


# --- logs and determinism ---------------------------------------------------------------------------------


def test_logs_serve_the_container_output_and_the_previous_error(c):
    c.apply(pod())
    c.run_until_stable()
    kubelet = c.kubelet("worker-1")
    out = kubelet.logs("default", "web")
    assert "/docker-entrypoint.sh: Configuration complete; ready for start up\n" in out
    assert kubelet.logs("default", "web", tail=1).endswith("start worker processes\n")
    assert kubelet.logs("default", "web", timestamps=True).startswith("2025-01-01T09:")
    with pytest.raises(ApiError, match='previous terminated container "nginx" in pod "web" not found'):
        kubelet.logs("default", "web", previous=True)
    [path] = [p for p in kubelet.log_files() if "_default_nginx-" in p]
    assert path.startswith("/var/log/containers/web_default_nginx-")


def test_logs_of_a_crash_looping_container_serve_its_last_run_and_previous_the_one_before(c):
    c.apply(pod())
    c.run_until_stable()
    kubelet = c.kubelet("worker-1")
    first = kubelet.logs("default", "web", timestamps=True)
    c.advance(5)
    c.crash_container("web", "nginx")  # the first restart is immediate
    c.advance(5)
    second = kubelet.logs("default", "web", timestamps=True)
    assert second != first and kubelet.logs("default", "web", previous=True, timestamps=True) == first
    c.crash_container("web", "nginx")  # now it waits in CrashLoopBackOff
    c.advance(3)
    state = c.api.peek("pods", "web", "default")["status"]["containerStatuses"][0]["state"]
    assert state["waiting"]["reason"] == "CrashLoopBackOff"
    # validateContainerLogStatus: both read lastState.terminated, the run that just ended.
    assert kubelet.logs("default", "web", timestamps=True) == second
    assert kubelet.logs("default", "web", previous=True, timestamps=True) == second


def test_logs_of_a_container_that_never_ran_say_why_it_waits(c):
    c.fail_image_pull("nginx:9.99")
    c.apply(pod(image="nginx:9.99"))
    c.run(until=c.now + 5)
    with pytest.raises(
        ApiError, match='container "nginx" in pod "web" is waiting to start: trying and failing to pull image'
    ):
        c.kubelet("worker-1").logs("default", "web")


def test_the_same_seed_gives_the_same_trace():
    traces = []
    for _ in range(2):
        c = small(seed=7)
        c.apply(pod())
        c.run_until_stable()
        traces.append(c.trace())
    assert traces[0] == traces[1]
