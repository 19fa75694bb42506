"""A learner's progress, kept in one JSON file across kernel restarts.

Where: ``$KCOURSE_PROGRESS`` if set, else ``~/.kcourse/progress.json``.

Why it is written the way it is:

* Atomic: a save writes a temporary file in the same directory, fsyncs it and
  ``os.replace``-s it over the old one, so a crash mid-save leaves the previous
  file whole.  Stray temporary files from such a crash are ignored.
* Concurrent: two notebooks (or a notebook and the terminal quiz) may answer
  at the same time.  Every save takes an exclusive ``flock`` on a lock file
  beside the data, re-reads the file, merges its one change and writes; so no
  answer is lost, whatever the interleaving.
* Forgiving: a file that is not valid progress is moved aside to
  ``progress.json.corrupt-N`` with a warning, and a fresh one is started; a
  learner's quiz never crashes on it.
* Deterministic: no timestamps, so nothing displayed depends on the clock.

Layout: ``{"version": 1, "chapters": {"ch04": {"<question id>": {"section",
"attempts", "best", "last", "points", "correct"}}}}``; ``best`` is the best
score so far, and chapter or section scores add up ``best``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from kcourse.quiz.model import Feedback, Question

__all__ = ["ENV_VAR", "Progress", "default_path"]

ENV_VAR = "KCOURSE_PROGRESS"
VERSION = 1


def default_path() -> Path:
    """``$KCOURSE_PROGRESS`` or ``~/.kcourse/progress.json``."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".kcourse" / "progress.json"


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "chapters": {}}


def _valid(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("chapters"), dict):
        return False
    for chapter in data["chapters"].values():
        if not isinstance(chapter, dict):
            return False
        for entry in chapter.values():
            if not isinstance(entry, dict) or not isinstance(entry.get("attempts"), int):
                return False
            if not all(isinstance(entry.get(k), (int, float)) and math.isfinite(entry[k]) for k in ("best", "points")):
                return False
    return True


class Progress:
    """Read and update one progress file; cheap to create, touches disk only when used."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path).expanduser() if path is not None else default_path()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _move_aside(self, why: str) -> None:
        n = 1
        while self.path.with_name(f"{self.path.name}.corrupt-{n}").exists():
            n += 1
        aside = self.path.with_name(f"{self.path.name}.corrupt-{n}")
        os.replace(self.path, aside)
        warnings.warn(f"progress file {self.path} was unreadable ({why}); moved it to {aside.name} "
                      "and started a fresh one", RuntimeWarning, stacklevel=3)

    def _read(self, repair: bool) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _empty()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            data, why = None, f"not JSON: {exc.__class__.__name__}"
        else:
            why = "not a kcourse progress file"
        if _valid(data):
            return data
        if repair:
            self._move_aside(why)
        else:
            warnings.warn(f"progress file {self.path} is unreadable ({why}); ignoring it", RuntimeWarning,
                          stacklevel=3)
        return _empty()

    def _write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def load(self) -> dict[str, Any]:
        """The whole progress data; a corrupt file is moved aside (under the lock)."""
        if not self.path.exists():
            return _empty()
        with self._locked():
            return self._read(repair=True)

    def chapter(self, chapter: str) -> dict[str, dict[str, Any]]:
        """Per-question entries of one chapter."""
        return self.load()["chapters"].get(chapter, {})

    def attempts(self, chapter: str, qid: str) -> int:
        return int(self.chapter(chapter).get(qid, {}).get("attempts", 0))

    def record(self, chapter: str, question: Question, feedback: Feedback) -> dict[str, Any]:
        """Count one graded attempt; invalid answers are not attempts and are not saved."""
        if not feedback.valid:
            raise ValueError("an invalid answer is not an attempt and is not recorded")
        with self._locked():
            data = self._read(repair=True)
            entries = data["chapters"].setdefault(chapter, {})
            old = entries.get(question.id, {})
            entry = {
                "section": question.section,
                "attempts": int(old.get("attempts", 0)) + 1,
                "last": feedback.score,
                "best": max(float(old.get("best", 0.0)), feedback.score),
                "points": question.points,
                "correct": bool(old.get("correct", False) or feedback.correct),
            }
            entries[question.id] = entry
            self._write(data)
            return entry

    def score(self, chapter: str, questions: Iterable[Question]) -> tuple[float, float]:
        """(best points earned, points possible) over ``questions``: a section or a chapter score."""
        entries = self.chapter(chapter)
        earned = possible = 0.0
        for q in questions:
            possible += q.points
            earned += min(q.points, float(entries.get(q.id, {}).get("best", 0.0)))
        return round(earned, 6), round(possible, 6)

    def reset(self, chapter: str | None = None) -> None:
        """Forget one chapter's progress, or everything."""
        with self._locked():
            data = self._read(repair=True)
            if chapter is None:
                data = _empty()
            else:
                data["chapters"].pop(chapter, None)
            self._write(data)
