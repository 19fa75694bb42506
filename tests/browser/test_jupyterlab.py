"""A learner's session in real JupyterLab, driven through headless Chromium.

The server is the venv's ``jupyter lab`` on a free loopback port with a
token; the browser is Debian's Chromium (``/usr/bin/chromium``) driven by
Playwright — no browser download.  The learner opens a chapter notebook with
a Stepper and a knowledge check, runs all cells, steps the cluster and sees
the event table change, answers a question wrongly and then rightly and reads
the feedback.  A screenshot is left in ``test-artifacts/jupyterlab.png``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from pathlib import Path

import nbformat

from kcourse import quiz
from kcourse.quiz.model import Question
from kcourse.review import taught_in

from .conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    JUPYTER,
    REPO,
    button,
    lab_environment,
    open_and_run_all,
    require_chromium,
)

CHAPTER_NOTEBOOK = "05-controller-managers.ipynb"


def notebook_under_test(root: Path) -> tuple[str, str]:
    """The chapter notebook with the Stepper and its section's knowledge check."""
    path = root / CHAPTER_NOTEBOOK
    source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    sections = [section for section, names in taught_in(root, "ch04").items() if path.name in names]
    assert "Stepper(" in source and sections, (
        f"{CHAPTER_NOTEBOOK} should show a Stepper and a knowledge check"
    )
    return path.name, sections[0]


def choice_question(section: str) -> tuple[Question, str, str]:
    """The section's first single-choice or true/false question, with a wrong and the right answer."""
    bank = quiz.load("ch04")
    for q in bank.in_section(section):
        if q.type == "true_false" and (q.attempts or 2) >= 2:
            return q, str(not q.answer), str(q.answer)
        if q.type == "single" and (q.attempts or 2) >= 2:
            return q, next(t for t in q.option_texts if t != q.answer), q.answer
    raise AssertionError(f"section {section!r} has no choice question to answer")


def test_a_learner_runs_a_notebook_steps_the_cluster_and_answers_a_quiz(lab_factory, course_copy: Path):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    name, section = notebook_under_test(course_copy)
    question, wrong, right = choice_question(section)
    lab = lab_factory([str(JUPYTER), "lab", f"--ServerApp.root_dir={course_copy}"], course_copy)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            panel = open_and_run_all(page, lab, name)
            errors = panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, errors.all_inner_texts()

            # The Stepper: one click on Step adds an event to its table.
            step = button(panel, "Step").first
            table = panel.locator(
                ".kcourse-live table:has(th:text-is('component'))"
            ).first  # not the static copy
            expect(table).to_be_visible(timeout=30_000)
            before = table.inner_text()
            step.scroll_into_view_if_needed()
            step.click()
            expect(table).not_to_have_text(before, timeout=15_000)

            # The knowledge check: wrong, then right, and the feedback says so.
            box = panel.locator(".widget-vbox", has=page.get_by_text(question.prompt, exact=True)).last
            feedback = box.locator("[role=status]")
            check = button(box, "Check")
            box.scroll_into_view_if_needed()
            box.get_by_label(wrong, exact=True).check()
            check.click()
            expect(feedback).to_contain_text("✘ Not quite.", timeout=30_000)
            box.get_by_label(right, exact=True).check()
            check.click()
            expect(feedback).to_contain_text("✔ Correct.", timeout=30_000)

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "jupyterlab.png"))
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "jupyterlab-failure.png"))
            raise
        finally:
            browser.close()

    progress = json.loads((course_copy.parent / "progress" / "progress.json").read_text())
    entry = progress["chapters"]["ch04"][question.id]
    assert (entry["attempts"], entry["correct"]) == (2, True)
    print(f"\nbrowser session on {name}: {time.monotonic() - started:.1f} s")


def test_make_lab_opens_the_index_notebook_with_its_pictures(lab_factory, tmp_path: Path):
    """A newcomer's path: what `make lab` runs (with --no-browser, a test port and token) opens 00-index.

    The page it sends the browser to shows the index with its stored outputs as the learner will see
    them before running anything: diagrams as pictures and widgets restored, which JupyterLab only
    does for trusted notebooks.
    """
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    dry_run = subprocess.run(
        ["make", "-n", "lab"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in dry_run.splitlines() if re.search(r"\bjupyter\b", line)]
    *before, lab_line = lines
    assert re.search(r"\bjupyter lab\b", lab_line), dry_run
    for line in before:  # e.g. `jupyter trust`, in the same (temporary) Jupyter directories as the server
        subprocess.run(line, shell=True, cwd=REPO, env=lab_environment(tmp_path), check=True)
    command = shlex.split(lab_line)
    if "--port" in command:
        at = command.index("--port")
        del command[at : at + 2]
    lab = lab_factory(command, root=REPO / "notebooks", cwd=REPO)
    assert lab.get("/api/contents/00-index.ipynb") == 200
    pages = sorted(lab.runtime.glob("jpserver-file-to-run-*-open.html"))
    assert pages, f"`make lab` names no notebook to open: {lab_line}"
    opened = re.search(r'url=([^"]+)"', pages[0].read_text()).group(1)
    assert f"{lab.base}/lab/tree/00-index.ipynb?" in opened

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(opened.replace("/lab/tree/00-index.ipynb?", "/lab/tree/00-index.ipynb?reset&"))
            panel = page.locator(".jp-NotebookPanel").first
            expect(page.locator(".lm-TabBar-tab.jp-mod-current")).to_contain_text(
                "00-index.ipynb", timeout=60_000
            )
            expect(
                panel.locator(
                    ".jp-OutputArea-output[data-mime-type='image/svg+xml'], "
                    ".jp-OutputArea-output svg[role='img']"
                ).first
            ).to_be_visible(timeout=30_000)
            assert panel.locator(".jp-OutputArea-output", has_text="<kcourse diagram").count() == 0
            assert panel.get_by_text("Error displaying widget").count() == 0
        finally:
            browser.close()


def test_the_server_refuses_a_wrong_token(lab_factory):
    lab = lab_factory([str(JUPYTER), "lab", f"--ServerApp.root_dir={REPO / 'notebooks'}"], REPO / "notebooks")
    assert lab.get("/api/contents/00-index.ipynb") == 200
    lab.token = "wrong"
    assert lab.get("/api/contents/00-index.ipynb") == 403
    assert lab.get("/lab/tree/00-index.ipynb") == 302  # to the login page
