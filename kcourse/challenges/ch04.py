"""The chapter's challenges: fourteen broken clusters, each fixed with a few ``kubectl`` commands.

Each challenge trains one section of the chapter and one of its learning
objectives (the ids of ``kcourse/quiz/banks/ch04.yaml``).  The faults are
ones the simulated cluster reproduces faithfully today: the scheduler's
reasons for leaving a Pod Pending (``Insufficient cpu``, a cordoned node, an
untolerated taint, a node selector nothing matches, no scheduler by that
name), a container that exits (``CrashLoopBackOff``), a readiness probe on
the wrong port, an image tag the registry does not have
(``ImagePullBackOff``), a Service whose selector matches no Pod, a node
that powers off, a Deployment to scale, a deleted object to find in etcd's
history, CoreDNS scaled to zero, and a kube-proxy DaemonSet Pod missing
from one node.

How a challenge is built: the starting state comes from manifests applied
as ``kubectl apply`` applies them (so a learner's later ``kubectl apply``
merges as it would in a real cluster), from kubectl commands (``cordon``,
``label``) and from faults (``fail_node``); the instance's parameters —
which node is hit, how many replicas, which typo — come from the seeded
random generator of :meth:`ChallengeSpec.instance`.

Simplified: each cluster is one control plane node and three workers (two
CPUs each) so every challenge starts in a second; the "usual" replica counts
and the typos are drawn from short lists.
"""

from __future__ import annotations

import random
from typing import Any

from kcourse.cluster import Cluster
from kcourse.sim.cri import image_repository

from .intent import (
    controlled_pods,
    deployment_problems,
    node_names,
    pod_state,
    ready,
    service_problems,
    the_object,
)
from .model import Baseline, ChallengeSpec, Reader

__all__ = ["CHALLENGES"]

CHAPTER = "ch04"
WORKERS = ("worker-1", "worker-2", "worker-3")
#: How long a setup lets the cluster run to reach its broken state (simulated seconds).
SETTLE = 120.0


# --- building blocks ----------------------------------------------------------------------------------------


def deployment(
    name: str,
    replicas: int,
    image: str,
    *,
    labels: dict[str, str] | None = None,
    pod: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
    namespace: str = "default",
) -> dict[str, Any]:
    """A Deployment manifest as a learner writes one: one container, labels ``app: <name>`` unless given."""
    labels = labels or {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": labels["app"]}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {**(pod or {}), "containers": [{"name": name, "image": image, **(container or {})}]},
            },
        },
    }


def service(name: str, selector: dict[str, str], port: int, target: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": selector, "ports": [{"port": port, "targetPort": target, "protocol": "TCP"}]},
    }


def kubectl(cluster: Cluster, command: str) -> str:
    """Run a setup command; a setup that kubectl refuses is a bug of the challenge, so it raises."""
    from kcourse.sim.kubectl import Kubectl

    with cluster.lock:
        code, out, err = Kubectl(cluster).run_full(command)
    if code:
        raise RuntimeError(f"challenge setup: kubectl {command} failed: {err.strip()}")
    return out


def uid(cluster: Cluster, resource: str, name: str, namespace: str | None = "default") -> str:
    return str(cluster.get(resource, name, namespace)["metadata"]["uid"])


def settle(cluster: Cluster, seconds: float = SETTLE) -> None:
    with cluster.lock:
        cluster.run_until_stable(timeout=seconds)


def node_label(reader: Reader, node: str, key: str) -> str | None:
    obj = reader.get("nodes", node)
    return None if obj is None else (obj["metadata"].get("labels") or {}).get(key)


def deployment_pods(reader: Reader, namespace: str, uid_: str) -> list[dict]:
    return [p for p in controlled_pods(reader, namespace, uid_) if not p["metadata"].get("deletionTimestamp")]


def requests_of(reader: Reader, name: str, namespace: str = "default") -> dict[str, Any]:
    obj = reader.get("deployments", name, namespace)
    if obj is None:
        return {}
    containers = obj["spec"]["template"]["spec"].get("containers") or [{}]
    return dict((containers[0].get("resources") or {}).get("requests") or {})


# --- 1. Pending: Insufficient cpu ---------------------------------------------------------------------------


def _cpu_params(rng: random.Random) -> dict[str, Any]:
    return {
        "hog": rng.choice(["load-test", "stress", "soak-test"]),
        "hog_cpu": rng.choice(["1400m", "1500m"]),
        "replicas": rng.choice([2, 3]),
        "cpu": rng.choice(["600m", "700m", "800m"]),
    }


def _cpu_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(
        deployment(
            p["hog"],
            3,
            "busybox:1.36",
            container={
                "command": ["sh", "-c", "echo generating load; sleep infinity"],
                "resources": {"requests": {"cpu": p["hog_cpu"]}},
            },
        )
    )
    settle(cluster)
    cluster.apply(
        deployment(
            "web",
            p["replicas"],
            "nginx:1.27",
            container={
                "ports": [{"containerPort": 80}],
                "resources": {"requests": {"cpu": p["cpu"], "memory": "128Mi"}},
            },
        )
    )
    settle(cluster)
    return {"web": uid(cluster, "deployments", "web")}


def _cpu_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(r, "default", "web", b["web"], p["replicas"], "nginx")
    cpu = requests_of(r, "web").get("cpu")
    if cpu is not None and cpu != p["cpu"]:
        problems.append(
            f"web must keep its CPU request of {p['cpu']} (it asks for {cpu} now): it needs that much "
            "to serve; make room for it instead"
        )
    return problems


