"""The REST verbs of kube-apiserver, mapped onto the simulated API server.

A URL names a resource the way the real server routes it::

    /api/v1/namespaces/{ns}/pods/{name}/log        core group
    /apis/apps/v1/namespaces/{ns}/deployments/{name}/scale

and the HTTP method plus the query pick the verb: GET is ``get``, ``list``
or (``?watch=true``) ``watch``; POST ``create``; PUT ``update``; PATCH
``patch``; DELETE ``delete`` or, without a name, ``deletecollection``.
Every verb calls the same :class:`~kcourse.sim.apiserver.APIServer` method
the simulated components and notebooks call, under the cluster's lock, as
a client named after the caller's user agent; a refused request comes back
as the ``Status`` object the real server sends.

Before anything is stored, a request is checked in kube-apiserver's order:
its options from the query (``dryRun`` must be ``All``, as ``ValidateDryRun``
says; a server-side apply needs a ``fieldManager``, as
``ValidatePatchOptions`` says; DeleteOptions, from the body or the query, are
typed and validated), then its body, decoded within the limits of
``serializers.py`` and refused in the words of whichever upstream decoder
would have read it: the serializer behind ``transformDecodeError`` for a
create or update, the apply patcher (``error decoding YAML``), the merge and
JSON patchers (``error decoding patch``).

Subresources: ``status`` (get/update/patch), ``scale`` (``autoscaling/v1``
Scale over ``spec.replicas``), ``binding``, ``eviction`` (``policy/v1``:
deletes the Pod gracefully), ``log`` (served by the node's kubelet, ``follow``
streamed for at most five minutes).  Bodies come as JSON, YAML or, from
kubectl's typed clients, Kubernetes protobuf (``protobuf.py``).  A watch
streams one JSON line per event; a too-old ``resourceVersion`` gets the
cacher's answer, one ERROR event carrying the 410 Expired Status.

Lists come in chunks when asked (``limit``/``continue``, ``resourceVersionMatch``:
``pagination.py``).

Simplified: a ``dryRun`` delete answers the object as it is (no deletionTimestamp);
server-side apply
(``application/apply-patch+yaml``) creates the object or strategic-merges
the applied configuration into it, without managedFields, so it never
reports a field-manager conflict and never removes a field; evictions check
no PodDisruptionBudget; ``exec``, ``attach``, ``portforward`` and ``proxy``
need an upgraded connection and are refused with 400.
"""

from __future__ import annotations

import json
import queue
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kcourse.sim import codecs as serializers
from kcourse.sim import errors
from kcourse.sim.errors import ApiError
from kcourse.sim.resources import ResourceType, by_plural

from . import pagination, protobuf
from .tables import table, wants_table

if TYPE_CHECKING:
    from .server import App

__all__ = ["Reply", "Request", "Target", "handle_resource", "parse_target"]

PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
}

#: Subresources real kubectl reaches with an upgraded (WebSocket or SPDY) connection: not served.
STREAMING = ("exec", "attach", "portforward", "proxy")

#: Chunk writer given to a streaming reply: returns False once the client has gone.
Write = Callable[[bytes], bool]


@dataclass
class Reply:
    """What to send back: a JSON body (dict), a text body (str) or a stream of chunks."""

    code: int
    body: Any = None
    content_type: str = "application/json"
    stream: Callable[[Write], None] | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)  # extra response headers (``Warning``)


@dataclass
class Request:
    method: str
    query: dict[str, str]
    accept: str
    content_type: str
    body: bytes
    user: str
    alive: Callable[[], bool] = field(default=lambda: True)


@dataclass(frozen=True)
class Target:
    rt: ResourceType
    namespace: str | None
    name: str
    subresource: str

    @property
    def resource(self) -> str:
        """``pods`` or ``pods/log``: how audit logs and the request counts name the endpoint."""
        return f"{self.rt.plural}/{self.subresource}" if self.subresource else self.rt.plural


def not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def parse_target(group: str, version: str, parts: list[str]) -> Target:
    """Resolve the path after ``/api/v1`` or ``/apis/<group>/<version>`` to a resource, namespace and name."""

    def served(plural: str) -> ResourceType | None:
        rt = by_plural(plural)
        return rt if rt is not None and (rt.group, rt.version) == (group, version) else None

    namespace = None
    if len(parts) >= 3 and parts[0] == "namespaces" and served(parts[2]) is not None:
        namespace, parts = parts[1], parts[2:]
    rt = served(parts[0]) if parts else None
    if rt is None or len(parts) > 3 or (namespace is not None and not rt.namespaced):
        raise not_found()
    return Target(rt, namespace, parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")


def status_success(code: int = 200, details: dict | None = None) -> dict:
    out: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}
    if details:
        out["details"] = details
    out["code"] = code
    return out


