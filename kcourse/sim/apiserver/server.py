"""The API server's verbs over one etcd (see :mod:`kcourse.sim.apiserver`).

:class:`APIServer` is the generic registry store (``k8s.io/apiserver/pkg/registry/generic/registry``):
create, update, patch, delete and bind with their decoding, defaulting, admission, validation and
optimistic concurrency, and the audit record of every request.  It reads from and watches through the
watch cache it inherits (:class:`.cacher.Cacher`, upstream's ``storage/cacher``), which follows etcd.

Simplified: see :mod:`kcourse.sim.apiserver`.
"""

from __future__ import annotations

import builtins
import random
from collections import Counter, deque
from collections.abc import Callable
from typing import Any, Protocol

from .. import errors
from ..clock import Clock
from ..defaults import apply_defaults
from ..errors import ApiError
from ..etcd import Etcd
from ..frozen import FrozenDict
from ..labels import parse_field_selector, parse_selector
from ..objects import timestamp
from ..record import NanoClock
from ..resources import ResourceType, by_kind
from ..serializer import check_field_validation, decode, json_kind
from ..serializer.storage import encode, encode_reference
from ..validation import validate, validate_update
from .cacher import Cacher, WatchHandle
from .client import Client, Request, Unreachable
from .compactor import Compactor
from .patch import _json_patch_or_422, merge_patch, strategic_merge_patch
from .preconditions import check_preconditions

NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand: no vowels, no 0/1/3


#: Where a top-level field goes in kubectl's order (any other field: between metadata and spec).
_FIELD_RANK = {"apiVersion": 0, "kind": 1, "metadata": 2, "spec": 4, "status": 5}


class ServiceAllocator(Protocol):
    """What hands out a Service's ClusterIP and NodePorts (kube-apiserver's service IP and port
    allocators)."""

    def allocate_service(self, svc: dict) -> None: ...

    def release_service(self, svc: dict) -> None: ...


