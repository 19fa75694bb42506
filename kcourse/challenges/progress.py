"""Challenge results in the learner's progress file, beside the quiz answers.

The same file, the same crash-safe writes and the same lock as the
knowledge checks (:class:`kcourse.quiz.Progress`): a challenge is recorded
like a one-point question of the chapter ``<chapter>-challenges`` (so
``kcourse progress`` lists them as a chapter of their own and resetting a
quiz leaves them alone).  Each Check is an attempt; a passed check earns the
point; "Show solution" marks the challenge revealed, after which a pass is
still counted but earns nothing, as "Show answer" does for a question.  No
answer is stored: the check reads the cluster, not what the learner typed.

Simplified: nothing records which seed was solved; any instance counts.
"""

from __future__ import annotations

from typing import Any

from kcourse.quiz.model import Feedback, Question
from kcourse.quiz.progress import Progress

from .model import ChallengeSpec, CheckResult

__all__ = ["SUFFIX", "progress_chapter", "record", "results", "reveal"]

SUFFIX = "-challenges"


def progress_chapter(chapter: str) -> str:
    """The progress file's chapter key for ``chapter``'s challenges: ``ch04-challenges``."""
    return chapter + SUFFIX


def _question(spec: ChallengeSpec) -> Question:
    return Question(
        id=spec.name,
        type="text",
        prompt=spec.title,
        section=spec.section,
        objective=spec.objective,
        points=1.0,
    )


def record(spec: ChallengeSpec, outcome: CheckResult, progress: Progress | None = None) -> dict[str, Any]:
    """Count one Check of ``spec`` and whether it passed; the challenge's entry as now stored."""
    progress = progress if progress is not None else Progress()
    feedback = Feedback(valid=True, correct=outcome.passed, score=1.0 if outcome.passed else 0.0, points=1.0)
    return progress.record(progress_chapter(spec.chapter), _question(spec), feedback)


def reveal(spec: ChallengeSpec, progress: Progress | None = None) -> dict[str, Any]:
    """Record that the reference solution of ``spec`` was shown."""
    progress = progress if progress is not None else Progress()
    return progress.reveal(progress_chapter(spec.chapter), _question(spec))


def results(chapter: str, progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Challenge name → its progress entry (``attempts``, ``correct``, ``revealed`` …), for those tried."""
    progress = progress if progress is not None else Progress()
    return dict(progress.chapter(progress_chapter(chapter)))
