"""The ``scheduling.k8s.io/v1`` group: PriorityClasses, and the Priority admission plugin that reads them.

A PriorityClass maps a name to an integer: a Pod names its class in
``spec.priorityClassName`` and the **Priority admission plugin**
(``plugin/pkg/admission/priority/admission.go``) resolves it when the Pod is
created, writing ``spec.priority`` and ``spec.preemptionPolicy``.  The
scheduler then sorts its queue by that number and preempts lower-priority
Pods for higher ones.  A Pod without a class gets the class marked
``globalDefault`` (or 0).  A class that does not exist, or a ``priority``
the user wrote and the class contradicts, is refused with 403 Forbidden
and the plugin's own words.

The API server creates the two system classes when it starts
(``system-cluster-critical`` = 2000000000, ``system-node-critical`` =
2000001000, ``pkg/apis/scheduling/v1/helpers.go``); the ``system-`` prefix
is reserved for them, and a user's class may not exceed 1000000000
(``pkg/apis/scheduling/validation/validation.go``).  At most one class is
the global default (the plugin's ``validatePriorityClass``).

Simplified: the system classes are not protected from deletion; the
plugin reads the API server's cache (upstream reads its informer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ApiError
from ..validation import ErrorList
from . import Kind, Printer

__all__ = [
    "HIGHEST_USER_DEFINABLE_PRIORITY",
    "PRIORITY_CLASS",
    "SYSTEM_CRITICAL_PRIORITY",
    "SYSTEM_PRIORITY_CLASSES",
    "admit_pod",
    "admit_priority_class",
]

HIGHEST_USER_DEFINABLE_PRIORITY = 1000000000
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY
SYSTEM_PRIORITY_CLASS_PREFIX = "system-"
#: ``DefaultPriorityWhenNoDefaultClassExists``.
DEFAULT_PRIORITY = 0

SYSTEM_PRIORITY_CLASSES: tuple[dict, ...] = (
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-node-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY + 1000,
        "description": "Used for system critical pods that must not be moved from their current node.",
    },
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": "system-cluster-critical"},
        "value": SYSTEM_CRITICAL_PRIORITY,
        "description": (
            "Used for system critical pods that must run in the cluster, but can be moved to another node if "
            "necessary."
        ),
    },
)

#: What the plugin reads: the current objects of a resource (``lister.List``).
Lister = Callable[[str], list[dict]]


def default_priority_class(obj: dict) -> None:
    """``SetDefaults_PriorityClass``: preemptionPolicy PreemptLowerPriority."""
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def _known_system_class_error(pc: dict) -> str | None:
    """``IsKnownSystemPriorityClass``: None if it is one, else why not."""
    name = pc["metadata"].get("name")
    for known in SYSTEM_PRIORITY_CLASSES:
        if known["metadata"]["name"] == name:
            if pc.get("value", 0) != known["value"]:
                return f"value of {name} PriorityClass must be {known['value']}"
            if bool(pc.get("globalDefault")):
                return f"globalDefault of {name} PriorityClass must be false"
            return None
    return f"{name} is not a known system priority class"


def validate_priority_class(errs: ErrorList, pc: dict) -> None:
    """``ValidatePriorityClass``: the reserved prefix, the highest user-definable value, the preemption
    policy."""
    name = pc["metadata"].get("name") or ""
    if name.startswith(SYSTEM_PRIORITY_CLASS_PREFIX):
        problem = _known_system_class_error(pc)
        if problem is not None:
            errs.forbidden(
                "metadata.name",
                f"priority class names with '{SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are "
                f"reserved for system use only. error: {problem}",
            )
    elif pc.get("value", 0) > HIGHEST_USER_DEFINABLE_PRIORITY:
        errs.forbidden(
            "value", f"maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"
        )
    policy = pc.get("preemptionPolicy")
    if policy is not None and policy not in ("PreemptLowerPriority", "Never"):
        errs.unsupported("preemptionPolicy", policy, ["Never", "PreemptLowerPriority"])


def validate_priority_class_update(errs: ErrorList, new: dict, old: dict) -> None:
    """``ValidatePriorityClassUpdate``: value and preemptionPolicy never change."""
    if new.get("value", 0) != old.get("value", 0):
        errs.forbidden("value", "may not be changed in an update.")
    if new.get("preemptionPolicy") != old.get("preemptionPolicy"):
        errs.invalid("preemptionPolicy", new.get("preemptionPolicy"), "field is immutable")


# --- the Priority admission plugin --------------------------------------------------------------------------


def _forbidden(resource: str, name: str, message: str) -> ApiError:
    """``admission.NewForbidden``: the object's name, or its generateName before one is generated."""
    return ApiError(
        403, "Forbidden", f'{resource} "{name}" is forbidden: {message}', kind=resource, name=name
    )


