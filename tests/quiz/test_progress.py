"""Progress survives restarts, crashes mid-save, corrupt files and two writers at once."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kcourse.quiz.model import Feedback
from kcourse.quiz.progress import Progress, default_path

from .conftest import q

Q1 = q("single", id="q1", section="s1", points=2)
Q2 = q("single", id="q2", section="s2")


def fb(score: float, points: float = 2, correct: bool = False) -> Feedback:
    return Feedback(valid=True, correct=correct, score=score, points=points)


def test_default_path_follows_the_environment(progress_path: Path, monkeypatch: pytest.MonkeyPatch):
    assert default_path() == progress_path
    monkeypatch.delenv("KCOURSE_PROGRESS")
    home = progress_path.parent.parent / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    # without the variable: the platform's user data directory (platformdirs), nothing in the working
    # directory
    assert default_path() == home / "data" / "kcourse" / "progress.json"
    # a learner who already has progress at the older place keeps it
    legacy = home / ".kcourse" / "progress.json"
    legacy.parent.mkdir(parents=True)
    legacy.write_text("{}")
    assert default_path() == legacy


def test_progress_module_imports_without_posix_only_modules():
    code = (
        "import sys; sys.modules.update(fcntl=None, termios=None, pwd=None, grp=None, resource=None); "
        "import kcourse.quiz, kcourse.quiz.progress, kcourse.quiz.cli; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout.strip()) == (0, "ok"), out.stderr


def test_record_keeps_attempts_and_best_score_across_instances(progress_path: Path):
    Progress().record("ch04", Q1, fb(2, correct=True))
    Progress().record("ch04", Q1, fb(0))
    entry = Progress(progress_path).chapter("ch04")["q1"]  # a new instance, as after a kernel restart
    assert entry == {
        "section": "s1",
        "attempts": 2,
        "last": 0,
        "best": 2,
        "points": 2,
        "correct": True,
        "revealed": False,
    }


def test_invalid_feedback_is_not_recorded(progress: Progress):
    with pytest.raises(ValueError):
        progress.record("ch04", Q1, Feedback(valid=False, message="empty"))
    assert progress.chapter("ch04") == {}


def test_score_and_reset(progress: Progress):
    progress.record("ch04", Q1, fb(1))
    progress.record("ch04", Q2, fb(1, points=1, correct=True))
    progress.record("ch05", Q2, fb(1, points=1, correct=True))
    assert progress.score("ch04", [Q1, Q2]) == (2, 3)
    assert progress.score("ch04", [Q1]) == (1, 2)
    progress.reset("ch04")
    assert progress.score("ch04", [Q1, Q2]) == (0, 3)
    assert progress.attempts("ch05", "q2") == 1
    progress.reset()
    assert progress.load()["chapters"] == {}


def test_interrupted_replace_leaves_previous_progress_and_no_temp_file(
    progress: Progress, monkeypatch: pytest.MonkeyPatch
):
    progress.record("ch04", Q1, fb(2, correct=True))
    before = progress.path.read_bytes()

    def boom(src, dst):
        raise OSError("disk pulled out")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        progress.record("ch04", Q2, fb(1, points=1))
    monkeypatch.undo()
    assert progress.path.read_bytes() == before
    assert sorted(p.name for p in progress.path.parent.iterdir()) == ["progress.json", "progress.json.lock"]
    assert progress.attempts("ch04", "q1") == 1


_CRASH_CHILD = textwrap.dedent("""
    import os, sys
    from kcourse.quiz.model import Feedback, Question
    from kcourse.quiz.progress import Progress

    def die_before_replace(src, dst):
        os.kill(os.getpid(), 9)       # the process dies after writing and fsyncing the temp file

    os.replace = die_before_replace
    q = Question(id="late", type="single", prompt="?", section="s1", objective="o1")
    Progress(sys.argv[1]).record("ch04", q, Feedback(valid=True, correct=True, score=1, points=1))
