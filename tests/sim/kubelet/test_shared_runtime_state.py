"""What the runtime and the kubelet keep per Pod: what Pods of one template have in common is held once.

A runtime keeps each sandbox's and container's config while they live (containerd's sandbox and
container stores, ``internal/cri/store``); the kubelet builds them in ``generatePodSandboxConfig``
(``pkg/kubelet/kuberuntime/kuberuntime_sandbox.go``) and ``generateContainerConfig``
(``kuberuntime_container.go``).  Here the configs of Pods of one Deployment share their DNS config,
command, empty lists and restart-count annotations; a CRI call's record shares its runtime's chain of
hops; a log file shares one prefix among the lines written at one instant.  What a learner reads —
``ListPodSandbox``, ``ListContainers``, ``ContainerStatus``, ``kubectl logs``, the trace — is unchanged.
"""

from __future__ import annotations

import pytest

import kcourse
from kcourse.sim.kubelet.logs import LogFile


def deployment(name: str = "web", replicas: int = 3, namespace: str = "default", **container) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.27", **container}]},
            },
        },
    }


@pytest.fixture(scope="module")
def cluster() -> kcourse.Cluster:
    c = kcourse.Cluster(masters=1, workers=1, addons=False, seed=0)
    c.kubectl("create namespace lab")
    c.apply(deployment(command=["nginx", "-g", "daemon off;"], env=[{"name": "MODE", "value": "x"}]))
    c.apply(deployment("other", 2, "lab"))
    c.run_until_stable()
    return c


def sandboxes(c: kcourse.Cluster, namespace: str) -> list:
    rt = c.kubelet("worker-1").cri
    return [s for s in rt.sandboxes.values() if s.config.metadata.namespace == namespace]


def test_the_sandboxes_of_one_namespace_share_one_dns_config_and_hold_their_pods_names(cluster):
    web, lab = sandboxes(cluster, "default"), sandboxes(cluster, "lab")
    assert len(web) == 3 and len(lab) == 2
    assert all(s.config.dns_config is web[0].config.dns_config for s in web)
    assert lab[0].config.dns_config is lab[1].config.dns_config is not web[0].config.dns_config
    assert lab[0].config.dns_config.searches == [
        "lab.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
    ]
    kl = cluster.kubelet("worker-1")
    for s in web:
        record = kl.pods[f"default/{s.config.metadata.name}"]
        assert s.config.metadata.name is record.name and s.config.hostname is record.name
        assert s.config.log_directory is record.log_directory
        assert s.config.labels["io.kubernetes.pod.name"] is record.name
        assert s.subject == record.key


def test_the_containers_of_one_template_share_its_lists_and_annotations(cluster):
    rt = cluster.kubelet("worker-1").cri
    web = {s.id for s in sandboxes(cluster, "default")}
    configs = [c.config for c in rt.containers.values() if c.sandbox_id in web]
    assert len(configs) == 3
    first = configs[0]
    assert first.command == ["nginx", "-g", "daemon off;"]
    assert [(e.key, e.value) for e in first.envs] == [("MODE", "x")]
    for cfg in configs[1:]:
        assert cfg.command is first.command and cfg.image is first.image
        assert cfg.annotations is first.annotations == {"io.kubernetes.container.restartCount": "0"}
        assert cfg.log_path is first.log_path == "app/0.log"
        assert cfg.labels is not first.labels  # each names its own Pod


def test_what_a_learner_reads_of_the_runtime_is_a_copy_of_what_it_shares(cluster):
    rt = cluster.kubelet("worker-1").cri
    [listed] = [
        c for c in rt.runtime_service.ListContainers() if c.labels["io.kubernetes.pod.namespace"] == "lab"
    ][:1]
    status = rt.runtime_service.ContainerStatus(listed.id)
    status.annotations["io.kubernetes.container.restartCount"] = "7"
    status.labels.clear()
    again = rt.runtime_service.ContainerStatus(listed.id)
    assert again.annotations == {"io.kubernetes.container.restartCount": "0"}
    assert again.labels["io.kubernetes.container.name"] == "app"
    sandbox = next(s for s in rt.runtime_service.ListPodSandbox() if s.metadata.namespace == "lab")
    st = rt.runtime_service.PodSandboxStatus(sandbox.id)
    st.annotations["x"] = "y"
    assert rt.runtime_service.PodSandboxStatus(sandbox.id).annotations == {}


