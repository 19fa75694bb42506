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


def test_environment_yml_names_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)}
    assert {CONDA_NAME.get(n, n) for n in wanted} <= conda
    assert "graphviz" in conda  # the `dot` binary itself
    extra = conda - {CONDA_NAME.get(n, n) for n in wanted} - {"python", "pip", "graphviz", "openssl"}
    assert not extra, f"environment.yml has packages pyproject.toml lacks: {sorted(extra)}"


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
    assert sorted(pictures) == ["docs/architecture.png", "docs/live-failure.png"]
    for picture in pictures:
        assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
