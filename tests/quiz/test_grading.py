"""grade(question, answer): each type's edge cases, and invalid answers costing nothing."""

from __future__ import annotations

import math

import pytest

from kcourse.quiz.grading import grade, normalise, parse_quantity, safe_pattern
from kcourse.quiz.model import Option

from .conftest import q

SINGLE = q(
    "single",
    options=[Option("etcd", "yes"), Option("Redis", "no: not used"), "MySQL"],
    answer="etcd",
    explanation="etcd keeps state.",
)


def test_single_correct_gives_points_feedback_and_explanation():
    fb = grade(SINGLE, "etcd")
    assert (fb.valid, fb.correct, fb.score, fb.points) == (True, True, 1.0, 1.0)
    assert fb.option_feedback == ("yes",)
    assert fb.explanation == "etcd keeps state."


def test_single_wrong_option_shows_that_options_feedback():
    fb = grade(SINGLE, "Redis")
    assert fb.valid and not fb.correct and fb.score == 0
    assert fb.option_feedback == ("no: not used",)


@pytest.mark.parametrize("answer", [None, "", "   ", 3, ["etcd"], "Postgres"])
def test_single_unusable_answers_are_invalid(answer):
    fb = grade(SINGLE, answer)
    assert not fb.valid and fb.score == 0 and fb.message
    assert fb.explanation == ""  # nothing is revealed for an invalid answer


MULTI = q("multiple", options=["a", "b", "c", "d"], answer=("a", "b"), points=2)


@pytest.mark.parametrize(
    "answer,score,correct",
    [
        (["a", "b"], 2.0, True),
        (["b", "a", "a"], 2.0, True),  # order and repeats do not matter
        (["a"], 1.0, False),  # half the correct ones
        (["a", "c"], 0.0, False),  # one right minus one wrong
        (["a", "b", "c"], 1.0, False),  # two right minus one wrong, of two
        (["a", "b", "c", "d"], 0.0, False),  # ticking everything earns nothing
        (["c", "d"], 0.0, False),  # floored at zero, never negative
    ],
)
def test_multiple_partial_credit_is_right_minus_wrong_floored(answer, score, correct):
    fb = grade(MULTI, answer)
    assert fb.valid and fb.score == score and fb.correct is correct


@pytest.mark.parametrize("answer", [[], "a", {"a": 1}, ["a", "zz"], [1, 2], None])
def test_multiple_invalid(answer):
    assert not grade(MULTI, answer).valid


def test_true_false_strict_bool_and_feedback():
    tf = q("true_false", answer=False, feedback=(("false", "Right."), ("true", "No.")))
    assert grade(tf, False).correct and grade(tf, False).option_feedback == ("Right.",)
    assert not grade(tf, True).correct and grade(tf, True).option_feedback == ("No.",)
    for bad in (0, "false", None, 1):
        assert not grade(tf, bad).valid


NUM = q("numeric", answer=300, unit="s", tolerance=5)


@pytest.mark.parametrize("answer", [300, 295, 305.0, "300", "300 s", "300s", "5 min", "300000 ms", "  302 "])
def test_numeric_accepts_tolerance_and_convertible_units(answer):
    fb = grade(NUM, answer)
    assert fb.valid and fb.correct, answer


@pytest.mark.parametrize("answer", [306, "4 min", "294.9"])
def test_numeric_outside_tolerance_is_wrong(answer):
    fb = grade(NUM, answer)
    assert fb.valid and not fb.correct
    assert "too" in fb.message


@pytest.mark.parametrize(
    "answer", ["", "abc", "300 MiB", "300 parsecs", True, None, math.nan, math.inf, "1e999", [300]]
)
def test_numeric_invalid(answer):
    assert not grade(NUM, answer).valid


def test_numeric_without_unit_refuses_a_unit_and_tolerance_zero_is_exact():
    plain = q("numeric", answer=14)
    assert grade(plain, 14).correct and grade(plain, "14").correct
    assert grade(plain, 14.0000000001).correct  # float noise only
    assert not grade(plain, 14.01).correct
    assert not grade(plain, "14 s").valid


def test_parse_quantity_converts_bytes():
    assert parse_quantity("1 GiB", "MiB") == 1024
    assert parse_quantity("1,000", "") == 1000


TEXT = q("text", answer=("kube-apiserver", "API server"), pattern=r"(kube[- ]?)?api[- ]?server")


@pytest.mark.parametrize(
    "answer",
    [
        "kube-apiserver",
        "KUBE-APISERVER",
        "  api   server.",
        "API-Server!",
        "kube apiserver",
        "kubeapiserver",
        "Ｋｕｂｅ-apiserver",
    ],
)
def test_text_normalises_case_whitespace_punctuation_and_matches_pattern(answer):
    assert grade(TEXT, answer).correct, answer


@pytest.mark.parametrize("answer", ["scheduler", "apiserver2", "the etcd api server"])
def test_text_wrong(answer):
    fb = grade(TEXT, answer)
    assert fb.valid and not fb.correct


