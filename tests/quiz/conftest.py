"""Fixtures for the quiz tests: every test gets its own progress file."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kcourse.quiz.model import Option, Question
from kcourse.quiz.progress import ENV_VAR, Progress

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "kcourse" / "quiz" / "banks" / "ch04.yaml"


@pytest.fixture(autouse=True)
def progress_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point KCOURSE_PROGRESS at a temporary file so no test touches ~/.kcourse."""
    path = tmp_path / "progress" / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


@pytest.fixture
def progress(progress_path: Path) -> Progress:
    return Progress(progress_path)


def q(type: str, **kw) -> Question:
    """A question of ``type`` with just enough fields to grade."""
    kw.setdefault("id", f"{type}-q")
    kw.setdefault("prompt", "?")
    kw.setdefault("section", "s1")
    kw.setdefault("objective", "o1")
    if "options" in kw:
        kw["options"] = tuple(o if isinstance(o, Option) else Option(o) for o in kw["options"])
    return Question(type=type, **kw)


HEADER = """\
chapter: ch99
title: Test bank
objectives:
  - {id: o1, text: An objective}
sections:
  - {id: s1, title: "9.1 A section"}
  - {id: s2, title: "9.2 Another"}
questions:
"""


def bank_text(questions: str) -> str:
    """A bank around ``questions`` (YAML list items, unindented)."""
    return HEADER + textwrap.indent(textwrap.dedent(questions), "  ")
