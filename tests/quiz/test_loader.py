"""Loading banks: every problem is reported as file:line: question 'id': field, and nothing executes."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from kcourse.quiz import load
from kcourse.quiz.loader import MAX_BYTES, BankError, load_bank, load_text
from kcourse.quiz.schema import schema_json

from .conftest import BANK, REPO, bank_text

GOOD = """\
- id: q-single
  type: single
  section: s1
  objective: o1
  prompt: Which store?
  options: [etcd, Redis]
  answer: etcd
"""


def problems(text: str, file: str = "quizzes/ch99.yaml") -> list[str]:
    with pytest.raises(BankError) as exc:
        load_text(text, file)
    return [str(p) for p in exc.value.problems]


def test_a_good_bank_loads():
    bank = load_text(bank_text(GOOD))
    assert bank.chapter == "ch99" and [q.id for q in bank.questions] == ["q-single"]
    assert bank.questions[0].line == 9


def test_answer_not_among_options_names_file_line_question_and_field():
    text = bank_text(GOOD.replace("answer: etcd", "answer: Postgres"))
    assert problems(text) == [
        "quizzes/ch99.yaml:15: question 'q-single': 'answer' must be one of the options"
    ]


def test_misspelt_field_points_at_its_own_line():
    text = bank_text(GOOD.replace("answer: etcd", "answr: etcd"))
    assert problems(text) == [
        "quizzes/ch99.yaml:9: question 'q-single': 'answer' is a required property",
        "quizzes/ch99.yaml:15: question 'q-single': unknown field 'answr' for type 'single'",
    ]


def test_schema_type_error_names_nested_field():
    text = bank_text(GOOD.replace("options: [etcd, Redis]", "options: [etcd, 7]"))
    assert problems(text) == [
        (
            "quizzes/ch99.yaml:14: question 'q-single': 'options[1]': "
            "7 is not valid under any of the given schemas"
        )
    ]


def test_all_problems_of_several_questions_are_reported_at_once():
    second = GOOD.replace("q-single", "q-two").replace("section: s1", "section: nope")
    third = GOOD.replace("q-single", "q-three").replace(
        "  objective: o1\n", "  objective: o1\n  points: -1\n"
    )
    found = problems(bank_text(GOOD.replace("answer: etcd", "answer: x") + second + third))
    assert len(found) == 3
    assert found[0].startswith("quizzes/ch99.yaml:15: question 'q-single': 'answer'")
    assert found[1].startswith("quizzes/ch99.yaml:18: question 'q-two': 'section' 'nope'")
    assert found[2].startswith("quizzes/ch99.yaml:27: question 'q-three': 'points': -1")


def test_duplicate_question_ids():
    found = problems(bank_text(GOOD + GOOD))
    assert found == ["quizzes/ch99.yaml:16: question 'q-single': duplicate question id (first at line 9)"]


@pytest.mark.parametrize(
    "yaml_text,line,message",
    [
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a' (first at line 1)"),
        ("a: &x [1, 2]\nb: *x\n", 2, "alias *x is not allowed"),
        (
            "a: !!python/object/apply:os.system ['true']\n",
            1,
            "tag tag:yaml.org,2002:python/object/apply:os.system",
        ),
        ("a: !!python/name:os.system\n", 1, "is not allowed in a bank"),
        ("!!python/object:collections.OrderedDict {}\n", 1, "is not allowed in a bank"),
        ("a: !custom 3\n", 1, "tag !custom is not allowed"),
        ("base: &b {x: 1}\nc:\n  <<: {y: 2}\n", 3, "merge keys"),
        ("a: [1, 2\n", 2, "YAML error"),
        ("", 1, "bank is empty"),
        ("1: one\n", 1, "mapping key 1 must be a string"),
    ],
)
def test_yaml_safety(yaml_text, line, message):
    found = problems(yaml_text, "b.yaml")
    assert len(found) == 1 and found[0].startswith(f"b.yaml:{line}: ") and message in found[0], found


def test_billion_laughs_is_refused_without_expanding():
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    assert "alias" in problems(lol)[0]


def test_huge_and_deep_input_is_refused(tmp_path: Path):
    big = tmp_path / "ch98.yaml"
    big.write_text("a: '" + "x" * MAX_BYTES + "'\n")
    with pytest.raises(BankError, match="larger than"):
        load_bank(big)
    assert "nests deeper" in problems("a: " + "[" * 60 + "]" * 60 + "\n")[0]


def test_unreadable_file_is_a_bank_error(tmp_path: Path):
    with pytest.raises(BankError, match="cannot read bank"):
        load_bank(tmp_path / "missing.yaml")
    bad = tmp_path / "latin.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(BankError, match="not UTF-8"):
        load_bank(bad)


def test_text_pattern_is_compiled_safely_at_load():
    text = bank_text("""\
    - id: q-text
      type: text
      section: s1
      objective: o1
      prompt: Name it
      pattern: "(a+)+b"
    """)
    assert problems(text) == [
        (
            "quizzes/ch99.yaml:14: question 'q-text': 'pattern': pattern has a nested "
            "quantifier such as (a+)+, which can take exponential time"
        )
    ]


def test_simulation_vocabulary_is_closed():
    text = bank_text("""\
    - id: q-sim
      type: simulation
      section: s1
      objective: o1
      prompt: How many?
      scenario:
        cluster: {workers: 2}
        actions:
          - exec: "rm -rf /"
      query: {count_pods: {}}
      expect: number
    """)
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(
        "quizzes/ch99.yaml:17: question 'q-sim': 'scenario.actions[0]'"
    )
    assert "exec" in found[0]


def test_kubectl_action_only_allows_listed_verbs():
    text = bank_text("""\
    - id: q-sim
      type: simulation
      section: s1
      objective: o1
      prompt: How many?
      scenario:
        cluster: {workers: 2}
        actions: [{kubectl: "exec -it web -- sh; rm x"}]
      query: {now: {}}
      expect: number
    """)
    assert "does not match" in problems(text)[0]


# ------------------------------------------------------------------ the chapter's bank


@pytest.fixture(scope="module")
def ch04():
    return load_bank(BANK)


def test_bank_starts_with_the_editor_schema_line():
    assert BANK.read_text().splitlines()[0] == "# yaml-language-server: $schema=schema.json"


def test_schema_file_matches_the_schema_the_loader_uses():
    assert (REPO / "kcourse" / "quiz" / "banks" / "schema.json").read_text() == schema_json()
    json.loads(schema_json())


def test_ch04_size_types_and_simulations(ch04):
    types = collections.Counter(q.type for q in ch04.questions)
    assert len(ch04.questions) >= 30
    assert len(types) >= 6
    assert types["simulation"] >= 6


def test_ch04_every_section_and_objective_is_used(ch04):
    assert {q.section for q in ch04.questions} == {s.id for s in ch04.sections}
    assert {q.objective for q in ch04.questions} == {o.id for o in ch04.objectives}


@pytest.mark.parametrize(
    "component",
    [
        "apiserver",
        "scheduler",
        "controller-manager",
        "cloud-controller-manager",
        "etcd",
        "kubelet",
        "kube-proxy",
        "dockershim",
        "containerd",
        "CRI-O",
        "runc",
        "Kata",
        "DNS",
        "Dashboard",
        "Monitoring",
        "Logging",
        "Pod",
        "compact",
        "IP",
        "CRI",
    ],
)
def test_ch04_names_every_component_of_the_chapter(ch04, component):
    text = " ".join(
        q.prompt
        + " "
        + " ".join(q.option_texts)
        + " "
        + " ".join(a for p in q.pairs for a in p)
        + " "
        + q.explanation
        for q in ch04.questions
    )
    assert component.lower() in text.lower()


def test_ch04_explanations_say_where_the_2020_chapter_aged(ch04):
    text = " ".join(q.explanation for q in ch04.questions)
    for fact in ("removed in Kubernetes 1.24", "control plane", "built-in CRI plugin", "Clear Containers"):
        assert fact in text, fact


def test_load_by_chapter_name(ch04):
    assert load("ch04") == ch04