INSUFFICIENT_CPU = ChallengeSpec(
    name="pending-insufficient-cpu",
    title="Pending: Insufficient cpu",
    chapter=CHAPTER,
    section="pods",
    objective="pod-network",
    goal=(
        "The web Deployment ({replicas} replicas of nginx, each requesting {cpu} of CPU) stays Pending. "
        "Find out why the scheduler places none of its Pods and make room for them, so that all {replicas} "
        "run and are Ready, keeping web's CPU request as it is."
    ),
    hints=(
        (
            "`kubectl describe pod` on a Pending Pod shows the scheduler's FailedScheduling event: which "
            "filter rejected each node?"
        ),
        (
            "`kubectl describe node worker-1` lists the CPU every Pod on it requests under 'Non-terminated "
            "Pods'. Which workload holds most of it, and is it still needed?"
        ),
        (
            "The scheduler counts requests, not use: a Deployment of idle Pods that request CPU still fills "
            "the nodes. Scaling it down frees its requests at once."
        ),
    ),
    solution=("kubectl scale deployment {hog} --replicas=0",),
    success="All web Pods are Running and Ready: the scheduler found room once the forgotten {hog} let go of "
    "its CPU requests.",
    params=_cpu_params,
    setup=_cpu_setup,
    check=_cpu_check,
    workload=(("deployments", "default", "web"),),
)


# --- 2. Pending: a cordoned node ----------------------------------------------------------------------------


def _pods(replicas: int, name: str) -> str:
    """ "its Pod" or "all 2 of its Pods", as a goal says it."""
    return f"the {name} Pod" if replicas == 1 else f"all {replicas} {name} Pods"


def _cordon_params(rng: random.Random) -> dict[str, Any]:
    replicas = rng.choice([1, 2])
    return {"node": rng.choice(WORKERS), "replicas": replicas, "pods": _pods(replicas, "cache")}


def _cordon_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    kubectl(cluster, f"label node {p['node']} disktype=ssd")
    kubectl(cluster, f"cordon {p['node']}")
    settle(cluster, 30)
    cluster.apply(
        deployment(
            "cache",
            p["replicas"],
            "redis:7.4",
            pod={"nodeSelector": {"disktype": "ssd"}},
            container={"ports": [{"containerPort": 6379}]},
        )
    )
    settle(cluster)
    return {"cache": uid(cluster, "deployments", "cache")}


def _cordon_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(
        r,
        "default",
        "cache",
        b["cache"],
        p["replicas"],
        "redis",
        nodes=[p["node"]],
        node_words=f"the SSD node {p['node']}",
    )
    if node_label(r, p["node"], "disktype") != "ssd":
        problems.append(f"node {p['node']} must keep its label disktype=ssd: it is the node with the SSD")
    return problems


CORDONED = ChallengeSpec(
    name="pending-cordoned-node",
    title="Pending: a cordoned node",
    chapter=CHAPTER,
    section="scheduler",
    objective="control-plane",
    goal=(
        "The cache Deployment must run on the one node with an SSD, {node} (labelled disktype=ssd), but its "
        "Pods stay Pending. The disk firmware update that {node} was taken out of scheduling for is done. "
        "Get {pods} Running and Ready on {node}."
    ),
    hints=(
        "Read the FailedScheduling event of a cache Pod: the scheduler gives one reason per node.",
        (
            "'node(s) were unschedulable' means the node is cordoned (spec.unschedulable: true); "
            "`kubectl get nodes` shows it as SchedulingDisabled."
        ),
        "The opposite of `kubectl cordon` puts a node back into scheduling.",
    ),
    solution=("kubectl uncordon {node}",),
    success="cache runs on {node}: an uncordoned node takes new Pods again.",
    params=_cordon_params,
    setup=_cordon_setup,
    check=_cordon_check,
    workload=(("deployments", "default", "cache"),),
)


# --- 3. Pending: an untolerated taint (a rollout stuck on it) -----------------------------------------------

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}


def _taint_params(rng: random.Random) -> dict[str, Any]:
    return {"node": rng.choice(WORKERS), "epochs": rng.choice([10, 20, 50])}


def _trainer(tolerate: bool, epochs: int) -> dict[str, Any]:
    pod: dict[str, Any] = {"nodeSelector": {"accelerator": "nvidia-gpu"}}
    if tolerate:
        pod["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    return deployment(
        "trainer",
        1,
        "busybox:1.36",
        pod=pod,
        container={
            "command": ["sh", "-c", "echo training; sleep infinity"],
            "env": [{"name": "EPOCHS", "value": str(epochs)}],
        },
    )


def _taint_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    kubectl(cluster, f"label node {p['node']} accelerator=nvidia-gpu")
    with cluster.lock:
        node = cluster.get("nodes", p["node"])
        node["spec"]["taints"] = list(node["spec"].get("taints") or []) + [dict(GPU_TAINT)]
        cluster.api.update(node, user="kubernetes-admin")
    settle(cluster, 30)
    cluster.apply(_trainer(True, p["epochs"]))
    settle(cluster)
    cluster.apply(_trainer(False, p["epochs"] * 2))  # "tidied up": the toleration went with the old lines
    settle(cluster)
    return {"trainer": uid(cluster, "deployments", "trainer")}


def _has_gpu_taint(r: Reader, node: str) -> bool:
    obj = r.get("nodes", node)
    return obj is not None and any(
        t.get("key") == GPU_TAINT["key"] and t.get("effect") == GPU_TAINT["effect"]
        for t in obj["spec"].get("taints") or []
    )