#: What a create or update body may be (``NegotiateInputSerializer``: the first one when none is given).
BODY_TYPES = ("application/json", "application/yaml", "application/vnd.kubernetes.protobuf")


def unsupported_media_type(accepted: tuple[str, ...] | list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media "
        f"types include: {', '.join(accepted)}",
    )


def media_type(req: Request) -> str:
    return req.content_type.split(";")[0].strip().lower()


def decode_body(req: Request, kind: str = "") -> Any:
    """JSON, YAML or Kubernetes protobuf, as the request's Content-Type says, refused in apimachinery's words.

    ``kind`` (the resource's kind) asks for an object — a create or update body, a server-side apply
    configuration — and a body that is none is refused as apimachinery refuses it (so is a ``metadata``
    that is not an object).  The wording depends on who decodes: the serializer for a create or update
    (``transformDecodeError``: ``the object provided is unrecognized (must be of type Pod): …``), the
    apply patcher (``error decoding YAML: …``), the patchers (``error decoding patch: …``, checked in
    :func:`check_patch`).
    """
    mtype = media_type(req)
    if mtype == "application/vnd.kubernetes.protobuf":
        return protobuf.decode(req.body)  # kubectl's typed clients (``kubectl create deployment …``)
    if mtype not in ("", "application/json", "application/yaml", *PATCH_TYPES):
        raise unsupported_media_type(BODY_TYPES)
    if not req.body:
        raise errors.bad_request("the body of the request was empty")
    apply = mtype == "application/apply-patch+yaml"
    yaml_body = apply or mtype == "application/yaml"
    try:
        obj = serializers.decode_yaml(req.body) if yaml_body else serializers.decode_json(req.body)
    except serializers.DecodeError as e:
        if apply:
            raise errors.bad_request(f"error decoding YAML: {e}") from None
        if mtype in PATCH_TYPES:
            raise errors.bad_request(patch_decoding_error(str(e), PATCH_TYPES[mtype], req)) from None
        reason = str(e) if yaml_body else f"couldn't get version/kind; json parse error: {e}"
        raise errors.bad_request(unrecognized(kind, reason, req.body)) from None
    if kind:
        _check_object(obj, kind, req)
    return obj


def unrecognized(kind: str, reason: str, body: bytes) -> str:
    """``transformDecodeError`` (``endpoints/handlers/rest.go``) for a body whose kind could not be read."""
    if not kind:
        return reason
    return f"the object provided is unrecognized (must be of type {kind}): {reason} ({_summary(body)})"


def _summary(data: bytes, limit: int = 30) -> str:
    """``summarizeData``: a JSON object's first bytes as text, anything else in hex."""
    if not data:
        return "<empty>"
    more = " ..." if len(data) > limit else ""
    if data[:1] == b"{":
        return data[:limit].decode("utf-8", "replace") + more
    return data[:limit].hex() + more


def _strict(req: Request) -> bool:
    """``fieldValidation`` Warn (the default) or Strict: the patchers decode the patch strictly first."""
    return req.query.get("fieldValidation", "Warn") != "Ignore"


def patch_decoding_error(reason: str, patch_type: str, req: Request) -> str:
    """How each patcher words a patch it cannot decode (``endpoints/handlers/patch.go``)."""
    if patch_type == "strategic":
        return reason
    if _strict(req):
        return f"error decoding patch: {reason}"
    return "Invalid JSON Patch" if patch_type == "merge" else reason


