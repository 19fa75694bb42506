"""Every notebook, run in real JupyterLab at 1400×1000, fits its page in the light and the dark theme.

A learner reads the chapter in JupyterLab; what overflows the output area is cut off or needs a
sideways scroll, and a wide diagram shrunk to fit is unreadable.  This test opens each notebook of
the chapter in one JupyterLab page (Debian's Chromium, driven by Playwright), runs all its cells,
and checks every output area: ``scrollWidth <= clientWidth``.  Then it switches the theme to
JupyterLab Dark (the ``apputils:change-theme`` command, as Settings → Theme does; nothing is
re-run) and checks again, since a theme changes fonts and paddings.  It also checks that a trace
line of :data:`kcourse.sim.component.TRACE_WIDTH` characters fits the output area, so trace lines
(which JupyterLab wraps anywhere, ``word-break: break-all``) never break inside a word.

Screenshots of 02, 05 (after *Fail node* on a worker in the Stepper) and 13 go to ``docs/`` when
``KCOURSE_SCREENSHOTS=1`` is set (they are committed and shown in the README); the widths measured
per notebook are written to ``test-artifacts/output-widths.json``.

JupyterLab is started with ``--LabApp.expose_app_in_browser`` so that the test opens notebooks,
runs them and switches themes through JupyterLab's own commands instead of clicking menus.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.request
from pathlib import Path

import pytest

from kcourse.sim.component import TRACE_WIDTH

from .conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    JUPYTER,
    REPO,
    require_chromium,
    wait_until_all_cells_ran,
)

VIEWPORT = {"width": 1400, "height": 1000}
THEMES = ("JupyterLab Light", "JupyterLab Dark")
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
ONLY = os.environ.get("KCOURSE_FIT_ONLY", "")  # e.g. "05,13": check only these notebooks (local debugging)
SCREENSHOTS = {
    "02-architecture.ipynb": "screenshot-architecture.png",
    "05-controller-managers.ipynb": "screenshot-stepper-failed-node.png",
    "13-knowledge-check.ipynb": "screenshot-knowledge-check.png",
}
#: What each screenshot shows at the top of the page (05 scrolls to the failed worker itself).
SCREENSHOT_TOP = {
    "02-architecture.ipynb": ".jp-OutputArea-output:has(svg)",
    "13-knowledge-check.ipynb": ".jp-MarkdownCell:has(h2:text('Your score, section by section'))",
}
RUN_TIMEOUT = 180

#: Every output area of the current notebook: which cell, its MIME type and its widths in px.
MEASURE = """(panel) => {
  const cells = Array.from(panel.querySelectorAll('.jp-Cell'));
  const name = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className
                                               ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  return Array.from(panel.querySelectorAll('.jp-OutputArea-output')).map(el => {
    // A widget or a table may scroll inside the output: what it hides sideways overflows too.
    let inner = 0, culprit = '';
    for (const e of el.querySelectorAll('*')) {
      const hidden = e.scrollWidth - e.clientWidth;
      if (hidden > 1 && e.clientWidth > 0 && getComputedStyle(e).overflowX !== 'visible' && hidden > inner) {
        inner = hidden;
        culprit = name(e);
      }
    }
    return {
      cell: cells.indexOf(el.closest('.jp-Cell')),
      mime: el.dataset.mimeType || (el.querySelector('.jupyter-widgets') ? 'widget' : ''),
      scrollWidth: el.scrollWidth + inner,
      clientWidth: el.clientWidth,
      culprit: culprit,
    };
  });
}"""

#: The width of TRACE_WIDTH characters in the output font, next to the output area's own width.
TRACE_FITS = """(panel, n) => {
  const area = panel.querySelector('.jp-OutputArea-output pre');
  if (!area) return null;
  const probe = document.createElement('span');
  probe.textContent = '0'.repeat(n);
  probe.style.whiteSpace = 'pre';
  area.appendChild(probe);
  const width = probe.getBoundingClientRect().width;
  probe.remove();
  return {text: width, area: area.clientWidth};
}"""


def current_panel(page):
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").first


def command(page, name: str, args: dict | None = None) -> None:
    page.evaluate(
        "async ([name, args]) => { await window.jupyterapp.commands.execute(name, args); }",
        [name, args or {}],
    )


def set_theme(page, theme: str) -> None:
    command(page, "apputils:change-theme", {"theme": theme})
    light = "true" if "Light" in theme else "false"
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{light}'", timeout=30_000)
    page.wait_for_timeout(500)  # the theme's stylesheet applies after the attribute changes


def open_and_run(page, lab, name: str):
    """Open ``name`` as a fresh page (``?reset``: no restored tabs), run all its cells, wait until idle."""
    from playwright.sync_api import expect

    page.goto(lab.url(f"/lab/tree/{name}", "reset"))
    page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
    expect(page.locator(".lm-TabBar-tab.jp-mod-current", has_text=name)).to_be_visible(timeout=60_000)
    panel = current_panel(page)
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile("Idle"))).to_be_visible(timeout=60_000)
    command(page, "notebook:expand-all-headings")
    command(page, "notebook:run-all-cells")
    wait_until_all_cells_ran(panel, RUN_TIMEOUT)
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile("Idle"))).to_be_visible(timeout=60_000)
    page.wait_for_timeout(500)  # the last display updates land after the kernel reports idle
    return panel


def fail_a_worker(panel) -> None:
    """In the Stepper: pick worker-1 (whatever the default), press Fail node, then Run until stable.

    The page is left scrolled to worker-1 in the Stepper's live diagram, for the screenshot.
    """
    from playwright.sync_api import expect

    stepper = panel.locator(".widget-vbox:has(button:text-is('Fail node'))").last
    stepper.locator("select:has(option:text-is('worker-1'))").first.select_option("worker-1")
    table = stepper.locator("table").last
    before = table.inner_text()
    stepper.locator("button:text-is('Fail node')").click()
    expect(stepper).to_contain_text("worker-1", timeout=30_000)
    stepper.locator("button:text-is('Run until stable')").click()
    expect(table).not_to_have_text(before, timeout=60_000)
    stepper.locator("svg text", has_text="worker-1").first.scroll_into_view_if_needed()


def shut_down_kernels(lab) -> None:
    """Shut every kernel down through the REST API (a token header needs no XSRF cookie)."""
    headers = {"Authorization": f"token {lab.token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{lab.base}/api/kernels", headers=headers)) as r:
        kernels = json.load(r)
    for kernel in kernels:
        request = urllib.request.Request(
            f"{lab.base}/api/kernels/{kernel['id']}", method="DELETE", headers=headers
        )
        urllib.request.urlopen(request).close()


def test_every_notebook_fits_the_page_in_light_and_dark(lab_factory, course_copy: Path):
    require_chromium()
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    lab = lab_factory(
        [str(JUPYTER), "lab", f"--ServerApp.root_dir={course_copy}", "--LabApp.expose_app_in_browser=True"],
        course_copy,
    )
    take_screenshots = os.environ.get("KCOURSE_SCREENSHOTS") == "1"
    widths: dict[str, dict] = {}
    overflowing: list[str] = []
    trace_fits: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport=VIEWPORT)
        try:
            for name in [n for n in NOTEBOOKS if not ONLY or n[:2] in ONLY.split(",")]:
                panel = open_and_run(page, lab, name)
                errors = panel.locator(
                    ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                )
                assert errors.count() == 0, (name, errors.all_inner_texts())
                if name in SCREENSHOTS and name.startswith("05"):
                    fail_a_worker(panel)
                for theme in THEMES:
                    set_theme(page, theme)
                    outputs = panel.evaluate(MEASURE)
                    widest = max(outputs, key=lambda o: o["scrollWidth"], default=None)
                    widths.setdefault(name, {})[theme] = {
                        "widest": widest["scrollWidth"] if widest else 0,
                        "widest_cell": widest["cell"] if widest else None,
                        "area": max((o["clientWidth"] for o in outputs), default=0),
                        "outputs": len(outputs),
                    }
                    overflowing += [
                        f"{name} cell {o['cell']} ({o['mime']}, {theme}): "
                        f"{o['scrollWidth']} px in {o['clientWidth']} px {o['culprit']}"
                        for o in outputs
                        if o["scrollWidth"] > o["clientWidth"]
                    ]
                    fits = panel.evaluate(TRACE_FITS, TRACE_WIDTH)
                    if fits:
                        trace_fits[f"{name} ({theme})"] = fits
                    if take_screenshots and name in SCREENSHOTS and theme == THEMES[0]:
                        if name in SCREENSHOT_TOP:
                            panel.locator(SCREENSHOT_TOP[name]).first.evaluate(
                                "e => e.scrollIntoView({block: 'start'})"
                            )
                            page.wait_for_timeout(300)
                        page.screenshot(path=str(REPO / "docs" / SCREENSHOTS[name]))
                set_theme(page, THEMES[0])  # the theme is a user setting: the next page starts light
                shut_down_kernels(lab)
        except Exception:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "notebooks-fit-failure.png"))
            raise
        finally:
            browser.close()

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "output-widths.json").write_text(
        json.dumps({"widths": widths, "trace_fits": trace_fits, "overflowing": overflowing}, indent=1)
    )
    print(f"\n{len(NOTEBOOKS)} notebooks in two themes: {time.monotonic() - started:.1f} s")
    for name, themes in widths.items():
        light = themes[THEMES[0]]
        print(
            f"  {name:32} widest output {light['widest']:5} px (cell {light['widest_cell']}) "
            f"in an output area of {light['area']} px"
        )
    assert sorted(widths) == NOTEBOOKS or ONLY
    assert overflowing == [], "\n".join(overflowing)
    too_narrow = {k: v for k, v in trace_fits.items() if v["text"] > v["area"]}
    assert trace_fits and too_narrow == {}, too_narrow


@pytest.mark.parametrize("name", sorted(SCREENSHOTS))
def test_the_readme_shows_the_screenshots(name: str):
    """The screenshots the test takes are committed under docs/ and shown in the README."""
    picture = REPO / "docs" / SCREENSHOTS[name]
    assert picture.exists(), f"run KCOURSE_SCREENSHOTS=1 pytest {__file__}"
    assert f"docs/{SCREENSHOTS[name]}" in (REPO / "README.md").read_text()
