"""One learner working through a bank: order, hints, attempts, grading, saving.

Both front ends (the widget and ``kcourse quiz take``) drive a session and
only display what it returns, so the rules live in one place: options are
shuffled with a seed (the same seed gives the same order on every machine);
an ordering or matching question is never shown in its key's order; a
simulation question's answer is computed when it is first checked; invalid
answers cost no attempt; the attempt limit counts saved attempts, so it
survives a kernel restart.

When the explanation shows: after a correct answer; after
:data:`REVEAL_AFTER` graded attempts that were not fully correct; after the
last attempt a bank allows; at once for a simulation question (a prediction
checked against what the cluster did, so its outcome is the lesson); and on
"Show answer" (:meth:`QuizSession.reveal`).  Shown without a correct answer,
the question is recorded as revealed and earns no more points
(:mod:`kcourse.quiz.progress` explains the score).  Until then a Feedback
carries no explanation, no key and no outcome.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kcourse.quiz.grading import grade, key_text
from kcourse.quiz.model import Bank, Feedback, Question
from kcourse.quiz.progress import Progress, ProgressError
from kcourse.quiz.scenario import ClusterFactory, ScenarioError, resolve

__all__ = ["REVEAL_AFTER", "Layout", "QuizSession", "layout", "shuffled"]

#: Graded attempts after which the explanation of a not fully correct answer is shown.
REVEAL_AFTER = 2


def shuffled(
    values: Sequence[str], seed: int, key: str, avoid: Sequence[str] | None = None
) -> tuple[str, ...]:
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

    options: tuple[str, ...] = ()  # single, multiple, true/false, choice simulation
    lefts: tuple[str, ...] = ()  # matching: items to match, in bank order
    rights: tuple[str, ...] = ()  # matching: the choices, shuffled
    items: tuple[str, ...] = ()  # ordering: shuffled, never in the right order


def layout(q: Question, seed: int) -> Layout:
    """The display order of ``q``'s choices for shuffle seed ``seed``."""
    if q.type in ("single", "multiple") or (q.type == "simulation" and q.options):
        texts = q.option_texts
        return Layout(options=shuffled(texts, seed, q.id) if q.shuffle else texts)
    if q.type == "true_false":
        return Layout(options=("True", "False"))
    if q.type == "matching":
        rights = [r for _, r in q.pairs] + list(q.distractors)
        return Layout(
            lefts=tuple(left for left, _ in q.pairs), rights=shuffled(rights, seed, q.id, avoid=rights)
        )
    if q.type == "ordering":
        return Layout(items=shuffled(q.items, seed, q.id, avoid=q.items))
    return Layout()


class QuizSession:
    """A bank (or one of its sections) being answered, with progress saved to ``progress``."""

    def __init__(
        self,
        bank: Bank,
        section: str | None = None,
        progress: Progress | None = None,
        seed: int | None = None,
        factory: ClusterFactory | None = None,
    ):
        self.bank = bank
        self.section = section
        self.questions = bank.in_section(section)
        self.seed = bank.seed if seed is None else seed
        self.progress = progress if progress is not None else Progress()
        self.factory = factory
        self._hints: dict[str, int] = {}
        #: Why progress cannot be read or saved (an impossible path), or None.
        self.problem: str | None = None
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

    def _entry(self, qid: str) -> dict[str, Any]:
        """``qid``'s saved entry; {} when the progress file cannot be used (``problem`` says why)."""
        try:
            return self.progress.entry(self.bank.chapter, qid)
        except ProgressError as exc:
            self.problem = str(exc)
            return {}

    def attempts_used(self, qid: str) -> int:
        return int(self._entry(qid).get("attempts", 0))

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

    def _opens(self, q: Question, fb: Feedback, used: int) -> bool:
        """Whether the attempt numbered ``used`` (graded as ``fb``) shows the explanation."""
        return (
            fb.correct
            or q.type == "simulation"
            or used >= REVEAL_AFTER
            or (q.attempts is not None and used >= q.attempts)
        )

    def _shown(self, fb: Feedback, entry: dict[str, Any]) -> Feedback:
        """``fb`` with what the learner may see now, given the question's saved ``entry``."""
        if not (fb.correct or entry.get("revealed")):
            return dataclasses.replace(fb, explanation="", outcome="", key="")
        if entry.get("revealed") and fb.score > float(entry.get("best", 0.0)):
            return dataclasses.replace(
                fb, message=fb.message + " The answer had been shown, so this earns no points."
            )
        return fb

    def check(self, qid: str, answer: Any) -> Feedback:
        """Grade one answer, save it if it was a real attempt, and say what the learner may see."""
        q = self.bank.question(qid)
        if self.attempts_left(qid) == 0:
            return Feedback(valid=False, message=f"No attempts left ({q.attempts} allowed).")
        problem = self.unavailable(qid)
        if problem:
            return Feedback(valid=False, message=problem)
        feedback = grade(self._keyed(q), answer)
        if not feedback.valid:
            return feedback
        before = self._entry(qid)
        opens = self._opens(q, feedback, int(before.get("attempts", 0)) + 1)
        try:
            entry = self.progress.record(
                self.bank.chapter, q, feedback, answer=answer, reveal=opens and not feedback.correct
            )
        except ProgressError as exc:
            self.problem = str(exc)
            shown = self._shown(feedback, {"revealed": opens})
            return dataclasses.replace(shown, message=f"{shown.message} (Not saved: {exc})")
        return self._shown(feedback, entry)

    def reveal(self, qid: str) -> Feedback:
        """ "Show answer": the key, the explanation and (simulation) the outcome; recorded as revealed."""
        q = self.bank.question(qid)
        problem = self.unavailable(qid)
        if problem:
            return Feedback(valid=False, message=problem)
        keyed = self._keyed(q)
        note = ""
        try:
            entry = self.progress.reveal(self.bank.chapter, q)
        except ProgressError as exc:
            self.problem = str(exc)
            entry, note = {}, f" (Not saved: {exc})"
        outcome = f"The scenario's cluster gave: {key_text(keyed)}." if q.type == "simulation" else ""
        return Feedback(
            valid=True,
            correct=bool(entry.get("correct")),
            score=float(entry.get("best", 0.0)),
            points=q.points,
            message="Answer shown." + note,
            explanation=q.explanation,
            outcome=outcome,
            key=key_text(keyed),
        )

    def restore(self, qid: str) -> tuple[Any, Feedback | None]:
        """The learner's last graded answer to ``qid`` and what Check said of it, from saved progress.

        (None, None) when there is none, or when what was saved can no longer be
        graded (the bank changed, or the file was edited): a widget then starts blank.
        """
        entry = self._entry(qid)
        if "answer" not in entry:
            return None, None
        q = self.bank.question(qid)
        if self.unavailable(qid):
            return None, None
        fb = grade(self._keyed(q), entry["answer"])
        if not fb.valid:
            return None, None
        return entry["answer"], self._shown(fb, entry)

    def score(self, section: str | None = None) -> tuple[float, float]:
        """(points earned, points possible) for a section, or for this session's questions."""
        questions = self.bank.in_section(section) if section is not None else self.questions
        return self._score(questions)

    def chapter_score(self) -> tuple[float, float]:
        return self._score(self.bank.questions)

    def _score(self, questions: Sequence[Question]) -> tuple[float, float]:
        try:
            return self.progress.score(self.bank.chapter, questions)
        except ProgressError as exc:
            self.problem = str(exc)
            return 0.0, round(sum(q.points for q in questions), 6)