def _taint_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(
        r,
        "default",
        "trainer",
        b["trainer"],
        1,
        "busybox",
        nodes=[p["node"]],
        node_words=f"the GPU node {p['node']}",
    )
    if not _has_gpu_taint(r, p["node"]):
        problems.append(
            f"node {p['node']} must keep its taint nvidia.com/gpu=present:NoSchedule: it keeps "
            "workloads that need no GPU off the GPU node"
        )
    return problems


UNTOLERATED_TAINT = ChallengeSpec(
    name="pending-untolerated-taint",
    title="Pending: an untolerated taint",
    chapter=CHAPTER,
    section="scheduler",
    objective="control-plane",
    goal=(
        "A colleague tidied up the trainer Deployment's manifest and applied it; its rollout has not "
        "finished since: the new Pod stays Pending while the old one still runs on the GPU node {node}. Get "
        "trainer rolled out to one Running and Ready Pod on {node}, and leave the node's taint in place."
    ),
    hints=(
        (
            "`kubectl rollout status deployment/trainer` waits; `kubectl get pods -o wide` shows an old Pod "
            "Running and a new one Pending."
        ),
        (
            "The FailedScheduling event names an untolerated taint on {node}. Compare the two revisions: "
            "`kubectl rollout history deployment/trainer --revision=1` and `--revision=2`."
        ),
        (
            "The tidied manifest lost the Pod's toleration of nvidia.com/gpu. Bring back the revision that "
            "had it, or add the toleration again."
        ),
    ),
    solution=("kubectl rollout undo deployment/trainer",),
    success=(
        "trainer runs on the GPU node again: its Pods tolerate the node's taint, and the taint still keeps "
        "everything else off."
    ),
    params=_taint_params,
    setup=_taint_setup,
    check=_taint_check,
    workload=(("deployments", "default", "trainer"),),
)


# --- 4. Pending: a node selector that matches nothing -------------------------------------------------------


def _selector_params(rng: random.Random) -> dict[str, Any]:
    ssd = sorted(rng.sample(WORKERS, rng.choice([1, 2])))
    return {
        "ssd": ssd,
        "ssd_list": " and ".join(ssd),
        "ssd_args": " ".join(ssd),
        "replicas": rng.choice([2, 3]),
        "wrong": rng.choice(["disk-type", "disk_type", "disktype.kubernetes.io"]),
    }


def _selector_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    for node in p["ssd"]:
        kubectl(cluster, f"label node {node} {p['wrong']}=ssd")
    cluster.apply(
        deployment(
            "search",
            p["replicas"],
            "httpd:2.4",
            pod={"nodeSelector": {"disktype": "ssd"}},
            container={"ports": [{"containerPort": 80}]},
        )
    )
    settle(cluster)
    return {"search": uid(cluster, "deployments", "search")}


def _selector_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(
        r,
        "default",
        "search",
        b["search"],
        p["replicas"],
        "httpd",
        nodes=p["ssd"],
        node_words=f"a node with an SSD ({p['ssd_list']})",
    )
    for node in node_names(r):
        if node not in p["ssd"] and node_label(r, node, "disktype") == "ssd":
            problems.append(f"node {node} has no SSD but is labelled disktype=ssd")
    return problems


NODE_SELECTOR = ChallengeSpec(
    name="pending-node-selector",
    title="Pending: a node selector that matches nothing",
    chapter=CHAPTER,
    section="scheduler",
    objective="control-plane",
    goal=(
        "The search Deployment asks for nodes labelled disktype=ssd, and its Pods stay Pending. The nodes "
        "that have SSDs are {ssd_list}; the script that labelled them had a typo. Get all {replicas} search "
        "Pods Running and Ready on nodes with an SSD, without labelling any other node as one."
    ),
    hints=(
        "The FailedScheduling event says the nodes didn't match the Pod's node affinity/selector.",
        (
            "`kubectl get nodes --show-labels` (or `-L disktype`) shows what the nodes are labelled with. "
            "Compare it with the Pod's spec.nodeSelector."
        ),
        "`kubectl label node NAME KEY=VALUE` adds the label the selector asks for.",
    ),
    solution=("kubectl label nodes {ssd_args} disktype=ssd",),
    success="search runs on the SSD nodes: a nodeSelector matches node labels exactly, key and value.",
    params=_selector_params,
    setup=_selector_setup,
    check=_selector_check,
    workload=(("deployments", "default", "search"),),
)


# --- 5. CrashLoopBackOff: a command that exits --------------------------------------------------------------


def _crash_params(rng: random.Random) -> dict[str, Any]:
    return {
        "replicas": rng.choice([2, 3]),
        "flag": rng.choice(["--queue", "--broker", "--topic"]),
        "code": rng.choice([1, 2]),
    }


def _worker(p: dict[str, Any], script: str) -> dict[str, Any]:
    return deployment("worker", p["replicas"], "busybox:1.36", container={"command": ["sh", "-c", script]})


def _crash_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(_worker(p, "echo worker started; sleep infinity"))
    settle(cluster)
    cluster.apply(_worker(p, f"echo 'worker: unknown flag {p['flag']}'; exit {p['code']}"))
    with cluster.lock:
        cluster.advance(SETTLE)  # a crash loop never settles: let it reach its back-off
    return {"worker": uid(cluster, "deployments", "worker")}