@pytest.mark.parametrize("answer", ["", "   ", 5, None, "x" * 201])
def test_text_invalid(answer):
    assert not grade(TEXT, answer).valid


def test_normalise():
    assert normalise("  Kube-Proxy, \t OK?") == "kube proxy ok"


@pytest.mark.parametrize("pattern", ["(a+)+", "(a*)*b", "(x|a+){2,}", "a" * 201, "(unclosed"])
def test_unsafe_or_broken_patterns_are_refused(pattern):
    with pytest.raises(ValueError):
        safe_pattern(pattern)


MATCH = q(
    "matching",
    pairs=(("kubelet", "runs pods"), ("kube-proxy", "service rules"), ("etcd", "stores state")),
    distractors=("builds images",),
    points=3,
)


def test_matching_full_and_partial_credit():
    assert (
        grade(MATCH, {"kubelet": "runs pods", "kube-proxy": "service rules", "etcd": "stores state"}).score
        == 3
    )
    fb = grade(MATCH, {"kubelet": "service rules", "kube-proxy": "runs pods", "etcd": "stores state"})
    assert fb.valid and fb.score == 1 and not fb.correct
    assert (
        grade(
            MATCH, {"kubelet": "builds images", "kube-proxy": "builds images", "etcd": "builds images"}
        ).score
        == 0
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"kubelet": "runs pods"},  # incomplete
        {"kubelet": "runs pods", "kube-proxy": "x", "etcd": "stores state"},  # unknown choice
        {"kubelet": "runs pods", "kube-proxy": "service rules", "etcd": "stores state", "dns": "x"},
        ["runs pods"],
        None,
    ],
)
def test_matching_invalid(answer):
    assert not grade(MATCH, answer).valid


ORDER = q("ordering", items=("a", "b", "c", "d", "e"), points=4)


@pytest.mark.parametrize(
    "answer,score",
    [
        (["a", "b", "c", "d", "e"], 4.0),
        (["b", "c", "d", "e", "a"], 3.0),  # one item moved: 3 of 4 neighbour pairs kept
        (["e", "d", "c", "b", "a"], 0.0),
        (["a", "c", "b", "d", "e"], 1.0),  # a swap breaks a-c, c-b and b-d; only d-e is kept
    ],
)
def test_ordering_credit_counts_neighbouring_pairs(answer, score):
    assert grade(ORDER, answer).score == score


@pytest.mark.parametrize(
    "answer",
    [["a", "b", "c", "d"], ["a", "a", "b", "c", "d"], ["a", "b", "c", "d", "x"], "abcde", None, [None] * 5],
)
def test_ordering_invalid(answer):
    assert not grade(ORDER, answer).valid


def test_simulation_needs_a_computed_answer():
    sim = q("simulation", expect="choice", options=["worker-1", "worker-2"])
    with pytest.raises(ValueError, match="resolve"):
        grade(sim, "worker-1")


def test_simulation_choice_and_number():
    choice = q("simulation", expect="choice", options=["worker-1", "worker-2"], answer="worker-2")
    assert grade(choice, "worker-2").correct and not grade(choice, "worker-1").correct
    assert not grade(choice, "worker-9").valid
    number = q("simulation", expect="number", answer=5)
    assert grade(number, "5").correct and not grade(number, 4).correct and not grade(number, "five").valid


def test_grade_is_pure_same_input_same_output():
    assert grade(MULTI, ["a", "c"]) == grade(MULTI, ["a", "c"])
    assert MULTI.answer == ("a", "b")  # the question is untouched


@pytest.mark.parametrize("answer", [10**400, -(10**400), "1" + "0" * 400, "9" * 5000, "1e400 s"])
def test_a_number_too_large_for_a_float_is_an_invalid_answer_not_an_overflow(answer):
    fb = grade(q("numeric", answer=300, unit="s"), answer)
    assert not fb.valid and fb.message in (
        "That number is too large to be an answer.",
        "Enter a finite number.",
        "Enter a number of at most 60 characters.",
    )


def test_matching_feedback_names_each_pair_right_or_wrong():
    question = q("matching", pairs=(("kubelet", "runs pods"), ("kube-proxy", "service rules")))
    fb = grade(question, {"kubelet": "runs pods", "kube-proxy": "runs pods"})
    assert fb.items == (
        ("kubelet", True, "kubelet → runs pods"),
        ("kube-proxy", False, "kube-proxy → runs pods"),
    )


def test_ordering_feedback_marks_items_by_the_neighbour_rule_the_score_uses():
    question = q("ordering", items=("a", "b", "c", "d", "e"))
    fb = grade(question, ["e", "a", "b", "c", "d"])
    assert [ok for _, ok, _ in fb.items] == [False, False, True, True, True]
    assert fb.score == 0.75 and fb.key == "a → b → c → d → e"
