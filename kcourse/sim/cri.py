"""The Container Runtime Interface (CRI) and the runtimes behind it.

The kubelet never starts a container itself.  It is a gRPC client of two
services that every container runtime implements, defined by
``k8s.io/cri-api`` (package ``runtime.v1``):

* **RuntimeService** — pod sandboxes and containers: ``Version``, ``Status``,
  ``RunPodSandbox``, ``StopPodSandbox``, ``RemovePodSandbox``,
  ``PodSandboxStatus``, ``ListPodSandbox``, ``CreateContainer``,
  ``StartContainer``, ``StopContainer``, ``RemoveContainer``,
  ``ListContainers``, ``ContainerStatus``, ``ExecSync``,
  ``UpdateRuntimeConfig``;
* **ImageService** — ``PullImage``, ``ImageStatus``, ``ListImages``,
  ``RemoveImage``, ``ImageFsInfo``.

The request and response classes, shaped like those protobuf messages, live
in :mod:`kcourse.sim.cri_api` (as upstream keeps them in ``k8s.io/cri-api``,
apart from any runtime) and are re-exported here.

Which program answers the calls is the node's choice, and each has its own
chain down to the OCI runtime that finally creates the Linux namespaces and
cgroups:

* ``dockershim`` — kubelet → dockershim (a CRI server that lived *inside*
  the kubelet) → dockerd → containerd → containerd-shim-runc-v2 → runc.
  **dockershim was removed in Kubernetes 1.24**; Docker Engine users now
  run ``cri-dockerd``, its out-of-tree successor.  Kept to show the 2020
  picture of the course.
* ``containerd`` — kubelet → containerd's built-in CRI plugin (what the
  separate ``cri-containerd`` daemon became in containerd 1.1) →
  containerd-shim-runc-v2 → runc.
* ``cri-o`` — kubelet → CRI-O → conmon → runc, or, with
  ``oci_runtime="kata"``, kata-runtime: Kata Containers, the successor of
  Intel's Clear Containers, running each Pod in a lightweight VM with its
  own guest kernel.

Every call is recorded (``ContainerRuntime.calls``) with the hop chain it
travelled, so the kubelet can put it in the trace as a step of the runtime.
The log keeps the last :data:`CALL_LOG_SIZE` calls of each runtime (as
``crictl`` shows the runtime's state, not its history): the trace has
already taken what it needs from each call, and a runtime that has run a
node's Pods for hours would otherwise hold every call it ever answered.

Image pulls go to the cluster's :class:`~kcourse.sim.registry.Registry`
(each cluster owns one and hands it to every node's runtime): an image it
does not hold fails to pull with containerd's text.  A runtime receives
only what a node's containerd has of the cluster: the clock its timestamps
come from and the seeded random source its IDs come from (a
:class:`~kcourse.sim.host.Host`), never the cluster itself.

Simplified: no gRPC, no streaming calls (Exec/Attach/PortForward), no
checkpointing, no container stats; ``ExecSync`` answers from the container's
program; the sandbox (``pause``) image is present on every node; with Kata,
modern CRI-O would call ``containerd-shim-kata-v2`` instead of conmon.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cri_api import (
    Container,
    ContainerConfig,
    ContainerFilter,
    ContainerMetadata,
    ContainerState,
    ContainerStatus,
    CriError,
    DNSConfig,
    ExecSyncResponse,
    FilesystemUsage,
    Image,
    ImageSpec,
    KeyValue,
    PodSandbox,
    PodSandboxConfig,
    PodSandboxFilter,
    PodSandboxMetadata,
    PodSandboxState,
    PodSandboxStatus,
    PortMapping,
    RunPodSandboxRequest,
    RunPodSandboxResponse,
    RuntimeCondition,
    RuntimeStatus,
    VersionResponse,
)
from .reference import image_repository, normalize_image

if TYPE_CHECKING:
    from .host import Host
    from .registry import Registry

__all__ = [
    "CALL_LOG_SIZE",
    "RUNTIME_INFO",
    "SANDBOX_IMAGE",
    "Container",
    "ContainerConfig",
    "ContainerFilter",
    "ContainerMetadata",
    "ContainerRuntime",
    "ContainerState",
    "ContainerStatus",
    "CriError",
    "DNSConfig",
    "ExecSyncResponse",
    "FilesystemUsage",
    "Image",
    "ImageService",
    "ImageSpec",
    "KeyValue",
    "PodSandbox",
    "PodSandboxConfig",
    "PodSandboxFilter",
    "PodSandboxMetadata",
    "PodSandboxState",
    "PodSandboxStatus",
    "PortMapping",
    "RunPodSandboxRequest",
    "RunPodSandboxResponse",
    "RuntimeCondition",
    "RuntimeService",
    "RuntimeStatus",
    "VersionResponse",
    "go_duration",
    "image_repository",
    "normalize_image",
]

SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
#: How many of its most recent CRI calls a runtime keeps in ``ContainerRuntime.calls``.
CALL_LOG_SIZE = 64


# --- digests and durations ---------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def go_duration(seconds: float) -> str:
    """A duration printed like Go's ``time.Duration`` truncated to milliseconds (``2.5s``, ``806ms``)."""
    ms = round(seconds * 1000)
    if ms < 1000:
        return f"{ms}ms"
    if ms < 60_000:
        return f"{ms / 1000:.3f}".rstrip("0").rstrip(".") + "s"
    m, rest = divmod(ms, 60_000)
    return f"{m}m" + (f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "s")


