"""The compiled decoders against the interpreted walk they replace: the same object, the same errors.

kube-apiserver unmarshals every body into the kind's Go struct with ``sigs.k8s.io/json``
(``internal/golang/encoding/json/decode.go``: the first ``UnmarshalTypeError`` saved wins, strict errors
for unknown and duplicate fields are collected in order, a type's own ``UnmarshalJSON`` error aborts).
The interpreted walk of :mod:`kcourse.sim.serializer.gotypes` models that and stays the reference;
:mod:`kcourse.sim.serializer.compiled` must answer every body exactly as it does.  Bodies are generated
from the v1.32 schema of every kind the simulation serves, valid and not: unknown fields, keys that are
not strings, duplicate keys, wrong types, nulls, number literals Go reads otherwise than Python
(``1.0``, ``2**63``), tuples where lists are, nested lists and maps.

The sharing variant (an update decoded beside the stored version it replaces) is held to the same walk:
a body that shares some of the stored version's own objects and changes others decodes to what the
reference gives for the whole body, and shares nothing but the stored version's objects.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kcourse
from kcourse.sim.frozen import FrozenDict, FrozenList
from kcourse.sim.kinds import KINDS
from kcourse.sim.objects import deep_copy
from kcourse.sim.serializer import Number, decode
from kcourse.sim.serializer.compiled import compiled
from kcourse.sim.serializer.gojson import _DROP, _Abort, _Float, _Object, _State
from kcourse.sim.serializer.gotypes import (
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
)
from kcourse.sim.serializer.schema import _decoder
from tests.sim.fingerprints.scenarios import SCENARIOS

#: Every kind the simulation serves, with its decoder's root.
ROOTS = sorted(
    ((k.api_version, k.kind) for k in KINDS if _decoder(k.api_version, k.kind) is not None),
    key=lambda vk: (vk[1], vk[0]),
)

#: Values of every JSON shape and of the number literals Go reads otherwise than Python.
ODD = [
    None,
    True,
    False,
    0,
    -1,
    7,
    2**31 - 1,
    2**31,
    -(2**31),
    -(2**31) - 1,
    2**63 - 1,
    2**63,
    -(2**63),
    -(2**63) - 1,
    2**64,
    1.5,
    30.0,
    -0.0,
    1e21,
    _Float("1.0"),
    _Float("2.50"),
    Number("1" * 4100),
    math.nan,
    math.inf,
    "",
    "x",
    "10m",
    "1Gi",
    "1x",
    "2024-01-02T03:04:05Z",
    "é\u2028",
    "aGVsbG8=",
    "not base64!",
    [],
    [1, "a", None],
    ("a", "b"),
    {},
    {"a": 1},
]
KEYS = ["name", "x", "unknownField", "", "spec", "status", "type", "image", "a.b/c"]


def _odd(data: st.DataObject) -> Any:
    return data.draw(st.sampled_from(ODD))


def _scalar(data: st.DataObject, node: _Node) -> Any:
    t = type(node)
    if t is _Bool:
        return data.draw(st.booleans())
    if t is _Int:
        lo, hi = -(1 << (node.bits - 1)), (1 << (node.bits - 1)) - 1  # type: ignore[attr-defined]
        return data.draw(st.integers(lo, hi) | st.sampled_from([0, 1, 80, lo, hi, lo - 1, hi + 1]))
    if t is _Float64:
        return data.draw(st.sampled_from([0, 1, 0.5, 1.25, _Float("3.0"), 1e-7]))
    if t is _IntOrString:
        return data.draw(st.sampled_from([0, 80, "http", "25%", 2**40]))
    if t is _Quantity:
        return data.draw(st.sampled_from(["100m", "1Gi", "0.5", "1e3", 2, 0.5, "1x", "+", "12Mi"]))
    if t is _Time:
        return data.draw(st.sampled_from(["2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5+01:00", None, "x"]))
    if t is _Bytes:
        return data.draw(st.sampled_from([base64.b64encode(b"hi").decode(), "", "a\nGk=", "%%%"]))
    if t is _String:
        return data.draw(st.sampled_from(["", "a", "web-1", "10.0.0.1", "TCP", "é"]) | st.text(max_size=4))
    return data.draw(st.sampled_from([{"k": [1, 2.5, None]}, "raw", 3, [{"a": {"b": True}}]]))


def _body(data: st.DataObject, node: _Node, depth: int) -> Any:
    """A value for ``node``'s Go type: mostly well typed, now and then anything at all."""
    if data.draw(st.integers(0, 9)) == 0:
        return _odd(data)
    if isinstance(node, _Struct):
        names = sorted(node.fields)
        if depth <= 0 or not names:
            return {}
        chosen = data.draw(st.lists(st.sampled_from(names), max_size=5 if depth > 2 else 3, unique=True))
        out: dict = {}
        for name in chosen:
            out[name] = _body(data, node.fields[name], depth - 1)
        extra = data.draw(st.integers(0, 12))
        if extra == 0:
            out[data.draw(st.sampled_from(KEYS))] = _odd(data)
        elif extra == 1:
            out[data.draw(st.sampled_from([1, True, None, 2.5]))] = "v"  # YAML keys that are not strings
        elif extra == 2 and out:
            obj = _Object(out)
            obj.duplicates = tuple(
                data.draw(st.lists(st.sampled_from([*out, "nope"]), min_size=1, max_size=2))
            )
            return obj
        return out
    if isinstance(node, _Slice):
        if depth <= 0:
            return []
        items = [
            None if data.draw(st.integers(0, 4)) == 0 else _body(data, node.item, depth - 1)
            for _ in range(data.draw(st.integers(0, 3)))
        ]
        return tuple(items) if data.draw(st.integers(0, 8)) == 0 else items
    if isinstance(node, _Map):
        if depth <= 0:
            return {}
        keys = data.draw(st.lists(st.sampled_from(KEYS), max_size=3, unique=True))
        out = {
            k: None if data.draw(st.integers(0, 4)) == 0 else _body(data, node.value, depth - 1) for k in keys
        }
        if out and data.draw(st.integers(0, 10)) == 0:
            obj = _Object(out)
            obj.duplicates = (next(iter(out)),)
            return obj
        return out
    return _scalar(data, node)


