"""A small JSONPath for ``-o jsonpath=…`` and ``--sort-by``, as kubectl's ``k8s.io/client-go/util/jsonpath``.

Supported: ``{.a.b}``, ``{.items[0]}``, ``{.items[*].metadata.name}``,
``{.items[-1:]}``-free indexes, filters ``[?(@.type=="Ready")]``,
``{range .items[*]}…{end}`` and quoted literals such as ``{"\\n"}``.
Several results of one expression are joined by a space, as kubectl does.

Simplified: no slices with steps, no recursive descent (``..``), no ``union``.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JSONPathError", "evaluate", "render"]


class JSONPathError(ValueError):
    pass


_TOKEN = re.compile(r"\.\.|\.([A-Za-z0-9_\-/]+|\*)|\[\?\(@\.([A-Za-z0-9_.\-/]+)\s*(==|!=)\s*['\"]?([^'\")]*)['\"]?\)\]"
                    r"|\[(\*|-?[0-9]+)\]|\['([^']*)'\]")


def evaluate(expr: str, data: Any) -> list[Any]:
    """All values ``expr`` (``.a.b[*].c``) selects in ``data``."""
    expr = expr.strip()
    expr = expr.removeprefix("$")
    current = [data]
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            raise JSONPathError(f"unrecognized character in action: {expr[pos:]!r}")
        pos = m.end()
        name, fpath, fop, fval, index, quoted = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), \
            m.group(6)
        nxt: list[Any] = []
        for cur in current:
            if name is not None or quoted is not None:
                key = quoted if quoted is not None else name
                if key == "*":
                    nxt.extend(cur.values() if isinstance(cur, dict) else cur if isinstance(cur, list) else [])
                elif isinstance(cur, dict) and key in cur:
                    nxt.append(cur[key])
            elif index is not None:
                if not isinstance(cur, list):
                    continue
                if index == "*":
                    nxt.extend(cur)
                else:
                    i = int(index)
                    if -len(cur) <= i < len(cur):
                        nxt.append(cur[i])
                    else:
                        raise JSONPathError("array index out of bounds: index " f"{i}, length {len(cur)}")
            elif fpath is not None:
                items = cur if isinstance(cur, list) else [cur]
                for item in items:
                    got = evaluate("." + fpath, item)
                    value = _text(got[0]) if got else None
                    if (value == fval) == (fop == "=="):
                        nxt.append(item)
        current = nxt
    return current


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null" if False else ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    return str(value)


def _split(template: str) -> list[tuple[str, str]]:
    """Literal text and ``{…}`` actions, in order."""
    parts: list[tuple[str, str]] = []
    pos = 0
    while pos < len(template):
        start = template.find("{", pos)
        if start < 0:
            parts.append(("text", template[pos:]))
            break
        if start > pos:
            parts.append(("text", template[pos:start]))
        end = template.find("}", start)
        if end < 0:
            raise JSONPathError(f"unclosed action: {template[start:]!r}")
        parts.append(("action", template[start + 1:end].strip()))
        pos = end + 1
    return parts


def _literal(action: str) -> str | None:
    if len(action) >= 2 and action[0] == action[-1] and action[0] in "\"'":
        return action[1:-1].encode().decode("unicode_escape")
    return None


def render(template: str, data: Any) -> str:
    """Apply a kubectl jsonpath template to ``data``."""
    if "{" not in template:
        template = "{" + template + "}"
    parts = _split(template)
    out, _ = _render(parts, 0, data)
    return out


def _render(parts: list[tuple[str, str]], i: int, data: Any) -> tuple[str, int]:
    out = []
    while i < len(parts):
        kind, value = parts[i]
        if kind == "text":
            out.append(value)
        elif value == "end":
            return "".join(out), i
        elif value.startswith("range "):
            items = evaluate(value[len("range "):], data)
            body_end = i
            if not items:
                _, body_end = _render(parts, i + 1, {})
            for item in items:
                text, body_end = _render(parts, i + 1, item)
                out.append(text)
            i = body_end
        else:
            lit = _literal(value)
            if lit is not None:
                out.append(lit)
            else:
                out.append(" ".join(_text(v) for v in evaluate(value, data)))
        i += 1
    return "".join(out), i
