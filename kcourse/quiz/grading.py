"""Pure grading: ``grade(question, answer) -> Feedback``.

No I/O and no globals: the same question and answer always give the same
feedback, so the widget, the terminal quiz and the tests share one code path.
An answer that cannot be graded (empty, wrong type, unknown option, out of
range) gives ``Feedback(valid=False)`` with a message and counts as no attempt.

Partial credit, documented once here:

* multiple select — ``points * max(0, (right - wrong) / number_of_correct)``:
  each correct option picked earns a share, each wrong one picked takes a
  share back, never below zero; ticking everything therefore earns nothing.
* matching — ``points * matched_correctly / number_of_pairs``.
* ordering — ``points * good_neighbours / (n - 1)``, where a good neighbour is
  an adjacent pair of the answer that is also adjacent, in that order, in the
  key; one item moved costs one or two pairs instead of every later position.
* every other type is all or nothing.

Feedback names the parts of a matching or ordering answer that are right
(``items``), what a simulation's scenario produced (``outcome``) and the key
in words (``key``); :class:`kcourse.quiz.QuizSession` decides when a learner
may see the last two and the explanation.

Bounded: a learner's number is at most :data:`MAX_NUMBER_TEXT` characters
and must fit a float; an integer such as ``10**400`` is refused as invalid
(no attempt), never an ``OverflowError``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from kcourse.quiz.model import Feedback, Question

__all__ = [
    "MAX_NUMBER_TEXT",
    "MAX_TEXT",
    "UNITS",
    "grade",
    "key_text",
    "normalise",
    "parse_quantity",
    "safe_pattern",
]

#: Longest free-text answer graded; longer ones are refused before any regex runs.
MAX_TEXT = 200
#: Longest typed number accepted (digits, sign, exponent and unit).
MAX_NUMBER_TEXT = 60
#: Longest pattern a bank may use.
MAX_PATTERN = 200

#: Units a numeric answer may be given in, as (dimension, factor to the base unit).
UNITS: dict[str, tuple[str, float]] = {
    "ms": ("time", 0.001),
    "s": ("time", 1.0),
    "sec": ("time", 1.0),
    "seconds": ("time", 1.0),
    "min": ("time", 60.0),
    "minutes": ("time", 60.0),
    "h": ("time", 3600.0),
    "hours": ("time", 3600.0),
    "B": ("bytes", 1.0),
    "KB": ("bytes", 1e3),
    "kB": ("bytes", 1e3),
    "MB": ("bytes", 1e6),
    "GB": ("bytes", 1e9),
    "Ki": ("bytes", 1024.0),
    "KiB": ("bytes", 1024.0),
    "Mi": ("bytes", 1024.0**2),
    "MiB": ("bytes", 1024.0**2),
    "Gi": ("bytes", 1024.0**3),
    "GiB": ("bytes", 1024.0**3),
}

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")


def normalise(text: str) -> str:
    """Case-, width-, punctuation- and whitespace-insensitive form of a text answer."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(ch)[0] in "PSZ" else ch for ch in text)
    return " ".join(text.split())


def safe_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a bank's pattern, refusing what could backtrack for ages.

    Python's ``re`` has no timeout, so the guard is up front: a length cap and
    no quantified group that itself contains a quantifier (``(a+)+``), the
    classic catastrophic shape.  Raises ``ValueError`` with the reason.
    """
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"pattern is longer than {MAX_PATTERN} characters")
    if _NESTED_QUANTIFIER.search(pattern):
        raise ValueError("pattern has a nested quantifier such as (a+)+, which can take exponential time")
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"pattern does not compile: {exc}") from None


def parse_quantity(value: Any, unit: str) -> float:
    """A learner's number, converted to ``unit``; ``ValueError`` says what is wrong.

    Accepts a bare number (taken to be in ``unit``), or text such as ``"40 s"``
    or ``"40000ms"`` when both units share a dimension in :data:`UNITS`.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("enter a number")
    if isinstance(value, (int, float)):
        try:
            number, given = float(value), ""
        except OverflowError:
            raise ValueError("that number is too large to be an answer") from None
    elif isinstance(value, str):
        if len(value.strip()) > MAX_NUMBER_TEXT:
            raise ValueError(f"enter a number of at most {MAX_NUMBER_TEXT} characters")
        m = _NUMBER.match(value.replace(",", ""))
        if not m:
            raise ValueError(f"{value.strip()[:40]!r} is not a number" if value.strip() else "enter a number")
        number, given = float(m.group(1)), m.group(2)
    else:
        raise ValueError(f"expected a number, got {type(value).__name__}")  # noqa: TRY004 - one error type for callers
    if not math.isfinite(number):
        raise ValueError("enter a finite number")
    if not given or given == unit:
        return number
    if given in UNITS and unit in UNITS and UNITS[given][0] == UNITS[unit][0]:
        return number * UNITS[given][1] / UNITS[unit][1]
    if unit:
        raise ValueError(f"unit {given!r} cannot be converted to {unit!r}")
    raise ValueError(f"this answer takes a plain number, without {given!r}")


