"""The OpenAPI v3 documents kubectl reads before it writes.

``kubectl apply``/``create``/``replace`` validate a manifest before
sending it (``--validate=strict``, the default).  kubectl 1.32 first asks
``/openapi/v3`` for the group version's document and looks for the PATCH
operation of the object's kind (marked ``x-kubernetes-group-version-kind``)
with a ``fieldValidation`` query parameter; when it is there, kubectl leaves
validation to the server and sends ``?fieldValidation=Strict``.  That is
all these documents describe: the resource paths and their operations,
with the query parameters the real server declares.  They are the API
server's own, so they live with the simulation: ``kubectl explain`` reads
them directly and the served API (:mod:`kcourse.serve`) sends them.

The component schemas, which ``kubectl explain`` reads (descriptions,
types, required fields), are derived from the models of the official
``kubernetes`` Python client when it is installed (it is in the course's
environment): they are generated from the same OpenAPI document the real
server serves.  Without it the documents have no schemas and ``kubectl
explain`` says the kind is not found.

Simplified: schema names keep only the last part of the real ones
(``io.k8s.api.Pod`` for ``io.k8s.api.core.v1.Pod``); a field whose type is
another object has no description of its own (the client's models do not
keep it: ``metadata <ObjectMeta>`` says ``<no description>``); the PATCH operations
declare no request body (so kubectl computes apply patches from its
built-in types), and the server does not reject unknown fields
(``fieldValidation`` is accepted and ignored).
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from typing import Any

from kcourse.sim.discovery import VERSION_INFO, group_versions
from kcourse.sim.resources import RESOURCES, ResourceType

__all__ = ["component_schemas", "document", "group_version_document", "root"]

_QUERY = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": (
        "fieldManager is a name associated with the actor or entity that is making these changes."
    ),
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request "
    "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, "
    "Warn (the default), Strict.",
    "pretty": "If 'true', then the output is pretty printed.",
}
_PATCH_ONLY = {"force": 'Force is going to "force" Apply requests.'}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _params(names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "name": n,
            "in": "query",
            "description": d,
            "schema": {"type": "boolean" if n == "force" else "string", "uniqueItems": True},
        }
        for n, d in names.items()
    ]


def _operation(rt: ResourceType, action: str, op_id: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "parameters": _params(params),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
        "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}},
    }


def _op_name(rt: ResourceType) -> str:
    group = "".join(p.capitalize() for p in (rt.group.split(".")[0] if rt.group else "core").split("-"))
    return f"{group}{rt.version.capitalize()}{'Namespaced' if rt.namespaced else ''}{rt.kind}"


@cache
def group_version_document(group: str, version: str) -> dict[str, Any] | None:
    """The OpenAPI 3.0 document of one group version (paths only)."""
    rts = [rt for rt in RESOURCES if (rt.group, rt.version) == (group, version)]
    if not rts:
        return None
    paths: dict[str, Any] = {}
    for rt in rts:
        base = "/" + _gv_path(group, version) + ("/namespaces/{namespace}" if rt.namespaced else "")
        name = _op_name(rt)
        paths[f"{base}/{rt.plural}"] = {
            "get": _operation(rt, "list", f"list{name}", {"pretty": _QUERY["pretty"]}),
            "post": _operation(rt, "post", f"create{name}", _QUERY),
        }
        paths[f"{base}/{rt.plural}/{{name}}"] = {
            "get": _operation(rt, "get", f"read{name}", {"pretty": _QUERY["pretty"]}),
            "put": _operation(rt, "put", f"replace{name}", _QUERY),
            "patch": _operation(rt, "patch", f"patch{name}", {**_QUERY, **_PATCH_ONLY}),
            "delete": _operation(rt, "delete", f"delete{name}", {"dryRun": _QUERY["dryRun"]}),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": VERSION_INFO["gitVersion"]},
        "paths": paths,
        "components": {"schemas": _reachable(rts)},
    }


# --- component schemas, from the kubernetes client's models -------------------------------------------------

_VERSION_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)?V\d+(?:alpha\d+|beta\d+)?(?=[A-Z])")
_REF = "#/components/schemas/"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_INT_OR_STRING_SCHEMA = {
    "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
    "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to "
    "have, for example, a JSON field that can accept a name or number.",
    "format": "int-or-string",
    "type": "string",
}


def _model_class(models: Any, rt: ResourceType) -> Any:
    for name in (f"V1{rt.kind}", f"CoreV1{rt.kind}"):
        cls = getattr(models, name, None)
        if cls is not None and hasattr(cls, "model_json_schema"):
            return cls
    return None


def _convert(node: Any, names: dict[str, str]) -> Any:
    """Pydantic's JSON Schema as Kubernetes writes OpenAPI: refs in ``allOf``, no null options or titles."""
    if isinstance(node, list):
        return [_convert(n, names) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o != {"type": "null"}]
        if len(options) == 1:
            out.update(_convert(options[0], names))
        elif {o.get("type") for o in options} == {"integer", "string"}:
            out["allOf"] = [{"$ref": _REF + INT_OR_STRING}]
    if "$ref" in node:
        out["allOf"] = [{"$ref": _REF + names[node["$ref"].rsplit("/", 1)[1]]}]
    for key, value in node.items():
        if key in ("anyOf", "$ref", "title", "default") or (key == "additionalProperties" and value is False):
            continue
        if key == "description":
            out[key] = value.split("\n\nAttributes:")[0]
        elif key == "properties":
            out[key] = {k: _convert(v, names) for k, v in value.items()}
        elif key in ("items", "additionalProperties"):
            converted = _convert(value, names)
            if isinstance(converted, dict) and set(converted) == {"allOf"}:
                converted = converted["allOf"][0]  # a list's or a map's items are plain references
            out[key] = converted
        else:
            out[key] = value
    return out


