"""Sessions: seeded shuffles, attempts that survive restarts, hints one at a time."""

from __future__ import annotations

import json
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
    assert shuffled(values, 4, "q1") == (
        "option 3",
        "option 2",
        "option 4",
        "option 1",
        "option 6",
        "option 0",
        "option 5",
        "option 7",
    )  # pinned: same on every machine and run
    assert shuffled(values, 5, "q1") != shuffled(values, 4, "q1")
    assert shuffled(values, 4, "q2") != shuffled(values, 4, "q1")
    assert sorted(shuffled(values, 4, "q1")) == sorted(values)


def test_shuffle_does_not_depend_on_hash_randomisation():
    code = "from kcourse.quiz.session import shuffled; print(shuffled(list('abcdefgh'), 4, 'q1'))"
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }
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


def test_attempt_limit_counts_only_valid_answers_and_survives_a_restart(
    session: QuizSession, progress: Progress
):
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


POLICY_TEXT = bank_text("""\
- id: pick
  type: single
  section: s1
  objective: o1
  prompt: Which stores state?
  options: [etcd, kubelet, kube-proxy]
  answer: etcd
  hints: [A key-value store.]
  explanation: Only etcd persists the cluster's state.
- id: predict
  type: simulation
  section: s1
  objective: o1
  prompt: How many web Pods run on worker-1?
  scenario: {cluster: {workers: 2}}
  query: {count_pods: {node: worker-1, selector: {app: web}}}
  expect: number
  hints: [Count only Running Pods.]
  explanation: Two web Pods were bound to worker-1.
""")


@pytest.fixture
def policy(progress: Progress) -> QuizSession:
    from .test_scenario import FakeCluster

    return QuizSession(load_text(POLICY_TEXT), progress=progress, factory=FakeCluster)


def test_a_first_wrong_answer_shows_neither_explanation_nor_key(policy: QuizSession, progress: Progress):
    fb = policy.check("pick", "kubelet")
    assert fb.valid and not fb.correct
    assert (fb.explanation, fb.key, fb.outcome) == ("", "", "")
    assert progress.entry("ch99", "pick")["revealed"] is False


def test_the_second_wrong_answer_shows_explanation_and_key_and_counts_as_revealed(
    policy: QuizSession, progress: Progress
):
    policy.check("pick", "kubelet")
    fb = policy.check("pick", "kube-proxy")
    assert fb.explanation == "Only etcd persists the cluster's state." and fb.key == "etcd"
    assert progress.entry("ch99", "pick")["revealed"] is True
    late = policy.check("pick", "etcd")
    assert late.correct and "earns no points" in late.message
    assert policy.score() == (0, 2)


def test_a_correct_answer_shows_the_explanation_and_earns_the_points(policy: QuizSession, progress: Progress):
    fb = policy.check("pick", "etcd")
    assert fb.correct and fb.explanation and "earns no points" not in fb.message
    assert progress.entry("ch99", "pick")["revealed"] is False and policy.score() == (1, 2)


def test_show_answer_reveals_key_and_explanation_and_freezes_the_score(
    policy: QuizSession, progress: Progress
):
    shown = policy.reveal("pick")
    assert shown.key == "etcd" and shown.explanation and shown.score == 0
    assert progress.entry("ch99", "pick") == {
        "section": "s1",
        "attempts": 0,
        "best": 0.0,
        "points": 1.0,
        "correct": False,
        "revealed": True,
    }
    assert policy.check("pick", "etcd").correct and policy.score() == (0, 2)


def test_a_simulation_question_shows_what_the_cluster_did_after_checking(
    policy: QuizSession, progress: Progress
):
    fb = policy.check("predict", 5)
    assert not fb.correct and fb.outcome == "The scenario's cluster gave: 2."
    assert fb.explanation == "Two web Pods were bound to worker-1."
    assert progress.entry("ch99", "predict")["revealed"] is True
    right = QuizSession(
        policy.bank, progress=Progress(progress.path.with_name("other.json")), factory=policy.factory
    ).check("predict", "2")
    assert right.correct and right.outcome == "The scenario's cluster gave: 2."


def test_restore_gives_the_last_answer_and_its_feedback_after_a_restart(
    policy: QuizSession, progress: Progress
):
    assert policy.restore("pick") == (None, None)
    policy.check("pick", "kubelet")
    restarted = QuizSession(policy.bank, progress=Progress(progress.path))
    answer, fb = restarted.restore("pick")
    assert answer == "kubelet" and fb.valid and not fb.correct and fb.explanation == ""


def test_restore_ignores_a_saved_answer_that_no_longer_fits_the_question(
    policy: QuizSession, progress: Progress
):
    policy.check("pick", "kubelet")
    data = json.loads(progress.path.read_text())
    data["chapters"]["ch99"]["pick"]["answer"] = "an option removed since"
    progress.path.write_text(json.dumps(data))
    assert policy.restore("pick") == (None, None)


def test_an_impossible_progress_path_is_a_clear_message_not_a_crash(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    session = QuizSession(load_text(POLICY_TEXT), progress=Progress(blocker / "progress.json"))
    fb = session.check("pick", "etcd")
    assert fb.correct and "Not saved: cannot create progress file" in fb.message
    assert session.problem and "\n" not in session.problem
    assert session.score() == (0, 2) and session.restore("pick") == (None, None)