def _crash_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(r, "default", "worker", b["worker"], p["replicas"], "busybox")
    for pod in deployment_pods(r, "default", b["worker"]):
        restarts = sum(
            cs.get("restartCount", 0) for cs in (pod.get("status") or {}).get("containerStatuses") or []
        )
        if ready(pod) and restarts:
            problems.append(
                f"pod {pod['metadata']['name']} has restarted {restarts} time(s): its container does "
                "not stay up"
            )
    return problems


CRASHLOOP = ChallengeSpec(
    name="crashloop-command",
    title="CrashLoopBackOff: a command that exits",
    chapter=CHAPTER,
    section="kubelet",
    objective="worker-node",
    goal=(
        "A new revision of the worker Deployment was applied and its Pod keeps restarting; the rollout is "
        "stuck. Get worker back to {replicas} Running and Ready Pods that stay up, all of one revision."
    ),
    hints=(
        (
            "`kubectl get pods` shows CrashLoopBackOff and a growing RESTARTS count: the kubelet starts the "
            "container, it exits, and the kubelet waits longer each time before starting it again."
        ),
        (
            "`kubectl logs POD --previous` shows what the container printed before it exited; `kubectl "
            "describe pod` shows its exit code."
        ),
        (
            "The container's command is wrong in the new revision. `kubectl rollout history "
            "deployment/worker` lists the revisions; the previous one worked."
        ),
    ),
    solution=("kubectl rollout undo deployment/worker",),
    success="worker runs {replicas} Pods of the revision that works; the kubelet has nothing to restart.",
    params=_crash_params,
    setup=_crash_setup,
    check=_crash_check,
    workload=(("deployments", "default", "worker"),),
)


# --- 6. A Service with no endpoints -------------------------------------------------------------------------


def _svc_params(rng: random.Random) -> dict[str, Any]:
    key, good, typo = rng.choice(
        [("tier", "frontend", "front-end"), ("tier", "frontend", "fronted"), ("app", "web", "wbe")]
    )
    return {"replicas": rng.choice([2, 3]), "key": key, "good": good, "typo": typo}


def _svc_labels() -> dict[str, str]:
    return {"app": "web", "tier": "frontend"}


def _svc_service(p: dict[str, Any], value: str) -> dict[str, Any]:
    selector = dict(_svc_labels())
    selector[p["key"]] = value
    return service("web", selector, 80, 80)


def _svc_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(
        deployment(
            "web",
            p["replicas"],
            "nginx:1.27",
            labels=_svc_labels(),
            container={"ports": [{"containerPort": 80}]},
        )
    )
    cluster.apply(_svc_service(p, p["typo"]))
    settle(cluster)
    return {"web": uid(cluster, "deployments", "web"), "service": uid(cluster, "services", "web")}


def _svc_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(r, "default", "web", b["web"], p["replicas"], "nginx")
    pods = deployment_pods(r, "default", b["web"])
    return problems + service_problems(r, "default", "web", b["service"], pods, 80)


NO_ENDPOINTS = ChallengeSpec(
    name="service-no-endpoints",
    title="A Service with no endpoints",
    chapter=CHAPTER,
    section="network",
    objective="pod-network",
    goal=(
        "The web Service answers nobody: connections to its ClusterIP are refused, although the {replicas} "
        "web Pods run. Make the Service send traffic to every Ready web Pod, keeping both the Service (its "
        "ClusterIP is in clients' configuration) and the Deployment."
    ),
    hints=(
        (
            "`kubectl get endpointslices -l kubernetes.io/service-name=web` shows no endpoints: kube-proxy "
            "has nowhere to send the Service's traffic."
        ),
        "Compare `kubectl get service web -o wide` (its SELECTOR) with `kubectl get pods --show-labels`.",
        (
            "`kubectl set selector service web KEY=VALUE,…` replaces the selector (so does `kubectl edit "
            "service web`); deleting the Service would give it a new ClusterIP."
        ),
    ),
    solution=("kubectl set selector service web app=web,tier=frontend",),
    success=(
        "The Service's EndpointSlice lists every Ready web Pod, so kube-proxy on every node forwards to them."
    ),
    params=_svc_params,
    setup=_svc_setup,
    check=_svc_check,
    workload=(("deployments", "default", "web"), ("services", "default", "web")),
)


# --- 7. A worker node fails ---------------------------------------------------------------------------------


def _node_params(rng: random.Random) -> dict[str, Any]:
    return {"replicas": rng.choice([3, 4]), "pick": rng.randrange(1 << 16)}


def _node_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(
        deployment("api", p["replicas"], "nginx:1.27", container={"ports": [{"containerPort": 80}]})
    )
    settle(cluster)
    hosts = sorted(
        {pod["spec"]["nodeName"] for pod in cluster.pods() if pod["metadata"]["name"].startswith("api-")}
    )
    failed = hosts[p["pick"] % len(hosts)]
    with cluster.lock:
        cluster.fail_node(failed)
        cluster.advance(
            cluster.FAULT_DETECTION_WINDOW
        )  # the node controller notices: NotReady, Pods not Ready
    return {"api": uid(cluster, "deployments", "api"), "node": failed}


def _node_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    node = b["node"]
    problems = []
    obj = r.get("nodes", node)
    if obj is not None and not obj["spec"].get("unschedulable"):
        problems.append(
            f"node {node} is still schedulable: cordon it so nothing new is placed on a machine that is down"
        )
    others = [n for n in WORKERS if n != node]
    problems += deployment_problems(
        r,
        "default",
        "api",
        b["api"],
        p["replicas"],
        "nginx",
        nodes=others,
        node_words=f"a working node ({' or '.join(others)})",
    )
    return problems


