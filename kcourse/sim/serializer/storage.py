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

Simplified: the stored form is JSON (the real API server stores protobuf for built-in kinds), and
it is Python's spelling of JSON, not Go's (Go escapes ``<``, ``>``, ``&``, U+2028 and U+2029 as
``\\u003c``…, and writes floats in its own shortest form): what the simulation stored before stays
byte for byte what it stores now.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from ..frozen import as_plain

__all__ = ["encode", "encode_reference"]

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
