"""The typed-field checks: one decoder per Go type (string, ``[]byte``, bool, int32/int64, float64,
``intstr.IntOrString``, ``resource.Quantity``, ``metav1.Time``, slices, maps and structs).

Each decodes one JSON value into its Go type, saving a type error or a strict error in the decoding state
(:mod:`.gojson`) as ``encoding/json`` does, or aborting with the type's own ``UnmarshalJSON`` error.

Simplified: see :mod:`kcourse.sim.serializer`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from typing import Any, ClassVar

from .gojson import (
    _DROP,
    _FIELD,
    _INDEX,
    _KEY,
    Number,
    _Abort,
    _Float,
    _key_text,
    _number_text,
    _State,
    _type_message,
    go_quote,
    json_kind,
)

# --- decoders, one per Go type ------------------------------------------------------------------------------


class _Node:
    go = "interface {}"
    #: Set on first use by :mod:`.compiled`: this type's compiled decoders.
    compiled: Any
    compiled_sharing: Any

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        raise NotImplementedError

    def zero(self) -> Any:
        return _DROP


class _Untyped(_Node):
    """``interface{}``, ``runtime.RawExtension``, ``FieldsV1``: any JSON at all, kept as it came."""

    def dec(self, v: Any, st: _State, _at: Any, _struct: str) -> Any:
        return _plain(v, st)


def _plain(v: Any, st: _State) -> Any:
    if isinstance(v, dict):
        return {_key_text(k): _plain(x, st) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x, st) for x in v]
    _refuse_non_finite(v)
    if isinstance(v, Number):
        raise _Abort(f"json: cannot unmarshal number {v} into Go value of type float64")
    if isinstance(v, _Float):
        return float(v)
    return v


def _refuse_non_finite(v: Any) -> None:
    """JSON has no NaN or infinity: Go's encoder refuses them before any request is sent."""
    if isinstance(v, float) and not math.isfinite(v):
        raise _Abort(f"json: unsupported value: {'NaN' if math.isnan(v) else '+Inf' if v > 0 else '-Inf'}")


class _String(_Node):
    def __init__(self, go: str = "string"):
        self.go = go

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if type(v) is str:
            return v
        if isinstance(v, str) and not isinstance(v, Number):
            return str(v)
        if v is None:
            return _DROP
        st.type_error(json_kind(v), self.go, struct, at)
        return _DROP

    def zero(self) -> Any:
        return ""


class _Bytes(_String):
    """``[]byte``: a base64 string (Secret ``data``)."""

    def __init__(self) -> None:
        super().__init__("[]uint8")

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        out = super().dec(v, st, at, struct)
        if isinstance(out, str):
            try:
                base64.b64decode(out.replace("\r", "").replace("\n", ""), validate=True)
            except (binascii.Error, ValueError):
                if st.error is None:
                    st.error = f"illegal base64 data at input byte {_bad_base64_offset(out)}"
                return _DROP
        return out


