"""The chapter review: each learning objective, where it is taught, and how the learner did on it.

Where an objective is taught is read from the notebooks themselves rather
than kept in a second list that could drift: a chapter notebook ends with
its own short knowledge check, ``quiz.show("ch04", "<section>")``, so the
sections a notebook checks are the sections it teaches.  An objective is
taught wherever the sections of its questions are.

How the learner did comes from the progress file (``$KCOURSE_PROGRESS`` or
``~/.kcourse/progress.json``) through :class:`kcourse.quiz.Progress`; with no
progress every objective is "not started", so an executed notebook stores
the same output on every machine.  The hands-on challenges
(:mod:`kcourse.challenges`) record their checks in the same file; each
objective shows how many of its challenges are solved, beside its quiz
score, and a second table lists every challenge.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kcourse.quiz import Bank, Progress

__all__ = [
    "ChallengeRow",
    "ObjectiveReview",
    "Review",
    "challenge_rows",
    "review",
    "section_scores",
    "taught_in",
]

_SHOW = r"quiz\.show\(\s*[\"']{chapter}[\"']\s*,\s*(?:section\s*=\s*)?[\"']([\w-]+)[\"']"


def taught_in(notebooks: str | Path, chapter: str) -> dict[str, tuple[str, ...]]:
    """Section id → the notebooks (file names, sorted) whose code shows that section's knowledge check."""
    pattern = re.compile(_SHOW.format(chapter=re.escape(chapter)))
    found: dict[str, set[str]] = {}
    for path in sorted(Path(notebooks).glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = "".join(cell.get("source", ""))
            for section in pattern.findall(source):
                found.setdefault(section, set()).add(path.name)
    return {section: tuple(sorted(names)) for section, names in sorted(found.items())}


@dataclass(frozen=True)
class ObjectiveReview:
    """One objective: its text, where it is taught and the learner's results on its questions."""

    id: str
    text: str
    sections: tuple[str, ...]
    notebooks: tuple[str, ...]
    questions: int
    answered: int
    correct: int
    earned: float
    possible: float
    challenges: int = 0
    solved: int = 0

    @property
    def status(self) -> str:
        if self.answered == 0:
            return "not started"
        if self.correct == self.questions:
            return "mastered"
        return "in progress"


@dataclass(frozen=True)
class ChallengeRow:
    """One hands-on challenge and how the learner did: never tried, tried, solved."""

    name: str
    title: str
    section: str
    objective: str
    checks: int
    solved: bool
    revealed: bool

    @property
    def status(self) -> str:
        if self.solved:
            return "solved"
        if self.checks == 0:
            return "revealed" if self.revealed else "not started"
        return "solution shown" if self.revealed else "in progress"


def challenge_rows(chapter: str, progress: Progress | None = None) -> list[ChallengeRow]:
    """Every challenge of ``chapter`` in course order, with its checks from the progress file ([] if none)."""
    from kcourse import challenges
    from kcourse.challenges.progress import results

    try:
        specs = [challenges.spec(name) for name in challenges.names(chapter)]
    except ValueError:
        return []
    progress = progress if progress is not None else Progress()
    entries = results(chapter, progress)
    return [
        ChallengeRow(
            s.name,
            s.title,
            s.section,
            s.objective,
            int(entries.get(s.name, {}).get("attempts", 0)),
            bool(entries.get(s.name, {}).get("correct")),
            bool(entries.get(s.name, {}).get("revealed")),
        )
        for s in specs
    ]


def review(
    bank: Bank, progress: Progress | None = None, notebooks: str | Path | None = None
) -> list[ObjectiveReview]:
    """Every objective of ``bank`` in bank order, with where it is taught and the learner's results."""
    progress = progress if progress is not None else Progress()
    entries = progress.chapter(bank.chapter)
    where = taught_in(notebooks, bank.chapter) if notebooks is not None else {}
    tried = challenge_rows(bank.chapter, progress)
    out = []
    for objective in bank.objectives:
        questions = [q for q in bank.questions if q.objective == objective.id]
        sections = tuple(dict.fromkeys(q.section for q in questions))
        names = tuple(sorted({n for s in sections for n in where.get(s, ())}))
        earned, possible = progress.score(bank.chapter, questions) if questions else (0.0, 0.0)
        out.append(
            ObjectiveReview(
                id=objective.id,
                text=objective.text,
                sections=sections,
                notebooks=names,
                questions=len(questions),
                answered=sum(1 for q in questions if entries.get(q.id, {}).get("attempts", 0) > 0),
                correct=sum(1 for q in questions if entries.get(q.id, {}).get("correct")),
                earned=earned,
                possible=possible,
                challenges=sum(1 for c in tried if c.objective == objective.id),
                solved=sum(1 for c in tried if c.objective == objective.id and c.solved),
            )
        )
    return out


def section_scores(bank: Bank, progress: Progress | None = None) -> list[tuple[str, int, int, float, float]]:
    """Per section, in bank order: (title, questions, answered, points earned, points possible)."""
    progress = progress if progress is not None else Progress()
    entries = progress.chapter(bank.chapter)
    rows = []
    for section in bank.sections:
        questions = bank.in_section(section.id)
        earned, possible = progress.score(bank.chapter, questions)
        answered = sum(1 for q in questions if entries.get(q.id, {}).get("attempts", 0) > 0)
        rows.append((section.title, len(questions), answered, earned, possible))
    return rows


class Review:
    """The review as a notebook output: an HTML table with links, and the same as plain text."""

    def __init__(self, bank: Bank, progress: Progress | None = None, notebooks: str | Path = "."):
        self.bank = bank
        self.rows = review(bank, progress, notebooks)
        self.challenges = challenge_rows(bank.chapter, progress)

    def text(self) -> str:
        lines = [f"Learning objectives of {self.bank.chapter}: {self.bank.title}"]
        for i, r in enumerate(self.rows, 1):
            lines += [
                f"{i}. {r.text}",
                f"   taught in: {', '.join(r.notebooks) or '(no notebook checks it yet)'}",
                (
                    f"   quiz: {r.answered}/{r.questions} questions answered, {r.correct} correct, "
                    f"{r.earned:g}/{r.possible:g} points: {r.status}"
                ),
            ]
            if r.challenges:
                lines.append(f"   challenges: {r.solved} of {r.challenges} solved")
        if self.challenges:
            solved = sum(1 for c in self.challenges if c.solved)
            lines.append(
                f"Hands-on challenges of {self.bank.chapter}: {solved} of {len(self.challenges)} solved"
                + "".join(f"; {c.name} {c.status}" for c in self.challenges if c.status != "not started")
            )
        return "\n".join(lines)

    def html(self) -> str:
        e = html.escape
        head = "".join(
            f'<th style="text-align:left">{h}</th>'
            for h in ("Objective", "Taught in", "Answered", "Points", "Status", "Challenges")
        )
        body = []
        for r in self.rows:
            links = "<br>".join(f'<a href="{e(n)}">{e(n.removesuffix(".ipynb"))}</a>' for n in r.notebooks)
            body.append(
                "<tr>"
                + "".join(
                    f'<td style="text-align:left;vertical-align:top">{c}</td>'
                    for c in (
                        e(r.text),
                        links or "—",
                        f"{r.answered} / {r.questions}",
                        f"{r.earned:g} / {r.possible:g}",
                        e(r.status),
                        f"{r.solved} / {r.challenges} solved" if r.challenges else "—",
                    )
                )
                + "</tr>"
            )
        table = (
            f"<table><caption style='text-align:left'>Learning objectives of {e(self.bank.chapter)}: "
            f"{e(self.bank.title)}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            "</tbody></table>"
        )
        if not self.challenges:
            return table
        cells = "".join(
            "<tr>"
            + "".join(
                f'<td style="text-align:left">{c}</td>'
                for c in (
                    e(ch.title),
                    f"<code>{e(ch.name)}</code>",
                    e(ch.section),
                    str(ch.checks),
                    e(ch.status),
                )
            )
            + "</tr>"
            for ch in self.challenges
        )
        head2 = "".join(
            f'<th style="text-align:left">{h}</th>'
            for h in ("Challenge", "Name", "Section", "Checks", "Status")
        )
        return (
            table + f"<table><caption style='text-align:left'>Hands-on challenges of "
            f"{e(self.bank.chapter)}</caption><thead><tr>{head2}</tr></thead><tbody>{cells}</tbody></table>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:  # noqa: ARG002  IPython's display protocol passes include/exclude by keyword
        return {"text/plain": self.text(), "text/html": self.html()}

    def __repr__(self) -> str:
        return f"<kcourse Review {self.bank.chapter}: {len(self.rows)} objectives>"
