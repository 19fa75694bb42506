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
import os
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcourse.quiz.grading import grade
from kcourse.quiz.loader import BankError, load_bank
from kcourse.quiz.progress import Progress, ProgressError
from kcourse.quiz.session import QuizSession

from .conftest import CORPUS, assert_clear, expectation

BANKS = sorted((CORPUS / "banks").glob("*.yaml"))
REAL_BANK = CORPUS.parents[1] / "kcourse" / "quiz" / "banks" / "ch04.yaml"


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
    assert expectation(path) in problems[0][len(str(bank)) :]


def test_a_bank_that_is_not_utf8_or_missing_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    binary = tmp_path / "junk.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(BankError, match=r"junk.yaml:1: bank is not UTF-8 text"):
        load_bank(binary)
    with pytest.raises(BankError, match=r"nowhere.yaml:1: cannot read bank"):
        load_bank(tmp_path / "nowhere.yaml")


BAD_ANSWERS = [
    None,
    "",
    "   ",
    42,
    -1,
    math.nan,
    math.inf,
    [],
    {},
    {"a": 1},
    ["x"] * 1000,
    object(),
    b"\xff",
    "x" * 100_000,
    "{{ 7*7 }}",
    "__import__('os').system('true')",
    True,
]


@pytest.fixture(scope="module")
def session_bank():
    return load_bank(REAL_BANK)


@pytest.mark.parametrize(
    "answer", BAD_ANSWERS, ids=[f"{type(a).__name__}-{i}" for i, a in enumerate(BAD_ANSWERS)]
)
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
    "attempts-string": (
        b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": "1", "best": 1, "points": 1}}}}'
    ),
    "best-null": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": 1, "best": null, "points": 1}}}}',
    "nan": b'{"version": 1, "chapters": {"ch04": {"q": {"attempts": 1, "best": NaN, "points": 1}}}}',
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "yaml-python-tag": b"!!python/object/apply:os.system ['true']\n",
    "latin1": '{"version": 1, "chapters": {"caf\xe9": {}}}'.encode("latin-1"),
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_progress_is_set_aside_with_one_line(
    content: bytes, tmp_path: Path, session_bank, capsys
) -> None:
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


# ---- generated: numbers in banks, answers to numeric questions, progress files ----------------------------

HUGE = [10**400, -(10**400), 2**63, 2**1024, 10**4299]
ODD_NUMBERS = st.one_of(
    st.sampled_from(HUGE),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([True, False, None, "", "3", "1e400", "NaN", [], {}, [1], {"a": 1}]),
)


def _yaml_scalar(value: object) -> str:
    """``value`` as YAML text (json is YAML for these scalars; floats spelt as YAML spells inf and nan)."""
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return json.dumps(value)


NUMERIC_FIELDS = ("answer", "tolerance", "points", "attempts")


def _numeric_bank(fields: dict[str, object], seed: object) -> str:
    lines = [
        f"seed: {_yaml_scalar(seed)}",
        "chapter: ch99",
        "title: Test bank",
        "objectives: [{id: o1, text: An objective}]",
        'sections: [{id: s1, title: "9.1 A section"}]',
        "questions:",
        "  - id: q1",
        "    type: numeric",
        "    section: s1",
        "    objective: o1",
        "    prompt: How many?",
        "    hints: [Count them.]",
    ]
    lines += [f"    {k}: {_yaml_scalar(v)}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    fields=st.fixed_dictionaries(
        {"answer": ODD_NUMBERS}, optional={k: ODD_NUMBERS for k in NUMERIC_FIELDS[1:]}
    ),
    seed=st.one_of(st.integers(min_value=0, max_value=2**32 - 1), ODD_NUMBERS),
)
def test_generated_numbers_in_a_bank_load_or_are_refused_with_file_and_line(fields, seed, tmp_path_factory):
    """Whatever number sits in a bank field, lint answers with ``file:line`` problems or passes; it never
    raises."""
    from kcourse.quiz.lint import lint

    path = tmp_path_factory.mktemp("bank") / "ch99.yaml"
    path.write_text(_numeric_bank(fields, seed), encoding="utf-8")
    problems, banks = lint([path])
    assert bool(problems) != bool(banks)
    for p in problems:
        assert re.match(rf"{re.escape(str(path))}:\d+: \S", str(p)), p
        assert "\n" not in str(p) and len(str(p)) < 600, str(p)[:300]
        assert_clear(p.message)
    for bank in banks:  # what loaded is bounded, so grading it cannot overflow
        q = bank.questions[0]
        assert abs(q.answer) <= 1e15 and 0 <= q.tolerance <= 1e15 and grade(q, q.answer).correct


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    answer=st.one_of(
        ODD_NUMBERS,
        st.text(max_size=80),
        st.from_regex(r"\A[-+]?[0-9]{300,500}(e[0-9]{1,4})?\Z"),
        st.sampled_from(["9" * 5000, "1e999999999 s", "-0", "0x10", "١٢٣", "1_000", "∞"]),
    )
)
def test_generated_answers_to_a_numeric_question_never_raise(answer, session_bank):
    """``grade(numeric, 10**400)`` and its family: a wrong answer or an invalid one with a message, never an
    error."""
    for q in (x for x in session_bank.questions if x.type == "numeric"):
        fb = grade(q, answer)
        assert fb.valid or fb.message
        if not fb.valid:
            assert_clear(fb.message)
            assert len(fb.message) < 200


JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(HUGE),
        st.floats(allow_nan=False),
        st.text(max_size=8),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
ENTRY_VALUE = st.one_of(JSONISH, st.sampled_from(HUGE + [-1, 0, 1, 2.5, 1e308, True, "1"]))


def _progress_like(entry: dict) -> bytes:
    return json.dumps({"version": 1, "chapters": {"ch04": {"etcd-update": entry}}}).encode()


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    content=st.one_of(
        st.binary(max_size=200),
        JSONISH.map(lambda d: json.dumps(d).encode()),
        st.fixed_dictionaries(
            {"attempts": ENTRY_VALUE, "best": ENTRY_VALUE, "points": ENTRY_VALUE},
            optional={
                "last": ENTRY_VALUE,
                "correct": ENTRY_VALUE,
                "revealed": ENTRY_VALUE,
                "section": ENTRY_VALUE,
                "answer": ENTRY_VALUE,
            },
        ).map(_progress_like),
    )
)
def test_generated_progress_files_are_used_or_moved_aside_in_one_line(
    content, session_bank, tmp_path_factory
):
    """Every file at the progress path is either valid progress or set aside; the quiz goes on either way."""
    import contextlib
    import io

    folder = tmp_path_factory.mktemp("progress")
    path = folder / "progress.json"
    path.write_bytes(content)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        session = QuizSession(session_bank, progress=Progress(path))
        earned, possible = session.chapter_score()
        q = session_bank.question("etcd-update")
        session.restore(q.id)  # a saved answer of any shape restores or is ignored
        fb = session.check(q.id, q.answer)
    assert fb.valid and fb.correct and "Not saved" not in fb.message
    assert 0 <= earned <= possible
    moved = sorted(p.name for p in folder.iterdir() if ".bad-" in p.name)
    lines = err.getvalue().splitlines()
    assert len(lines) == len(moved) <= 1
    if moved:
        assert (folder / moved[0]).read_bytes() == content and "moved it to progress.json.bad-1" in lines[0]
    data = json.loads(path.read_text())
    assert data["chapters"]["ch04"]["etcd-update"]["attempts"] >= 1


def _special(kind: str, path: Path) -> None:
    if kind == "directory":
        path.mkdir()
        (path / "inside.txt").write_text("kept")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dangling-symlink":
        path.symlink_to(path.parent / "nowhere" / "x.json")
    elif kind == "too-large":
        path.write_bytes(b'{"version": 1, "chapters": {}}' + b" " * (9 << 20))


@pytest.mark.parametrize(
    "kind", ["directory", "fifo", "symlink-to-dev-zero", "dangling-symlink", "too-large"]
)
def test_whatever_sits_at_the_progress_path_is_moved_aside_not_read_forever(
    kind, tmp_path, session_bank, capsys
):
    path = tmp_path / "progress.json"
    _special(kind, path)
    session = QuizSession(session_bank, progress=Progress(path))
    q = session_bank.question("etcd-update")
    assert session.check(q.id, q.answer).correct
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moved it to progress.json.bad-1" in err
    assert os.path.lexists(tmp_path / "progress.json.bad-1") and path.is_file()
    if kind == "directory":
        assert (tmp_path / "progress.json.bad-1" / "inside.txt").read_text() == "kept"


def test_an_unreadable_progress_file_is_moved_aside(tmp_path, session_bank, capsys, monkeypatch):
    """Root reads every file, so the refusal is simulated where the file is opened."""
    path = tmp_path / "progress.json"
    path.write_text('{"version": 1, "chapters": {}}')
    real_open = open

    def refusing(file, *args, **kwargs):
        if str(file) == str(path) and "rb" in args:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    import builtins

    monkeypatch.setattr(builtins, "open", refusing)
    assert Progress(path).load() == {"version": 1, "chapters": {}}
    assert "could not be used (Permission denied); moved it to progress.json.bad-1" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["parent-is-a-file", "nul-byte", "name-too-long", "under-dev-null"])
def test_an_impossible_progress_path_is_one_clear_error(where, tmp_path, session_bank):
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    raw = {
        "parent-is-a-file": str(blocker / "progress.json"),
        "nul-byte": str(tmp_path / "pro\0gress.json"),
        "name-too-long": str(tmp_path / ("p" * 300 + ".json")),
        "under-dev-null": "/dev/null/progress.json",
    }[where]
    q = session_bank.question("etcd-update")
    with pytest.raises(ProgressError) as err:
        Progress(raw).record("ch04", q, grade(q, q.answer))
    message = str(err.value)
    assert "\n" not in message and ("cannot" in message or "NUL" in message)
    assert_clear(message)
    if where != "nul-byte":
        session = QuizSession(session_bank, progress=Progress(raw))
        fb = session.check(q.id, q.answer)
        assert fb.correct and "(Not saved: cannot" in fb.message and session.problem
