"""The API server's decoder: every body is read into its kind's Go types before anything else looks at it.

kube-apiserver never validates a JSON document as such: it *unmarshals* the
body into the versioned Go struct of the kind (``v1.Pod``, ``apps/v1``
``Deployment`` …) with ``sigs.k8s.io/json``, Kubernetes' fork of Go's
``encoding/json`` (case-sensitive, integers preserved), and only then
defaults, converts and validates the typed object.  So a wrongly typed field
is answered at the door with 400 BadRequest in the decoder's words::

    Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into
    Go struct field ObjectMeta.metadata.labels of type string

and nothing downstream (defaulting, validation, controllers, the kubelet)
ever sees a malformed object.  This module does the same from the published
schema of Kubernetes v1.32 (the ``_definitions.json`` that the
``kubernetes-validate`` package ships, converted from the API server's own
OpenAPI document): each definition is compiled once per process into a small
tree of decoders, one per Go type, and a body is walked through it.

What the decoder copies from Go (``encoding/json``'s ``decode.go`` as forked
in ``sigs.k8s.io/json/internal/golang/encoding/json``):

* An ``UnmarshalTypeError`` — a string where an ``int32`` belongs, an object
  where a ``[]v1.Container`` belongs — is *saved* and decoding goes on; the
  first one saved is the answer.  Its ``Struct`` is the innermost Go struct's
  name and its ``Field`` the dotted JSON path of struct fields from the root
  (list indices and map keys are not part of it).  The value is ``string``,
  ``bool``, ``array``, ``object``, ``number`` — or ``number 1.5`` with the
  literal when a number does not fit an integer field (floats, overflow).
* ``null`` is Go's zero value: it leaves a field unset (here: the key is
  dropped), and inside a map or list it becomes the element's zero value
  (``""``, ``0``, ``{}``).
* Types with their own ``UnmarshalJSON`` stop decoding at once with their own
  error: ``intstr.IntOrString`` (a string, or whatever fits an ``int32``:
  ``json: cannot unmarshal bool into Go struct field … of type int32``),
  ``resource.Quantity`` (``quantities must match the regular expression …``,
  ``unable to parse quantity's suffix``), ``metav1.Time`` (RFC 3339).
* Unknown and duplicate fields are *strict* errors, collected (at most 100,
  each once) with a path that does carry indices and map keys
  (``unknown field "spec.containers[0].imagePullPolice"``), and reported only
  when nothing else was wrong.  What happens to them is the request's
  ``fieldValidation`` (``handlers/create.go``, ``update.go``, ``patch.go``):
  ``Strict`` refuses the request with ``strict decoding error: …`` (all of
  them, joined by ``", "``), ``Warn`` — the server's default when the
  parameter is absent, ``fieldValidation()`` in ``handlers/rest.go`` — drops
  the fields and answers with one warning each (``Warning: 299 - "unknown
  field …"``), ``Ignore`` drops them silently.  kubectl sends ``Strict`` (its
  ``--validate`` defaults to ``strict``), and so do ``Cluster.apply`` and
  ``cluster.kubectl(...)``.

Whatever passes is a fresh, well-typed copy of the body: the server's own
copy, which defaulting may then change freely.

Simplified: a Quantity keeps the text it was given (the real server stores
the canonical form, ``0.5`` → ``500m``) and a number given for it becomes its
JSON text; a ``[]byte`` (Secret ``data``) is checked as base64 but stays text;
the Go names of named string types (``v1.RestartPolicy``, ``v1.Protocol``…),
which the schema does not carry, come from a short table and default to
``string``; a duplicate key keeps the last value (Go would merge two objects).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Callable
from decimal import Decimal
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Self

from .errors import ApiError, Cause, invalid

__all__ = ["FIELD_VALIDATION_DIRECTIVES", "decode", "go_quote", "json_kind", "kind_definition", "loads",
           "object_pairs"]

FIELD_VALIDATION_DIRECTIVES = ("Ignore", "Strict", "Warn")
#: ``saveStrictError``: at most this many unknown/duplicate field errors are kept.
MAX_STRICT_ERRORS = 100
_SCHEMA_DIR = ("kubernetes-json-schema", "v1.32.0-local", "_definitions.json")
_REF = "#/$defs/"

# Go types the schema inlines or names only as "string": where the Go field has a named type, the decoder's
# message names it (``types.go`` of core/v1, apps/v1, discovery/v1, storage/v1, meta/v1).
_NAMED_STRINGS = {
    "io.k8s.api.core.v1.Container": {"imagePullPolicy": "v1.PullPolicy",
                                     "terminationMessagePolicy": "v1.TerminationMessagePolicy"},
    "io.k8s.api.core.v1.ContainerPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.core.v1.ServicePort": {"protocol": "v1.Protocol"},
    "io.k8s.api.core.v1.EndpointPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.discovery.v1.EndpointPort": {"protocol": "v1.Protocol"},
    "io.k8s.api.discovery.v1.EndpointSlice": {"addressType": "v1.AddressType"},
    "io.k8s.api.core.v1.PodSpec": {"restartPolicy": "v1.RestartPolicy", "dnsPolicy": "v1.DNSPolicy",
                                   "preemptionPolicy": "v1.PreemptionPolicy"},
    "io.k8s.api.core.v1.PodStatus": {"phase": "v1.PodPhase", "qosClass": "v1.PodQOSClass"},
    "io.k8s.api.core.v1.PodCondition": {"type": "v1.PodConditionType", "status": "v1.ConditionStatus"},
    "io.k8s.api.core.v1.NodeCondition": {"type": "v1.NodeConditionType", "status": "v1.ConditionStatus"},
    "io.k8s.api.core.v1.NodeAddress": {"type": "v1.NodeAddressType"},
    "io.k8s.api.core.v1.NamespaceStatus": {"phase": "v1.NamespacePhase"},
    "io.k8s.api.core.v1.ServiceSpec": {"type": "v1.ServiceType", "sessionAffinity": "v1.ServiceAffinity",
                                       "externalTrafficPolicy": "v1.ServiceExternalTrafficPolicy",
                                       "internalTrafficPolicy": "v1.ServiceInternalTrafficPolicy",
                                       "ipFamilyPolicy": "v1.IPFamilyPolicy"},
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
    "io.k8s.api.core.v1.PersistentVolumeSpec": {"persistentVolumeReclaimPolicy":
                                                "v1.PersistentVolumeReclaimPolicy",
                                                "volumeMode": "v1.PersistentVolumeMode"},
    "io.k8s.api.storage.v1.StorageClass": {"reclaimPolicy": "v1.PersistentVolumeReclaimPolicy",
                                           "volumeBindingMode": "v1.VolumeBindingMode"},
}
# Definitions whose Go type decodes any JSON at all (custom UnmarshalJSON keeping the raw bytes).
_UNTYPED = {"io.k8s.apimachinery.pkg.runtime.RawExtension", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
            "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON"}
_INTSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_TIMES = {"io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}


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
            n, rest = divmod(n, 10 ** 1000)
            chunks.append(rest)
        return sign + str(chunks[-1]) + "".join(f"{c:01000d}" for c in reversed(chunks[:-1]))


def go_float_text(f: float) -> str:
    """A float64 as Go's ``encoding/json`` writes it (what kubectl sends for a YAML float): ``1.0`` → ``1``."""
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
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t",
                        "\v": "\\v"}[ch])
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


