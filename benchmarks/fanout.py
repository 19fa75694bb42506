"""CPU of one EndpointSlice change's watch fan-out: a delivery to every node's kube-proxy and the controllers.

Every EndpointSlice write reaches each node's kube-proxy through its own informer (as on a real cluster),
so its cost grows as nodes x writes.  This boots ``--nodes`` workers (no workloads), then hands the API
server's cacher ``--changes`` new versions of one EndpointSlice and measures the CPU seconds of the
fan-out alone (``time.process_time``): the watchers the change wakes, the informers' stores and handlers.
The changes do not go through etcd, so nothing is written and the cluster is not stepped; compare trees
by running this script with each tree on ``PYTHONPATH``, interleaved.  Prints one JSON object.

``grouped`` counts the watchers served through a shared-cache group (every connected node's kube-proxy
informers hold one cache, :class:`kcourse.sim.informer.InformerGroup`): for them one change is one
delivery, whatever the number of nodes, and ``us_per_delivery`` is per watcher all the same.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kcourse
from benchmarks.run import nodes_ready, settle


def measure(nodes: int, changes: int) -> dict:
    cluster = kcourse.Cluster(
        masters=1, workers=nodes, seed=0, bootstrap=False, cloud=False, trace_limit=10_000
    )
    settle(cluster, None, nodes_ready)
    api = cluster.api
    rt = api.resource("endpointslices")
    cache = api._cache["endpointslices"]
    obj = cache[min(cache)]
    watchers = len(api._watchers["endpointslices"])
    grouped = sum(len(g.members) for g in getattr(api, "_live_groups", {}).get("endpointslices", ()))
    old = obj
    cpu = time.process_time()
    for i in range(changes):
        new = dict(obj, metadata=dict(obj["metadata"], resourceVersion=str(10**9 + i)))
        api._fan_out(rt, old, new, "MODIFIED")
        old = new
    cpu = time.process_time() - cpu
    return {
        "nodes": nodes,
        "watchers": watchers,
        "grouped": grouped,
        "changes": changes,
        "fanout_cpu_s": round(cpu, 3),
        "us_per_delivery": round(cpu / changes / watchers * 1e6, 2),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--changes", type=int, default=2000)
    args = parser.parse_args(argv)
    result = measure(args.nodes, args.changes)
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
