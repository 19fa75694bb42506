"""The three patch types build the new version copy-on-write, with exactly the old deep-copying results.

``kcourse.sim.apiserver.patch`` used to deep-copy the whole object before patching it; it now copies only
the dicts and lists on the way to what a patch changes and shares the rest with the version it patches
(the API server's cached version, which nobody may change: ``kcourse.sim.frozen``).  The reference below is
that former implementation, kept verbatim; generated objects and patches — merge and strategic patches
with ``null`` deletions, ``$patch`` directives and merge-keyed lists, JSON patches with valid, invalid and
failing ``test`` operations — must give the same result byte for byte (key order included), the same error
(type, code and message) and leave the patched object unchanged.  The patch semantics themselves follow
RFC 7386, RFC 6902 and ``k8s.io/apimachinery/pkg/util/strategicpatch/patch.go`` (merge keys from the
``patchMergeKey`` struct tags), as the API server's PATCH handler
(``k8s.io/apiserver/pkg/endpoints/handlers/patch.go``) applies them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kcourse.sim import errors
from kcourse.sim.apiserver import patch as cow
from kcourse.sim.apiserver.patch import MERGE_KEYS, _json_patch_or_422
from kcourse.sim.errors import ApiError
from kcourse.sim.frozen import freeze
from kcourse.sim.objects import deep_copy

# --- the reference: the deep-copying implementation, as it was ---------------------------------------


def ref_merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return deep_copy(patch)
    result = deep_copy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = ref_merge_patch(result.get(key), value)
    return result


def ref_strategic_merge_patch(target: Any, patch: Any, field: str = "") -> Any:
    if isinstance(patch, list) and field in MERGE_KEYS and isinstance(target, list):
        key = MERGE_KEYS[field]
        result = deep_copy(target)
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
                    result[i] = ref_strategic_merge_patch(existing, item)
                    break
            else:
                result.append(deep_copy(item))
        return result
    if not isinstance(patch, dict):
        return deep_copy(patch)
    if patch.get("$patch") == "replace":
        return {k: deep_copy(v) for k, v in patch.items() if k != "$patch"}
    result = deep_copy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = ref_strategic_merge_patch(result.get(key), value, key)
    return result


def ref_json_patch(target: Any, ops: list[dict]) -> Any:
    doc = deep_copy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent[p]
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
                    parent.insert(idx, deep_copy(op["value"]))
                else:
                    parent[idx] = deep_copy(op["value"])
            else:
                parent[last] = deep_copy(op["value"])
        elif kind == "remove":
            if isinstance(parent, list):
                del parent[int(last)]
            else:
                parent.pop(last)
        else:
            raise errors.bad_request(f"Unexpected kind: {kind}")
    return doc


def ref_json_patch_or_422(target: Any, ops: Any) -> Any:
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise errors.bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    try:
        return ref_json_patch(target, ops)
    except ApiError:
        raise
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        raise errors.ApiError(
            422, "Invalid", "the server rejected our request due to an error in our request"
        ) from None


# --- generated objects and patches --------------------------------------------------------------------

KEYS = [
    "name",
    "type",
    "key",
    "uid",
    "image",
    "status",
    "spec",
    "containers",
    "conditions",
    "env",
    "ports",
    "containerPort",
    "value",
    "a",
    "b",
    "x/y",
    "m~n",
    "$patch",
    "-",
    "0",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["a", "b", "c", "delete", "replace", ""])
)


def _json(leaves: st.SearchStrategy) -> st.SearchStrategy:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)
        ),
        max_leaves=25,
    )


VALUES = _json(SCALARS)
OBJECTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


def _paths(obj: Any, prefix: str = "") -> list[str]:
    """Every pointer into ``obj``, escaped as RFC 6901 says."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, f"{prefix}/{k.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, f"{prefix}/{i}")
        out.append(f"{prefix}/-")
    return out


@st.composite
def json_patches(draw: st.DrawFn) -> tuple[Any, Any]:
    target = draw(OBJECTS)
    paths = _paths(target)
    ops = []
    for _ in range(draw(st.integers(0, 5))):
        path = draw(
            st.one_of(
                st.sampled_from(paths),
                st.sampled_from(paths).map(lambda p: p + "/" + draw(st.sampled_from(["a", "0", "-", "9"]))),
                st.sampled_from(["", "/", "/nope/x", "/spec/-1", "x"]),
            )
        )
        op: dict[str, Any] = {
            "op": draw(st.sampled_from(["add", "replace", "remove", "test", "move"])),
            "path": path,
        }
        if draw(st.integers(0, 4)) != 2:  # (a rare draw in the middle: hypothesis favours the ends)
            op["value"] = draw(VALUES)
        if draw(st.integers(0, 20)) == 10:
            del op[draw(st.sampled_from(["op", "path"]))]
        ops.append(op)
    if draw(st.integers(0, 20)) == 10:
        ops = draw(st.sampled_from([{}, [1], "x", [[]]]))
    return target, ops