def _typed(v: Any) -> Any:
    """A value with its exact Python types spelled out (``1`` is not ``1.0`` nor ``True``); a read-only
    dict or list of the freeze debug mode (``KCOURSE_FREEZE=1``) is the plain one it is."""
    if isinstance(v, dict):
        name = "dict" if type(v) is FrozenDict else type(v).__name__
        return (name, [(_typed(k), _typed(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return ("list" if type(v) is FrozenList else type(v).__name__, [_typed(x) for x in v])
    if isinstance(v, float) and math.isnan(v):
        return (type(v).__name__, "nan")
    return (type(v).__name__, v)


def _outcome(body: Any, fv: str, **kw: Any) -> tuple[str, Any, list[str]]:
    """What ``decode`` answers; the top-level fields in name order (the shortcut for unchangeable
    fields adds the stored ones last, and the server puts them in kubectl's order afterwards)."""
    warnings: list[str] = []
    try:
        out = decode(body, fv, on_warning=warnings.append, **kw)
    except kcourse.ApiError as e:
        return "error", (e.code, e.reason, e.message), warnings
    return "ok", sorted((k, _typed(x)) for k, x in out.items()), warnings


def _containers(v: Any, into: dict[int, Any], twice: list[Any] | None = None) -> dict[int, Any]:
    """Every list and dict in ``v`` by id; those met twice go to ``twice``."""
    if isinstance(v, (dict, list, tuple)):
        if id(v) in into and twice is not None:
            twice.append(v)
        into[id(v)] = v
        for x in v.values() if isinstance(v, dict) else v:
            _containers(x, into, twice)
    return into


def _root(api_version: str, kind: str) -> _Node:
    node = _decoder(api_version, kind)
    assert node is not None
    return node


def _document(data: st.DataObject, api_version: str, kind: str) -> dict:
    body = _body(data, _root(api_version, kind), depth=6)
    if not isinstance(body, dict):
        body = {}
    body["apiVersion"], body["kind"] = api_version, kind
    return body


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_generated_body_of_any_kind_decodes_as_the_reference_walk_decodes_it(data: st.DataObject) -> None:
    api_version, kind = data.draw(st.sampled_from(ROOTS))
    body = _document(data, api_version, kind)
    fv = data.draw(st.sampled_from(["Strict", "Warn", "Ignore"]))
    want = _outcome(body, fv, reference=True)
    got = _outcome(body, fv)
    assert got == want
    if got[0] == "ok":
        out = decode(body, fv, on_warning=lambda _w: None)
        # The server's own copy: no list or dict of the body is in it, and none is in it twice.
        twice: list[Any] = []
        assert not set(_containers(out, {}, twice)) & set(_containers(body, {}))
        assert twice == []


def _share_some(data: st.DataObject, stored: Any, node: _Node, depth: int) -> Any:
    """A body made from ``stored``: some of its objects kept as they are (the same objects), others
    rebuilt with some of their parts kept, others replaced by a generated value."""
    choice = data.draw(st.integers(0, 5))
    if choice <= 2 or depth <= 0:
        return stored
    if choice == 5:
        return _body(data, node, 3)
    if isinstance(node, _Struct) and isinstance(stored, dict):
        out = {}
        for k, x in stored.items():
            sub = node.fields.get(k)
            if sub is not None and data.draw(st.integers(0, 7)):
                out[k] = _share_some(data, x, sub, depth - 1)
        if data.draw(st.integers(0, 6)) == 0:
            out[data.draw(st.sampled_from(KEYS))] = _odd(data)
        return out
    if isinstance(node, _Slice) and isinstance(stored, list):
        items: list[Any] = [_share_some(data, x, node.item, depth - 1) for x in stored]
        shuffle = data.draw(st.booleans())
        if items and shuffle:
            items = data.draw(st.permutations(items))
        if data.draw(st.integers(0, 3)) == 0:
            items.insert(data.draw(st.integers(0, len(items))), _body(data, node.item, 2))
        return items
    if isinstance(node, _Map) and isinstance(stored, dict):
        return {k: _share_some(data, x, node.value, depth - 1) for k, x in stored.items()}
    return stored


@pytest.fixture(scope="module")
def stored_objects() -> list[dict]:
    """Every object of a seeded scenario as the server stores it: well typed, decoded on the way in."""
    options, run, _ = SCENARIOS["notebook"]
    c = kcourse.Cluster(**options)
    run(c)
    objs = []
    for k in KINDS:
        if _decoder(k.api_version, k.kind) is not None:
            objs.extend(c.api.items(k.plural))
    assert len({o["kind"] for o in objs}) >= 10
    return objs


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_body_sharing_parts_of_the_stored_version_decodes_as_the_whole_body_does(
    stored_objects: list[dict], data: st.DataObject
) -> None:
    stored = data.draw(st.sampled_from(stored_objects))
    root = _root(stored["apiVersion"], stored["kind"])
    body = {
        k: (
            _share_some(data, x, root.fields[k], 8)  # type: ignore[attr-defined]
            if k in root.fields and k != "metadata"  # type: ignore[attr-defined]
            else x
        )
        for k, x in stored.items()
    }
    body["metadata"] = _share_some(data, dict(stored["metadata"]), root.fields["metadata"], 3)  # type: ignore[attr-defined]
    if not isinstance(body["metadata"], dict) or body["metadata"] is stored["metadata"]:
        body["metadata"] = dict(stored["metadata"])
    fv = data.draw(st.sampled_from(["Strict", "Warn", "Ignore"]))
    unused = data.draw(st.sampled_from([(), ("status",), ("metadata", "spec")]))
    want = _outcome(body, fv, reference=True)
    got = _outcome(body, fv, stored=stored, unused=unused, share=True)
    assert got == want
    if got[0] == "ok":
        out = decode(body, fv, on_warning=lambda _w: None, stored=stored, unused=unused, share=True)
        assert out is not stored
        if "metadata" not in unused:  # (the shortcut for unchangeable fields shares an equal one)
            assert out["metadata"] is not stored["metadata"]
        # Whatever the result shares with the body is the stored version's own.
        shared = set(_containers(out, {})) & set(_containers(body, {}))
        assert shared <= set(_containers(stored, {}))


def test_a_body_whose_metadata_is_the_stored_dict_is_walked_whole(stored_objects: list[dict]) -> None:
    """The server writes into the result's metadata (resourceVersion, uid): it must never be the cache's."""
    stored = next(o for o in stored_objects if o["kind"] == "EndpointSlice")
    body = dict(stored)
    out = decode(body, "Strict", stored=stored, share=True)
    assert out["metadata"] is not stored["metadata"]
    assert out["endpoints"] is not stored["endpoints"]
    assert _typed(out) == _typed(stored)


def test_a_rebuilt_list_item_exactly_equal_to_a_stored_one_is_taken_as_the_stored_one(
    stored_objects: list[dict],
) -> None:
    """A controller rebuilds its endpoints for every write: those equal to the stored ones, in any order,
    are the stored items themselves (not walked again); the new and changed ones are walked."""
    stored = max(
        (o for o in stored_objects if o["kind"] == "EndpointSlice"), key=lambda o: len(o["endpoints"])
    )
    assert len(stored["endpoints"]) >= 2
    body = deep_copy(stored)
    body["endpoints"].reverse()
    changed = body["endpoints"][0]
    changed["conditions"] = {**changed["conditions"], "ready": not changed["conditions"]["ready"]}
    out = decode(body, "Strict", stored=stored, share=True)
    assert out["endpoints"] == body["endpoints"]
    assert out["endpoints"][0] is not changed and all(x is not changed for x in stored["endpoints"])
    held = {id(x) for x in stored["endpoints"]}
    assert [id(x) in held for x in out["endpoints"]] == [False] + [True] * (len(body["endpoints"]) - 1)


@pytest.mark.parametrize(
    "value",
    [1, 1.0, "true", None, [True], {"x": True}],
    ids=["int", "float", "string", "null", "list", "object"],
)
def test_a_list_item_equal_to_a_stored_one_only_in_python_is_decoded_as_sent(
    stored_objects: list[dict], value: Any
) -> None:
    """``1 == True`` and ``1 == 1.0`` in Python, not in Go: such an item is walked, and answered as the
    reference walk answers the whole body (a 400 for a number where a bool belongs)."""
    stored = next(o for o in stored_objects if o["kind"] == "EndpointSlice" and o.get("endpoints"))
    body = deep_copy(stored)
    item = body["endpoints"][0]
    item["conditions"] = {**item["conditions"], "ready": value}
    want = _outcome(body, "Strict", reference=True)
    assert _outcome(body, "Strict", stored=stored, share=True) == want
    if value in (1, 1.0):
        assert want[0] == "error" and "of type bool" in want[1][2]


def test_every_kind_of_the_schema_compiles_and_decodes_its_stored_objects_to_themselves(
    stored_objects: list[dict],
) -> None:
    for obj in stored_objects:
        body = deep_copy(obj)
        want: tuple[str, Any, list[str]] = ("ok", sorted((k, _typed(x)) for k, x in obj.items()), [])
        assert _outcome(body, "Strict") == want
        assert _outcome(body, "Strict", stored=obj, share=True) == want


def _reachable() -> list[_Struct]:
    """Every struct type the kinds' bodies can hold, once each."""
    seen: dict[int, _Struct] = {}
    todo: list[_Node] = [_root(v, k) for v, k in ROOTS]
    while todo:
        node = todo.pop()
        if isinstance(node, _Struct):
            if id(node) in seen:
                continue
            seen[id(node)] = node
            todo.extend(node.fields.values())
        elif isinstance(node, _Slice):
            todo.append(node.item)
        elif isinstance(node, _Map):
            todo.append(node.value)
    return sorted(seen.values(), key=lambda n: n.go)


def _node_outcome(dec: Any, value: Any, strict: bool) -> tuple[Any, ...]:
    state = _State(strict)
    try:
        out = dec(value, state, None, "")
    except _Abort as e:
        return ("abort", str(e))
    twice: list[Any] = []
    _containers(out, {}, twice)
    return ("ok", _typed(out) if out is not _DROP else "drop", state.error, state.strict_errors, len(twice))


def test_every_field_of_every_struct_answers_every_odd_value_as_the_reference() -> None:
    """Each field of each struct type, alone, with each odd value, then twice null in a list or map."""
    structs = _reachable()
    assert len(structs) > 100
    cases = 0
    for node in structs:
        fast = compiled(node)
        for name, sub in node.fields.items():
            values = [*ODD, [None, None], {"a": None, "b": None}]
            if isinstance(sub, _Int):
                lo, hi = -(1 << (sub.bits - 1)), (1 << (sub.bits - 1)) - 1
                values += [lo, hi, lo - 1, hi + 1]
            for value in values:
                for strict in (True, False):
                    body = {name: value, "unknownField": 1}
                    assert _node_outcome(fast, body, strict) == _node_outcome(node.dec, body, strict), (
                        node.go,
                        name,
                        value,
                    )
                    cases += 1
    assert cases > 10_000
