"""A challenge fixed with the real kubectl in a JupyterLab terminal, and checked in the notebook.

The learner opens ``15-challenges.ipynb`` in real JupyterLab (headless
Debian Chromium, Playwright), runs it, serves the first challenge's cluster
from a new cell (``first.serve()`` prints the ``export KUBECONFIG=…`` line),
opens a JupyterLab terminal, pastes that line and runs the real
``/usr/bin/kubectl`` to fix the cluster, then presses the widget's *Check*,
which reads the same cluster and shows success.  A screenshot is left in
``test-artifacts/challenge-terminal.png``.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from kcourse import challenges

from .conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, JUPYTER, button, open_and_run_all, require_chromium

NOTEBOOK = "15-challenges.ipynb"
CHALLENGE = "pending-cordoned-node"
KUBECTL = Path("/usr/bin/kubectl")


def test_a_learner_fixes_a_challenge_with_kubectl_in_a_terminal_and_the_notebook_checks_it(
    lab_factory, course_copy: Path, tmp_path: Path
):
    require_chromium()
    if not KUBECTL.exists():
        pytest.skip(f"{KUBECTL} is missing (scripts/system-deps.sh kubectl installs it)")
    from playwright.sync_api import expect, sync_playwright

    started = time.monotonic()
    node = challenges.spec(CHALLENGE).instance(0)["node"]  # the notebook shows seed 0
    transcript = tmp_path / "terminal.out"
    lab = lab_factory([str(JUPYTER), "lab", f"--ServerApp.root_dir={course_copy}"], course_copy)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            panel = open_and_run_all(page, lab, NOTEBOOK)

            widget = panel.locator(".kcourse-live", has_text="Challenge: Pending: a cordoned node").first
            expect(widget).to_be_visible(timeout=30_000)
            feedback = widget.locator("[role=status]", has_text=re.compile("^[✔✘]"))
            button(widget, "Check").click()
            expect(feedback).to_contain_text("✘ Not yet:", timeout=60_000)

            # Serve the challenge's cluster from a new cell below the one that runs kubectl in the notebook.
            panel.locator(".jp-CodeCell", has_text="first.cluster.kubectl").first.locator(
                ".jp-InputPrompt"
            ).click()
            page.keyboard.press("Escape")
            page.keyboard.press("b")
            page.keyboard.press("Enter")
            page.keyboard.type("first.serve()")
            page.keyboard.press("Shift+Enter")
            export = panel.locator(".jp-OutputArea-output", has_text="export KUBECONFIG=").last
            expect(export).to_be_visible(timeout=60_000)
            line = re.search(r"export KUBECONFIG=\S+", export.inner_text()).group(0)

            # A JupyterLab terminal: paste the line, fix the cluster with the real kubectl.
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^File$")).click()
            page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('New'))").hover()
            page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Terminal'))").click()
            terminal = page.locator(".jp-Terminal").last
            expect(terminal).to_be_visible(timeout=60_000)
            time.sleep(2)  # the shell's prompt
            terminal.click()
            page.keyboard.type(f"{line}\n")
            page.keyboard.type(
                f"kubectl uncordon {node} > {transcript} 2>&1; kubectl get nodes >> {transcript}\n"
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "uncordoned" not in (
                transcript.read_text() if transcript.exists() else ""
            ):
                time.sleep(0.5)
            assert f"node/{node} uncordoned" in transcript.read_text()

            # Back in the notebook: Check reads the same cluster.
            page.locator(".lm-TabBar-tab", has_text=NOTEBOOK).first.click()
            widget.scroll_into_view_if_needed()
            button(widget, "Check").click()
            expect(feedback).to_contain_text("✔ cache runs on", timeout=60_000)

            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "challenge-terminal.png"))
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "challenge-terminal-failure.png"))
            raise
        finally:
            browser.close()

    progress = json.loads((course_copy.parent / "progress" / "progress.json").read_text())
    entry = progress["chapters"]["ch04-challenges"][CHALLENGE]
    assert entry["attempts"] == 2 and entry["correct"] is True
    print(f"\nbrowser session on {NOTEBOOK} with a terminal: {time.monotonic() - started:.1f} s")
