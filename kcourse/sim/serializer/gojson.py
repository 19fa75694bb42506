"""Go's ``encoding/json`` as Kubernetes forks it (``sigs.k8s.io/json``): reading JSON text, writing numbers
and strings as Go does, and the decoder's state with its error texts.

The state is ``decode.go``'s: the first ``UnmarshalTypeError`` saved wins (``json: cannot unmarshal … into
Go struct field …``), strict errors (unknown and duplicate fields) are collected up to
``MAX_STRICT_ERRORS``, and a type's own ``UnmarshalJSON`` error aborts at once (:class:`_Abort`).

Simplified: see :mod:`kcourse.sim.serializer`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Self

#: ``saveStrictError``: at most this many unknown/duplicate field errors are kept.
MAX_STRICT_ERRORS = 100


# --- numbers and strings as Go writes them -----------------------------------------------------------------


class Number(str):
    """A JSON number literal Python cannot hold as an ``int`` (4,300 digits and more): kept as its text."""


class _Float(float):
    """A JSON float that remembers its literal, so ``1.0`` is reported as Go would (``number 1.0``)."""

    text: str

    def __new__(cls, text: str) -> Self:
        self = super().__new__(cls, text)
        self.text = text
        return self


class _Object(dict):
    """A JSON object read from text, remembering the keys it had more than once (``duplicates``)."""

    duplicates: tuple[str, ...] = ()


def object_pairs(pairs: list[tuple[str, Any]]) -> dict:
    """``json.loads``' ``object_pairs_hook``: a dict that remembers the keys it was given twice."""
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dups = []
        for k, _ in pairs:
            if k in seen and k not in dups:
                dups.append(k)
            seen.add(k)
        obj.duplicates = tuple(dups)
    return obj


def _parse_int(text: str) -> int | Number:
    return int(text) if len(text) < 4000 else Number(text)


def loads(body: bytes | str) -> Any:
    """JSON text as the decoder wants it: duplicate keys remembered, number literals kept where it matters.

    Raises ``ValueError`` (``json.JSONDecodeError``) or ``RecursionError`` for text that is not JSON.
    """
    return json.loads(body, object_pairs_hook=object_pairs, parse_int=_parse_int, parse_float=_Float)


def _int_text(n: int) -> str:
    try:
        return str(n)
    except ValueError:  # beyond Python's int-to-text limit: convert in chunks that stay under it
        sign, n = ("-", -n) if n < 0 else ("", n)
        chunks = []
        while n:
            n, rest = divmod(n, 10**1000)
            chunks.append(rest)
        return sign + str(chunks[-1]) + "".join(f"{c:01000d}" for c in reversed(chunks[:-1]))


def go_float_text(f: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (what kubectl sends for a YAML float).

    ``1.0`` → ``1``.
    """
    if isinstance(f, _Float):
        return f.text
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        r = repr(f)  # the shortest digits in 'e' form; Go then writes e-07 as e-7
        if len(r) >= 4 and r[-4] == "e" and r[-3] == "-" and r[-2] == "0":
            r = r[:-2] + r[-1]
        return r
    text = format(Decimal(repr(f)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _number_text(v: Any) -> str:
    if isinstance(v, Number):
        return str(v)
    if isinstance(v, float):
        return go_float_text(v)
    return _int_text(v)


def go_quote(s: str) -> str:
    """Go's ``strconv.Quote``: printable characters as they are, the rest escaped."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable() and not 0xD800 <= o <= 0xDFFF:
            out.append(ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[
                    ch
                ]
            )
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\\ufffd")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02x}")
        elif o < 0x10000:
            out.append(f"\\u{o:04x}")
        else:
            out.append(f"\\U{o:08x}")
    out.append('"')
    return "".join(out)


def json_kind(v: Any) -> str:
    """How Go's decoder names a JSON value in an UnmarshalTypeError (numbers get their literal elsewhere)."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float, Number)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, (list, tuple)):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null" if v is None else "string"


def _key_text(k: Any) -> str:
    """A mapping key as the YAML-to-JSON conversion kubectl does would write it (``1`` → ``"1"``)."""
    if isinstance(k, str):
        return k
    if isinstance(k, bool):
        return "true" if k else "false"
    if k is None:
        return "null"
    if isinstance(k, float):
        return go_float_text(k)
    if isinstance(k, int):
        return _int_text(k)
    return str(k)


# --- the decoding state -------------------------------------------------------------------------------------


class _Abort(Exception):
    """An error from a type's own UnmarshalJSON: Go's decoder stops at once and returns it."""


class _State:
    __slots__ = ("error", "seen", "strict", "strict_errors")

    def __init__(self, strict: bool):
        self.error: str | None = None
        self.strict = strict
        self.strict_errors: list[str] = []
        self.seen: set[str] = set()

    def type_error(self, value: str, go_type: str, struct: str, at: Any) -> None:
        if self.error is None:
            self.error = _type_message(value, go_type, struct, at)

    def strict_error(self, kind: str, at: Any) -> None:
        if not self.strict or len(self.strict_errors) >= MAX_STRICT_ERRORS:
            return
        text = f"{kind} {go_quote(strict_path(at))}"
        if text not in self.seen:
            self.seen.add(text)
            self.strict_errors.append(text)


def _type_message(value: str, go_type: str, struct: str, at: Any) -> str:
    field = go_field_path(at)
    if struct or field:
        return f"json: cannot unmarshal {value} into Go struct field {struct}.{field} of type {go_type}"
    return f"json: cannot unmarshal {value} into Go value of type {go_type}"


_DROP = object()  # a null (Go's zero value: the field stays unset) or a value that failed to decode


# Where a value sits is a chain of small tuples ``(parent, key, how)``, built per field as the decoder walks
# and turned into text only for an error: the Go field path (struct fields only, the ``Field`` of an
# UnmarshalTypeError) or the strict path (fields, map keys and ``[index]``: the path of an unknown field).
_FIELD, _KEY, _INDEX = 0, 1, 2


def _chain(at: Any) -> list[tuple[Any, int]]:
    parts = []
    while at is not None:
        at, key, how = at
        parts.append((key, how))
    parts.reverse()
    return parts


def go_field_path(at: Any) -> str:
    return ".".join(str(key) for key, how in _chain(at) if how == _FIELD)


def strict_path(at: Any) -> str:
    out = []
    for key, how in _chain(at):
        if how == _INDEX:
            out.append(f"[{key}]")
        else:
            out.append(f".{key}" if out else str(key))
    return "".join(out)
