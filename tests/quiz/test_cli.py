"""The kcourse command: quiz lint, quiz take (stdin), quiz schema, progress (table and CSV)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from kcourse.cli import build_parser, main
from kcourse.quiz.progress import Progress

from .conftest import REPO, bank_text

BANK = bank_text("""\
- id: pick
  type: single
  section: s1
  objective: o1
  prompt: Which component stores cluster state?
  options: [etcd, kubelet]
  answer: etcd
  shuffle: false
  hints: [A key-value store.]
  explanation: Only etcd persists state.
- id: yesno
  type: true_false
  section: s2
  objective: o1
  prompt: kube-proxy runs on every node.
  answer: true
  hints: [Services work on every node.]
- id: steps
  type: ordering
  section: s2
  objective: o1
  prompt: Order them.
  items: [one, two, three]
  points: 2
  hints: [Count.]
""")


@pytest.fixture
def banks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "quizzes"
    d.mkdir()
    (d / "ch99.yaml").write_text(BANK)
    monkeypatch.setenv("KCOURSE_QUIZZES", str(d))
    return d


def take(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, lines: str, *args: str
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    rc = main(["quiz", "take", "ch99", *args])
    return rc, capsys.readouterr().out


def test_lint_passes_a_good_bank(banks: Path, capsys: pytest.CaptureFixture):
    assert main(["quiz", "lint", str(banks)]) == 0
    assert "ch99.yaml: 3 questions" in capsys.readouterr().out


def test_lint_fails_with_file_line_messages(banks: Path, capsys: pytest.CaptureFixture):
    (banks / "ch98.yaml").write_text(
        BANK.replace("chapter: ch99", "chapter: ch98").replace("answer: etcd", "answer: etc")
    )
    assert main(["quiz", "lint", str(banks)]) == 1
    err = capsys.readouterr().err
    assert f"{banks / 'ch98.yaml'}:15: question 'pick': 'answer' must be one of the options" in err


def test_lint_catches_a_chapter_name_that_does_not_match_the_file(banks: Path, capsys: pytest.CaptureFixture):
    (banks / "ch97.yaml").write_text(BANK)
    assert main(["quiz", "lint", str(banks / "ch97.yaml")]) == 1
    assert "'chapter' is 'ch99' but the file is ch97.yaml" in capsys.readouterr().err


def test_lint_rejects_yaml_booleans_where_text_is_expected(banks: Path, capsys: pytest.CaptureFixture):
    (banks / "ch99.yaml").write_text(
        BANK.replace("  items: [one, two, three]", "  items: [one, two, three]")
        + "  - id: txt\n    type: text\n    section: s1\n    objective: o1\n"
        "    prompt: Say it\n    answers: [yes]\n    pattern: 'nope+'\n"
    )
    # 'yes' is parsed by YAML as the boolean true: the schema catches it before grading could
    assert main(["quiz", "lint", str(banks)]) == 1
    assert "question 'txt': 'answers[0]': True is not of type 'string'" in capsys.readouterr().err


def test_lint_with_nothing_to_lint(tmp_path: Path, capsys: pytest.CaptureFixture):
    assert main(["quiz", "lint", str(tmp_path)]) == 1
    assert "no question banks" in capsys.readouterr().err


def test_take_reads_answers_from_stdin_and_saves_progress(
    banks: Path, monkeypatch, capsys, progress_path: Path
):
    # pick: an unknown letter (refused, asked again), a hint, then a; yesno: t; steps: skipped
    rc, out = take(monkeypatch, capsys, "z\n?\na\nt\n!\n")
    assert rc == 0
    assert "is not one of the options" in out and "(not counted; try again)" in out
    assert "Hint: A key-value store." in out
    assert "Correct. 1 / 1" in out and "Explanation: Only etcd persists state." in out
    assert out.rstrip().endswith("Score: 2 / 4 points")
    assert Progress(progress_path).attempts("ch99", "pick") == 1
    assert Progress(progress_path).attempts("ch99", "steps") == 0


def test_take_ordering_by_letters_and_end_of_input(banks: Path, monkeypatch, capsys):
    rc, out = take(monkeypatch, capsys, "!\n!\n", "--section", "s2")
    assert "Question 2 [s2] (put in order; 2 points)" in out
    listed = [line.split(") ", 1)[1] for line in out.splitlines() if line.startswith("  ") and ") " in line][
        -3:
    ]
    letters = " ".join("abc"[listed.index(item)] for item in ("one", "two", "three"))
    rc, out = take(monkeypatch, capsys, f"f\n!\n{letters}\n", "--section", "s2")
    assert "Not quite. 0 / 1" in out and "Correct. 2 / 2" in out
    rc, out = take(monkeypatch, capsys, "")
    assert "(end of input)" in out and rc == 0


def test_take_unknown_chapter(banks: Path, capsys):
    assert main(["quiz", "take", "ch42"]) == 2
    assert "cannot read bank" in capsys.readouterr().err


def test_progress_table_and_csv(banks: Path, monkeypatch, capsys):
    take(monkeypatch, capsys, "b\n!\nt\n!\n")
    assert main(["progress"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["chapter", "section", "answered", "points", "score"]
    assert table[1].split() == ["ch99", "s1", "1/1", "0/1", "0%"]
    assert table[2].split() == ["ch99", "s2", "1/2", "1/3", "33%"]
    assert table[3].split() == ["ch99", "(all)", "2/3", "1/4", "25%"]
    assert main(["progress", "--export", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["chapter", "question", "section", "attempts", "best", "points", "correct", "revealed"],
        ["ch99", "pick", "s1", "1", "0", "1", "no", "no"],
        ["ch99", "yesno", "s2", "1", "1", "1", "yes", "no"],
    ]
    assert main(["progress", "--reset"]) == 0
    capsys.readouterr()
    main(["progress"])
    assert "No answers recorded yet" in capsys.readouterr().out


def test_take_offers_a_second_try_then_shows_answer_and_explanation(banks: Path, monkeypatch, capsys):
    rc, out = take(monkeypatch, capsys, "b\nb\n!\n!\n")
    assert rc == 0 and out.count("Not quite. 0 / 1") == 2 and "Try again (? for a hint, ! to move on)." in out
    assert "Answer: etcd" in out and "Explanation: Only etcd persists state." in out
    assert Progress().entry("ch99", "pick")["revealed"] is True


def test_lint_requires_a_hint_on_every_question(banks: Path, capsys: pytest.CaptureFixture):
    (banks / "ch99.yaml").write_text(BANK.replace("  hints: [Count.]\n", ""))
    assert main(["quiz", "lint", str(banks)]) == 1
    err = capsys.readouterr().err
    assert err.count("'hints' is required") == 1 and "question 'steps': 'hints' is required" in err


def test_progress_command_with_an_impossible_file_says_so_in_one_line(tmp_path: Path, capsys):
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    assert main(["progress", "--reset", "--file", str(blocker / "progress.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kcourse progress: cannot create progress file") and err.count("\n") == 1


def test_schema_command_prints_the_shipped_schema(capsys):
    assert main(["quiz", "schema"]) == 0
    assert capsys.readouterr().out == (REPO / "kcourse" / "quiz" / "banks" / "schema.json").read_text()


def test_command_groups_register_through_one_function():
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args([])
    assert parser.parse_args(["progress", "--export", "csv"]).export == "csv"


def test_python_dash_m_kcourse_runs_the_cli(banks: Path):
    done = subprocess.run(
        [sys.executable, "-m", "kcourse", "quiz", "lint", str(banks)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