# --- the runtimes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuntimeInfo:
    """How one runtime answers CRI: its name, version and the hops below the kubelet."""

    name: str  # the trace's component name
    runtime_name: str  # VersionResponse.runtime_name
    version: str
    scheme: str  # containerID prefix in Pod status
    daemon_hops: tuple[str, ...]  # kubelet → … the process that owns images
    shim_hops: tuple[str, ...]  # … → the per-container helper(s) down to the OCI runtime
    socket: str


RUNTIME_INFO = {
    "dockershim": RuntimeInfo(
        "dockershim",
        "docker",
        "20.10.24",
        "docker",
        ("dockershim", "dockerd", "containerd"),
        ("containerd-shim-runc-v2",),
        "unix:///var/run/dockershim.sock",
    ),
    "containerd": RuntimeInfo(
        "containerd",
        "containerd",
        "1.7.24",
        "containerd",
        ("containerd (CRI plugin)",),
        ("containerd-shim-runc-v2",),
        "unix:///run/containerd/containerd.sock",
    ),
    "cri-o": RuntimeInfo(
        "cri-o", "cri-o", "1.32.0", "cri-o", ("CRI-O",), ("conmon",), "unix:///var/run/crio/crio.sock"
    ),
}


@dataclass(slots=True)
class CallRecord:
    """One CRI call as the trace shows it.

    The chain is kept in two parts: the hops (one string per runtime, shared by all its calls) and
    what this call did there, so a record holds only its own text.
    """

    time: float
    service: str  # RuntimeService or ImageService
    rpc: str
    subject: str  # namespace/pod (or the image)
    hops: str  # ``kubelet → containerd (CRI plugin) → containerd-shim-runc-v2 → runc``
    detail: str = ""  # `` create (nginx 1a2b… from nginx:1.27)``: appended to the last hop

    @property
    def chain(self) -> str:
        return self.hops + self.detail

    @property
    def message(self) -> str:
        return f"{self.rpc} {self.subject}: {self.hops}{self.detail}"


@dataclass(slots=True)
class _Sandbox:
    id: str
    config: PodSandboxConfig
    state: PodSandboxState
    created_at: int
    ip: str
    handler: str
    #: ``namespace/name`` of its Pod: the subject of every call about the sandbox, made once.
    subject: str = ""


@dataclass(slots=True)
class _Container:
    id: str
    sandbox_id: str
    config: ContainerConfig
    image_ref: str
    state: ContainerState
    created_at: int
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    reason: str = ""
    message: str = ""


