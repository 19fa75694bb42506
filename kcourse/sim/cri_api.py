"""The messages of the Container Runtime Interface, and the error a failed call returns.

These are the types of ``k8s.io/cri-api`` (``pkg/apis/runtime/v1/api.proto``, package ``runtime.v1``):
the requests and responses the kubelet exchanges with a container runtime over gRPC.  Upstream keeps them
in their own module, apart from any runtime, because they are the contract both sides build against; the
kubelet (``pkg/kubelet/kuberuntime``) and containerd or CRI-O each import them.  Here, likewise, the
runtimes of :mod:`kcourse.sim.cri` and the kubelet share them, and a learner can read them next to
``api.proto``: snake_case fields, ``ContainerState.CONTAINER_RUNNING`` …

:class:`CriError` is a failed call as the kubelet sees it, a gRPC status printed as
``rpc error: code = … desc = …`` (``k8s.io/cri-api/pkg/errors`` tells its codes apart).

Simplified: dataclasses, not protobuf messages; only the fields the simulation reads or shows; no
streaming, checkpoint or stats messages; a :class:`CriError` carries only its code and text, no status
details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "Container",
    "ContainerConfig",
    "ContainerFilter",
    "ContainerMetadata",
    "ContainerState",
    "ContainerStatus",
    "CriError",
    "DNSConfig",
    "ExecSyncResponse",
    "FilesystemUsage",
    "Image",
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
    "RuntimeStatus",
    "VersionResponse",
]


class CriError(Exception):
    """A failed CRI call (gRPC status), with the text the kubelet would show."""

    def __init__(self, code: str, message: str):
        super().__init__(f"rpc error: code = {code} desc = {message}")
        self.code = code
        self.desc = message


# --- messages (runtime.v1) ---------------------------------------------------------------------


@dataclass(slots=True)
class PodSandboxMetadata:
    name: str
    uid: str
    namespace: str
    attempt: int = 0


@dataclass(slots=True)
class DNSConfig:
    servers: list[str] = field(default_factory=list)
    searches: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass(slots=True)
class PortMapping:
    protocol: str = "TCP"
    container_port: int = 0
    host_port: int = 0
    host_ip: str = ""


@dataclass(slots=True)
class PodSandboxConfig:
    metadata: PodSandboxMetadata
    hostname: str = ""
    log_directory: str = ""
    dns_config: DNSConfig | None = None
    port_mappings: list[PortMapping] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    host_network: bool = False  # linux.security_context.namespace_options.network == NODE


@dataclass(slots=True)
class RunPodSandboxRequest:
    config: PodSandboxConfig
    runtime_handler: str = ""


@dataclass(slots=True)
class RunPodSandboxResponse:
    pod_sandbox_id: str


class PodSandboxState(Enum):
    SANDBOX_READY = 0
    SANDBOX_NOTREADY = 1


@dataclass(slots=True)
class PodSandboxStatus:
    id: str
    metadata: PodSandboxMetadata
    state: PodSandboxState
    created_at: int
    ip: str = ""  # network.ip
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    runtime_handler: str = ""


@dataclass(slots=True)
class PodSandbox:
    id: str
    metadata: PodSandboxMetadata
    state: PodSandboxState
    created_at: int
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ContainerMetadata:
    name: str
    attempt: int = 0


@dataclass(slots=True)
class ImageSpec:
    image: str


@dataclass(slots=True)
class KeyValue:
    key: str
    value: str


@dataclass(slots=True)
class ContainerConfig:
    metadata: ContainerMetadata
    image: ImageSpec
    command: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    working_dir: str = ""
    envs: list[KeyValue] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    log_path: str = ""


class ContainerState(Enum):
    CONTAINER_CREATED = 0
    CONTAINER_RUNNING = 1
    CONTAINER_EXITED = 2
    CONTAINER_UNKNOWN = 3


@dataclass(slots=True)
class ContainerStatus:
    id: str
    metadata: ContainerMetadata
    state: ContainerState
    created_at: int
    started_at: int = 0
    finished_at: int = 0
    exit_code: int = 0
    image: ImageSpec | None = None
    image_ref: str = ""
    reason: str = ""
    message: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    log_path: str = ""


@dataclass(slots=True)
class Container:
    id: str
    pod_sandbox_id: str
    metadata: ContainerMetadata
    image: ImageSpec
    image_ref: str
    state: ContainerState
    created_at: int
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ContainerFilter:
    id: str = ""
    state: ContainerState | None = None
    pod_sandbox_id: str = ""


@dataclass(slots=True)
class PodSandboxFilter:
    id: str = ""
    state: PodSandboxState | None = None


@dataclass(slots=True)
class ExecSyncResponse:
    stdout: bytes = b""
    stderr: bytes = b""
    exit_code: int = 0


@dataclass(slots=True)
class VersionResponse:
    version: str
    runtime_name: str
    runtime_version: str
    runtime_api_version: str


@dataclass(slots=True)
class RuntimeCondition:
    type: str
    status: bool
    reason: str = ""
    message: str = ""


@dataclass(slots=True)
class RuntimeStatus:
    conditions: list[RuntimeCondition]


@dataclass(slots=True)
class Image:
    id: str
    repo_tags: list[str]
    repo_digests: list[str]
    size: int


@dataclass(slots=True)
class FilesystemUsage:
    timestamp: int
    mountpoint: str
    used_bytes: int
    inodes_used: int
