"""Knowledge checks: question banks, pure grading, progress, and their front ends.

A chapter's questions live in ``kcourse/quiz/banks/<chapter>.yaml`` (checked
against ``banks/schema.json``), shipped inside the package and found with
:mod:`importlib.resources`, so a notebook finds them wherever it runs: the
repository, a course copied out with ``kcourse notebooks``, or a lone
``notebooks/`` folder on a JupyterHub.  :func:`grade` is pure; :class:`QuizSession` adds
order, hints, attempts and saving; :func:`show` puts a session in a notebook
as a widget (ipywidgets loads only then), and ``kcourse quiz take`` in a
terminal.  Simulation questions compute their answers by running a seeded
scenario on :class:`kcourse.Cluster`.
"""

from __future__ import annotations

import os
from importlib import resources
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

#: Environment variable naming a directory of banks to use instead of the ones shipped in the package.
BANKS_ENV = "KCOURSE_QUIZZES"


def shipped_banks() -> Path:
    """The package's own ``banks/`` directory (package data; a real directory in every pip or editable
    install)."""
    return Path(str(resources.files(__name__) / "banks"))


def banks_dir() -> Path:
    """Where chapter banks are looked up: ``$KCOURSE_QUIZZES`` if set, else the banks shipped in the package.

    Never the working directory: a notebook run from anywhere gets the same banks.
    """
    env = os.environ.get(BANKS_ENV)
    return Path(env) if env else shipped_banks()


def find_bank(name: str | os.PathLike[str]) -> Path:
    """The bank file for a chapter name (``"ch04"``) or a path."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    return banks_dir() / f"{name}.yaml"


def load(name: str | os.PathLike[str]) -> Bank:
    """Load a chapter's bank by name (``"ch04"``) or path."""
    return load_bank(find_bank(name))


def show(
    chapter: str, section: str | None = None, *, seed: int | None = None, progress: Progress | None = None
) -> Any:
    """A quiz widget for ``chapter`` (or one ``section`` of it); the last expression of a cell shows it."""
    from kcourse.widgets.quiz import QuizWidget

    session = QuizSession(load(chapter), section=section, progress=progress, seed=seed)
    return QuizWidget(session)
