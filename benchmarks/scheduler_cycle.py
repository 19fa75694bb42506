"""CPU per scheduling cycle at a given cluster size, and a digest of every decision.

The scheduler's cycle alone, without the rest of the simulation: a synthetic cluster of
``--nodes`` nodes in three zones (one tainted control-plane node, a few cordoned or
PreferNoSchedule-tainted nodes, images on some) with ``--bound`` Pods of a dozen Deployments
already placed, then ``--cycles`` Pods scheduled one after another, each added to the cache on
its chosen node as the bind's watch event would.  CPU seconds come from ``time.process_time``;
the digest covers every cycle's choice, scores and filter reasons, so two trees (or the array
and per-plugin paths, ``--per-plugin``) can be compared for identical decisions.

    python benchmarks/scheduler_cycle.py --nodes 1000 --cycles 300
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time

from kcourse.sim.labels import Selector, selector_from_spec
from kcourse.sim.scheduler import Cache, Framework


def _node(i: int, rng: random.Random) -> dict:
    name = f"node-{i:05d}"
    spec: dict = {}
    if i == 0:
        spec["taints"] = [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]
    elif i % 97 == 0:
        spec["unschedulable"] = True
    elif i % 53 == 0:
        spec["taints"] = [{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}]
    cpu = rng.choice(["4", "8", "16"])
    memory = rng.choice(["16Gi", "32Gi", "64Gi"])
    images = [
        {"names": [f"registry.local/app-{k}:1.0"], "sizeBytes": rng.randrange(50, 900) * 2**20}
        for k in range(12)
        if rng.random() < 0.3
    ]
    return {
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": f"zone-{i % 3}"},
        },
        "spec": spec,
        "status": {
            "allocatable": {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "100Gi"},
            "images": images,
        },
    }


def _pod(i: int, app: int, node: str | None = None) -> dict:
    pod: dict = {
        "metadata": {"name": f"app-{app}-{i}", "namespace": "default", "labels": {"app": f"app-{app}"}},
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "image": f"registry.local/app-{app}:1.0",
                    "resources": {
                        "requests": {"cpu": f"{100 + 50 * (app % 4)}m", "memory": f"{128 * (1 + app % 3)}Mi"}
                    },
                }
            ]
        },
    }
    if node is not None:
        pod["spec"]["nodeName"] = node
    return pod


def _default_selector(pod: dict) -> Selector:
    return selector_from_spec({"matchLabels": {"app": pod["metadata"]["labels"]["app"]}})


def run(nodes: int, bound: int, cycles: int, seed: int, per_plugin: bool) -> dict:
    rng = random.Random(seed)
    cache = Cache()
    names = []
    for i in range(nodes):
        node = _node(i, rng)
        cache.add_node(node)
        names.append(node["metadata"]["name"])
    for i in range(bound):
        cache.add_pod(_pod(i, i % 12, names[1 + rng.randrange(nodes - 1)]))
    fw = Framework(cache, random.Random(seed), default_selector=_default_selector)
    if per_plugin:
        fw.use_node_arrays = False
    digest = hashlib.sha256()
    cpu = 0.0
    for i in range(cycles):
        pod = _pod(bound + i, i % 12)
        start = time.process_time()
        result = fw.schedule(pod)
        cpu += time.process_time() - start
        digest.update(json.dumps(result.decision(), sort_keys=True).encode())
        if result.node is not None:
            pod["spec"]["nodeName"] = result.node
            cache.add_pod(pod)
    return {
        "nodes": nodes,
        "bound": bound,
        "cycles": cycles,
        "per_plugin": per_plugin,
        "cpu_s": round(cpu, 4),
        "cpu_ms_per_cycle": round(cpu / cycles * 1000, 3),
        "decisions_sha256": digest.hexdigest(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--bound", type=int, default=10_000)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-plugin", action="store_true", help="score and filter node by node")
    args = parser.parse_args()
    print(json.dumps(run(args.nodes, args.bound, args.cycles, args.seed, args.per_plugin)))


if __name__ == "__main__":
    main()
