"""Hands-on challenges: a broken cluster, a goal, and a check that reads the cluster through its API.

A learner starts a challenge, which builds a new simulated cluster in its
starting state (deterministic for a seed; another seed gives another valid
instance), reads the goal, fixes the cluster with ``kubectl`` — in a cell
(``ch.cluster.kubectl(...)``) or with the real ``kubectl`` in a terminal
(``ch.cluster.serve()`` prints the ``export KUBECONFIG=…`` line) — and
checks::

    from kcourse import challenges
    ch = challenges.start("pending-cordoned-node", seed=3)
    print(ch.goal)
    ch.cluster.kubectl("get pods")
    ch.check()                      # .passed, .message

``challenges.show(name)`` is the notebook widget (goal, live status, Check,
Hint, Reset, Show solution), and ``kcourse challenge start NAME`` / ``kcourse
challenge check NAME`` the terminal's path.  Results go into the learner's
progress file beside the quiz answers (:mod:`kcourse.challenges.progress`).
"""

from __future__ import annotations

from typing import Any

from .model import Challenge, ChallengeSpec, CheckResult

__all__ = ["Challenge", "CheckResult", "Overview", "names", "overview", "show", "spec", "start"]

#: Challenge definitions per chapter.
_CHAPTERS = ("ch04",)


def _specs(chapter: str) -> tuple[ChallengeSpec, ...]:
    if chapter not in _CHAPTERS:
        raise ValueError(
            f"no challenges for chapter {chapter!r}; chapters with challenges: {', '.join(_CHAPTERS)}"
        )
    from .ch04 import CHALLENGES

    return CHALLENGES


def names(chapter: str = "ch04") -> list[str]:
    """The challenges of ``chapter``, in the order the course offers them."""
    return [s.name for s in _specs(chapter)]


def spec(name: str) -> ChallengeSpec:
    """A challenge's definition by name; an unknown name says which exist."""
    if not isinstance(name, str):
        raise TypeError(f"a challenge name is text, not {type(name).__name__}")
    for chapter in _CHAPTERS:
        for s in _specs(chapter):
            if s.name == name:
                return s
    import difflib

    known = [s.name for c in _CHAPTERS for s in _specs(c)]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else f"; challenges: {', '.join(known)}"
    raise ValueError(f"no challenge named {name!r}{hint}")


def start(name: str, seed: int = 0) -> Challenge:
    """A new cluster in the starting state of challenge ``name`` (the same seed gives the same instance)."""
    return Challenge.start(spec(name), seed)


def show(name: str, seed: int = 0, **options: Any) -> Any:
    """The notebook widget of challenge ``name``: goal, live status, Check, Hint, Reset, Show solution."""
    from .widget import ChallengeWidget

    return ChallengeWidget(name, seed, **options)


class Overview:
    """The chapter's challenges as a table: title, name, and the section and objective each trains."""

    def __init__(self, chapter: str = "ch04"):
        self.chapter = chapter
        self.specs = _specs(chapter)

    def text(self) -> str:
        width = max(len(s.name) for s in self.specs)
        lines = [f"{len(self.specs)} challenges of {self.chapter}:"]
        lines += [f"  {s.name:{width}}  {s.section:11}  {s.title}" for s in self.specs]
        return "\n".join(lines)

    def html(self) -> str:
        import html

        e = html.escape
        rows = "".join(
            f"<tr><td style='text-align:left'>{e(s.title)}</td><td style='text-align:left'>"
            f"<code>{e(s.name)}</code></td><td style='text-align:left'>{e(s.section)}</td>"
            f"<td style='text-align:left'>{e(s.objective)}</td></tr>"
            for s in self.specs
        )
        head = "".join(
            f"<th style='text-align:left'>{h}</th>" for h in ("Challenge", "Name", "Section", "Objective")
        )
        return (
            f"<table><caption style='text-align:left'>{len(self.specs)} challenges of {e(self.chapter)}"
            f"</caption><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:  # noqa: ARG002  IPython's display protocol passes include/exclude by keyword
        return {"text/plain": self.text(), "text/html": self.html()}


def overview(chapter: str = "ch04") -> Overview:
    """A table of ``chapter``'s challenges, for a notebook or ``print``."""
    return Overview(chapter)