# --- the decoding state ---------------------------------------------------------------------------------------

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


# --- decoders, one per Go type --------------------------------------------------------------------------------

class _Node:
    go = "interface {}"

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        raise NotImplementedError

    def zero(self) -> Any:
        return _DROP


class _Untyped(_Node):
    """``interface{}``, ``runtime.RawExtension``, ``FieldsV1``: any JSON at all, kept as it came."""

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
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

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
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


QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
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

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
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
    """``metav1.Time``: an RFC 3339 string (its UnmarshalJSON first reads a Go ``string``)."""

    def __init__(self, go: str):
        self.go = go

    def dec(self, v: Any, st: _State, at: Any, struct: str) -> Any:
        if v is None:
            return None  # the zero Time, which Go writes back as null (``creationTimestamp: null``)
        if not isinstance(v, str) or isinstance(v, Number):
            raise _Abort(_type_message(json_kind(v), "string", struct, at))
        text = str(v)
        if not _RFC3339.fullmatch(text):
            raise _Abort(f'parsing time {go_quote(text)} as "2006-01-02T15:04:05Z07:00": cannot parse '
                         f'{go_quote(_time_rest(text))} as {go_quote(_time_elem(text))}')
        return text


_TIME_LAYOUT = (("2006", r"\d{4}"), ("-", "-"), ("01", r"\d{2}"), ("-", "-"), ("02", r"\d{2}"), ("T", "T"),
                ("15", r"\d{2}"), (":", ":"), ("04", r"\d{2}"), (":", ":"), ("05", r"\d{2}(\.\d+)?"),
                ("Z07:00", r"(Z|[+-]\d{2}:\d{2})$"))