def _bad_base64_offset(s: str) -> int:
    """Where Go's ``base64.StdEncoding`` gives up (``CorruptInputError``), near enough."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    clean = s.replace("\r", "").replace("\n", "")
    for i, ch in enumerate(clean):
        if ch not in alphabet:
            return i
    return len(clean) - len(clean) % 4


class _Bool(_Node):
    go = "bool"

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if v is True or v is False:
            return v
        if v is None:
            return _DROP
        st.type_error(json_kind(v), "bool", struct, at)
        return _DROP

    def zero(self) -> Any:
        return False


def _as_int(v: Any, bits: int) -> int | None:
    """The integer Go's ``strconv.ParseInt`` reads from the number's JSON text, or None."""
    if isinstance(v, (bool, Number)):
        return None
    if isinstance(v, float):
        if not math.isfinite(v) or isinstance(v, _Float) or not v.is_integer() or abs(v) >= 1e21:
            return None
        v = int(v)
    if isinstance(v, int) and -(1 << (bits - 1)) <= v < (1 << (bits - 1)):
        return int(v)
    return None


class _Int(_Node):
    def __init__(self, bits: int):
        self.bits = bits
        self.go = f"int{bits}"

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if type(v) is int and -(1 << (self.bits - 1)) <= v < (1 << (self.bits - 1)):
            return v
        if v is None:
            return _DROP
        if isinstance(v, (int, float, Number)) and not isinstance(v, bool):
            n = _as_int(v, self.bits)
            if n is not None:
                return n
            _refuse_non_finite(v)
            st.type_error(f"number {_number_text(v)}", self.go, struct, at)
            return _DROP
        st.type_error(json_kind(v), self.go, struct, at)
        return _DROP

    def zero(self) -> Any:
        return 0


class _Float64(_Node):
    go = "float64"

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if v is None:
            return _DROP
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            _refuse_non_finite(v)
            if isinstance(v, int) and abs(v).bit_length() > 1024:
                st.type_error(f"number {_number_text(v)}", "float64", struct, at)
                return _DROP
            return float(v) if isinstance(v, _Float) else v
        if isinstance(v, Number):
            st.type_error(f"number {v}", "float64", struct, at)
            return _DROP
        st.type_error(json_kind(v), "float64", struct, at)
        return _DROP

    def zero(self) -> Any:
        return 0


class _IntOrString(_Node):
    """``intstr.IntOrString``: its UnmarshalJSON reads a string, or hands the value to an ``int32``."""

    go = "intstr.IntOrString"

    def dec(self, v: Any, _st: _State, at: Any, struct: str) -> Any:
        if isinstance(v, str) and not isinstance(v, Number):
            return str(v)
        if v is None:
            return _DROP
        if isinstance(v, (int, float, Number)) and not isinstance(v, bool):
            n = _as_int(v, 32)
            if n is not None:
                return n
            _refuse_non_finite(v)
            raise _Abort(_type_message(f"number {_number_text(v)}", "int32", struct, at))
        raise _Abort(_type_message(json_kind(v), "int32", struct, at))

    def zero(self) -> Any:
        return 0


QUANTITY_FORMAT_ERROR = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)
QUANTITY_NUMERIC_ERROR = "unable to parse numeric part of quantity"
QUANTITY_SUFFIX_ERROR = "unable to parse quantity's suffix"
_QUANTITY_SUFFIXES = {"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"}
_DIGITS = frozenset("0123456789")
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")


@functools.lru_cache(maxsize=4096)  # the same few quantities ("100m", "8Gi", "110") come again and again
def quantity_error(text: str) -> str | None:
    """What ``resource.ParseQuantity`` answers for ``text``, or None if it parses.

    A port of ``parseQuantityString`` (sign, digits, an optional fraction, then suffix letters, an
    optional sign and digits) followed by the suffixer's ``interpret``; like Go, ``+``, ``-`` and ``.``
    alone are zero.
    """
    text = text.strip(" \t\n\r\v\f")
    if not text:
        return QUANTITY_FORMAT_ERROR
    pos, end = 0, len(text)
    if text[0] in "+-":
        pos = 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end and text[pos] == ".":
        pos += 1
        while pos < end and text[pos] in _DIGITS:
            pos += 1
    start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        return QUANTITY_FORMAT_ERROR
    suffix = text[start:]
    if suffix in _QUANTITY_SUFFIXES or re.fullmatch(r"[eE][-+]?[0-9]+", suffix):
        return None
    return QUANTITY_SUFFIX_ERROR


class _Quantity(_Node):
    """``resource.Quantity``: its UnmarshalJSON parses the value's text (quoted or not)."""

    go = "resource.Quantity"

    def dec(self, v: Any, _st: _State, _at: Any, _struct: str) -> Any:
        if v is None:
            return _DROP
        if isinstance(v, str) and not isinstance(v, Number):
            text = str(v)
        elif isinstance(v, (int, float, Number)) and not isinstance(v, bool):
            _refuse_non_finite(v)
            text = _number_text(v)
        else:
            text = "true" if v is True else "false" if v is False else "{" if isinstance(v, dict) else "["
        problem = quantity_error(text)
        if problem:
            raise _Abort(problem)
        return text

    def zero(self) -> Any:
        return "0"


_RFC3339 = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class _Time(_Node):
    """``metav1.Time``: an RFC 3339 string (its UnmarshalJSON first reads a Go ``string``).

    ``accepted`` holds texts that parsed: a cluster's writes stamp the same few seconds over and over,
    so the compiled decoders take a known one without parsing it again (:mod:`.compiled`).
    """

    #: Texts known to parse (at most :attr:`ACCEPTED_SIZE`; then it starts again).
    accepted: ClassVar[set[str]] = set()
    ACCEPTED_SIZE = 1 << 12

    def __init__(self, go: str):
        self.go = go

    def dec(self, v: Any, _st: _State, at: Any, struct: str) -> Any:
        if v is None:
            return None  # the zero Time, which Go writes back as null (``creationTimestamp: null``)
        if not isinstance(v, str) or isinstance(v, Number):
            raise _Abort(_type_message(json_kind(v), "string", struct, at))
        text = str(v)
        if not _RFC3339.fullmatch(text):
            raise _Abort(
                f'parsing time {go_quote(text)} as "2006-01-02T15:04:05Z07:00": cannot parse '
                f"{go_quote(_time_rest(text))} as {go_quote(_time_elem(text))}"
            )
        accepted = _Time.accepted
        if len(accepted) >= _Time.ACCEPTED_SIZE:
            accepted.clear()
        accepted.add(text)
        return text