class APIServer(Cacher):
    """The API server's registry store over one :class:`Etcd`, serving reads and watches from its cache."""

    def __init__(
        self,
        etcd: Etcd,
        clock: Clock,
        rng: random.Random,
        *,
        record_events: bool = True,
        allocator: ServiceAllocator | None = None,
        reachable: Callable[[str | None], bool] | None = None,
        report_failure: Callable[[str, str | None, str, str, Exception], None] | None = None,
    ):
        self.etcd = etcd
        self.clock = clock
        self.rng = rng
        self.record_events_enabled = record_events
        #: ClusterIP and NodePort allocation (the cluster's network); None allocates nothing.
        self.allocator = allocator
        #: Can a process on a node (None: a user) reach a running API server?  Always, by default.
        self.reachable: Callable[[str | None], bool] = reachable or (lambda _node: True)
        #: ``report_failure(component, node, key, where, err)``: a watcher's handler raised.
        self.report_failure = report_failure
        self._init_watch_cache()
        self._uid_counter = 0
        self.event_clock = NanoClock(clock)  # Event names: UnixNano of the simulated clock (record.py)
        self.request_seq = 0
        self.request_counts: Counter[tuple[str, str]] = Counter()
        self.recent_requests: deque[Request] = deque(maxlen=500)
        self.compactor = Compactor(etcd)
        #: What writes an object's bytes for etcd: orjson where it spells as the standard library, which
        #: :func:`.serializer.storage.encode_reference` is (set it here to compare the two).
        self.encode_value: Callable[[Any], bytes] = encode
        self.etcd.watch("/registry/", self._on_etcd, prefix=True, prev_kv=True)

    # --- helpers ---------------------------------------------------------------------------------

    def _record(
        self,
        user: str,
        verb: str,
        rt_plural: str,
        namespace: str | None,
        name: str,
        code: int,
        subresource: str = "",
    ) -> None:
        self.request_seq += 1
        self.request_counts[(verb, rt_plural)] += 1
        self.recent_requests.append(
            Request(
                self.request_seq,
                self.clock.now,
                user,
                verb,
                rt_plural,
                namespace or "",
                name,
                code,
                subresource,
            )
        )

    def _check_reachable(self, node: str | None) -> None:
        if not self.reachable(node):
            raise Unreachable(
                f"dial tcp: connect to the API server from {node or 'client'}: connection timed out"
            )

    def _new_uid(self) -> str:
        self._uid_counter += 1
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def generate_name(self, base: str) -> str:
        """``generateName`` + five random characters from the cluster's seeded RNG, as the real server."""
        return base + "".join(self.rng.choice(NAME_SUFFIX_ALPHABET) for _ in range(5))

    def _encode(self, rt: ResourceType, obj: dict) -> bytes:
        """The bytes etcd stores: the object without its resourceVersion (:mod:`.serializer.storage`).

        An object of a key read back from bytes written past the API may hold what only the reference
        encoder spells right (``NaN``), so it takes that one.
        """
        md = obj["metadata"]
        stored = obj
        if "resourceVersion" in md:  # the revision is etcd's, never stored inside the value
            md = dict(md)
            del md["resourceVersion"]
            stored = dict(obj, metadata=md)
        if (
            self._untyped[rt.plural]
            and self._cache_key(rt, md.get("namespace"), md["name"]) in self._untyped[rt.plural]
        ):
            return encode_reference(stored)
        return self.encode_value(stored)

    def _write(self, rt: ResourceType, obj: dict, data: bytes | None = None) -> dict:
        key = rt.etcd_key(obj["metadata"].get("namespace"), obj["metadata"]["name"])
        if data is None:
            data = self._encode(rt, obj)
        self._pending[key] = (data, obj)
        self.etcd.put(key, data)
        return self._cache[rt.plural][key[len(rt.etcd_prefix) + 1 :]]

    # --- reads -----------------------------------------------------------------------------------

    def get(self, resource: str, name: str, namespace: str | None = None, *, user: str = "") -> dict:
        """The object as stored now (shared: do not mutate)."""
        rt = self.resource(resource)
        try:
            obj = self._get(rt, self._namespace_of(rt, namespace), name)
        except ApiError as e:
            self._record(user, "get", rt.plural, namespace, name, e.code)
            raise
        self._record(user, "get", rt.plural, namespace, name, 200)
        return obj

    def list(
        self,
        resource: str,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        user: str = "",
    ) -> dict:
        """A ``<Kind>List`` with the current resourceVersion and matching items, sorted by key."""
        rt = self.resource(resource)
        labels = parse_selector(label_selector)
        fields = parse_field_selector(field_selector)
        cache = self._cache[rt.plural]
        items = []
        for key in sorted(cache):
            obj = cache[key]
            md = obj["metadata"]
            if namespace and rt.namespaced and md.get("namespace") != namespace:
                continue
            if labels.matches(md.get("labels")) and fields(obj):
                items.append(obj)
        self._record(user, "list", rt.plural, namespace, "", 200)
        return {
            "apiVersion": rt.api_version,
            "kind": f"{rt.kind}List",
            "metadata": {"resourceVersion": str(self.etcd.revision)},
            "items": items,
        }

    # --- watch -----------------------------------------------------------------------------------

    def watch(
        self,
        resource: str,
        handler: Callable[[str, dict], None],
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = False,
        user: str = "",
    ) -> WatchHandle:
        """Stream changes from ``resource_version`` (exclusive).

        Unset or "0": the current state as ADDED first.
        """
        rt = self.resource(resource)
        w = WatchHandle(
            self,
            rt,
            handler,
            namespace if rt.namespaced else None,
            label_selector,
            field_selector,
            allow_bookmarks,
            user,
        )
        if resource_version in (None, "", "0"):  # unset or "any": the cache's current state first, as ADDED
            for obj in self.items(resource, namespace):
                if w.matches(obj):
                    w.deliver("ADDED", obj)
        else:
            try:
                rv = int(resource_version)
            except ValueError:
                raise errors.bad_request(f'invalid resource version "{resource_version}"') from None
            if rv < self.etcd.revision:
                self._replay(rt, w, rv)
        self._record(user, "watch", rt.plural, namespace, "", 200)
        self._add_watcher(w)
        return w

    # --- writes ----------------------------------------------------------------------------------

    def _prepare(
        self,
        obj: Any,
        field_validation: str | None,
        warnings: builtins.list[str] | None,
        options_kind: str = "CreateOptions",
        *,
        namespace: str | None = None,
        subresource: str | None = None,
    ) -> tuple[ResourceType, dict]:
        """The request's kind, then its body decoded into that kind's types (:mod:`.serializer`).

        The result is the server's own, well-typed copy: defaulting and admission may change it.
        ``field_validation`` is the request's ``?fieldValidation=`` (absent: ``Warn``); the warnings
        a ``Warn`` request earns are appended to ``warnings``.  For an update (``subresource`` not
        None), the fields the update cannot change are not walked where they are exactly the stored
        version's (:func:`.serializer.decode`): the result shares them with the cache.
        """
        directive = check_field_validation(field_validation, options_kind)
        if not isinstance(obj, dict):
            raise errors.bad_request(
                "couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{json_kind(obj)} into Go value of type struct {{ APIVersion string "
                '"json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }'
            )
        kind, api_version = obj.get("kind"), obj.get("apiVersion")
        for field, value in (("apiVersion", api_version), ("kind", kind)):
            if value is not None and not isinstance(value, str):
                raise errors.bad_request(
                    "couldn't get version/kind; json parse error: json: cannot unmarshal "
                    f"{json_kind(value)} into Go struct field .{field} of type string"
                )
        if not kind:
            raise errors.bad_request("Object 'Kind' is missing in the request body")
        rt = by_kind(kind)
        if rt is None or api_version != rt.api_version:
            raise ApiError(404, "NotFound", f'no matches for kind "{kind}" in version "{api_version or ""}"')
        stored, unused = (
            (None, ()) if subresource is None else self._unchangeable(rt, obj, namespace, subresource)
        )
        obj = decode(
            obj,
            directive,
            on_warning=None if warnings is None else warnings.append,
            stored=stored,
            unused=unused,
            # Nothing changes a decoded status (the subresource takes it as it is) or an object of a kind
            # without defaulting and admission below its top-level fields and metadata: there the result
            # may share what the body shares with the stored version.
            share=subresource == "status" or (rt.default is None and rt.admit is None),
        )
        obj.setdefault("metadata", {})
        return rt, obj

    def _unchangeable(
        self, rt: ResourceType, body: dict, namespace: str | None, subresource: str
    ) -> tuple[dict | None, tuple[str, ...]]:
        """The stored version a body names, if the server built it, and the fields an update leaves alone.

        The status subresource takes only ``status`` from the body; a plain update keeps the stored
        ``status`` (:meth:`_merge_update`).  The body's name is read raw, before decoding: whichever
        stored object it finds, a field exactly equal to that well-typed object's is well typed too.
        """
        md = body.get("metadata")
        if (type(md) is not dict and type(md) is not FrozenDict) or type(md.get("name")) is not str:
            return None, ()
        ns = md.get("namespace") or namespace
        if ns is not None and type(ns) is not str:
            return None, ()
        key = self._cache_key(rt, self._namespace_of(rt, ns), md["name"])
        current = self._cache[rt.plural].get(key)
        if current is None or key in self._untyped[rt.plural]:
            return None, ()
        if subresource == "status":
            return current, tuple(k for k in body if k not in ("apiVersion", "kind", "status"))
        if rt.has_status and rt.kind != "Namespace":
            return current, ("status",)
        return current, ()

    def create(
        self,
        obj: dict,
        *,
        namespace: str | None = None,
        user: str = "",
        dry_run: bool = False,
        field_validation: str | None = None,
        warnings: builtins.list[str] | None = None,
    ) -> dict:
        """Create an object: decode, defaults, validation, admission, then one etcd write.

        ``field_validation`` (``Strict``, ``Warn`` — the default, as when the query parameter is
        absent — or ``Ignore``) decides about unknown and duplicate fields; ``warnings``, if given,
        receives what a ``Warn`` request is told (the REST layer sends them as ``Warning`` headers).
        """
        rt: ResourceType | None = None
        name = ""
        try:
            rt, obj = self._prepare(obj, field_validation, warnings)
            md = obj["metadata"]
            if rt.namespaced:
                ns = md.get("namespace") or namespace or "default"
                if namespace and md.get("namespace") and md["namespace"] != namespace:
                    raise errors.bad_request(
                        "the namespace of the provided object does not match the namespace "
                        "sent on the request"
                    )
                md["namespace"] = ns
                nsobj = self._cache["namespaces"].get(ns)
                if nsobj is None:
                    raise errors.not_found("namespaces", ns)
                if nsobj["status"].get("phase") == "Terminating":
                    raise ApiError(
                        403,
                        "Forbidden",
                        f'{rt.plural} "{md.get("name") or md.get("generateName")}" is '
                        f"forbidden: unable to create new content in namespace {ns} because it is being "
                        "terminated",
                    )
            else:
                md.pop("namespace", None)
            requested = md.get("name") or md.get("generateName") or ""  # what an admission error quotes
            if not md.get("name") and md.get("generateName"):
                for _ in range(8):
                    candidate = self.generate_name(md["generateName"])
                    if self._cache_key(rt, md.get("namespace"), candidate) not in self._cache[rt.plural]:
                        md["name"] = candidate
                        break
            name = md.get("name") or ""
            apply_defaults(obj, rt)
            if rt.admit is not None:  # admission (Priority): after decoding and defaulting, before validation
                rt.admit(obj, None, self.items, requested)
            if (
                rt.prepare_for_create is not None
            ):  # the strategy needs the UID (a Job's selector): fill it first
                md["uid"] = self._new_uid()
                rt.prepare_for_create(obj)
            validate(obj, rt)
            if self._cache_key(rt, md.get("namespace"), name) in self._cache[rt.plural]:
                raise errors.already_exists(rt.plural, name, rt.group)
            if rt.kind == "Service" and self.allocator is not None:
                self.allocator.allocate_service(obj)
            for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
                md.pop(field, None)
            if rt.prepare_for_create is None:
                md["uid"] = self._new_uid()
            md["creationTimestamp"] = timestamp(self.clock.now)
            if rt.generation is not None:  # the strategy's PrepareForCreate
                md["generation"] = 1
            self._order_fields(obj)
            if dry_run:
                obj["metadata"]["resourceVersion"] = ""
                self._record(user, "create", rt.plural, md.get("namespace"), name, 201)
                return obj
            stored = self._write(rt, obj)
        except ApiError as e:
            self._record(user, "create", rt.plural if rt else "", namespace, name, e.code)
            raise
        self._record(user, "create", rt.plural, stored["metadata"].get("namespace"), name, 201)
        return stored

    @staticmethod
    def _order_fields(obj: dict) -> None:
        """apiVersion, kind, metadata, spec, status — the order kubectl shows.

        Most bodies come in that order already (a decoded body keeps its order): those are left as they
        are, since the fields' ranks never decrease along them.
        """
        last = 0
        for k in obj:
            rank = _FIELD_RANK.get(k, 3)
            if rank < last:
                break
            last = rank
        else:
            return
        ordered = {k: obj.pop(k) for k in ("apiVersion", "kind", "metadata") if k in obj}
        rest = {k: obj.pop(k) for k in list(obj) if k not in ("spec", "status")}
        spec, status = obj.pop("spec", None), obj.pop("status", None)
        obj.update(ordered)
        obj.update(rest)
        if spec is not None:
            obj["spec"] = spec
        if status is not None:
            obj["status"] = status

    def update(
        self,
        obj: dict,
        *,
        subresource: str = "",
        user: str = "",
        namespace: str | None = None,
        dry_run: bool = False,
        field_validation: str | None = None,
        warnings: builtins.list[str] | None = None,
    ) -> dict:
        """Replace an object (PUT), or its ``status`` subresource; 409 if ``resourceVersion`` is stale.

        The body is decoded as for :meth:`create`.
        """
        rt: ResourceType | None = None
        name = ""
        try:
            rt, obj = self._prepare(
                obj, field_validation, warnings, "UpdateOptions", namespace=namespace, subresource=subresource
            )
            md = obj["metadata"]
            name = md.get("name", "")
            ns = self._namespace_of(rt, md.get("namespace") or namespace)
            current = self._get(rt, ns, name)
            # GuaranteedUpdate: the request's UID precondition, then its resourceVersion, before validation.
            check_preconditions(rt, current, md.get("uid"), md.get("resourceVersion"))
            new = self._merge_update(rt, current, obj, subresource)
            stored = self._commit_update(rt, current, new, dry_run, subresource)
        except ApiError as e:
            self._record(user, "update", rt.plural if rt else "", namespace, name, e.code, subresource)
            raise
        self._record(user, "update", rt.plural, ns, name, 200, subresource)
        return stored

    def _merge_update(self, rt: ResourceType, current: dict, obj: dict, subresource: str) -> dict:
        if subresource == "status":
            # Versions in the cache are never mutated, so the new one shares what did not change with the
            # old one: only the metadata (the server writes resourceVersion into it) and the status are new.
            new = dict(current)
            new["metadata"] = dict(current["metadata"])
            new["status"] = obj.get("status", {})  # the decoded body is already the server's own copy
            changed = [f for f in rt.status_metadata if obj["metadata"].get(f) != current["metadata"].get(f)]
            for f in changed:
                if obj["metadata"].get(f) is None:
                    del new["metadata"][f]
                else:
                    new["metadata"][f] = obj["metadata"][f]
            if changed:
                validate(new, rt)
            return new
        new = obj
        new["metadata"]["namespace"] = current["metadata"].get("namespace")
        if not rt.namespaced:
            new["metadata"].pop("namespace", None)
        if rt.has_status and rt.kind != "Namespace":
            # Status changes only via the subresource.  Defaulting may add top-level fields to it, so the new
            # version gets its own top-level dict; what lies below is shared with the (immutable) cached one.
            new["status"] = dict(current.get("status", {}))
        apply_defaults(new, rt)
        if rt.admit is not None:
            rt.admit(new, current, self.items, current["metadata"]["name"])
        validate(new, rt)
        validate_update(new, current, rt)
        return new

    def _commit_update(
        self, rt: ResourceType, current: dict, new: dict, dry_run: bool = False, subresource: str = ""
    ) -> dict:
        cmd, md = current["metadata"], new["metadata"]
        for field in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if field in cmd:
                md[field] = cmd[field]
            else:
                md.pop(field, None)
        md.pop("resourceVersion", None)
        if "generation" in cmd:  # rest.BeforeUpdate keeps the stored generation; the strategy may bump it
            bump = subresource != "status" and rt.generation is not None and rt.generation(current, new)
            md["generation"] = cmd["generation"] + (1 if bump else 0)
        else:
            md.pop("generation", None)
        self._order_fields(new)
        if dry_run:  # everything a write would check, and what it would store, but no write
            md["resourceVersion"] = cmd["resourceVersion"]
            return new
        if (
            md.get("deletionTimestamp")
            and not md.get("finalizers")
            and rt.kind != "Pod"
            and not (rt.kind == "Namespace" and (new.get("spec") or {}).get("finalizers"))
        ):
            self._delete_now(rt, current)
            return new
        data = self._encode(rt, new)
        stored = self.etcd.get(rt.etcd_key(cmd.get("namespace"), cmd["name"]))
        if stored is not None and stored.value == data:
            return current  # a no-op update does not write: the real server compares the bytes it would store
        return self._write(rt, new, data)

    def update_status(self, obj: dict, *, user: str = "") -> dict:
        return self.update(obj, subresource="status", user=user)

    def patch(
        self,
        resource: str,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        patch_type: str = "merge",
        subresource: str = "",
        user: str = "",
        dry_run: bool = False,
        field_validation: str | None = None,
        warnings: builtins.list[str] | None = None,
    ) -> dict:
        """PATCH: ``merge`` (RFC 7386), ``strategic`` (kubectl's default) or ``json`` (RFC 6902).

        The patched object is decoded as a body would be (:meth:`create`), so a patch cannot
        smuggle in a wrongly typed or unknown field.
        """
        rt = self.resource(resource)
        ns = self._namespace_of(rt, namespace)
        try:
            current = self._get(rt, ns, name)
            if patch_type == "merge":
                patched = merge_patch(current, patch)
            elif patch_type == "strategic":
                patched = strategic_merge_patch(current, patch)
            elif patch_type == "json":
                patched = _json_patch_or_422(current, patch)
            else:
                raise ApiError(
                    415,
                    "UnsupportedMediaType",
                    "the body of the request was in an unknown format - "
                    "accepted media types include: application/json-patch+json, "
                    "application/merge-patch+json, application/apply-patch+yaml",
                )
            _, obj = self._prepare(patched, field_validation, warnings, "PatchOptions")
            # The patch's resourceVersion, if it names one, is a precondition; otherwise the current one.
            rv = obj["metadata"].get("resourceVersion") or current["metadata"]["resourceVersion"]
            obj["metadata"]["resourceVersion"] = rv
            check_preconditions(rt, current, None, rv)
            new = self._merge_update(rt, current, obj, subresource)
            stored = self._commit_update(rt, current, new, dry_run, subresource)
        except ApiError as e:
            self._record(user, "patch", rt.plural, ns, name, e.code, subresource)
            raise
        self._record(user, "patch", rt.plural, ns, name, 200, subresource)
        return stored

    def delete(
        self,
        resource: str,
        name: str,
        namespace: str | None = None,
        *,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions_uid: str | None = None,
        preconditions_resource_version: str | None = None,
        user: str = "",
    ) -> dict:
        """Delete an object: Pods on a node terminate gracefully, others go at once (or wait for finalizers).

        ``preconditions_uid`` and ``preconditions_resource_version`` are DeleteOptions' preconditions:
        the object must still be that one, at that version, or the answer is 409 Conflict.
        """
        rt = self.resource(resource)
        ns = self._namespace_of(rt, namespace)
        try:
            current = self._get(rt, ns, name)
            check_preconditions(rt, current, preconditions_uid, preconditions_resource_version, stated=True)
            result = self._delete(rt, current, grace_period_seconds, propagation_policy)
        except ApiError as e:
            self._record(user, "delete", rt.plural, ns, name, e.code)
            raise
        self._record(user, "delete", rt.plural, ns, name, 200)
        return result

    def _delete(self, rt: ResourceType, current: dict, grace: int | None, propagation: str | None) -> dict:
        md = current["metadata"]
        finalizers = list(md.get("finalizers") or [])
        if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
            finalizers.append("foregroundDeletion")
        elif propagation == "Orphan" and "orphan" not in finalizers:
            finalizers.append("orphan")
        if rt.kind == "Pod":
            spec_grace = current["spec"].get("terminationGracePeriodSeconds", 30)
            grace = spec_grace if grace is None else grace
            if (
                md.get("deletionTimestamp")
                and grace >= (md.get("deletionGracePeriodSeconds") or 0)
                and grace != 0
            ):
                return current  # already terminating
            if (
                current["spec"].get("nodeName")
                and grace > 0
                and current["status"].get("phase") not in ("Succeeded", "Failed")
            ):
                return self._mark_deleting(rt, current, grace, finalizers)
            if finalizers:
                return self._mark_deleting(rt, current, 0, finalizers)
            return self._delete_now(rt, current)
        if rt.kind == "Namespace":
            if md.get("deletionTimestamp"):
                return current
            new = dict(current, metadata=dict(current["metadata"]), status=dict(current["status"]))
            new["metadata"]["deletionTimestamp"] = timestamp(self.clock.now)
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            new["status"]["phase"] = "Terminating"
            return self._write(rt, new)
        if finalizers:
            return self._mark_deleting(rt, current, 0, finalizers)
        return self._delete_now(rt, current)

    def _mark_deleting(
        self, rt: ResourceType, current: dict, grace: int, finalizers: builtins.list[str]
    ) -> dict:
        new = dict(current, metadata=dict(current["metadata"]))  # only the metadata changes: share the rest
        md = new["metadata"]
        md.setdefault("deletionTimestamp", timestamp(self.clock.now + grace))
        md["deletionGracePeriodSeconds"] = grace
        if finalizers:
            md["finalizers"] = finalizers
        return self._write(rt, new)

    def _delete_now(self, rt: ResourceType, current: dict) -> dict:
        md = current["metadata"]
        if rt.kind == "Service" and self.allocator is not None:
            self.allocator.release_service(current)
        self.etcd.delete(rt.etcd_key(md.get("namespace"), md["name"]))
        return current

    def bind(self, namespace: str, pod_name: str, node_name: str, *, user: str = "") -> dict:
        """The ``pods/binding`` subresource: the scheduler's one write per pod."""
        rt = self.resource("pods")
        try:
            pod = self._get(rt, namespace, pod_name)
            if pod["spec"].get("nodeName"):
                raise errors.conflict(
                    "pods",
                    pod_name,
                    detail=f'pod {pod_name} is already assigned to node "{pod["spec"]["nodeName"]}"',
                )
            if pod["metadata"].get("deletionTimestamp"):
                raise errors.conflict("pods", pod_name, detail="pod is being deleted")
            # A new version sharing the unchanged parts with the cached one (which nobody mutates).
            new = dict(
                pod, metadata=dict(pod["metadata"]), spec=dict(pod["spec"]), status=dict(pod["status"])
            )
            new["spec"]["nodeName"] = node_name
            conditions = [c for c in new["status"].get("conditions", []) if c.get("type") != "PodScheduled"]
            conditions.append(
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": timestamp(self.clock.now),
                }
            )
            new["status"]["conditions"] = conditions
            stored = self._write(rt, new)
        except ApiError as e:
            self._record(user, "create", "pods", namespace, pod_name, e.code, "binding")
            raise
        self._record(user, "create", "pods", namespace, pod_name, 201, "binding")
        return stored

    # --- events ----------------------------------------------------------------------------------

    def events_for(self, obj: dict) -> builtins.list[dict]:
        uid = obj["metadata"].get("uid")
        return sorted(
            (e for e in self._cache["events"].values() if e["involvedObject"].get("uid") == uid),
            key=lambda e: (e["firstTimestamp"], e["metadata"]["name"]),
        )

    def client(self, user: str, node: str | None = None, field_validation: str | None = None) -> Client:
        return Client(self, user, node, field_validation)
