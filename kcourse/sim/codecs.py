"""Request bodies as kube-apiserver's serializers read them: JSON, YAML, with their limits.

kube-apiserver decodes JSON with Go's ``encoding/json`` rules (``sigs.k8s.io/json``)
and YAML by converting it to JSON first (``sigs.k8s.io/yaml`` over go-yaml).
Both have limits that keep a small hostile body from costing a large amount
of work, and this module keeps them (the served API decodes its request bodies
with it, ``kubectl patch`` its patches, as the API server would):

* nesting depth: Go stops at 10,000 levels (``exceeded max depth``; go-yaml
  ``yaml: exceeded max depth of 10000``).  Python's own recursion would fail
  long before that, deep inside the simulation, so the limit here is
  :data:`MAX_DEPTH` levels, far above any Kubernetes object's;
* YAML aliases: go-yaml's ``allowedAliasRatio`` rule — once more than 100
  aliases and 1,000 values are decoded, alias expansion may make up at most
  99 % of the values for documents of up to 400,000 values, falling to 10 % at
  4,000,000 — so a 541-byte "billion laughs" is refused (``yaml: document
  contains excessive aliasing``) instead of expanding to millions of values; an
  anchor that contains itself is refused too;
* text: invalid UTF-8 and lone UTF-16 surrogates become U+FFFD, as Go's
  decoder replaces them; ``NaN`` and ``Infinity`` are not JSON, and a number
  beyond float64 is refused as Go refuses it.

What comes out is plain JSON data (dicts with string keys, lists, strings,
numbers, booleans, None): YAML's timestamps stay strings, its non-string keys
become strings as ``sigs.k8s.io/yaml`` converts them.  YAML is scanned and
parsed by libyaml (go-yaml is a port of it, so its syntax errors read alike)
when PyYAML was built with it, five times faster than PyYAML's own parser.

Simplified: :data:`MAX_DEPTH` is 100 levels, not 10,000; the alias rule is
checked on the whole document rather than while decoding it; decoding stays
Python-speed (a 3 MiB YAML document of tiny values costs tens of seconds of
one request thread, never the cluster lock); error texts
follow Go's for the common cases (an unexpected character, the end of the
input, the depth) and otherwise carry the parser's own description.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

import yaml

from kcourse.sim.serializer import object_pairs

__all__ = ["MAX_DEPTH", "DecodeError", "decode_json", "decode_yaml"]

#: How deeply a body's values may nest (Go: 10,000).
MAX_DEPTH = 100

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BRACKET_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


#: How ``sigs.k8s.io/yaml`` prefixes every error of go-yaml's.
TO_JSON = "error converting YAML to JSON: "


class DecodeError(ValueError):
    """A body that does not decode; ``str()`` is the Go-worded reason."""


def _depth_of_json_text(text: str) -> int:
    """The deepest bracket nesting outside strings (a linear scan done by ``re``, before parsing)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if not brackets:
        return 0
    return max(accumulate(_BRACKET_STEP[c] for c in brackets))


def _go_json_message(e: json.JSONDecodeError) -> str:
    """``encoding/json``'s wording for the common syntax errors."""
    doc, pos = e.doc, e.pos
    if pos >= len(doc.rstrip()) or e.msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    if e.msg.startswith("Unexpected UTF-8 BOM"):
        return "invalid character 'ï' looking for beginning of value"
    char = doc[pos]
    shown = _quote_char(char)
    where = {
        "Expecting value": "looking for beginning of value",
        "Expecting property name enclosed in double quotes": "looking for beginning of object key string",
        "Expecting ':' delimiter": "after object key",
        "Expecting ',' delimiter": "after object key:value pair"
        if _in_object(doc, pos)
        else "after array element",
        "Extra data": "after top-level value",
    }.get(e.msg)
    if where is None:
        if e.msg.startswith("Invalid control character"):
            return f"invalid character {shown} in string literal"
        if e.msg.startswith("Invalid \\escape"):
            return f"invalid character {_quote_char(doc[pos + 1 : pos + 2] or ' ')} in string escape code"
        if e.msg.startswith("Invalid \\uXXXX"):
            bad = next((c for c in doc[pos + 2 : pos + 6] if c not in "0123456789abcdefABCDEF"), " ")
            return f"invalid character {_quote_char(bad)} in \\u hexadecimal character escape"
        return f"invalid JSON at offset {pos}: {e.msg.lower()}"
    return f"invalid character {shown} {where}"


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
}


