"""The OpenAPI v3 documents kubectl reads before it writes.

``kubectl apply``/``create``/``replace`` validate a manifest before
sending it (``--validate=strict``, the default).  kubectl 1.32 first asks
``/openapi/v3`` for the group version's document and looks for the PATCH
operation of the object's kind (marked ``x-kubernetes-group-version-kind``)
with a ``fieldValidation`` query parameter; when it is there, kubectl leaves
validation to the server and sends ``?fieldValidation=Strict``.  That is
all these documents describe: the resource paths and their operations,
with the query parameters the real server declares.

Simplified: no component schemas, so ``kubectl explain`` has nothing to
explain, kubectl computes apply patches from its built-in types (as it
does when the server's document has no schema), and the server does not
reject unknown fields (``fieldValidation`` is accepted and ignored).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from kcourse.sim.kubectl import VERSION
from kcourse.sim.resources import RESOURCES, ResourceType

from .discovery import group_versions

__all__ = ["document", "group_version_document", "root"]

_QUERY = {"dryRun": "When present, indicates that modifications should not be persisted.",
          "fieldManager": "fieldManager is a name associated with the actor or entity that is making these changes.",
          "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request "
                             "(POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, "
                             "Warn (the default), Strict.",
          "pretty": "If 'true', then the output is pretty printed."}
_PATCH_ONLY = {"force": "Force is going to \"force\" Apply requests."}


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _params(names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"name": n, "in": "query", "description": d, "schema": {"type": "boolean" if n == "force" else "string",
                                                                     "uniqueItems": True}}
            for n, d in names.items()]


def _operation(rt: ResourceType, action: str, op_id: str, params: dict[str, str]) -> dict[str, Any]:
    return {"operationId": op_id, "parameters": _params(params), "x-kubernetes-action": action,
            "x-kubernetes-group-version-kind": {"group": rt.group, "version": rt.version, "kind": rt.kind},
            "responses": {"200": {"description": "OK"}, "401": {"description": "Unauthorized"}}}


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
            "post": _operation(rt, "post", f"create{name}", _QUERY)}
        paths[f"{base}/{rt.plural}/{{name}}"] = {
            "get": _operation(rt, "get", f"read{name}", {"pretty": _QUERY["pretty"]}),
            "put": _operation(rt, "put", f"replace{name}", _QUERY),
            "patch": _operation(rt, "patch", f"patch{name}", {**_QUERY, **_PATCH_ONLY}),
            "delete": _operation(rt, "delete", f"delete{name}", {"dryRun": _QUERY["dryRun"]})}
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": VERSION}, "paths": paths,
            "components": {"schemas": {}}}


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


def document(path: str, query: dict[str, str]) -> dict[str, Any] | None:
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
