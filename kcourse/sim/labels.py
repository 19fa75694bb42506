"""Label and field selectors, parsed and matched as the API server does.

Label selectors come as text (``app=web,tier!=db,env in (a,b),!legacy``)
or as the structured ``matchLabels`` / ``matchExpressions`` of a workload.
Field selectors support ``=``, ``==`` and ``!=`` on dotted paths such as
``spec.nodeName`` or ``status.phase``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .errors import bad_request

__all__ = ["Selector", "everything", "parse_field_selector", "parse_selector", "selector_from_spec"]

Requirement = tuple[str, str, tuple[str, ...]]  # (key, operator, values)


class Selector:
    """A conjunction of requirements; an empty selector matches everything."""

    def __init__(self, requirements: list[Requirement]):
        self.requirements = requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        for key, op, values in self.requirements:
            present = key in labels
            if op in ("=", "==", "in"):
                if not present or labels[key] not in values:
                    return False
            elif op in ("!=", "notin"):
                if present and labels[key] in values:
                    return False
            elif op == "exists":
                if not present:
                    return False
            elif op == "!" and present:
                return False
        return True

    def empty(self) -> bool:
        return not self.requirements

    def __str__(self) -> str:
        parts = []
        for key, op, values in self.requirements:
            if op in ("=", "==", "!="):
                parts.append(f"{key}{op}{values[0]}")
            elif op in ("in", "notin"):
                parts.append(f"{key} {op} ({','.join(values)})")
            elif op == "exists":
                parts.append(key)
            else:
                parts.append(f"!{key}")
        return ",".join(parts)


everything = Selector([])

_TERM = re.compile(
    r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9._-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*$"
)


def _split_terms(text: str) -> list[str]:
    terms, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append(cur)
            cur = ""
        else:
            cur += ch
    terms.append(cur)
    return [t for t in terms if t.strip()]


def parse_selector(text: str | None) -> Selector:
    """Parse a ``-l``/``labelSelector`` string; bad syntax is a 400 like the API server's."""
    if not text:
        return everything
    reqs: list[Requirement] = []
    for term in _split_terms(text):
        m = _TERM.match(term)
        if not m:
            raise bad_request(
                f"unable to parse requirement: found '{term.strip()}', expected: in, notin, =, ==, !=, gt, lt"
            )
        neg, key, op, value, setop, setvalues = m.groups()
        if len(key.rsplit("/", 1)[-1]) > 63:
            raise bad_request(
                f'unable to parse requirement: <nil>: Invalid value: "{key}": name part must be no '
                "more than 63 characters"
            )
        if neg:
            if op or setop:
                raise bad_request(f"unable to parse requirement: {term.strip()}")
            reqs.append((key, "!", ()))
        elif op:
            reqs.append((key, op, (value,)))
        elif setop:
            reqs.append((key, setop, tuple(v.strip() for v in setvalues.split(",") if v.strip())))
        else:
            reqs.append((key, "exists", ()))
    return Selector(reqs)


def selector_from_spec(spec: dict[str, Any] | None) -> Selector:
    """A workload's ``selector`` (``matchLabels`` and ``matchExpressions``) as a Selector."""
    if not spec:
        return Selector([("\0nothing", "in", ())])  # a nil selector selects nothing
    reqs: list[Requirement] = [
        (k, "=", (str(v),)) for k, v in sorted((spec.get("matchLabels") or {}).items())
    ]
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for expr in spec.get("matchExpressions") or []:
        reqs.append((expr["key"], ops[expr["operator"]], tuple(expr.get("values") or ())))
    return Selector(reqs)


def _get_path(obj: dict, path: str) -> str:
    return _get_parts(obj, path.split("."))


def _get_parts(obj: dict, parts: tuple[str, ...] | list[str]) -> str:
    """The field at ``parts`` (a dotted path split once: a selector asks this of every watch event)."""
    cur: Any = obj
    for part in parts:
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(part)
    return "" if cur is None else str(cur)


def parse_field_selector(text: str | None) -> Callable[[dict], bool]:
    """A predicate for a ``--field-selector`` such as ``spec.nodeName=worker-1,status.phase!=Running``."""
    if not text:
        return lambda _obj: True
    checks: list[tuple[tuple[str, ...], bool, str]] = []
    for term in text.split(","):
        m = re.match(r"^\s*([A-Za-z0-9.]+)\s*(==|=|!=)\s*(.*?)\s*$", term)
        if not m:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{term}'")
        checks.append((tuple(m.group(1).split(".")), m.group(2) != "!=", m.group(3)))

    def predicate(obj: dict) -> bool:
        return all((_get_parts(obj, parts) == value) == equal for parts, equal, value in checks)

    return predicate
