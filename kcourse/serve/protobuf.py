"""Decode the protobuf bodies kubectl's typed clients send.

``kubectl create deployment|namespace|configmap|secret|service|serviceaccount``
use client-go's generated clientset, which encodes request bodies as
Kubernetes protobuf (``Content-Type: application/vnd.kubernetes.protobuf``)
and never falls back to JSON.  The encoding is a 4-byte magic ``k8s\\0``
and a ``runtime.Unknown`` envelope (``typeMeta``, ``raw``) whose ``raw``
is the object in the message types of ``k8s.io/api``'s ``generated.proto``.

go-to-protobuf writes every non-pointer field, zero or not, so zero values
are dropped here (as ``omitempty`` would in JSON) except for pointer fields
such as ``spec.replicas``, where 0 means 0.

A body that is not well-formed protobuf — a truncated varint or length, a
field sent with the wrong wire type, a varint over 64 bits — is refused with
400 in gogo-protobuf's words (``proto: wrong wireType = 0 for field Name``,
``unexpected EOF``, ``proto: integer overflow``), wrapped as apimachinery
wraps a decoding error (``Deployment in version "v1" cannot be handled as a
Deployment: …``).  Invalid UTF-8 in a string is kept as gogo keeps it and
shows as U+FFFD in JSON.

The same format is what kube-apiserver stores in etcd unless it runs with
``--storage-media-type=application/json``: :func:`encode` writes an object
the way go-to-protobuf's generated ``Marshal`` does — fields in ascending
number order, every non-pointer field even when zero (``generateName: ""``
is two bytes on disk), map entries sorted by key, an empty ``Time`` as an
empty message — inside the ``runtime.Unknown`` envelope, whose empty
``contentEncoding`` and ``contentType`` end every value with ``1a 00 22 00``.

Simplified: only the message types of the objects kubectl creates this way
(and what they contain in everyday manifests) are known; a body using a
field outside them is refused with 415 and asks for JSON.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from kcourse.sim import errors
from kcourse.sim.errors import ApiError

__all__ = ["MAGIC", "decode", "encode", "envelope", "field", "varint"]

MAGIC = b"k8s\x00"

# message → field number → (JSON name, type).  Types: string, int, bool, bytes, Time, IntOrString, Quantity,
# "*int"/"*bool" (pointers: zero is kept), "[]T" (repeated), "map:T" (map<string, T>), "-" (ignored) or a
# message.
_META = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    4: ("selfLink", "string"),
    5: ("uid", "string"),
    6: ("resourceVersion", "string"),
    7: ("generation", "int"),
    8: ("creationTimestamp", "Time"),
    9: ("deletionTimestamp", "*Time"),
    10: ("deletionGracePeriodSeconds", "*int"),
    11: ("labels", "map:string"),
    12: ("annotations", "map:string"),
    13: ("ownerReferences", "[]OwnerReference"),
    14: ("finalizers", "[]string"),
    17: ("managedFields", "-"),
}
SCHEMA: dict[str, dict[int, tuple[str, str]]] = {
    "ObjectMeta": _META,
    "OwnerReference": {
        1: ("kind", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("controller", "*bool"),
        7: ("blockOwnerDeletion", "*bool"),
    },
    "LabelSelector": {
        1: ("matchLabels", "map:string"),
        2: ("matchExpressions", "[]LabelSelectorRequirement"),
    },
    "LabelSelectorRequirement": {1: ("key", "string"), 2: ("operator", "string"), 3: ("values", "[]string")},
    "Deployment": {1: ("metadata", "ObjectMeta"), 2: ("spec", "DeploymentSpec"), 3: ("status", "-")},
    "DeploymentSpec": {
        1: ("replicas", "*int"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("strategy", "DeploymentStrategy"),
        5: ("minReadySeconds", "int"),
        6: ("revisionHistoryLimit", "*int"),
        7: ("paused", "bool"),
        9: ("progressDeadlineSeconds", "*int"),
    },
    "DeploymentStrategy": {1: ("type", "string"), 2: ("rollingUpdate", "RollingUpdateDeployment")},
    "RollingUpdateDeployment": {1: ("maxUnavailable", "IntOrString"), 2: ("maxSurge", "IntOrString")},
    "ReplicaSet": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ReplicaSetSpec"), 3: ("status", "-")},
    "ReplicaSetSpec": {
        1: ("replicas", "*int"),
        2: ("selector", "LabelSelector"),
        3: ("template", "PodTemplateSpec"),
        4: ("minReadySeconds", "int"),
    },
    "PodTemplateSpec": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec")},
    "Pod": {1: ("metadata", "ObjectMeta"), 2: ("spec", "PodSpec"), 3: ("status", "-")},
    "PodSpec": {
        1: ("volumes", "[]Volume"),
        2: ("containers", "[]Container"),
        3: ("restartPolicy", "string"),
        4: ("terminationGracePeriodSeconds", "*int"),
        5: ("activeDeadlineSeconds", "*int"),
        6: ("dnsPolicy", "string"),
        7: ("nodeSelector", "map:string"),
        8: ("serviceAccountName", "string"),
        9: ("serviceAccount", "string"),
        10: ("nodeName", "string"),
        11: ("hostNetwork", "bool"),
        12: ("hostPID", "bool"),
        13: ("hostIPC", "bool"),
        16: ("hostname", "string"),
        17: ("subdomain", "string"),
        19: ("schedulerName", "string"),
        20: ("initContainers", "[]Container"),
        21: ("automountServiceAccountToken", "*bool"),
        22: ("tolerations", "[]Toleration"),
        24: ("priorityClassName", "string"),
        25: ("priority", "*int"),
        30: ("enableServiceLinks", "*bool"),
        31: ("preemptionPolicy", "string"),
    },
    "Container": {
        1: ("name", "string"),
        2: ("image", "string"),
        3: ("command", "[]string"),
        4: ("args", "[]string"),
        5: ("workingDir", "string"),
        6: ("ports", "[]ContainerPort"),
        7: ("env", "[]EnvVar"),
        8: ("resources", "ResourceRequirements"),
        9: ("volumeMounts", "[]VolumeMount"),
        13: ("terminationMessagePath", "string"),
        14: ("imagePullPolicy", "string"),
        16: ("stdin", "bool"),
        17: ("stdinOnce", "bool"),
        18: ("tty", "bool"),
        20: ("terminationMessagePolicy", "string"),
        24: ("restartPolicy", "string"),
    },
    "ContainerPort": {
        1: ("name", "string"),
        2: ("hostPort", "int"),
        3: ("containerPort", "int"),
        4: ("protocol", "string"),
        5: ("hostIP", "string"),
    },
    "VolumeMount": {
        1: ("name", "string"),
        2: ("readOnly", "bool"),
        3: ("mountPath", "string"),
        4: ("subPath", "string"),
        5: ("mountPropagation", "*string"),
        6: ("subPathExpr", "string"),
        7: ("recursiveReadOnly", "*string"),
    },
    # A Volume's source is inlined in JSON (``VolumeSource `json:",inline"```) but a field of its own in
    # protobuf.
    "Volume": {1: ("name", "string"), 2: ("", "inline:VolumeSource")},
    "VolumeSource": {
        1: ("hostPath", "*HostPathVolumeSource"),
        2: ("emptyDir", "*EmptyDirVolumeSource"),
        6: ("secret", "*SecretVolumeSource"),
        10: ("persistentVolumeClaim", "*PersistentVolumeClaimVolumeSource"),
        19: ("configMap", "*ConfigMapVolumeSource"),
    },
    "HostPathVolumeSource": {1: ("path", "string"), 2: ("type", "*string")},
    "EmptyDirVolumeSource": {1: ("medium", "string"), 2: ("sizeLimit", "*Quantity")},
    "SecretVolumeSource": {1: ("secretName", "string"), 3: ("defaultMode", "*int"), 4: ("optional", "*bool")},
    "ConfigMapVolumeSource": {
        1: ("", "inline:LocalObjectReference"),
        3: ("defaultMode", "*int"),
        4: ("optional", "*bool"),
    },
    "PersistentVolumeClaimVolumeSource": {1: ("claimName", "string"), 2: ("readOnly", "bool")},
    "EnvVar": {1: ("name", "string"), 2: ("value", "string")},
    "ResourceRequirements": {1: ("limits", "map:Quantity"), 2: ("requests", "map:Quantity")},
    "Toleration": {
        1: ("key", "string"),
        2: ("operator", "string"),
        3: ("value", "string"),
        4: ("effect", "string"),
        5: ("tolerationSeconds", "*int"),
    },
    "Namespace": {1: ("metadata", "ObjectMeta"), 2: ("spec", "NamespaceSpec"), 3: ("status", "-")},
    "NamespaceSpec": {1: ("finalizers", "[]string")},
    "ConfigMap": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:string"),
        3: ("binaryData", "map:bytes"),
        4: ("immutable", "*bool"),
    },
    "Secret": {
        1: ("metadata", "ObjectMeta"),
        2: ("data", "map:bytes"),
        3: ("type", "string"),
        4: ("stringData", "map:string"),
        5: ("immutable", "*bool"),
    },
    "ServiceAccount": {
        1: ("metadata", "ObjectMeta"),
        2: ("secrets", "[]ObjectReference"),
        3: ("imagePullSecrets", "[]LocalObjectReference"),
        4: ("automountServiceAccountToken", "*bool"),
    },
    "LocalObjectReference": {1: ("name", "string")},
    "ObjectReference": {
        1: ("kind", "string"),
        2: ("namespace", "string"),
        3: ("name", "string"),
        4: ("uid", "string"),
        5: ("apiVersion", "string"),
        6: ("resourceVersion", "string"),
        7: ("fieldPath", "string"),
    },
    "Service": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ServiceSpec"), 3: ("status", "-")},
    "ServiceSpec": {
        1: ("ports", "[]ServicePort"),
        2: ("selector", "map:string"),
        3: ("clusterIP", "string"),
        4: ("type", "string"),
        5: ("externalIPs", "[]string"),
        7: ("sessionAffinity", "string"),
        8: ("loadBalancerIP", "string"),
        10: ("externalName", "string"),
        9: ("loadBalancerSourceRanges", "[]string"),
        11: ("externalTrafficPolicy", "string"),
        12: ("healthCheckNodePort", "int"),
        13: ("publishNotReadyAddresses", "bool"),
        17: ("ipFamilyPolicy", "string"),
        18: ("clusterIPs", "[]string"),
        19: ("ipFamilies", "[]string"),
        20: ("allocateLoadBalancerNodePorts", "*bool"),
        21: ("loadBalancerClass", "*string"),
        22: ("internalTrafficPolicy", "*string"),
        23: ("trafficDistribution", "*string"),
    },
    "ServicePort": {
        1: ("name", "string"),
        2: ("protocol", "string"),
        3: ("port", "int"),
        4: ("targetPort", "IntOrString"),
        5: ("nodePort", "int"),
        6: ("appProtocol", "string"),
    },
    "Eviction": {1: ("metadata", "ObjectMeta"), 2: ("deleteOptions", "DeleteOptions")},
    "DeleteOptions": {
        1: ("gracePeriodSeconds", "*int"),
        2: ("preconditions", "Preconditions"),
        3: ("orphanDependents", "*bool"),
        4: ("propagationPolicy", "string"),
        5: ("dryRun", "[]string"),
    },
    "Preconditions": {1: ("uid", "string"), 2: ("resourceVersion", "string")},
    "Binding": {1: ("metadata", "ObjectMeta"), 2: ("target", "ObjectReference")},
    "SelfSubjectReview": {1: ("metadata", "ObjectMeta"), 2: ("status", "-")},
    "SelfSubjectAccessReview": {
        1: ("metadata", "ObjectMeta"),
        2: ("spec", "SelfSubjectAccessReviewSpec"),
        3: ("status", "-"),
    },
    "SelfSubjectAccessReviewSpec": {
        1: ("resourceAttributes", "ResourceAttributes"),
        2: ("nonResourceAttributes", "NonResourceAttributes"),
    },
    "ResourceAttributes": {
        1: ("namespace", "string"),
        2: ("verb", "string"),
        3: ("group", "string"),
        4: ("version", "string"),
        5: ("resource", "string"),
        6: ("subresource", "string"),
        7: ("name", "string"),
    },
    "NonResourceAttributes": {1: ("path", "string"), 2: ("verb", "string")},
    "Scale": {1: ("metadata", "ObjectMeta"), 2: ("spec", "ScaleSpec"), 3: ("status", "-")},
    "ScaleSpec": {1: ("replicas", "int")},
}
_ZERO: tuple[Any, ...] = ("", 0, False, None, [], {})


def _unsupported(detail: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the protobuf body uses {detail}, which this simulated API server "
        "does not decode - send it as application/json",
    )


class ProtobufError(ValueError):
    """Not well-formed protobuf: gogo-protobuf's error text."""


