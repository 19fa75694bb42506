"""The pieces of ``pkg/describe/describe.go`` every describer writes with: Go's ``tabwriter``,
the ``PrefixWriter`` that indents by level, RFC 1123 times and the shared label, annotation, toleration and
Events sections.

Simplified: ``tabwriter`` is the subset describe uses (minimum width 0, padding 2, no flags).
"""

from __future__ import annotations

from ..objects import EPOCH, parse_timestamp
from .gosort import go_sort
from .printers import since

_RFC1123Z = "%a, %d %b %Y %H:%M:%S +0000"


GO_ZERO_TIME = "Mon, 01 Jan 0001 00:00:00 +0000"


def rfc1123(ts: str | None) -> str:
    if not ts:
        return "<unset>"
    from datetime import timedelta

    return (EPOCH + timedelta(seconds=parse_timestamp(ts))).strftime(_RFC1123Z)


def go_tabwriter(text: str, minwidth: int = 0, padding: int = 2) -> str:
    """Go's ``text/tabwriter`` (no flags): tab-terminated cells aligned per column block."""
    lines = [line.split("\t") for line in text.split("\n")]
    out: list[str] = []

    def write(line0: int, line1: int, widths: list[int]) -> None:
        for cells in lines[line0:line1]:
            parts = [c.ljust(widths[j]) if j < len(widths) else c for j, c in enumerate(cells[:-1])]
            out.append("".join(parts) + cells[-1])

    def fmt(line0: int, line1: int, widths: list[int]) -> None:
        column = len(widths)
        this = line0
        while this < line1:
            if column >= len(lines[this]) - 1:
                this += 1
                continue
            write(line0, this, widths)
            line0 = this
            width = minwidth
            while this < line1 and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            fmt(line0, this, widths + [width])
            line0 = this
        write(line0, line1, widths)

    fmt(0, len(lines), [])
    return "\n".join(out)


class _Writer:
    """describe.go's PrefixWriter: levels of two spaces, text gathered for one tabwriter pass."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def text(self) -> str:
        return go_tabwriter("".join(self.parts))


def _multiline(
    w: _Writer, level: int, title: str, items: dict | None, sep: str = "=", skip: tuple[str, ...] = ()
) -> None:
    items = {k: v for k, v in (items or {}).items() if k not in skip}
    w.write(level, f"{title}:\t")
    if not items:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(items)):
        if i:
            w.write(0, "\t")  # describe.go's continuation lines carry no indent of their own
        w.write(0, f"{key}{sep}{items[key]}\n")


def _labels(w: _Writer, level: int, title: str, labels: dict | None) -> None:
    _multiline(w, level, title, labels)


#: describe.go's ``maxAnnotationLen``: a longer annotation goes on lines of its own, each cut at this length.
MAX_ANNOTATION_LEN = 140


def _annotations(w: _Writer, level: int, annotations: dict | None) -> None:
    """``printAnnotationsMultiline``: sorted, the last-applied configuration left out, long or multi-line
    values on their own lines."""
    items = {
        k: v
        for k, v in (annotations or {}).items()
        if k != "kubectl.kubernetes.io/last-applied-configuration"
    }
    w.write(level, "Annotations:\t")
    if not items:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(items)):
        if i:
            w.write(0, "\t")
        value = str(items[key]).removesuffix("\n")
        if len(value) + len(key) + 2 > MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                cut = MAX_ANNOTATION_LEN - 2
                w.write(0, f"\t  {line[:cut] + '...' if len(line) > cut else line}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def _tolerations(w: _Writer, level: int, tolerations: list[dict] | None) -> None:
    w.write(level, "Tolerations:\t")
    if not tolerations:
        w.write(0, "<none>\n")
        return
    for i, t in enumerate(tolerations):
        if i:
            w.write(0, "\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def _last_seen(e: dict) -> float:
    return parse_timestamp(e["lastTimestamp"]) if e.get("lastTimestamp") else float("-inf")


def _events(w: _Writer, events: list[dict], now: float) -> None:
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    w.write(0, "Events:\n")
    w.write(1, "Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in go_sort(events, lambda a, b: _last_seen(a) < _last_seen(b)):
        first = since(e.get("firstTimestamp"), now)
        count = e.get("count") or 1
        interval = f"{since(e.get('lastTimestamp'), now)} (x{count} over {first})" if count > 1 else first
        source = (e.get("source") or {}).get("component") or e.get("reportingComponent", "")
        w.write(
            1,
            f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
            f"{(e.get('message') or '').strip()}\n",
        )