NODE_FAILURE = ChallengeSpec(
    name="node-failure",
    title="A worker node fails",
    chapter=CHAPTER,
    section="controllers",
    objective="reconcile",
    goal=(
        "A worker node has just lost power, and the api Deployment ({replicas} replicas) is short of Ready "
        "Pods. Find the node, take it out of scheduling, and get api back to {replicas} Running and Ready "
        "Pods on the working nodes now, instead of waiting five minutes for the Pods to be evicted."
    ),
    hints=(
        (
            "`kubectl get nodes` shows which node is NotReady; `kubectl get pods -o wide` shows which api "
            "Pods were on it."
        ),
        (
            "The ReplicaSet controller counts a Pod on a dead node as existing until it is deleted; the node "
            "lifecycle controller only evicts it after the Pod's 300-second toleration of "
            "node.kubernetes.io/unreachable."
        ),
        (
            "Cordon the node, then delete its api Pods. A kubelet that is down never confirms a deletion, so "
            "delete them with --grace-period=0 --force (or drain with a --timeout)."
        ),
    ),
    solution=(
        "kubectl cordon {node}",
        "kubectl delete pods -l app=api --field-selector spec.nodeName={node} --grace-period=0 --force",
    ),
    success=(
        "api is back to {replicas} Ready Pods on the working nodes, and the failed node takes no new Pods."
    ),
    params=_node_params,
    setup=_node_setup,
    check=_node_check,
    workload=(("deployments", "default", "api"),),
)


# --- 8. Scale without downtime ------------------------------------------------------------------------------


def _scale_params(rng: random.Random) -> dict[str, Any]:
    return {"replicas": rng.choice([4, 5, 6])}


def _scale_setup(cluster: Cluster, _p: dict[str, Any]) -> Baseline:
    cluster.apply(deployment("shop", 2, "nginx:1.27", container={"ports": [{"containerPort": 80}]}))
    cluster.apply(service("shop", {"app": "shop"}, 80, 80))
    settle(cluster)
    pods = sorted(
        pod["metadata"]["uid"] for pod in cluster.pods() if pod["metadata"]["name"].startswith("shop-")
    )
    return {
        "shop": uid(cluster, "deployments", "shop"),
        "service": uid(cluster, "services", "shop"),
        "pods": pods,
    }


def _scale_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    obj, problems = the_object(r, "deployments", "deployment.apps", "shop", "default", b["shop"])
    if obj is None:
        return problems
    problems = deployment_problems(r, "default", "shop", b["shop"], p["replicas"], "nginx")
    pods = deployment_pods(r, "default", b["shop"])
    alive = {pod["metadata"]["uid"] for pod in pods if ready(pod)}
    gone = [u for u in b["pods"] if u not in alive]
    if gone:
        problems.append(
            f"{len(gone)} of the 2 Pods that served shop before were replaced: customers on them "
            "lost their connections; scale out without restarting anything"
        )
    if obj["spec"].get("replicas") != p["replicas"]:
        problems.append(
            f"shop should run exactly {p['replicas']} replicas, not {obj['spec'].get('replicas')}"
        )
    problems += service_problems(r, "default", "shop", b["service"], pods, 80)
    return problems


SCALE = ChallengeSpec(
    name="scale-without-downtime",
    title="Scale out without downtime",
    chapter=CHAPTER,
    section="controllers",
    objective="reconcile",
    goal=(
        "The shop Deployment runs 2 Pods behind the shop Service, and a sale starts soon. Scale shop to "
        "{replicas} Ready Pods behind the Service without replacing the two that serve customers now."
    ),
    hints=(
        (
            "Change the desired state; the Deployment and ReplicaSet controllers compare it with the Pods "
            "that exist and create only what is missing."
        ),
        (
            "A new Pod template (`kubectl rollout restart`, a changed image) would replace the running "
            "Pods; the replica count alone does not."
        ),
        "`kubectl scale` changes spec.replicas and nothing else.",
    ),
    solution=("kubectl scale deployment shop --replicas={replicas}",),
    success=(
        "shop runs {replicas} Ready Pods, the original two among them: the controllers only added what was "
        "missing."
    ),
    params=_scale_params,
    setup=_scale_setup,
    check=_scale_check,
    workload=(("deployments", "default", "shop"), ("services", "default", "shop")),
)


# --- 9. Pending with no events: no such scheduler -----------------------------------------------------------


def _sched_params(rng: random.Random) -> dict[str, Any]:
    replicas = rng.choice([1, 2])
    return {
        "scheduler": rng.choice(["batch-scheduler", "volcano", "my-scheduler"]),
        "replicas": replicas,
        "pods": _pods(replicas, "reports"),
    }


def _reports(p: dict[str, Any], scheduler: str | None) -> dict[str, Any]:
    pod = {"schedulerName": scheduler} if scheduler else {}
    return deployment(
        "reports",
        p["replicas"],
        "busybox:1.36",
        pod=pod,
        container={"command": ["sh", "-c", "echo serving reports; sleep infinity"]},
    )


def _sched_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(_reports(p, p["scheduler"]))
    settle(cluster)
    return {"reports": uid(cluster, "deployments", "reports")}


def _sched_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(r, "default", "reports", b["reports"], p["replicas"], "busybox")
    for pod in deployment_pods(r, "default", b["reports"]):
        name = pod["spec"].get("schedulerName", "default-scheduler")
        if not pod["spec"].get("nodeName") and name != "default-scheduler":
            problems.append(
                f"pod {pod['metadata']['name']} waits for a scheduler named {name}, and none runs"
            )
    return problems


