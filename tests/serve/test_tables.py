"""The simulated kubectl's tables checked against the real kubectl printing the server's Tables.

Both read the same cluster state at the same simulated instant (the clock
stands still: nothing runs the cluster here), so even the AGE column agrees;
the comparison sets AGE aside all the same, as the real server computes it
from its own clock.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kcourse

NGINX = Path(__file__).parent / "manifests" / "nginx-deployment.yaml"

COMMANDS = [
    "get pods -o wide",
    "get pods -A -o wide",
    "get nodes",
    "get nodes -o wide",
    "get deployments -o wide",
    "get replicasets -A",
    "get daemonsets -A -o wide",
    "get services -A -o wide",
    "get namespaces",
    "get endpoints -A",
    "get pods -n kube-system --show-labels",
    "get events -n kube-system -o wide",
    "top nodes",
    "top pods -A",
]


@pytest.fixture(scope="module")
def still(tmp_path_factory: pytest.TempPathFactory, counted_serve: Any, kubectl_for: Any) -> Any:
    """A served cluster with the nginx Deployment rolled out, its clock standing still."""
    cluster = kcourse.Cluster(seed=0)
    cluster.apply(NGINX.read_text())
    cluster.run_until_stable()
    handle = counted_serve(cluster, kubeconfig=tmp_path_factory.mktemp("kube") / "config")
    yield cluster, kubectl_for(handle, tmp_path_factory.mktemp("home"))
    handle.stop()


def without_age(text: str) -> list[list[str]]:
    """Rows as cells split at the header's column starts, with the AGE (or LAST SEEN) cell removed."""
    lines = text.splitlines()
    header = lines[0]
    starts = [0] + [i for i in range(2, len(header)) if header[i] != " " and header[i - 2 : i] == "  "]
    rows = []
    for line in lines:
        cells = [line[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
        rows.append(cells)
    names = rows[0]
    drop = {i for i, n in enumerate(names) if n in ("AGE", "LAST SEEN", "FIRST SEEN")}
    return [[c for i, c in enumerate(row) if i not in drop] for row in rows]


@pytest.mark.parametrize("command", COMMANDS)
def test_simulated_kubectl_prints_what_the_real_one_prints(still: Any, command: str) -> None:
    cluster, kubectl = still
    real = kubectl(*command.split())
    assert real.returncode == 0, real.stderr
    ours = cluster.kubectl(command)
    assert without_age(ours) == without_age(real.stdout)


def test_with_the_clock_standing_still_even_the_age_column_agrees(still: Any) -> None:
    cluster, kubectl = still
    assert cluster.kubectl("get pods -o wide") == kubectl("get", "pods", "-o", "wide").stdout


@pytest.mark.parametrize("command", ["describe node worker-1", "describe deployment nginx-deployment"])
def test_simulated_describe_matches_the_real_one_but_for_ages(still: Any, command: str) -> None:
    """Real describe computes ages from the wall clock, the simulation from its own: those cells aside."""
    import re

    cluster, kubectl = still
    real = kubectl(*command.split())
    assert real.returncode == 0, real.stderr

    def aged(text: str) -> list[str]:
        return [
            re.sub(r"\s+\S+$", "", line)
            if re.search(r"\s(\d+[smhdy])+$", line) or "  From  " in line
            else line
            for line in text.splitlines()
            if not re.match(r"^\s+Normal\s|^\s+Warning\s", line)
        ]

    assert aged(cluster.kubectl(command)) == aged(real.stdout)
