"""The project's packaging promises: conda and pip name the same packages; the library stays light."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
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
            if re.match(
                r"\s*(import|from)\s+(ipywidgets|IPython|graphviz|matplotlib|ipykernel|jupyter)", line
            ):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []


def test_importing_kcourse_loads_no_heavy_module():
    code = (
        "import sys, kcourse; heavy = [m for m in ('ipywidgets', 'matplotlib', 'graphviz', 'numpy', "
        "'yaml', 'IPython') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_ci_runs_the_readme_test_command_and_nothing_else():
    ci = [
        line
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == ["make test"]
    assert "make test" in (ROOT / "README.md").read_text()


def test_readme_pictures_are_committed_and_linked():
    readme = (ROOT / "README.md").read_text()
    pictures = re.findall(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", readme)
    assert {"docs/architecture.png", "docs/live-failure.png"} <= set(pictures)
    for picture in pictures:
        assert (ROOT / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the simulation's import graph ----------------------------------------------------------------------

#: Views, the server and the course around the simulation: ``kcourse.sim`` may import none of them.
VIEW_PACKAGES = ("diagrams", "plots", "widgets", "quiz", "serve", "review", "challenges")
SIM = ROOT / "kcourse" / "sim"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path) -> list[tuple[str, bool, int]]:
    """Every module ``path`` imports, wherever the import statement is (a function, ``if TYPE_CHECKING:``),
    as ``(absolute name, typing only, line)``; ``from pkg import name`` yields ``pkg.name`` when that is a
    module, else ``pkg``; ``importlib.import_module("…")`` and ``__import__("…")`` with a literal count
    too."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    found: list[tuple[str, bool, int]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package[: len(package) - node.level + 1] + ([node.module] if node.module else [])
                )
            names = [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and ast.unparse(node.func) in ("importlib.import_module", "import_module", "__import__")
        ):
            names = [node.args[0].value]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "kcourse"
        ):
            names = [f"kcourse.{node.attr}"]  # ``import kcourse`` then ``kcourse.diagrams.live(...)``
        found += [(n, id(node) in typing_only, node.lineno) for n in names]
    return found


def _sim_graph(include_typing: bool) -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in sorted(SIM.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name] = {
            target
            for target, typing, _ in _imports(path)
            if target in modules and target != name and (include_typing or not typing)
        }
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_the_simulation_imports_no_view_server_or_course_module():
    """``kcourse.sim`` knows no view: no import of diagrams, plots, widgets, quiz, serve, review or
    challenges, in any form (``import``, ``from … import``, relative, inside a function or ``TYPE_CHECKING``,
    ``importlib``)."""
    forbidden = tuple(f"kcourse.{p}" for p in VIEW_PACKAGES)
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in sorted(SIM.rglob("*.py"))
        for name, _, line in _imports(path)
        if name in forbidden or name.startswith(tuple(f + "." for f in forbidden))
    ]
    assert offenders == []


def test_the_import_check_sees_every_form_of_import():
    """The check above is only as good as ``_imports``: each way of writing an import is seen."""
    probe = SIM / "_probe_for_the_import_check.py"
    probe.write_text(
        "from __future__ import annotations\nfrom typing import TYPE_CHECKING\n"
        "import kcourse.plots\nfrom kcourse import widgets\nfrom .. import quiz\n"
        "if TYPE_CHECKING:\n    from kcourse.serve.server import App\n"
        "def f():\n    import importlib\n    importlib.import_module('kcourse.review')\n"
        "    from kcourse.challenges import start\n    import kcourse\n    return "
        "kcourse.diagrams\n"
    )
    try:
        seen = {name for name, _, _ in _imports(probe)}
    finally:
        probe.unlink()
    assert {
        "kcourse.plots",
        "kcourse.widgets",
        "kcourse.quiz",
        "kcourse.serve.server",
        "kcourse.review",
        "kcourse.challenges",
        "kcourse.diagrams",
    } <= seen


