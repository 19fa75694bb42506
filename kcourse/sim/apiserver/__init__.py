"""kube-apiserver: the front door of the cluster and the only client of etcd.

Every component — scheduler, controllers, kubelets, kube-proxies, kubectl —
reads and writes the cluster's state through the API server; none of them
touches etcd.  The server here does what the real one does on each request:

* decode the body into its kind's Go types (:mod:`.serializer`: a wrongly
  typed field is 400 BadRequest, unknown and duplicate fields follow
  ``fieldValidation``), fill in defaults, validate (422 Invalid with field
  paths), run the admission the chapter needs;
* write to etcd with an optimistic-concurrency check: an update that carries
  a stale ``metadata.resourceVersion`` is refused with 409 Conflict;
* serve reads from a *watch cache* that follows etcd (the real ``cacher``),
  and ``resourceVersion`` is etcd's revision of the object's last change;
* stream watch events ADDED / MODIFIED / DELETED / BOOKMARK; a watch from a
  version etcd has compacted away gets 410 Gone ("too old resource version");
* compact etcd every ``--etcd-compaction-interval`` (5 minutes) to the
  revision it saw one interval earlier (:class:`Compactor`), so the store
  keeps at least one interval of history and no more than two.

A refused request never writes, so the store's revision is unchanged.

Every write is decoded, the components' own included: they build their
objects from decoded ones and are typed already, but checking costs little
(about 4% of the CPU time of ``benchmarks/run.py`` at 50 nodes and 1,500 Pods,
same events, same revisions) and keeps the promise that nothing in the store
is malformed without an argument that every component, forever, gets it right.

The package follows ``k8s.io/apiserver``: :mod:`.server` (the generic registry store's verbs and
admission), :mod:`.cacher` (the watch cache over etcd: its objects, watchers and indexed triggers),
:mod:`.preconditions` (``GuaranteedUpdate``'s UID and resourceVersion checks), :mod:`.patch` (the PATCH
verb's patch types), :mod:`.compactor` (the etcd compactor) and :mod:`.client` (the in-process clientset
and the audit log's :class:`Request` record).

Simplified: one logical server (several masters share it), no
authentication or RBAC inside the simulation, admission limited to
defaulting, ServiceAccount, DefaultTolerationSeconds, NamespaceLifecycle and
Priority (the kinds' ``admit`` hooks, :mod:`kcourse.sim.kinds.scheduling`).
"""

from __future__ import annotations

from .cacher import TRIGGER_FIELDS, WatchHandle
from .client import Client, Request, Unreachable, sorted_keys
from .compactor import COMPACTION_INTERVAL, Compactor
from .patch import MERGE_KEYS, json_patch, merge_patch, strategic_merge_patch
from .preconditions import check_preconditions
from .server import NAME_SUFFIX_ALPHABET, APIServer, ServiceAllocator

__all__ = [
    "COMPACTION_INTERVAL",
    "MERGE_KEYS",
    "NAME_SUFFIX_ALPHABET",
    "TRIGGER_FIELDS",
    "APIServer",
    "Client",
    "Compactor",
    "Request",
    "ServiceAllocator",
    "Unreachable",
    "WatchHandle",
    "check_preconditions",
    "json_patch",
    "merge_patch",
    "sorted_keys",
    "strategic_merge_patch",
]
