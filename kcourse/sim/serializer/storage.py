"""The bytes the API server stores in etcd for an object: its JSON, written once per write.

The stored text is what ``json.dumps(obj, separators=(",", ":"))`` writes — the reference, kept
as :func:`encode_reference` — and :func:`encode` produces the same bytes with ``orjson``, several
times faster.  The two agree on everything a stored object holds except a few spellings, and
:func:`encode` hands those objects to the reference instead of guessing:

* text that is not ASCII: the reference escapes it (``ensure_ascii``: ``é`` is ``\\u00e9``,
  U+2028 is ``\\u2028``, and DEL is ``\\u007f``); orjson writes UTF-8 and DEL as it is;
* floats below 1e-4: the reference writes Python's ``repr`` (``1e-05``, ``1e-07``), orjson a
  decimal or a one-digit exponent (``0.00001``, ``1e-7``);
* what orjson refuses: integers beyond 64 bits, keys that are not strings, lone surrogates, and
  values of subclasses (it would write them as their base type, the reference as they print).

``NaN`` and the infinities (the reference writes ``NaN``, orjson ``null``) never reach here from a
request: the decoder refuses them.  An object read back from bytes written past the API can hold
them, so the API server encodes such an object with the reference.

orjson's result may keep a larger buffer than its bytes; :func:`encode` returns an exact-size copy,
so a store of many small values does not hold kilobytes each.

:class:`KeptAsStored` is the other direction: a watch cache for a kind written once and rarely read
(Events: about seven a Pod, each read back only by ``kubectl get/describe events`` or a repeat's
patch) keeps each object as etcd's own version of it and decodes those bytes again on every read, so
a large cluster's Events are held once, as etcd holds them, not a second time as dicts.

Simplified: the stored form is JSON (the real API server stores protobuf for built-in kinds), and
it is Python's spelling of JSON, not Go's (Go escapes ``<``, ``>``, ``&``, U+2028 and U+2029 as
``\\u003c``…, and writes floats in its own shortest form): what the simulation stored before stays
byte for byte what it stores now.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..frozen import as_plain

__all__ = ["KeptAsStored", "encode", "encode_reference"]

# A subclass goes to ``default``, which refuses all but the read-only dicts and lists of the debug mode
# (:func:`..frozen.as_plain`): those are written as the plain ones they are.
_EXACT = orjson.OPT_PASSTHROUGH_SUBCLASS
# A number token (after ``:``, ``,`` or ``[``) that orjson may spell otherwise than ``repr``: a decimal
# with four zeros after the point, or an exponent of one digit.  Inside a string it is only a false
# alarm (the reference then writes the object), never a miss.
_SMALL_FLOAT = re.compile(rb"[:,\[]-?(?:0\.0000|\d+(?:\.\d+)?e-\d(?!\d))")
# What any such token contains, found at memchr speed (a literal prefix): only then is the slower
# pattern above searched for.
_ONE_DIGIT_EXPONENT = re.compile(rb"e-\d(?!\d)")


def encode_reference(obj: Any) -> bytes:
    """The stored text as the standard library writes it: compact separators, ASCII only."""
    return json.dumps(obj, separators=(",", ":")).encode()


def _may_spell_a_float_otherwise(out: bytes) -> bool:
    """Could ``out`` hold a float orjson spells otherwise (a cheap test before :data:`_SMALL_FLOAT`)?

    A one-digit exponent inside a string (an even number of quotes before it, when no backslash
    escapes a quote) is text both encoders write alike.
    """
    if b"0.0000" in out:
        return True
    escaped = b"\\" in out
    return any(escaped or out.count(b'"', 0, m.start()) % 2 == 0 for m in _ONE_DIGIT_EXPONENT.finditer(out))


def encode(obj: Any) -> bytes:
    """The same bytes as :func:`encode_reference`, written by orjson wherever the two spell alike."""
    try:
        out = orjson.dumps(obj, default=as_plain, option=_EXACT)
    except TypeError:  # orjson.JSONEncodeError: a big integer, a non-string key, a surrogate, a subclass
        return encode_reference(obj)
    if not out.isascii() or b"\x7f" in out:
        return encode_reference(obj)
    if _may_spell_a_float_otherwise(out) and _SMALL_FLOAT.search(out):
        return encode_reference(obj)
    return bytes(memoryview(out))  # an exact-size copy: orjson's own result may keep a larger buffer


class KeptAsStored(dict):
    """A watch cache whose objects are kept as what etcd stores, decoded again on each read.

    A value is either an object (a ``dict``, as any cache holds it) or a stored version (etcd's
    ``KeyValue``, shared with etcd's own latest version) that :meth:`keep` put there together with
    the object the server built from it.  Every read — ``cache[key]``, ``get``, ``values``,
    ``items``, ``pop`` — returns an object: the one last kept or read for that key while it is the
    latest (so a write's caller and a repeat's patch see the very object the write made), else the
    stored bytes decoded by ``decode``, which gives an equal object with its keys in the same order.
    Only an object the decoder reproduces exactly may be kept this way: the caller keeps one it
    built from a request, whose resourceVersion is its metadata's last field, and stores any other
    as a dict.

    Simplified: a read returns an equal object, not always the same one (nobody may change what
    the cache returns, so only identity could tell); ``dict``'s own methods called on the cache
    (``dict.values(cache)``, ``dict(cache)``) see the stored versions.
    """

    __slots__ = ("_decode", "_recent")

    def __init__(self, decode: Callable[[str, Any], dict]):
        super().__init__()
        self._decode = decode  # (key, stored version) -> object
        self._recent: tuple[str, Any, dict] | None = None  # (key, stored version, its object)

    def keep(self, key: str, stored: Any, obj: dict) -> None:
        """Hold ``obj`` as its stored version ``stored``; ``obj`` stays the answer until the next one."""
        dict.__setitem__(self, key, stored)
        self._recent = (key, stored, obj)

    def _object(self, key: str, value: Any) -> dict:
        if isinstance(value, dict):
            return value
        recent = self._recent
        if recent is not None and recent[1] is value and recent[0] == key:
            return recent[2]
        obj = self._decode(key, value)
        self._recent = (key, value, obj)
        return obj

    def __getitem__(self, key: str) -> dict:
        return self._object(key, dict.__getitem__(self, key))

    def get(self, key: str, default: Any = None) -> Any:
        value = dict.get(self, key, self)
        return default if value is self else self._object(key, value)

    def pop(self, key: str, *default: Any) -> Any:
        value = dict.pop(self, key, self)
        if value is self:
            if default:
                return default[0]
            raise KeyError(key)
        return self._object(key, value)

    def values(self) -> Iterator[dict]:  # type: ignore[override]
        return (self._object(k, v) for k, v in dict.items(self))

    def items(self) -> Iterator[tuple[str, dict]]:  # type: ignore[override]
        return ((k, self._object(k, v)) for k, v in dict.items(self))