def _go_type(value: Any) -> str:
    """How ``encoding/json`` names a JSON value's type in ``cannot unmarshal X into …``."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "string" if isinstance(value, str) else "array" if isinstance(value, list) else "object"


def _check_object(obj: Any, kind: str, req: Request) -> None:
    mtype = media_type(req)
    if mtype == "application/apply-patch+yaml":
        if not isinstance(obj, dict):
            raise errors.bad_request(
                "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: "
                f"cannot unmarshal {_go_type(obj)} into Go value of type map[string]interface {{}}"
            )
    elif obj is None:
        raise errors.bad_request(unrecognized(kind, "Object 'Kind' is missing in 'null'", req.body))
    elif not isinstance(obj, dict):
        raise errors.bad_request(
            unrecognized(
                kind,
                "couldn't get version/kind; json parse error: json: cannot "
                f"unmarshal {_go_type(obj)} into Go value of type struct {{ APIVersion "
                'string "json:\\"apiVersion,omitempty\\""; Kind string '
                '"json:\\"kind,omitempty\\"" }',
                req.body,
            )
        )
    for key in ("apiVersion", "kind"):
        if key in obj and not isinstance(obj[key], str):
            raise errors.bad_request(
                unrecognized(
                    kind,
                    "couldn't get version/kind; json parse error: json: cannot "
                    f"unmarshal {_go_type(obj[key])} into Go struct field .{key} of "
                    "type string",
                    req.body,
                )
            )
    md = obj.get("metadata")
    if md is not None and not isinstance(md, dict):
        raise errors.bad_request(
            f'{kind} in version "{_version_of(obj)}" cannot be handled as a {kind}: json: '
            f"cannot unmarshal {_go_type(md)} into Go struct field {kind}.metadata of type "
            "v1.ObjectMeta"
        )


def _version_of(obj: dict) -> str:
    api_version = obj.get("apiVersion")
    return api_version.rsplit("/", 1)[-1] if isinstance(api_version, str) and api_version else "v1"


def _dry(req: Request) -> bool:
    """``?dryRun=All``: check and answer as for real, store nothing."""
    return req.query.get("dryRun") == "All"


def _truthy(value: str | None) -> bool:
    return value in ("true", "1", "True")


def _int(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    # Go's ``strconv.ParseInt(value, 10, 64)``: an optional sign and decimal digits, within int64.
    if not re.fullmatch(r"[+-]?[0-9]+", value) or not -(2**63) <= int(value) < 2**63:
        raise errors.bad_request(f'invalid value "{value}" for {name}')
    return int(value)


def handle_resource(app: App, req: Request, t: Target) -> Reply:
    """Dispatch one resource request by method and subresource."""
    if _dry(req) and t.subresource in ("eviction", "binding"):
        # Better refused than done for real.
        raise errors.bad_request(f"dryRun is not supported for {t.subresource} by the simulated cluster")
    if t.subresource in STREAMING:
        raise errors.bad_request(
            f"{t.subresource} is not supported by the simulated cluster: its containers are "
            "simulated programs, with no process to stream to or from"
        )
    if t.subresource == "log":
        return _logs(app, req, t) if req.method == "GET" else _method_not_allowed(t, req)
    if t.subresource == "scale":
        return _scale(app, req, t)
    if t.subresource in ("eviction", "binding"):
        if req.method != "POST":
            return _method_not_allowed(t, req)
        return _evict(app, req, t) if t.subresource == "eviction" else _bind(app, req, t)
    if t.subresource == "ephemeralcontainers":
        # Not served: the simulated kubelet runs no debug containers.  Refused as a server without the
        # subresource refuses it — 404 NotFound whose details are empty, which kubectl debug
        # (``debugByEphemeralContainer``) reports as "ephemeral containers are disabled for this cluster".
        return Reply(404, dict(not_found().status(), details={}, code=404))
    if t.subresource not in ("", "status"):
        raise not_found()
    m = req.method
    if not t.name:
        if m == "GET":
            return _watch(app, req, t) if _truthy(req.query.get("watch")) else _list(app, req, t)
        if m == "POST" and not t.subresource:
            return _create(app, req, t)
        if m == "DELETE":
            return _delete_collection(app, req, t)
        return _method_not_allowed(t, req)
    if m == "GET":
        return _get(app, req, t)
    if m == "PUT":
        return _update(app, req, t)
    if m == "PATCH":
        return _patch(app, req, t)
    if m == "DELETE" and not t.subresource:
        return _delete(app, req, t)
    return _method_not_allowed(t, req)


def _method_not_allowed(t: Target, req: Request) -> Reply:
    raise errors.method_not_supported(t.rt.plural, req.method.lower())


def _as_table(app: App, req: Request, t: Target, objs: list[dict], rv: str) -> dict:
    return table(
        t.rt,
        objs,
        app.cluster.clock.now,
        resource_version=rv,
        include_object=req.query.get("includeObject") or "Metadata",
    )


# --- reads --------------------------------------------------------------------------------------------------


def _get(app: App, req: Request, t: Target) -> Reply:
    with app.cluster.lock:
        obj = app.client(req).get(t.rt.plural, t.name, t.namespace)
        if wants_table(req.accept):
            return Reply(200, _as_table(app, req, t, [obj], obj["metadata"].get("resourceVersion", "")))
    return Reply(200, obj)


def _list(app: App, req: Request, t: Target) -> Reply:
    """A LIST, in chunks when asked (``limit``/``continue``, see pagination.py)."""
    opts = pagination.list_options(req.query, _int(req.query, "limit"))
    with app.cluster.lock:
        result = pagination.paged_list(
            app.cluster.api,
            t.rt,
            t.namespace,
            opts,
            user=req.user,
            label_selector=req.query.get("labelSelector"),
            field_selector=req.query.get("fieldSelector"),
        )
        if wants_table(req.accept):
            tab = _as_table(app, req, t, result["items"], result["metadata"]["resourceVersion"])
            tab["metadata"] = result["metadata"]
            return Reply(200, tab)
    return Reply(200, result)


def _watch(app: App, req: Request, t: Target) -> Reply:
    """A streamed watch: one JSON line per event, until ``timeoutSeconds``, the client leaves or the server
    stops.

    Events are encoded when the simulation delivers them (inside the step that wrote), queued, and
    written by this request's thread, so a slow client never holds the cluster up.
    """
    events: queue.Queue[bytes] = queue.Queue()
    as_table = wants_table(req.accept)
    include = req.query.get("includeObject") or "Metadata"
    cluster = app.cluster

    def line(etype: str, obj: dict) -> bytes:
        return (json.dumps({"type": etype, "object": obj}, separators=(",", ":")) + "\n").encode()

    def handler(etype: str, obj: dict) -> None:
        if as_table and etype != "BOOKMARK":
            obj = table(
                t.rt,
                [obj],
                cluster.clock.now,
                resource_version=obj["metadata"].get("resourceVersion", ""),
                include_object=include,
            )
        events.put(line(etype, obj))

    bookmarks = _truthy(req.query.get("allowWatchBookmarks"))
    # "0" is "start at any version": the watch cache begins with synthetic ADDED events, as for no version.
    resource_version = req.query.get("resourceVersion")
    if resource_version == "0":
        resource_version = None
    try:
        with cluster.lock:
            watch = cluster.api.watch(
                t.rt.plural,
                handler,
                namespace=t.namespace,
                resource_version=resource_version,
                label_selector=req.query.get("labelSelector"),
                field_selector=req.query.get("fieldSelector"),
                allow_bookmarks=bookmarks,
                user=req.user,
            )
    except ApiError as e:
        if e.code != 410:
            raise
        # The watch cache answers a too-old resourceVersion with one ERROR event carrying the 410 Status.
        gone = line("ERROR", e.status())

        def once(write: Write) -> None:
            write(gone)

        return Reply(200, stream=once)
    timeout = _int(req.query, "timeoutSeconds")
    deadline = time.monotonic() + (timeout if timeout is not None else app.watch_timeout)

    def stream(write: Write) -> None:
        last_bookmark = time.monotonic()
        try:
            while not app.stopping.is_set():
                now = time.monotonic()
                if now >= deadline:
                    break
                try:
                    chunk = events.get(timeout=min(0.1, deadline - now))
                except queue.Empty:
                    if not req.alive():
                        break
                    if bookmarks and time.monotonic() - last_bookmark >= app.bookmark_interval:
                        last_bookmark = time.monotonic()
                        with cluster.lock:
                            rv = str(cluster.etcd.revision)
                        events.put(
                            line(
                                "BOOKMARK",
                                {
                                    "kind": t.rt.kind,
                                    "apiVersion": t.rt.api_version,
                                    "metadata": {"resourceVersion": rv},
                                },
                            )
                        )
                    continue
                if not write(chunk):
                    break
        finally:
            with cluster.lock:
                watch.stop()

    return Reply(200, stream=stream)


# --- writes -------------------------------------------------------------------------------------------------


def _check_name(t: Target, obj: Any) -> None:
    name = ((obj.get("metadata") or {}).get("name") if isinstance(obj, dict) else None) or ""
    if name and name != t.name:
        raise errors.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({t.name})"
        )


def _validation(req: Request) -> dict:
    """``?fieldValidation=`` for the decoder, and the list its ``Warn`` warnings go to (``Warning``
    headers)."""
    return {"field_validation": req.query.get("fieldValidation"), "warnings": []}


def _warned(reply: Reply, validation: dict) -> Reply:
    """One ``Warning: 299 - "<text>"`` header per warning (apiserver ``warning.AddWarning``), as UTF-8
    bytes."""
    for text in validation["warnings"]:
        quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
        reply.headers.append(("Warning", f"299 - {quoted}".encode("utf-8", "replace").decode("latin-1")))
    return reply


def with_url_kind(obj: Any, rt: ResourceType) -> Any:
    """``gvkWithDefaults``: a body without ``kind`` or ``apiVersion`` takes them from the URL.

    The create and update handlers decode the body with the resource's GroupVersionKind as the default
    (apimachinery ``runtime/serializer/json`` ``Decode``), so ``{"metadata": {"name": "x"}}`` POSTed to
    ``/api/v1/namespaces/default/configmaps`` is a ConfigMap.  An apiVersion with only a group
    (``apps/``) keeps its group and takes the URL's version when the groups agree.
    """
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if not out.get("kind"):
        out["kind"] = rt.kind
    api_version = out.get("apiVersion") or ""
    group, _, version = api_version.rpartition("/") if "/" in api_version else ("", "", api_version)
    if not version and not group:
        group, version = rt.group, rt.version
    if not version and group == rt.group:
        version = rt.version
    out["apiVersion"] = f"{group}/{version}" if group else version
    # kind and apiVersion first, where the decoder's TypeMeta puts them.
    return {"apiVersion": out.pop("apiVersion"), "kind": out.pop("kind"), **out}


def _create(app: App, req: Request, t: Target) -> Reply:
    obj = with_url_kind(decode_body(req, t.rt.kind), t.rt)
    validation = _validation(req)
    with app.cluster.lock:
        stored = app.cluster.api.create(
            obj, namespace=t.namespace, user=req.user, dry_run=_dry(req), **validation
        )
    return _warned(Reply(201, stored), validation)


def _update(app: App, req: Request, t: Target) -> Reply:
    obj = with_url_kind(decode_body(req, t.rt.kind), t.rt)
    _check_name(t, obj)
    validation = _validation(req)
    with app.cluster.lock:
        stored = app.cluster.api.update(
            obj,
            subresource=t.subresource,
            user=req.user,
            namespace=t.namespace,
            dry_run=_dry(req),
            **validation,
        )
    return _warned(Reply(200, stored), validation)


def _patch(app: App, req: Request, t: Target) -> Reply:
    patch_type = PATCH_TYPES.get(req.content_type.split(";")[0].strip())
    if patch_type is None:
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body of the request was in an unknown format - accepted "
            f"media types include: {', '.join(PATCH_TYPES)}",
        )
    _check_patch_options(req, patch_type)
    patch = decode_body(req, t.rt.kind if patch_type == "apply" else "")
    check_patch(patch, patch_type, req)
    client = app.client(req)
    validation = _validation(req)
    with app.cluster.lock:
        if patch_type == "apply":
            _check_name(t, patch)
            if app.cluster.api.peek(t.rt.plural, t.name, t.namespace) is None:
                return _warned(
                    Reply(
                        201,
                        app.cluster.api.create(
                            patch, namespace=t.namespace, user=req.user, dry_run=_dry(req), **validation
                        ),
                    ),
                    validation,
                )
            patch_type = "strategic"
        stored = client.patch(
            t.rt.plural,
            t.name,
            patch,
            t.namespace,
            patch_type=patch_type,
            subresource=t.subresource,
            dry_run=_dry(req),
            **validation,
        )
    return _warned(Reply(200, stored), validation)


#: DeleteOptions' fields and their Go types (``meta/v1`` ``types.go``).
DELETE_OPTION_TYPES = {
    "kind": "string",
    "apiVersion": "string",
    "gracePeriodSeconds": "int64",
    "preconditions": "v1.Preconditions",
    "orphanDependents": "bool",
    "propagationPolicy": "v1.DeletionPropagation",
    "dryRun": "[]string",
    "ignoreStoreReadErrorWithClusterBreakingPotential": "bool",
}
PROPAGATION_POLICIES = ("Foreground", "Background", "Orphan")


def go_string_slice(values: list[str]) -> str:
    """A ``[]string`` as Go's ``%#v`` prints it in a field error: ``[]string{"a", "b"}``."""
    return "[]string{" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def _fits(value: Any, go_type: str) -> bool:
    if value is None:
        return True
    if go_type in ("string", "v1.DeletionPropagation"):
        return isinstance(value, str)
    if go_type == "int64":
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and -(1 << 63) <= value < (1 << 63)
            or isinstance(value, float)
            and value.is_integer()
            and abs(value) < 2**63
        )
    if go_type == "bool":
        return isinstance(value, bool)
    if go_type == "[]string":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, dict)