#: The wire type each kind of field must arrive with (0: varint, 2: length-delimited).
def _wire_for(kind: str) -> int:
    if kind in ("int", "*int", "bool", "*bool"):
        return 0
    return 2


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if shift >= 64:
            raise ProtobufError("proto: integer overflow")
        if i >= len(buf):
            raise ProtobufError("unexpected EOF")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    out: list[tuple[int, int, Any]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if number <= 0:
            raise ProtobufError(f"proto: Unknown: illegal tag {number} (wire type {wire})")
        value: Any
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            length, i = _varint(buf, i)
            if length >= 1 << 63:
                raise ProtobufError("proto: negative length found during unmarshaling")
            if i + length > len(buf):
                raise ProtobufError("unexpected EOF")
            value, i = buf[i : i + length], i + length
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if i + size > len(buf):
                raise ProtobufError("unexpected EOF")
            value, i = buf[i : i + size], i + size
        else:
            raise ProtobufError(f"proto: illegal wireType {wire}")
        out.append((number, wire, value))
    return out


def _signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _by_number(buf: bytes, wires: dict[int, int]) -> dict[int, Any]:
    """The fields of a small well-known message (Time, Quantity, a map entry …), wire types checked."""
    out: dict[int, Any] = {}
    for number, wire, value in _fields(buf):
        if number in wires:
            if wire != wires[number]:
                raise ProtobufError(f"proto: wrong wireType = {wire} for field {number}")
            out[number] = value
    return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")  # gogo keeps any bytes; JSON shows invalid UTF-8 as U+FFFD


def _scalar(kind: str, raw: Any) -> Any:
    if kind in ("string", "*string"):
        return _text(raw)
    if kind in ("int", "*int"):
        return _signed(raw)
    if kind in ("bool", "*bool"):
        return bool(raw)
    if kind == "bytes":
        return base64.b64encode(raw).decode()
    if kind in ("Time", "*Time"):
        f = _by_number(raw, {1: 0, 2: 0})
        seconds = _signed(f.get(1, 0))
        if not seconds:
            return None
        try:
            return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            raise ProtobufError("Time.MarshalJSON: year outside of range [0,9999]") from None
    if kind in ("Quantity", "*Quantity"):
        return _text(_by_number(raw, {1: 2}).get(1, b""))
    if kind == "IntOrString":
        f = _by_number(raw, {1: 0, 2: 0, 3: 2})
        return _text(f.get(3, b"")) if f.get(1, 0) == 1 else _signed(f.get(2, 0))
    return _message(kind.removeprefix("*"), raw)  # a message; a pointer one is kept even when empty


def _message(name: str, buf: bytes) -> dict[str, Any]:
    schema = SCHEMA.get(name)
    if schema is None:
        raise _unsupported(f"the message {name}")
    out: dict[str, Any] = {}
    pointers: set[str] = set()
    for number, wire, raw in _fields(buf):
        if number not in schema:
            raise _unsupported(f"field {number} of {name}")
        field, kind = schema[number]
        if kind == "-":
            continue
        element = kind.removeprefix("[]")
        expected = 2 if kind.startswith("map:") else _wire_for(element)
        if wire != expected:
            raise ProtobufError(f"proto: wrong wireType = {wire} for field {field[:1].upper()}{field[1:]}")
        if kind.startswith("*"):
            pointers.add(field)
        if kind.startswith("inline:"):
            out.update(_message(kind[len("inline:") :], raw))
        elif kind.startswith("[]"):
            out.setdefault(field, []).append(_scalar(kind[2:], raw))
        elif kind.startswith("map:"):
            value_kind = kind[4:]
            entry = _by_number(raw, {1: 2, 2: _wire_for(value_kind)})
            out.setdefault(field, {})[_text(entry.get(1, b""))] = _scalar(value_kind, entry.get(2, b""))
        else:
            out[field] = _scalar(kind, raw)
    return {
        k: v
        for k, v in out.items()
        if k in pointers or not any(v == z and type(v) is type(z) for z in _ZERO) and v is not None
    }


def decode(body: bytes) -> dict[str, Any]:
    """A Kubernetes protobuf request body as the JSON object it stands for."""
    if not body.startswith(MAGIC):
        raise errors.bad_request(
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
        )
    api_version = kind = ""
    try:
        envelope = _by_number(body[len(MAGIC) :], {1: 2, 2: 2})
        type_meta = _by_number(envelope.get(1, b""), {1: 2, 2: 2})
        api_version, kind = _text(type_meta.get(1, b"")), _text(type_meta.get(2, b""))
        obj = _message(kind, envelope.get(2, b""))
    except ProtobufError as e:
        version = api_version.rsplit("/", 1)[-1] or "v1"
        if kind and kind in SCHEMA:
            raise errors.bad_request(
                f'{kind} in version "{version}" cannot be handled as a {kind}: {e}'
            ) from None
        raise errors.bad_request(f"the object provided is unrecognized: {e}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}


# --- encoding -----------------------------------------------------------------------------------------------


def varint(n: int) -> bytes:
    """A base-128 varint; a negative int64 as its 64-bit two's complement (ten bytes), as Go writes it."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, value: bytes | int, wire: int | None = None) -> bytes:
    """One field: an int as a varint (wire type 0), bytes length-delimited (wire type 2)."""
    if wire is None:
        wire = 0 if isinstance(value, int) else 2
    if wire == 0:
        return varint(number << 3) + varint(int(value))
    assert isinstance(value, bytes)
    return varint(number << 3 | wire) + varint(len(value)) + value


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    """``k8s\\0`` and a ``runtime.Unknown``: typeMeta, raw, and the (empty) contentEncoding and
    contentType."""
    type_meta = field(1, api_version.encode()) + field(2, kind.encode())
    return MAGIC + field(1, type_meta) + field(2, raw) + field(3, b"") + field(4, b"")


def _encode_time(value: Any) -> bytes:
    if not value:
        return b""  # metav1.Time's Marshal: a zero time is an empty message
    when = datetime.strptime(value[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return field(1, int(when.timestamp())) + field(2, 0)


def _encode_value(kind: str, value: Any) -> bytes:
    """The payload of one field of ``kind`` (the key is the caller's)."""
    base = kind.removeprefix("*")
    if base == "string":
        return str(value).encode()
    if base in ("int", "bool"):
        raise AssertionError("varints are written by the caller")
    if base == "bytes":
        return base64.b64decode(value)
    if base == "Time":
        return _encode_time(value)
    if base == "Quantity":
        return field(1, str(value).encode())
    if base == "IntOrString":
        if isinstance(value, str):
            return field(1, 1) + field(2, 0) + field(3, value.encode())
        return field(1, 0) + field(2, int(value)) + field(3, b"")
    return _encode_message(base, value or {})


def _encode_message(name: str, obj: dict) -> bytes:
    schema = SCHEMA.get(name)
    if schema is None:
        raise ValueError(f"the message {name} is not modelled")
    out = bytearray()
    for number in sorted(schema):
        json_name, kind = schema[number]
        if kind == "-":
            if json_name in ("status", "spec"):
                raise ValueError(f"the {json_name} of {name} is not modelled")
            continue  # managedFields: never kept by this simulation
        if kind.startswith("inline:"):
            out += field(number, _encode_message(kind[len("inline:") :], obj))
            continue
        pointer = kind.startswith("*")
        if json_name not in obj or obj[json_name] is None:
            if pointer or kind.startswith(("[]", "map:")):
                continue  # nil pointers, empty lists and maps are not written
            value: Any = {"string": "", "int": 0, "bool": False}.get(kind, None)
        else:
            value = obj[json_name]
        if kind.startswith("[]"):
            element = kind[2:]
            for item in value:
                out += (
                    field(number, int(item))
                    if element in ("int", "bool")
                    else field(number, _encode_value(element, item))
                )
        elif kind.startswith("map:"):
            value_kind = kind[4:]
            for key in sorted(value):
                out += field(number, field(1, key.encode()) + field(2, _encode_value(value_kind, value[key])))
        elif kind.removeprefix("*") in ("int", "bool"):
            out += field(number, int(value or 0))
        else:
            out += field(number, _encode_value(kind, value))
    return bytes(out)


def encode(obj: dict) -> bytes:
    """``obj`` as kube-apiserver stores it with the default ``--storage-media-type`` (protobuf).

    Its ``resourceVersion`` is left out, as the API server leaves it out of what it stores (the
    revision is etcd's).  Kinds whose every field is modelled here can be encoded (ConfigMap, Secret,
    Namespace, ServiceAccount …); others raise ``ValueError``.
    """
    md = dict(obj.get("metadata") or {})
    md.pop("resourceVersion", None)
    raw = _encode_message(obj["kind"], dict(obj, metadata=md))
    return envelope(obj["apiVersion"], obj["kind"], raw)