_TIME_LAYOUT = (
    ("2006", r"\d{4}"),
    ("-", "-"),
    ("01", r"\d{2}"),
    ("-", "-"),
    ("02", r"\d{2}"),
    ("T", "T"),
    ("15", r"\d{2}"),
    (":", ":"),
    ("04", r"\d{2}"),
    (":", ":"),
    ("05", r"\d{2}(\.\d+)?"),
    ("Z07:00", r"(Z|[+-]\d{2}:\d{2})$"),
)


def _time_split(text: str) -> tuple[str, str]:
    rest = text
    for elem, pattern in _TIME_LAYOUT:
        m = re.match(pattern, rest)
        if not m:
            return rest, elem
        rest = rest[m.end() :]
    return rest, ""


def _time_rest(text: str) -> str:
    return _time_split(text)[0]


def _time_elem(text: str) -> str:
    return _time_split(text)[1]


class _Slice(_Node):
    def __init__(self, item: _Node):
        self.item = item
        self.go = "[]" + item.go

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if isinstance(v, (list, tuple)):
            item = self.item
            if type(item) is _String and all(type(x) is str for x in v):
                return list(v)  # the common ``[]string``: nothing to look at one by one
            out = []
            for i, x in enumerate(v):
                d = item.dec(x, st, (at, i, _INDEX), struct)
                if d is _DROP:
                    d = item.zero()
                    if d is _DROP:
                        continue
                out.append(d)
            return out
        if v is None:
            return _DROP
        st.type_error(
            json_kind(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else "number",
            self.go,
            struct,
            at,
        )
        return _DROP

    def zero(self) -> Any:
        return []


class _Map(_Node):
    def __init__(self, value: _Node, go: str | None = None):
        self.value = value
        self.go = go or "map[string]" + value.go

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if isinstance(v, dict):
            value = self.value
            if (
                type(value) is _String
                and not getattr(v, "duplicates", ())
                and all(type(k) is str and type(x) is str for k, x in v.items())
            ):
                return dict(v)  # labels, annotations, selectors: the common ``map[string]string``
            out = {}
            for k, x in v.items():
                k = _key_text(k)
                d = value.dec(x, st, (at, k, _KEY), struct)
                if d is _DROP:
                    d = value.zero()
                    if d is _DROP:
                        continue
                out[k] = d
            for k in getattr(v, "duplicates", ()):
                st.strict_error("duplicate field", (at, k, _KEY))
            return out
        if v is None:
            return _DROP
        st.type_error(json_kind(v), self.go, struct, at)
        return _DROP

    def zero(self) -> Any:
        return {}


class _Struct(_Node):
    """A Go struct: known fields decode into their types, others are unknown fields."""

    def __init__(self, name: str, go: str):
        self.name = name  # the struct's own name, as UnmarshalTypeError.Struct reports it
        self.go = go
        self.fields: dict[str, _Node] = {}
        self._plain: tuple[frozenset, frozenset, frozenset, frozenset] | None = None

    def _plain_fields(self) -> tuple[frozenset, frozenset, frozenset, frozenset]:
        """The fields whose well-typed values need no decoder call: strings, bools, int32s, int64s."""
        f = self.fields
        self._plain = (
            frozenset(k for k, n in f.items() if type(n) is _String),
            frozenset(k for k, n in f.items() if type(n) is _Bool),
            frozenset(k for k, n in f.items() if type(n) is _Int and n.bits == 32),
            frozenset(k for k, n in f.items() if type(n) is _Int and n.bits == 64),
        )
        return self._plain

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if isinstance(v, dict):
            out = {}
            fields = self.fields
            name = self.name
            strings, bools, int32s, int64s = self._plain or self._plain_fields()
            for k, x in v.items():
                # The common case first: a well-typed scalar is taken as it is.
                t = type(x)
                if t is str:
                    if k in strings:
                        out[k] = x
                        continue
                elif t is int:
                    if (k in int32s and -2147483648 <= x <= 2147483647) or (
                        k in int64s and -9223372036854775808 <= x <= 9223372036854775807
                    ):
                        out[k] = x
                        continue
                elif t is bool and k in bools:
                    out[k] = x
                    continue
                if type(k) is not str:
                    k = _key_text(k)
                node = fields.get(k)
                if node is None:
                    st.strict_error("unknown field", (at, k, _FIELD))
                    continue
                d = node.dec(x, st, (at, k, _FIELD), name)
                if d is not _DROP:
                    out[k] = d
            for k in getattr(v, "duplicates", ()):
                if k in fields:
                    st.strict_error("duplicate field", (at, k, _KEY))
            return out
        if v is None:
            return _DROP
        st.type_error(json_kind(v), self.go, struct, at)
        return _DROP

    def zero(self) -> Any:
        return {}
