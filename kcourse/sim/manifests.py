"""Reading manifests the way ``kubectl apply -f`` does, but safely.

A manifest arrives as a dict, a list of dicts, YAML or JSON text (several
``---`` documents, or a ``kind: List``), or a path to a file or a directory
of ``.yaml``/``.yml``/``.json`` files (read in name order, not recursing,
like ``kubectl -f DIR`` without ``-R``).  Every document must be a mapping
with ``apiVersion`` and ``kind``; the messages are kubectl's own
(``error validating data: [apiVersion not set, kind not set]``,
``json: cannot unmarshal array into Go value of type unstructured.detector``).

The YAML is read with ``yaml.SafeLoader`` only: no Python tags, no custom
tags.  Like Go's YAML decoder it refuses "billion laughs" alias bombs
(``yaml: document contains excessive aliasing``); documents over 3 MiB are
refused as the API server's request limit would.  Plain scalars are read
the way kubectl reads them — go-yaml v2's ``resolve`` (sigs.k8s.io/yaml
v1.4.0, ``goyaml.v2/resolve.go``) and ``YAMLToJSON`` — not as PyYAML would:
``y``/``n``/``on``/``off`` are booleans, ``0x_``, ``1:20`` and integers too
large for 64 bits (and for a float64) stay strings, ``2025-01-01`` becomes
the timestamp ``"2025-01-01T00:00:00Z"``, keys become strings, and a NaN or
infinity is refused (``json: unsupported value: +Inf``).  So what reaches the
API server is the JSON kubectl would have sent, and its decoder
(:mod:`.serializer`) answers as the real one does.

Simplified: real kubectl 1.32 silently keeps the *last* of two duplicate
keys (a known trap: the first value vanishes); here a duplicate key is an
error naming both lines, because a course should point the mistake out.
YAML syntax errors carry PyYAML's wording after kubectl's prefix
``error converting YAML to JSON: yaml: line N:``.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ApiError

__all__ = [
    "MANIFEST_EXTENSIONS",
    "MAX_EXPANDED_NODES",
    "MAX_MANIFEST_BYTES",
    "go_yaml_scalar",
    "load_manifests",
    "read_manifest_file",
]

#: The API server refuses request bodies over 3 MiB; no single manifest can be larger.
MAX_MANIFEST_BYTES = 3 * 1024 * 1024
#: Nodes a document may expand to through aliases before it counts as an alias bomb.
MAX_EXPANDED_NODES = 200_000
MANIFEST_EXTENSIONS = (".yaml", ".yml", ".json")
_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{t}"
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge", "timestamp")
}


def _error(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


_TAG = "tag:yaml.org,2002:"
_GO_NULL = {"", "~", "null", "Null", "NULL"}
_GO_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_GO_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_GO_INF = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
_GO_NAN = {".nan", ".NaN", ".NAN"}
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASES = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}


def _go_int(plain: str) -> int | None:
    """``strconv.ParseInt(plain, 0, 64)`` then ``ParseUint``: the integer, or None if Go would not read
    one."""
    m = _GO_INT.fullmatch(plain)
    if m is None or len(plain) > 70:  # no 64-bit integer is that long (and Python's int() must not see it)
        return None
    sign, body = m.groups()
    if len(body) > 1 and body[1] in _BASES:
        n = int(body[2:], _BASES[body[1]])
    elif len(body) > 1 and body[0] == "0":
        n = int(body, 8)
    else:
        n = int(body)
    n = -n if sign == "-" else n
    return n if -(1 << 63) <= n < (1 << 64) else None


def go_yaml_scalar(value: str) -> Any:
    """A plain (unquoted) YAML scalar as go-yaml v2's ``resolve`` reads it, which is what kubectl sends.

    YAML 1.1 booleans include ``y``/``n``/``on``/``off``; an integer is read by Go's
    ``ParseInt``/``ParseUint`` (``0x``, ``0o``, ``0b``, a leading ``0`` for octal, ``_`` ignored), else a
    float by ``ParseFloat`` if it fits a float64; anything else — ``0x_``, ``1e400``, ``1:20``, a
    4,300-digit number — stays a *string*, so the API server then reports a string where a number belongs.
    """
    if value in _GO_NULL:
        return None
    if value in _GO_TRUE:
        return True
    if value in _GO_FALSE:
        return False
    if value in _GO_INF:
        return math.inf
    if value in {"-.inf", "-.Inf", "-.INF"}:
        return -math.inf
    if value in _GO_NAN:
        return math.nan
    if value[0] == ".":
        try:
            return float(value) if _GO_FLOAT.fullmatch(value) and math.isfinite(float(value)) else value
        except ValueError:
            return value
    if value[0] in "-+0123456789":
        stamp = _go_timestamp(value)
        if stamp is not None:
            return Timestamp(stamp)
        plain = value.replace("_", "")
        n = _go_int(plain)
        if n is not None:
            return n
        if _GO_FLOAT.fullmatch(plain):
            f = float(plain)
            if math.isfinite(f):
                return f
    return value


class Timestamp(str):
    """An unquoted YAML timestamp, already in the RFC 3339 form Go's JSON writes for a ``time.Time``."""


