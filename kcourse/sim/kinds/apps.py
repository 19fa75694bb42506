"""The ``apps/v1`` group: the workload kinds that own Pods.

Each is reconciled by its controller in kube-controller-manager
(``pkg/controller/deployment``, ``replicaset``, ``daemon``); their
``spec.selector`` is immutable and their ``/scale`` subresource is what
``kubectl scale`` writes.

Simplified: StatefulSet and ControllerRevision are not served.
"""

from __future__ import annotations

from .. import defaults, validation
from . import Kind, Printer, Subresource, spec_changed, spec_or_annotations_changed

__all__ = ["DAEMON_SET", "DEPLOYMENT", "REPLICA_SET"]

_WIDE = ("CONTAINERS", "IMAGES", "SELECTOR")
_SCALE = Subresource("scale", "autoscaling", "v1", "Scale", ("get", "patch", "update"))

DEPLOYMENT = Kind(
    "Deployment",
    "deployments",
    "apps",
    "v1",
    True,
    "/registry/deployments",
    ("deploy",),
    subresources=(_SCALE, Subresource("status", "apps", "v1", "Deployment", ("get", "patch", "update"))),
    categories=("all",),
    default=defaults.default_workload,
    validate=validation.validate_deployment,
    validate_update=validation.validate_selector_update,
    generation=spec_or_annotations_changed,
    # deploymentStatusStrategy resets spec and labels only: the controller's revision annotation rides on
    # its status update.
    status_metadata=("annotations",),
    printer=Printer(("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"), "_deployment_row", _WIDE),
    describe="describe_deployment",
    controllers=(
        (
            "deployment-controller",
            (
                "The Deployment controller turns a Deployment into ReplicaSets and rolls "
                "out changes by scaling a new ReplicaSet up and the old one down."
            ),
        ),
    ),
)

REPLICA_SET = Kind(
    "ReplicaSet",
    "replicasets",
    "apps",
    "v1",
    True,
    "/registry/replicasets",
    ("rs",),
    subresources=(_SCALE, Subresource("status", "apps", "v1", "ReplicaSet", ("get", "patch", "update"))),
    categories=("all",),
    default=defaults.default_workload,
    validate=validation.validate_replicaset,
    validate_update=validation.validate_selector_update,
    generation=spec_changed,
    printer=Printer(("NAME", "DESIRED", "CURRENT", "READY", "AGE"), "_replicaset_row", _WIDE),
    describe="describe_replicaset",
    controllers=(
        (
            "replicaset-controller",
            (
                "The ReplicaSet controller compares each ReplicaSet's spec.replicas with "
                "the Pods it owns and creates or deletes Pods to close the gap."
            ),
        ),
    ),
)

DAEMON_SET = Kind(
    "DaemonSet",
    "daemonsets",
    "apps",
    "v1",
    True,
    "/registry/daemonsets",
    ("ds",),
    categories=("all",),
    default=defaults.default_workload,
    validate=validation.validate_daemonset,
    validate_update=validation.validate_selector_update,
    generation=spec_changed,
    printer=Printer(
        ("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE SELECTOR", "AGE"),
        "_daemonset_row",
        _WIDE,
    ),
    describe="describe_daemonset",
    controllers=(
        (
            "daemonset-controller",
            ("The DaemonSet controller keeps one Pod of each DaemonSet on every eligible node."),
        ),
    ),
)
