"""etcd's request checks: what the v3 API accepts before a request reaches the store.

Modelled on etcd's ``server/etcdserver/api/v3rpc`` (``key.go``: ``checkRangeRequest``,
``checkPutRequest``, ``checkTxnRequest``, ``checkIntervals``) and the error texts of
``api/v3rpc/rpctypes``; the MVCC store that runs a checked request is :mod:`kcourse.sim.etcd`
(etcd's ``server/mvcc``), which re-exports the public names here.  Kept apart so the store reads as
the store, and so every refusal lives in one place, checked before anything is written: a refused
call never uses up a revision.

What the facade accepts is what the etcd3 clients accept:

* a key (and a ``range_end``) is ``str`` or ``bytes``; ``str`` is encoded as
  UTF-8 and ``bytes`` are decoded as UTF-8, so ``put(b"/k", b"v")`` and
  ``put("/k", "v")`` name the same key.  Anything else is a ``TypeError``;
  text that is not UTF-8 is a ``ValueError``; an empty key is etcd's
  ``etcdserver: key is not provided``.
* a value is ``bytes`` or ``str`` (stored as its UTF-8 bytes); anything else,
  a list or a number included, is a ``TypeError``.
* a revision is an ``int`` (not a ``bool``, not a float) in int64's range,
  refused as etcd's JSON gateway refuses it
  (``json: cannot unmarshal number 2.5 into Go value of type int64``).
* a transaction's compares and the ops of both branches are checked first;
  a branch that writes one key twice is etcd's ``etcdserver: duplicate key
  given in txn request``, even when that branch would not run.

Simplified: keys are kept as text, so a key that is not UTF-8 is refused (real etcd keys are any
bytes); the checks raise Python's ``TypeError``/``ValueError`` where a gRPC client would fail to
marshal the request; no request size limits (etcd's ``--max-request-bytes``, ``--max-txn-ops``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Compare", "ErrDuplicateKey", "ErrEmptyKey", "EtcdError", "Op"]

ErrEmptyKey = "etcdserver: key is not provided"
ErrDuplicateKey = "etcdserver: duplicate key given in txn request"


class EtcdError(Exception):
    """An error the etcd server returns; ``str()`` is etcd's own message."""

    def __init__(self, message: str, compact_revision: int = 0):
        super().__init__(message)
        self.message = message
        self.compact_revision = compact_revision


@dataclass(frozen=True, slots=True)
class Compare:
    """A transaction guard: ``target`` is ``value``, ``version``, ``create`` or ``mod``."""

    key: str
    target: str
    result: str  # "=", "!=", "<", ">"
    operand: object


@dataclass(frozen=True, slots=True)
class Op:
    """A transaction operation: ``put``, ``delete`` or ``get``."""

    kind: str
    key: str
    value: bytes = b""
    range_end: str | None = None


def _in_range(key: str, start: str, end: str | None) -> bool:
    if end is None:
        return key == start
    if end == "\0":
        return key >= start
    return start <= key < end


def _check_key(key: str) -> None:
    """etcd refuses an empty key before it reaches the store."""
    if not key:
        raise EtcdError(ErrEmptyKey)


_INT64 = (-(2**63), 2**63 - 1)
_GO_KINDS = {
    bool: "bool",
    float: "number",
    str: "string",
    list: "array",
    tuple: "array",
    dict: "object",
    type(None): "null",
}


def _text(key: object, what: str = "key") -> str:
    """A key or range end as the store keeps it: text, from ``str`` or UTF-8 ``bytes``."""
    if type(key) is str:
        if key.isascii():
            return key
        try:
            key.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"etcd: {what} {key!r} cannot be encoded as UTF-8") from None
        return key
    if isinstance(key, bytes):
        try:
            return key.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError(f"etcd: {what} {key!r} is not UTF-8 (this store keeps keys as text)") from None
    if isinstance(key, str):
        return str(key)
    raise TypeError(f"etcd: {what} must be bytes or str, not {type(key).__name__}")


def _key(key: object) -> str:
    text = _text(key)
    _check_key(text)
    return text


def _end(range_end: object) -> str | None:
    return None if range_end is None else _text(range_end, "range_end")


