"""The kinds the simulated API server serves, each described in one place.

A real kube-apiserver learns about a kind from several places at once: the
type's Go package (``pkg/apis/<group>``) with its defaulting and validation
functions, the REST storage that says where it lives in etcd and which
subresources and verbs it has (``pkg/registry/<group>/<resource>``), the
table printer columns (``pkg/printers/internalversion/printers.go``) and
kubectl's describer.  Here each kind is one :class:`Kind` entry that carries
all of it, in a module per API group (:mod:`.core`, :mod:`.apps`, …), and
the API server, defaulting, validation, discovery, ``kubectl get`` and
``kubectl describe`` read the entry instead of keeping tables of their own.
Adding a kind is adding an entry (and, if it has one, its controller).

Printer rows and describers that kubectl keeps in
:mod:`kcourse.sim.kubectl.printers` and :mod:`kcourse.sim.kubectl.describe`
are named here by their function's name there (a string, resolved when a
table is printed, so this package imports nothing of kubectl); an entry may
also carry its own functions.

Simplified: one version per group (no conversion between versions), and
the verbs, categories and subresources are those the simulation serves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..validation import ErrorList

__all__ = [
    "ALL_VERBS",
    "KINDS",
    "Kind",
    "Printer",
    "Subresource",
    "by_kind",
    "by_plural",
    "category",
    "content_or_labels_changed",
    "group_versions",
    "lookup",
    "spec_changed",
    "spec_or_annotations_changed",
]

#: The verbs of a kind with the generic REST storage (``genericregistry.Store``).
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
STATUS_VERBS = ("get", "patch", "update")

#: A table printer's row: ``(object, now, wide) -> cells``.
Row = Callable[[dict, float, bool], list[str]]


@dataclass(frozen=True)
class Subresource:
    """``pods/log``, ``deployments/scale`` …: what discovery lists under a resource, with the kind it
    takes."""

    name: str
    group: str
    version: str
    kind: str
    verbs: tuple[str, ...]


@dataclass(frozen=True)
class Printer:
    """The columns ``kubectl get`` (and the server's Table) print for a kind.

    ``row`` is a function, or the name of one in :mod:`kcourse.sim.kubectl.printers`;
    ``wide`` are the columns ``-o wide`` adds (the server's priority-1 columns).
    """

    columns: tuple[str, ...]
    row: Row | str
    wide: tuple[str, ...] = ()


def spec_changed(old: dict, new: dict) -> bool:
    """Most workload strategies' rule (``pkg/registry/apps/replicaset/strategy.go`` and others): a change of
    ``spec`` is a new generation; status and metadata writes are not."""
    return old.get("spec") != new.get("spec")


def spec_or_annotations_changed(old: dict, new: dict) -> bool:
    """The Deployment strategy's rule (``pkg/registry/apps/deployment/strategy.go``): annotations count too,
    because the controller copies them onto its ReplicaSets."""
    annotations = (old["metadata"].get("annotations") or {}, new["metadata"].get("annotations") or {})
    return spec_changed(old, new) or annotations[0] != annotations[1]


def content_or_labels_changed(old: dict, new: dict) -> bool:
    """The EndpointSlice strategy's rule (``pkg/registry/discovery/endpointslice/strategy.go``): anything but
    metadata, or the labels, since a slice has no spec and no status."""
    if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
        return True
    keys = (set(old) | set(new)) - {"metadata"}
    return any(old.get(k) != new.get(k) for k in keys)


@dataclass(frozen=True)
class Kind:
    """Everything the simulation knows about one kind: REST mapping, storage, defaulting, validation,
    printing."""

    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    etcd_prefix: str
    short_names: tuple[str, ...] = ()
    #: Whether the kind has a ``status`` that only the ``/status`` subresource writes.
    has_status: bool = True
    verbs: tuple[str, ...] = ALL_VERBS
    #: Subresources besides ``status`` (which :attr:`has_status` implies), in discovery's order.
    subresources: tuple[Subresource, ...] = ()
    categories: tuple[str, ...] = ()
    #: The REST strategy's rule for ``metadata.generation``: None for a kind that keeps none, else whether
    #: an update ``(old, new)`` bumps it (a create sets 1). See :func:`spec_changed` and its siblings.
    generation: Callable[[dict, dict], bool] | None = None
    #: The metadata a ``status`` update may change besides status (its status strategy resets the rest).
    status_metadata: tuple[str, ...] = ()
    #: How ``metadata.name`` is validated: ``subdomain`` (most kinds), ``label`` or ``dns1035``.
    name_format: str = "subdomain"
    #: Defaulting: fills in the server's own copy of a request in place.
    default: Callable[[dict], None] | None = None
    #: An admission plugin's say on a create (``old`` None) or an update: may change the object, or raise 403.
    #: It gets ``(obj, old, lister, name)``: ``lister(resource)`` lists current objects, ``name`` is the one
    #: errors quote (the request's name, or its generateName).
    admit: Callable[[dict, dict | None, Callable[[str], list[dict]], str], None] | None = None
    #: The REST strategy's ``PrepareForCreate`` that needs the object's UID (a Job's generated selector): the
    #: server fills in the UID first for such a kind, then calls it, then validates.
    prepare_for_create: Callable[[dict], None] | None = None
    #: Validation of a new (or updated) object: appends to the error list.
    validate: Callable[[ErrorList, dict], None] | None = None
    #: The checks only an update has (immutable fields): ``(errors, new, old)``.
    validate_update: Callable[[ErrorList, dict, dict], None] | None = None
    printer: Printer | None = None
    #: kubectl's describer: a function ``(obj, ctx) -> str`` or its name in kcourse.sim.kubectl.describe.
    describe: Callable[[dict, Any], str] | str | None = None
    #: The controllers that act on this kind: (component name in the trace, what it does, in one sentence).
    controllers: tuple[tuple[str, str], ...] = field(default=())
    #: ``kubectl create <kind> NAME …``: builds the object from the words after the kind and the flags, or
    #: raises ValueError with kubectl's message; ``create_flags`` are the flags it reads.
    kubectl_create: Callable[[list[str], dict[str, Any]], dict] | None = None
    create_flags: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def qualified(self) -> str:
        """``deployments.apps``: how error messages name a resource of a named group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def all_subresources(self) -> tuple[Subresource, ...]:
        """The subresources discovery lists: the kind's own, then ``status`` if it has one."""
        subs = self.subresources
        if self.has_status and not any(s.name == "status" for s in subs):
            subs += (Subresource("status", self.group, self.version, self.kind, STATUS_VERBS),)
        return subs

    def etcd_key(self, namespace: str | None, name: str) -> str:
        return f"{self.etcd_prefix}/{namespace}/{name}" if self.namespaced else f"{self.etcd_prefix}/{name}"


def _registry() -> tuple[Kind, ...]:
    # The order is the API server's: its caches, bookmarks and the namespace controller's deletions follow it.
    from . import apps, batch, coordination, core, discovery, scheduling, storage

    return (
        core.NAMESPACE,
        core.NODE,
        core.POD,
        core.SERVICE,
        core.ENDPOINTS,
        core.SERVICE_ACCOUNT,
        core.SECRET,
        core.CONFIG_MAP,
        core.EVENT,
        apps.DEPLOYMENT,
        apps.REPLICA_SET,
        apps.DAEMON_SET,
        discovery.ENDPOINT_SLICE,
        coordination.LEASE,
        core.PERSISTENT_VOLUME,
        core.PERSISTENT_VOLUME_CLAIM,
        storage.STORAGE_CLASS,
        batch.JOB,
        scheduling.PRIORITY_CLASS,
    )


KINDS: tuple[Kind, ...] = _registry()

_BY_KIND = {k.kind: k for k in KINDS}
_BY_PLURAL = {k.plural: k for k in KINDS}
_NAMES: dict[str, Kind] = {}
for _k in KINDS:
    for _n in (
        _k.kind.lower(),
        _k.plural,
        _k.qualified,
        f"{_k.kind.lower()}.{_k.group}" if _k.group else "",
        *_k.short_names,
    ):
        if _n:
            _NAMES.setdefault(_n, _k)


def group_versions() -> list[tuple[str, str]]:
    """(group, version) pairs served, the core group first, then named groups in order of first appearance."""
    seen: list[tuple[str, str]] = []
    for k in KINDS:
        if (k.group, k.version) not in seen:
            seen.append((k.group, k.version))
    return sorted(seen, key=lambda gv: gv[0] != "")


def category(name: str) -> tuple[Kind, ...]:
    """The kinds in a category (``all`` for ``kubectl get all``), in discovery's order: by group, then
    plural."""
    order = {gv: i for i, gv in enumerate(group_versions())}
    return tuple(
        sorted(
            (k for k in KINDS if name in k.categories), key=lambda k: (order[(k.group, k.version)], k.plural)
        )
    )


def by_kind(kind: str) -> Kind | None:
    return _BY_KIND.get(kind)


def by_plural(plural: str) -> Kind | None:
    return _BY_PLURAL.get(plural)


def lookup(name: str) -> Kind | None:
    """Resolve what a user types (``po``, ``pods``, ``Deployment``, ``deployments.apps``)."""
    return _NAMES.get(name.lower())
