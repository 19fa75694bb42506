"""The chapter review: objectives mapped to the notebooks that check them and to the learner's progress."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kcourse import quiz
from kcourse.quiz import Progress
from kcourse.review import Review, review, section_scores, taught_in


def write_notebook(path: Path, *sources: str) -> None:
    cells = [
        {"cell_type": "code", "source": s, "metadata": {}, "outputs": [], "execution_count": None}
        for s in sources
    ]
    cells.append({"cell_type": "markdown", "source": 'quiz.show("ch04", "etcd")', "metadata": {}})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


@pytest.fixture
def notebooks(tmp_path: Path) -> Path:
    write_notebook(tmp_path / "06-etcd.ipynb", 'from kcourse import quiz\nquiz.show("ch04", "etcd")')
    write_notebook(
        tmp_path / "07-worker.ipynb",
        "quiz.show('ch04', section='worker')",
        'quiz.show("ch04", section="kubelet")',
        'quiz.show("ch05", "etcd")',
    )
    return tmp_path


@pytest.fixture
def bank():
    return quiz.load("ch04")


@pytest.fixture
def progress(tmp_path: Path) -> Progress:
    return Progress(tmp_path / "progress" / "progress.json")


def test_a_section_is_taught_where_its_knowledge_check_is_shown(notebooks: Path):
    assert taught_in(notebooks, "ch04") == {
        "etcd": ("06-etcd.ipynb",),
        "kubelet": ("07-worker.ipynb",),
        "worker": ("07-worker.ipynb",),
    }


def test_an_objective_is_taught_where_the_sections_of_its_questions_are(bank, progress, notebooks: Path):
    rows = {r.id: r for r in review(bank, progress, notebooks)}
    assert rows["etcd-history"].notebooks == ("06-etcd.ipynb",)
    assert rows["worker-node"].notebooks == ("07-worker.ipynb",)
    assert rows["cluster-shape"].notebooks == ()


def test_without_progress_every_objective_is_not_started(bank, progress):
    rows = review(bank, progress)
    assert [r.id for r in rows] == [o.id for o in bank.objectives]
    assert {r.status for r in rows} == {"not started"}
    assert sum(r.questions for r in rows) == len(bank.questions)


def test_answers_show_up_per_objective(bank, progress):
    q = next(q for q in bank.questions if q.objective == "etcd-history" and q.type == "true_false")
    session = quiz.QuizSession(bank, progress=progress)
    session.check(q.id, not q.answer)
    session.check(q.id, q.answer)
    row = next(r for r in review(bank, progress) if r.id == "etcd-history")
    assert (row.answered, row.correct, row.earned, row.status) == (1, 1, q.points, "in progress")


def test_section_scores_follow_the_bank(bank, progress):
    rows = section_scores(bank, progress)
    assert [r[0] for r in rows] == [s.title for s in bank.sections]
    assert sum(r[1] for r in rows) == len(bank.questions) and {r[2] for r in rows} == {0}


def test_the_review_renders_links_and_text_without_keys(bank, progress, notebooks: Path):
    bundle = Review(bank, progress, notebooks)._repr_mimebundle_()
    assert '<a href="06-etcd.ipynb">06-etcd</a>' in bundle["text/html"]
    assert "taught in: 06-etcd.ipynb" in bundle["text/plain"]
    assert "(no notebook checks it yet)" in bundle["text/plain"]
