"""The PATCH verb's three patch types (``k8s.io/apiserver/pkg/endpoints/handlers/patch.go``).

Each builds the patched version without changing the one it patches, which is usually the version the
API server keeps in its cache and shares with every reader.  The new version is built copy-on-write:
only the dicts and lists on the way to a changed field are new, everything else is shared with the old
version (upstream decodes the stored bytes into a fresh object for each patch; here, as for every
other writer, the cached version is read-only and a writer copies what it changes).  The values the
patch brings are copied, so the result holds nothing of the caller's patch.

Simplified: strategic merge patch knows its merge keys from a short table, not from the Go types' struct
tags; JSON patch has no ``move`` or ``copy``.
"""

from __future__ import annotations

from typing import Any

from .. import errors
from ..errors import ApiError
from ..objects import deep_copy


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch: ``null`` deletes, objects merge, everything else replaces.

    ``target`` is left as it is; the result shares with it every value the patch does not reach.
    """
    if not isinstance(patch, dict):
        return deep_copy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# Lists that strategic merge patch merges element-wise, and the key it matches elements by.
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ports": "containerPort",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "conditions": "type",
    "taints": "key",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "addresses": "type",
}


def strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch as kubectl sends it: like a merge patch, but known lists merge by key.

    ``target`` is left as it is; the result shares with it every value the patch does not reach (a
    merged list is a new list holding the unchanged elements themselves).
    """
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(target, list):
        key = MERGE_KEYS[field]
        result: Any = list(target)
        for item in patch:
            if isinstance(item, dict) and item.get("$patch") == "delete":
                result = [r for r in result if r.get(key) != item.get(key)]
                continue
            for i, existing in enumerate(result):
                if (
                    isinstance(existing, dict)
                    and isinstance(item, dict)
                    and existing.get(key) == item.get(key)
                ):
                    result[i] = strategic_merge_patch(existing, item)
                    break
            else:
                result.append(deep_copy(item))
        return result
    if not isinstance(patch, dict):
        return deep_copy(patch)
    if patch.get("$patch") == "replace":
        return {k: deep_copy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = strategic_merge_patch(result.get(key), value, key)
    return result


def json_patch(target: Any, ops: list[dict]) -> Any:
    """RFC 6902 JSON patch (add, remove, replace, test).

    ``target`` is left as it is.  An operation that changes the document first copies the dicts and
    lists on its path that the patch has not copied yet (``own``), then changes its own copy in place.
    """
    own: dict[int, Any] = {}  # id → the container this patch made (kept alive, so no id is reused)

    def owned(value: Any) -> Any:
        if isinstance(value, (dict, list)):
            own[id(value)] = value
        return value

    doc = owned(
        dict(target) if isinstance(target, dict) else list(target) if isinstance(target, list) else target
    )
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        writes = op.get("op") != "test"
        parent = doc
        for p in parts[:-1]:
            if isinstance(parent, list):
                index: Any = int(p)
                child = parent[index]
            else:
                index = p
                child = parent[p]
            if writes and id(child) not in own and isinstance(child, (dict, list)):
                child = owned(dict(child) if isinstance(child, dict) else list(child))
                parent[index] = child
            parent = child
        last = parts[-1] if parts else ""
        kind = op["op"]
        if kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op.get("value"):
                raise errors.ApiError(
                    422,
                    "Invalid",
                    f"the server rejected our request due to an error in our "
                    f"request: testing value {op['path']} failed",
                )
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(idx, owned(deep_copy(op["value"])))
                else:
                    parent[idx] = owned(deep_copy(op["value"]))
            else:
                parent[last] = owned(deep_copy(op["value"]))
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                parent.pop(last)
        else:
            raise errors.bad_request(f"Unexpected kind: {kind}")
    return doc


def _json_patch_or_422(target: Any, ops: Any) -> Any:
    """A JSON patch that cannot be applied is the client's error (422), never the server's."""
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        return json_patch(target, ops)
    except ApiError:
        raise
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        raise errors.ApiError(
            422, "Invalid", "the server rejected our request due to an error in our request"
        ) from None