_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?"
    r"(Z|[+-]\d{2}:\d{2})?)?"
)


def _go_timestamp(value: str) -> str | None:
    """go-yaml's ``parseTimestamp``: ``2006-1-2T15:4:5.999999999Z07:00`` (or ``t``),
    ``2006-1-2 15:4:5.999999999`` (no zone: UTC) or ``2006-1-2``; the result as ``time.Time`` marshals to
    JSON (RFC 3339, nanoseconds trimmed)."""
    m = _TIMESTAMP.fullmatch(value)
    if m is None:
        return None
    year, month, day, t, space, hh, mm, ss, frac, zone = m.groups()
    if (t and not zone) or (space and zone):
        return None
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    text = date.isoformat()
    if hh is None:
        return text + "T00:00:00Z"
    if int(hh) > 23 or int(mm) > 59 or int(ss) > 59:
        return None
    frac = (frac or "")[:10].rstrip("0")
    zone = "Z" if zone in (None, "Z", "+00:00", "-00:00") else zone
    return f"{text}T{int(hh):02d}:{int(mm):02d}:{int(ss):02d}{'' if frac == '.' else frac}{zone}"


def _go_tag(value: str) -> str:
    v = go_yaml_scalar(value)
    if isinstance(v, Timestamp):
        return _TAG + "timestamp"
    if v is None:
        return _TAG + "null"
    if isinstance(v, bool):
        return _TAG + "bool"
    if isinstance(v, int):
        return _TAG + "int"
    if isinstance(v, float):
        return _TAG + "float"
    return _TAG + "str"


