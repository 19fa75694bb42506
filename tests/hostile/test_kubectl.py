"""Bad kubectl command lines: unknown commands and flags, missing arguments, bad values, shell tricks.

Each line of ``kubectl_commands.txt`` is one command and the text kubectl
must print on stderr.  The command must exit 1, print nothing on stdout,
raise nothing, run nothing (``$(...)`` and backticks are text, not a
shell) and leave the store at the same revision.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import kcourse
from kcourse.sim.kubectl import Kubectl

from .conftest import CORPUS, assert_clear

MARKER = Path("/tmp/kcourse-hostile-marker")
CASES = [tuple(line.rstrip("\n").split(" ==> ", 1))
         for line in (CORPUS / "kubectl_commands.txt").read_text().splitlines(True) if not line.startswith("#")]


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c or "<empty>" for c, _ in CASES])
def test_bad_command_exits_1_with_kubectls_message(command: str, expected: str, cluster: kcourse.Cluster) -> None:
    MARKER.unlink(missing_ok=True)
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(command)
    assert (code, out) == (1, "")
    assert expected in err
    assert_clear(err)
    assert cluster.etcd.revision == revision
    assert not MARKER.exists()


@pytest.mark.parametrize("argv", [["get", "\x00"], ["get", "pods", "x" * 100_000], ["get", "pods", "-o", "\udcff"],
                                  ["delete", "pod", "../../etc/passwd"], ["get", "pods", "-l", "(" * 10_000],
                                  ["get", "pods", "-l", "a" * 64 + "=x"]],
                         ids=["nul", "huge-name", "lone-surrogate", "path-traversal", "huge-selector",
                              "selector-key-too-long"])
def test_odd_argv_is_refused_cleanly(argv: list[str], cluster: kcourse.Cluster) -> None:
    revision = cluster.etcd.revision
    code, out, err = Kubectl(cluster).run_full(argv)
    assert (code, out) == (1, "")
    assert_clear(err)
    assert cluster.etcd.revision == revision


def test_a_failed_command_through_the_cluster_returns_text(cluster: kcourse.Cluster) -> None:
    """``cluster.kubectl`` is what a notebook calls: errors come back as kubectl's text, never as an exception."""
    assert cluster.kubectl("get pods --bogus").startswith("error: unknown flag: --bogus")
