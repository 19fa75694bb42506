"""A learner's progress, kept in one JSON file across kernel restarts.

Where: ``$KCOURSE_PROGRESS`` if set, else ``progress.json`` in the platform's
user data directory (``platformdirs``: ``~/.local/share/kcourse`` on Linux,
``~/Library/Application Support/kcourse`` on macOS, ``%LOCALAPPDATA%\\kcourse``
on Windows); a file already kept at the old place, ``~/.kcourse/progress.json``,
goes on being used so no learner loses their answers.  The
file is the learner's own, outside every notebook: it holds their last answer
to each question (so a widget shows it again after a restart), never a key.

Why it is written the way it is:

* Atomic: a save writes a temporary file in the same directory, fsyncs it and
  ``os.replace``-s it over the old one, so a crash mid-save leaves the previous
  file whole.  Stray temporary files from such a crash are ignored.
* Concurrent: two notebooks (or a notebook and the terminal quiz) may answer
  at the same time.  Every save takes an exclusive lock (``filelock``: ``flock``
  on POSIX, ``msvcrt`` locking on Windows, so the module imports everywhere) on a lock file
  beside the data, re-reads the file, merges its one change and writes; so no
  answer is lost, whatever the interleaving.
* Forgiving: anything at the path that is not usable progress — not JSON,
  wrong types, numbers out of range (a 400-digit ``best``), larger than
  :data:`MAX_BYTES`, a directory, a FIFO or device, unreadable — is moved aside
  to ``progress.json.bad-N`` with one line on stderr, and a fresh file is
  started; a learner's quiz never crashes on it.
* Clear about the impossible: a path that cannot hold a file (its parent is
  a file, a NUL byte, a name too long, no permission) raises
  :class:`ProgressError` with one line saying so.
* Deterministic: no timestamps, so nothing displayed depends on the clock.

Layout: ``{"version": 1, "chapters": {"ch04": {"<question id>": {"section",
"attempts", "best", "last", "points", "correct", "answer", "revealed"}}}}``;
``best`` is the best score so far, and chapter or section scores add up
``best``.  ``answer`` is the last graded answer as the learner gave it.

Revealing, and what it does to the score: once a question's explanation and
key have been shown without a correct answer — the learner pressed "Show
answer", or used up the attempts that count — ``revealed`` is true and later
attempts are still graded and counted but no longer raise ``best``.  Points
earned before the reveal are kept; a question revealed before any correct
answer adds what its best earlier attempt earned, often 0.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import filelock
import platformdirs

from kcourse.quiz.model import Feedback, Question

__all__ = ["ENV_VAR", "MAX_BYTES", "Progress", "ProgressError", "default_path"]

ENV_VAR = "KCOURSE_PROGRESS"
VERSION = 1
#: Largest progress file read; a learner's whole course is a few KiB.
MAX_BYTES = 8 << 20
#: Bounds of every number in the file: far beyond any real score, well inside a float.
MAX_POINTS = 1e6
MAX_ATTEMPTS = 10**9
#: Largest stored answer, as JSON text.
MAX_ANSWER = 20_000


class ProgressError(OSError):
    """The progress path cannot be used at all; the message is one line."""


def default_path() -> Path:
    """``$KCOURSE_PROGRESS``, else ``progress.json`` in the user data directory (or the older
    ``~/.kcourse``)."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    legacy = Path.home() / ".kcourse" / "progress.json"
    if os.path.lexists(legacy):
        return legacy
    return Path(platformdirs.user_data_dir("kcourse", appauthor=False)) / "progress.json"


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "chapters": {}}


