"""What a PATCH of one field costs the patch functions: copy-on-write against deep-copying the object first.

Each patch type is applied to a Pod as the API server caches it (the 40-node scenario's first Pod; first
frozen as ``KCOURSE_FREEZE=1`` would hold it, to check that no patch tries to change it) by the current
functions of ``kcourse.sim.apiserver.patch`` and by the former deep-copying ones (kept as the reference
in ``tests/sim/test_patch_copy_on_write.py``), interleaved, and CPU seconds are compared as a ratio within
the run.  It also counts the dicts and lists each result does not share with the Pod.  Run
``python benchmarks/patch_cost.py [--rounds N]``; it prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kcourse
from kcourse.sim.apiserver import patch
from kcourse.sim.frozen import freeze
from kcourse.sim.objects import deep_copy
from tests.sim.fingerprints.scenarios import many
from tests.sim.test_patch_copy_on_write import ref_json_patch, ref_merge_patch, ref_strategic_merge_patch

CASES: dict[str, tuple[Any, Any, Any]] = {
    "merge": (patch.merge_patch, ref_merge_patch, {"metadata": {"labels": {"tier": "front"}}}),
    "strategic": (
        patch.strategic_merge_patch,
        ref_strategic_merge_patch,
        {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-01-01T09:00:00Z"}}},
    ),
    "json": (
        patch.json_patch,
        ref_json_patch,
        [{"op": "replace", "path": "/metadata/labels/app", "value": "other"}],
    ),
}


def _containers(value: Any) -> list[Any]:
    out = [value] if isinstance(value, (dict, list)) else []
    for v in value.values() if isinstance(value, dict) else value if isinstance(value, list) else ():
        out += _containers(v)
    return out


def measure(rounds: int) -> dict[str, Any]:
    c = kcourse.Cluster(masters=1, workers=40, seed=3, bootstrap=False)
    many(1, 1)(c)
    pod = deep_copy(c.pods(None)[0])
    frozen = freeze(deep_copy(pod), "Pod")
    shared = {id(o) for o in _containers(pod)}
    out: dict[str, Any] = {"pod_json_bytes": len(json.dumps(pod)), "pod_dicts_and_lists": len(shared)}
    for name, (new, old, body) in CASES.items():
        assert json.dumps(new(frozen, body)) == json.dumps(old(pod, body))
        cpu = {"copy_on_write": 0.0, "deep_copy": 0.0}
        for _ in range(5):  # interleaved, so both see the same load
            for label, fn in (("copy_on_write", new), ("deep_copy", old)):
                t0 = time.process_time()
                for _ in range(rounds):
                    fn(pod, body)
                cpu[label] += time.process_time() - t0
        result = new(pod, body)
        out[name] = {
            "us_per_patch_copy_on_write": round(cpu["copy_on_write"] / (5 * rounds) * 1e6, 2),
            "us_per_patch_deep_copy": round(cpu["deep_copy"] / (5 * rounds) * 1e6, 2),
            "ratio": round(cpu["deep_copy"] / cpu["copy_on_write"], 1),
            "new_dicts_and_lists": sum(1 for o in _containers(result) if id(o) not in shared),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    print(json.dumps(measure(args.rounds)))


if __name__ == "__main__":
    main()