def delete_options(opts: Any, where: str = "DeleteOptions") -> dict:
    """A DeleteOptions body checked field by field, as its decoding and ``ValidateDeleteOptions`` check it."""
    if opts is None:
        return {}
    if not isinstance(opts, dict):
        raise errors.bad_request(
            f"json: cannot unmarshal {_go_type(opts)} into Go value of type v1.DeleteOptions"
        )
    for key, go_type in DELETE_OPTION_TYPES.items():
        value = opts.get(key)
        if not _fits(value, go_type):
            raise errors.bad_request(
                f"json: cannot unmarshal {_go_type(value)} into Go struct field "
                f"{where}.{key} of type {go_type}"
            )
    pre = opts.get("preconditions") or {}
    for key in ("uid", "resourceVersion"):
        if not _fits(pre.get(key), "string"):
            raise errors.bad_request(
                f"json: cannot unmarshal {_go_type(pre.get(key))} into Go struct field "
                f"Preconditions.{where}.preconditions.{key} of type string"
            )
    out = dict(opts)
    if isinstance(out.get("gracePeriodSeconds"), float):
        out["gracePeriodSeconds"] = int(out["gracePeriodSeconds"])
    causes = []
    policy = out.get("propagationPolicy")
    if out.get("orphanDependents") is not None and policy is not None:
        causes.append(
            errors.Cause(
                "propagationPolicy",
                f'Invalid value: "{policy}": orphanDependents and deletionPropagation cannot be both set',
            )
        )
    if policy is not None and policy not in PROPAGATION_POLICIES:
        causes.append(
            errors.Cause(
                "propagationPolicy",
                f'Unsupported value: "{policy}": supported values: '
                '"Foreground", "Background", "Orphan", "nil"',
                "FieldValueNotSupported",
            )
        )
    dry_run = out.get("dryRun") or []
    if any(value != "All" for value in dry_run):
        causes.append(
            errors.Cause(
                "dryRun",
                f'Unsupported value: {go_string_slice(dry_run)}: supported values: "All"',
                "FieldValueNotSupported",
            )
        )
    if causes:
        raise errors.invalid("DeleteOptions", "", causes, "meta.k8s.io")
    return out


