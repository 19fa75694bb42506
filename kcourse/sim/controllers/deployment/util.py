"""Helpers of the Deployment controller (upstream ``util/deployment_util.go``): hashing, surge arithmetic,
ReplicaSet bookkeeping and the annotation and condition-reason names."""

from __future__ import annotations

import json
import math
from typing import Any

from ...apiserver import NAME_SUFFIX_ALPHABET
from ...objects import parse_timestamp

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
POD_TEMPLATE_HASH = "pod-template-hash"
_SKIP_ANNOTATIONS = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}

# Condition reasons (pkg/controller/deployment/util/deployment_util.go).
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"


# --- hashing and arithmetic ---------------------------------------------------------------------------


def safe_encode_string(text: str) -> str:
    """``rand.SafeEncodeString``: each byte mapped onto consonants and digits that spell no words."""
    return "".join(NAME_SUFFIX_ALPHABET[b % len(NAME_SUFFIX_ALPHABET)] for b in text.encode())


def compute_hash(template: dict, collision_count: int | None = None) -> str:
    """``controller.ComputeHash`` of a Pod template (FNV-32a; canonical JSON stands in for Go's spew)."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += (collision_count & 0xFFFFFFFF).to_bytes(4, "little") + bytes(4)
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return safe_encode_string(str(h))


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """``intstr.GetScaledValueFromIntOrPercent``: 2 stays 2; "25%" of 10 is 3 (up) or 2 (down).

    A value it cannot read fails with upstream's error text, which the sync returns (the
    key is retried with back-off).  Simplified: a string of digits without "%" is read as
    an integer, as this API server's validation lets it through.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise ValueError("invalid value for IntOrString: invalid type: neither int nor percentage")  # noqa: TRY004
    if not value.endswith("%"):
        if value.isascii() and value.isdigit() and len(value) < 19:
            return int(value)
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    digits = value[:-1]
    number = digits[1:] if digits[:1] in ("+", "-") else digits
    if not (number.isascii() and number.isdigit()):
        raise ValueError(
            f'invalid value for IntOrString: invalid value "{value}": '
            f'strconv.Atoi: parsing "{digits}": invalid syntax'
        )
    if len(number) > 19 or int(number) > 2**63 - 1:
        raise ValueError(
            f'invalid value for IntOrString: invalid value "{value}": '
            f'strconv.Atoi: parsing "{digits}": value out of range'
        )
    exact = int(digits) * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(surge: Any, unavailable: Any, desired: int) -> tuple[int, int]:
    """maxSurge rounds up, maxUnavailable down; if both end up 0, one Pod may be unavailable."""
    s = scaled_value(surge if surge is not None else 0, desired, True)
    u = scaled_value(unavailable if unavailable is not None else 0, desired, False)
    if s == 0 and u == 0:
        u = 1
    return s, u


def _rolling(d: dict) -> dict | None:
    strategy = d["spec"].get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        return None
    return strategy.get("rollingUpdate") or {"maxSurge": "25%", "maxUnavailable": "25%"}


def max_surge(d: dict) -> int:
    ru = _rolling(d)
    if ru is None:
        return 0
    return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), d["spec"].get("replicas", 1))[0]


def max_unavailable(d: dict) -> int:
    ru = _rolling(d)
    replicas = d["spec"].get("replicas", 1)
    if ru is None or replicas == 0:
        return 0
    return min(resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas)[1], replicas)


# --- replica set bookkeeping ------------------------------------------------------------------------


def _replicas(rs: dict | None) -> int:
    return 0 if rs is None else rs["spec"].get("replicas", 1)


def _status(rs: dict | None, field: str) -> int:
    return 0 if rs is None else (rs.get("status") or {}).get(field, 0)


def _revision(rs: dict) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def _created(rs: dict) -> tuple[float, str]:
    return parse_timestamp(rs["metadata"]["creationTimestamp"]), rs["metadata"]["name"]


def _int_annotation(rs: dict, name: str) -> int | None:
    try:
        return int((rs["metadata"].get("annotations") or {})[name])
    except (KeyError, ValueError):
        return None


def _without_hash(template: dict) -> dict:
    """``template`` without the ``pod-template-hash`` label: itself if it has none, else a new dict that
    shares every part but the labels with it (nothing is changed, so nothing needs a deep copy)."""
    labels = (template.get("metadata") or {}).get("labels")
    if not labels or POD_TEMPLATE_HASH not in labels:
        return template
    return {
        **template,
        "metadata": {
            **template["metadata"],
            "labels": {k: v for k, v in labels.items() if k != POD_TEMPLATE_HASH},
        },
    }


def equal_ignore_hash(a: dict, b: dict) -> bool:
    """Two templates are the same revision if they differ only in ``pod-template-hash``."""
    return _without_hash(a) == _without_hash(b)


def writable(obj: dict, spec: bool = False) -> dict:
    """A copy of a cached Deployment or ReplicaSet that the sync may change where it changes one.

    The sync (as upstream's, which calls ``DeepCopy()``) never changes what the informer holds.  It
    changes only the top level (``status`` is replaced), ``metadata`` (the ``annotations`` entry),
    the annotations themselves, the status's own fields (its conditions list is replaced, never changed
    in place) and, for a ReplicaSet, ``spec.replicas`` and ``spec.minReadySeconds``: those dicts are
    copied, every other part (the template, managedFields, the conditions) is shared with the cached
    object, which no one changes.
    """
    copy = dict(obj)
    md = copy["metadata"] = dict(obj["metadata"])
    annotations = md.get("annotations")
    if annotations is not None:
        md["annotations"] = dict(annotations)
    status = obj.get("status")
    if status is not None:
        copy["status"] = dict(status)
    if spec:
        copy["spec"] = dict(obj["spec"])
    return copy


def _active(rss: list[dict]) -> list[dict]:
    return [rs for rs in rss if rs is not None and _replicas(rs) > 0]


def _condition(status: dict, ctype: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == ctype), None)