class ContainerRuntime:
    """The container runtime of one node: its state, its two CRI services and the call log."""

    def __init__(
        self,
        host: Host,
        node: str,
        runtime: str = "containerd",
        oci_runtime: str = "runc",
        registry: Registry | None = None,
    ):
        from .registry import Registry

        if runtime not in RUNTIME_INFO:
            raise ValueError(f"unknown runtime {runtime!r}: choose one of {', '.join(RUNTIME_INFO)}")
        if oci_runtime not in ("runc", "kata"):
            raise ValueError(f"unknown OCI runtime {oci_runtime!r}: choose runc or kata")
        if oci_runtime == "kata" and runtime != "cri-o":
            oci_runtime = "runc"  # Kata is offered here through CRI-O only
        self.host = host
        self.node = node
        #: Where PullImage goes: the cluster's registry, or a private one for a runtime made on its own.
        self.registry = registry if registry is not None else Registry()
        self.info = RUNTIME_INFO[runtime]
        self.oci_runtime = oci_runtime
        self.sandboxes: dict[str, _Sandbox] = {}
        self.containers: dict[str, _Container] = {}
        self.images: dict[str, Image] = {}
        #: The last :data:`CALL_LOG_SIZE` calls, oldest first.
        self.calls: deque[CallRecord] = deque(maxlen=CALL_LOG_SIZE)
        self.pod_cidr = ""
        hops = ("kubelet", *self.info.daemon_hops)
        #: The chain of hops of a call that stops at the daemon, and of one that goes down to the OCI runtime.
        self._hops = (" → ".join(hops), " → ".join((*hops, *self.info.shim_hops, self.oci)))
        self.runtime_service = RuntimeService(self)
        self.image_service = ImageService(self)
        sandbox = self.registry.resolve(SANDBOX_IMAGE)
        self._store_image(SANDBOX_IMAGE, sandbox.repo_digest, sandbox.size)

    # --- naming -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def oci(self) -> str:
        return "kata-runtime" if self.oci_runtime == "kata" else "runc"

    @property
    def version_string(self) -> str:
        """``containerRuntimeVersion`` of the Node: ``containerd://1.7.24``."""
        return f"{self.info.scheme}://{self.info.version}"

    def new_id(self) -> str:
        """A 64-hex-digit ID, as runtimes give sandboxes and containers (from the cluster's seeded RNG)."""
        return f"{self.host.rng.getrandbits(256):064x}"

    def _now_ns(self) -> int:
        return self.host.clock.now_ms * 1_000_000

    def _record(
        self, service: str, rpc: str, subject: str, action: str = "", oci: bool = True, tail: str = ""
    ) -> CallRecord:
        """Log a call: ``kubelet → containerd (CRI plugin) → containerd-shim-runc-v2 → runc`` (down to the
        OCI runtime, or only to the daemon without ``oci``), then `` action`` and ``tail``.  Every call
        travels the same hops, so a record holds its runtime's one string of them."""
        rec = CallRecord(
            self.host.clock.now,
            service,
            rpc,
            subject,
            self._hops[oci],
            (f" {action}" if action else "") + tail,
        )
        self.calls.append(rec)
        return rec

    @property
    def last_call(self) -> CallRecord | None:
        return self.calls[-1] if self.calls else None

    def _store_image(self, image: str, ref: str, size: int) -> Image:
        img = self.images.get(ref)
        if img is None:
            img = self.images[ref] = Image(f"sha256:{_digest('config ' + ref)}", [], [ref], size)
        tag = normalize_image(image)
        if "@" not in tag and tag not in img.repo_tags:
            img.repo_tags.append(tag)
        return img

    def find_image(self, image: str) -> Image | None:
        tag = normalize_image(image)
        for img in self.images.values():
            if tag in img.repo_tags or tag in img.repo_digests:
                return img
        return None

    def power_off(self) -> None:
        """The machine lost power: every process is gone; the runtime's records (on disk) stay."""
        now = self._now_ns()
        for c in self.containers.values():
            if c.state in (ContainerState.CONTAINER_RUNNING, ContainerState.CONTAINER_CREATED):
                c.state, c.finished_at, c.exit_code, c.reason = (
                    ContainerState.CONTAINER_EXITED,
                    now,
                    255,
                    "Unknown",
                )
        for s in self.sandboxes.values():
            s.state = PodSandboxState.SANDBOX_NOTREADY

    def exit_container(self, container_id: str, exit_code: int, reason: str = "") -> None:
        """The container's main process ended on its own (it crashed or finished)."""
        c = self.containers.get(container_id)
        if c is not None and c.state == ContainerState.CONTAINER_RUNNING:
            c.state, c.finished_at, c.exit_code = ContainerState.CONTAINER_EXITED, self._now_ns(), exit_code
            c.reason = reason or ("Completed" if exit_code == 0 else "Error")