def _default_class(lister: Lister) -> dict | None:
    """``getDefaultPriorityClass``: the globalDefault class; the lowest value if a race left several."""
    found = None
    for pc in lister("priorityclasses"):
        if pc.get("globalDefault") and (found is None or found.get("value", 0) > pc.get("value", 0)):
            found = pc
    return found


def admit_pod(pod: dict, old: dict | None, lister: Lister, name: str) -> None:
    """``admitPod``: on create resolve ``priorityClassName`` into ``priority`` and ``preemptionPolicy``; on
    update
    keep what creation set (validation forbids changing them)."""
    spec = pod.setdefault("spec", {})
    if old is not None:
        old_spec = old.get("spec") or {}
        for field in ("priority", "preemptionPolicy"):
            if spec.get(field) is None and old_spec.get(field) is not None:
                spec[field] = old_spec[field]
        return
    class_name = spec.get("priorityClassName") or ""
    if not class_name:
        pc = _default_class(lister)
        priority = pc.get("value", 0) if pc else DEFAULT_PRIORITY
        policy = pc.get("preemptionPolicy", "PreemptLowerPriority") if pc else "PreemptLowerPriority"
        if pc is not None:
            spec["priorityClassName"] = pc["metadata"]["name"]
    else:
        pc = next((p for p in lister("priorityclasses") if p["metadata"]["name"] == class_name), None)
        if pc is None:
            raise _forbidden("pods", name, f"no PriorityClass with name {class_name} was found")
        priority, policy = pc.get("value", 0), pc.get("preemptionPolicy")
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise _forbidden(
            "pods",
            name,
            f"the integer value of priority ({spec['priority']}) must not be provided in "
            f"pod spec; priority admission controller computed {priority} from the given PriorityClass "
            "name",
        )
    spec["priority"] = priority
    if policy is not None:
        if spec.get("preemptionPolicy") is not None and spec["preemptionPolicy"] != policy:
            raise _forbidden(
                "pods",
                name,
                f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must "
                f"not be provided in pod spec; priority admission controller computed {policy} from the "
                "given PriorityClass name",
            )
        spec["preemptionPolicy"] = policy


def admit_priority_class(pc: dict, old: dict | None, lister: Lister, name: str) -> None:
    """``validatePriorityClass``: only one class may be the global default."""
    if not pc.get("globalDefault"):
        return
    current = _default_class(lister)
    if current is not None and (old is None or current["metadata"]["name"] != pc["metadata"].get("name")):
        raise _forbidden(
            "priorityclasses.scheduling.k8s.io",
            name,
            f"PriorityClass {current['metadata']['name']} is "
            "already marked as default. Only one default can exist",
        )


# --- kubectl ------------------------------------------------------------------------------------------------


def priority_class_row(pc: dict, now: float, _wide: bool) -> list[str]:
    """``printPriorityClass``: NAME, VALUE, GLOBAL-DEFAULT, AGE, PREEMPTIONPOLICY."""
    from ..kubectl.printers import _age

    return [
        pc["metadata"]["name"],
        str(pc.get("value", 0)),
        "true" if pc.get("globalDefault") else "false",
        _age(pc, now),
        pc.get("preemptionPolicy") or "",
    ]


def kubectl_create_priority_class(words: list[str], flags: dict[str, Any]) -> dict:
    """``kubectl create priorityclass NAME --value=… [--global-default] [--description=…]
    [--preemption-policy=…]``
    (``kubectl/pkg/cmd/create/create_priorityclass.go``)."""
    if len(words) != 1:
        raise ValueError(f"exactly one NAME is required, got {len(words)}")
    obj: dict[str, Any] = {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": words[0]},
        "value": flags.get("value", 0),
    }
    if flags.get("global-default"):  # globalDefault and description are omitempty
        obj["globalDefault"] = True
    if flags.get("description"):
        obj["description"] = flags["description"]
    obj["preemptionPolicy"] = flags.get("preemption-policy") or "PreemptLowerPriority"
    return obj


PRIORITY_CLASS = Kind(
    "PriorityClass",
    "priorityclasses",
    "scheduling.k8s.io",
    "v1",
    False,
    "/registry/priorityclasses",
    ("pc",),
    has_status=False,
    default=default_priority_class,
    validate=validate_priority_class,
    validate_update=validate_priority_class_update,
    admit=admit_priority_class,
    printer=Printer(("NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"), priority_class_row),
    kubectl_create=kubectl_create_priority_class,
    create_flags=("value", "global-default", "description", "preemption-policy"),
)
