"""CPU of the Endpoints and EndpointSlice controllers' syncs while the Pods of 100-Pod Services come and go.

A small cluster (``--nodes`` workers) runs ``--services`` Services of ``--pods`` Pods each (Deployments, as
``run.py`` applies them); the Pods start, then ``--churn`` of them are deleted one at a time (each replaced by
its ReplicaSet, so an endpoint leaves and a new one arrives and turns ready).  Each controller's
``sync_handler`` is timed with ``time.process_time`` (inclusive: the API writes it makes are in it), per
phase; the digest covers every endpoint object's final content and the etcd revision, so two trees can be
compared for identical results.

    python benchmarks/endpoint_sync.py --services 3 --churn 60
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run  # noqa: E402

import kcourse  # noqa: E402
from kcourse.sim.controllers.endpoints import EndpointsController  # noqa: E402
from kcourse.sim.controllers.endpointslice import EndpointSliceController  # noqa: E402

SPENT: dict[str, list[float]] = {}


def _timed(cls: type, label: str) -> None:
    inner = cls.sync_handler

    def sync_handler(self, key):  # noqa: ANN001, ANN202
        t = time.process_time()
        try:
            return inner(self, key)
        finally:
            cell = SPENT.setdefault(label, [0.0, 0])
            cell[0] += time.process_time() - t
            cell[1] += 1

    cls.sync_handler = sync_handler


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--services", type=int, default=3)
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--churn", type=int, default=60)
    args = ap.parse_args()
    _timed(EndpointsController, "endpoints")
    _timed(EndpointSliceController, "endpointslice")
    cluster = kcourse.Cluster(masters=1, workers=args.nodes, seed=0, bootstrap=False, cloud=False)
    run.settle(cluster)
    names = [f"app-{i:04d}" for i in range(1, args.services + 1)]
    for name in names:
        cluster.apply(run.service(name))
        cluster.apply(run.deployment(name, args.pods))
    out: dict = {}
    SPENT.clear()
    t = time.process_time()
    run.settle(cluster)
    out["start"] = {k: [round(v[0], 3), v[1]] for k, v in SPENT.items()} | {
        "total_cpu_s": round(time.process_time() - t, 3)
    }
    SPENT.clear()
    t = time.process_time()
    client = cluster.client("benchmark")
    for i in range(args.churn):
        pods = sorted(
            p["metadata"]["name"]
            for p in client.list("pods", "default")["items"]
            if p["metadata"]["name"].startswith(names[i % len(names)])
            and not p["metadata"].get("deletionTimestamp")
        )
        client.delete("pods", pods[(i * 37) % len(pods)], "default")
        run.settle(cluster)
    out["churn"] = {k: [round(v[0], 3), v[1]] for k, v in SPENT.items()} | {
        "total_cpu_s": round(time.process_time() - t, 3)
    }
    digest = hashlib.sha256()
    for kind in ("endpoints", "endpointslices"):
        for obj in client.list(kind, "default")["items"]:
            digest.update(json.dumps(obj, sort_keys=True).encode())
    out["revision"] = cluster.etcd.revision
    out["digest"] = digest.hexdigest()[:16]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
