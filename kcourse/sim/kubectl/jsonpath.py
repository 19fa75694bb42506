"""A small JSONPath for ``-o jsonpath=…`` and ``--sort-by``, as kubectl's ``k8s.io/client-go/util/jsonpath``.

Supported: ``{.a.b}``, ``{.items[0]}``, ``{.items[*].metadata.name}``,
``{.items[-1:]}``-free indexes, filters ``[?(@.type=="Ready")]``,
``{range .items[*]}…{end}`` and quoted literals such as ``{"\\n"}``.
Several results of one expression are joined by a space, as kubectl does.

Before a template is used, :func:`check` parses it as client-go's parser
does and raises its error (``unterminated array``, ``unclosed action``…).

Simplified: no slices, no recursive descent (``..``), no ``union``, no
comparison filters other than ``==``/``!=`` (client-go parses them; using them
here is an error that says so); a newline inside a quoted literal is taken as
it is, where client-go answers ``unterminated quoted string`` (a notebook's
Python string turns ``{"\\n"}`` into one).
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["JSONPathError", "check", "evaluate", "relaxed", "render"]


class JSONPathError(ValueError):
    pass


_TOKEN = re.compile(
    r"\.\.|\.((?:\\.|[^\s.,\[\]$@{}\\])+|\*)|\[\?\(@\.([A-Za-z0-9_.\-/]+)\s*(==|!=)\s*['\"]?([^'\")]*)['\"]?\)\]"
    r"|\[(\*|-?[0-9]+)\]|\['([^']*)'\]"
)


def evaluate(expr: str, data: Any) -> list[Any]:
    """All values ``expr`` (``.a.b[*].c``) selects in ``data``."""
    expr = expr.strip()
    expr = expr.removeprefix("$")
    current = [data]
    pos = 0
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m:
            # client-go's parser accepted it (see check): a feature this evaluator leaves out
            raise JSONPathError(
                f"the jsonpath syntax {expr[pos:]!r} is not available in this simulated cluster"
            )
        pos = m.end()
        name, fpath, fop, fval, index, quoted = (
            m.group(1),
            m.group(2),
            m.group(3),
            m.group(4),
            m.group(5),
            m.group(6),
        )
        if name is not None and "\\" in name:
            name = name.replace("\\", "")  # client-go drops the escapes of a field name
        nxt: list[Any] = []
        for cur in current:
            if name is not None or quoted is not None:
                key = quoted if quoted is not None else name
                if key == "*":
                    nxt.extend(
                        cur.values() if isinstance(cur, dict) else cur if isinstance(cur, list) else []
                    )
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
                        raise JSONPathError(f"array index out of bounds: index {i}, length {len(cur)}")
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
        parts.append(("action", template[start + 1 : end].strip()))
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
            items = evaluate(value[len("range ") :], data)
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


# --- client-go's parser, for its syntax errors --------------------------------------------------------------

_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=~]+)(.+?)$", re.DOTALL)


def _go_rune(ch: str) -> str:
    """Go's ``%#U``: ``U+007B '{'``."""
    code = ord(ch)
    text = f"U+{code:04X}"
    return f"{text} '{ch}'" if ch.isprintable() else text


class _Parser:
    """``k8s.io/client-go/util/jsonpath/parser.go``, kept to what decides whether a template parses.

    The messages are client-go's (``unterminated array``, ``unclosed action``,
    ``unrecognized character in action: U+007B '{'``…); kubectl prefixes them
    with ``error parsing jsonpath <template>, ``.
    """

    def __init__(self, text: str):
        self.input, self.pos, self.start = text, 0, 0
        self.last_recursive = False

    def next(self) -> str:
        if self.pos >= len(self.input):
            return ""
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def backup(self, ch: str) -> None:
        if ch:
            self.pos -= 1

    def consume(self) -> str:
        value = self.input[self.start : self.pos]
        self.start = self.pos
        return value

    def parse_text(self) -> None:
        """Text up to each ``{``, then the action (a loop where client-go recurses, for any number of
        actions)."""
        while True:
            start = self.input.find("{", self.pos)
            if start < 0:
                return
            self.pos = start + 1
            self.consume()
            self.last_recursive = False
            self.parse_inside_action()

    def parse_inside_action(self) -> None:
        """One action, up to and including its ``}``."""
        while True:
            rest = self.input[self.pos : self.pos + 3]
            if rest.startswith("}"):
                self.pos += 1
                self.consume()
                return
            if rest.startswith("[?("):
                self.parse_filter()
                continue
            if rest.startswith(".."):
                if self.last_recursive:
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                self.consume()
                self.last_recursive = True
                if self.pos < len(self.input) and _alnum(self.input[self.pos]):
                    self.parse_field()
                continue
            self.last_recursive = False
            r = self.next()
            if r == "" or r in "\r\n":
                raise JSONPathError("unclosed action")
            if r in " @$":
                self.consume()
            elif r == "[":
                self.parse_array()
            elif r in "\"'":
                self.parse_quote(r)
            elif r == ".":
                self.parse_field()
            elif r in "+-" or r.isdigit():
                self.backup(r)
                self.parse_number()
            elif _alnum(r):
                self.backup(r)
                while not _terminator(self.next_peek()):
                    self.pos += 1
                self.consume()
            else:
                raise JSONPathError(f"unrecognized character in action: {_go_rune(r)}")

    def next_peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else ""

    def parse_number(self) -> None:
        if self.next_peek() in ("+", "-") and self.next_peek():
            self.pos += 1
        while self.next_peek() and (self.next_peek() == "." or self.next_peek().isdigit()):
            self.pos += 1
        value = self.consume()
        try:
            float(value)
            if not re.fullmatch(r"[+-]?[0-9]*\.?[0-9]*", value) or value.strip("+-.") == "":
                raise ValueError
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def parse_array(self) -> None:
        while True:
            r = self.next()
            if r in ("", "\n"):
                raise JSONPathError("unterminated array")
            if r == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            for part in parts:
                _check_action(f"[{part.strip(' ')}]")
            return
        m = _DICT_KEY.match(text)
        if m:
            _check_action(f".{m.group(1)}")
            return
        m = _SLICE.match(text)
        if m is None:
            raise JSONPathError(f"invalid array index {text}")
        for i, group in enumerate(m.groups()):
            value = (group or "")[1:] if i > 0 else group or ""
            if value and value not in ("-",) and not re.fullmatch(r"-?\d+", value):
                raise JSONPathError(f"array index {value} is not a number")
            if value == "-":
                raise JSONPathError("array index - is not a number")

    def parse_filter(self) -> None:
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            r = self.next()
            if r in ("", "\n"):
                raise JSONPathError("unterminated filter")
            if r in "\"'":
                if not begin:
                    begin, pair = True, r
                    continue
                if self.input[self.pos - 2] != "\\" and r == pair:
                    end = True
            elif r == ")" and begin == end:
                break
        if self.next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self.consume()[:-2]
        m = _FILTER.match(text)
        if m is None:
            _check_action(text)
        else:
            _check_action(m.group(1))
            _check_action(m.group(3))

    def parse_quote(self, end: str) -> None:
        while True:
            r = self.next()
            if r == "":  # client-go also stops at a newline; see the module's Simplified list
                raise JSONPathError("unterminated quoted string")
            if r == end and self.input[self.pos - 2] != "\\":
                break
        self.consume()

    def parse_field(self) -> None:
        self.consume()
        while True:
            r = self.next()
            if r == "\\":
                self.next()
            elif _terminator(r):
                self.backup(r)
                break
        self.consume()


def _alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdigit()


def _terminator(ch: str) -> bool:
    return ch == "" or ch in " \t\r\n.,[]$@{}"


def _check_action(text: str) -> None:
    _Parser("{" + text + "}").parse_text()


def check(template: str) -> None:
    """Raise :class:`JSONPathError` with client-go's message if ``template`` does not parse."""
    _Parser(template).parse_text()


_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed(path: str) -> str:
    """kubectl's ``RelaxedJSONPathExpression``: ``.a.b``, ``a.b``, ``{a.b}`` all mean ``{.a.b}``."""
    if not path:
        return path
    m = _RELAXED.match(path)
    if m is None:
        raise JSONPathError(
            "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' "
            "or '{.name1.name2}'"
        )
    return "{." + (m.group(1) or m.group(2)) + "}"
