"""Sessions: seeded shuffles, attempts that survive restarts, hints one at a time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kcourse.quiz import QuizSession, load_bank
from kcourse.quiz.loader import load_text
from kcourse.quiz.progress import Progress
from kcourse.quiz.session import layout, shuffled

from .conftest import BANK, bank_text, q


def test_shuffle_is_deterministic_and_seed_dependent():
    values = [f"option {i}" for i in range(8)]
    assert shuffled(values, 4, "q1") == shuffled(values, 4, "q1")
    assert shuffled(values, 4, "q1") == ('option 3', 'option 2', 'option 4', 'option 1', 'option 6', 'option 0', 'option 5', 'option 7')  # pinned: same on every machine and run
    assert shuffled(values, 5, "q1") != shuffled(values, 4, "q1")
    assert shuffled(values, 4, "q2") != shuffled(values, 4, "q1")
    assert sorted(shuffled(values, 4, "q1")) == sorted(values)


def test_shuffle_does_not_depend_on_hash_randomisation():
    code = "from kcourse.quiz.session import shuffled; print(shuffled(list('abcdefgh'), 4, 'q1'))"
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1


def test_ordering_and_matching_are_never_shown_in_key_order():
    for seed in range(200):
        order = q("ordering", id="o", items=("a", "b", "c"))
        assert layout(order, seed).items != order.items
        match = q("matching", id="m", pairs=(("1", "x"), ("2", "y")))
        assert layout(match, seed).rights != ("x", "y")


def test_shuffle_false_keeps_bank_order():
    single = q("single", options=["c", "a", "b"], answer="a", shuffle=False)
    assert layout(single, 7).options == ("c", "a", "b")


def test_every_ch04_layout_hides_the_key():
    bank = load_bank(BANK)
    for question in bank.questions:
        lay = layout(question, bank.seed)
        if question.type == "ordering":
            assert lay.items != question.items and sorted(lay.items) == sorted(question.items)


BANK_TEXT = bank_text("""\
- id: limited
  type: numeric
  section: s1
  objective: o1
  prompt: How many?
  answer: 3
  attempts: 2
  hints: [first hint, second hint]
- id: other
  type: true_false
  section: s2
  objective: o1
  prompt: Yes?
  answer: true
  points: 3
""")


@pytest.fixture
def session(progress: Progress) -> QuizSession:
    return QuizSession(load_text(BANK_TEXT), progress=progress)


def test_attempt_limit_counts_only_valid_answers_and_survives_a_restart(session: QuizSession, progress: Progress):
    assert not session.check("limited", "").valid
    assert session.attempts_left("limited") == 2
    assert session.check("limited", 4).valid
    restarted = QuizSession(session.bank, progress=Progress(progress.path))
    assert restarted.attempts_left("limited") == 1
    assert restarted.check("limited", 3).correct
    fb = restarted.check("limited", 3)
    assert not fb.valid and "No attempts left" in fb.message
    assert restarted.attempts_left("other") is None


def test_hints_come_one_at_a_time(session: QuizSession):
    assert session.hints_left("limited") == 2
    assert session.hint("limited") == "first hint"
    assert session.hint("limited") == "second hint"
    assert session.hint("limited") is None
    assert session.hint("other") is None


def test_section_and_chapter_scores(session: QuizSession, progress: Progress):
    session.check("other", True)
    assert session.score() == (3, 4)
    assert session.score("s1") == (0, 1)
    s2 = QuizSession(session.bank, section="s2", progress=progress)
    assert [x.id for x in s2.questions] == ["other"]
    assert s2.score() == (3, 3) and s2.chapter_score() == (3, 4)


def test_unknown_section_is_a_clear_error(session: QuizSession):
    with pytest.raises(KeyError, match="no section 'nope'.*s1, s2"):
        QuizSession(session.bank, section="nope")
