"""Measure a picture as a notebook page shows it, from the rendered SVG alone.

These helpers read only what a browser reads — the ``<svg>`` element's
``viewBox``, ``width`` and ``max-width``, each ``font-size``, each shape's
``fill`` and each ``<text>``'s position — so the tests check what the
learner sees, not what the drawing code meant to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_PX = 960  # a JupyterLab output area at 1400 px window width
WHITE, DARK = "#FFFFFF", "#111111"  # JupyterLab's light and dark backgrounds
NAMED = {"white": "#FFFFFF", "black": "#000000", "none": None, "transparent": None}


@dataclass(frozen=True)
class Fitted:
    natural_px: float  # the width the picture asks for (its max-width, or its width at full size)
    shown_px: float  # its width in a 960 px output area
    aspect: float  # width : height of the viewBox
    min_text_px: float  # the smallest font-size once shown at shown_px


def _svg_tag(markup: str) -> str:
    tag = re.search(r"<svg\b[^>]*>", markup)
    assert tag, "no <svg> element"
    return tag.group(0)


def measure(markup: str, page_px: float = PAGE_PX) -> Fitted:
    """How wide the picture is shown in an output area ``page_px`` wide, and its smallest text there."""
    tag = _svg_tag(markup)
    _, _, vb_w, vb_h = (
        float(v) for v in re.search(r'viewBox="([^"]+)"', tag).group(1).replace(",", " ").split()
    )
    width = re.search(r'\bwidth="([^"]+)"', tag).group(1)
    max_width = re.search(r"max-width:\s*([0-9.]+)px", tag)
    if width.endswith("%"):
        assert max_width, "a picture scaled to its container needs a max-width, or it blows small pictures up"
        natural = float(max_width.group(1))
    else:
        natural = (
            float(width.removesuffix("pt")) * 4 / 3
            if width.endswith("pt")
            else float(width.removesuffix("px"))
        )
    shown = min(page_px, natural)
    fonts = [float(f) for f in re.findall(r'font-size="([0-9.]+)"', markup)]
    return Fitted(natural, shown, vb_w / vb_h, min(fonts) * shown / vb_w)


def _points(attrs: str) -> list[tuple[float, float]]:
    for name in ("points", "d"):
        m = re.search(rf'\b{name}="([^"]+)"', attrs)
        if m:
            nums = [float(n) for n in re.findall(r"-?[0-9]+(?:\.[0-9]+)?", m.group(1))]
            return list(zip(nums[::2], nums[1::2]))
    cx, cy, rx, ry = (float(re.search(rf'\b{a}="([^"]+)"', attrs).group(1)) for a in ("cx", "cy", "rx", "ry"))
    return [(cx - rx, cy - ry), (cx + rx, cy + ry)]


def _colour(value: str | None) -> str | None:
    if value is None:
        return "#000000"
    return NAMED.get(value.lower(), value.upper())


def text_on_backgrounds(markup: str) -> list[tuple[str, str, str]]:
    """(text, its colour, the fill it sits on) for every ``<text>``: the last filled shape drawn under it.

    A text with no filled shape under it sits on the page itself; its
    background is reported as ``None``.
    """
    out = []
    shapes: list[tuple[float, float, float, float, str]] = []
    for m in re.finditer(r"<(polygon|path|ellipse|text)\b([^>]*)>([^<]*)", markup):
        kind, attrs, body = m.groups()
        fill = re.search(r'\bfill="([^"]+)"', attrs)
        if kind != "text":
            colour = _colour(fill.group(1)) if fill else "#000000"
            if colour is not None:
                pts = _points(attrs)
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                shapes.append((min(xs), min(ys), max(xs), max(ys), colour))
            continue
        x = float(re.search(r'\bx="([^"]+)"', attrs).group(1))
        y = float(re.search(r'\by="([^"]+)"', attrs).group(1))
        size = float(re.search(r'font-size="([^"]+)"', attrs).group(1))
        y -= size / 3  # the middle of the glyphs, above the baseline
        under = [s for s in shapes if s[0] - 0.5 <= x <= s[2] + 0.5 and s[1] - 0.5 <= y <= s[3] + 0.5]
        out.append((body, _colour(fill.group(1) if fill else None), under[-1][4] if under else None))
    return out


def edge_strokes(markup: str) -> set[str]:
    """The stroke colours of every edge and every node outline drawn straight on the page (clusters)."""
    strokes = set()
    for group in re.finditer(r'<g id="[^"]*" class="(edge|cluster)">(.*?)</g>', markup, re.DOTALL):
        for stroke in re.findall(r'<path\b[^>]*\bstroke="([^"]+)"', group.group(2)):
            if _colour(stroke) is not None:
                strokes.add(_colour(stroke))
    return strokes
