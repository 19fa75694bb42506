"""The door: a request's ``fieldValidation`` directive (Strict, Warn, Ignore) and the decoding of its body.

As ``handlers/create.go``, ``update.go`` and ``patch.go`` do: type errors are 400 BadRequest, unknown and
duplicate fields are refused (``Strict``), warned about (``Warn``, the default) or dropped (``Ignore``).

Simplified: see :mod:`kcourse.sim.serializer`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import orjson

from ..errors import ApiError, Cause, invalid
from ..frozen import FrozenDict, as_plain
from .compiled import compiled, compiled_sharing
from .gojson import _Abort, _State, go_quote
from .schema import _decoder

FIELD_VALIDATION_DIRECTIVES = ("Ignore", "Strict", "Warn")
_NONE = object()


# --- the door -----------------------------------------------------------------------------------------------


def check_field_validation(directive: str | None, options_kind: str = "CreateOptions") -> str:
    """The directive a request asks for: absent means ``Warn`` (``fieldValidation()`` in handlers/rest.go).

    Anything else than ``Ignore``, ``Warn`` or ``Strict`` is refused before the body is read, as
    ``ValidateCreateOptions`` (``ValidateFieldValidation``) refuses it.
    """
    if directive in (None, ""):
        return "Warn"
    if directive not in FIELD_VALIDATION_DIRECTIVES:
        raise invalid(
            options_kind,
            "",
            [
                Cause(
                    "fieldValidation",
                    f"Unsupported value: {go_quote(directive)}: "
                    'supported values: "", "Ignore", "Strict", "Warn"',
                    "FieldValueNotSupported",
                )
            ],
            "meta.k8s.io",
        )
    return directive


def decode(
    obj: dict,
    field_validation: str = "Strict",
    *,
    on_warning: Callable[[str], None] | None = None,
    stored: dict | None = None,
    unused: Collection[str] = (),
    share: bool = False,
    reference: bool = False,
) -> dict:
    """Decode a request body (already parsed JSON/YAML, ``apiVersion`` and ``kind`` checked) into its kind.

    Returns a new, well-typed object.  Raises :class:`ApiError` 400 BadRequest for a type error,
    and for unknown or duplicate fields under ``Strict``; under ``Warn`` each is passed to
    ``on_warning`` and the field is dropped; under ``Ignore`` it is dropped silently.

    ``stored`` is a well-typed object of the same kind (the version the server holds) and ``unused``
    the top-level fields the request cannot change (all but ``status`` on the status subresource, the
    ``status`` of a plain update): such a field whose value is exactly the stored one's cannot be
    wrong, so it is not walked, and the result holds the stored value itself (shared: the caller must
    not change it, and does not, since the request cannot change that field).

    With ``share``, any value of the body that *is* the object ``stored`` holds at the same place
    (an in-process client's update shares what it did not change with the version it read) is taken
    as it is, unwalked (:mod:`.compiled`): the result then shares it with ``stored``, so the caller
    must change nothing below the result's top-level fields and ``metadata``.  A body whose
    ``metadata`` is the stored version's own dict is walked whole, so the result's ``metadata`` is
    always its own.

    The body is walked by the compiled decoders (:mod:`.compiled`); ``reference`` walks it with the
    interpreted decoders of :mod:`.gotypes` instead, which the compiled ones are tested against.
    """
    if stored is not None and unused and (type(obj) is dict or type(obj) is FrozenDict):
        same = [k for k in unused if k in obj and k in stored and _same(obj[k], stored[k])]
        if same:
            out = decode(
                {k: v for k, v in obj.items() if k not in same},
                field_validation,
                on_warning=on_warning,
                stored=stored if share else None,
                share=share,
                reference=reference,
            )
            out.update((k, stored[k]) for k in same)
            return out
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    root = _decoder(api_version, kind) if isinstance(api_version, str) and isinstance(kind, str) else None
    if root is None:
        raise ApiError(404, "NotFound", f'no matches for kind "{kind}" in version "{api_version}"')
    version = api_version.rsplit("/", 1)[-1]
    st = _State(strict=field_validation != "Ignore")
    try:
        if reference:
            out = root.dec(obj, st, None, "")
        elif share and isinstance(stored, dict) and obj.get("metadata", _NONE) is not stored.get("metadata"):
            out = compiled_sharing(root)(obj, st, None, "", stored)
        else:
            out = compiled(root)(obj, st, None, "")
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


def _same(value: Any, typed: Any) -> bool:
    """Is ``value`` exactly ``typed`` — the same JSON, with the same Python types (``1`` is not ``1.0``)?

    ``orjson`` writes both at C speed and refuses what is not plain JSON (the decoder's number and
    duplicate-key subclasses, non-string keys, surrogates, big integers); ``NaN`` and the infinities
    are written as ``null``, so a text with a ``null`` is also compared by value.
    """
    if value is typed:
        return True
    if type(value) is not dict and type(value) is not FrozenDict:  # (a cached, read-only part: frozen.py)
        return False
    try:
        text = orjson.dumps(value, default=as_plain, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        if text != orjson.dumps(typed, default=as_plain, option=orjson.OPT_PASSTHROUGH_SUBCLASS):
            return False
    except TypeError:  # orjson.JSONEncodeError
        return False
    return b"null" not in text or value == typed


def _bad(kind: str, version: str, message: str) -> ApiError:
    """``transformDecodeError`` (handlers/rest.go): the kind, its version, then the decoder's words."""
    return ApiError(
        400, "BadRequest", f'{kind} in version "{version}" cannot be handled as a {kind}: {message}'
    )