def test_a_call_record_keeps_its_runtimes_hops_once_and_reads_as_the_whole_chain(cluster):
    rt = cluster.kubelet("worker-1").cri
    calls = list(rt.calls)
    oci = [r for r in calls if r.rpc in ("RunPodSandbox", "CreateContainer", "StartContainer")]
    daemon = [r for r in calls if r.rpc in ("PodSandboxStatus", "ImageStatus")]
    assert oci and daemon
    assert all(r.hops is oci[0].hops for r in oci) and all(r.hops is daemon[0].hops for r in daemon)
    assert oci[0].hops == "kubelet → containerd (CRI plugin) → containerd-shim-runc-v2 → runc"
    start = next(r for r in oci if r.rpc == "StartContainer")
    assert start.chain == start.hops + start.detail and start.detail.startswith(" start (")
    assert start.message == f"StartContainer {start.subject}: {start.chain}"
    rt.runtime_service.Status()
    assert rt.calls[-1].chain == "kubelet → containerd (CRI plugin)"
    removed = rt._record("ImageService", "RemoveImage", "nginx:1.27", "now", oci=False)
    assert removed.chain == "kubelet → containerd (CRI plugin) now"


def test_the_lines_a_program_writes_at_one_instant_share_one_prefix(cluster):
    kl = cluster.kubelet("worker-1")
    files = [f for f in kl.log_files().values() if len(f)]
    assert files
    f = files[0]
    assert isinstance(f, LogFile)
    assert len({id(prefix) for prefix in f._prefixes}) == 1  # nginx writes its start-up lines at once
    lines = list(f)
    assert lines[0].endswith(
        " stdout F /docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt "
        "to perform configuration"
    )
    assert f[0] == lines[0] and f[-1] == lines[-1] and f[-2:] == lines[-2:] and f[:] == lines
    assert f == lines and f != lines[:-1] and len(f) == len(lines)
    assert kl.logs("default", kl.pods[next(k for k in kl.pods if k.startswith("default/web"))].name).endswith(
        "start worker processes\n"
    )


def test_a_log_file_reads_as_the_list_of_its_lines():
    f = LogFile()
    f.write("2025-01-01T09:00:05.000000000Z stdout F ", "one")
    f.append("2025-01-01T09:00:06.000000000Z stderr F two")
    assert (
        list(f)
        == f[:]
        == [
            "2025-01-01T09:00:05.000000000Z stdout F one",
            "2025-01-01T09:00:06.000000000Z stderr F two",
        ]
    )
    assert f[1].split(" ", 3)[1] == "stderr" and f[-1:] == [f[1]]
    with pytest.raises(IndexError):
        f[2]
    assert repr(f) == repr(list(f))


def test_a_containers_program_writes_to_its_log_file_stamped_by_the_nodes_clock(cluster):
    kl = cluster.kubelet("worker-1")
    rec = kl.pods[next(k for k in kl.pods if k.startswith("lab/"))]
    ctr = rec.ctrs["app"]
    log = ctr.program.ctx.log
    assert log is kl.log_store[f"{rec.log_directory}/app/0.log"]
    before = len(log)
    log("hello", "stderr")
    log("again", "stderr")
    assert len(log) == before + 2 and log[-1].endswith(" stderr F again")
    assert log._prefixes[-1] is log._prefixes[-2]
    assert log[-1].split(" ", 1)[0] == f"{log[-1][:26]}000Z" and log[-1].startswith("2025-")
    with pytest.raises(TypeError, match="no clock"):
        LogFile()("a line")
