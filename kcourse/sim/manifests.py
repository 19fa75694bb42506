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
refused as the API server's request limit would.  Timestamps stay strings,
as they do in the JSON kubectl sends.

Simplified: real kubectl 1.32 silently keeps the *last* of two duplicate
keys (a known trap: the first value vanishes); here a duplicate key is an
error naming both lines, because a course should point the mistake out.
YAML syntax errors carry PyYAML's wording after kubectl's prefix
``error converting YAML to JSON: yaml: line N:``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

import yaml

from .errors import ApiError

__all__ = ["MANIFEST_EXTENSIONS", "MAX_EXPANDED_NODES", "MAX_MANIFEST_BYTES", "load_manifests"]

#: The API server refuses request bodies over 3 MiB; no single manifest can be larger.
MAX_MANIFEST_BYTES = 3 * 1024 * 1024
#: Nodes a document may expand to through aliases before it counts as an alias bomb.
MAX_EXPANDED_NODES = 200_000
MANIFEST_EXTENSIONS = (".yaml", ".yml", ".json")
_STANDARD_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")}


def _error(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


class _Loader(yaml.SafeLoader):
    """SafeLoader without timestamps, refusing duplicate keys and any non-JSON tag."""

    yaml_implicit_resolvers: ClassVar[dict] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag not in _STANDARD_TAGS:
            raise yaml.constructor.ConstructorError(
                None, None, f"tag {node.tag!r} is not allowed in a manifest (only plain YAML/JSON data)",
                node.start_mark)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a scalar",
                                                        key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _DuplicateKey(f'line {line}: mapping key "{key}" already defined at line {seen[key]}')
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


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
        raise _error(f"error parsing {source}: the manifest is larger than the API server's limit of "
                     f"{MAX_MANIFEST_BYTES} bytes")
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
                raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: document contains "
                             "excessive aliasing")
            docs.append((value, line))
    except _DuplicateKey as e:
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: unmarshal errors:\n  {e}") from None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = e.problem or e.context or "invalid YAML"
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: {where}{problem}") from None
    except yaml.reader.ReaderError:
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: control characters are not "
                     "allowed") from None
    except yaml.YAMLError as e:
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: {e}") from None
    except RecursionError:
        raise _error(f"error parsing {source}: error converting YAML to JSON: yaml: exceeded max depth") from None
    finally:
        if loader is not None:
            loader.dispose()
    return docs


def _check(doc: Any, source: str, line: int) -> list[dict]:
    """One decoded document as objects: a List is flattened, anything else must be a typed mapping."""
    if doc is None:
        return []
    if not isinstance(doc, dict):
        gotype = "array" if isinstance(doc, list) else "string" if isinstance(doc, str) else "number" \
            if isinstance(doc, (int, float)) and not isinstance(doc, bool) else "bool"
        raise _error(f'unable to decode "{source}": json: cannot unmarshal {gotype} into Go value of type '
                     "unstructured.detector")
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
        raise _error(f'error validating "{source}"{where}: error validating data: {listed}; if you choose to '
                     "ignore these errors, turn validation off with --validate=false")
    for field in ("apiVersion", "kind"):
        if not isinstance(doc[field], str):
            gotype = "array" if isinstance(doc[field], list) else "object" if isinstance(doc[field], dict) else \
                "number" if isinstance(doc[field], (int, float)) and not isinstance(doc[field], bool) else "bool"
            raise _error(f'unable to decode "{source}": json: cannot unmarshal {gotype} into Go struct field '
                         f".{field} of type string")
    if not isinstance(doc.get("metadata", {}), dict):
        raise _error(f'unable to decode "{source}": .metadata: expected an object')
    if str(doc["kind"]).endswith("List") and isinstance(doc.get("items"), list):
        out: list[dict] = []
        for item in doc["items"]:
            out.extend(_check(item, source, line))
        return out
    return [doc]


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix in MANIFEST_EXTENSIONS)
    if not path.exists():
        raise _error(f'the path "{path}" does not exist')
    return [path]


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and ":" not in text.split("/")[0] and len(text) < 4096 and bool(text.strip())


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
    if isinstance(source, Path) or (isinstance(source, str) and _looks_like_path(source)
                                    and (Path(source).exists() or source.endswith(MANIFEST_EXTENSIONS))):
        path = Path(source)
        out = []
        for f in _files(path):
            out.extend(load_manifests(f.read_text(), filename=str(f) if filename is None else filename))
        return out
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8")
        except UnicodeDecodeError:
            raise _error(f"error parsing {filename or 'STDIN'}: error converting YAML to JSON: yaml: invalid "
                         "leading UTF-8 octet") from None
    if not isinstance(source, str):
        raise _error(f"cannot read a manifest from a {type(source).__name__}")
    name = filename or "STDIN"
    return [obj for doc, line in _parse_text(source, name) for obj in _check(doc, name, line)]


def manifest_sources(paths: Iterable[str]) -> list[tuple[str, list[dict]]]:
    """``(file, objects)`` for each file named by ``-f`` arguments (directories expanded)."""
    out = []
    for p in paths:
        for f in _files(Path(p)):
            out.append((str(f), load_manifests(f.read_text(), filename=str(f))))
    return out
