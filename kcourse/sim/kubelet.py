"""The kubelet: the agent on every node that turns bound Pods into running containers.

The kubelet is the only component that makes things happen on a machine.
It

* **registers its Node** with the API server (labels, taints, capacity,
  ``nodeInfo``, addresses) and then proves it is alive: a **Lease** in
  ``kube-node-lease`` renewed every 10 s, and the Node's status (conditions
  Ready, MemoryPressure, DiskPressure, PIDPressure) posted when it changes
  and at least every 5 minutes (``nodeStatusReportFrequency``);
* **watches the Pods bound to it** (field selector ``spec.nodeName=<node>``)
  and drives each through the container runtime over **CRI**, one call at a
  time as a per-pod worker does: ``RunPodSandbox`` (the CNI gives the Pod its
  IP), ``PodSandboxStatus``, ``ImageStatus``/``PullImage`` per
  ``imagePullPolicy``, ``CreateContainer``, ``StartContainer`` — init
  containers first, in order;
* writes the Pod's **status** (phase, conditions, containerStatuses, IPs);
* runs **probes** (startup, liveness, readiness) and restarts containers
  per ``restartPolicy`` with the CrashLoopBackOff back-off (10 s doubling to
  300 s, reset after 10 minutes of running);
* **terminates** deleted Pods gracefully (StopContainer with the grace
  period, StopPodSandbox, RemovePodSandbox) and then removes them from the
  API server;
* runs the control plane as **static pods** on control plane nodes and
  publishes their mirror Pods.

A container runs a *program* chosen by its image repository
(``cluster.programs``); other images run a generic program that writes a few
log lines and ends when ``lifetime()``'s reading of its command says the
shell would (``sleep``, ``exit``, loops) — nothing is ever executed.

Simplified: Node Ready waits for ``spec.podCIDR`` (the node-ipam
controller's) and the runtime's ``UpdateRuntimeConfig`` — a stand-in for a
CNI plugin becoming ready; allocatable = capacity minus the kubeadm
defaults' eviction thresholds (memory 100Mi, 10 % of ephemeral storage), no
kube-reserved; PLEG is not a 1 s relist but a notice 1 s after a container
exits; probe runs that change nothing leave no trace line; a restarted
kubelet keeps its records of the Pods (the real one rediscovers them with
ListPodSandbox/ListContainers); no volumes, no cgroups, no eviction, no
image garbage collection, no ephemeral containers; all containers of a Pod
are stopped one after another, not in parallel.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .apiserver import Unreachable
from .clock import Timer
from .component import Component, Event
from .cri import (
    ContainerConfig,
    ContainerMetadata,
    ContainerRuntime,
    CriError,
    DNSConfig,
    ImageSpec,
    KeyValue,
    PodSandboxConfig,
    PodSandboxMetadata,
    PortMapping,
    RunPodSandboxRequest,
    go_duration,
    image_repository,
    image_size,
)
from .errors import ApiError
from .informer import Informer, ResourceEventHandler
from .objects import deep_copy, micro_timestamp, timestamp
from .quantity import format_bytes, units
from .resources import object_key

if TYPE_CHECKING:
    from .cluster import Cluster

__all__ = ["KUBELET_VERSION", "STATIC_PODS", "GenericProgram", "Kubelet", "ProgramContext"]

KUBELET_VERSION = "v1.32.0"
LEASE_DURATION = 40
LEASE_RENEW = 10.0
NODE_STATUS_UPDATE = 10.0
NODE_STATUS_REPORT = 300.0
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
BACKOFF_RESET = 600.0
PLEG_DELAY = 1.0
CONTROL_PLANE_TAINT = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
UNINITIALIZED_TAINT = {"key": "node.cloudprovider.kubernetes.io/uninitialized", "value": "true",
                       "effect": "NoSchedule"}
NETWORK_NOT_READY = ("container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                     "message:Network plugin returns error: cni plugin not initialized")
#: Simulated time each CRI call takes (seconds); PullImage depends on the image's size.
DURATIONS = {"RunPodSandbox": 0.5, "PodSandboxStatus": 0.01, "ImageStatus": 0.01, "CreateContainer": 0.1,
             "StartContainer": 0.2, "StopPodSandbox": 0.2, "RemovePodSandbox": 0.1, "RemoveContainer": 0.05,
             "UpdateRuntimeConfig": 0.01}
KATA_EXTRA = {"RunPodSandbox": 1.5, "StartContainer": 0.1}

#: The control plane as kubeadm writes it to /etc/kubernetes/manifests (image, command, CPU request).
STATIC_PODS = (
    ("etcd", "registry.k8s.io/etcd:3.5.16-0", ["etcd", "--advertise-client-urls=https://{ip}:2379",
                                               "--data-dir=/var/lib/etcd", ("--listen-client-urls="
                                               "https://127.0.0.1:2379,https://{ip}:2379")], "100m"),
    ("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.32.0",
     ["kube-apiserver", "--advertise-address={ip}", "--etcd-servers=https://127.0.0.1:2379",
      "--service-cluster-ip-range=10.96.0.0/12"], "250m"),
    ("kube-controller-manager", "registry.k8s.io/kube-controller-manager:v1.32.0",
     ["kube-controller-manager", "--allocate-node-cidrs=true", "--cluster-cidr=10.244.0.0/16",
      "--leader-elect=true"], "200m"),
    ("kube-scheduler", "registry.k8s.io/kube-scheduler:v1.32.0",
     ["kube-scheduler", "--kubeconfig=/etc/kubernetes/scheduler.conf", "--leader-elect=true"], "100m"),
)

NGINX_START = (
    "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
    "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
    "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
    "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
    "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
    "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
    "/docker-entrypoint.sh: Configuration complete; ready for start up",
)


# --- programs -------------------------------------------------------------------------------------

@dataclass
class ProgramContext:
    """What a container's program gets: where it runs and how it writes its log."""

    cluster: Cluster
    node: str
    namespace: str
    pod_name: str
    container: str
    log: Callable[[str], None]
    pod: dict
    spec: dict = field(default_factory=dict)


class GenericProgram:
    """Any image without a registered program: a few deterministic log lines, healthy while running."""

    def __init__(self, ctx: ProgramContext):
        self.ctx = ctx
        self.running = False

    def start(self) -> None:
        self.running = True
        repo = image_repository(self.ctx.spec.get("image", ""))
        if repo.rsplit("/", 1)[-1] == "nginx":
            for line in NGINX_START:
                self.ctx.log(line)
            stamp = timestamp(self.ctx.cluster.clock.now).replace("-", "/").replace("T", " ").rstrip("Z")
            version = (self.ctx.spec.get("image", "").rsplit(":", 1) + ["latest"])[1]
            for line in ('using the "epoll" event method', f"nginx/{version}", "start worker processes"):
                self.ctx.log(f"{stamp} [notice] 1#1: {line}")
        for word in _echoes(self.ctx.spec):
            self.ctx.log(word)

    def stop(self) -> None:
        self.running = False


def _script(spec: dict) -> str:
    return " ".join(str(x) for x in (spec.get("command") or []) + (spec.get("args") or []))


def _echoes(spec: dict) -> list[str]:
    out = []
    for m in re.finditer(r"echo\s+((?:\"[^\"]*\")|(?:'[^']*')|[^;&|]+)", _script(spec)):
        try:
            out.append(" ".join(shlex.split(m.group(1))))
        except ValueError:
            out.append(m.group(1).strip())
    return out


_SHELLS = ("sh", "bash", "ash", "dash", "zsh")
#: Commands that run until killed, whatever their arguments.
_FOREVER = ("tail -f", "tail -F", "sleep infinity", "sleep inf")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_OPENERS = {"while": "done", "until": "done", "for": "done", "if": "fi", "case": "esac"}


def _argv(spec: dict) -> list[str]:
    return [str(x) for x in (spec.get("command") or []) + (spec.get("args") or [])]