def _number(value: float, unit: str) -> str:
    return f"{value:g}" + (f" {unit}" if unit else "")


def key_text(q: Question) -> str:
    """The correct answer in words, as a learner would say it ("" while a simulation is unresolved)."""
    if q.type == "multiple":
        return "; ".join(t for t in q.option_texts if t in q.answer)
    if q.type == "true_false":
        return "True" if q.answer else "False"
    if q.type == "numeric" or (q.type == "simulation" and q.expect == "number" and q.answer is not None):
        return _number(float(q.answer), q.unit) + (f" (± {q.tolerance:g})" if q.tolerance else "")
    if q.type == "text":
        return q.answer[0] if q.answer else ""
    if q.type == "matching":
        return "; ".join(f"{left} → {right}" for left, right in q.pairs)
    if q.type == "ordering":
        return " → ".join(q.items)
    return "" if q.answer is None else str(q.answer)


def _invalid(message: str) -> Feedback:
    return Feedback(valid=False, message=message)


def _result(
    q: Question,
    fraction: float,
    message: str = "",
    option_feedback: Iterable[str] = (),
    items: Iterable[tuple[str, bool, str]] = (),
    outcome: str = "",
) -> Feedback:
    fraction = min(1.0, max(0.0, fraction))
    correct = fraction >= 1.0
    if not message:
        message = "Correct." if correct else ("Partly correct." if fraction > 0 else "Not quite.")
    return Feedback(
        valid=True,
        correct=correct,
        score=round(q.points * fraction, 6),
        points=q.points,
        message=message,
        option_feedback=tuple(f for f in option_feedback if f),
        explanation=q.explanation,
        items=tuple(items),
        outcome=outcome,
        key=key_text(q),
    )


def _choice(answer: Any, options: tuple[str, ...]) -> str | Feedback:
    """The chosen option, or an invalid Feedback."""
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return _invalid("Choose one of the options.")
    if not isinstance(answer, str):
        return _invalid(f"Expected one option, got {type(answer).__name__}.")
    if answer not in options:
        return _invalid(f"{answer[:60]!r} is not one of the options.")
    return answer


def _single(q: Question, answer: Any) -> Feedback:
    chosen = _choice(answer, q.option_texts)
    if isinstance(chosen, Feedback):
        return chosen
    opt = q.option(chosen)
    return _result(q, 1.0 if chosen == q.answer else 0.0, option_feedback=[opt.feedback if opt else ""])


def _multiple(q: Question, answer: Any) -> Feedback:
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (list, tuple, set, frozenset)):
        return _invalid("Expected a list of the options you select.")
    if any(not isinstance(a, str) for a in answer):
        return _invalid("Every selection must be an option's text.")
    chosen = set(answer)
    if not chosen:
        return _invalid("Select at least one option.")
    unknown = sorted(chosen - set(q.option_texts))
    if unknown:
        return _invalid(f"{unknown[0][:60]!r} is not one of the options.")
    key = set(q.answer)
    right, wrong = len(chosen & key), len(chosen - key)
    fraction = max(0.0, (right - wrong) / len(key))
    missed = len(key - chosen)
    message = (
        "Correct."
        if chosen == key
        else (
            f"{right} of {len(key)} correct options selected, {wrong} wrong; {missed} correct option(s) "
            "missed."
        )
    )
    feedback = [o.feedback for o in q.options if o.text in chosen]
    return _result(q, fraction, message, feedback)


def _true_false(q: Question, answer: Any) -> Feedback:
    if not isinstance(answer, bool):
        return _invalid("Answer True or False.")
    return _result(
        q, 1.0 if answer == q.answer else 0.0, option_feedback=[dict(q.feedback).get(str(answer).lower(), "")]
    )


def _numeric(q: Question, answer: Any, key: float, tolerance: float, unit: str) -> Feedback:
    try:
        value = parse_quantity(answer, unit)
    except ValueError as exc:
        return _invalid(str(exc).capitalize() + ".")
    ok = abs(value - float(key)) <= tolerance + 1e-9 * max(1.0, abs(float(key)))
    if ok:
        return _result(q, 1.0)
    return _result(q, 0.0, f"Not quite: {_number(value, unit)} is too {'high' if value > key else 'low'}.")


