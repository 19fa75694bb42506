"""How fast the stepper answers a click, and how long the diagrams take to draw.

On the chapter's cluster (1 control plane node, 3 workers, a Deployment of
up to 20 Pods) this clicks Step at least 200 times and times each click
until the diagram (rendered to SVG by Graphviz ``dot``) and the events
table are updated; then it times ``architecture()`` and the live diagram at
3 and 20 worker nodes, uncached.  Prints JSON; the target is a p95 click
under 100 ms.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import kcourse
from kcourse import diagrams
from kcourse.widgets.stepper import Stepper

WEB = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": 12,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]},
        },
    },
}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {
        "p50_ms": round(pick(0.5) * 1000, 2),
        "p95_ms": round(pick(0.95) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "n": len(ordered),
    }


def uncached(render) -> float:
    diagrams._SVG_CACHE.clear()
    start = time.perf_counter()
    render()
    return time.perf_counter() - start


def time_render(build, repeat: int = 5) -> dict[str, float]:
    return percentiles([uncached(lambda: build().svg()) for _ in range(repeat)])


def source_time(cluster: kcourse.Cluster) -> float:
    """Building the DOT source alone (no Graphviz): what the views cost before ``dot`` runs."""
    start = time.perf_counter()
    diagrams.live(cluster)
    return time.perf_counter() - start


def main(clicks: int = 200) -> dict:
    cluster = kcourse.Cluster(masters=1, workers=3, seed=0)
    try:
        cluster.apply(WEB)
    except Exception as e:  # noqa: BLE001 - an early build without Deployments still measures the stepper
        print(f"note: no Deployment ({e})", file=sys.stderr)
    stepper = Stepper(cluster)
    times = []
    diagrams.SVG_CACHE_STATS.clear()
    for _ in range(clicks):
        start = time.perf_counter()
        stepper.step_button.click()
        times.append(time.perf_counter() - start)
    cache_hits = diagrams.SVG_CACHE_STATS["hit"]
    pods = len(cluster.api.items("pods"))
    big = kcourse.Cluster(masters=1, workers=20, seed=0)
    try:
        big.apply(dict(WEB, spec=dict(WEB["spec"], replicas=60)))
        big.run_until_stable()
    except Exception as e:  # noqa: BLE001
        print(f"note: no Deployment on the 20-node cluster ({e})", file=sys.stderr)
    result = {
        "click_step": dict(
            percentiles(times),
            svg_cache_hits=cache_hits,
            pods=pods,
            events=len(cluster.events),
            target_p95_ms=100,
        ),
        "architecture": time_render(lambda: diagrams.architecture()),
        "live_3_workers": time_render(lambda: diagrams.live(cluster)),
        "live_20_workers": dict(time_render(lambda: diagrams.live(big)), pods=len(big.api.items("pods"))),
        "dot_source_only_20_workers_ms": round(min(source_time(big) for _ in range(5)) * 1000, 2),
    }
    return result


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 200), indent=2))