""")


def test_process_killed_mid_save_leaves_previous_progress_readable(progress: Progress):
    progress.record("ch04", Q1, fb(2, correct=True))
    child = subprocess.run(
        [sys.executable, "-c", _CRASH_CHILD, str(progress.path)], check=False, capture_output=True
    )
    assert child.returncode == -signal.SIGKILL
    data = Progress(progress.path).load()
    assert set(data["chapters"]["ch04"]) == {"q1"}
    # the lock was released with the dead process: a later save works
    progress.record("ch04", Q2, fb(1, points=1))
    assert set(progress.chapter("ch04")) == {"q1", "q2"}


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"version": 1, "chapters": {"ch04": 3}}',
        b'{"version": 99, "chapters": {}}',
    ],
)
def test_corrupt_file_is_moved_aside_with_one_line(progress: Progress, content: bytes, capsys):
    progress.path.parent.mkdir(parents=True)
    progress.path.write_bytes(content)
    assert progress.load()["chapters"] == {}
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "moved it to progress.json.bad-1" in err
    assert (progress.path.parent / "progress.json.bad-1").read_bytes() == content
    progress.path.write_bytes(content)
    progress.record("ch04", Q1, fb(1))
    assert "moved it to progress.json.bad-2" in capsys.readouterr().err
    assert progress.chapter("ch04")["q1"]["attempts"] == 1


def test_the_last_answer_is_kept_to_show_again(progress: Progress):
    progress.record("ch04", Q1, fb(0), answer="kubelet")
    progress.record("ch04", Q2, fb(1, points=1), answer={"kubelet": "runs pods"})
    assert Progress(progress.path).entry("ch04", "q1")["answer"] == "kubelet"
    assert Progress(progress.path).entry("ch04", "q2")["answer"] == {"kubelet": "runs pods"}
    progress.record("ch04", Q1, fb(0), answer=object())  # not JSON: graded, counted, not kept
    assert "answer" not in progress.entry("ch04", "q1") and progress.attempts("ch04", "q1") == 2


def test_after_a_reveal_attempts_count_but_no_longer_raise_the_best_score(progress: Progress):
    progress.record("ch04", Q1, fb(1), answer="a")
    progress.reveal("ch04", Q1)
    progress.record("ch04", Q1, fb(2, correct=True), answer="b")
    entry = progress.entry("ch04", "q1")
    assert entry["revealed"] is True and entry["attempts"] == 2 and entry["last"] == 2
    assert entry["best"] == 1 and entry["correct"] is False
    assert progress.score("ch04", [Q1]) == (1, 2)


def test_a_reveal_before_any_attempt_keeps_the_question_at_zero(progress: Progress):
    progress.reveal("ch04", Q2)
    progress.record("ch04", Q2, fb(1, points=1, correct=True), answer="x")
    assert progress.score("ch04", [Q2]) == (0, 1) and progress.entry("ch04", "q2")["attempts"] == 1


def _answer_many(path: str, prefix: str, n: int, start: float) -> None:
    while time.time() < start:  # start together, to overlap as much as possible
        pass
    p = Progress(path)
    for i in range(n):
        p.record(
            "ch04", q("single", id=f"{prefix}-{i}"), Feedback(valid=True, score=1, points=1, correct=True)
        )


def test_two_processes_saving_at_once_lose_nothing(progress: Progress):
    ctx = multiprocessing.get_context("spawn")
    start = time.time() + 1.0
    procs = [ctx.Process(target=_answer_many, args=(str(progress.path), name, 25, start)) for name in "ab"]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    entries = progress.chapter("ch04")
    assert len(entries) == 50
    assert {f"{n}-{i}" for n in "ab" for i in range(25)} == set(entries)


def test_same_question_from_two_processes_counts_both_attempts(progress: Progress):
    ctx = multiprocessing.get_context("spawn")
    start = time.time() + 1.0
    procs = [ctx.Process(target=_answer_many, args=(str(progress.path), "same", 1, start)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert progress.attempts("ch04", "same-0") == 2


def test_file_is_plain_sorted_json(progress: Progress):
    progress.record("ch04", Q1, fb(1))
    text = progress.path.read_text()
    assert json.loads(text)["version"] == 1 and text.endswith("\n")
