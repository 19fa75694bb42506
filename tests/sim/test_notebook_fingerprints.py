"""The chapter notebooks, byte for byte: every cluster a notebook builds hashes to the committed goldens.

The scenario fingerprints (``test_fingerprints.py``) pin what a few seeded stories produce; these pin
what the course itself shows.  Each notebook runs headless in a fresh kernel as
``scripts/execute_notebooks.py`` runs it, and every cluster it builds (``kcourse.Cluster(...)``, a
challenge's, a widget's "Reset") is recorded from its first event: trace, API requests and request
counts, etcd, scheduler decisions, every node's iptables rules, kubectl views and Events
(``tests/sim/fingerprints/notebooks.py`` says what is left out and why).  A restructuring of
``kcourse.sim`` must keep them passing with the goldens untouched; a deliberate change of behaviour
regenerates them (``python -m tests.sim.fingerprints --update``) in the commit that makes it.

On a mismatch the full texts are written to ``test-artifacts/fingerprints/<notebook>/``.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import nbformat
import pytest

from tests.sim.fingerprints.notebooks import NOTEBOOKS, measure_notebook, notebook_names
from tests.sim.fingerprints.scenarios import assert_matches_golden

BUILDS_A_CLUSTER = re.compile(r"\bkcourse\.Cluster\(")


def clusters_built_in_source(name: str) -> int:
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return sum(len(BUILDS_A_CLUSTER.findall(c.source)) for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name", notebook_names())
def test_notebook_matches_its_fingerprint(name: str) -> None:
    before = hashlib.sha256((NOTEBOOKS / f"{name}.ipynb").read_bytes()).hexdigest()
    sections = measure_notebook(name)
    assert hashlib.sha256((NOTEBOOKS / f"{name}.ipynb").read_bytes()).hexdigest() == before, (
        "fingerprinting a notebook must not change its file"
    )
    # A recording that missed a cluster would pass anything: every `kcourse.Cluster(` in the
    # notebook's code built one that was recorded (challenges and widgets may build more).
    recorded = sections["clusters"].count("\n") + 1 if sections["clusters"] else 0
    assert recorded >= clusters_built_in_source(name)
    assert_matches_golden(name, sections)


def test_the_recording_sees_every_cluster_from_its_first_event(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What the kernel runs around a notebook, here in-process: two clusters built, both recorded whole."""
    import json

    import kcourse
    from kcourse.sim.cluster import Cluster
    from tests.sim.fingerprints import notebooks

    monkeypatch.setattr(Cluster, "__init__", Cluster.__init__)  # undone after the test
    monkeypatch.setattr(notebooks, "_recordings", [])
    monkeypatch.setenv("KUBECACHEDIR", "unchanged")
    notebooks.install(str(tmp_path / "kube-cache"))
    assert os.environ["KUBECACHEDIR"] == str(tmp_path / "kube-cache")
    a = kcourse.Cluster(masters=1, workers=2, seed=1)
    a.kubectl("create deployment web --image=nginx:1.25 --replicas=2")
    a.run_until_stable()
    kcourse.Cluster(masters=1, workers=1, seed=2, addons=False)
    notebooks.dump(str(tmp_path / "sections.json"))
    sections = json.loads((tmp_path / "sections.json").read_text())

    assert sections["clusters"] == "cluster-1 Cluster\ncluster-2 Cluster"
    assert sections["cluster-1/trace"].splitlines()[: len(a.events)] == [e.one_line() for e in a.events]
    assert '"seed": 1' in sections["cluster-1/options"] and '"seed": 2' in sections["cluster-2/options"]
    nodes = re.findall(r"^# ([\w-]+)$", sections["cluster-1/iptables"], re.MULTILINE)
    assert nodes == ["master-1", "worker-1", "worker-2"]
    assert "-A KUBE-SERVICES" in sections["cluster-1/iptables"]
    created = a.api.request_counts[("create", "deployments")]  # the addons' and the learner's
    assert f"create deployments {created}" in sections["cluster-1/request-counts"].splitlines()
    assert "web-" in sections["cluster-1/scheduler"] and "web-" not in sections["cluster-2/scheduler"]