def _value(value: object) -> bytes:
    """A value as stored: ``bytes`` as given, ``str`` as UTF-8; nothing else."""
    if type(value) is bytes:
        return value
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"etcd: value {value[:40]!r} cannot be encoded as UTF-8") from None
    raise TypeError(f"etcd: value must be bytes or str, not {type(value).__name__}")


def _revision(revision: object, what: str = "revision") -> int:
    """An int64, as etcd's API declares every revision; refused as its JSON gateway refuses other numbers."""
    if type(revision) is int and _INT64[0] <= revision <= _INT64[1]:
        return revision
    if isinstance(revision, int) and not isinstance(revision, bool):
        if _INT64[0] <= revision <= _INT64[1]:
            return int(revision)
        shown = str(revision) if abs(revision) < 10**40 else f"of {revision.bit_length()} bits"
        raise ValueError(f"json: cannot unmarshal number {shown} into Go value of type int64 ({what})")
    kind = _GO_KINDS.get(type(revision), type(revision).__name__)
    shown = f" {revision!r}" if isinstance(revision, float) else ""
    raise TypeError(f"json: cannot unmarshal {kind}{shown} into Go value of type int64 ({what})")


_COMPARE_TARGETS = ("value", "version", "create", "mod")
_COMPARE_RESULTS = ("=", "!=", "<", ">")
_OP_KINDS = ("put", "delete", "get")


def _compare(c: object) -> Compare:
    """A guard checked and normalised: a known target and result, an operand of the target's type."""
    if not isinstance(c, Compare):
        raise TypeError(f"etcd: a txn compare must be a Compare, not {type(c).__name__}")
    if c.target not in _COMPARE_TARGETS:
        raise ValueError(f"etcd: unknown compare target {c.target!r}; one of {', '.join(_COMPARE_TARGETS)}")
    if c.result not in _COMPARE_RESULTS:
        raise ValueError(f"etcd: unknown compare result {c.result!r}; one of {', '.join(_COMPARE_RESULTS)}")
    operand = _value(c.operand) if c.target == "value" else _revision(c.operand, f"compare {c.target}")
    key = _key(c.key)
    if key is c.key and operand is c.operand:
        return c
    return Compare(key, c.target, c.result, operand)


def _op(op: object) -> Op:
    """A transaction operation checked and normalised."""
    if not isinstance(op, Op):
        raise TypeError(f"etcd: a txn operation must be an Op, not {type(op).__name__}")
    if op.kind not in _OP_KINDS:
        raise ValueError(f"etcd: unknown txn op {op.kind!r}; one of {', '.join(_OP_KINDS)}")
    key, end = _key(op.key), _end(op.range_end)
    value = _value(op.value) if op.kind == "put" else b""
    if op.kind == "put" and end is not None:
        raise ValueError("etcd: a put has no range_end")
    if key is op.key and end is op.range_end and value is op.value:
        return op
    return Op(op.kind, key, value, end)


def _ops(ops: object, what: str) -> list[Op]:
    if isinstance(ops, (str, bytes, Op)) or not isinstance(ops, Iterable):
        raise TypeError(f"etcd: txn {what} must be a list of Op, not {type(ops).__name__}")
    return [_op(op) for op in ops]


def _txn_args(compare: object, success: object, failure: object) -> tuple[list[Compare], list[Op], list[Op]]:
    """Every guard and op of both branches, checked and normalised before a transaction touches anything."""
    if isinstance(compare, (str, bytes, Compare)) or not isinstance(compare, Iterable):
        raise TypeError(f"etcd: txn compare must be a list of Compare, not {type(compare).__name__}")
    guards = [_compare(c) for c in compare]
    then, otherwise = _ops(success, "success"), _ops(failure, "failure")
    _check_ops(then)
    _check_ops(otherwise)
    return guards, then, otherwise


def _check_ops(ops: list[Op]) -> None:
    """etcd refuses a transaction branch that writes one key twice (``checkIntervals`` in etcd's v3rpc)."""
    puts: set[str] = set()
    deletes = [(op.key, op.range_end) for op in ops if op.kind == "delete"]
    for op in ops:
        _check_key(op.key)
        if op.kind != "put":
            continue
        if op.key in puts or any(_in_range(op.key, start, end) for start, end in deletes):
            raise EtcdError(ErrDuplicateKey)
        puts.add(op.key)