def _number(value: Any, top: float) -> bool:
    """A JSON number within ``[0, top]``; a bool or a 400-digit integer is not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, int):
        return 0 <= value <= top
    return math.isfinite(value) and 0 <= value <= top


def _valid_entry(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    if not (isinstance(entry.get("attempts"), int) and _number(entry["attempts"], MAX_ATTEMPTS)):
        return False
    if not all(_number(entry.get(k), MAX_POINTS) for k in ("best", "points")):
        return False
    if "last" in entry and not _number(entry["last"], MAX_POINTS):
        return False
    if any(k in entry and not isinstance(entry[k], bool) for k in ("correct", "revealed")):
        return False
    return "section" not in entry or isinstance(entry["section"], str)


def _valid(data: Any) -> bool:
    if (
        not isinstance(data, dict)
        or data.get("version") != VERSION
        or not isinstance(data.get("chapters"), dict)
    ):
        return False
    return all(
        isinstance(chapter, dict) and all(isinstance(k, str) and _valid_entry(e) for k, e in chapter.items())
        for chapter in data["chapters"].values()
    )


def _say(message: str) -> None:
    """One line on stderr: a notebook shows it under the cell, a terminal under the prompt."""
    print(f"kcourse: {message}", file=sys.stderr)


def _storable(answer: Any) -> Any:
    """``answer`` if it is small JSON data that can be shown again, else None."""
    try:
        text = json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return answer if len(text) <= MAX_ANSWER else None


class Progress:
    """Read and update one progress file; cheap to create, touches disk only when used."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        raw = os.fspath(path) if path is not None else str(default_path())
        if "\0" in raw:
            raise ProgressError(f"progress path {raw!r} contains a NUL byte")
        self.path = Path(raw).expanduser()

    def _fail(self, doing: str, exc: OSError) -> ProgressError:
        return ProgressError(f"cannot {doing} progress file {self.path}: {exc.strerror or exc}")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock = filelock.FileLock(self.path.with_name(self.path.name + ".lock"), thread_local=False)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            lock.acquire()
        except OSError as exc:
            raise self._fail("create", exc) from None
        try:
            yield
        finally:
            lock.release()

    def _move_aside(self, why: str) -> None:
        n = 1
        while os.path.lexists(self.path.with_name(f"{self.path.name}.bad-{n}")):
            n += 1
        aside = self.path.with_name(f"{self.path.name}.bad-{n}")
        try:
            os.replace(self.path, aside)
        except OSError as exc:
            raise self._fail("move aside the unusable", exc) from None
        _say(
            f"progress file {self.path} could not be used ({why}); moved it to {aside.name} and started "
            "afresh"
        )

    def _problem(self) -> tuple[dict[str, Any] | None, str]:
        """The file's data, or None and why it cannot be used; ({}, "") when there is no file."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return ({}, "") if not os.path.islink(self.path) else (None, "a symbolic link to a missing file")
        except OSError as exc:
            if not os.path.lexists(
                self.path
            ):  # a dangling symlink counts as unusable, anything else as impossible
                raise self._fail("read", exc) from None
            return None, exc.strerror or "cannot be read"
        if stat.S_ISDIR(info.st_mode):
            return None, "it is a directory"
        if not stat.S_ISREG(info.st_mode):
            return None, "it is not a regular file"
        if info.st_size > MAX_BYTES:
            return None, f"larger than {MAX_BYTES} bytes"
        try:
            with open(self.path, "rb") as f:
                raw = f.read(MAX_BYTES + 1)
        except OSError as exc:
            return None, exc.strerror or "cannot be read"
        try:
            data = json.loads(raw.decode("utf-8"))
        except (
            UnicodeDecodeError,
            ValueError,
            RecursionError,
        ) as exc:  # ValueError: JSON, or a 5,000-digit integer
            return None, f"not JSON: {exc.__class__.__name__}"
        if not _valid(data):
            return None, "not a kcourse progress file, or a value out of range"
        return data, ""

    def _read(self) -> dict[str, Any]:
        """The progress data; whatever cannot be used is moved aside first (call under the lock)."""
        data, why = self._problem()
        if data is None:
            self._move_aside(why)
            return _empty()
        return data or _empty()

    def _write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=1, sort_keys=True) + "\n"
        try:
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        except OSError as exc:
            raise self._fail("write", exc) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise self._fail("write", exc) from None
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable where the OS allows
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def load(self) -> dict[str, Any]:
        """The whole progress data; an unusable file is moved aside (under the lock)."""
        try:
            present = os.path.lexists(self.path)
        except (OSError, ValueError) as exc:
            raise ProgressError(f"cannot use progress path {self.path}: {exc}") from None
        if not present:
            return _empty()
        with self._locked():
            return self._read()

    def chapter(self, chapter: str) -> dict[str, dict[str, Any]]:
        """Per-question entries of one chapter."""
        return self.load()["chapters"].get(chapter, {})

    def entry(self, chapter: str, qid: str) -> dict[str, Any]:
        """One question's entry ({} before its first attempt)."""
        return self.chapter(chapter).get(qid, {})

    def attempts(self, chapter: str, qid: str) -> int:
        return int(self.entry(chapter, qid).get("attempts", 0))

    def _update(self, chapter: str, question: Question, change: Any) -> dict[str, Any]:
        with self._locked():
            data = self._read()
            entries = data["chapters"].setdefault(chapter, {})
            old = entries.get(question.id, {})
            entry = {
                "section": question.section,
                "attempts": int(old.get("attempts", 0)),
                "best": float(old.get("best", 0.0)),
                "points": question.points,
                "correct": bool(old.get("correct", False)),
                "revealed": bool(old.get("revealed", False)),
            }
            for k in ("last", "answer"):
                if k in old:
                    entry[k] = old[k]
            change(entry)
            entries[question.id] = entry
            self._write(data)
            return entry

    def record(
        self, chapter: str, question: Question, feedback: Feedback, answer: Any = None, reveal: bool = False
    ) -> dict[str, Any]:
        """Count one graded attempt and keep ``answer`` to show again; ``reveal`` marks the key as shown.

        Invalid answers are not attempts and are not saved.  After a reveal
        the attempt is counted but does not raise ``best`` (see the module docstring).
        """
        if not feedback.valid:
            raise ValueError("an invalid answer is not an attempt and is not recorded")

        def change(entry: dict[str, Any]) -> None:
            entry["attempts"] = min(MAX_ATTEMPTS, entry["attempts"] + 1)
            entry["last"] = feedback.score
            if not entry["revealed"]:
                entry["best"] = max(entry["best"], feedback.score)
                entry["correct"] = entry["correct"] or feedback.correct
            entry["revealed"] = entry["revealed"] or reveal
            stored = _storable(answer)
            if stored is None:
                entry.pop("answer", None)
            else:
                entry["answer"] = stored

        return self._update(chapter, question, change)

    def reveal(self, chapter: str, question: Question) -> dict[str, Any]:
        """Record that ``question``'s key and explanation were shown ("Show answer")."""
        return self._update(chapter, question, lambda entry: entry.update(revealed=True))

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
            data = self._read()
            if chapter is None:
                data = _empty()
            else:
                data["chapters"].pop(chapter, None)
            self._write(data)
