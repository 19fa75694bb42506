"""The describer of a kind with none of its own: every field of the object, labelled as
``GenericDescriberFor`` does (``pkg/describe/describe.go``'s ``printUnstructuredContent``).

Simplified: the fields as read, with no per-kind layout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .describe_writer import (
    _annotations,
    _events,
    _labels,
    _Writer,
)

if TYPE_CHECKING:
    from .describe import Context


_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}


def _camel_split(field: str) -> list[str]:
    """``fatih/camelcase.Split``: runs of one character class, an upper-case letter moved to the lower-case
    run after it (``HTTPServer`` → ``HTTP``, ``Server``)."""
    runs: list[str] = []
    last = None
    for ch in field:
        cls = 1 if ch.islower() else 2 if ch.isupper() else 3 if ch.isdigit() else 4
        if cls == last:
            runs[-1] += ch
        else:
            runs.append(ch)
        last = cls
    for i in range(len(runs) - 1):
        if runs[i][0].isupper() and runs[i + 1][0].islower():
            runs[i + 1] = runs[i][-1] + runs[i + 1]
            runs[i] = runs[i][:-1]
    return [r for r in runs if r]


def smart_label(field: str) -> str:
    """``smartLabelFor``: ``holderIdentity`` → ``Holder Identity``, ``apiVersion`` → ``API Version``."""
    if any(not (ch.isalpha() or ch == "-") for ch in field):
        return field
    return " ".join(
        part.upper() if part.upper() in _ACRONYMS else part[:1].upper() + part[1:]
        for part in _camel_split(field)
        if part != "_"
    )


def _go_value(v: Any) -> str:
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return str(v).lower()
    return str(v)


_GENERIC_SKIP = {
    ".metadata.managedFields",
    ".metadata.name",
    ".metadata.namespace",
    ".metadata.labels",
    ".metadata.annotations",
}


def _unstructured(w: _Writer, level: int, content: dict, prefix: str) -> None:
    """``printUnstructuredContent``: every field, sorted, with smart labels."""
    for field in sorted(content):
        value, path = content[field], f"{prefix}.{field}"
        if path in _GENERIC_SKIP:
            continue
        if isinstance(value, dict):
            w.write(level, f"{smart_label(field)}:\n")
            _unstructured(w, level + 1, value, path)
        elif isinstance(value, list):
            w.write(level, f"{smart_label(field)}:\n")
            for child in value:
                if isinstance(child, dict):
                    _unstructured(w, level + 1, child, path)
                else:
                    w.write(level + 1, f"{_go_value(child)}\n")
        else:
            w.write(level, f"{smart_label(field)}:\t{_go_value(value)}\n")


def describe_generic(obj: dict, ctx: Context) -> str:
    """``genericDescriber``: every field of the object as read, for kinds without a describer of their own."""
    md = obj["metadata"]
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    _unstructured(w, 0, obj, "")
    _events(w, ctx.events_for(obj), ctx.now)
    return w.text()
