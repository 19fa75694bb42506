"""The kinds of object the simulated API server serves.

Each entry says where a kind lives in the REST API (group, version, plural)
and in etcd.  The etcd prefixes are the real ones, quirks included: Nodes
are stored under ``/registry/minions`` (their name in early Kubernetes) and
Services under ``/registry/services/specs``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RESOURCES", "ResourceType", "by_kind", "by_plural", "lookup", "object_key"]


@dataclass(frozen=True)
class ResourceType:
    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    etcd_prefix: str
    short_names: tuple[str, ...] = ()
    has_status: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``deployments.apps``: how error messages name a resource of a named group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def etcd_key(self, namespace: str | None, name: str) -> str:
        return f"{self.etcd_prefix}/{namespace}/{name}" if self.namespaced else f"{self.etcd_prefix}/{name}"


RESOURCES: tuple[ResourceType, ...] = (
    ResourceType("Namespace", "namespaces", "", "v1", False, "/registry/namespaces", ("ns",)),
    ResourceType("Node", "nodes", "", "v1", False, "/registry/minions", ("no",)),
    ResourceType("Pod", "pods", "", "v1", True, "/registry/pods", ("po",)),
    ResourceType("Service", "services", "", "v1", True, "/registry/services/specs", ("svc",)),
    ResourceType("Endpoints", "endpoints", "", "v1", True, "/registry/services/endpoints", ("ep",), False),
    ResourceType("ServiceAccount", "serviceaccounts", "", "v1", True, "/registry/serviceaccounts", ("sa",), False),
    ResourceType("Secret", "secrets", "", "v1", True, "/registry/secrets", (), False),
    ResourceType("ConfigMap", "configmaps", "", "v1", True, "/registry/configmaps", ("cm",), False),
    ResourceType("Event", "events", "", "v1", True, "/registry/events", ("ev",), False),
    ResourceType("Deployment", "deployments", "apps", "v1", True, "/registry/deployments", ("deploy",)),
    ResourceType("ReplicaSet", "replicasets", "apps", "v1", True, "/registry/replicasets", ("rs",)),
    ResourceType("DaemonSet", "daemonsets", "apps", "v1", True, "/registry/daemonsets", ("ds",)),
    ResourceType("EndpointSlice", "endpointslices", "discovery.k8s.io", "v1", True, "/registry/endpointslices",
                 (), False),
    ResourceType("Lease", "leases", "coordination.k8s.io", "v1", True, "/registry/leases", (), False),
    ResourceType("PersistentVolume", "persistentvolumes", "", "v1", False, "/registry/persistentvolumes", ("pv",)),
    ResourceType("PersistentVolumeClaim", "persistentvolumeclaims", "", "v1", True,
                 "/registry/persistentvolumeclaims", ("pvc",)),
    ResourceType("StorageClass", "storageclasses", "storage.k8s.io", "v1", False, "/registry/storageclasses",
                 ("sc",), False),
)

_BY_KIND = {r.kind: r for r in RESOURCES}
_BY_PLURAL = {r.plural: r for r in RESOURCES}
_NAMES: dict[str, ResourceType] = {}
for _r in RESOURCES:
    for _n in (_r.kind.lower(), _r.plural, _r.qualified, f"{_r.kind.lower()}.{_r.group}" if _r.group else "",
               *_r.short_names):
        if _n:
            _NAMES.setdefault(_n, _r)


def by_kind(kind: str) -> ResourceType | None:
    return _BY_KIND.get(kind)


def by_plural(plural: str) -> ResourceType | None:
    return _BY_PLURAL.get(plural)


def lookup(name: str) -> ResourceType | None:
    """Resolve what a user types (``po``, ``pods``, ``Deployment``, ``deployments.apps``)."""
    return _NAMES.get(name.lower())


def object_key(obj: dict) -> str:
    """The informer key: ``namespace/name``, or ``name`` for cluster-scoped objects."""
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{ns}/{meta.get('name')}" if ns else str(meta.get("name"))