def _check_patch_options(req: Request, patch_type: str) -> None:
    """``ValidatePatchOptions``: apply needs a field manager; ``force`` belongs to apply alone."""
    causes = []
    if patch_type == "apply" and not req.query.get("fieldManager"):
        causes.append(
            errors.Cause("fieldManager", "Required value: is required for apply patch", "FieldValueRequired")
        )
    if patch_type != "apply" and "force" in req.query:
        causes.append(
            errors.Cause(
                "force", "Forbidden: may not be specified for non-apply patch", "FieldValueForbidden"
            )
        )
    manager = req.query.get("fieldManager") or ""
    if len(manager.encode()) > 128:
        causes.append(
            errors.Cause("fieldManager", "Too long: may not be more than 128 bytes", "FieldValueTooLong")
        )
    if causes:
        raise errors.invalid("PatchOptions", "", causes, "meta.k8s.io")


def _delete_options(req: Request) -> dict:
    body = decode_body(req) if req.body.strip() else None
    opts = delete_options(body)
    grace = _int(req.query, "gracePeriodSeconds")
    if grace is not None:
        opts["gracePeriodSeconds"] = grace
    if req.query.get("propagationPolicy"):
        opts = delete_options(
            dict(opts, propagationPolicy=req.query["propagationPolicy"], orphanDependents=None)
        )
    return opts


