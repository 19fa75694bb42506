"""``kubectl events``: every event of a namespace (or all), oldest first, as ``pkg/cmd/events`` prints them.

The list is sorted by time with Go's unstable ``sort.Sort`` (:mod:`.gosort`) on the time ``eventTime()``
picks (the series' last observation, else ``lastTimestamp``, else ``eventTime``), so events of the same
instant come out in the order kubectl leaves them.  ``LAST SEEN`` is ``duration.HumanDuration`` of the time
since the first sighting, with ``(xN over …)`` for a repeated event (``event_printer.go``).  ``--for`` filters
with the field selector kubectl sends (``involvedObject.kind``, ``.apiVersion`` and ``.name``), ``--types``
keeps the types named (case-insensitive); ``-o`` prints the sorted ``EventList`` as the typed Go object.

Simplified: no ``--watch``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..objects import parse_timestamp
from ..resources import lookup
from .gosort import go_sort
from .printers import human_duration, tabulate

if TYPE_CHECKING:
    from . import Args, Kubectl

__all__ = ["event_time", "run_events", "typed_event"]


def event_time(e: dict) -> float:
    """``eventTime()`` of ``events.go``: what kubectl sorts events by."""
    series = e.get("series") or {}
    when = series.get("lastObservedTime") if series else e.get("lastTimestamp") or e.get("eventTime")
    return parse_timestamp(when) if when else float("-inf")


def _since(ts: str | None, now: float) -> str:
    return human_duration(now - parse_timestamp(ts)) if ts else "<unknown>"


def interval(e: dict, now: float) -> str:
    """``getInterval``: the age of the first sighting, and the repeat count of a series or a counted event."""
    first = _since(e.get("eventTime") or e.get("firstTimestamp"), now)
    series = e.get("series")
    if series:
        return f"{_since(series.get('lastObservedTime'), now)} (x{series.get('count', 0)} over {first})"
    if (e.get("count") or 0) > 1:
        return f"{_since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
    return first


def typed_event(e: dict) -> dict:
    """An Event as the typed ``corev1.Event`` encodes it: the fields without ``omitempty`` always appear."""
    out = {"apiVersion": "v1", "kind": "Event", **e}
    for key in ("eventTime", "firstTimestamp", "lastTimestamp"):
        out.setdefault(key, None)
    out.setdefault("involvedObject", {})
    out.setdefault("source", {})
    out.setdefault("reportingComponent", "")
    out.setdefault("reportingInstance", "")
    out["metadata"] = {"creationTimestamp": None, **(e.get("metadata") or {})}
    return dict(sorted(out.items()))


def run_events(k: Kubectl, args: Args) -> int:
    from . import KubectlError

    types = [t for v in args.get("types") or [] for t in ([v] if isinstance(v, str) else v)]
    for t in types:
        if t.lower() not in ("normal", "warning"):
            raise KubectlError("valid --types are Normal or Warning")
    selector = None
    for_object = args.get("for") or ""
    if for_object:
        if "/" not in for_object:
            raise KubectlError("--for must be in resource/name form")
        parts = for_object.split("/")
        if len(parts) != 2:
            raise KubectlError("arguments in resource/name form may not have more than one slash")
        rt = lookup(parts[0].lower())
        if rt is None:
            raise KubectlError(f'the server doesn\'t have a resource type "{parts[0].lower()}"', "bare")
        selector = (
            f"involvedObject.kind={rt.kind},involvedObject.apiVersion={rt.api_version},"
            f"involvedObject.name={parts[1]}"
        )
    all_ns = bool(args.get("all-namespaces"))
    ns = None if all_ns else k._namespace(args)
    items = k._client().list("events", ns, field_selector=selector)["items"]
    items = [e for e in items if not types or any(t.lower() == (e.get("type") or "").lower() for t in types)]
    if not items:
        k._eprint("No events found.\n" if all_ns else f"No events found in {ns} namespace.\n")
        return 0
    items = go_sort(items, lambda a, b: event_time(a) < event_time(b))
    output = args.get("output") or ""
    if output:
        data: Any = {
            "apiVersion": "v1",
            "items": [typed_event(e) for e in items],
            "kind": "EventList",
            "metadata": {},
        }
        k._print_data(data, output)
        return 0
    now = k.age_now
    rows: list[list[str]] = []
    if not args.get("no-headers"):
        rows.append((["NAMESPACE"] if all_ns else []) + ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"])
    for e in items:
        involved = e.get("involvedObject") or {}
        rows.append(
            ([e["metadata"].get("namespace", "")] if all_ns else [])
            + [
                interval(e, now),
                e.get("type", ""),
                e.get("reason", ""),
                f"{involved.get('kind', '')}/{involved.get('name', '')}",
                (e.get("message") or "").strip(),
            ]
        )
    k._print(tabulate(rows))
    return 0
