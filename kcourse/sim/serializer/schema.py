"""Compiling the published v1.32 schema into the typed decoders (:mod:`.gotypes`), once per process.

The schema is the ``_definitions.json`` the ``kubernetes-validate`` package ships, converted from the API
server's own OpenAPI document; each definition becomes the decoder of its Go type.

Simplified: see :mod:`kcourse.sim.serializer` (the Go names of named string types come from a short table).
"""

from __future__ import annotations

import functools
import json
from importlib.util import find_spec
from pathlib import Path

from .gotypes import (
    _Bool,
    _Bytes,
    _Float64,
    _Int,
    _IntOrString,
    _Map,
    _Node,
    _Quantity,
    _Slice,
    _String,
    _Struct,
    _Time,
    _Untyped,
)

_SCHEMA_DIR = ("kubernetes-json-schema", "v1.32.0-local", "_definitions.json")
_REF = "#/$defs/"

# Go types the schema inlines or names only as "string": where the Go field has a named type, the decoder's
# message names it (``types.go`` of core/v1, apps/v1, discovery/v1, storage/v1, meta/v1).
_NAMED_STRINGS = {
    "io.k8s.api.core.v1.Container": {
        "imagePullPolicy": "v1.PullPolicy",
        "terminationMessagePolicy": "v1.TerminationMessagePolicy",
    },
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "v1.Protocol"},
    "io.k8s.api.core.v1.EndpointPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.discovery.v1.EndpointPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.discovery.v1.EndpointSlice": {"addressType": "v1.AddressType"},
    "io.k8s.api.core.v1.PodSpec": {
        "restartPolicy": "v1.RestartPolicy",
        "dnsPolicy": "v1.DNSPolicy",
        "preemptionPolicy": "v1.PreemptionPolicy",
    },
    "io.k8s.api.core.v1.PodStatus": {"phase": "v1.PodPhase", "qosClass": "v1.PodQOSClass"},
    "io.k8s.api.core.v1.PodCondition": {"type": "v1.PodConditionType", "status": "v1.ConditionStatus"},
    "io.k8s.api.core.v1.NodeCondition": {"type": "v1.NodeConditionType", "status": "v1.ConditionStatus"},
    "io.k8s.api.core.v1.NodeAddress": {"type": "v1.NodeAddressType"},
    "io.k8s.api.core.v1.NamespaceStatus": {"phase": "v1.NamespacePhase"},
    "io.k8s.api.core.v1.ServiceSpec": {
        "type": "v1.ServiceType",
        "sessionAffinity": "v1.ServiceAffinity",
        "externalTrafficPolicy": "v1.ServiceExternalTrafficPolicy",
        "internalTrafficPolicy": "v1.ServiceInternalTrafficPolicy",
        "ipFamilyPolicy": "v1.IPFamilyPolicy",
    },
    "io.k8s.api.core.v1.Toleration": {"operator": "v1.TolerationOperator", "effect": "v1.TaintEffect"},
    "io.k8s.api.core.v1.Taint": {"effect": "v1.TaintEffect"},
    "io.k8s.api.core.v1.Secret": {"type": "v1.SecretType"},
    "io.k8s.api.core.v1.HTTPGetAction": {"scheme": "v1.URIScheme"},
    "io.k8s.api.core.v1.NodeSelectorRequirement": {"operator": "v1.NodeSelectorOperator"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {"operator": "v1.LabelSelectorOperator"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"uid": "types.UID"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference": {"uid": "types.UID"},
    "io.k8s.api.core.v1.ObjectReference": {"uid": "types.UID"},
    "io.k8s.api.apps.v1.DeploymentStrategy": {"type": "v1.DeploymentStrategyType"},
    "io.k8s.api.apps.v1.DaemonSetUpdateStrategy": {"type": "v1.DaemonSetUpdateStrategyType"},
    "io.k8s.api.core.v1.PersistentVolumeSpec": {
        "persistentVolumeReclaimPolicy": "v1.PersistentVolumeReclaimPolicy",
        "volumeMode": "v1.PersistentVolumeMode",
    },
    "io.k8s.api.storage.v1.StorageClass": {
        "reclaimPolicy": "v1.PersistentVolumeReclaimPolicy",
        "volumeBindingMode": "v1.VolumeBindingMode",
    },
}
# Definitions whose Go type decodes any JSON at all (custom UnmarshalJSON keeping the raw bytes).
_UNTYPED = {
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
}
_INTSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_TIMES = {"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}


# --- compiling the schema -----------------------------------------------------------------------------------


@functools.cache
def _definitions() -> dict[str, dict]:
    """The v1.32 definitions, read once per process on first use (about 1.3 MB of JSON)."""
    # The package's data file, found without importing the package: its ``__init__`` imports jsonschema and
    # the grammars of its format checkers, about five seconds on a small machine, for nothing we use.
    spec = find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("kubernetes-validate (the published Kubernetes schema) is not installed")
    resource = Path(next(iter(spec.submodule_search_locations))).joinpath(*_SCHEMA_DIR)
    return json.loads(resource.read_text(encoding="utf-8"))["$defs"]


def _go_name(ref: str) -> str:
    parts = ref.split(".")
    return f"{parts[-2]}.{parts[-1]}"


class _Compiler:
    def __init__(self, defs: dict[str, dict]):
        self.defs = defs
        self.structs: dict[str, _Node] = {}

    def ref(self, name: str) -> _Node:
        node = self.structs.get(name)
        if node is not None:
            return node
        if name in _UNTYPED:
            node = _Untyped()
        elif name == _INTSTR:
            node = _IntOrString()
        elif name == _QUANTITY:
            node = _Quantity()
        elif name in _TIMES:
            node = _Time(_go_name(name))
        else:
            schema = self.defs[name]
            if "properties" not in schema and "object" not in _types(schema):
                node = self.schema(schema, name, "")
            else:
                struct = _Struct(name.rsplit(".", 1)[-1], _go_name(name))
                self.structs[name] = struct  # before its fields: definitions may refer to themselves
                named = _NAMED_STRINGS.get(name, {})
                for field, sub in (schema.get("properties") or {}).items():
                    struct.fields[field] = self.schema(sub, name, field, named.get(field))
                return struct
        self.structs[name] = node
        return node

    def schema(self, s: dict, owner: str, field: str, named: str | None = None) -> _Node:
        if "$ref" in s:
            return self.ref(s["$ref"][len(_REF) :])
        types = _types(s)
        fmt = s.get("format")
        if "string" in types:
            if fmt == "byte":
                return _Bytes()
            return _String(named or "string")
        if "integer" in types:
            return _Int(64 if fmt == "int64" else 32)
        if "boolean" in types:
            return _Bool()
        if "number" in types:
            return _Float64()
        if "array" in types:
            item = self.schema(s.get("items") or {}, owner, field)
            node = _Slice(item)
            if named and isinstance(item, _String):
                node.go = "[]" + named
            return node
        if "object" in types:
            extra = s.get("additionalProperties")
            if isinstance(extra, dict):
                value = self.schema(extra, owner, field)
                go = "v1.ResourceList" if isinstance(value, _Quantity) else None
                return _Map(value, go)
            return _Untyped()
        return _Untyped()


def _types(s: dict) -> tuple[str, ...]:
    t = s.get("type")
    if isinstance(t, str):
        return (t,)
    return tuple(t or ())


@functools.cache
def _compiler() -> _Compiler:
    return _Compiler(_definitions())


@functools.cache
def _kind_index() -> dict[tuple[str, str], str]:
    index = {}
    for name, s in _definitions().items():
        props = s.get("properties") or {}
        kinds, versions = (props.get("kind") or {}).get("enum"), (props.get("apiVersion") or {}).get("enum")
        if kinds and versions and name.startswith("io.k8s.api."):
            index.setdefault((versions[0], kinds[0]), name)
    return index


def kind_definition(api_version: str, kind: str) -> str | None:
    """The schema definition of a kind (``("v1", "Pod")`` → ``io.k8s.api.core.v1.Pod``), or None."""
    return _kind_index().get((api_version, kind))


@functools.cache
def _decoder(api_version: str, kind: str) -> _Node | None:
    name = kind_definition(api_version, kind)
    if name is None:
        return None
    root = _compiler().ref(name)
    return root