#: RFC 6902 operations (evanphx/json-patch answers ``Unexpected kind`` for any other).
JSON_PATCH_OPS = ("add", "remove", "replace", "move", "copy", "test")
#: ``maxJSONPatchOperations`` (``endpoints/handlers/patch.go``).
MAX_JSON_PATCH_OPERATIONS = 10000


def check_patch(patch: Any, patch_type: str, req: Request) -> None:
    """Each patch type decodes into its own Go type first: a JSON patch into operations, the others into a
    map."""

    def refuse(reason: str) -> ApiError:
        return errors.bad_request(patch_decoding_error(reason, patch_type, req))

    if patch_type == "json":
        strict = _strict(req)
        if not isinstance(patch, list):
            raise refuse(
                f"json: cannot unmarshal {_go_type(patch)} into Go value of type "
                + ("[]handlers.jsonPatchOp" if strict else "jsonpatch.Patch")
            )
        if len(patch) > MAX_JSON_PATCH_OPERATIONS:
            raise ApiError(
                413,
                "RequestEntityTooLarge",
                "Request entity too large: The allowed maximum operations in "
                f"a JSON patch is {MAX_JSON_PATCH_OPERATIONS}, got {len(patch)}",
            )
        for op in patch:
            if not isinstance(op, dict):
                raise refuse(
                    f"json: cannot unmarshal {_go_type(op)} into Go value of type "
                    + ("handlers.jsonPatchOp" if strict else "jsonpatch.Operation")
                )
            for key in ("op", "path", "from"):
                if key in op and op[key] is not None and not isinstance(op[key], str):
                    raise refuse(
                        f"json: cannot unmarshal {_go_type(op[key])} into Go struct field jsonPatchOp.{key} "
                        "of type string"
                        if strict
                        else f"json: cannot unmarshal {_go_type(op[key])} into Go value of type string"
                    )
            if op.get("op") not in JSON_PATCH_OPS:
                raise ApiError(
                    422,
                    "Invalid",
                    f"the server rejected our request due to an error in our request: "
                    f"Unexpected kind: {op.get('op') or ''}",
                )
            if not isinstance(op.get("path"), str):
                raise ApiError(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request: "
                    f"{op['op']} operation missing path",
                )
            if op["op"] in ("add", "replace", "test") and "value" not in op:
                raise ApiError(
                    422,
                    "Invalid",
                    "the server rejected our request due to an error in our request: "
                    f"{op['op']} operation missing value",
                )
    elif not isinstance(patch, dict):
        raise refuse(
            f"json: cannot unmarshal {_go_type(patch)} into Go value of type map[string]interface {{}}"
        )


def _delete_one(app: App, req: Request, t: Target, name: str, opts: dict) -> dict:
    # kubectl sends dryRun in the DeleteOptions body; the query works as well.
    if _dry(req) or "All" in (opts.get("dryRun") or []):  # simplified: the object as it is, not as marked
        return app.client(req).get(t.rt.plural, name, t.namespace)
    return app.client(req).delete(
        t.rt.plural,
        name,
        t.namespace,
        grace_period_seconds=opts.get("gracePeriodSeconds"),
        propagation_policy=opts.get("propagationPolicy"),
        preconditions_uid=(opts.get("preconditions") or {}).get("uid"),
        preconditions_resource_version=(opts.get("preconditions") or {}).get("resourceVersion"),
    )


