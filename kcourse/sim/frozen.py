"""Read-only objects: a debug mode that catches a component changing an object it shares with others.

The API server hands every reader the object it keeps in its watch cache: ``get`` and ``list`` in
process, every informer's watch event, every view.  Nothing is copied on the way, because nobody may
change what they were handed (a writer builds a new version, sharing the parts it leaves alone with the
old one: copy-on-write).  A component that breaks the rule corrupts the cache silently: every other
reader sees a change that was never written to etcd.  client-go has the same rule (every generated
lister: "All objects returned here must be treated as read-only.") and a debug aid for it,
``KUBE_CACHE_MUTATION_DETECTOR`` (``client-go/tools/cache/mutation_detector.go``; upstream's
``hack/make-rules/test.sh`` turns it on "so that cache mutators will be found"), which keeps a copy of
each cached object and panics, later, when one differs from its copy.

Here the aid is stronger and cheaper to read: with the environment variable ``KCOURSE_FREEZE=1`` set when
a cluster is built, every object entering the API server's cache is frozen — :class:`FrozenDict` and
:class:`FrozenList`, subclasses of ``dict`` and ``list`` whose mutators raise
:class:`SharedObjectMutation` at the very line that tries, naming the object and the field path
(``Pod default/web-0: status.conditions[0].status``).  Reading is untouched: they are a ``dict`` and a
``list`` to ``isinstance``, ``==``, ``json.dumps``, ``orjson``; ``dict(x)``, ``x.copy()``,
``copy.copy``, ``copy.deepcopy`` and :func:`.objects.deep_copy` give plain, writable copies.  The mode
must run the code it checks, so the write path's exact type tests take a frozen dict for a dict (the
storage encoder and the decoder's comparison with the stored version write it with :func:`as_plain`).
Off (the default: the API server reads the variable when it is built), no object is wrapped or frozen
and no path does more than before.

Simplified: freezing builds frozen copies of the new parts of each version (the parts shared with the
previous version are frozen already and kept), so it costs memory and time in the debug mode;
a part shared between objects names the path where it was first frozen; calling ``dict``'s or ``list``'s
own methods on a frozen one (``dict.__setitem__(obj, k, v)``) goes around the check, as in any Python.
"""

from __future__ import annotations

import os
import re
from typing import Any, NoReturn

#: The environment variable that switches the debug mode on for clusters built while it is set.
ENVIRONMENT_VARIABLE = "KCOURSE_FREEZE"

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


def enabled_by_environment() -> bool:
    """Is ``KCOURSE_FREEZE`` set to something other than empty or ``0``?"""
    return os.environ.get(ENVIRONMENT_VARIABLE, "") not in ("", "0")


class SharedObjectMutation(RuntimeError):
    """A component tried to change an object it shares with the API server's cache."""


def child_path(path: str, key: Any) -> str:
    """``path`` extended by a dict key: ``.name`` for a field, ``[app.kubernetes.io/name]`` for a map key."""
    if isinstance(key, str) and _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{key}]"


def _refuse(owner: str, path: str, what: str) -> NoReturn:
    where = path or "the object itself"
    raise SharedObjectMutation(
        f"{owner + ': ' if owner else ''}cannot {what} {where}: the object is shared from the API "
        "server's cache and read-only; build a new version (copy what you change) instead"
    )


class FrozenDict(dict):
    """A ``dict`` whose mutators raise :class:`SharedObjectMutation`."""

    __slots__ = ("_owner", "_path")
    _owner: str
    _path: str

    def __init__(self, *_args: Any, **_kw: Any) -> None:  # only freeze() makes one, filled once
        _refuse(getattr(self, "_owner", ""), getattr(self, "_path", ""), "refill")

    def _refuse_key(self, key: Any, what: str) -> NoReturn:
        _refuse(self._owner, child_path(self._path, key), what)

    def __setitem__(self, key: Any, _value: Any) -> NoReturn:
        self._refuse_key(key, "set")

    def __delitem__(self, key: Any) -> NoReturn:
        self._refuse_key(key, "delete")

    def pop(self, key: Any, *_default: Any) -> NoReturn:
        self._refuse_key(key, "remove")

    def setdefault(self, key: Any, _default: Any = None) -> NoReturn:
        self._refuse_key(key, "set a default for")

    def popitem(self) -> NoReturn:
        _refuse(self._owner, self._path, "remove an item of")

    def clear(self) -> NoReturn:
        _refuse(self._owner, self._path, "clear")

    def update(self, *_args: Any, **_kw: Any) -> NoReturn:
        _refuse(self._owner, self._path, "update")

    def __ior__(self, _other: Any) -> NoReturn:  # type: ignore[misc]  # refuses, never returns
        _refuse(self._owner, self._path, "update")

    def __copy__(self) -> dict:
        return dict(self)

    def __deepcopy__(self, _memo: dict) -> dict:
        return thaw(self)

    def __reduce__(self) -> tuple:
        return (dict, (dict(self),))


