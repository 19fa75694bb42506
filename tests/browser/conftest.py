"""A real JupyterLab for the browser tests: loopback port, token, and nothing shared with the learner.

Each server gets its own temporary Jupyter config, data (with the
notebook-trust database), runtime, settings and workspace directories and its own progress file, so a test
never restores a learner's tabs, never reads their settings and never records quiz answers in their progress.
Lab settings turn off notebook windowing (every cell stays in the page, so locators find cells below the fold)
and the news/update toasts.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
JUPYTER = REPO / ".venv" / "bin" / "jupyter"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Report a redirect (e.g. to /login) as it is instead of following it to a 200 page."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    """Fail in CI (Chromium is part of its set-up); skip loudly on a machine without it."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: install it with `scripts/system-deps.sh chromium` (Debian's chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("BROWSER TEST NOT RUN: " + message)


def wait_until_all_cells_ran(panel, timeout: float) -> None:
    """Every code cell's prompt shows an execution count (none queued ``[*]`` or unrun ``[ ]``).

    Text contents, not inner texts: a cell under a folded heading is hidden but still runs.
    """
    deadline = time.monotonic() + timeout
    prompts: list[str] = []
    while time.monotonic() < deadline:
        prompts = [p.strip() for p in panel.locator(".jp-CodeCell .jp-InputPrompt").all_text_contents()]
        if prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return
        time.sleep(0.25)
    raise AssertionError(f"cells did not finish within {timeout} s: {prompts}")


def button(scope, label: str):
    """An ipywidgets button by its label (its accessible name also holds the icon's glyph)."""
    return scope.locator("button.widget-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def open_and_run_all(page, lab: Lab, notebook: str, timeout: float = 120):
    """Open ``notebook`` in a fresh Lab layout, wait for its kernel, Run → Run All Cells; return its panel."""
    from playwright.sync_api import expect

    page.goto(lab.url(f"/lab/tree/{notebook}", "reset"))
    panel = page.locator(".jp-NotebookPanel").first
    expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=60_000)
    expect(page.locator(".jp-StatusBar-TextItem", has_text=re.compile("Idle"))).to_be_visible(timeout=60_000)
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item:has(.lm-Menu-itemLabel:text-is('Run All Cells'))").click()
    wait_until_all_cells_ran(panel, timeout=timeout)
    return panel


@dataclass
class Lab:
    process: subprocess.Popen
    port: int
    token: str
    root: Path
    log: Path
    runtime: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, query: str = "") -> str:
        return f"{self.base}{path}?{query + '&' if query else ''}token={self.token}"

    def get(self, path: str) -> int:
        """HTTP status of GET ``path`` with the token."""
        try:
            with _OPENER.open(self.url(path), timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def lab_environment(tmp: Path) -> dict[str, str]:
    settings = tmp / "lab-settings"
    for name, value in LAB_SETTINGS.items():
        plugin, _, file = name.rpartition("/")
        (settings / plugin).mkdir(parents=True, exist_ok=True)
        (settings / plugin / file).write_text(json.dumps(value))
    for sub in ("config", "data", "runtime", "workspaces"):
        (tmp / sub).mkdir(exist_ok=True)
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),
        "JUPYTER_DATA_DIR": str(tmp / "data"),  # holds the notebook-trust database
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "KCOURSE_PROGRESS": str(tmp / "progress" / "progress.json"),
        "PYTHONHASHSEED": "0",
    }


def start_lab(command: Sequence[str], tmp: Path, root: Path, cwd: Path, timeout: float = 60) -> Lab:
    """Start ``command`` (a ``jupyter lab`` command line) with a token on a free port; wait until it
    answers."""
    port, token = free_port(), secrets.token_hex(16)
    log = tmp / "lab.log"
    full = [
        *command,
        "--no-browser",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if not any(arg.startswith("--ip") for arg in command):
        full += ["--ip", "127.0.0.1"]
    if os.geteuid() == 0:
        full.append("--allow-root")  # CI containers run as root; Jupyter refuses that without the flag
    with open(log, "wb") as out:
        process = subprocess.Popen(
            full, cwd=cwd, env=lab_environment(tmp), stdout=out, stderr=subprocess.STDOUT
        )
    lab = Lab(process, port, token, root, log, tmp / "runtime")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n{lab.output()}")
        try:
            if lab.get("/api/status") == 200:
                return lab
        except OSError:
            pass
        time.sleep(0.3)
    stop_lab(lab)
    raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{lab.output()}")


def stop_lab(lab: Lab) -> None:
    """SIGTERM shuts Lab down cleanly, kernels included; kill it only if it hangs."""
    if lab.process.poll() is None:
        lab.process.send_signal(signal.SIGTERM)
        try:
            lab.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            lab.process.kill()
            lab.process.wait()


@pytest.fixture
def lab_factory(tmp_path: Path) -> Iterator:
    """Start Lab servers for one test; all of them are stopped afterwards."""
    started: list[Lab] = []

    def start(command: Sequence[str], root: Path, cwd: Path | None = None) -> Lab:
        lab = start_lab(command, tmp_path, root, cwd or root)
        started.append(lab)
        return lab

    yield start
    for lab in started:
        stop_lab(lab)


@pytest.fixture
def course_copy(tmp_path: Path) -> Path:
    """A copy of notebooks/ to open, so a test run never saves into the repository."""
    root = tmp_path / "notebooks"
    shutil.copytree(REPO / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root