def _delete(app: App, req: Request, t: Target) -> Reply:
    opts = _delete_options(req)
    with app.cluster.lock:
        return Reply(200, _delete_one(app, req, t, t.name, opts))


def _delete_collection(app: App, req: Request, t: Target) -> Reply:
    opts = _delete_options(req)
    with app.cluster.lock:
        found = app.client(req).list(
            t.rt.plural,
            t.namespace,
            label_selector=req.query.get("labelSelector"),
            field_selector=req.query.get("fieldSelector"),
        )
        deleted = [_delete_one(app, req, t, o["metadata"]["name"], opts) for o in found["items"]]
    return Reply(200, dict(found, items=deleted))


# --- subresources -------------------------------------------------------------------------------------------


def scale_of(obj: dict) -> dict:
    """The ``autoscaling/v1`` Scale of a Deployment or ReplicaSet."""
    md = obj["metadata"]
    selector = ",".join(
        f"{k}={v}" for k, v in sorted(((obj["spec"].get("selector") or {}).get("matchLabels") or {}).items())
    )
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
        },
        "spec": {"replicas": obj["spec"].get("replicas", 1)},
        "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": selector},
    }


def _scale(app: App, req: Request, t: Target) -> Reply:
    """GET/PUT/PATCH ``…/scale``: read or set ``spec.replicas`` through the Scale object."""
    api = app.cluster.api
    if not any(sub.name == "scale" for sub in t.rt.subresources):
        raise not_found()
    if req.method not in ("GET", "PUT", "PATCH"):
        return _method_not_allowed(t, req)
    body = decode_body(req, "Scale" if req.method == "PUT" else "") if req.method != "GET" else None
    if req.method == "PATCH":
        check_patch(body, PATCH_TYPES.get(media_type(req), "merge"), req)
    with app.cluster.lock:
        current = api.peek(t.rt.plural, t.name, t.namespace)
        if req.method == "GET":
            api._record(
                req.user, "get", t.rt.plural, t.namespace, t.name, 404 if current is None else 200, "scale"
            )
        if current is None:
            raise errors.not_found(t.rt.plural, t.name, t.rt.group)
        scale = scale_of(current)
        if req.method == "GET":
            return Reply(200, scale)
        wanted: Any
        if req.method == "PUT":
            wanted = body
        else:
            from kcourse.sim.apiserver import json_patch, merge_patch

            patch_type = PATCH_TYPES.get(media_type(req), "merge")
            try:
                wanted = json_patch(scale, body) if patch_type == "json" else merge_patch(scale, body)
            except (KeyError, IndexError, ValueError, TypeError, AttributeError):
                raise ApiError(
                    422, "Invalid", "the server rejected our request due to an error in our request"
                ) from None
        replicas = _scale_replicas(wanted)
        rv = wanted["metadata"].get("resourceVersion")
        if rv and rv != current["metadata"]["resourceVersion"]:
            raise errors.conflict(t.rt.plural, t.name, t.rt.group)
        if replicas < 0:
            raise errors.invalid(
                "Scale",
                t.name,
                [
                    errors.Cause(
                        "spec.replicas", f"Invalid value: {replicas}: must be greater than or equal to 0"
                    )
                ],
                "autoscaling",
            )
        stored = api.patch(
            t.rt.plural,
            t.name,
            {"spec": {"replicas": replicas}},
            namespace=t.namespace,
            patch_type="merge",
            subresource="scale",
            user=req.user,
            dry_run=_dry(req),
        )
    return Reply(200, scale_of(stored))


def _scale_replicas(wanted: Any) -> int:
    """``spec.replicas`` of a Scale body, typed as ``autoscaling/v1`` types it (``int32``)."""
    prefix = 'Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal'
    if not isinstance(wanted, dict):
        raise errors.bad_request(f"{prefix} {_go_type(wanted)} into Go value of type v1.Scale")
    for key, go_type in (("metadata", "v1.ObjectMeta"), ("spec", "v1.ScaleSpec")):
        value = wanted.setdefault(key, {})
        if value is None:
            wanted[key] = {}
        elif not isinstance(value, dict):
            raise errors.bad_request(
                f"{prefix} {_go_type(value)} into Go struct field Scale.{key} of type {go_type}"
            )
    rv = wanted["metadata"].get("resourceVersion")
    if rv is not None and not isinstance(rv, str):
        raise errors.bad_request(
            f"{prefix} {_go_type(rv)} into Go struct field ObjectMeta.metadata.resourceVersion of type string"
        )
    replicas = wanted["spec"].get("replicas", 0)
    if replicas is None:
        replicas = 0
    if isinstance(replicas, float) and replicas.is_integer():
        replicas = int(replicas)
    if not isinstance(replicas, int) or isinstance(replicas, bool) or not -(2**31) <= replicas < 2**31:
        shown = (
            f"number {replicas}"
            if isinstance(replicas, (int, float)) and not isinstance(replicas, bool)
            else _go_type(replicas)
        )
        raise errors.bad_request(
            f"{prefix} {shown} into Go struct field ScaleSpec.spec.replicas of type int32"
        )
    return replicas


