"""The core group (``/api/v1``): Pods, Nodes, Services, Namespaces and the objects they use.

Two etcd prefixes keep quirks of early Kubernetes: Nodes are stored under
``/registry/minions`` and Services under ``/registry/services/specs``
(``pkg/registry/core/*/storage``).  Verbs and subresources are those of
the real REST storage: a Namespace cannot be deleted as a collection, a
Pod has ``binding``, ``eviction`` and ``log``.

Simplified: the core group's other kinds (ReplicationController,
LimitRange, ResourceQuota, PodTemplate …) are not served.
"""

from __future__ import annotations

from .. import defaults, validation
from . import ALL_VERBS, Kind, Printer, Subresource
from .scheduling import admit_pod

__all__ = [
    "CONFIG_MAP",
    "ENDPOINTS",
    "EVENT",
    "NAMESPACE",
    "NODE",
    "PERSISTENT_VOLUME",
    "PERSISTENT_VOLUME_CLAIM",
    "POD",
    "SECRET",
    "SERVICE",
    "SERVICE_ACCOUNT",
]

NAMESPACE = Kind(
    "Namespace",
    "namespaces",
    "",
    "v1",
    False,
    "/registry/namespaces",
    ("ns",),
    verbs=tuple(v for v in ALL_VERBS if v != "deletecollection"),
    name_format="label",
    default=defaults.default_namespace,
    printer=Printer(("NAME", "STATUS", "AGE"), "_namespace_row"),
    describe="describe_namespace",
)

NODE = Kind(
    "Node",
    "nodes",
    "",
    "v1",
    False,
    "/registry/minions",
    ("no",),
    default=defaults.default_node,
    printer=Printer(
        ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
        "_node_row",
        ("INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"),
    ),
    describe="describe_node",
)

POD = Kind(
    "Pod",
    "pods",
    "",
    "v1",
    True,
    "/registry/pods",
    ("po",),
    subresources=(
        Subresource("binding", "", "v1", "Binding", ("create",)),
        Subresource("eviction", "policy", "v1", "Eviction", ("create",)),
        Subresource("log", "", "v1", "Pod", ("get",)),
        Subresource("status", "", "v1", "Pod", ("get", "patch", "update")),
    ),
    categories=("all",),
    default=defaults.default_pod,
    admit=admit_pod,
    validate=validation.validate_pod,
    validate_update=validation.validate_pod_update,
    printer=Printer(
        ("NAME", "READY", "STATUS", "RESTARTS", "AGE"),
        "_pod_row",
        ("IP", "NODE", "NOMINATED NODE", "READINESS GATES"),
    ),
    describe="describe_pod",
)

SERVICE = Kind(
    "Service",
    "services",
    "",
    "v1",
    True,
    "/registry/services/specs",
    ("svc",),
    categories=("all",),
    name_format="dns1035",
    default=defaults.default_service,
    validate=validation.validate_service,
    validate_update=validation.validate_service_update,
    printer=Printer(
        ("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"), "_service_row", ("SELECTOR",)
    ),
    describe="describe_service",
)

ENDPOINTS = Kind(
    "Endpoints",
    "endpoints",
    "",
    "v1",
    True,
    "/registry/services/endpoints",
    ("ep",),
    False,
    printer=Printer(("NAME", "ENDPOINTS", "AGE"), "_endpoints_row"),
)

SERVICE_ACCOUNT = Kind(
    "ServiceAccount",
    "serviceaccounts",
    "",
    "v1",
    True,
    "/registry/serviceaccounts",
    ("sa",),
    False,
    printer=Printer(("NAME", "SECRETS", "AGE"), "_serviceaccount_row"),
    describe="describe_serviceaccount",
)

SECRET = Kind(
    "Secret",
    "secrets",
    "",
    "v1",
    True,
    "/registry/secrets",
    (),
    False,
    validate=validation.validate_config_data,
    printer=Printer(("NAME", "TYPE", "DATA", "AGE"), "_secret_row"),
    describe="describe_secret",
)

CONFIG_MAP = Kind(
    "ConfigMap",
    "configmaps",
    "",
    "v1",
    True,
    "/registry/configmaps",
    ("cm",),
    False,
    validate=validation.validate_config_data,
    printer=Printer(("NAME", "DATA", "AGE"), "_configmap_row"),
    describe="describe_configmap",
)

EVENT = Kind(
    "Event",
    "events",
    "",
    "v1",
    True,
    "/registry/events",
    ("ev",),
    False,
    printer=Printer(("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"), "_event_row"),
)

PERSISTENT_VOLUME = Kind(
    "PersistentVolume",
    "persistentvolumes",
    "",
    "v1",
    False,
    "/registry/persistentvolumes",
    ("pv",),
    printer=Printer(
        (
            "NAME",
            "CAPACITY",
            "ACCESS MODES",
            "RECLAIM POLICY",
            "STATUS",
            "CLAIM",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "REASON",
            "AGE",
        ),
        "_pv_row",
        ("VOLUMEMODE",),
    ),
)

PERSISTENT_VOLUME_CLAIM = Kind(
    "PersistentVolumeClaim",
    "persistentvolumeclaims",
    "",
    "v1",
    True,
    "/registry/persistentvolumeclaims",
    ("pvc",),
    printer=Printer(
        (
            "NAME",
            "STATUS",
            "VOLUME",
            "CAPACITY",
            "ACCESS MODES",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "AGE",
        ),
        "_pvc_row",
        ("VOLUMEMODE",),
    ),
)