def lifetime(spec: dict) -> tuple[float, int] | None:
    """When a generic container ends on its own, as ``(seconds, exit code)``; None if it runs until stopped.

    A small reading of what the command would do, never running it.  A
    shell script (``sh -c '…'``) is read statement by statement, taking
    time only from ``sleep``:

    * ``sleep N`` (``s``/``m``/``h``/``d`` suffixes) waits N seconds;
      ``sleep infinity`` and ``tail -f`` never return;
    * ``exit C`` ends the container with code C; otherwise it ends after the
      last statement with that statement's status (``false`` is 1, any
      other command returns at once with 0);
    * ``a && b`` / ``a || b`` follow that status; ``cmd &`` takes no time;
    * a ``while``/``until`` loop never ends (its condition is not
      evaluated) unless its body reaches ``exit``; a ``for`` loop repeats
      its body once per word of its list (``$(seq A B)`` counts B-A+1);
    * ``if``/``case`` blocks are skipped (their conditions are unknown).

    A single command that is not a shell runs until stopped (a server),
    except ``sleep``, ``echo``, ``true``, ``false``, ``date`` and ``env``.
    """
    argv = _argv(spec)
    if not argv:
        return None
    prog = argv[0].rsplit("/", 1)[-1]
    if prog in _SHELLS:
        if "-c" not in argv[1:-1]:
            return None
        script = argv[argv.index("-c", 1) + 1]
    elif prog in ("sleep", "echo", "true", "false", "date", "env"):
        script = shlex.join(argv)
    else:
        return None
    try:
        tokens = _tokens(script)
    except ValueError:
        return None
    outcome, seconds, status = _run(tokens)
    if outcome == "forever":
        return None
    return (seconds or 0.05, status)


