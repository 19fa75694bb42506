"""One learner working through a bank: order, hints, attempts, grading, saving.

Both front ends (the widget and ``kcourse quiz take``) drive a session and
only display what it returns, so the rules live in one place: options are
shuffled with a seed (the same seed gives the same order on every machine);
an ordering or matching question is never shown in its key's order; a
simulation question's answer is computed when it is first checked; invalid
answers cost no attempt; the attempt limit counts saved attempts, so it
survives a kernel restart.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kcourse.quiz.grading import grade
from kcourse.quiz.model import Bank, Feedback, Question
from kcourse.quiz.progress import Progress
from kcourse.quiz.scenario import ClusterFactory, ScenarioError, resolve

__all__ = ["Layout", "QuizSession", "layout", "shuffled"]


def shuffled(values: Sequence[str], seed: int, key: str, avoid: Sequence[str] | None = None) -> tuple[str, ...]:
    """``values`` in a seeded order; never equal to ``avoid`` when there is any other order.

    ``random.Random`` seeded with a string is stable across Python runs and
    platforms (it hashes the string with SHA-512), unlike ``hash()``.
    """
    out = list(values)
    random.Random(f"{seed}:{key}").shuffle(out)
    if avoid is not None and len(set(out)) > 1 and out == list(avoid):
        out = out[1:] + out[:1]
    return tuple(out)


@dataclass(frozen=True)
class Layout:
    """What the learner sees of a question's choices, in display order; never the key."""

    options: tuple[str, ...] = ()   # single, multiple, true/false, choice simulation
    lefts: tuple[str, ...] = ()     # matching: items to match, in bank order
    rights: tuple[str, ...] = ()    # matching: the choices, shuffled
    items: tuple[str, ...] = ()     # ordering: shuffled, never in the right order


def layout(q: Question, seed: int) -> Layout:
    """The display order of ``q``'s choices for shuffle seed ``seed``."""
    if q.type in ("single", "multiple") or (q.type == "simulation" and q.options):
        texts = q.option_texts
        return Layout(options=shuffled(texts, seed, q.id) if q.shuffle else texts)
    if q.type == "true_false":
        return Layout(options=("True", "False"))
    if q.type == "matching":
        rights = [r for _, r in q.pairs] + list(q.distractors)
        return Layout(lefts=tuple(left for left, _ in q.pairs),
                      rights=shuffled(rights, seed, q.id, avoid=rights))
    if q.type == "ordering":
        return Layout(items=shuffled(q.items, seed, q.id, avoid=q.items))
    return Layout()


class QuizSession:
    """A bank (or one of its sections) being answered, with progress saved to ``progress``."""

    def __init__(self, bank: Bank, section: str | None = None, progress: Progress | None = None,
                 seed: int | None = None, factory: ClusterFactory | None = None):
        self.bank = bank
        self.section = section
        self.questions = bank.in_section(section)
        self.seed = bank.seed if seed is None else seed
        self.progress = progress if progress is not None else Progress()
        self.factory = factory
        self._hints: dict[str, int] = {}
        self._resolved: dict[str, Question] = {}

    def layout(self, q: Question) -> Layout:
        return layout(q, self.seed)

    def hint(self, qid: str) -> str | None:
        """The next hint of ``qid`` (they come one at a time), or None when none are left."""
        q = self.bank.question(qid)
        shown = self._hints.get(qid, 0)
        if shown >= len(q.hints):
            return None
        self._hints[qid] = shown + 1
        return q.hints[shown]

    def hints_left(self, qid: str) -> int:
        return len(self.bank.question(qid).hints) - self._hints.get(qid, 0)

    def attempts_used(self, qid: str) -> int:
        return self.progress.attempts(self.bank.chapter, qid)

    def attempts_left(self, qid: str) -> int | None:
        """How many graded attempts remain; None means unlimited."""
        q = self.bank.question(qid)
        return None if q.attempts is None else max(0, q.attempts - self.attempts_used(qid))

    def _keyed(self, q: Question) -> Question:
        if q.id not in self._resolved:
            self._resolved[q.id] = resolve(q, self.factory)
        return self._resolved[q.id]

    def unavailable(self, qid: str) -> str | None:
        """Why ``qid`` cannot be checked now (its scenario fails), or None if it can."""
        try:
            self._keyed(self.bank.question(qid))
        except ScenarioError as exc:
            return f"The scenario could not be run, so this cannot be checked: {exc}"
        return None

    def check(self, qid: str, answer: Any) -> Feedback:
        """Grade one answer and save it if it was a real attempt."""
        q = self.bank.question(qid)
        if self.attempts_left(qid) == 0:
            return Feedback(valid=False, message=f"No attempts left ({q.attempts} allowed).")
        problem = self.unavailable(qid)
        if problem:
            return Feedback(valid=False, message=problem)
        feedback = grade(self._keyed(q), answer)
        if feedback.valid:
            self.progress.record(self.bank.chapter, q, feedback)
        return feedback

    def score(self, section: str | None = None) -> tuple[float, float]:
        """(points earned, points possible) for a section, or for this session's questions."""
        questions = self.bank.in_section(section) if section is not None else self.questions
        return self.progress.score(self.bank.chapter, questions)

    def chapter_score(self) -> tuple[float, float]:
        return self.progress.score(self.bank.chapter, self.bank.questions)