NO_SCHEDULER = ChallengeSpec(
    name="pending-no-scheduler",
    title="Pending with no events: which scheduler?",
    chapter=CHAPTER,
    section="scheduler",
    objective="control-plane",
    goal=(
        "The reports Deployment's Pods stay Pending, and unlike other Pending Pods they have no "
        "FailedScheduling event at all. Find which scheduler is supposed to place them, and get "
        "{pods} Running and Ready (this cluster runs only kube-scheduler)."
    ),
    hints=(
        (
            "No event at all means no scheduler even tried. `kubectl get pods -n kube-system` shows which "
            "scheduler runs: kube-scheduler, whose profile is called default-scheduler."
        ),
        (
            "Each scheduler only takes Pods whose spec.schedulerName names it: `kubectl get pod POD -o "
            "jsonpath='{{.spec.schedulerName}}'`."
        ),
        (
            "Set the Pod template's schedulerName to default-scheduler, its default: `kubectl patch`, or "
            "`kubectl edit deployment reports`."
        ),
    ),
    solution=(
        (
            "kubectl patch deployment reports -p "
            '\'{{"spec":{{"template":{{"spec":{{"schedulerName":"default-scheduler"}}}}}}}}\''
        ),
    ),
    success="reports runs: kube-scheduler places Pods whose schedulerName is default-scheduler.",
    params=_sched_params,
    setup=_sched_setup,
    check=_sched_check,
    workload=(("deployments", "default", "reports"),),
)


# --- 10. etcd's history: the revision of a deletion ---------------------------------------------------------

ANNOTATION = "kcourse.dev/deleted-at-revision"


def _etcd_params(rng: random.Random) -> dict[str, Any]:
    flags = rng.sample(["checkout-v2", "dark-mode", "search-suggest", "new-cart", "beta-banner"], 3)
    return {"flags": flags, "updates": rng.choice([2, 3, 4])}


def _etcd_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    rng = random.Random(f"{CHAPTER}/etcd/{cluster.seed}")
    data = {flag: "off" for flag in p["flags"]}
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "feature-flags", "namespace": "default"},
        "data": dict(data),
    }
    cluster.apply(cm)
    settle(cluster, 10)
    for _ in range(p["updates"]):
        flag = rng.choice(p["flags"])
        data[flag] = "off" if data[flag] == "on" else "on"
        cluster.apply(dict(cm, data=dict(data)))
        settle(cluster, 10)
    with cluster.lock:
        cluster.api.delete("configmaps", "feature-flags", "default", user="kubernetes-admin")
        revision = cluster.etcd.revision
    cluster.apply(deployment("storefront", 2, "nginx:1.27"))  # life goes on: more revisions after the delete
    settle(cluster)
    return {
        "revision": revision,
        "data": data,
        "data_args": " ".join(f"--from-literal={k}={v}" for k, v in sorted(data.items())),
    }


def _etcd_check(r: Reader, _p: dict[str, Any], b: Baseline) -> list[str]:
    cm = r.get("configmaps", "feature-flags", "default")
    if cm is None:
        return [
            (
                'configmap "feature-flags" does not exist: recreate it with the data it held just before it '
                "was "
                "deleted"
            )
        ]
    problems = []
    if (cm.get("data") or {}) != b["data"]:
        problems.append('configmap "feature-flags" does not hold the data it had just before it was deleted')
    have = (cm["metadata"].get("annotations") or {}).get(ANNOTATION)
    if have is None:
        problems.append(f'configmap "feature-flags" has no annotation {ANNOTATION}')
    elif have.strip() != str(b["revision"]):
        problems.append(f"annotation {ANNOTATION}={have} is not the revision of the deletion")
    return problems


ETCD_HISTORY = ChallengeSpec(
    name="etcd-deleted-revision",
    title="etcd's history: when was it deleted?",
    chapter=CHAPTER,
    section="etcd",
    objective="etcd-history",
    goal=(
        "Someone deleted the ConfigMap feature-flags. etcd keeps every revision until it is compacted: find "
        "the revision at which feature-flags was deleted and the data it held just before. Create "
        "feature-flags again with that data, annotated {annotation}=<that revision>."
    ),
    hints=(
        (
            "Every write to etcd makes a new revision. In this notebook, `ch.cluster.etcd.revision` is the "
            "newest, and `ch.cluster.etcd.get('/registry/configmaps/default/feature-flags', revision=N)` "
            "reads the key as it was at revision N (None: it did not exist)."
        ),
        (
            "The key exists at the revision before the delete and not at the delete's own revision: search "
            "backwards from the newest revision, or bisect. With kubectl, a watch started at an old "
            "resourceVersion replays what happened since: `kubectl get configmaps --watch "
            "--output-watch-events --resource-version=1`."
        ),
        (
            "`kubectl create configmap NAME --from-literal=KEY=VALUE …` and `kubectl annotate configmap NAME "
            "KEY=VALUE`. Be quick: the API server compacts etcd's history every five minutes."
        ),
    ),
    solution=(
        "kubectl create configmap feature-flags {data_args}",
        "kubectl annotate configmap feature-flags " + ANNOTATION + "={revision}",
    ),
    success="feature-flags is back as it was, and you read the deletion's revision from etcd's history.",
    params=lambda rng: {**_etcd_params(rng), "annotation": ANNOTATION},
    setup=_etcd_setup,
    check=_etcd_check,
    workload=(("configmaps", "default", "feature-flags"),),
)