#: Where modules import each other at run time, each group a package or a few modules: a cycle inside one
#: group is known (a package's ``__init__`` and the modules it loads lazily: kubectl's commands, the kinds'
#: registry; the container runtime building its default image registry); any other cycle is not allowed.
CYCLIC_PACKAGES: tuple[tuple[str, ...], ...] = (
    ("kcourse.sim.kinds", "kcourse.sim.resources", "kcourse.sim.kubectl.printers"),  # a kind's table columns
    ("kcourse.sim.kubectl",),
    ("kcourse.sim.cri", "kcourse.sim.registry"),
)
#: Modules that import ``kcourse.sim.cluster`` (any form, ``TYPE_CHECKING`` included): only the package's
#: lazy ``kcourse.sim.Cluster``.  Every other module is given what it uses (a :class:`~kcourse.sim.host.Host`,
#: a client, a store, a :class:`~kcourse.sim.network.NetworkView`).
STILL_IMPORT_CLUSTER = {"kcourse.sim"}


def _new_cycles(found: list[list[str]], groups: tuple[tuple[str, ...], ...]) -> list[list[str]]:
    """The cycles that do not lie inside one group of packages or modules."""

    def inside(module: str, group: tuple[str, ...]) -> bool:
        return any(module == p or module.startswith(p + ".") for p in group)

    return [c for c in found if not any(all(inside(m, g) for m in c) for g in groups)]


def test_the_simulation_import_cycles_at_run_time_stay_inside_their_packages():
    """Imports that run form no cycle in ``kcourse.sim`` but inside the listed packages (none through
    ``cluster``)."""
    found = _cycles(_sim_graph(include_typing=False))
    assert _new_cycles(found, CYCLIC_PACKAGES) == []
    assert not any("kcourse.sim.cluster" in c for c in found)


def test_no_component_imports_the_cluster_not_even_for_its_types():
    """Components receive what they use: no module of ``kcourse.sim`` imports ``Cluster`` beyond the listed
    ones (which may only shrink), so no new cycle through ``cluster`` appears even among type annotations."""
    importers = {
        _module_name(p)
        for p in SIM.rglob("*.py")
        if any(name == "kcourse.sim.cluster" for name, _, _ in _imports(p))
    }
    assert importers <= STILL_IMPORT_CLUSTER, sorted(importers - STILL_IMPORT_CLUSTER)


def test_no_cycle_runs_through_the_cluster_even_among_type_annotations():
    """The cluster builds everything and nothing builds it back: the import graph, type-only imports
    counted, has no cycle through ``cluster`` (77 modules formed one while the kubelet, the runtime,
    kube-proxy, the network and the container programs still took the cluster)."""
    assert [c for c in _cycles(_sim_graph(include_typing=True)) if "kcourse.sim.cluster" in c] == []


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _new_cycles([["p", "p.a", "p.b"]], (("p",),)) == []
    assert _new_cycles([["p.a", "q"]], (("p",),)) == [["p.a", "q"]]
    assert _new_cycles([["p.a", "q"]], (("p", "q"),)) == []


def test_a_learners_cluster_has_views_the_simulations_has_none():
    import kcourse
    from kcourse.sim.cluster import Cluster as SimCluster

    assert issubclass(kcourse.Cluster, SimCluster)
    assert callable(kcourse.Cluster.diagram) and callable(kcourse.Cluster.serve)
    assert not hasattr(SimCluster, "diagram") and not hasattr(SimCluster, "serve")


def test_notebooks_build_their_clusters_as_kcourse_cluster():
    """Every notebook's cluster has ``diagram()`` and ``serve()``: it is built as ``kcourse.Cluster(...)``
    (or handed out by ``kcourse.challenges``, whose clusters are ``kcourse.Cluster`` too)."""
    import kcourse
    from kcourse.challenges.model import ChallengeCluster

    assert issubclass(ChallengeCluster, kcourse.Cluster)
    built = []
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(nb.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                built += [(nb.name, m.group(0)) for m in re.finditer(r"[\w.]*Cluster\(", source)]
    assert built and {call for _, call in built} == {"kcourse.Cluster("}


# --- types ------------------------------------------------------------------------------------------------


def test_mypy_finds_no_type_error_in_kcourse():
    """``mypy`` (configured in pyproject.toml: every function body checked) passes on the whole package.

    Its cache lives in the temporary directory, keyed by this checkout, so a second run takes seconds.
    """
    pytest.importorskip("mypy")
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    cache = Path(tempfile.gettempdir()) / f"kcourse-mypy-{checkout}"
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache)],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Success: no issues found")


def test_the_type_checker_is_part_of_lint_and_of_the_test_extra():
    assert "$(BIN)/mypy" in (ROOT / "Makefile").read_text().split("\nlint:")[1].split("\n\n")[0]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    test_extra = project["optional-dependencies"]["test"]
    assert "mypy" in {_name(r) for r in test_extra}
