"""The typed decoders compiled once per Go type into specialised functions; the walk of :mod:`.gotypes`
stays the reference.

The reference walk asks the schema at every step: which node a field has, which of four frozensets its
name is in, which decoder method to call, what the item type's zero is.  A body of a bulk kind (an
EndpointSlice of a hundred endpoints, a Pod's status) repeats those questions thousands of times with the
same answers.  Here each Go type is turned, on first use, into a closure that holds its answers: a
struct's field name leads in one dictionary lookup to its category (a plain scalar taken as it is, or a
decoder to call) and to the compiled function of its type; a slice or map calls its item's compiled
function and appends the item's zero without asking.  Every step does what the reference does, in the
same order, with the same texts, so results and errors are the same (``tests/sim/test_compiled_decoder.py``
holds the two to each other over generated bodies of every kind).

A second variant of each function walks a body *beside* a stored, well-typed version of it (the one an
update replaces): a value that is the very object the stored version holds at the same place (identity,
not equality) is well typed already, so it is taken as it is, not walked — as an in-process client's
update shares what it did not change with the version it read.  That value then belongs to both versions:
the caller may use it only where nothing changes what it decoded.  A list item the client rebuilt is
matched too, by its exact JSON text (orjson's, which tells ``1`` from ``1.0`` and ``True`` and refuses the
decoder's subclasses): a controller that builds its hundred endpoints afresh for every write sends items
equal to the stored ones, in any order, and each such item is the stored one, not walked again.

Simplified: see :mod:`kcourse.sim.serializer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..frozen import as_plain
from .gojson import _DROP, _key_text, _State, json_kind
from .gotypes import _Bool, _Int, _Map, _Node, _plain, _Slice, _String, _Struct, _Time, _Untyped

__all__ = ["compiled", "compiled_sharing"]

#: ``f(value, state, at, struct)``: the value decoded, or ``_DROP``.
Decoder = Callable[[Any, _State, Any, str], Any]
#: ``f(value, state, at, struct, stored)``: the same, sharing what is ``stored``'s own object.
SharingDecoder = Callable[[Any, _State, Any, str, Any], Any]

_EXACT = orjson.OPT_PASSTHROUGH_SUBCLASS  # a subclass of str, int, dict or list is refused, not written
dumps = orjson.dumps
_MISSING = object()  # a field the stored version does not have: nothing in a body is this object

# A struct field's category: a well-typed value of the first six is taken without a call, and so is a
# timestamp (``metav1.Time``) whose text parsed before (:attr:`.gotypes._Time.accepted`).
_STRING, _INT32, _INT64, _BOOL, _STRINGS, _LEAF, _TIME, _OTHER = 1, 2, 3, 4, 5, 6, 7, 0
_ACCEPTED_TIMES = _Time.accepted  # one set for the process, cleared in place when full


def _category(node: _Node) -> int:
    if type(node) is _String:
        return _STRING
    if type(node) is _Bool:
        return _BOOL
    if type(node) is _Int:
        return _INT32 if node.bits == 32 else _INT64
    if type(node) is _Slice and type(node.item) is _String:
        return _STRINGS
    if isinstance(node, _Struct) and _leaf(node):
        return _LEAF
    if type(node) is _Time:
        return _TIME
    return _OTHER


def _leaf(node: _Struct) -> bool:
    """A struct of plain scalars only (an ObjectReference, an endpoint's conditions, a port)."""
    return bool(node.fields) and all(type(sub) in (_String, _Bool, _Int) for sub in node.fields.values())


def compiled(node: _Node) -> Decoder:
    """The compiled decoder of ``node``'s Go type (made once; recursive types refer to themselves)."""
    fn = node.__dict__.get("compiled")
    if fn is None:
        fn = _compile(node)
    return fn


def compiled_sharing(node: _Node) -> SharingDecoder:
    """The compiled decoder of ``node``'s Go type that shares what is the stored version's own object."""
    fn = node.__dict__.get("compiled_sharing")
    if fn is None:
        fn = _compile_sharing(node)
    return fn


def _zero(node: _Node) -> tuple[bool, Any, bool]:
    """``(skip, value, fresh)``: the item's zero value — none (skip the item), an immutable, or a new
    ``{}`` / ``[]`` each time (``fresh``)."""
    z = node.zero()
    if z is _DROP:
        return True, None, False
    return False, z, isinstance(z, (dict, list))


# --- plain: the body alone ----------------------------------------------------------------------------------


def _compile(node: _Node) -> Decoder:
    if isinstance(node, _Struct):
        return _compile_struct(node)
    if isinstance(node, _Slice):
        return _compile_slice(node)
    if isinstance(node, _Map):
        return _compile_map(node)
    if type(node) is _Untyped:

        def dec_untyped(v: Any, st: _State, _at: Any, _struct: str) -> Any:
            return _plain(v, st)

        node.compiled = dec_untyped
        return dec_untyped
    fn = node.dec  # a scalar: the reference's own method is already specialised to its type
    node.compiled = fn
    return fn


def _compile_struct(node: _Struct) -> Decoder:
    name, go = node.name, node.go
    leaf, exact, ints = _exact_types(node)
    table: dict[str, tuple[int, Decoder, Any]] = {}
    get = table.get
    fields = node.fields
    accepted = _ACCEPTED_TIMES

    def dec_struct(v: Any, st: _State, at: Any, struct: str) -> Any:
        if not isinstance(v, dict):
            if v is None:
                return _DROP
            st.type_error(json_kind(v), go, struct, at)
            return _DROP
        if leaf and type(v) is dict:
            # Every field known and of its exact type, every integer in range: the reference would copy
            # each value as it is, so a copy of the whole is the same object.
            for k, x in v.items():
                if exact(k) is not type(x):
                    break
            else:
                for k, (lo, hi) in ints:
                    if k in v and not lo <= v[k] <= hi:
                        break
                else:
                    return dict(v)
        out = {}
        for k, x in v.items():
            e = get(k)
            if e is None:
                if type(k) is not str:
                    k = _key_text(k)
                    e = get(k)
                if e is None:
                    st.strict_error("unknown field", (at, k, 0))
                    continue
            c, f, a = e
            if c:
                t = type(x)
                if c == 1:
                    if t is str:
                        out[k] = x
                        continue
                elif t is int:
                    if c == 2:
                        if -2147483648 <= x <= 2147483647:
                            out[k] = x
                            continue
                    elif c == 3 and -9223372036854775808 <= x <= 9223372036854775807:
                        out[k] = x
                        continue
                elif c == 4:
                    if t is bool:
                        out[k] = x
                        continue
                elif c == 5:
                    if t is list:
                        for y in x:
                            if type(y) is not str:
                                break
                        else:
                            out[k] = list(x)  # a ``[]string``
                            continue
                elif c == 6 and t is dict:  # a leaf struct: its own shortcut, without a call
                    child_exact, child_ints = a
                    for kk, y in x.items():
                        if child_exact(kk) is not type(y):
                            break
                    else:
                        for kk, (lo, hi) in child_ints:
                            if kk in x and not lo <= x[kk] <= hi:
                                break
                        else:
                            out[k] = dict(x)
                            continue
                elif c == 7 and t is str and x in accepted:
                    out[k] = x
                    continue
            d = f(x, st, (at, k, 0), name)
            if d is not _DROP:
                out[k] = d
        if type(v) is not dict:
            for k in getattr(v, "duplicates", ()):
                if k in fields:
                    st.strict_error("duplicate field", (at, k, 1))
        return out

    node.compiled = dec_struct  # before its fields: a type may contain itself
    for field, sub in fields.items():
        c = _category(sub)
        table[field] = (
            c,
            compiled(sub),
            _exact_types(sub)[1:] if isinstance(sub, _Struct) and c == _LEAF else None,
        )
    return dec_struct


def _exact_types(node: _Struct) -> tuple[bool, Callable[[Any], Any], tuple[tuple[str, tuple[int, int]], ...]]:
    """For a leaf struct: each field's exact Python type, and the ranges of its integer fields."""
    types = {_STRING: str, _BOOL: bool, _INT32: int, _INT64: int}
    exact = {k: types[_category(sub)] for k, sub in node.fields.items() if _category(sub) in types}
    ints = tuple(
        (k, (-(1 << (sub.bits - 1)), (1 << (sub.bits - 1)) - 1))
        for k, sub in node.fields.items()
        if type(sub) is _Int
    )
    return _leaf(node), exact.get, ints


def _slice_type_error(v: Any, st: _State, at: Any, struct: str, go: str) -> Any:
    if v is None:
        return _DROP
    st.type_error(
        json_kind(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else "number", go, struct, at
    )
    return _DROP


def _compile_slice(node: _Slice) -> Decoder:
    go = node.go
    strings = type(node.item) is _String
    skip, zero, fresh = _zero(node.item)
    item = compiled(node.item)
    no_types: dict[str, type] = {}
    leaf, exact, ints = (
        _exact_types(node.item) if isinstance(node.item, _Struct) else (False, no_types.get, ())
    )

    def dec_slice(v: Any, st: _State, at: Any, struct: str) -> Any:
        if not isinstance(v, (list, tuple)):
            return _slice_type_error(v, st, at, struct, go)
        if strings:
            for x in v:
                if type(x) is not str:
                    break
            else:
                return list(v)  # the common ``[]string``: nothing to look at one by one
        out = []
        for i, x in enumerate(v):
            if leaf and type(x) is dict:  # the struct's own shortcut, without a call
                for k, y in x.items():
                    if exact(k) is not type(y):
                        break
                else:
                    for k, (lo, hi) in ints:
                        if k in x and not lo <= x[k] <= hi:
                            break
                    else:
                        out.append(dict(x))
                        continue
            d = item(x, st, (at, i, 2), struct)
            if d is _DROP:
                if skip:
                    continue
                d = type(zero)() if fresh else zero
            out.append(d)
        return out

    node.compiled = dec_slice
    return dec_slice


def _compile_map(node: _Map) -> Decoder:
    go = node.go
    strings = type(node.value) is _String
    skip, zero, fresh = _zero(node.value)
    value = compiled(node.value)

    def dec_map(v: Any, st: _State, at: Any, struct: str) -> Any:
        if not isinstance(v, dict):
            if v is None:
                return _DROP
            st.type_error(json_kind(v), go, struct, at)
            return _DROP
        dups = () if type(v) is dict else getattr(v, "duplicates", ())
        if strings and not dups:
            for k, x in v.items():
                if type(k) is not str or type(x) is not str:
                    break
            else:
                return dict(v)  # labels, annotations, selectors: the common ``map[string]string``
        out = {}
        for k, x in v.items():
            k = _key_text(k)
            d = value(x, st, (at, k, 1), struct)
            if d is _DROP:
                if skip:
                    continue
                d = type(zero)() if fresh else zero
            out[k] = d
        for k in dups:
            st.strict_error("duplicate field", (at, k, 1))
        return out

    node.compiled = dec_map
    return dec_map


# --- sharing: the body beside the stored version ------------------------------------------------------------


def _walks_beside(node: _Node) -> bool:
    """Does walking beside the stored value pay, below the identity test of the value as a whole?  Not for
    scalars, leaf structs and lists or maps of scalars: their own walk is as cheap."""
    if isinstance(node, _Struct):
        return not _leaf(node)
    if isinstance(node, _Slice):
        return isinstance(node.item, (_Struct, _Slice, _Map))
    if isinstance(node, _Map):
        return isinstance(node.value, (_Struct, _Slice, _Map))
    return False


def _compile_sharing(node: _Node) -> SharingDecoder:
    if _walks_beside(node):
        if isinstance(node, _Struct):
            return _sharing_struct(node)
        if isinstance(node, _Slice):
            return _sharing_slice(node)
        if isinstance(node, _Map):
            return _sharing_map(node)
    plain = compiled(node)

    def dec_scalar(v: Any, st: _State, at: Any, struct: str, _stored: Any) -> Any:
        return plain(v, st, at, struct)

    node.compiled_sharing = dec_scalar
    return dec_scalar


def _sharing_struct(node: _Struct) -> SharingDecoder:
    name = node.name
    plain = compiled(node)
    table: dict[str, tuple[int, Decoder, Any]] = {}
    get = table.get
    fields = node.fields
    accepted = _ACCEPTED_TIMES

    def dec_struct(v: Any, st: _State, at: Any, struct: str, stored: Any) -> Any:
        if not isinstance(stored, dict) or not isinstance(v, dict):
            return plain(v, st, at, struct)
        held = stored.get
        out = {}
        for k, x in v.items():
            e = get(k)
            if e is None:
                if type(k) is not str:
                    k = _key_text(k)
                    e = get(k)
                if e is None:
                    st.strict_error("unknown field", (at, k, 0))
                    continue
            c, f, a = e
            if c:
                t = type(x)
                if c == 1:
                    if t is str:
                        out[k] = x
                        continue
                elif t is int:
                    if c == 2:
                        if -2147483648 <= x <= 2147483647:
                            out[k] = x
                            continue
                    elif c == 3 and -9223372036854775808 <= x <= 9223372036854775807:
                        out[k] = x
                        continue
                elif c == 4:
                    if t is bool:
                        out[k] = x
                        continue
                elif c == 5:
                    if t is list:
                        for y in x:
                            if type(y) is not str:
                                break
                        else:
                            out[k] = list(x)  # a ``[]string``
                            continue
                elif c == 6 and t is dict:  # a leaf struct: its own shortcut, without a call
                    child_exact, child_ints = a
                    for kk, y in x.items():
                        if child_exact(kk) is not type(y):
                            break
                    else:
                        for kk, (lo, hi) in child_ints:
                            if kk in x and not lo <= x[kk] <= hi:
                                break
                        else:
                            out[k] = dict(x)
                            continue
                elif c == 7 and t is str and x in accepted:
                    out[k] = x
                    continue
                d = f(x, st, (at, k, 0), name)
            else:
                o = held(k, _MISSING)
                if x is o:
                    out[k] = x  # the stored version's own value: well typed, nothing to walk
                    continue
                d = f(x, st, (at, k, 0), name) if a is None else a(x, st, (at, k, 0), name, o)
            if d is not _DROP:
                out[k] = d
        if type(v) is not dict:
            for k in getattr(v, "duplicates", ()):
                if k in fields:
                    st.strict_error("duplicate field", (at, k, 1))
        return out

    node.compiled_sharing = dec_struct
    for field, sub in fields.items():
        c = _category(sub)
        # The third is the sharing decoder of a type worth walking beside the stored value, or a leaf
        # struct's exact types.
        table[field] = (
            c,
            compiled(sub),
            _exact_types(sub)[1:]
            if isinstance(sub, _Struct) and c == _LEAF
            else compiled_sharing(sub)
            if _walks_beside(sub)
            else None,
        )
    return dec_struct


def _sharing_slice(node: _Slice) -> SharingDecoder:
    plain = compiled(node)
    skip, zero, fresh = _zero(node.item)
    item_plain = compiled(node.item)
    item = compiled_sharing(node.item) if _walks_beside(node.item) else None

    def dec_slice(v: Any, st: _State, at: Any, struct: str, stored: Any) -> Any:
        if not isinstance(stored, list) or not stored or not isinstance(v, (list, tuple)):
            return plain(v, st, at, struct)
        held = {id(x) for x in stored}  # every item of the stored list is a well-typed item
        n = len(stored)
        out = []
        texts: dict[bytes, Any] | None = None
        for i, x in enumerate(v):
            if id(x) in held:
                out.append(x)
                continue
            if type(x) is dict:  # a rebuilt item exactly equal to a stored one is that one
                if texts is None:
                    texts = _texts(stored, v)
                try:
                    text = dumps(x, default=as_plain, option=_EXACT)
                except TypeError:  # orjson.JSONEncodeError: not plain JSON, walked
                    pass
                else:
                    o = texts.get(text)
                    if o is not None and text.find(b"null") < 0:
                        out.append(o)
                        continue
            if i < n and item is not None:  # a changed item may share its parts with the one it replaced
                d = item(x, st, (at, i, 2), struct, stored[i])
            else:
                d = item_plain(x, st, (at, i, 2), struct)
            if d is _DROP:
                if skip:
                    continue
                d = type(zero)() if fresh else zero
            out.append(d)
        return out

    node.compiled_sharing = dec_slice
    return dec_slice


def _texts(stored: list, body: Any) -> dict[bytes, Any]:
    """The stored list's items that the body does not hold as they are, by their exact JSON text.

    A body item of the same text — same keys in the same order, same values of the same Python types
    (``1`` is not ``1.0``), nothing orjson refuses (the decoder's number and duplicate-key subclasses,
    non-string keys, big integers) and no ``null`` (which ``NaN`` also writes) — decodes to an item
    equal to the stored one, without warnings: the stored item itself stands for it.  A client that
    puts the stored items back into its body leaves only the replaced ones to write here.
    """
    sent = {id(y) for y in body}
    rest = [x for x in stored if id(x) not in sent]
    try:
        return {dumps(x, default=as_plain, option=_EXACT): x for x in rest}
    except TypeError:
        texts = {}
        for x in rest:
            try:
                texts[dumps(x, default=as_plain, option=_EXACT)] = x
            except TypeError:
                pass
        return texts


def _sharing_map(node: _Map) -> SharingDecoder:
    plain = compiled(node)
    skip, zero, fresh = _zero(node.value)
    value_plain = compiled(node.value)
    value = compiled_sharing(node.value) if _walks_beside(node.value) else None

    def dec_map(v: Any, st: _State, at: Any, struct: str, stored: Any) -> Any:
        if not isinstance(stored, dict) or not isinstance(v, dict):
            return plain(v, st, at, struct)
        held = stored.get
        out = {}
        for k, x in v.items():
            k = _key_text(k)
            o = held(k, _MISSING)
            if x is o:
                out[k] = x
                continue
            d = (
                value_plain(x, st, (at, k, 1), struct)
                if value is None
                else value(x, st, (at, k, 1), struct, o)
            )
            if d is _DROP:
                if skip:
                    continue
                d = type(zero)() if fresh else zero
            out[k] = d
        if type(v) is not dict:
            for k in getattr(v, "duplicates", ()):
                st.strict_error("duplicate field", (at, k, 1))
        return out

    node.compiled_sharing = dec_map
    return dec_map