class RuntimeService:
    """``runtime.v1.RuntimeService``: sandboxes and containers."""

    def __init__(self, rt: ContainerRuntime):
        self.rt = rt

    def _sandbox(self, sandbox_id: str) -> _Sandbox:
        s = self.rt.sandboxes.get(sandbox_id)
        if s is None:
            raise CriError(
                "NotFound", f'an error occurred when try to find sandbox "{sandbox_id}": not found'
            )
        return s

    def _container(self, container_id: str) -> _Container:
        c = self.rt.containers.get(container_id)
        if c is None:
            raise CriError(
                "NotFound", f'an error occurred when try to find container "{container_id}": not found'
            )
        return c

    @staticmethod
    def _subject(meta: PodSandboxMetadata) -> str:
        return f"{meta.namespace}/{meta.name}"

    def Version(self, _version: str = "v1") -> VersionResponse:
        rt = self.rt
        rt._record("RuntimeService", "Version", rt.node, oci=False)
        return VersionResponse("0.1.0", rt.info.runtime_name, rt.info.version, "v1")

    def Status(self) -> RuntimeStatus:
        rt = self.rt
        rt._record("RuntimeService", "Status", rt.node, oci=False)
        net = bool(rt.pod_cidr)
        return RuntimeStatus(
            [
                RuntimeCondition("RuntimeReady", True),
                RuntimeCondition(
                    "NetworkReady",
                    net,
                    "" if net else "NetworkPluginNotReady",
                    "" if net else "Network plugin returns error: cni plugin not initialized",
                ),
            ]
        )

    def UpdateRuntimeConfig(self, pod_cidr: str) -> None:
        """The kubelet hands the node's podCIDR to the runtime (and so to the CNI plugin)."""
        rt = self.rt
        rt.pod_cidr = pod_cidr
        rt._record(
            "RuntimeService",
            "UpdateRuntimeConfig",
            rt.node,
            f"(podCIDR {pod_cidr})",
            oci=False,
        )

    def RunPodSandbox(self, request: RunPodSandboxRequest, ip: str) -> RunPodSandboxResponse:
        """Create the Pod's sandbox: the ``pause`` container holding its namespaces, plus the CNI's IP.

        ``ip`` is what the CNI plugin's IPAM gave (the kubelet's caller asks the network for it).
        """
        rt = self.rt
        sid = rt.new_id()
        cfg = request.config
        subject = self._subject(cfg.metadata)
        rt.sandboxes[sid] = _Sandbox(
            sid, cfg, PodSandboxState.SANDBOX_READY, rt._now_ns(), ip, request.runtime_handler, subject
        )
        if rt.oci_runtime == "kata":
            what = (
                f"create (boots a lightweight VM for the pod: guest kernel + kata-agent; sandbox {sid[:4]}…)"
            )
        else:
            what = f"create ({SANDBOX_IMAGE.rsplit('/', 1)[-1]} sandbox {sid[:4]}…)"
        net = "host network" if cfg.host_network else f"CNI gave {ip}"
        rt._record("RuntimeService", "RunPodSandbox", subject, what, tail=f"; {net}")
        return RunPodSandboxResponse(sid)

    def PodSandboxStatus(self, pod_sandbox_id: str) -> PodSandboxStatus:
        rt = self.rt
        s = self._sandbox(pod_sandbox_id)
        rt._record(
            "RuntimeService",
            "PodSandboxStatus",
            s.subject,
            oci=False,
            tail=f" (sandbox {s.id[:4]}… {s.state.name}, IP {s.ip})",
        )
        return PodSandboxStatus(
            s.id,
            s.config.metadata,
            s.state,
            s.created_at,
            s.ip,
            dict(s.config.labels),
            dict(s.config.annotations),
            s.handler,
        )

    def StopPodSandbox(self, pod_sandbox_id: str) -> None:
        rt = self.rt
        s = self._sandbox(pod_sandbox_id)
        for c in rt.containers.values():
            if c.sandbox_id == s.id and c.state == ContainerState.CONTAINER_RUNNING:
                c.state, c.finished_at, c.exit_code, c.reason = (
                    ContainerState.CONTAINER_EXITED,
                    rt._now_ns(),
                    137,
                    "Error",
                )
        s.state = PodSandboxState.SANDBOX_NOTREADY
        what = "kill (shuts the pod's VM down)" if rt.oci_runtime == "kata" else f"kill (pause {s.id[:4]}…)"
        rt._record(
            "RuntimeService",
            "StopPodSandbox",
            s.subject,
            what,
            tail="" if s.config.host_network else "; CNI DEL releases the pod's IP",
        )

    def RemovePodSandbox(self, pod_sandbox_id: str) -> None:
        rt = self.rt
        s = self.rt.sandboxes.pop(pod_sandbox_id, None)
        if s is None:
            return  # removing a removed sandbox is not an error in CRI
        for cid in [c.id for c in rt.containers.values() if c.sandbox_id == s.id]:
            del rt.containers[cid]
        rt._record("RuntimeService", "RemovePodSandbox", s.subject, f"delete (sandbox {s.id[:4]}…)")

    def ListPodSandbox(self, filter: PodSandboxFilter | None = None) -> list[PodSandbox]:
        out = []
        for s in sorted(self.rt.sandboxes.values(), key=lambda s: (s.created_at, s.id)):
            if filter and (
                (filter.id and s.id != filter.id) or (filter.state is not None and s.state != filter.state)
            ):
                continue
            out.append(PodSandbox(s.id, s.config.metadata, s.state, s.created_at, dict(s.config.labels)))
        return out

    def CreateContainer(
        self, pod_sandbox_id: str, config: ContainerConfig, sandbox_config: PodSandboxConfig
    ) -> str:
        rt = self.rt
        sandbox = self._sandbox(pod_sandbox_id)
        img = rt.find_image(config.image.image)
        if img is None:
            raise CriError(
                "NotFound", f'failed to create containerd container: image "{config.image.image}": not found'
            )
        cid = rt.new_id()
        rt.containers[cid] = _Container(
            cid, pod_sandbox_id, config, img.repo_digests[0], ContainerState.CONTAINER_CREATED, rt._now_ns()
        )
        meta = sandbox_config.metadata
        same = sandbox.subject == f"{meta.namespace}/{meta.name}"
        rt._record(
            "RuntimeService",
            "CreateContainer",
            sandbox.subject if same else self._subject(meta),
            f"create ({config.metadata.name} {cid[:4]}… from {config.image.image})",
        )
        return cid

    def StartContainer(self, container_id: str) -> None:
        rt = self.rt
        c = self._container(container_id)
        c.state, c.started_at = ContainerState.CONTAINER_RUNNING, rt._now_ns()
        subject = rt.sandboxes[c.sandbox_id].subject
        where = "inside the pod's VM" if rt.oci_runtime == "kata" else f"in sandbox {c.sandbox_id[:4]}…"
        rt._record(
            "RuntimeService",
            "StartContainer",
            subject,
            f"start ({c.config.metadata.name} {c.id[:4]}… {where})",
        )

    def StopContainer(
        self, container_id: str, timeout: int, exit_code: int = 0, killed: bool = False
    ) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds.

        ``exit_code`` and ``killed`` say how the process ended.
        """
        rt = self.rt
        c = self._container(container_id)
        if c.state == ContainerState.CONTAINER_RUNNING:
            c.state, c.finished_at = ContainerState.CONTAINER_EXITED, rt._now_ns()
            c.exit_code = 137 if killed else exit_code
            c.reason = "Error" if c.exit_code else "Completed"
        subject = rt.sandboxes[c.sandbox_id].subject
        how = f"SIGTERM, SIGKILL after {timeout}s" if killed else "SIGTERM"
        rt._record(
            "RuntimeService", "StopContainer", subject, f"kill ({c.config.metadata.name} {c.id[:4]}…: {how})"
        )

    def RemoveContainer(self, container_id: str) -> None:
        rt = self.rt
        c = rt.containers.pop(container_id, None)
        if c is None:
            return
        sandbox = rt.sandboxes.get(c.sandbox_id)
        rt._record(
            "RuntimeService",
            "RemoveContainer",
            sandbox.subject if sandbox is not None else c.id[:12],
            f"delete ({c.config.metadata.name} {c.id[:4]}…)",
        )

    def ListContainers(self, filter: ContainerFilter | None = None) -> list[Container]:
        out = []
        for c in sorted(self.rt.containers.values(), key=lambda c: (c.created_at, c.id)):
            if filter and (
                (filter.id and c.id != filter.id)
                or (filter.state is not None and c.state != filter.state)
                or (filter.pod_sandbox_id and c.sandbox_id != filter.pod_sandbox_id)
            ):
                continue
            out.append(
                Container(
                    c.id,
                    c.sandbox_id,
                    c.config.metadata,
                    c.config.image,
                    c.image_ref,
                    c.state,
                    c.created_at,
                    dict(c.config.labels),
                )
            )
        return out

    def ContainerStatus(self, container_id: str) -> ContainerStatus:
        c = self._container(container_id)
        return ContainerStatus(
            c.id,
            c.config.metadata,
            c.state,
            c.created_at,
            c.started_at,
            c.finished_at,
            c.exit_code,
            c.config.image,
            c.image_ref,
            c.reason,
            c.message,
            dict(c.config.labels),
            dict(c.config.annotations),
            c.config.log_path,
        )

    def ExecSync(
        self,
        container_id: str,
        cmd: list[str],
        timeout: int = 0,
        answer: Callable[[list[str]], tuple[int, str]] | None = None,
    ) -> ExecSyncResponse:
        """Run ``cmd`` in the container (exec probes); ``answer`` is the container's program reading it."""
        rt = self.rt
        c = self._container(container_id)
        if c.state != ContainerState.CONTAINER_RUNNING:
            raise CriError(
                "NotFound",
                f"container is not created or running: checking if container "
                f"{container_id} is running: container not running",
            )
        rt._record(
            "RuntimeService",
            "ExecSync",
            rt.sandboxes[c.sandbox_id].subject,
            f"exec ({' '.join(cmd)}, timeout {timeout}s)",
        )
        code, output = answer(cmd) if answer is not None else (0, "")
        return ExecSyncResponse(output.encode(), b"", code)


