"""The course as a learner gets it: `kcourse notebooks DIR`, `kcourse lab [DIR]`, `kcourse --version`,
and question banks found wherever a notebook runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kcourse
from kcourse import course
from kcourse.cli import main

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(autouse=True)
def _private_jupyter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Trust signatures go to a throwaway Jupyter data directory, never the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))


def test_version_prints_the_package_version_and_exits_0():
    out = subprocess.run(
        [sys.executable, "-m", "kcourse", "--version"], check=False, capture_output=True, text=True
    )
    assert (out.returncode, out.stdout) == (0, f"kcourse {kcourse.__version__}\n")


def test_notebooks_copies_every_course_notebook(tmp_path: Path, capsys):
    assert len(NOTEBOOKS) >= 15
    dest = tmp_path / "my" / "course"
    assert main(["notebooks", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == NOTEBOOKS
    assert (dest / "00-index.ipynb").read_bytes() == (ROOT / "notebooks" / "00-index.ipynb").read_bytes()
    assert f"copied {len(NOTEBOOKS)} notebooks to {dest}" in capsys.readouterr().out


def test_notebooks_refuses_to_overwrite_and_changes_nothing(tmp_path: Path, capsys):
    (tmp_path / "04-scheduler.ipynb").write_text("my own work")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["notebooks", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith(f"kcourse notebooks: {tmp_path} already has 04-scheduler.ipynb") and "--force" in err
    )
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["04-scheduler.ipynb", "notes.txt"]
    assert (tmp_path / "04-scheduler.ipynb").read_text() == "my own work"


def test_notebooks_force_overwrites_course_files_only(tmp_path: Path):
    (tmp_path / "04-scheduler.ipynb").write_text("my own work")
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["notebooks", "--force", str(tmp_path)]) == 0
    assert (tmp_path / "04-scheduler.ipynb").read_bytes() == (
        ROOT / "notebooks" / "04-scheduler.ipynb"
    ).read_bytes()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_notebooks_force_replaces_a_symlink_without_writing_through_it(tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    dest = tmp_path / "course"
    dest.mkdir()
    (dest / "00-index.ipynb").symlink_to(victim)
    assert main(["notebooks", "--force", str(dest)]) == 0
    assert victim.read_text() == "keep" and not (dest / "00-index.ipynb").is_symlink()


@pytest.mark.parametrize("kind", ["file", "parent-file", "notebook-dir"])
def test_notebooks_impossible_destination_is_one_clear_line(tmp_path: Path, capsys, kind: str):
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    dest = {"file": blocker, "parent-file": blocker / "course", "notebook-dir": tmp_path / "d"}[kind]
    if kind == "notebook-dir":
        (dest / "00-index.ipynb").mkdir(parents=True)
    assert main(["notebooks", "--force", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kcourse notebooks: ") and err.count("\n") == 1
    assert blocker.read_text() == "x"


def test_lab_without_jupyterlab_says_how_to_install_it(tmp_path: Path, capsys, monkeypatch):
    real = course.importlib.util.find_spec
    monkeypatch.setattr(
        course.importlib.util, "find_spec", lambda name: None if name == "jupyterlab" else real(name)
    )
    assert main(["lab", str(tmp_path / "c")]) == 2
    assert "pip install 'kcourse[lab]'" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_lab_copies_the_course_then_opens_its_index(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(course.importlib.util, "find_spec", lambda name: object())
    calls = []
    monkeypatch.setattr(course.subprocess, "call", lambda command: calls.append(command) or 0)
    dest = tmp_path / "c"
    assert main(["lab", str(dest), "--port", "9999", "--no-browser"]) == 0
    assert sorted(p.name for p in dest.iterdir()) == NOTEBOOKS
    [command] = calls
    assert command[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={dest.resolve()}" in command and "--port=9999" in command
    assert str((dest / "00-index.ipynb").resolve()) in command and "--no-browser" in command
    # a second run opens the same copy without copying again (the learner's edits stay)
    (dest / "04-scheduler.ipynb").write_text("edited")
    assert main(["lab", str(dest)]) == 0
    assert (dest / "04-scheduler.ipynb").read_text() == "edited"


def test_banks_are_found_from_any_working_directory(tmp_path: Path, monkeypatch):
    from kcourse import quiz

    monkeypatch.delenv(quiz.BANKS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    bank = quiz.load("ch04")
    assert bank.questions and quiz.find_bank("ch04").is_file()
    assert quiz.banks_dir() == Path(kcourse.__file__).parent / "quiz" / "banks"