# --- 11. DNS: CoreDNS scaled to zero ------------------------------------------------------------------------


def _dns_params(rng: random.Random) -> dict[str, Any]:
    return {"replicas": rng.choice([2, 3])}


def _dns_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    kubectl(cluster, f"-n kube-system scale deployment coredns --replicas={p['replicas']}")
    settle(cluster)
    kubectl(cluster, "-n kube-system scale deployment coredns --replicas=0")
    settle(cluster)
    return {
        "coredns": uid(cluster, "deployments", "coredns", "kube-system"),
        "service": uid(cluster, "services", "kube-dns", "kube-system"),
    }


def _dns_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(
        r, "kube-system", "coredns", b["coredns"], p["replicas"], "registry.k8s.io/coredns/coredns"
    )
    pods = deployment_pods(r, "kube-system", b["coredns"])
    return problems + service_problems(r, "kube-system", "kube-dns", b["service"], pods, 53)


DNS = ChallengeSpec(
    name="dns-coredns-scaled-to-zero",
    title="DNS is broken",
    chapter=CHAPTER,
    section="addons",
    objective="worker-node",
    goal=(
        "Pods in this cluster cannot resolve any name: `nslookup kubernetes.default` times out. Find the "
        "cluster DNS addon and bring it back to its usual {replicas} Ready Pods behind the kube-dns Service."
    ),
    hints=(
        (
            "Pods send DNS queries to the ClusterIP of the kube-dns Service in kube-system; `kubectl -n "
            "kube-system get endpointslices -l kubernetes.io/service-name=kube-dns` shows who answers."
        ),
        (
            "The addon is the coredns Deployment in kube-system: `kubectl -n kube-system get deployment "
            "coredns`."
        ),
        "Its desired replica count was set to 0; set it back.",
    ),
    solution=("kubectl -n kube-system scale deployment coredns --replicas={replicas}",),
    success="CoreDNS runs {replicas} Ready Pods and the kube-dns Service reaches them: names resolve again.",
    params=_dns_params,
    setup=_dns_setup,
    check=_dns_check,
    workload=(("deployments", "kube-system", "coredns"), ("services", "kube-system", "kube-dns")),
)


# --- 12. kube-proxy missing from one node -------------------------------------------------------------------


def _proxy_params(rng: random.Random) -> dict[str, Any]:
    return {"node": rng.choice(WORKERS)}


def _proxy_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    with cluster.lock:
        ds = cluster.get("daemonsets", "kube-proxy", "kube-system")
        pod_spec = ds["spec"]["template"]["spec"]
        if pod_spec.get("nodeSelector") != {"kubernetes.io/os": "linux"}:
            pod_spec["nodeSelector"] = {
                "kubernetes.io/os": "linux"
            }  # as kubeadm's kube-proxy DaemonSet has it
            cluster.api.update(ds, user="kubeadm")
    settle(cluster)
    kubectl(cluster, f"label node {p['node']} kubernetes.io/os=windows --overwrite")
    settle(cluster)
    return {"kube-proxy": uid(cluster, "daemonsets", "kube-proxy", "kube-system")}


def _proxy_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    ds, problems = the_object(r, "daemonsets", "daemonset.apps", "kube-proxy", "kube-system", b["kube-proxy"])
    if ds is None:
        return problems
    if node_label(r, p["node"], "kubernetes.io/os") != "linux":
        problems.append(
            f"node {p['node']} runs Linux, but its label kubernetes.io/os says "
            f"{node_label(r, p['node'], 'kubernetes.io/os')}"
        )
    pods = [
        pod
        for pod in controlled_pods(r, "kube-system", b["kube-proxy"], via_replicasets=False)
        if not pod["metadata"].get("deletionTimestamp")
    ]
    for node in node_names(r):
        here = [pod for pod in pods if pod["spec"].get("nodeName") == node]
        good = [
            pod
            for pod in here
            if ready(pod)
            and all(
                image_repository(c.get("image", "")) == "registry.k8s.io/kube-proxy"
                for c in pod["spec"]["containers"]
            )
        ]
        if not here:
            problems.append(f"no kube-proxy Pod runs on node {node}: Services do not work from there")
        elif not good:
            problems.append(pod_state(here[0]))
    return problems


KUBE_PROXY = ChallengeSpec(
    name="kube-proxy-missing",
    title="kube-proxy missing from a node",
    chapter=CHAPTER,
    section="kube-proxy",
    objective="worker-node",
    goal=(
        "Since this morning, Pods on one node cannot reach any Service, while Pods on the other nodes can. "
        "Find which node and why its kube-proxy is not running, and get a Ready kube-proxy Pod onto every "
        "node again."
    ),
    hints=(
        (
            "kube-proxy runs as a DaemonSet: `kubectl -n kube-system get daemonset kube-proxy` and `kubectl "
            "-n kube-system get pods -l k8s-app=kube-proxy -o wide` show on how many nodes, and which."
        ),
        (
            "A DaemonSet places its Pods on the nodes its nodeSelector matches: compare its NODE SELECTOR "
            "column with `kubectl get nodes -L kubernetes.io/os`."
        ),
        (
            "All the nodes run Linux; one was labelled otherwise by mistake. `kubectl label --overwrite` "
            "corrects a label."
        ),
    ),
    solution=("kubectl label node {node} kubernetes.io/os=linux --overwrite",),
    success="kube-proxy runs on every node again, so every node programs the rules that make Services work.",
    params=_proxy_params,
    setup=_proxy_setup,
    check=_proxy_check,
    workload=(("daemonsets", "kube-system", "kube-proxy"),),
)


