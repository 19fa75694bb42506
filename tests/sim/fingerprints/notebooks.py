"""The chapter notebooks' clusters, section by section: what a learner's run of each notebook produces.

Each notebook runs headless, top to bottom, in a fresh kernel exactly as
``scripts/execute_notebooks.py`` runs it (same kernel environment, cwd ``notebooks/``), with one
cell before the first and one after the last that the notebook file never sees:

* the first wraps :class:`kcourse.sim.cluster.Cluster`'s constructor so every cluster the notebook
  builds — ``kcourse.Cluster(...)``, a challenge's cluster, one a widget's "Reset" builds
  again — gets a :class:`~tests.sim.fingerprints.scenarios.Recording` the moment it
  exists;
* the last writes, for each cluster in the order they were built, the sections the scenarios
  hash: trace, API requests, etcd, scheduler decisions, the iptables rules of every node, kubectl
  views and Events, plus the arguments the cluster was built with and how many requests of each
  verb and resource it answered (which counts the requests made outside a step too: the
  notebook's own ``apply``/``kubectl`` and the real ``kubectl`` that notebook 03 points at
  ``c.serve()``).

What is left out, and why (nothing else is):

* the order and timing of the requests the real ``kubectl`` sends over HTTP: they arrive on
  server threads at wall-clock moments, belong to no step's Event, and kubectl may send some at
  once; so they are counted (``request-counts``), not listed.  Its discovery cache lives in a
  fresh ``KUBECACHEDIR`` per run: a cache an earlier run left for the same port would save
  requests;
* the notebooks' displayed outputs: ``pytest --nbval`` compares those with the stored ones.

The notebook files are read, never written.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import nbformat

from kcourse.sim.kubeproxy import iptables_save
from tests.sim.fingerprints.scenarios import Recording

REPO = Path(__file__).resolve().parents[3]
NOTEBOOKS = REPO / "notebooks"

_recordings: list[Recording] = []


def notebook_names() -> list[str]:
    return sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


# --- inside the notebook's kernel ------------------------------------------------------------------


def install(kube_cache: str) -> None:
    """Give every cluster built from now on a recording (run in the kernel before the first cell).

    The real ``kubectl`` a notebook runs keeps its discovery cache in ``kube_cache``.
    """
    from kcourse.sim.cluster import Cluster

    os.environ["KUBECACHEDIR"] = kube_cache
    build = Cluster.__init__

    def __init__(self: Cluster, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        _recordings.append(Recording(self))

    Cluster.__init__ = __init__  # type: ignore[method-assign]


def cluster_sections(recording: Recording) -> dict[str, str]:
    """A notebook cluster's sections: the scenarios' own, every node's rules, who built it and how."""
    c = recording.cluster
    sections = recording.sections(proxies=())
    rules = []
    for node in sorted(c.machines):
        try:
            text = iptables_save(c, node)
        except ValueError as error:  # a node that is down has no kernel to ask
            text = f"{error}\n"
        rules.append(f"# {node}\n{text}")
    counts = Counter({f"{verb} {resource}": n for (verb, resource), n in c.api.request_counts.items()})
    options = {k: v for k, v in sorted(c.init_args.items()) if k != "etcd"}
    return {
        "options": f"{type(c).__module__}.{type(c).__qualname__} {json.dumps(options, sort_keys=True)}",
        **sections,
        "iptables": "\n".join(rules),
        "request-counts": "\n".join(f"{k} {n}" for k, n in sorted(counts.items())),
    }


def dump(path: str) -> None:
    """Write every recorded cluster's sections to ``path`` as JSON (run in the kernel after the last cell)."""
    sections = {
        "clusters": "\n".join(
            f"cluster-{i} {type(r.cluster).__qualname__}" for i, r in enumerate(_recordings, 1)
        )
    }
    for i, recording in enumerate(_recordings, 1):
        for name, text in cluster_sections(recording).items():
            sections[f"cluster-{i}/{name}"] = text
    Path(path).write_text(json.dumps(sections))


# --- in the test process ---------------------------------------------------------------------------


def _execute_notebooks() -> ModuleType:
    """``scripts/execute_notebooks.py`` as a module (scripts/ is not a package)."""
    script = REPO / "scripts" / "execute_notebooks.py"
    spec = importlib.util.spec_from_file_location("execute_notebooks", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure_notebook(name: str) -> dict[str, str]:
    """Run notebook ``name`` (its stem, e.g. ``04-scheduler``) in a fresh kernel; each section's text."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    with tempfile.TemporaryDirectory(prefix="kcourse-fingerprint-") as tmp:
        out = Path(tmp) / "sections.json"
        module = "tests.sim.fingerprints.notebooks"
        nb.cells.insert(
            0,
            nbformat.v4.new_code_cell(
                f"__import__('sys').path.insert(0, {str(REPO)!r})\n"
                f"__import__({module!r}, fromlist=['install']).install({str(Path(tmp) / 'kube-cache')!r})"
            ),
        )
        nb.cells.append(
            nbformat.v4.new_code_cell(f"__import__({module!r}, fromlist=['dump']).dump({str(out)!r})")
        )
        copy = Path(tmp) / f"{name}.ipynb"
        nbformat.write(nb, copy)
        _execute_notebooks().execute(copy, cwd=NOTEBOOKS)
        return json.loads(out.read_text())


if __name__ == "__main__":  # pragma: no cover - a quick look: python -m tests.sim.fingerprints.notebooks NAME
    for arg in sys.argv[1:]:
        for section, text in measure_notebook(arg).items():
            print(f"{arg} {section}: {len(text):,} characters")
