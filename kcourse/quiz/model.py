"""The question model: plain, frozen data read from a bank.

A question is one dataclass for every type rather than a class hierarchy, so
grading is a single pure function that dispatches on ``type`` and a bank can
be inspected, compared and serialised without any behaviour attached.
Fields a type does not use keep their empty defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TYPES", "Bank", "Feedback", "Objective", "Option", "Question", "Section"]

#: The question types a bank may use, as spelled in YAML.
TYPES = ("single", "multiple", "true_false", "numeric", "text", "matching", "ordering", "simulation")


@dataclass(frozen=True)
class Option:
    """A choice shown to the learner, with the feedback shown only after Check."""

    text: str
    feedback: str = ""


@dataclass(frozen=True)
class Question:
    """One knowledge-check question.

    ``answer`` holds the key: an option text (single), a tuple of option texts
    (multiple), a bool (true_false), a number (numeric and resolved numeric
    simulation questions) or a tuple of accepted strings (text).  Matching keeps
    its key in ``pairs`` and ordering in ``items`` (the correct order).  A
    simulation question has ``answer=None`` until :func:`kcourse.quiz.scenario.resolve`
    computes it from its scenario.
    """

    id: str
    type: str
    prompt: str
    section: str = ""
    objective: str = ""
    points: float = 1.0
    hints: tuple[str, ...] = ()
    explanation: str = ""
    attempts: int | None = None
    shuffle: bool = True
    options: tuple[Option, ...] = ()
    answer: Any = None
    tolerance: float = 0.0
    unit: str = ""
    pattern: str = ""
    pairs: tuple[tuple[str, str], ...] = ()
    distractors: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    feedback: tuple[tuple[str, str], ...] = ()  # true_false: (("true", text), ("false", text))
    scenario: dict = field(default_factory=dict, compare=False, hash=False)
    query: dict = field(default_factory=dict, compare=False, hash=False)
    expect: str = ""  # simulation: "choice" or "number"
    line: int = 0

    @property
    def option_texts(self) -> tuple[str, ...]:
        return tuple(o.text for o in self.options)

    def option(self, text: str) -> Option | None:
        for o in self.options:
            if o.text == text:
                return o
        return None


@dataclass(frozen=True)
class Feedback:
    """What Check says.  ``valid=False`` means the answer was unusable and is no attempt.

    ``items`` marks each part of a matching or ordering answer right or wrong,
    as ``(item, right, note)`` in the order the learner gave them.
    ``outcome`` is what a simulation question's scenario produced, and
    ``key`` the correct answer in words; a session shows ``explanation``,
    ``outcome`` and ``key`` only once the question is answered or revealed.
    """

    valid: bool
    correct: bool = False
    score: float = 0.0
    points: float = 0.0
    message: str = ""
    option_feedback: tuple[str, ...] = ()
    explanation: str = ""
    items: tuple[tuple[str, bool, str], ...] = ()
    outcome: str = ""
    key: str = ""


@dataclass(frozen=True)
class Objective:
    id: str
    text: str


@dataclass(frozen=True)
class Section:
    """A part of the chapter; ``title`` names the seed section it checks."""

    id: str
    title: str


@dataclass(frozen=True)
class Bank:
    """A chapter's questions with its objectives and sections."""

    chapter: str
    title: str
    questions: tuple[Question, ...]
    objectives: tuple[Objective, ...] = ()
    sections: tuple[Section, ...] = ()
    seed: int = 0
    path: str = ""

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def in_section(self, section: str | None) -> tuple[Question, ...]:
        """The questions of one section (all of them for ``None``), in bank order."""
        if section is None:
            return self.questions
        if section not in {s.id for s in self.sections}:
            known = ", ".join(s.id for s in self.sections)
            raise KeyError(f"no section {section!r} in {self.chapter}; sections: {known}")
        return tuple(q for q in self.questions if q.section == section)