# --- 13. ImagePullBackOff: a tag the registry does not have -------------------------------------------------


def _image_params(rng: random.Random) -> dict[str, Any]:
    return {"replicas": rng.choice([2, 3]), "good": "1.27", "bad": rng.choice(["1.27.99", "1.72", "1,27"])}


def _image_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    web = deployment("web", p["replicas"], f"nginx:{p['good']}", container={"ports": [{"containerPort": 80}]})
    cluster.apply(web)
    settle(cluster)
    kubectl(cluster, f"set image deployment/web web=nginx:{p['bad']}")
    with cluster.lock:
        cluster.advance(SETTLE)  # the pull fails, then backs off: ErrImagePull, ImagePullBackOff
    return {"web": uid(cluster, "deployments", "web")}


def _image_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    return deployment_problems(r, "default", "web", b["web"], p["replicas"], "nginx")


BAD_IMAGE = ChallengeSpec(
    name="image-pull-backoff",
    title="ImagePullBackOff: a tag that does not exist",
    chapter=CHAPTER,
    section="cri",
    objective="runtimes",
    goal=(
        "Someone updated the web Deployment's image, and its new Pod never starts while the old ones still "
        "run. Get web rolled out to {replicas} Running and Ready nginx Pods, all of one revision."
    ),
    hints=(
        (
            "`kubectl get pods` shows ErrImagePull, then ImagePullBackOff: the kubelet asked the container "
            "runtime to pull the image through the CRI, and the pull failed; it retries with a growing "
            "back-off."
        ),
        "`kubectl describe pod` shows the runtime's error under Events: which image, which tag?",
        "Set the image back to a tag that exists (`kubectl set image`), or roll back the Deployment.",
    ),
    solution=("kubectl rollout undo deployment/web",),
    success="web runs {replicas} nginx Pods again: the runtime pulled an image that exists.",
    params=_image_params,
    setup=_image_setup,
    check=_image_check,
    workload=(("deployments", "default", "web"),),
)


# --- 14. A readiness probe on the wrong port ----------------------------------------------------------------


def _probe_params(rng: random.Random) -> dict[str, Any]:
    return {"replicas": rng.choice([2, 3]), "port": rng.choice([8080, 8000, 3000])}


def _probe_setup(cluster: Cluster, p: dict[str, Any]) -> Baseline:
    cluster.apply(
        deployment(
            "web",
            p["replicas"],
            "nginx:1.27",
            container={
                "ports": [{"containerPort": 80}],
                "readinessProbe": {"httpGet": {"path": "/", "port": p["port"]}, "periodSeconds": 5},
            },
        )
    )
    cluster.apply(service("web", {"app": "web"}, 80, 80))
    settle(cluster)
    return {"web": uid(cluster, "deployments", "web"), "service": uid(cluster, "services", "web")}


def _probe_check(r: Reader, p: dict[str, Any], b: Baseline) -> list[str]:
    problems = deployment_problems(r, "default", "web", b["web"], p["replicas"], "nginx")
    obj = r.get("deployments", "web", "default")
    if obj is not None and not all(
        c.get("readinessProbe") for c in obj["spec"]["template"]["spec"]["containers"]
    ):
        problems.append(
            "web must keep a readiness probe: without one, a Pod receives traffic before nginx answers"
        )
    pods = deployment_pods(r, "default", b["web"])
    return problems + service_problems(r, "default", "web", b["service"], pods, 80)


READINESS = ChallengeSpec(
    name="readiness-wrong-port",
    title="Running but not Ready: a probe on the wrong port",
    chapter=CHAPTER,
    section="kubelet",
    objective="worker-node",
    goal=(
        "The web Pods are Running, yet none is Ready and the web Service has no endpoints. Get all "
        "{replicas} web Pods Ready behind the Service, keeping a readiness probe that checks nginx."
    ),
    hints=(
        (
            "`kubectl describe pod` shows Unhealthy events from the kubelet: its prober checks each "
            "container every periodSeconds and marks the Pod Ready only when the probe succeeds."
        ),
        (
            "Which port does the probe ask, and which port does nginx listen on (the container's "
            "containerPort)?"
        ),
        (
            "Point the probe's httpGet port at nginx's port: `kubectl patch` (strategic merge on the "
            "container named web), or `kubectl edit deployment web`."
        ),
    ),
    solution=(
        (
            'kubectl patch deployment web -p \'{{"spec":{{"template":{{"spec":{{"containers":'
            '[{{"name":"web","readinessProbe":{{"httpGet":{{"port":80}}}}}}]}}}}}}}}\''
        ),
    ),
    success="web's Pods are Ready: the kubelet's prober reaches nginx on port 80, so the Service's endpoints "
    "list them.",
    params=_probe_params,
    setup=_probe_setup,
    check=_probe_check,
    workload=(("deployments", "default", "web"), ("services", "default", "web")),
)


CHALLENGES: tuple[ChallengeSpec, ...] = (  # in the order of the chapter's sections
    CORDONED,
    UNTOLERATED_TAINT,
    NODE_SELECTOR,
    NO_SCHEDULER,
    NODE_FAILURE,
    SCALE,
    ETCD_HISTORY,
    CRASHLOOP,
    READINESS,
    BAD_IMAGE,
    KUBE_PROXY,
    DNS,
    INSUFFICIENT_CPU,
    NO_ENDPOINTS,
)
