"""The project's packaging promises: conda and pip name the same packages; the library stays light."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# conda-forge spells a few Python packages differently from PyPI.
CONDA_NAME = {"graphviz": "python-graphviz", "kubernetes": "python-kubernetes"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].strip().lower()


def _conda_names(path: Path) -> tuple[set[str], list[str]]:
    """The conda package names of an environment file, and its ``pip:`` entries."""
    env = yaml.safe_load(path.read_text())
    pip = [entry for d in env["dependencies"] if isinstance(d, dict) for entry in d.get("pip", [])]
    return {_name(d) for d in env["dependencies"] if isinstance(d, str)}, pip


def _wanted(*groups: str) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"]}
    for group in groups:
        names |= {_name(r) for r in project["optional-dependencies"][group] if not r.startswith("kcourse")}
    return {CONDA_NAME.get(n, n) for n in names}


# Not on conda-forge under these names: installed by pip with kcourse itself.
PIP_ONLY = {"kubernetes-validate"}
NOT_PYTHON = {"python", "pip", "graphviz"}


def test_learner_environment_names_the_runtime_packages_and_nothing_more():
    conda, pip = _conda_names(ROOT / "environment.yml")
    assert conda - NOT_PYTHON == _wanted("lab") - PIP_ONLY
    assert "graphviz" in conda  # the `dot` binary itself
    assert pip == ["."]
    assert "python>=3.11" in yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    assert not conda & {"pytest", "nbval", "playwright", "ruff", "python-kubernetes", "hypothesis"}


def test_contributor_environment_names_the_runtime_and_test_packages():
    conda, pip = _conda_names(ROOT / "environment-dev.yml")
    assert conda - NOT_PYTHON == _wanted("lab", "test") - PIP_ONLY
    assert pip == ["-e .[test]"]


def test_runtime_dependencies_leave_out_the_test_stack():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    assert not runtime & {"pytest", "nbval", "playwright", "ruff", "kubernetes", "hypothesis", "jupyterlab"}
    assert project["license"] == "Apache-2.0" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().split()[:2] == ["Apache", "License"]
    assert (ROOT / "kcourse" / "py.typed").exists()


def test_simulation_imports_no_jupyter_graphviz_or_matplotlib():
    offenders = []
    for path in sorted((ROOT / "kcourse" / "sim").rglob("*.py")):
        for line in path.read_text().splitlines():
            if re.match(r"\s*(import|from)\s+(ipywidgets|IPython|graphviz|matplotlib|ipykernel|jupyter)", line):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def test_importing_kcourse_loads_no_heavy_module():
    code = ("import sys, kcourse; heavy = [m for m in ('ipywidgets', 'matplotlib', 'graphviz', 'numpy', "
            "'yaml', 'IPython') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_ci_runs_the_readme_test_command_and_nothing_else():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith("set ") and not line.startswith("cd ")]
    assert ci == ["make test"]
    assert "make test" in (ROOT / "README.md").read_text()


def test_readme_pictures_are_committed_and_linked():
    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", readme)
    assert {"docs/architecture.png", "docs/live-failure.png"} <= set(pictures)
    for picture in pictures:
        assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
