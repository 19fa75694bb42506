"""Run a reference solution's command lines against a cluster in this process.

A solution line is what a learner would type in a shell: ``kubectl …``,
sometimes with a here-document (``kubectl apply -f - <<'EOF'`` … ``EOF``).
The simulated ``kubectl`` reads files, not a terminal, so a here-document's
text goes into a temporary file and ``-f -`` names that file; everything
else runs exactly as written.

Simplified: only ``kubectl`` lines, and only ``<<'EOF'`` here-documents.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from kcourse.cluster import Cluster

__all__ = ["SolutionError", "run_solution"]


class SolutionError(RuntimeError):
    """A solution line kubectl refused."""


def run_solution(cluster: Cluster, lines: Iterable[str]) -> list[str]:
    """Run each line through the simulated kubectl; what each printed.  A refused line raises."""
    from kcourse.sim.kubectl import Kubectl

    printed = []
    for line in lines:
        command, _, document = line.partition(" <<'EOF'\n")
        if not command.startswith("kubectl "):
            raise SolutionError(f"not a kubectl command line: {line!r}")
        words = command[len("kubectl ") :]
        path = None
        try:
            if document:
                body = document.rsplit("\nEOF", 1)[0] + "\n"
                fd, path = tempfile.mkstemp(suffix=".yaml", prefix="kcourse-solution-")
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(body)
                words = words.replace(" -f -", f" -f {path}")
            with cluster.lock:
                code, out, err = Kubectl(cluster).run_full(words)
        finally:
            if path is not None:
                os.unlink(path)
        if code:
            raise SolutionError(f"{command} failed: {err.strip()}")
        printed.append(out + err)
    return printed
