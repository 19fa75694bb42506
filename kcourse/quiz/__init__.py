"""Knowledge checks: question banks, pure grading, progress, and their front ends.

A chapter's questions live in ``quizzes/<chapter>.yaml`` (checked against
``quizzes/schema.json``).  :func:`grade` is pure; :class:`QuizSession` adds
order, hints, attempts and saving; :func:`show` puts a session in a notebook
as a widget (ipywidgets loads only then), and ``kcourse quiz take`` in a
terminal.  Simulation questions compute their answers by running a seeded
scenario on :class:`kcourse.Cluster`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kcourse.quiz.grading import grade
from kcourse.quiz.loader import BankError, Problem, load_bank
from kcourse.quiz.model import Bank, Feedback, Option, Question
from kcourse.quiz.progress import Progress
from kcourse.quiz.session import QuizSession

__all__ = [
    "BANKS_ENV",
    "Bank",
    "BankError",
    "Feedback",
    "Option",
    "Problem",
    "Progress",
    "Question",
    "QuizSession",
    "find_bank",
    "grade",
    "load",
    "load_bank",
    "show",
]

#: Environment variable naming a directory of banks to use instead of the repository's ``quizzes/``.
BANKS_ENV = "KCOURSE_QUIZZES"


def banks_dir() -> Path:
    """Where chapter banks are looked up: ``$KCOURSE_QUIZZES``, the repository's ``quizzes/``, or ``./quizzes``."""
    env = os.environ.get(BANKS_ENV)
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / "quizzes"
    return repo if repo.is_dir() else Path("quizzes")


def find_bank(name: str | os.PathLike[str]) -> Path:
    """The bank file for a chapter name (``"ch04"``) or a path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return banks_dir() / f"{name}.yaml"


def load(name: str | os.PathLike[str]) -> Bank:
    """Load a chapter's bank by name (``"ch04"``) or path."""
    return load_bank(find_bank(name))


def show(chapter: str, section: str | None = None, *, seed: int | None = None,
         progress: Progress | None = None) -> Any:
    """A quiz widget for ``chapter`` (or one ``section`` of it); the last expression of a cell shows it."""
    from kcourse.widgets.quiz import QuizWidget

    session = QuizSession(load(chapter), section=section, progress=progress, seed=seed)
    return QuizWidget(session)
