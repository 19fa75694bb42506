"""Lists in chunks: ``limit``, ``continue``, ``remainingItemCount`` and ``resourceVersionMatch``.

``kubectl get pods`` asks for ``?limit=500`` and follows ``metadata.continue`` until it is empty, so a
list of 10,000 Pods never travels in one piece.  Which layer answers depends on the request, as the
cacher's ``shouldDelegateList`` decides (``k8s.io/apiserver/pkg/storage/cacher/cacher.go``, v1.32):

* **the watch cache** answers a first page — no ``resourceVersion`` (a consistent read of the current
  state), or ``resourceVersionMatch=NotOlderThan``, or ``resourceVersion=0`` (which also ignores
  ``limit``: "any version" is the whole cache).  Its continue token's start key is relative to the
  list's key *without* the trailing slash (``/name\\x00``), as ``PrepareContinueToken`` is called there.
* **etcd** (``storage/etcd3/store.go`` ``GetList``) answers everything the cache cannot: a ``continue``
  (read at the token's revision, so every page shows the same snapshot), ``resourceVersionMatch=Exact``
  and the legacy exact read (``limit`` with a ``resourceVersion`` and no match).  Its start keys are
  relative to ``/registry/<resource>/[<namespace>/]``.

A continue token is ``base64.RawURLEncoding`` of ``{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\\u0000"}``
(``storage/continue.go``).  When its revision has been compacted the answer is 410 Expired with a
new token at ``rv: -1`` — "continue at the latest revision" — and the text of ``etcd3/errors.go``.
``remainingItemCount`` is given only when no selector filters the list.

Simplified: a ``resourceVersion`` newer than the cache is refused at once (the cacher first waits up
to 3 s for it); lists of a single object by ``metadata.name`` field selector take the same path as
any other.
"""

from __future__ import annotations

import base64
import json
import posixpath
from dataclasses import dataclass
from typing import Any

from kcourse.sim import errors
from kcourse.sim.errors import ApiError, Cause
from kcourse.sim.etcd import EtcdError, prefix_end
from kcourse.sim.labels import parse_field_selector, parse_selector
from kcourse.sim.resources import ResourceType

__all__ = ["ListOptions", "decode_continue", "encode_continue", "list_options", "paged_list"]

EXPIRED = "The resourceVersion for the provided list is too old."
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


class StatusWithListMeta(ApiError):
    """A Status that carries ListMeta (``continue``) or ``retryAfterSeconds`` besides the usual fields."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        list_meta: dict | None = None,
        retry_after: int = 0,
        causes: list[Cause] | None = None,
    ):
        super().__init__(code, reason, message, causes=list(causes or []))
        self.list_meta = list_meta or {}
        self.retry_after = retry_after

    def status(self) -> dict[str, Any]:
        out = super().status()
        out["metadata"] = dict(self.list_meta)
        if not out["reason"]:
            del out["reason"]  # StatusReasonUnknown is "" and omitted
        for cause in out.get("details", {}).get("causes", []):
            if not cause["field"]:
                del cause["field"]  # omitempty
        if self.retry_after:
            out.setdefault("details", {})["retryAfterSeconds"] = self.retry_after
        if "details" in out:  # keep the wire order: details before code
            out["details"] = out.pop("details")
            out["code"] = out.pop("code")
        return out


@dataclass(frozen=True)
class ListOptions:
    limit: int = 0
    continue_: str = ""
    resource_version: str = ""
    match: str = ""


def list_options(query: dict[str, str], limit: int | None) -> ListOptions:
    """The list's options, checked as ``ValidateListOptions`` (apimachinery, internalversion/validation)."""
    opts = ListOptions(
        max(limit or 0, 0),
        query.get("continue") or "",
        query.get("resourceVersion") or "",
        query.get("resourceVersionMatch") or "",
    )
    causes = []
    if opts.match:
        if not opts.resource_version:
            causes.append(
                Cause(
                    "resourceVersionMatch",
                    "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                    "FieldValueForbidden",
                )
            )
        if opts.continue_:
            causes.append(
                Cause(
                    "resourceVersionMatch",
                    "Forbidden: resourceVersionMatch is forbidden when continue is provided",
                    "FieldValueForbidden",
                )
            )
        if opts.match not in ("Exact", "NotOlderThan"):
            causes.append(
                Cause(
                    "resourceVersionMatch",
                    f"Unsupported value: {json.dumps(opts.match)}: supported "
                    'values: "Exact", "NotOlderThan", ""',
                    "FieldValueNotSupported",
                )
            )
        if opts.match == "Exact" and opts.resource_version == "0":
            causes.append(
                Cause(
                    "resourceVersionMatch",
                    'Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                    "FieldValueForbidden",
                )
            )
    if causes:
        raise errors.invalid("ListOptions", "", causes, "meta.k8s.io")
    return opts


