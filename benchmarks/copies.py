"""How many full copies of a Pod the simulation makes over the Pod's life, counted, not timed.

A full copy is a ``deep_copy`` of a whole Pod (a component changing an object it got from the cache)
or a Pod body walked whole by the API server's decoder (every create and update decodes its body into
a fresh, well-typed copy; an update whose unchangeable fields equal the stored version's walks only
the rest, and is counted apart).  Run ``python benchmarks/copies.py [--nodes N --pods M]``; it prints
one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kcourse
from kcourse.sim import objects
from kcourse.sim.apiserver import server
from kcourse.sim.serializer.fieldvalidation import _same
from tests.sim.fingerprints.scenarios import many


def count(nodes: int, pods: int) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    original_copy, original_decode = objects.deep_copy, server.decode

    def deep_copy(obj: Any) -> Any:
        if type(obj) is dict and obj.get("kind") == "Pod":
            counts["deep_copy"] += 1
        return original_copy(obj)

    def decode(obj: Any, *args: Any, **kw: Any) -> Any:
        if type(obj) is dict and obj.get("kind") == "Pod":
            stored, unused = kw.get("stored"), kw.get("unused", ())
            spared = (
                stored is not None
                and "spec" in unused
                and "spec" in obj
                and _same(obj["spec"], stored["spec"])
            )
            counts["decoded_without_spec" if spared else "decoded_whole"] += 1
        return original_decode(obj, *args, **kw)

    patched = [
        m
        for name, m in sys.modules.items()
        if name.startswith("kcourse.") and getattr(m, "deep_copy", None) is original_copy
    ]
    for m in patched:
        m.deep_copy = deep_copy  # type: ignore[attr-defined]
    server.decode = decode
    try:
        c = kcourse.Cluster(masters=1, workers=nodes, seed=3, bootstrap=False)
        per = 50
        many(pods // per, per)(c)
        n = len(c.pods(None))
    finally:
        for m in patched:
            m.deep_copy = original_copy  # type: ignore[attr-defined]
        server.decode = original_decode
    return {
        "nodes": nodes,
        "pods": n,
        **{f"{k}_per_pod": round(v / n, 2) for k, v in sorted(counts.items())},
        "full_copies_per_pod": round((counts["deep_copy"] + counts["decoded_whole"]) / n, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=40)
    parser.add_argument("--pods", type=int, default=1200)
    args = parser.parse_args()
    print(json.dumps(count(args.nodes, args.pods)))


if __name__ == "__main__":
    main()
