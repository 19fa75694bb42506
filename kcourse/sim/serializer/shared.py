"""Identical parts of cached objects held once: the Pods of one ReplicaSet share their containers.

Every Pod a ReplicaSet makes carries a copy of its template: the same containers, tolerations, labels
and owner reference, decoded into new dicts and lists for each Pod; every Pod that became ready in the
same second carries the same conditions.  Those parts are most of a Pod's memory (about 3.5 KB of
6.4 KB at 40 nodes / 1,200 Pods), and the API server hands the cached object to every reader, so the
cache is where one copy can serve them all.  :class:`SharedParts` replaces, in an object the server
has just built, each of a few parts (:data:`SHARED_PATHS`) by an equal one it already holds — the
first of its content it saw — keeping at most :attr:`SharedParts.size` of them, least recently used
forgotten first.

Sharing is safe because nobody changes what the cache holds (:mod:`..frozen` checks it): a writer
builds a new version sharing what it left alone.  A part the new version shares with the version it
replaces is left as it is, and so is every part of a parent it shares: nothing but the server's own
new dicts is ever written to.  Two parts are the same content when their JSON texts are (so ``1``,
``1.0`` and ``true`` stay apart); the table holds a hash of that text and compares the objects on a
hit.

In the freeze debug mode the parts are shared once frozen, so the mode checks what sharing relies on;
a shared part's error then names the object it was first frozen in.

Simplified: only parts two levels down are shared (``spec.containers``, not a container's ``ports``).
"""

from __future__ import annotations

from typing import Any

import orjson

from ..frozen import as_plain

__all__ = ["SHARED_PATHS", "SharedParts"]

#: ``(field, subfield)`` of each resource whose value objects of that resource often hold alike.
SHARED_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "pods": (
        ("metadata", "labels"),
        ("metadata", "ownerReferences"),
        ("spec", "containers"),
        ("spec", "initContainers"),
        ("spec", "tolerations"),
        ("spec", "volumes"),
        ("spec", "affinity"),
        ("spec", "nodeSelector"),
        ("spec", "securityContext"),
        ("status", "conditions"),
        ("status", "hostIPs"),
    ),
}

_OPTIONS = orjson.OPT_PASSTHROUGH_SUBCLASS  # a frozen part is written as the plain one it is


class SharedParts:
    """The parts of cached objects seen so far, by content: each new equal part is replaced by the first."""

    __slots__ = ("_held", "size")

    def __init__(self, size: int = 1 << 14):
        self.size = size
        self._held: dict[int, Any] = {}  # hash of a part's JSON text -> the part

    def share(self, resource: str, obj: dict, old: dict | None) -> None:
        """Replace the parts of ``obj`` (a new version the server built, of ``old``) by equal held ones."""
        paths = SHARED_PATHS.get(resource)
        if paths is None:
            return
        held = self._held
        for field, sub in paths:
            parent = obj.get(field)
            if not isinstance(parent, dict):
                continue
            old_parent = old.get(field) if old is not None else None
            if parent is old_parent:
                continue  # shared with the old version, and so already shared (and not ours to change)
            part = parent.get(sub)
            if not isinstance(part, (dict, list)):
                continue
            if isinstance(old_parent, dict) and old_parent.get(sub) is part:
                continue
            try:
                key = hash(orjson.dumps(part, default=as_plain, option=_OPTIONS))
            except TypeError:  # what JSON cannot say (a non-string key): left alone
                continue
            found = held.pop(key, None)
            if found is not None and found == part:
                # ``dict``'s own method: in the freeze debug mode the new version is frozen already,
                # and this parent, new in it, is still the server's own.
                dict.__setitem__(parent, sub, found)
                held[key] = found
                continue
            held[key] = part if found is None else found  # a hash collision keeps the first
            if len(held) > self.size:
                del held[next(iter(held))]