def _text(q: Question, answer: Any) -> Feedback:
    if not isinstance(answer, str):
        return _invalid("Type your answer as text.")
    if not answer.strip():
        return _invalid("Type an answer first.")
    if len(answer) > MAX_TEXT:
        return _invalid(f"Keep the answer under {MAX_TEXT} characters.")
    given = normalise(answer)
    ok = any(given == normalise(a) for a in (q.answer or ()))
    if not ok and q.pattern:
        rx = safe_pattern(q.pattern)
        ok = bool(rx.fullmatch(" ".join(answer.split())) or rx.fullmatch(given))
    return _result(q, 1.0 if ok else 0.0)


def _matching(q: Question, answer: Any) -> Feedback:
    if not isinstance(answer, dict):
        return _invalid("Expected a mapping from each item to its match.")
    lefts = [left for left, _ in q.pairs]
    rights = {right for _, right in q.pairs} | set(q.distractors)
    unknown = [k for k in answer if k not in lefts]
    if unknown:
        return _invalid(f"{str(unknown[0])[:60]!r} is not an item of this question.")
    missing = [left for left in lefts if not answer.get(left)]
    if missing:
        return _invalid(f"Match every item; {missing[0]!r} has no match yet.")
    bad = [v for v in answer.values() if not isinstance(v, str) or v not in rights]
    if bad:
        return _invalid(f"{str(bad[0])[:60]!r} is not one of the choices.")
    marks = [(left, answer[left] == right, f"{left} → {answer[left]}") for left, right in q.pairs]
    good = sum(right for _, right, _ in marks)
    msg = "Correct." if good == len(q.pairs) else f"{good} of {len(q.pairs)} matched correctly."
    return _result(q, good / len(q.pairs), msg, items=marks)


def _ordering(q: Question, answer: Any) -> Feedback:
    if isinstance(answer, (str, bytes, dict)) or not isinstance(answer, (list, tuple)):
        return _invalid("Expected the items as a list, in your order.")
    if (
        len(answer) != len(q.items)
        or any(not isinstance(a, str) for a in answer)
        or sorted(answer) != sorted(q.items)
    ):
        return _invalid("Use every item exactly once.")
    follows = {a: b for a, b in zip(q.items, q.items[1:])}
    good = sum(follows.get(a) == b for a, b in itertools.pairwise(answer))
    n = len(q.items) - 1
    msg = (
        "Correct."
        if list(answer) == list(q.items)
        else f"{good} of {n} neighbouring pairs in the right order."
    )
    return _result(q, good / n if n else 1.0, msg, items=_order_marks(q, list(answer)))


def _order_marks(q: Question, answer: list[str]) -> list[tuple[str, bool, str]]:
    """Each item of ``answer``: right where it comes straight after the item it follows in the key
    (the first item: where it is the key's first), the same neighbour rule the score uses."""
    follows = {b: a for a, b in zip(q.items, q.items[1:])}
    first = answer[0] == q.items[0]
    marks = [(answer[0], first, f"“{answer[0]}” {'rightly comes' if first else 'does not come'} first")]
    for before, item in itertools.pairwise(answer):
        ok = follows.get(item) == before
        marks.append(
            (item, ok, f"“{item}” {'rightly comes' if ok else 'does not come'} straight after “{before}”")
        )
    return marks


def _simulation(q: Question, answer: Any) -> Feedback:
    if q.answer is None:
        raise ValueError(
            f"simulation question {q.id!r} has no computed answer; "
            "resolve it with kcourse.quiz.scenario.resolve() first"
        )
    outcome = f"The scenario's cluster gave: {key_text(q)}."
    if q.expect == "number":
        fb = _numeric(q, answer, float(q.answer), q.tolerance, q.unit)
        return dataclasses.replace(fb, outcome=outcome) if fb.valid else fb
    if q.options:
        chosen = _choice(answer, q.option_texts)
        if isinstance(chosen, Feedback):
            return chosen
        opt = q.option(chosen)
        return _result(
            q,
            1.0 if chosen == str(q.answer) else 0.0,
            option_feedback=[opt.feedback if opt else ""],
            outcome=outcome,
        )
    if not isinstance(answer, str) or not answer.strip():
        return _invalid("Type an answer first.")
    return _result(q, 1.0 if normalise(answer) == normalise(str(q.answer)) else 0.0, outcome=outcome)


_GRADERS = {
    "single": _single,
    "multiple": _multiple,
    "true_false": _true_false,
    "text": _text,
    "matching": _matching,
    "ordering": _ordering,
    "simulation": _simulation,
    "numeric": lambda q, a: _numeric(q, a, float(q.answer), q.tolerance, q.unit),
}


def grade(question: Question, answer: Any) -> Feedback:
    """Grade ``answer`` against ``question``'s key; pure and deterministic."""
    try:
        grader = _GRADERS[question.type]
    except KeyError:
        raise ValueError(f"unknown question type {question.type!r}") from None
    return grader(question, answer)