def _tokens(script: str) -> list[str]:
    lexer = shlex.shlex(script.replace("\n", " ; "), posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def _block(tokens: list[str], i: int) -> tuple[list[str], int]:
    """The tokens of a compound command starting at ``tokens[i]`` and the index after its closing word."""
    depth, j = 0, i
    while j < len(tokens):
        word = tokens[j]
        starts = j == i or tokens[j - 1] in (";", "&&", "||", "|", "&", "do", "then", "else")
        if starts and word in _OPENERS:
            depth += 1
        elif starts and word in ("done", "fi", "esac"):
            depth -= 1
            if depth == 0:
                return tokens[i:j + 1], j + 1
        j += 1
    raise ValueError(f"unterminated {tokens[i]}")


def _loop_body(block: list[str]) -> list[str]:
    start = block.index("do") + 1
    return block[start:-1]


def _for_count(block: list[str]) -> int:
    words = block[3:block.index("do")] if len(block) > 3 and block[2] == "in" else []
    words = [w for w in words if w != ";"]
    seq = re.fullmatch(r"\$\(seq\s+(?:(\d+)\s+)?(\d+)\)", " ".join(words))
    if seq:
        return max(0, int(seq.group(2)) - int(seq.group(1) or 1) + 1)
    return len(words)


def _run(tokens: list[str]) -> tuple[str, float, int]:
    """``("done"|"exit"|"forever", seconds, status)`` of a statement list."""
    seconds, status, i, skip = 0.0, 0, 0, False
    while i < len(tokens):
        word = tokens[i]
        if word in (";", "&", "&&", "||", "|"):
            skip = (word == "&&" and status != 0) or (word == "||" and status == 0)
            i += 1
            continue
        if word in _OPENERS:
            block, i = _block(tokens, i)
            if skip or word in ("if", "case"):
                continue
            outcome, took, code = _run(_loop_body(block))
            if outcome != "done":
                return outcome, seconds + took, code
            if word in ("while", "until"):
                return "forever", seconds, 0
            seconds, status = seconds + took * _for_count(block), code
            continue
        j = i
        while j < len(tokens) and tokens[j] not in (";", "&", "&&", "||", "|"):
            j += 1
        command, i = tokens[i:j], j
        background = i < len(tokens) and tokens[i] in ("&", "|")
        if skip or background:
            continue
        text = " ".join(command)
        if any(text == f or text.startswith(f + " ") for f in _FOREVER):
            return "forever", seconds, 0
        if command[0] == "exit":
            return "exit", seconds, int(command[1]) if len(command) > 1 and command[1].isdigit() else status
        if command[0] == "sleep" and len(command) > 1:
            m = re.fullmatch(r"(\d+(?:\.\d+)?)([smhd]?)", command[1])
            seconds += float(m.group(1)) * _UNITS[m.group(2)] if m else 0.0
        status = 1 if command[0] == "false" else 0
    return "done", seconds, status


def ignores_sigterm(spec: dict) -> bool:
    """A shell or ``sleep`` as PID 1 ignores SIGTERM, so it is killed only when the grace period ends."""
    return bool(re.search(r"\bsleep\b", _script(spec)))


# --- the kubelet's records of its pods --------------------------------------------------------------

@dataclass
class _Ctr:
    name: str
    spec: dict
    init: bool
    cid: str = ""
    state: str = "waiting"          # waiting | running | terminated
    reason: str = "ContainerCreating"
    message: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int = 0
    term_reason: str = ""
    restart_count: int = 0
    attempts: int = 0               # containers created so far (log file index = attempt)
    last: dict | None = None
    ready: bool = False
    started: bool = False
    image_ref: str = ""
    image_checked: bool = False
    image_ready: bool = False
    program: Any = None
    unhealthy: bool = False
    unready: bool = False
    fails: dict[str, int] = field(default_factory=dict)
    oks: dict[str, int] = field(default_factory=dict)
    backoff: float = 0.0
    image_backoff: float = 0.0
    not_before: float = 0.0         # back-off: no (re)start or pull before this time
    stopping: bool = False
    kill_reason: str = ""
    cid_old: str = ""
    timers: list[Timer] = field(default_factory=list)


@dataclass
class _Pod:
    key: str
    uid: str
    pod: dict
    ctrs: dict[str, _Ctr]
    sandbox_id: str = ""
    sandbox_ok: bool = False
    sandbox_attempt: int = -1
    sandbox_status_known: bool = False
    ip: str = ""
    start_time: float | None = None
    busy: Timer | None = None
    status_timer: Timer | None = None
    terminating: bool = False
    killing_announced: bool = False
    removed: bool = False
    gone_from_api: bool = False
    deleted_sent: bool = False
    network_wait_logged: bool = False

    @property
    def namespace(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.key.split("/", 1)[1]

    @property
    def host_network(self) -> bool:
        return bool(self.pod["spec"].get("hostNetwork"))

    def ordered(self) -> list[_Ctr]:
        return [c for c in self.ctrs.values() if c.init] + [c for c in self.ctrs.values() if not c.init]


class Kubelet(Component):
    """The node agent (one per machine)."""

    def __init__(self, cluster: Cluster, node: str, runtime: str = "containerd", oci_runtime: str = "runc",
                 role: str = "worker"):
        super().__init__(cluster, "kubelet", node)
        self.role = role
        self.cri = ContainerRuntime(cluster, node, runtime, oci_runtime)
        self.pods: dict[str, _Pod] = {}
        self.log_store: dict[str, list[str]] = {}
        self._links: dict[str, str] = {}
        self.pod_informer: Informer | None = None
        self.node_informer: Informer | None = None
        self.registered = False
        self._last_status_post = -1e9
        self._posted_ready: str | None = None
        self._container_timers: list[Timer] = []
        self.boot_id = ""

    # --- names -------------------------------------------------------------------------------

    @property
    def runtime_name(self) -> str:
        return self.cri.name

    @property
    def is_master(self) -> bool:
        return self.role == "control-plane"

    # --- process lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """The kubelet process starts: register, heartbeat, watch the pods bound here."""
        if self.running:
            return
        super().start()
        self.boot_id = self.boot_id or self.cri.new_id()[:32]
        self.after(0, self._register)

    def stop_process(self) -> None:
        """Only the kubelet dies: containers keep running; nobody reports for the node."""
        super().stop()
        self._drop_informers()
        for p in self.pods.values():
            p.busy = p.status_timer = None
            for c in p.ctrs.values():
                c.timers.clear()

    def stop(self) -> None:
        """The machine powers off: the kubelet and every container on it are gone."""
        self.stop_process()
        for t in self._container_timers:
            t.cancel()
        self._container_timers.clear()
        self.cri.power_off()
        for p in self.pods.values():
            p.sandbox_ok = False
            if not p.host_network:
                self.cluster.network.release_pod_ip(p.key)
            for c in p.ctrs.values():
                self._stop_program(c)
                if c.state == "running":
                    self._terminated(c, 255, "Unknown")
                c.ready = False

    def _drop_informers(self) -> None:
        for inf in (self.pod_informer, self.node_informer):
            if inf is not None:
                inf.stop()
        self.pod_informer = self.node_informer = None

    def disconnect(self) -> None:
        """The node lost the API server: the watches break; pods keep running."""
        for inf in (self.pod_informer, self.node_informer):
            if inf is not None:
                inf.disconnect()

    def reconnect(self) -> None:
        if not self.running:
            return
        try:
            for inf in (self.node_informer, self.pod_informer):
                if inf is not None:
                    inf.reconnect()
        except Unreachable:
            return
        for key in sorted(self.pods):
            self._mark_status(self.pods[key])
            self._kick(self.pods[key])

    # --- registration, lease, node status ------------------------------------------------------

    def _node_object(self) -> dict:
        cap = dict(self.cluster.node_capacity)
        alloc = dict(cap)
        alloc["memory"] = format_bytes(units(cap["memory"]) - 100 * 2**20)
        alloc["ephemeral-storage"] = str(units(cap["ephemeral-storage"]) * 9 // 10)
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                  "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": self.node, "kubernetes.io/os": "linux"}
        taints = []
        if self.is_master:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
            taints.append(dict(CONTROL_PLANE_TAINT))
        if self.cluster.cloud is not None:
            taints.append(dict(UNINITIALIZED_TAINT))
        spec: dict[str, Any] = {"taints": taints} if taints else {}
        return {"apiVersion": "v1", "kind": "Node",
                "metadata": {"name": self.node, "labels": labels, "annotations": {
                    "kubeadm.alpha.kubernetes.io/cri-socket": self.cri.info.socket,
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
                "spec": spec,
                "status": {"capacity": cap, "allocatable": alloc,
                           "addresses": [{"type": "InternalIP", "address": self.cluster.network.node_ip(self.node)},
                                         {"type": "Hostname", "address": self.node}],
                           "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                           "nodeInfo": self._node_info()}}

    def _node_info(self) -> dict:
        return {"architecture": "amd64", "bootID": self.boot_id, "containerRuntimeVersion": self.cri.version_string,
                "kernelVersion": "6.8.0-51-generic", "kubeProxyVersion": "", "kubeletVersion": KUBELET_VERSION,
                "machineID": f"{abs(hash_text(self.node)):032x}"[:32], "operatingSystem": "linux",
                "osImage": "Ubuntu 24.04.1 LTS", "systemUUID": f"{abs(hash_text('uuid' + self.node)):032x}"[:32]}

    def _register(self) -> Event | None:
        """registerWithAPIServer: create the Node (or find it there), then start the loops."""
        try:
            version = self.cri.runtime_service.Version()
            try:
                node = self.client.create(self._node_object())
                what = f"registered node {self.node}"
            except ApiError as err:
                if err.code != 409:
                    raise
                node = self.client.get("nodes", self.node)
                what = f"node {self.node} was already registered"
            self.registered = True
            self.client.event(node, "Normal", "Starting", "Starting kubelet.")
            self.client.event(node, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods")
            self._start_informers()
        except Unreachable:
            self.after(7.0, self._register)
            return self.event(f"nodes/{self.node}", "Unable to register node with API server: the API server is "
                                                    "unreachable; retrying", verb="register")
        self.after(0, self._renew_lease)
        self.after(0.01, self._node_status)
        if self.is_master:
            self.after(0.02, self._static_pods)
        return self.event(f"nodes/{self.node}", f"{what} ({version.runtime_name} {version.runtime_version} via CRI "
                                                f"{version.runtime_api_version}, kubelet {KUBELET_VERSION})")

    def _start_informers(self) -> None:
        if self.node_informer is None:
            self.node_informer = Informer(self.client, "nodes", field_selector=f"metadata.name={self.node}")
            self.node_informer.add_event_handler(ResourceEventHandler(self._node_changed,
                                                                      lambda old, new: self._node_changed(new)))
            self.node_informer.start()
        if self.pod_informer is None:
            self.pod_informer = Informer(self.client, "pods", field_selector=f"spec.nodeName={self.node}")
            self.pod_informer.add_event_handler(ResourceEventHandler(self._pod_added, self._pod_updated,
                                                                     self._pod_deleted))
            self.pod_informer.start()
        for key in sorted(self.pods):
            p = self.pods[key]
            for c in p.ctrs.values():  # PLEG's first relist: containers that died while the kubelet was down
                rc = self.cri.containers.get(c.cid) if c.cid else None
                if c.state == "running" and rc is not None and rc.state.name == "CONTAINER_EXITED":
                    self.after(PLEG_DELAY, lambda p=p, c=c, cid=c.cid: self._pleg(p, c, cid))
            self._kick(p)

    def _node_changed(self, node: dict) -> None:
        cidr = node["spec"].get("podCIDR")
        if cidr and cidr != self.cri.pod_cidr and self.running:
            self.after(DURATIONS["UpdateRuntimeConfig"], lambda: self._update_runtime_config(cidr),
                       trace_name=self.runtime_name)

    def _update_runtime_config(self, cidr: str) -> Event | None:
        if self.cri.pod_cidr == cidr:
            return None
        self.cri.runtime_service.UpdateRuntimeConfig(cidr)
        self.after(0.01, self._node_status)
        for key in sorted(self.pods):
            self._kick(self.pods[key])
        return self._cri_event(self.node_key)

    @property
    def node_key(self) -> str:
        return f"nodes/{self.node}"

    def _renew_lease(self) -> Event | None:
        """Renew ``kube-node-lease/<node>`` (create it the first time): the node's cheap heartbeat."""
        self.after(LEASE_RENEW, self._renew_lease, background=True)
        now = self.clock.now
        key = f"kube-node-lease/{self.node}"
        try:
            lease = self.client.get("leases", self.node, "kube-node-lease") if self._lease_exists() else None
            if lease is None:
                node = self.node_informer.get(self.node) if self.node_informer else None
                obj = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": self.node, "namespace": "kube-node-lease"},
                       "spec": {"holderIdentity": self.node, "leaseDurationSeconds": LEASE_DURATION,
                                "renewTime": micro_timestamp(now)}}
                if node is not None:
                    obj["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node,
                                                           "uid": node["metadata"]["uid"]}]
                self.client.create(obj)
                return self.event(key, "created the node lease", verb="create")
            new = deep_copy(lease)
            new["spec"]["renewTime"] = micro_timestamp(now)
            new["spec"]["holderIdentity"] = self.node
            self.client.update(new)
        except Unreachable:
            return self.event(key, "failed to renew lease: the API server is unreachable", verb="renew")
        except ApiError as err:
            return self.event(key, f"failed to renew lease: {err}", verb="renew")
        return self.event(key, f"renewed the node lease (leaseDurationSeconds {LEASE_DURATION})", verb="renew")

    def _lease_exists(self) -> bool:
        return self.cluster.api.peek("leases", self.node, "kube-node-lease") is not None

    def _node_status(self) -> Event | None:
        """tryUpdateNodeStatus: post conditions when they change, or every nodeStatusReportFrequency."""
        node = self.node_informer.get(self.node) if self.node_informer else None
        if node is None:
            self._schedule_node_status()
            return None
        now = self.clock.now
        new = deep_copy(node)
        st = new.setdefault("status", {})
        net_ready = bool(self.cri.pod_cidr)
        changed = False
        from .objects import set_condition
        for ctype, reason, message in (
                ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available")):
            changed |= set_condition(new, ctype, "False", now, reason, message, heartbeat=True) and \
                self._cond_status(node, ctype) != "False"
        ready, reason, message = ("True", "KubeletReady", "kubelet is posting ready status") if net_ready else \
            ("False", "KubeletNotReady", NETWORK_NOT_READY)
        changed |= set_condition(new, "Ready", ready, now, reason, message, heartbeat=True) and \
            self._cond_status(node, "Ready") != ready
        base = self._node_object()["status"]
        for k in ("capacity", "allocatable", "daemonEndpoints"):
            st[k] = base[k]
        st["nodeInfo"] = self._node_info()
        if not st.get("addresses"):
            st["addresses"] = base["addresses"]
        images = [{"names": sorted(i.repo_digests + i.repo_tags), "sizeBytes": i.size}
                  for i in sorted(self.cri.image_service.ListImages(), key=lambda i: -i.size)]
        if st.get("images") != images:
            st["images"] = images
            changed = True
        self._schedule_node_status()
        if not changed and now - self._last_status_post < NODE_STATUS_REPORT:
            return None
        try:
            stored = self.client.update_status(new)
        except (ApiError, Unreachable) as err:
            return self.event(self.node_key, f"Error updating node status, will retry: {err}", verb="update")
        self._last_status_post = now
        if self._posted_ready != ready:
            if ready == "True":
                self.client.event(stored, "Normal", "NodeReady", f"Node {self.node} status is now: NodeReady")
            elif self._posted_ready is None:
                for r in ("NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID"):
                    self.client.event(stored, "Normal", r, f"Node {self.node} status is now: {r}")
            self._posted_ready = ready
        return self.event(self.node_key, f"posted node status: Ready={ready}"
                          + ("" if net_ready else f" ({reason}: waiting for spec.podCIDR)"))

    def _schedule_node_status(self) -> None:
        timers = [t for t in self._timers if getattr(t, "_node_status", False) and not t.cancelled]
        if timers:
            return
        t = self.after(NODE_STATUS_UPDATE, self._node_status, background=True)
        t._node_status = True  # type: ignore[attr-defined]

    @staticmethod
    def _cond_status(node: dict, ctype: str) -> str | None:
        for c in (node.get("status") or {}).get("conditions") or []:
            if c.get("type") == ctype:
                return c.get("status")
        return None

    # --- static pods -------------------------------------------------------------------------------

    def static_pod_manifests(self) -> list[dict]:
        """The control plane's Pods as kubeadm writes them to ``/etc/kubernetes/manifests``."""
        ip = self.cluster.network.node_ip(self.node)
        out = []
        for name, image, command, cpu in STATIC_PODS:
            out.append({"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": f"{name}-{self.node}", "namespace": "kube-system",
                                     "labels": {"component": name, "tier": "control-plane"},
                                     "annotations": {"kubernetes.io/config.source": "file"}},
                        "spec": {"nodeName": self.node, "hostNetwork": True,
                                 "priorityClassName": "system-node-critical", "priority": 2000001000,
                                 "tolerations": [{"operator": "Exists", "effect": "NoExecute"}],
                                 "containers": [{"name": name, "image": image, "imagePullPolicy": "IfNotPresent",
                                                 "command": [c.format(ip=ip) for c in command],
                                                 "resources": {"requests": {"cpu": cpu}}}]}})
        return out

    def _static_pods(self) -> Event | None:
        """Publish a mirror Pod for each static pod so the API server shows what runs here."""
        node = self.node_informer.get(self.node) if self.node_informer else None
        created = []
        try:
            for manifest in self.static_pod_manifests():
                md = manifest["metadata"]
                if self.cluster.api.peek("pods", md["name"], md["namespace"]) is not None:
                    continue
                h = f"{abs(hash_text(md['name'])):032x}"[:32]
                md["annotations"].update({"kubernetes.io/config.hash": h, "kubernetes.io/config.mirror": h,
                                          "kubernetes.io/config.seen": timestamp(self.clock.now)})
                if node is not None:
                    md["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node,
                                              "uid": node["metadata"]["uid"], "controller": True}]
                self.client.create(manifest)
                created.append(md["name"])
        except (ApiError, Unreachable) as err:
            self.after(10.0, self._static_pods)
            return self.event("kube-system", f"failed to create mirror pods: {err}")
        if not created:
            return None
        return self.event("kube-system", f"static pods from /etc/kubernetes/manifests: created mirror pods "
                                         f"{', '.join(created)}", verb="create")

    # --- pod informer handlers (they only note and kick) ------------------------------------------

    def _pod_added(self, pod: dict) -> None:
        self._pod_updated(None, pod)

    def _pod_updated(self, old: dict | None, pod: dict) -> None:
        key = object_key(pod)
        p = self.pods.get(key)
        if p is not None and p.uid != pod["metadata"]["uid"]:
            p.gone_from_api = True
            p.terminating = True
            self._kick(p)
            key = key + "#new"  # a new incarnation waits until the old one is gone
            return
        if p is None:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed") and \
                    not pod["metadata"].get("deletionTimestamp"):
                return
            ctrs = {c["name"]: _Ctr(c["name"], c, True) for c in pod["spec"].get("initContainers") or []}
            ctrs.update({c["name"]: _Ctr(c["name"], c, False) for c in pod["spec"].get("containers") or []})
            for c in ctrs.values():
                prev = _status_of(pod, c.name, c.init)
                if prev:
                    c.restart_count = prev.get("restartCount", 0)
                    c.attempts = c.restart_count
            p = self.pods[key] = _Pod(key, pod["metadata"]["uid"], pod, ctrs)
        p.pod = pod
        if pod["metadata"].get("deletionTimestamp"):
            p.terminating = True
        if self._ready_drifted(p, pod):
            self._mark_status(p)  # the status manager's needsReconcile: someone else rewrote our status
        self._kick(p)

    @staticmethod
    def _ready_drifted(p: _Pod, pod: dict) -> bool:
        """Does the API server show another Ready than the kubelet knows (node-lifecycle marked it False)?"""
        mains = [c for c in p.ctrs.values() if not c.init]
        ours = "True" if mains and all(c.ready for c in mains) else "False"
        theirs = next((c.get("status") for c in (pod.get("status") or {}).get("conditions") or []
                       if c.get("type") == "Ready"), None)
        return theirs is not None and theirs != ours

    def _pod_deleted(self, pod: dict) -> None:
        p = self.pods.get(object_key(pod))
        if p is None or p.uid != pod["metadata"]["uid"]:
            return
        p.gone_from_api = True
        p.terminating = True
        if (pod["metadata"].get("annotations") or {}).get("kubernetes.io/config.source") == "file" and \
                self.is_master and self.running:
            self.after(1.0, self._static_pods)
        self._kick(p)

    # --- the pod worker ------------------------------------------------------------------------------

    def _kick(self, p: _Pod, delay: float = 0.0) -> None:
        """Make sure the pod's worker has its next step scheduled (one step in flight per pod)."""
        if p.busy is not None and not p.busy.cancelled or not self.running or p.removed:
            return
        step = self._next_step(p)
        if step is None:
            p.busy = None
            return
        duration, trace, work = step

        def run() -> Event | None:
            p.busy = None
            ev = work()
            self._kick(p)
            return ev
        p.busy = self.after(delay + duration, run, trace_name=trace)

    def _next_step(self, p: _Pod) -> tuple[float, str, Callable[[], Event | None]] | None:
        """computePodActions: what the pod needs next, as (duration, who acts, work)."""
        rt = self.runtime_name
        if p.terminating:
            return self._next_kill_step(p)
        if not p.sandbox_ok:
            if not p.host_network and not self.cri.pod_cidr:
                return None   # waits for the network (kicked again by UpdateRuntimeConfig)
            if p.sandbox_id and any(c.state == "terminated" and c.term_reason == "Unknown" for c in p.ctrs.values()):
                return (DURATIONS["StopPodSandbox"], rt, lambda: self._stop_old_sandbox(p))
            return (self._duration("RunPodSandbox"), rt, lambda: self._run_sandbox(p))
        if not p.sandbox_status_known:
            return (DURATIONS["PodSandboxStatus"], rt, lambda: self._sandbox_status(p))
        restart = p.pod["spec"].get("restartPolicy", "Always")
        for c in p.ordered():
            if c.stopping and c.state == "running":
                grace = self._grace(p)
                seconds = float(grace) if ignores_sigterm(c.spec) else min(0.1, float(grace))
                return (seconds, rt, lambda c=c, grace=grace: self._kill_for_restart(p, c, grace))
        for c in p.ordered():
            if c.init:
                if c.state == "terminated" and c.exit_code == 0:
                    continue
                if c.state == "running":
                    return None
                if c.state == "terminated" and restart == "Never":
                    return None
                return self._start_steps(p, c)
            if c.state == "running" or c.stopping:
                continue
            if c.state == "terminated" and not _should_restart(restart, c.exit_code):
                continue
            step = self._start_steps(p, c)
            if step is not None:
                return step
        return None

    def _duration(self, rpc: str) -> float:
        extra = KATA_EXTRA.get(rpc, 0.0) if self.cri.oci_runtime == "kata" else 0.0
        return DURATIONS[rpc] + extra

    def _start_steps(self, p: _Pod, c: _Ctr) -> tuple[float, str, Callable[[], Event | None]] | None:
        rt = self.runtime_name
        now = self.clock.now
        if c.not_before > now + 1e-6:
            return None   # a back-off timer will kick the worker
        if not c.image_checked:
            return (DURATIONS["ImageStatus"], rt, lambda: self._image_status(p, c))
        if not c.image_ready:
            seconds = image_pull_seconds(c.spec["image"])
            return (seconds, rt, lambda: self._pull_image(p, c, seconds))
        if not c.cid:
            return (DURATIONS["CreateContainer"], rt, lambda: self._create_container(p, c))
        return (self._duration("StartContainer"), rt, lambda: self._start_container(p, c))

    # --- CRI steps -------------------------------------------------------------------------------------

    def _cri_event(self, key: str) -> Event:
        rec = self.cri.last_call
        return self.event(key, rec.message if rec else "", verb="cri", component=self.runtime_name)

    def _sandbox_config(self, p: _Pod) -> PodSandboxConfig:
        md = p.pod["metadata"]
        spec = p.pod["spec"]
        ports = [PortMapping(port.get("protocol", "TCP"), port.get("containerPort", 0), port.get("hostPort", 0))
                 for c in spec.get("containers") or [] for port in c.get("ports") or [] if port.get("hostPort")]
        dns = None
        if not spec.get("hostNetwork") and spec.get("dnsPolicy", "ClusterFirst") == "ClusterFirst":
            ns = md["namespace"]
            dns = DNSConfig(["10.96.0.10"], [f"{ns}.svc.cluster.local", "svc.cluster.local", "cluster.local"],
                            ["ndots:5"])
        return PodSandboxConfig(
            PodSandboxMetadata(md["name"], md["uid"], md["namespace"], max(p.sandbox_attempt, 0)),
            hostname=self.node if spec.get("hostNetwork") else md["name"],
            log_directory=f"/var/log/pods/{md['namespace']}_{md['name']}_{md['uid']}", dns_config=dns,
            port_mappings=ports, labels=dict(md.get("labels") or {}, **{
                "io.kubernetes.pod.name": md["name"], "io.kubernetes.pod.namespace": md["namespace"],
                "io.kubernetes.pod.uid": md["uid"]}),
            annotations=dict(md.get("annotations") or {}), host_network=bool(spec.get("hostNetwork")))

    def _run_sandbox(self, p: _Pod) -> Event | None:
        p.sandbox_attempt += 1
        cfg = self._sandbox_config(p)
        ip = self.cluster.network.node_ip(self.node) if p.host_network else \
            self.cluster.network.allocate_pod_ip(self.node, p.key)
        handler = "kata" if self.cri.oci_runtime == "kata" else ""
        resp = self.cri.runtime_service.RunPodSandbox(RunPodSandboxRequest(cfg, handler), ip)
        p.sandbox_id, p.sandbox_ok, p.sandbox_status_known, p.ip = resp.pod_sandbox_id, True, False, ip
        if p.start_time is None:
            p.start_time = self.clock.now
        for c in p.ctrs.values():
            c.cid_old, c.cid = c.cid or c.cid_old, ""
        self._mark_status(p)
        return self._cri_event(p.key)

    def _stop_old_sandbox(self, p: _Pod) -> Event | None:
        try:
            self.client.event(p.pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and "
                                                                 "re-created.")
        except Unreachable:
            pass
        self.cri.runtime_service.StopPodSandbox(p.sandbox_id)
        p.sandbox_id = ""
        return self._cri_event(p.key)

    def _sandbox_status(self, p: _Pod) -> Event | None:
        status = self.cri.runtime_service.PodSandboxStatus(p.sandbox_id)
        p.ip = status.ip
        p.sandbox_status_known = True
        self._mark_status(p)
        return self._cri_event(p.key)

    def _record(self, p: _Pod, etype: str, reason: str, message: str, c: _Ctr | None = None) -> None:
        """A v1 Event about the pod (``involvedObject.fieldPath`` names the container in the real kubelet)."""
        try:
            self.client.event(p.pod, etype, reason, message)
        except Unreachable:
            pass

    def _image_status(self, p: _Pod, c: _Ctr) -> Event | None:
        image = c.spec["image"]
        img = self.cri.image_service.ImageStatus(ImageSpec(image), p.key)
        policy = c.spec.get("imagePullPolicy", "IfNotPresent")
        c.image_checked = True
        if img is not None and policy != "Always":
            c.image_ready, c.image_ref = True, img.repo_digests[0]
            self._record(p, "Normal", "Pulled", f'Container image "{image}" already present on machine', c)
        elif policy == "Never":
            c.image_checked = False
            c.state, c.reason = "waiting", "ErrImageNeverPull"
            c.message = f'Container image "{image}" is not present with pull policy of Never'
            self._record(p, "Warning", "ErrImageNeverPull", c.message, c)
            self._mark_status(p)
            return self._cri_event(p.key)
        else:
            self._record(p, "Normal", "Pulling", f'Pulling image "{image}"', c)
        return self._cri_event(p.key)

    def _pull_image(self, p: _Pod, c: _Ctr, seconds: float) -> Event | None:
        image = c.spec["image"]
        try:
            c.image_ref = self.cri.image_service.PullImage(ImageSpec(image), self._sandbox_config(p))
        except CriError as err:
            c.image_checked = False
            c.image_backoff = BACKOFF_INITIAL if not c.image_backoff else min(c.image_backoff * 2, BACKOFF_MAX)
            c.state, c.reason, c.message = "waiting", "ErrImagePull", str(err)
            self._record(p, "Warning", "Failed", f'Failed to pull image "{image}": {err}', c)
            self._record(p, "Warning", "Failed", "Error: ErrImagePull", c)
            self._mark_status(p)
            self.after(1.0, lambda: self._image_backoff(p, c))
            return self._cri_event(p.key)
        c.image_ready, c.image_backoff = True, 0.0
        self._record(p, "Normal", "Pulled", f'Successfully pulled image "{image}" in {go_duration(seconds)} '
                                            f"({go_duration(seconds)} including waiting). Image size: "
                                            f"{image_size(image)} bytes.", c)
        return self._cri_event(p.key)

    def _image_backoff(self, p: _Pod, c: _Ctr) -> Event | None:
        """The next sync finds the pull in back-off: ImagePullBackOff until the back-off ends."""
        if p.terminating or c.image_ready:
            return None
        image = c.spec["image"]
        c.not_before = self.clock.now + c.image_backoff
        c.state, c.reason = "waiting", "ImagePullBackOff"
        c.message = f'Back-off pulling image "{image}": ErrImagePull: {c.message.split(": ", 1)[-1]}' \
            if not c.message.startswith("Back-off") else c.message
        self._record(p, "Normal", "BackOff", f'Back-off pulling image "{image}"', c)
        self._record(p, "Warning", "Failed", "Error: ImagePullBackOff", c)
        self.after(c.image_backoff, lambda: self._kick(p))
        self._push_status(p)
        return self.event(p.key, f"{c.name}: ImagePullBackOff, next pull of {image} in {c.image_backoff:g}s")

    def _create_container(self, p: _Pod, c: _Ctr) -> Event | None:
        md = p.pod["metadata"]
        if c.state == "terminated" or c.reason == "CrashLoopBackOff":
            c.restart_count += 1   # restartCount: how many times this container was started again
        attempt = c.attempts
        log_path = f"{c.name}/{attempt}.log"
        cfg = ContainerConfig(ContainerMetadata(c.name, attempt), ImageSpec(c.spec["image"]),
                              list(c.spec.get("command") or []), list(c.spec.get("args") or []),
                              c.spec.get("workingDir", ""),
                              [KeyValue(e["name"], str(e.get("value", ""))) for e in c.spec.get("env") or []],
                              {"io.kubernetes.container.name": c.name, "io.kubernetes.pod.name": md["name"],
                               "io.kubernetes.pod.namespace": md["namespace"], "io.kubernetes.pod.uid": md["uid"]},
                              {"io.kubernetes.container.restartCount": str(c.restart_count)}, log_path)
        c.cid = self.cri.runtime_service.CreateContainer(p.sandbox_id, cfg, self._sandbox_config(p))
        c.attempts += 1
        pods_path = f"/var/log/pods/{md['namespace']}_{md['name']}_{md['uid']}/{c.name}/{attempt}.log"
        self.log_store.setdefault(pods_path, [])
        self._links[f"/var/log/containers/{md['name']}_{md['namespace']}_{c.name}-{c.cid}.log"] = pods_path
        self._record(p, "Normal", "Created", f"Created container: {c.name}", c)
        return self._cri_event(p.key)

    def _start_container(self, p: _Pod, c: _Ctr) -> Event | None:
        self.cri.runtime_service.StartContainer(c.cid)
        if c.state == "terminated":
            c.last = self._terminated_dict(c)
        now = self.clock.now
        c.state, c.reason, c.message, c.started_at, c.finished_at = "running", "", "", now, None
        c.ready = False
        c.fails, c.oks = {}, {}
        c.unhealthy = c.unready = False
        c.started = not c.spec.get("startupProbe")
        self._record(p, "Normal", "Started", f"Started container {c.name}", c)
        self._start_program(p, c)
        self._start_probes(p, c)
        life = lifetime(c.spec) if self._program_factory(c) is None else None
        if life is not None:
            seconds, code = life
            cid = c.cid
            self._container_timer(seconds, lambda: self._exit(p, c, cid, code))
        self._mark_status(p)
        return self._cri_event(p.key)

    def _container_timer(self, delay: float, work: Callable[[], Event | None]) -> None:
        """Something a container does on its own (it keeps running even when the kubelet does not)."""
        self._container_timers = [t for t in self._container_timers if not t.cancelled]
        self._container_timers.append(self.cluster.schedule(self, delay, work, trace_name=self.runtime_name,
                                                            when_stopped=True))

    # --- programs and logs -----------------------------------------------------------------------------

    def _program_factory(self, c: _Ctr) -> Callable[..., Any] | None:
        return self.cluster.programs.get(image_repository(c.spec["image"]))

    def _start_program(self, p: _Pod, c: _Ctr) -> None:
        md = p.pod["metadata"]
        path = f"/var/log/pods/{md['namespace']}_{md['name']}_{md['uid']}/{c.name}/{c.attempts - 1}.log"
        lines = self.log_store.setdefault(path, [])

        def log(line: str, stream: str = "stdout") -> None:
            stamp = micro_timestamp(self.clock.now).rstrip("Z") + "000Z"
            lines.append(f"{stamp} {stream} F {line}")
        ctx = ProgramContext(self.cluster, self.node, md["namespace"], md["name"], c.name, log, p.pod, c.spec)
        factory = self._program_factory(c)
        c.program = factory(ctx) if factory is not None else GenericProgram(ctx)
        c.program.start()

    def _stop_program(self, c: _Ctr) -> None:
        if c.program is not None:
            program, c.program = c.program, None
            program.stop()

    def log_files(self) -> dict[str, list[str]]:
        """The node's ``/var/log/containers/*.log`` (symlinks into ``/var/log/pods``), for log shippers."""
        return {link: self.log_store[target] for link, target in sorted(self._links.items())
                if target in self.log_store}

    def _log_container_id(self, p: _Pod, c: _Ctr, previous: bool) -> str:
        """``validateContainerLogStatus``: which container instance ``kubectl logs`` reads."""
        status = self._container_status(p, c)
        last = (status.get("lastState") or {}).get("terminated") or {}
        state = status["state"]
        if previous:
            if not last.get("containerID"):
                raise ApiError(400, "BadRequest", f'previous terminated container "{c.name}" in pod "{p.name}" '
                                                  "not found")
            return last["containerID"]
        if "running" in state:
            return status["containerID"]
        if "terminated" in state or last:
            cid = state.get("terminated", {}).get("containerID") or last.get("containerID")
            if not cid:
                raise ApiError(400, "BadRequest", f'container "{c.name}" in pod "{p.name}" is terminated')
            return cid
        reason = state["waiting"].get("reason", "")
        reason = {"ErrImagePull": "image can't be pulled",
                  "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise ApiError(400, "BadRequest", f'container "{c.name}" in pod "{p.name}" is waiting to start: {reason}')

    def _log_path(self, p: _Pod, container_id: str) -> str:
        """The instance's log file, found as CRI's ContainerStatus.LogPath would give it."""
        md = p.pod["metadata"]
        cid = container_id.split("://", 1)[-1]
        prefix = f"/var/log/containers/{md['name']}_{md['namespace']}_"
        return next((target for link, target in self._links.items()
                     if link.startswith(prefix) and link.endswith(f"-{cid}.log")), "")

    def logs(self, namespace: str, pod: str, container: str | None = None, previous: bool = False,
             tail: int | None = None, timestamps: bool = False) -> str:
        """What ``kubectl logs`` shows (served by the kubelet's ``/containerLogs`` endpoint).

        The container is chosen as ``validateContainerLogStatus`` does, from
        the status the kubelet reports: ``previous`` reads the last terminated
        instance; otherwise the running one, else the one that just ended —
        so a container waiting in CrashLoopBackOff still shows the log of its
        last run.  Only a container that never ran is "waiting to start".
        """
        p = self.pods.get(f"{namespace}/{pod}")
        if p is None:
            raise ApiError(404, "NotFound", f'pods "{pod}" not found')
        c = p.ctrs.get(container) if container else next(iter(c for c in p.ctrs.values() if not c.init), None)
        if c is None:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {pod}")
        path = self._log_path(p, self._log_container_id(p, c, previous))
        if path not in self.log_store:
            raise ApiError(400, "BadRequest", f'container "{c.name}" in pod "{pod}" is waiting to start - no logs '
                                              "yet")
        lines = self.log_store[path]
        if tail is not None and tail >= 0:
            lines = lines[-tail:] if tail else []
        out = []
        for line in lines:
            stamp, _stream, _tag, text = (line.split(" ", 3) + ["", "", ""])[:4]
            out.append(f"{stamp} {text}" if timestamps else text)
        return "".join(t + "\n" for t in out)

    # --- container exits, probes and restarts -------------------------------------------------------------

    def crash_container(self, namespace: str, pod: str, container: str | None = None, exit_code: int = 1) -> None:
        """Make a running container exit with ``exit_code`` (its process crashed)."""
        p = self.pods.get(f"{namespace}/{pod}")
        if p is None:
            raise ValueError(f'pod "{pod}" is not running on node {self.node}')
        c = p.ctrs.get(container) if container else next((c for c in p.ctrs.values() if not c.init), None)
        if c is None or c.state != "running":
            raise ValueError(f'container "{container or "?"}" of pod "{pod}" is not running')
        self._exit(p, c, c.cid, exit_code)

    def set_unhealthy(self, namespace: str, pod: str, container: str | None = None, unhealthy: bool = True,
                      readiness_only: bool = False) -> None:
        """Make a container's program fail its probes (liveness and readiness, or readiness only)."""
        p = self.pods[f"{namespace}/{pod}"]
        c = p.ctrs[container] if container else next(c for c in p.ctrs.values() if not c.init)
        if readiness_only:
            c.unready = unhealthy
        else:
            c.unhealthy = c.unready = unhealthy

    def _exit(self, p: _Pod, c: _Ctr, cid: str, exit_code: int) -> Event | None:
        """The container's main process ended: the runtime notices now, the kubelet at its next relist."""
        if c.cid != cid or c.state != "running":
            return None
        self.cri.exit_container(cid, exit_code)
        self._stop_program(c)
        if self.running:
            self.after(PLEG_DELAY, lambda: self._pleg(p, c, cid))
        return None

    def _pleg(self, p: _Pod, c: _Ctr, cid: str) -> Event | None:
        """PLEG saw ContainerDied: record the termination and decide on a restart."""
        if c.cid != cid or c.state != "running":
            return None
        status = self.cri.runtime_service.ContainerStatus(cid)
        self._terminated(c, status.exit_code, status.reason)
        restart = p.pod["spec"].get("restartPolicy", "Always")
        note = f"container {c.name} exited with code {status.exit_code} ({status.reason})"
        if _should_restart(restart, status.exit_code) and not p.terminating:
            note += self._plan_restart(p, c)
        self._push_status(p)
        self._kick(p)
        return self.event(p.key, f"PLEG: {note}")

    def _plan_restart(self, p: _Pod, c: _Ctr) -> str:
        """Restart now, or wait out the CrashLoopBackOff back-off (10 s doubling to 300 s)."""
        now = self.clock.now
        ran = now - (c.started_at or now)
        if ran >= BACKOFF_RESET:
            c.backoff = 0.0
        c.image_checked = c.image_ready = False
        c.cid_old, c.cid = c.cid, ""
        if c.backoff == 0.0:
            c.backoff = BACKOFF_INITIAL
            return "; restarting"
        delay = c.backoff
        c.backoff = min(c.backoff * 2, BACKOFF_MAX)
        c.not_before = now + delay
        md = p.pod["metadata"]
        c.last = self._terminated_dict(c)
        c.state, c.reason = "waiting", "CrashLoopBackOff"
        c.message = f"back-off {delay:g}s restarting failed container={c.name} pod={md['name']}_{md['namespace']}" \
                    f"({md['uid']})"
        self._record(p, "Warning", "BackOff", f"Back-off restarting failed container {c.name} in pod "
                                              f"{md['name']}_{md['namespace']}({md['uid']})", c)
        self.after(delay, lambda: self._kick(p))
        return f"; CrashLoopBackOff: back-off {delay:g}s"

    def _terminated(self, c: _Ctr, exit_code: int, reason: str) -> None:
        c.state, c.exit_code, c.term_reason = "terminated", exit_code, reason or ("Completed" if not exit_code
                                                                                  else "Error")
        c.finished_at = self.clock.now
        c.ready = False
        for t in c.timers:
            t.cancel()
        c.timers.clear()

    def _terminated_dict(self, c: _Ctr) -> dict:
        return {"terminated": {"exitCode": c.exit_code, "reason": c.term_reason,
                               "startedAt": timestamp(c.started_at or 0), "finishedAt": timestamp(c.finished_at or 0),
                               "containerID": f"{self.cri.info.scheme}://{c.cid_old or c.cid}"}}

    def _start_probes(self, p: _Pod, c: _Ctr) -> None:
        for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
            probe = c.spec.get(kind)
            if probe:
                delay = probe.get("initialDelaySeconds", 0) or probe.get("periodSeconds", 10) * 0
                first = kind in ("startupProbe", "readinessProbe")
                c.timers.append(self.after(delay or 0.001, self._probe_fn(p, c, kind, c.cid), background=not first))

    def _probe_fn(self, p: _Pod, c: _Ctr, kind: str, cid: str) -> Callable[[], Event | None]:
        return lambda: self._probe(p, c, kind, cid)

    def _probe(self, p: _Pod, c: _Ctr, kind: str, cid: str) -> Event | None:
        """One probe run; its effect is real (Ready condition, restarts); quiet when nothing changes."""
        if c.cid != cid or c.state != "running" or p.terminating:
            return None
        probe = c.spec[kind]
        period = probe.get("periodSeconds", 10)
        c.timers = [t for t in c.timers if not t.cancelled]
        if kind != "startupProbe" and not c.started:
            c.timers.append(self.after(period, self._probe_fn(p, c, kind, cid), background=True))
            return None
        if kind == "startupProbe" and c.started:
            return None
        ok = self._probe_passes(c, kind)
        name = {"startupProbe": "Startup", "livenessProbe": "Liveness", "readinessProbe": "Readiness"}[kind]
        ev: Event | None = None
        if ok:
            c.fails[kind] = 0
            c.oks[kind] = c.oks.get(kind, 0) + 1
            if c.oks[kind] >= probe.get("successThreshold", 1):
                if kind == "startupProbe":
                    c.started = True
                    self._push_status(p)
                    for other in ("livenessProbe", "readinessProbe"):
                        if c.spec.get(other):
                            c.timers.append(self.after(0.001, self._probe_fn(p, c, other, cid),
                                                       background=other == "livenessProbe"))
                    ev = self.event(p.key, f"{name} probe of {c.name} succeeded: container started", verb="probe")
                elif kind == "readinessProbe" and not c.ready:
                    c.ready = True
                    self._push_status(p)
                    ev = self.event(p.key, f"{name} probe of {c.name} succeeded: ready", verb="probe")
        else:
            c.oks[kind] = 0
            c.fails[kind] = c.fails.get(kind, 0) + 1
            self._record(p, "Warning", "Unhealthy", f"{name} probe failed: {self._probe_failure(p, probe)}", c)
            threshold = probe.get("failureThreshold", 3)
            # Count up to the threshold (what it takes to act); past it, a readiness probe just keeps failing.
            count = f" ({c.fails[kind]}/{threshold})" if c.fails[kind] <= threshold else ""
            msg = f"{name} probe of {c.name} failed{count}"
            if kind == "readinessProbe" and c.ready and c.fails[kind] >= threshold:
                c.ready = False
                self._push_status(p)
                msg += ": not ready"
            if kind in ("livenessProbe", "startupProbe") and c.fails[kind] >= threshold:
                self._record(p, "Normal", "Killing", f"Container {c.name} failed {name.lower()} probe, will be "
                                                     "restarted", c)
                c.stopping, c.kill_reason = True, kind
                self._kick(p)
                return self.event(p.key, msg + ": killing the container", verb="probe")
            ev = self.event(p.key, msg, verb="probe")
        c.timers.append(self.after(period, self._probe_fn(p, c, kind, cid), background=True))
        return ev

    def _probe_passes(self, c: _Ctr, kind: str) -> bool:
        program = c.program
        if kind == "readinessProbe":
            if c.unready:
                return False
            ready = getattr(program, "ready", None)
            return bool(ready()) if callable(ready) else True
        if c.unhealthy:
            return False
        healthy = getattr(program, "healthy", None)
        return bool(healthy()) if callable(healthy) else True

    def _probe_failure(self, p: _Pod, probe: dict) -> str:
        if "httpGet" in probe:
            return "HTTP probe failed with statuscode: 500"
        if "tcpSocket" in probe:
            return f"dial tcp {p.ip}:{probe['tcpSocket'].get('port')}: connect: connection refused"
        if "grpc" in probe:
            return f'timeout: failed to connect service ":{probe["grpc"].get("port")}" within 1s'
        return ""

    # --- termination ------------------------------------------------------------------------------------

    def _grace(self, p: _Pod) -> int:
        md = p.pod["metadata"]
        g = md.get("deletionGracePeriodSeconds")
        return int(p.pod["spec"].get("terminationGracePeriodSeconds", 30) if g is None else g)

    def _next_kill_step(self, p: _Pod) -> tuple[float, str, Callable[[], Event | None]] | None:
        rt = self.runtime_name
        if not p.killing_announced:
            return (0.0, "kubelet", lambda: self._announce_kill(p))
        for c in p.ordered():
            if c.state == "running":
                grace = self._grace(p)
                seconds = float(grace) if ignores_sigterm(c.spec) else min(0.1, float(grace))
                return (seconds, rt, lambda c=c, grace=grace: self._stop_container(p, c, grace))
        if p.sandbox_ok and p.sandbox_id:
            return (DURATIONS["StopPodSandbox"], rt, lambda: self._stop_sandbox(p))
        if p.sandbox_id:
            return (DURATIONS["RemovePodSandbox"], rt, lambda: self._remove_sandbox(p))
        if not p.deleted_sent:
            if not self.cluster.reachable(self.node):
                return None  # the final status waits for the API server: reconnect() kicks every pod
            return (0.0, "kubelet", lambda: self._finish_delete(p))
        return None

    def _announce_kill(self, p: _Pod) -> Event | None:
        p.killing_announced = True
        names = []
        for c in p.ordered():
            if c.state == "running":
                self._record(p, "Normal", "Killing", f"Stopping container {c.name}", c)
                names.append(c.name)
            for t in c.timers:
                t.cancel()
            c.timers.clear()
        why = "deleted from the API server" if p.gone_from_api else \
            f"deletionTimestamp set, grace period {self._grace(p)}s"
        return self.event(p.key, f"SyncTerminatingPod: {why}; stopping {', '.join(names) or 'no running containers'}")

    def _stop_container(self, p: _Pod, c: _Ctr, grace: int) -> Event | None:
        killed = ignores_sigterm(c.spec)
        code = 137 if killed else 0
        self.cri.runtime_service.StopContainer(c.cid, grace, exit_code=code, killed=killed)
        self._stop_program(c)
        self._terminated(c, code, "Error" if code else "Completed")
        self._mark_status(p)
        return self._cri_event(p.key)

    def _kill_for_restart(self, p: _Pod, c: _Ctr, grace: int) -> Event | None:
        """A failed liveness (or startup) probe: stop the container, then restart it per restartPolicy."""
        ev = self._stop_container(p, c, grace)
        c.stopping = False
        if _should_restart(p.pod["spec"].get("restartPolicy", "Always"), c.exit_code):
            self._plan_restart(p, c)
        return ev

    def _stop_sandbox(self, p: _Pod) -> Event | None:
        self.cri.runtime_service.StopPodSandbox(p.sandbox_id)
        p.sandbox_ok = False
        if not p.host_network:
            self.cluster.network.release_pod_ip(p.key)
        return self._cri_event(p.key)

    def _remove_sandbox(self, p: _Pod) -> Event | None:
        self.cri.runtime_service.RemovePodSandbox(p.sandbox_id)
        p.sandbox_id = ""
        if not p.host_network:
            self.cluster.network.release_pod_ip(p.key)
        return self._cri_event(p.key)

    def _finish_delete(self, p: _Pod) -> Event | None:
        """The containers are gone: post the final status and let the API server delete the Pod."""
        p.deleted_sent = True
        if p.status_timer is not None:
            p.status_timer.cancel()
            p.status_timer = None
        if p.gone_from_api:
            self._forget(p)
            return self.event(p.key, "pod removed from the node")
        try:
            self._write_status(p)
            self.client.delete("pods", p.name, p.namespace, grace_period_seconds=0,
                               preconditions_uid=p.uid)
        except ApiError as err:
            if err.code not in (404, 409):
                p.deleted_sent = False
                self.after(1.0, lambda: self._kick(p))
                return self.event(p.key, f"failed to delete pod: {err}")
        except Unreachable:
            p.deleted_sent = False
            return self.event(p.key, "failed to delete pod: the API server is unreachable; waiting for reconnect")
        self._forget(p)
        return self.event(p.key, "containers stopped and sandbox removed; deleted the pod with grace period 0",
                          verb="delete")

    def _forget(self, p: _Pod) -> None:
        p.removed = True
        if self.pods.get(p.key) is p:
            del self.pods[p.key]
        md = p.pod["metadata"]
        prefix = f"/var/log/pods/{md['namespace']}_{md['name']}_{md['uid']}/"
        for path in [k for k in self.log_store if k.startswith(prefix)]:
            del self.log_store[path]
        self._links = {k: v for k, v in self._links.items() if not v.startswith(prefix)}
        if self.pod_informer is not None:
            current = self.pod_informer.get(p.key)
            if current is not None and current["metadata"]["uid"] != p.uid:
                self._pod_added(current)

    # --- pod status ----------------------------------------------------------------------------------------

    def _mark_status(self, p: _Pod) -> None:
        """The status manager: schedule a write of the pod's status (one pending write per pod)."""
        if p.status_timer is not None and not p.status_timer.cancelled or not self.running or p.deleted_sent:
            return

        def write() -> Event | None:
            p.status_timer = None
            if p.removed or p.deleted_sent:
                return None
            try:
                phase = self._write_status(p)
            except Unreachable:
                return None   # written again on reconnect
            except ApiError as err:
                if err.code == 404:
                    return None
                self._mark_status(p)
                return self.event(p.key, f"failed to update pod status: {err}; retrying")
            ready = sum(1 for c in p.ctrs.values() if not c.init and c.ready)
            total = sum(1 for c in p.ctrs.values() if not c.init)
            return self.event(p.key, f"status: {phase}, {ready}/{total} ready, {self._summary(p)}")
        p.status_timer = self.after(0.01, write)

    def _push_status(self, p: _Pod) -> None:
        self._mark_status(p)

    def _summary(self, p: _Pod) -> str:
        parts = []
        for c in p.ordered():
            what = c.reason if c.state == "waiting" else c.state
            if c.state == "terminated":
                what = f"terminated ({c.term_reason}, exit {c.exit_code})"
            parts.append(f"{c.name} {what}")
        return ", ".join(parts)

    def _phase(self, p: _Pod) -> str:
        restart = p.pod["spec"].get("restartPolicy", "Always")
        inits = [c for c in p.ctrs.values() if c.init]
        mains = [c for c in p.ctrs.values() if not c.init]
        if any(c.state == "terminated" and c.exit_code != 0 for c in inits) and restart == "Never":
            return "Failed"
        if not all(c.state == "terminated" and c.exit_code == 0 for c in inits):
            return "Pending"
        if any(c.state == "running" for c in mains):
            return "Running"
        if all(c.state == "terminated" for c in mains) and mains:
            if restart == "Always" and not p.terminating:
                return "Running"
            if all(c.exit_code == 0 for c in mains):
                return "Succeeded"
            if restart == "Never" or p.terminating:
                return "Failed"
            return "Running"
        if any(c.restart_count for c in mains) and restart != "Never":
            return "Running"
        return "Pending"

    def _container_status(self, p: _Pod, c: _Ctr) -> dict:
        state: dict[str, Any]
        if c.state == "running":
            state = {"running": {"startedAt": timestamp(c.started_at or 0)}}
        elif c.state == "terminated":
            state = self._terminated_dict(c)
            state["terminated"]["containerID"] = f"{self.cri.info.scheme}://{c.cid}" if c.cid else \
                state["terminated"]["containerID"]
        else:
            state = {"waiting": {"reason": c.reason or "ContainerCreating"}}
            if c.message:
                state["waiting"]["message"] = c.message
        out: dict[str, Any] = {"name": c.name, "state": state, "lastState": c.last or {}, "ready": c.ready,
                               "restartCount": c.restart_count, "image": c.spec["image"],
                               "imageID": c.image_ref}
        if c.cid and c.state != "waiting":
            out["containerID"] = f"{self.cri.info.scheme}://{c.cid}"
        elif c.cid_old:
            out["containerID"] = f"{self.cri.info.scheme}://{c.cid_old}"
        if not c.init:
            out["started"] = c.state == "running" and c.started
        return out

    def _write_status(self, p: _Pod) -> str:
        current = self.pod_informer.get(p.key) if self.pod_informer else None
        if current is None or current["metadata"]["uid"] != p.uid:
            raise ApiError(404, "NotFound", f'pods "{p.name}" not found')
        now = self.clock.now
        for c in p.ctrs.values():
            if not c.init and c.state == "running" and c.started and not c.spec.get("readinessProbe"):
                c.ready = True
        new = deep_copy(current)
        st = new.setdefault("status", {})
        phase = self._phase(p)
        st["phase"] = phase
        st["hostIP"] = self.cluster.network.node_ip(self.node)
        st["hostIPs"] = [{"ip": st["hostIP"]}]
        if p.ip and p.sandbox_ok:
            st["podIP"], st["podIPs"] = p.ip, [{"ip": p.ip}]
        if p.start_time is not None:
            st["startTime"] = timestamp(p.start_time)
        inits = [c for c in p.ctrs.values() if c.init]
        mains = [c for c in p.ctrs.values() if not c.init]
        initialized = all(c.state == "terminated" and c.exit_code == 0 for c in inits)
        all_ready = bool(mains) and all(c.ready for c in mains)
        from .objects import set_condition
        conds = {
            "PodReadyToStartContainers": "True" if p.sandbox_ok and p.sandbox_status_known else "False",
            "Initialized": "True" if initialized else "False",
            "Ready": "True" if all_ready else "False",
            "ContainersReady": "True" if all_ready else "False",
            "PodScheduled": "True",
        }
        not_ready = [c.name for c in mains if not c.ready]
        for ctype in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"):
            reason = message = ""
            if ctype == "Initialized" and not initialized:
                pending = [c.name for c in inits if not (c.state == "terminated" and c.exit_code == 0)]
                reason, message = "ContainersNotInitialized", f"containers with incomplete status: [{' '.join(pending)}]"
            if ctype in ("Ready", "ContainersReady") and not all_ready:
                reason = "ContainersNotReady"
                message = f"containers with unready status: [{' '.join(not_ready)}]"
                if phase in ("Succeeded", "Failed"):
                    reason = "PodCompleted"
                    message = ""
            set_condition(new, ctype, conds[ctype], now, reason, message)
        order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
        st["conditions"] = sorted(st["conditions"], key=lambda c: order.index(c["type"]) if c["type"] in order else 9)
        if inits:
            st["initContainerStatuses"] = [self._container_status(p, c) for c in inits]
        st["containerStatuses"] = [self._container_status(p, c) for c in mains]
        self.client.update_status(new)
        return phase


def _status_of(pod: dict, name: str, init: bool) -> dict | None:
    key = "initContainerStatuses" if init else "containerStatuses"
    for s in (pod.get("status") or {}).get(key) or []:
        if s.get("name") == name:
            return s
    return None


def _should_restart(policy: str, exit_code: int) -> bool:
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def image_pull_seconds(image: str) -> float:
    """How long a pull takes here: a round trip plus the image's bytes over the simulated bandwidth."""
    from .cri import PULL_BANDWIDTH, PULL_LATENCY
    return round(PULL_LATENCY + image_size(image) / PULL_BANDWIDTH, 3)


def hash_text(text: str) -> int:
    """A stable integer from text (Python's ``hash`` of str changes between runs)."""
    import hashlib
    return int(hashlib.sha256(text.encode()).hexdigest()[:32], 16)