@st.composite
def merge_patches(draw: st.DrawFn) -> tuple[Any, Any]:
    """A target and a patch that reuses its keys and lists (merge keys, ``$patch`` directives) often."""
    target = draw(OBJECTS)

    def patch_for(value: Any, depth: int) -> Any:
        if depth > 3 or draw(st.integers(0, 4)) == 0:
            return draw(VALUES)
        if isinstance(value, dict):
            keys = draw(st.lists(st.sampled_from(list(value) + KEYS), max_size=4, unique=True))
            out: dict[str, Any] = {k: patch_for(value.get(k), depth + 1) for k in keys}
            if draw(st.integers(0, 6)) == 0:
                out["$patch"] = draw(st.sampled_from(["replace", "delete", "merge"]))
            return out
        if isinstance(value, list):
            items = []
            for _ in range(draw(st.integers(0, 3))):
                base = draw(st.sampled_from(value)) if value and draw(st.booleans()) else {}
                item = patch_for(base, depth + 1) if isinstance(base, dict) else draw(VALUES)
                if isinstance(item, dict) and draw(st.integers(0, 3)) == 0:
                    item["$patch"] = "delete"
                items.append(item)
            return items
        return draw(VALUES)

    return target, patch_for(target, 0)


# --- the comparison -----------------------------------------------------------------------------------


def _outcome(fn: Any, target: Any, patch: Any) -> tuple[str, Any]:
    try:
        result = fn(target, patch)
    except ApiError as e:
        return "ApiError", (e.code, e.reason, str(e))
    except Exception as e:  # noqa: BLE001 - the old code's exceptions are part of what must not change
        return type(e).__name__, str(e)
    return "ok", json.dumps(result)


def _objects_in(value: Any) -> list[Any]:
    out = [value] if isinstance(value, (dict, list)) else []
    for v in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        out += _objects_in(v)
    return out


def _same_as_reference(new: Any, ref: Any, target: Any, patch: Any) -> None:
    before, patch_before = json.dumps(target), json.dumps(patch)
    expected = _outcome(ref, deep_copy(target), deep_copy(patch))
    assert _outcome(new, target, patch) == expected
    assert json.dumps(target) == before and json.dumps(patch) == patch_before, "the inputs changed"
    # The cached version is frozen in the debug mode: the new code never tries to change it.
    assert _outcome(new, freeze(deep_copy(target)), patch) == expected
    if expected[0] == "ok":  # nothing of the caller's patch is in the result
        patch_ids = {id(o) for o in _objects_in(patch)}
        assert not any(id(o) in patch_ids for o in _objects_in(new(target, patch)))


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(merge_patches())
def test_merge_patch_matches_the_deep_copying_reference(case: tuple[Any, Any]) -> None:
    _same_as_reference(cow.merge_patch, ref_merge_patch, *case)


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(merge_patches())
def test_strategic_merge_patch_matches_the_deep_copying_reference(case: tuple[Any, Any]) -> None:
    _same_as_reference(cow.strategic_merge_patch, ref_strategic_merge_patch, *case)


@settings(max_examples=500, derandomize=True, deadline=None, database=None)
@given(json_patches())
def test_json_patch_matches_the_deep_copying_reference(case: tuple[Any, Any]) -> None:
    _same_as_reference(_json_patch_or_422, ref_json_patch_or_422, *case)


def test_unchanged_parts_are_shared_not_copied() -> None:
    """The point of copy-on-write: a patch of one field copies the dicts on its way, and only those."""
    pod = freeze(
        {
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "app", "image": "nginx:1.27"}, {"name": "log", "image": "busybox"}]
            },
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )
    merged = cow.merge_patch(pod, {"metadata": {"labels": {"tier": "front"}}})
    assert merged["spec"] is pod["spec"] and merged["status"] is pod["status"]
    assert merged["metadata"]["labels"] == {"app": "web", "tier": "front"}
    assert pod["metadata"]["labels"] == {"app": "web"}

    smp = cow.strategic_merge_patch(pod, {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}})
    assert smp["spec"]["containers"][1] is pod["spec"]["containers"][1]
    assert smp["spec"]["containers"][0] == {"name": "app", "image": "nginx:1.28"}
    assert smp["metadata"] is pod["metadata"] and smp["status"] is pod["status"]

    jp = cow.json_patch(pod, [{"op": "replace", "path": "/status/conditions/0/status", "value": "False"}])
    assert jp["spec"] is pod["spec"] and jp["metadata"] is pod["metadata"]
    assert jp["status"]["conditions"][0]["status"] == "False"
    assert pod["status"]["conditions"][0]["status"] == "True"


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "replace", "path": "/spec/containers/5/image", "value": "x"}],
        [{"op": "remove", "path": "/metadata/annotations"}],
        [
            {"op": "add", "path": "/metadata/labels/tier", "value": "db"},
            {"op": "test", "path": "/x", "value": 1},
        ],
    ],
)
def test_a_failing_json_patch_changes_nothing(ops: list[dict]) -> None:
    """A patch that fails part-way (after an earlier operation applied) leaves the stored version whole."""
    pod = {"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"containers": [{"name": "a"}]}}
    before = json.dumps(pod)
    with pytest.raises(ApiError) as info:
        _json_patch_or_422(freeze(deep_copy(pod)), ops)
    assert info.value.code == 422
    with pytest.raises(ApiError):
        _json_patch_or_422(pod, ops)
    assert json.dumps(pod) == before