def encode_continue(key: str, key_prefix: str, rv: int) -> str:
    """``storage.EncodeContinue``."""
    if not key.startswith(key_prefix):
        raise ValueError("unable to encode next field: the key and key prefix do not match")
    token = {"v": "meta.k8s.io/v1", "rv": rv, "start": key[len(key_prefix) :]}
    # Go's json.Marshal: no spaces, and <, > and & escaped for HTML.
    data = json.dumps(token, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


def decode_continue(token: str, key_prefix: str) -> tuple[str, int]:
    """``storage.DecodeContinue``: the key to start from and the revision; 400 for a token that is not one."""

    def invalid(why: str) -> ApiError:
        return errors.bad_request(f"invalid continue token: {why}")

    bad = next((i for i, ch in enumerate(token) if ch not in _RAW_URL_ALPHABET), None)
    if bad is None and len(token) % 4 == 1:
        bad = len(token) - 1
    if bad is not None:  # Go's base64.CorruptInputError
        raise invalid(f"continue key is not valid: illegal base64 data at input byte {bad}")
    data = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    try:
        c = json.loads(data)
    except ValueError:
        first = data.lstrip()[:1].decode("latin-1") or " "
        raise invalid(
            f"continue key is not valid: invalid character '{first}' looking for beginning of value"
        ) from None
    if not isinstance(c, dict):
        raise invalid(
            "continue key is not valid: json: cannot unmarshal "
            f"{'array' if isinstance(c, list) else 'value'} into Go value of type storage.continueToken"
        )
    version, rv, start = c.get("v"), c.get("rv", 0), c.get("start", "")
    if version != "meta.k8s.io/v1":
        raise invalid(
            f"continue key is not valid: server does not recognize this encoded version {version or ''}"
        )
    if not isinstance(rv, int) or isinstance(rv, bool) or rv == 0:
        raise invalid(
            "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"
        )
    if not isinstance(start, str) or not start:
        raise invalid("continue key is not valid: encoded start key empty (version meta.k8s.io/v1)")
    key = start if start.startswith("/") else "/" + start
    # path.Clean keeps a client from ranging outside the list's prefix ("../secrets/…").
    if posixpath.normpath(key) != key or key.startswith("//"):
        raise invalid(f"continue key is not valid: {start}")
    return key_prefix + key[1:], rv


_RAW_URL_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _parse_rv(text: str, *, storage: bool) -> int:
    """``APIObjectVersioner.ParseResourceVersion``.

    Its InvalidError reaches the client in two ways: the etcd3 store wraps it as a 400 (``invalid resource
    version: …``), the watch cache returns it as it is, which the handler answers as a 500 without reason.
    """
    if text.isascii() and text.isdigit() and int(text) < 1 << 64:
        return int(text)
    why = "value out of range" if text.isascii() and text.isdigit() else "invalid syntax"
    invalid = (
        f'resourceVersion: Invalid value: "{text}": strconv.ParseUint: parsing "{_go_quote(text)}": {why}'
    )
    if storage:
        raise errors.bad_request(f"invalid resource version: {invalid}")
    raise StatusWithListMeta(500, "", invalid)


def _go_quote(text: str) -> str:
    """The inside of Go's ``%q`` for ``strconv.Quote`` (as ``ParseUint`` quotes its input)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _too_large(wanted: int, current: int, retry: int) -> ApiError:
    """``storage.NewTooLargeResourceVersionError``: 504 Timeout with a ResourceVersionTooLarge cause."""
    return StatusWithListMeta(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {wanted}, current: {current}",
        retry_after=retry,
        causes=[Cause("", "Too large resource version", "ResourceVersionTooLarge")],
    )


def _matcher(label_selector: str | None, field_selector: str | None) -> Any:
    labels, fields = parse_selector(label_selector), parse_field_selector(field_selector)
    return lambda obj: labels.matches(obj["metadata"].get("labels")) and fields(obj)


def paged_list(
    api: Any,
    rt: ResourceType,
    namespace: str | None,
    opts: ListOptions,
    *,
    user: str,
    label_selector: str | None = None,
    field_selector: str | None = None,
) -> dict:
    """The ``<Kind>List`` one LIST request answers, from the watch cache or from etcd as upstream decides."""
    # The ordinary list validates the selectors and logs the request; its items are the cache's answer.
    result = api.list(
        rt.plural, namespace, label_selector=label_selector, field_selector=field_selector, user=user
    )
    empty_predicate = not label_selector and not field_selector
    current = api.etcd.revision
    legacy_exact = opts.limit > 0 and not opts.match and opts.resource_version not in ("", "0")
    if not (opts.continue_ or opts.match == "Exact" or legacy_exact):
        return _from_cache(api, rt, namespace, opts, result, empty_predicate, current)
    return _from_etcd(
        api, rt, namespace, opts, _matcher(label_selector, field_selector), empty_predicate, current
    )


def _list_key(rt: ResourceType, namespace: str | None) -> str:
    """The registry's key of the list (``NamespaceKeyRootFunc``), without a trailing slash."""
    return f"{rt.etcd_prefix}/{namespace}" if rt.namespaced and namespace else rt.etcd_prefix


def _from_cache(
    api: Any,
    rt: ResourceType,
    namespace: str | None,
    opts: ListOptions,
    result: dict,
    empty_predicate: bool,
    current: int,
) -> dict:
    if opts.resource_version not in ("", "0"):
        wanted = _parse_rv(opts.resource_version, storage=False)
        if wanted > current:
            raise _too_large(wanted, current, 1)
    limit = 0 if opts.resource_version == "0" else opts.limit
    if not limit or len(result["items"]) <= limit and empty_predicate:
        return result
    everything = api.items(rt.plural, namespace)
    # Matched by name, not identity: a cache may hand out an equal object on each read (Events are
    # decoded from etcd's bytes every time).
    selected = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in result["items"]}
    items: list[dict] = []
    has_more = False
    for i, obj in enumerate(everything):
        if (obj["metadata"].get("namespace"), obj["metadata"]["name"]) in selected:
            items.append(obj)
        if len(items) >= limit:
            has_more = i < len(everything) - 1
            break
    meta: dict[str, Any] = {"resourceVersion": result["metadata"]["resourceVersion"]}
    if has_more:
        last = items[-1]["metadata"]
        key = rt.etcd_key(last.get("namespace"), last["name"])
        meta["continue"] = encode_continue(key + "\x00", _list_key(rt, namespace), current)
        if empty_predicate:
            meta["remainingItemCount"] = len(everything) - limit
    return dict(result, metadata=meta, items=items)