@cache
def component_schemas() -> dict[str, dict[str, Any]]:
    """Every schema the served kinds use, keyed like ``io.k8s.api.Pod``; empty without the client package."""
    try:
        from kubernetes.client import models
    except ImportError:
        return {}
    raw: dict[str, dict] = {}
    kinds: dict[str, ResourceType] = {}
    for rt in RESOURCES:
        cls = _model_class(models, rt)
        if cls is None:
            continue
        try:
            schema = cls.model_json_schema(by_alias=True)
        except Exception:  # noqa: BLE001, S112 - a model pydantic cannot describe is left out, not fatal
            continue
        raw.update(schema.pop("$defs", {}))
        raw[cls.__name__] = schema
        kinds[cls.__name__] = rt
    for cls_name in kinds:
        raw[cls_name].pop("required", None)  # the client marks spec required; no kind requires a field
    names: dict[str, str] = {}
    for cls_name in sorted(raw):
        short = "io.k8s.api." + _VERSION_PREFIX.sub("", cls_name)
        names[cls_name] = short if short not in names.values() else "io.k8s.api." + cls_name
    out = {names[k]: _convert(v, names) for k, v in raw.items()}
    out[INT_OR_STRING] = _INT_OR_STRING_SCHEMA
    for cls_name, rt in kinds.items():
        out[names[cls_name]]["x-kubernetes-group-version-kind"] = [
            {"group": rt.group, "kind": rt.kind, "version": rt.version}
        ]
    return out


def _reachable(rts: list[ResourceType]) -> dict[str, dict[str, Any]]:
    """The schemas of ``rts`` and every schema they refer to."""
    schemas = component_schemas()
    wanted = [
        name
        for name, s in schemas.items()
        if any(
            g["kind"] == rt.kind and g["version"] == rt.version and g["group"] == rt.group
            for rt in rts
            for g in s.get("x-kubernetes-group-version-kind", [])
        )
    ]
    seen: dict[str, dict[str, Any]] = {}
    while wanted:
        name = wanted.pop()
        if name in seen or name not in schemas:
            continue
        seen[name] = schemas[name]
        wanted.extend(
            m[len(_REF) :] for m in re.findall(r'"(#/components/schemas/[^"]+)"', json.dumps(schemas[name]))
        )
    return dict(sorted(seen.items()))


def _hash(doc: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:128].upper()


def root() -> dict[str, Any]:
    """``/openapi/v3``: where each group version's document is, with a hash clients cache it by."""
    out = {}
    for group, version in group_versions():
        path = _gv_path(group, version)
        doc = group_version_document(group, version)
        if doc is not None:
            out[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={_hash(doc)}"}
    return {"paths": out}


def document(path: str) -> dict[str, Any] | None:
    """The document at ``path`` (``/openapi/v3`` or ``/openapi/v3/apis/apps/v1``), or None: 404."""
    parts = [p for p in path.split("/") if p]
    if parts == ["openapi", "v3"]:
        return root()
    if parts[:2] == ["openapi", "v3"]:
        rest = parts[2:]
        if rest[:1] == ["api"] and len(rest) == 2:
            return group_version_document("", rest[1])
        if rest[:1] == ["apis"] and len(rest) == 3:
            return group_version_document(rest[1], rest[2])
    return None