def _quote_char(c: str) -> str:
    """``encoding/json``'s ``quoteChar``: ``'x'``, ``'\\''``, ``'"'``, ``'\\n'``, ``'\\x01'``."""
    if c == "'":
        return "'\\''"
    if c in _GO_ESCAPES:
        return f"'{_GO_ESCAPES[c]}'"
    if c.isprintable():
        return f"'{c}'"
    return f"'\\x{ord(c):02x}'" if ord(c) < 0x100 else f"'\\u{ord(c):04x}'"


def _in_object(doc: str, pos: int) -> bool:
    before = _NOT_BRACKET.sub("", _STRING.sub("", doc[:pos]))
    level = 0
    for c in reversed(before):
        if c in "]}":
            level += 1
        elif level:
            level -= 1
        else:
            return c == "{"
    return False


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise DecodeError(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"invalid character '{name[0]}' looking for beginning of value")


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    return value


def decode_json(body: bytes) -> Any:
    """A JSON body as Python data, or :class:`DecodeError` in Go's words."""
    text = body.decode("utf-8", "replace")  # Go's decoder turns invalid UTF-8 into U+FFFD
    if _depth_of_json_text(text) > MAX_DEPTH:
        raise DecodeError("exceeded max depth")
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, object_pairs_hook=object_pairs
        )  # duplicate keys: for fieldValidation
    except json.JSONDecodeError as e:
        raise DecodeError(_go_json_message(e)) from None
    except RecursionError:
        raise DecodeError("exceeded max depth") from None
    except DecodeError:
        raise
    except ValueError:  # an integer of more digits than Python converts
        raise DecodeError("json: cannot unmarshal number into Go value of type float64") from None
    if "\\u" in text and re.search(r"\\u[dD][89a-fA-F]", text):
        value = _replace_surrogates(value)
    return value


# --- YAML ---------------------------------------------------------------------------------------------------


try:  # libyaml's scanner and parser, five times faster than PyYAML's own; the rest stays PyYAML's Python
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _Parser = None