def _evict(app: App, req: Request, t: Target) -> Reply:
    """``policy/v1`` Eviction: the API-initiated, graceful delete ``kubectl drain`` asks for."""
    if t.rt.plural != "pods":
        raise not_found()
    body = decode_body(req, "Eviction")
    opts = delete_options(body.get("deleteOptions"), "Eviction.deleteOptions")
    with app.cluster.lock:
        _delete_one(app, req, t, t.name, opts)
    return Reply(201, status_success(201))


def _bind(app: App, req: Request, t: Target) -> Reply:
    """``pods/binding``: what a scheduler posts to put a Pod on a node."""
    if t.rt.plural != "pods":
        raise not_found()
    body = decode_body(req, "Binding")
    target = body.get("target")
    if target is not None and not isinstance(target, dict):
        raise errors.bad_request(
            f'Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal '
            f"{_go_type(target)} into Go struct field Binding.target of type v1.ObjectReference"
        )
    node = (target or {}).get("name")
    if node is not None and not isinstance(node, str):
        raise errors.bad_request(
            f'Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal '
            f"{_go_type(node)} into Go struct field ObjectReference.target.name of type string"
        )
    if not node:
        raise errors.invalid(
            "Binding", t.name, [errors.Cause("target.name", "Required value", "FieldValueRequired")]
        )
    with app.cluster.lock:
        app.client(req).bind(t.namespace or "default", t.name, node)
    return Reply(201, status_success(201))


def _pod_log(app: App, req: Request, t: Target) -> tuple[Any, str, str | None]:
    """The kubelet that holds the container's log, the container and the node (under the lock)."""
    api = app.cluster.api
    ns = t.namespace or "default"
    pod = api.peek("pods", t.name, ns)
    if pod is None:
        api._record(req.user, "get", "pods", ns, t.name, 404, "log")
        raise errors.not_found("pods", t.name)
    containers = [c["name"] for c in pod["spec"].get("containers") or []]
    inits = [c["name"] for c in pod["spec"].get("initContainers") or []]
    container = req.query.get("container")
    try:
        if not container:
            if len(containers) != 1:
                raise errors.bad_request(
                    f"a container name must be specified for pod {t.name}, choose one of: "
                    f"[{' '.join(containers)}]"
                )
            container = containers[0]
        if container not in containers + inits:
            raise errors.bad_request(f"container {container} is not valid for pod {t.name}")
        node = pod["spec"].get("nodeName")
        if not node:
            raise errors.bad_request(
                f'container "{container}" in pod "{t.name}" is waiting to start: ContainerCreating'
            )
    except ApiError as e:
        api._record(req.user, "get", "pods", ns, t.name, e.code, "log")
        raise
    api._record(req.user, "get", "pods", ns, t.name, 200, "log")
    return app.cluster.kubelet(node), container, node


def _logs(app: App, req: Request, t: Target) -> Reply:
    """``pods/log``: the kubelet's container log; ``follow`` streams new lines for a bounded time."""
    ns = t.namespace or "default"
    previous, timestamps = _truthy(req.query.get("previous")), _truthy(req.query.get("timestamps"))
    tail = _int(req.query, "tailLines")
    with app.cluster.lock:
        kubelet, container, _node = _pod_log(app, req, t)
        text = kubelet.logs(ns, t.name, container, previous, tail, timestamps)
        sent = len(kubelet.logs(ns, t.name, container, previous, None, timestamps).splitlines())
    if not _truthy(req.query.get("follow")):
        return Reply(200, text, "text/plain")
    deadline = time.monotonic() + app.follow_limit

    def stream(write: Write) -> None:
        nonlocal sent
        if text and not write(text.encode()):
            return
        while not app.stopping.is_set() and time.monotonic() < deadline and req.alive():
            time.sleep(0.1)
            with app.cluster.lock:
                if app.cluster.api.peek("pods", t.name, ns) is None:
                    return
                try:
                    lines = kubelet.logs(ns, t.name, container, previous, None, timestamps).splitlines()
                except ApiError:
                    return
            if len(lines) > sent:
                new, sent = lines[sent:], len(lines)
                if not write("".join(line + "\n" for line in new).encode()):
                    return

    return Reply(200, "", "text/plain", stream=stream)