class _Loader(yaml.SafeLoader):
    """SafeLoader reading scalars as go-yaml does, refusing duplicate keys and any non-JSON tag."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            return _TAG + "merge" if value == "<<" else _go_tag(value)
        return super().resolve(kind, value, implicit)

    def _go_typed(self, node: yaml.ScalarNode, want: tuple[type, ...], name: str) -> Any:
        value = go_yaml_scalar(self.construct_scalar(node))
        if value is None and name == "null":
            return None
        if isinstance(value, want) and not (bool not in want and isinstance(value, bool)):
            return value
        raise yaml.constructor.ConstructorError(
            None, None, f"cannot decode !!str `{node.value}` as a !!{name}", node.start_mark
        )

    def construct_yaml_null(self, node: yaml.ScalarNode) -> None:
        return self._go_typed(node, (type(None),), "null")

    def construct_yaml_bool(self, node: yaml.ScalarNode) -> bool:
        return self._go_typed(node, (bool,), "bool")

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        return self._go_typed(node, (int,), "int")

    def construct_go_timestamp(self, node: yaml.ScalarNode) -> str:
        """A ``!!timestamp`` as Go reads it into an interface: the string, not a datetime."""
        return str(self._go_typed(node, (Timestamp,), "timestamp"))

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value = self._go_typed(node, (int, float), "float")
        return float(value)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag not in _STANDARD_TAGS:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"tag {node.tag!r} is not allowed in a manifest (only plain YAML/JSON data)",
                node.start_mark,
            )
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a mapping key must be a scalar", key_node.start_mark
                )
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(f'line {line}: mapping key "{key}" already defined at line {seen[key]}')
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


for _name in ("null", "bool", "int", "float"):
    _Loader.add_constructor(_TAG + _name, getattr(_Loader, f"construct_yaml_{_name}"))
_Loader.add_constructor(_TAG + "timestamp", _Loader.construct_go_timestamp)


class _DuplicateKey(Exception):
    pass


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """Nodes the document has once aliases are expanded (shared objects counted each time)."""
    if not isinstance(value, (dict, list)):
        return 1
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = MAX_EXPANDED_NODES + 1  # a value that contains itself (a recursive alias) never ends
    children = value.values() if isinstance(value, dict) else value
    total = 1
    for child in children:
        total += _expanded_size(child, memo)
        if total > MAX_EXPANDED_NODES:
            break
    memo[key] = total
    return total


def _parse_text(text: str, source: str) -> list[tuple[Any, int]]:
    """Documents of a YAML or JSON stream, each with the line where it starts."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_MANIFEST_BYTES:
        raise _error(
            f"error parsing {source}: the manifest is larger than the API server's limit of "
            f"{MAX_MANIFEST_BYTES} bytes"
        )
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return [(json.loads(text), 1)]
        except (json.JSONDecodeError, RecursionError):
            pass  # YAML flow style or several JSON objects: the YAML reader decides
    docs: list[tuple[Any, int]] = []
    loader = None
    try:
        loader = _Loader(text)
        while loader.check_node():
            node = loader.get_node()
            line = node.start_mark.line + 1 if node is not None else 1
            value = loader.construct_document(node) if node is not None else None
            if _expanded_size(value, {}) > MAX_EXPANDED_NODES:
                raise _error(
                    f"error parsing {source}: error converting YAML to JSON: yaml: document contains "
                    "excessive aliasing"
                )
            docs.append((value, line))
    except _DuplicateKey as e:
        raise _error(
            f"error parsing {source}: error converting YAML to JSON: yaml: unmarshal errors:\n  {e}"
        ) from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = e.problem or e.context or "invalid YAML"
        raise _error(
            f"error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}"
        ) from None
    except yaml.reader.ReaderError:
        raise _error(
            f"error parsing {source}: error converting YAML to JSON: yaml: control characters are not allowed"
        ) from None
    except yaml.YAMLError as e:
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: {e}") from None
    except RecursionError:
        raise _error(
            f"error parsing {source}: error converting YAML to JSON: yaml: exceeded max depth"
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return docs


def _jsonable(value: Any, source: str) -> Any:
    """The document as the JSON kubectl sends (sigs.k8s.io/yaml ``YAMLToJSON``): keys become strings
    (``1`` → ``"1"``, ``true`` → ``"true"``), and a NaN or infinity, which JSON cannot carry, is refused."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if isinstance(k, bool):
                k = "true" if k else "false"
            elif isinstance(k, (int, float)):
                k = _key_number(k)
            elif not isinstance(k, str):
                raise _error(
                    f"error parsing {source}: error converting YAML to JSON: unsupported map key of type: "
                    f"<nil>, key: <nil>, value: {_go_value_text(v)}"
                )
            out[k] = _jsonable(v, source)
        return out
    if isinstance(value, list):
        return [_jsonable(v, source) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        text = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
        raise _error(
            f"error parsing {source}: error converting YAML to JSON: json: unsupported value: {text}"
        )
    return value


def _key_number(k: float) -> str:
    """A number used as a key, as ``strconv`` writes it (``FormatFloat(k, 'g', -1, 32)`` for floats)."""
    if isinstance(k, int):
        return str(k)  # go_yaml_scalar never yields an integer longer than 64 bits
    if math.isnan(k):
        return ".nan"
    if math.isinf(k):
        return ".inf" if k > 0 else "-.inf"
    return format(k, "g")


def _go_value_text(v: Any) -> str:
    return f'"{v}"' if isinstance(v, str) else "<nil>" if v is None else str(v)[:80]


def _check(doc: Any, source: str, line: int) -> list[dict]:
    """One decoded document as objects: a List is flattened, anything else must be a typed mapping."""
    if doc is None:
        return []
    doc = _jsonable(doc, source)
    if not isinstance(doc, dict):
        gotype = (
            "array"
            if isinstance(doc, list)
            else "string"
            if isinstance(doc, str)
            else "number"
            if isinstance(doc, (int, float)) and not isinstance(doc, bool)
            else "bool"
        )
        raise _error(
            f'unable to decode "{source}": json: cannot unmarshal {gotype} into Go value of type '
            "unstructured.detector"
        )
    if not doc:
        return []
    problems = []
    if not doc.get("apiVersion"):
        problems.append("apiVersion not set")
    if not doc.get("kind"):
        problems.append("kind not set")
    if problems:
        listed = problems[0] if len(problems) == 1 else "[" + ", ".join(problems) + "]"
        where = f" (document at line {line})" if line > 1 else ""
        raise _error(
            f'error validating "{source}"{where}: error validating data: {listed}; if you choose to '
            "ignore these errors, turn validation off with --validate=false"
        )
    for field in ("apiVersion", "kind"):
        if not isinstance(doc[field], str):
            gotype = (
                "array"
                if isinstance(doc[field], list)
                else "object"
                if isinstance(doc[field], dict)
                else "number"
                if isinstance(doc[field], (int, float)) and not isinstance(doc[field], bool)
                else "bool"
            )
            raise _error(
                f'unable to decode "{source}": json: cannot unmarshal {gotype} into Go struct field '
                f".{field} of type string"
            )
    if not isinstance(doc.get("metadata", {}), dict):
        raise _error(f'unable to decode "{source}": .metadata: expected an object')
    if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
        out: list[dict] = []
        for item in doc["items"]:
            out.extend(_check(item, source, line))
        return out
    return [doc]


def _files(path: Path) -> list[Path]:
    try:
        if path.is_dir():
            return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in MANIFEST_EXTENSIONS)
        exists = path.exists()
    except (OSError, ValueError):  # a name too long, a NUL byte, a directory we may not list
        exists = False
    if not exists:
        raise _error(f'the path "{path}" does not exist')
    return [path]


def read_manifest_file(path: str | Path) -> bytes:
    """The bytes of one manifest file, read safely: never blocks, never reads without bound.

    The file is opened without blocking (a FIFO with no writer would otherwise hang the reader
    forever) and must be a regular file — not a FIFO, a socket or a device such as ``/dev/zero``;
    at most the API server's request limit (3 MiB) plus one byte is read, so an endless or huge
    file is refused after reading no more than that.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise _error(f'the path "{path}" does not exist') from None
    except IsADirectoryError:
        raise _error(f'error reading "{path}": is a directory') from None
    except (OSError, ValueError) as e:
        raise _error(f'error reading "{path}": {getattr(e, "strerror", None) or "invalid path"}') from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _error(
                f'error reading "{path}": not a regular file (a FIFO, socket or device cannot be a manifest)'
            )
        chunks, size = [], 0
        while size <= MAX_MANIFEST_BYTES:
            chunk = os.read(fd, min(1 << 20, MAX_MANIFEST_BYTES + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as e:
        raise _error(f'error reading "{path}": {e.strerror or "read error"}') from None
    finally:
        os.close(fd)
    if size > MAX_MANIFEST_BYTES:
        raise _error(
            f"error parsing {path}: the manifest is larger than the API server's limit of "
            f"{MAX_MANIFEST_BYTES} bytes"
        )
    return b"".join(chunks)


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and ":" not in text.split("/")[0] and len(text) < 4096 and bool(text.strip())


def _is_path(text: str) -> bool:
    try:
        return Path(text).exists()
    except (OSError, ValueError):
        return False


def load_manifests(source: Any, *, filename: str | None = None) -> list[dict]:
    """Every object in ``source`` (dict, list, YAML/JSON text, or a file or directory path).

    Raises :class:`kcourse.ApiError` (400 BadRequest) with kubectl's wording
    and the source's name for anything kubectl would refuse to send.
    """
    if isinstance(source, dict):
        return _check(source, filename or "STDIN", 1)
    if isinstance(source, (list, tuple)):
        out: list[dict] = []
        for item in source:
            out.extend(load_manifests(item, filename=filename))
        return out
    if isinstance(source, Path) or (
        isinstance(source, str)
        and _looks_like_path(source)
        and (_is_path(source) or source.endswith(MANIFEST_EXTENSIONS))
    ):
        path = Path(source)
        out = []
        for f in _files(path):
            out.extend(
                load_manifests(read_manifest_file(f), filename=str(f) if filename is None else filename)
            )
        return out
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise _error(
                f"error parsing {filename or 'STDIN'}: error converting YAML to JSON: yaml: invalid "
                "leading UTF-8 octet"
            ) from None
    if not isinstance(source, str):
        raise _error(f"cannot read a manifest from a {type(source).__name__}")
    name = filename or "STDIN"
    return [obj for doc, line in _parse_text(source, name) for obj in _check(doc, name, line)]


def manifest_sources(paths: Iterable[str]) -> list[tuple[str, list[dict]]]:
    """``(file, objects)`` for each file named by ``-f`` arguments (directories expanded)."""
    out = []
    for p in paths:
        for f in _files(Path(p)):
            out.append((str(f), load_manifests(read_manifest_file(f), filename=str(f))))
    return out