class ImageService:
    """``runtime.v1.ImageService``: images on the node."""

    def __init__(self, rt: ContainerRuntime):
        self.rt = rt

    def PullImage(self, image: ImageSpec, sandbox_config: PodSandboxConfig | None = None) -> str:
        """Pull from the registry; returns the image reference (digest).  Fails with :class:`CriError`."""
        rt = self.rt
        subject = (
            f"{sandbox_config.metadata.namespace}/{sandbox_config.metadata.name}"
            if sandbox_config
            else image.image
        )
        try:
            manifest = rt.registry.resolve(image.image)
        except CriError:
            rt._record(
                "ImageService", "PullImage", subject, f"← registry: {image.image} not found", oci=False
            )
            raise
        rt._store_image(image.image, manifest.repo_digest, manifest.size)
        rt._record(
            "ImageService",
            "PullImage",
            subject,
            f"← registry ({image.image}, {manifest.size} bytes)",
            oci=False,
        )
        return manifest.repo_digest

    def ImageStatus(self, image: ImageSpec, subject: str = "") -> Image | None:
        rt = self.rt
        img = rt.find_image(image.image)
        rt._record(
            "ImageService",
            "ImageStatus",
            subject or image.image,
            f"({image.image}: {'present' if img else 'not present'})",
            oci=False,
        )
        return img

    def ListImages(self) -> list[Image]:
        return [self.rt.images[k] for k in sorted(self.rt.images)]

    def RemoveImage(self, image: ImageSpec) -> None:
        rt = self.rt
        img = rt.find_image(image.image)
        if img is not None:
            rt.images = {k: v for k, v in rt.images.items() if v is not img}
            rt._record("ImageService", "RemoveImage", image.image, oci=False)

    def ImageFsInfo(self) -> list[FilesystemUsage]:
        used = sum(i.size for i in self.rt.images.values())
        mount = {"dockershim": "/var/lib/docker", "cri-o": "/var/lib/containers/storage"}.get(
            self.rt.name, "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
        )
        return [FilesystemUsage(self.rt._now_ns(), mount, used, len(self.rt.images) * 40)]