def _decode(value: bytes, mod_revision: int) -> dict:
    obj = json.loads(value)
    obj["metadata"]["resourceVersion"] = str(mod_revision)
    return obj


def _from_etcd(
    api: Any,
    rt: ResourceType,
    namespace: str | None,
    opts: ListOptions,
    matches: Any,
    empty_predicate: bool,
    current: int,
) -> dict:
    key_prefix = _list_key(rt, namespace) + "/"
    start, with_rev = key_prefix, 0
    if opts.continue_:
        start, continue_rv = decode_continue(opts.continue_, key_prefix)
        if opts.resource_version not in ("", "0"):
            raise errors.bad_request("specifying resource version is not allowed when using continue")
        with_rev = max(continue_rv, 0)
    elif opts.resource_version:
        with_rev = _parse_rv(opts.resource_version, storage=True)
    try:
        kvs = api.etcd.range(start, prefix_end(key_prefix), revision=with_rev)
    except EtcdError as e:
        if "compacted" in e.message:
            if opts.continue_:
                token = encode_continue(start, key_prefix, -1)
                raise StatusWithListMeta(
                    410, "Expired", INCONSISTENT_CONTINUE, list_meta={"continue": token}
                ) from None
            raise errors.gone(EXPIRED) from None
        raise StatusWithListMeta(500, "", f"etcdserver: {e.message}") from None
    rev = with_rev or current
    items: list[dict] = []
    has_more = False
    last_key = ""
    for kv in kvs:
        if opts.limit and len(items) >= opts.limit:
            has_more = True
            break
        last_key = kv.key
        obj = _decode(kv.value, kv.mod_revision)
        if matches(obj):
            items.append(obj)
    meta: dict[str, Any] = {"resourceVersion": str(rev)}
    if has_more:
        meta["continue"] = encode_continue(last_key + "\x00", key_prefix, rev)
        if empty_predicate:
            meta["remainingItemCount"] = len(kvs) - opts.limit
    return {"apiVersion": rt.api_version, "kind": f"{rt.kind}List", "metadata": meta, "items": items}