def _time_split(text: str) -> tuple[str, str]:
    rest = text
    for elem, pattern in _TIME_LAYOUT:
        m = re.match(pattern, rest)
        if not m:
            return rest, elem
        rest = rest[m.end():]
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
        st.type_error(json_kind(v) if not isinstance(v, (int, float)) or isinstance(v, bool) else "number",
                      self.go, struct, at)
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
            if type(value) is _String and not getattr(v, "duplicates", ()) and all(
                    type(k) is str and type(x) is str for k, x in v.items()):
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
        self._plain = (frozenset(k for k, n in f.items() if type(n) is _String),
                       frozenset(k for k, n in f.items() if type(n) is _Bool),
                       frozenset(k for k, n in f.items() if type(n) is _Int and n.bits == 32),
                       frozenset(k for k, n in f.items() if type(n) is _Int and n.bits == 64))
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
                            k in int64s and -9223372036854775808 <= x <= 9223372036854775807):
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


# --- compiling the schema -------------------------------------------------------------------------------------

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
            return self.ref(s["$ref"][len(_REF):])
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


# --- the door -------------------------------------------------------------------------------------------------

def check_field_validation(directive: str | None, options_kind: str = "CreateOptions") -> str:
    """The directive a request asks for: absent means ``Warn`` (``fieldValidation()`` in handlers/rest.go).

    Anything else than ``Ignore``, ``Warn`` or ``Strict`` is refused before the body is read, as
    ``ValidateCreateOptions`` (``ValidateFieldValidation``) refuses it.
    """
    if directive in (None, ""):
        return "Warn"
    if directive not in FIELD_VALIDATION_DIRECTIVES:
        raise invalid(options_kind, "", [Cause("fieldValidation", f"Unsupported value: {go_quote(directive)}: "
                                               'supported values: "", "Ignore", "Strict", "Warn"',
                                               "FieldValueNotSupported")], "meta.k8s.io")
    return directive


def decode(obj: dict, field_validation: str = "Strict", *, on_warning: Callable[[str], None] | None = None
           ) -> dict:
    """Decode a request body (already parsed JSON/YAML, ``apiVersion`` and ``kind`` checked) into its kind.

    Returns a new, well-typed object.  Raises :class:`ApiError` 400 BadRequest for a type error,
    and for unknown or duplicate fields under ``Strict``; under ``Warn`` each is passed to
    ``on_warning`` and the field is dropped; under ``Ignore`` it is dropped silently.
    """
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    root = _decoder(api_version, kind) if isinstance(api_version, str) and isinstance(kind, str) else None
    if root is None:
        raise ApiError(404, "NotFound", f'no matches for kind "{kind}" in version "{api_version}"')
    version = api_version.rsplit("/", 1)[-1]
    st = _State(strict=field_validation != "Ignore")
    try:
        out = root.dec(obj, st, None, "")
    except _Abort as e:
        raise _bad(kind, version, str(e)) from None
    except RecursionError:
        raise _bad(kind, version, "json: exceeded max depth") from None
    if st.error is not None:
        raise _bad(kind, version, st.error)
    if st.strict_errors:
        if field_validation == "Strict":
            raise _bad(kind, version, "strict decoding error: " + ", ".join(st.strict_errors))
        if on_warning is not None:
            for w in st.strict_errors:
                on_warning(w)
    return out


def _bad(kind: str, version: str, message: str) -> ApiError:
    """``transformDecodeError`` (handlers/rest.go): the kind, its version, then the decoder's words."""
    return ApiError(400, "BadRequest", f'{kind} in version "{version}" cannot be handled as a {kind}: {message}')
