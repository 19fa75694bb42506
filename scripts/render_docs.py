"""Render the README's pictures from the library, so they always show what the course draws.

.venv/bin/python scripts/render_docs.py      # writes docs/architecture.png and docs/live-failure.png
"""

from __future__ import annotations

from pathlib import Path

import kcourse
from kcourse import diagrams

DOCS = Path(__file__).resolve().parent.parent / "docs"
MANIFEST = Path(__file__).resolve().parent.parent / "tests" / "manifests" / "nginx-deployment.yaml"


def live_failure() -> diagrams.Diagram:
    """Three workers running nginx, one minute after worker-1 lost power: NotReady, tainted, Pods going."""
    c = kcourse.Cluster(masters=1, workers=3, seed=0)
    c.apply(MANIFEST.read_text())
    c.run_until_stable()
    c.fail_node("worker-1")
    c.advance(60)
    return c.diagram()


def main() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, diagram in (
        ("architecture.png", diagrams.architecture()),
        ("live-failure.png", live_failure()),
    ):
        diagram.save(DOCS / name)
        print(f"wrote docs/{name}: {diagram.title}")


if __name__ == "__main__":
    main()
