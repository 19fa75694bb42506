"""Broken quiz banks, bad answers and corrupt progress files.

A bank under ``banks/`` must be refused with ``file:line: message`` problems
(each file starts with ``# expect: :<line>: <message>``), never load and
never run anything; a bad answer gets a clear message and counts no
attempt; a corrupt progress file is set aside with a warning and the quiz
goes on.
"""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path

import pytest

from kcourse.quiz.grading import grade
from kcourse.quiz.loader import BankError, load_bank
from kcourse.quiz.progress import Progress
from kcourse.quiz.session import QuizSession

from .conftest import CORPUS, assert_clear, expectation

BANKS = sorted((CORPUS / "banks").glob("*.yaml"))
REAL_BANK = CORPUS.parents[1] / "quizzes" / "ch04.yaml"


@pytest.mark.parametrize("path", BANKS, ids=[p.stem for p in BANKS])
def test_broken_bank_is_refused_with_file_and_line(path: Path, tmp_path: Path, marker: Path) -> None:
    bank = tmp_path / path.name
    bank.write_text(path.read_text(encoding="utf-8").replace("{MARKER}", str(marker)), encoding="utf-8")
    with pytest.raises(BankError) as err:
        load_bank(bank)
    problems = [str(p) for p in err.value.problems]
    assert problems
    for p in problems:
        assert re.match(rf"{re.escape(str(bank))}:\d+: \S", p), p
        assert_clear(p)
    assert expectation(path) in problems[0][len(str(bank)):]


def test_a_bank_that_is_not_utf8_or_missing_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    binary = tmp_path / "junk.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(BankError, match=r"junk.yaml:1: bank is not UTF-8 text"):
        load_bank(binary)
    with pytest.raises(BankError, match=r"nowhere.yaml:1: cannot read bank"):
        load_bank(tmp_path / "nowhere.yaml")


BAD_ANSWERS = [None, "", "   ", 42, -1, math.nan, math.inf, [], {}, {"a": 1}, ["x"] * 1000, object(), b"\xff",
               "x" * 100_000, "{{ 7*7 }}", "__import__('os').system('true')", True]


@pytest.fixture(scope="module")
def session_bank():
    return load_bank(REAL_BANK)


@pytest.mark.parametrize("answer", BAD_ANSWERS, ids=[f"{type(a).__name__}-{i}" for i, a in enumerate(BAD_ANSWERS)])
def test_bad_answers_get_a_message_and_count_no_attempt(answer: object, session_bank, tmp_path: Path) -> None:
    progress = Progress(tmp_path / "progress.json")
    session = QuizSession(session_bank, progress=progress)
    for q in session_bank.questions:
        if q.type == "simulation":
            continue  # their key comes from running a scenario: covered by the quiz's own tests
        feedback = grade(q, answer)
        if feedback.valid:
            continue  # e.g. a string is a possible (wrong) answer to a text question
        assert_clear(feedback.message)
        before = session.attempts_used(q.id)
        assert session.check(q.id, answer).valid is False
        assert session.attempts_used(q.id) == before
    assert not (tmp_path / "progress.json").exists(), "an invalid answer was saved"


CORRUPT = {
    "binary": b"\x00\xff\xfe garbage",
    "truncated-json": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": 1',
    "empty": b"",
    "json-list": b"[1, 2, 3]",
    "json-string": b'"progress"',
    "wrong-version": b'{"version": 99, "chapters": {}}',
    "chapters-list": b'{"version": 1, "chapters": []}',
    "attempts-string": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": "1", "best": 1, "points": 1}}}}',
    "best-null": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": 1, "best": null, "points": 1}}}}',
    "nan": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": 1, "best": NaN, "points": 1}}}}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "yaml-python-tag": b"!!python/object/apply:os.system ['true']\n",
    "latin1": "{\"version\": 1, \"chapters\": {\"caf\xe9\": {}}}".encode("latin-1"),
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_progress_is_set_aside_with_one_line(content: bytes, tmp_path: Path, session_bank, capsys) -> None:
    path = tmp_path / "progress.json"
    path.write_bytes(content)
    data = Progress(path).load()
    assert data == {"version": 1, "chapters": {}}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moved it to progress.json.bad-1" in err
    assert (tmp_path / "progress.json.bad-1").read_bytes() == content
    q = next(q for q in session_bank.questions if q.type == "true_false")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        feedback = QuizSession(session_bank, progress=Progress(path)).check(q.id, True)
    assert feedback.valid
    assert json.loads(path.read_text())["chapters"][session_bank.chapter][q.id]["attempts"] == 1
    assert capsys.readouterr().err == ""