class _LoaderBase(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """PyYAML's safe loader as sigs.k8s.io/yaml reads YAML: timestamps stay strings, keys become strings.

    It also remembers anchor names, for go-yaml's message about an anchor that contains itself.  Events
    come from libyaml's parser when PyYAML has it (the same parser go-yaml was ported from).
    """

    def __init__(self, stream: str):
        # The parser's bases are mixed in only below (``_Loader``), so to the type checker ``self`` is none.
        parser: Any = self
        if _Parser is not None:
            _Parser.__init__(parser, stream)
        else:
            yaml.reader.Reader.__init__(parser, stream)
            yaml.scanner.Scanner.__init__(parser)
            yaml.parser.Parser.__init__(parser)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def compose_document(self) -> Any:
        """PyYAML's ``compose_document``, keeping the anchors' names before it forgets them."""
        self.get_event()  # DocumentStartEvent
        node = self.compose_node(None, None)
        self.get_event()  # DocumentEndEvent
        self.anchor_names = {id(n): name for name, n in self.anchors.items()}
        self.anchors = {}
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[str, Any]:
        # Keys are made strings while the mapping is built: 1 and true must not collide as Python keys.
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping node", node.start_mark)
        self.flatten_mapping(node)
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            mapping[_go_key(key)] = self.construct_object(value_node, deep=deep)
        return mapping


_PARSER_BASES = (
    (_Parser,) if _Parser is not None else (yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser)
)
_Loader: Any = type("_Loader", (_LoaderBase, *_PARSER_BASES), {})

_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_constructors = dict(yaml.SafeLoader.yaml_constructors)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def _allowed_alias_ratio(decodes: int) -> float:
    """go-yaml's ``allowedAliasRatio`` (decode.go)."""
    low, high = 400_000, 4_000_000
    if decodes <= low:
        return 0.99
    if decodes >= high:
        return 0.10
    return 0.99 - 0.89 * (decodes - low) / (high - low)


def _check_nodes(root: yaml.Node, anchor_names: dict[int, str]) -> None:
    """Refuse excessive aliasing, self-containing anchors and too deep nesting, before constructing."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_nodes: set[int] = set()

    def measure(node: yaml.Node) -> tuple[int, int]:
        key = id(node)
        if key in sizes:
            return sizes[key], depths[key]
        if key in open_nodes:
            raise DecodeError(f"{TO_JSON}yaml: anchor '{anchor_names.get(key, '')}' value contains itself")
        open_nodes.add(key)
        size, depth = 1, 0
        if isinstance(node, yaml.SequenceNode):
            children: list[yaml.Node] = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            children = []
        for child in children:
            s, d = measure(child)
            size += s
            depth = max(depth, d)
        open_nodes.discard(key)
        depth += 1 if children or isinstance(node, yaml.CollectionNode) else 0
        if depth > MAX_DEPTH:
            raise DecodeError(f"{TO_JSON}yaml: exceeded max depth of {MAX_DEPTH}")
        sizes[key], depths[key] = size, depth
        return size, depth

    try:
        decodes, _depth = measure(root)
    except RecursionError:
        raise DecodeError(f"{TO_JSON}yaml: exceeded max depth of {MAX_DEPTH}") from None
    aliases = decodes - len(sizes)
    if aliases > 100 and decodes > 1000 and aliases / decodes > _allowed_alias_ratio(decodes):
        raise DecodeError(f"{TO_JSON}yaml: document contains excessive aliasing")


def _go_key(key: Any) -> str:
    if isinstance(key, str):
        return _SURROGATE.sub("\ufffd", key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return str(key)
    if isinstance(key, float):
        return _go_float(key)
    raise DecodeError(f"{TO_JSON}unsupported map key of type {type(key).__name__}")


def _go_float(value: float) -> str:
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def _to_json_data(value: Any) -> Any:
    """What ``sigs.k8s.io/yaml``'s YAML-to-JSON conversion makes of a decoded value (fresh copies)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_go_key(k): _to_json_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_json_data(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {_go_key(k): None for k in value}
    if isinstance(value, float) and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf")
        raise DecodeError(f"{TO_JSON}json: unsupported value: {name}")
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def _yaml_message(e: yaml.YAMLError) -> str:
    text = str(e)
    if "control characters are not allowed" in text or isinstance(e, yaml.reader.ReaderError):
        return f"{TO_JSON}yaml: control characters are not allowed"
    undefined = re.search(r"found undefined alias '?([^'\s]*)", text)
    if undefined:
        return f"{TO_JSON}yaml: unknown anchor '{undefined.group(1)}' referenced"
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or text.splitlines()[0]
    if mark is not None:
        return f"{TO_JSON}yaml: line {mark.line + 1}: {problem}"
    return f"{TO_JSON}yaml: {problem}"


def decode_yaml(body: bytes) -> Any:
    """The first YAML document of a body as JSON data, or :class:`DecodeError` in go-yaml's words."""
    text = body.decode("utf-8", "replace")
    if _depth_of_json_text(text) > 2 * MAX_DEPTH:
        # PyYAML's scanner slows down with every open flow collection: count brackets first (loosely, as
        # quoting in YAML has more forms than JSON's; the exact depth is checked on the parsed nodes).
        raise DecodeError(f"{TO_JSON}yaml: exceeded max depth of {MAX_DEPTH}")
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError:
        raise DecodeError(f"{TO_JSON}yaml: control characters are not allowed") from None
    try:
        node = loader.get_node() if loader.check_node() else None
        if node is None:
            return None
        _check_nodes(node, getattr(loader, "anchor_names", {}))
        value = loader.construct_document(node)
        return _to_json_data(value)
    except yaml.YAMLError as e:
        raise DecodeError(_yaml_message(e)) from None
    except RecursionError:
        raise DecodeError(f"{TO_JSON}yaml: exceeded max depth of {MAX_DEPTH}") from None
    except (TypeError, ValueError, OverflowError) as e:
        if isinstance(e, DecodeError):
            raise
        raise DecodeError(f"{TO_JSON}yaml: a value of the document cannot be decoded") from None
    finally:
        loader.dispose()
