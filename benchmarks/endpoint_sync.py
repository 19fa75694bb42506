"""CPU of the Endpoints and EndpointSlice controllers' syncs while the Pods of 100-Pod Services come and go.

A small cluster (``--nodes`` workers) runs ``--services`` Services of ``--pods`` Pods each (Deployments, as
``run.py`` applies them); the Pods start, then ``--churn`` of them are deleted one at a time (each replaced by
its ReplicaSet, so an endpoint leaves and a new one arrives and turns ready).  Each controller's
``sync_handler`` is timed with ``time.process_time`` per phase: in all, in the API requests it makes, and
the rest (the controller's own work); the digest covers every endpoint object's final content and the etcd
revision, so two trees can be compared for identical results.

    python benchmarks/endpoint_sync.py --services 3 --churn 60
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import run

import kcourse
from kcourse.sim.apiserver.client import Client
from kcourse.sim.controllers.endpoints import EndpointsController
from kcourse.sim.controllers.endpointslice import EndpointSliceController

SPENT: dict[str, list[float]] = {}
SYNCING: list[str] = []  # the controller whose sync is running, if any


def _timed(cls: type, label: str) -> None:
    inner = cls.sync_handler

    def sync_handler(self: Any, key: str) -> Any:
        t = time.process_time()
        SYNCING.append(label)
        try:
            return inner(self, key)
        finally:
            SYNCING.pop()
            cell = SPENT.setdefault(label, [0.0, 0, 0.0])
            cell[0] += time.process_time() - t
            cell[1] += 1

    cls.sync_handler = sync_handler


def _timed_requests() -> None:
    """The API requests a sync makes are timed apart, so that the controller's own work shows."""
    for verb in ("create", "update", "delete"):
        inner = getattr(Client, verb)

        def request(self: Any, *args: Any, _inner: Any = inner, **kw: Any) -> Any:
            if not SYNCING:
                return _inner(self, *args, **kw)
            t = time.process_time()
            try:
                return _inner(self, *args, **kw)
            finally:
                SPENT.setdefault(SYNCING[-1], [0.0, 0, 0.0])[2] += time.process_time() - t

        setattr(Client, verb, request)


def _figures(elapsed: float) -> dict:
    """Per controller: [sync CPU s, syncs, of which in API requests, own CPU s]."""
    out: dict = {k: [round(v[0], 3), v[1], round(v[2], 3), round(v[0] - v[2], 3)] for k, v in SPENT.items()}
    out["total_cpu_s"] = round(elapsed, 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=10)
    ap.add_argument("--services", type=int, default=3)
    ap.add_argument("--pods", type=int, default=100)
    ap.add_argument("--churn", type=int, default=60)
    args = ap.parse_args()
    _timed(EndpointsController, "endpoints")
    _timed(EndpointSliceController, "endpointslice")
    _timed_requests()
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
    out["start"] = _figures(time.process_time() - t)
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
    out["churn"] = _figures(time.process_time() - t)
    digest = hashlib.sha256()
    for kind in ("endpoints", "endpointslices"):
        for obj in client.list(kind, "default")["items"]:
            digest.update(json.dumps(obj, sort_keys=True).encode())
    out["revision"] = cluster.etcd.revision
    out["digest"] = digest.hexdigest()[:16]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