class FrozenList(list):
    """A ``list`` whose mutators raise :class:`SharedObjectMutation`."""

    __slots__ = ("_owner", "_path")
    _owner: str
    _path: str

    def __init__(self, *_args: Any, **_kw: Any) -> None:  # only freeze() makes one, filled once
        _refuse(getattr(self, "_owner", ""), getattr(self, "_path", ""), "refill")

    def _refuse_at(self, index: Any, what: str) -> NoReturn:
        at = f"{index.start}:{index.stop}" if isinstance(index, slice) else index
        where = f"{self._path}[{at}]"
        _refuse(self._owner, where, what)

    def __setitem__(self, index: Any, _value: Any) -> NoReturn:
        self._refuse_at(index, "set")

    def __delitem__(self, index: Any) -> NoReturn:
        self._refuse_at(index, "delete")

    def pop(self, index: Any = -1) -> NoReturn:
        self._refuse_at(index, "remove")

    def insert(self, index: Any, _value: Any) -> NoReturn:
        self._refuse_at(index, "insert at")

    def append(self, _value: Any) -> NoReturn:
        _refuse(self._owner, self._path, "append to")

    def extend(self, _values: Any) -> NoReturn:
        _refuse(self._owner, self._path, "extend")

    def remove(self, _value: Any) -> NoReturn:
        _refuse(self._owner, self._path, "remove an item of")

    def clear(self) -> NoReturn:
        _refuse(self._owner, self._path, "clear")

    def sort(self, *_args: Any, **_kw: Any) -> NoReturn:
        _refuse(self._owner, self._path, "sort")

    def reverse(self) -> NoReturn:
        _refuse(self._owner, self._path, "reverse")

    def __iadd__(self, _other: Any) -> NoReturn:  # type: ignore[misc]  # refuses, never returns
        _refuse(self._owner, self._path, "extend")

    def __imul__(self, _other: Any) -> NoReturn:  # type: ignore[misc]  # refuses, never returns
        _refuse(self._owner, self._path, "repeat")

    def __copy__(self) -> list:
        return list(self)

    def __deepcopy__(self, _memo: dict) -> list:
        return thaw(self)

    def __reduce__(self) -> tuple:
        return (list, (list(self),))


def freeze(obj: Any, owner: str = "", path: str = "") -> Any:
    """``obj`` with every dict and list in it frozen; parts already frozen are kept as they are.

    ``owner`` names the object in the error (``Pod default/web-0``), ``path`` is where ``obj`` sits in it.
    """
    t = type(obj)
    if t is FrozenDict or t is FrozenList:
        return obj
    out: FrozenDict | FrozenList
    if isinstance(obj, dict):
        out = FrozenDict.__new__(FrozenDict)
        dict.update(out, {k: freeze(v, owner, child_path(path, k)) for k, v in obj.items()})
    elif isinstance(obj, list):
        out = FrozenList.__new__(FrozenList)
        list.extend(out, [freeze(v, owner, f"{path}[{i}]") for i, v in enumerate(obj)])
    else:
        return obj
    out._owner, out._path = owner, path
    return out


def thaw(obj: Any) -> Any:
    """A plain, writable deep copy of ``obj`` (dicts and lists, frozen or not; other values kept)."""
    if isinstance(obj, dict):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [thaw(v) for v in obj]
    return obj


def as_plain(obj: Any) -> Any:
    """orjson's ``default`` that writes a frozen dict or list as the plain one it is (and refuses the rest),
    so an exact comparison of JSON texts takes the same path frozen or not."""
    if type(obj) is FrozenDict:
        return dict(obj)
    if type(obj) is FrozenList:
        return list(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


def is_frozen(obj: Any) -> bool:
    return type(obj) is FrozenDict or type(obj) is FrozenList
