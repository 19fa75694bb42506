"""``kcourse quiz lint``: a bank is good only if every question can be answered.

Beyond loading (YAML, schema, meaning), lint grades each question's own key
and requires full marks, so a key the grader cannot accept is caught before a
learner meets it; and it runs every simulation question's scenario, so a
query the simulation cannot answer, or an answer that is not among the
options, fails the build with the question's ``file:line``.  It also
requires a hint on every question: a learner who is stuck should have
something between guessing and "Show answer".
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kcourse.quiz.grading import grade
from kcourse.quiz.loader import BankError, Problem, load_bank
from kcourse.quiz.model import Bank, Question
from kcourse.quiz.scenario import ClusterFactory, ScenarioError, resolve

__all__ = ["bank_files", "key_answer", "lint"]


def bank_files(paths: Iterable[str | Path]) -> list[Path]:
    """The bank files named by ``paths``: files as given, directories' ``*.yaml``."""
    out: list[Path] = []
    for p in map(Path, paths):
        out += sorted(p.glob("*.yaml")) if p.is_dir() else [p]
    return out


def key_answer(q: Question) -> Any:
    """The answer a learner who knows the key would give, as the front ends pass it."""
    if q.type in ("multiple", "ordering"):
        return list(q.answer if q.type == "multiple" else q.items)
    if q.type == "matching":
        return dict(q.pairs)
    if q.type == "text":
        return q.answer[0] if q.answer else None
    return q.answer


def _question_problems(bank: Bank, q: Question, factory: ClusterFactory | None) -> list[Problem]:
    where = f"question {q.id!r}: "
    out = (
        [] if q.hints else [Problem(bank.path, q.line, where + "'hints' is required: give at least one hint")]
    )
    try:
        keyed = resolve(q, factory)
    except ScenarioError as exc:
        return [*out, Problem(bank.path, q.line, where + f"scenario: {exc}")]
    answer = key_answer(keyed)
    if answer is None:  # a pattern-only text question: nothing to grade the key with
        return out
    answers = [answer] + ([f"{answer:g} {q.unit}"] if q.unit and isinstance(answer, (int, float)) else [])
    for a in answers:
        fb = grade(keyed, a)
        if not (fb.valid and fb.correct and fb.score == q.points):
            out.append(
                Problem(
                    bank.path, q.line, where + f"its own key {a!r} does not grade as correct ({fb.message})"
                )
            )
    return out


def lint(
    paths: Iterable[str | Path], factory: ClusterFactory | None = None
) -> tuple[list[Problem], list[Bank]]:
    """Every problem in the banks under ``paths``, and the banks that loaded."""
    problems: list[Problem] = []
    banks: list[Bank] = []
    files = bank_files(paths)
    if not files:
        return [Problem(", ".join(map(str, paths)), 0, "no question banks (*.yaml) found")], []
    for f in files:
        try:
            bank = load_bank(f)
        except BankError as exc:
            problems += exc.problems
            continue
        if Path(f).stem != bank.chapter:
            problems.append(
                Problem(str(f), 1, f"'chapter' is {bank.chapter!r} but the file is {Path(f).name}")
            )
        for q in bank.questions:
            problems += _question_problems(bank, q, factory)
        banks.append(bank)
    return problems, banks
