"""The course's speed and scale benchmark: one JSON object with every figure.

Run ``.venv/bin/python benchmarks/run.py --json`` (or ``make bench``).  It
measures, on this machine:

* **scale** — from nothing to a steady cluster of ``--nodes`` Ready workers
  running Deployments that total ``--pods`` Pods, each Deployment behind a
  Service: every Pod scheduled by the default plugins (with
  ``percentageOfNodesToScore``), Running and Ready, every EndpointSlice
  complete and every node's kube-proxy rules synced.  Wall time, peak RSS and
  Pods per second; the result is checked, not only timed (``scale_ok``).
* **step cost** — the median wall time of one ``Cluster.step()`` (one action
  of one component) while the cluster absorbs a few small changes (a deleted
  Pod replaced, a Deployment scaled up by one), at 3 nodes / 10 Pods and at
  the scale above.  A step should cost what its change costs, not what the
  cluster's size costs.
* **widget step** — p95 of a Step click to the redrawn live diagram and
  event table (``benchmarks/widget_step.py``).
* **course** — ``pytest --nbval`` over ``notebooks/`` and over as many
  one-cell notebooks in a temporary directory, in the same run: the kernels'
  start-up is the floor the course is compared with.
* **import** — a fresh ``python -c "import kcourse"``, best of several.
* **bytes per Pod** — what one Pod costs in the store (etcd's retained
  versions plus the API server's decoded cache entry, which informers share)
  against the size of the Pod's JSON.  The ``etcd_*`` figures count the
  logical bytes (what etcd's db size shows); the ``*_held_*`` ones what the
  simulation holds in memory, where etcd keeps old and cold versions packed.

Smaller runs for CI: ``--nodes 200 --pods 6000``; ``--skip-nbval`` and
``--skip-widget`` leave out the slow, scale-independent parts.  A progress
bar goes to stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import kcourse
from kcourse.sim.etcd import held_bytes

#: Kubernetes' scalability thresholds, the targets of the full run.
FULL_NODES, FULL_PODS = 5_000, 150_000
#: Pods per Deployment (and Service): a few hundred keeps each ReplicaSet's sync bounded as in a real cluster.
PODS_PER_DEPLOYMENT = 100
CLUSTER_CIDR = "10.128.0.0/11"
REQUESTS = {"cpu": "10m", "memory": "16Mi"}


def deployment(name: str, replicas: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.25",
                            "ports": [{"containerPort": 80}],
                            "resources": {"requests": dict(REQUESTS)},
                        }
                    ]
                },
            },
        },
    }


def service(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 80}]},
    }


def workloads(pods: int, per: int = PODS_PER_DEPLOYMENT) -> list[tuple[str, int]]:
    """Deployment names and replica counts totalling ``pods``."""
    out, left, i = [], pods, 0
    while left > 0:
        i += 1
        out.append((f"app-{i:04d}", min(per, left)))
        left -= per
    return out


def peak_rss_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _progress(total: int, desc: str, unit: str, enabled: bool) -> Any:
    """A bar on stderr (never stdout, which carries the JSON), or None when progress is off."""
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)


def nodes_ready(cluster: kcourse.Cluster) -> int:
    return sum(
        1
        for n in cluster.api.items("nodes")
        if any(
            c["type"] == "Ready" and c["status"] == "True" for c in n.get("status", {}).get("conditions", [])
        )
    )


def pods_running(cluster: kcourse.Cluster) -> int:
    return sum(
        1 for p in cluster.api.items("pods", "default") if p.get("status", {}).get("phase") == "Running"
    )


def settle(
    cluster: kcourse.Cluster, bar: Any = None, count: Any = None, chunk: int = 5_000, timeout: float = 3_600
) -> int:
    """``run_until_stable`` in chunks, so a progress bar can follow ``count(cluster)``; returns the events."""
    total = 0
    start = cluster.now
    while True:
        events = cluster.run_until_stable(timeout=max(1.0, timeout - (cluster.now - start)), max_steps=chunk)
        total += len(events)
        if bar is not None:
            bar.n = count(cluster) if count is not None else bar.n + len(events)
            bar.set_postfix_str(f"{total} events, t={cluster.now:.0f}s", refresh=False)
            bar.refresh()
        if len(events) < chunk:
            return total


# --- the scale scenario ----------------------------------------------------------------------------


def build(nodes: int, pods: int, seed: int = 0, progress: bool = False) -> tuple[kcourse.Cluster, dict]:
    """Boot ``nodes`` workers, apply the Deployments and Services, run to a steady state.

    With ``progress`` a bar per phase goes to stderr: nodes Ready while booting, Pods Running while scaling.
    """
    start, cpu = time.perf_counter(), time.process_time()
    # Bare metal (no fake cloud): its documentation address block (203.0.113.0/24) has room for 245 VMs.
    # A /11 cluster CIDR: kubeadm's default /16 has podCIDRs for 255 nodes only.
    cluster = kcourse.Cluster(
        masters=1,
        workers=nodes,
        seed=seed,
        bootstrap=False,
        cloud=False,
        cluster_cidr=CLUSTER_CIDR if nodes > 250 else "10.244.0.0/16",
        trace_limit=10_000,
    )
    bar = _progress(nodes + 1, "boot: nodes Ready", "node", progress)
    boot_events = settle(cluster, bar, nodes_ready)
    if bar is not None:
        bar.close()
    booted = time.perf_counter()
    for name, replicas in workloads(pods):
        cluster.apply(service(name))
        cluster.apply(deployment(name, replicas))
    bar = _progress(pods, "scale: Pods Running", "pod", progress)
    events = settle(cluster, bar, pods_running)
    if bar is not None:
        bar.close()
    wall = time.perf_counter() - start
    return cluster, {
        "boot_s": round(booted - start, 2),
        "boot_events": boot_events,
        "scale_s": round(wall, 2),
        "scale_cpu_s": round(time.process_time() - cpu, 2),
        "scale_events": boot_events + events,
        "scale_simulated_s": round(cluster.now, 1),
    }


def check(cluster: kcourse.Cluster, nodes: int, pods: int) -> dict:
    """What the steady state must hold; ``problems`` lists what does not."""
    problems: list[str] = []
    ready = nodes_ready(cluster)
    if ready != nodes + 1:
        problems.append(f"{ready} of {nodes + 1} nodes Ready")
    wanted = dict(workloads(pods))
    per_node: Counter[str] = Counter()
    running = 0
    ready_by_app: Counter[str] = Counter()
    for p in cluster.api.items("pods", "default"):
        app = p["metadata"].get("labels", {}).get("app")
        if app not in wanted:
            continue
        node = p["spec"].get("nodeName")
        if node:
            per_node[node] += 1
        if p.get("status", {}).get("phase") == "Running":
            running += 1
        if any(
            c["type"] == "Ready" and c["status"] == "True" for c in p.get("status", {}).get("conditions", [])
        ):
            ready_by_app[app] += 1
    if running != pods:
        problems.append(f"{running} of {pods} Pods Running")
    endpoints: Counter[str] = Counter()
    for s in cluster.api.items("endpointslices", "default"):
        svc = s["metadata"].get("labels", {}).get("kubernetes.io/service-name")
        if svc in wanted:
            endpoints[svc] += sum(1 for e in s.get("endpoints") or [] if e.get("conditions", {}).get("ready"))
    short = sorted(a for a, n in wanted.items() if endpoints[a] != n or ready_by_app[a] != n)
    if short:
        problems.append(f"{len(short)} Services with incomplete endpoints, e.g. {short[0]}")
    stale = _stale_proxies(cluster, wanted)
    if stale:
        problems.append(f"kube-proxy rules out of date on {len(stale)} nodes, e.g. {stale[0]}")
    workers = [per_node.get(f"worker-{i}", 0) for i in range(1, nodes + 1)]
    return {
        "scale_ok": not problems,
        "problems": problems,
        "pods_running": running,
        "spread_min": min(workers, default=0),
        "spread_max": max(workers, default=0),
        "spread_mean": round(statistics.fmean(workers), 2) if workers else 0.0,
        "etcd_revision": cluster.etcd.revision,
        "etcd_db_mib": round(cluster.etcd.db_size() / 2**20, 1),
    }


def _stale_proxies(cluster: kcourse.Cluster, wanted: dict[str, int]) -> list[str]:
    """Nodes whose installed rules lack a Service's chain or some of its endpoints."""
    from kcourse.sim.kubeproxy import service_port_chain_name, service_port_name

    stale = []
    chains = {
        service_port_chain_name(service_port_name("default", app, ""), "TCP"): n for app, n in wanted.items()
    }
    checked: dict[int, bool] = {}  # nodes that installed the same (shared) rule set are checked once
    for node in sorted(cluster.machines):
        table = cluster.network.iptables.get(node)
        if table is None:
            stale.append(node)
            continue
        key = id(getattr(table, "rules", table))
        if key not in checked:
            rules = Counter(r.chain for r in table.nat if r.jump.startswith("KUBE-SEP-"))
            checked[key] = any(rules[chain] != n for chain, n in chains.items())
        if checked[key]:
            stale.append(node)
    return stale


# --- step cost -----------------------------------------------------------------------------------------


def step_costs(cluster: kcourse.Cluster, app: str, changes: int = 5, max_steps: int = 20_000) -> list[float]:
    """Wall time of each step while the cluster absorbs ``changes`` small changes, one after another."""
    times: list[float] = []
    for i in range(changes):
        if i % 2 == 0:
            pods = [
                p
                for p in cluster.api.items("pods", "default")
                if p["metadata"].get("labels", {}).get("app") == app
                and not p["metadata"].get("deletionTimestamp")
            ]
            cluster.kubectl(f"delete pod {pods[0]['metadata']['name']} --wait=false")
        else:
            dep = cluster.api.peek("deployments", app, "default")
            cluster.kubectl(f"scale deployment {app} --replicas={dep['spec']['replicas'] + 1}")
        steps = 0
        while cluster.clock.has_foreground() and steps < max_steps:
            t = time.perf_counter()
            cluster.step()
            times.append(time.perf_counter() - t)
            steps += 1
    return times


def small_step_ms(changes: int = 5) -> float:
    cluster = kcourse.Cluster(masters=1, workers=3, seed=0)
    cluster.apply(service("app-0001"))
    cluster.apply(deployment("app-0001", 10))
    cluster.run_until_stable()
    return statistics.median(step_costs(cluster, "app-0001", changes)) * 1000


# --- the rest --------------------------------------------------------------------------------------------


def widget_p95(clicks: int) -> float:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import widget_step

    return widget_step.main(clicks)["click_step"]["p95_ms"]


def import_s(repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import kcourse"], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t)
    return round(best, 3)


def _nbval(directory: Path, sanitize: Path | None) -> float:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval",
        str(directory),
        "-q",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(directory),
    ]
    if sanitize is not None:
        cmd += ["--nbval-sanitize-with", str(sanitize)]
    t = time.perf_counter()
    done = subprocess.run(cmd, check=False, cwd=directory, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        print(f"warning: nbval in {directory} failed:\n{tail}", file=sys.stderr)
    return wall


def nbval_figures() -> dict:
    """The course's notebooks and as many one-cell notebooks, both under strict nbval, in this run."""
    import nbformat

    src = ROOT / "notebooks"
    books = sorted(src.glob("*.ipynb"))
    with tempfile.TemporaryDirectory() as tmp:
        empty, course = Path(tmp) / "empty", Path(tmp) / "course"
        shutil.copytree(src, course, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        empty.mkdir()
        shutil.copy(src / "conftest.py", empty / "conftest.py")
        for book in books:
            nb = nbformat.v4.new_notebook()
            nb.cells.append(nbformat.v4.new_code_cell("pass", execution_count=1))
            nbformat.write(nb, empty / book.name)
        # Copies in the same temporary tree: no rootdir conftest or ini of the project changes either run.
        course_s = _nbval(course, course / "sanitize.cfg")
        empty_s = _nbval(empty, None)
    return {
        "course_nbval_s": round(course_s, 2),
        "empty_nbval_s": round(empty_s, 2),
        "course_ratio": round(course_s / empty_s, 2),
        "notebooks": len(books),
    }


def _deep_size(obj: Any, seen: set[int]) -> int:
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    size = sys.getsizeof(obj)
    if isinstance(obj, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in obj.items())
    elif isinstance(obj, (list, tuple)):
        size += sum(_deep_size(v, seen) for v in obj)
    return size


def bytes_per_pod(cluster: kcourse.Cluster, sample: int = 500) -> dict:
    """A Pod's cost in the store: etcd's retained versions plus the API server's cached object.

    Informers share the API server's cached dict, so it is counted once.  The breakdown shows etcd's
    latest version alone (what is left after a compaction) and the whole retained history.
    """
    pods = cluster.api.items("pods", "default")
    step = max(1, len(pods) // sample)
    latest, history, cached, json_size, held_latest, held_history = [], [], [], [], [], []
    for p in pods[::step][:sample]:
        key = f"/registry/pods/default/{p['metadata']['name']}"
        versions = cluster.etcd._history.get(key, [])
        latest.append(len(key) + len(versions[-1].value) if versions else 0)
        history.append(sum(len(kv.key) + len(kv.value) for kv in versions))
        held_latest.append(len(key) + held_bytes(versions[-1]) if versions else 0)
        held_history.append(len(key) + sum(held_bytes(kv) for kv in versions))  # one key string for all
        cached.append(_deep_size(p, set()))
        json_size.append(len(json.dumps(p, separators=(",", ":"))))
    per_json = statistics.fmean(json_size)
    per_pod = statistics.fmean(history) + statistics.fmean(cached)
    return {
        "bytes_per_pod": round(per_pod),
        "pod_json_bytes": round(per_json),
        "bytes_per_pod_ratio": round(per_pod / per_json, 2),
        "etcd_bytes_per_pod_latest": round(statistics.fmean(latest)),
        "etcd_bytes_per_pod_history": round(statistics.fmean(history)),
        "etcd_versions_per_pod": round(
            statistics.fmean(
                len(cluster.etcd._history.get(f"/registry/pods/default/{p['metadata']['name']}", []))
                for p in pods[::step][:sample]
            ),
            1,
        ),
        "cache_bytes_per_pod": round(statistics.fmean(cached)),
        "held_bytes_per_pod": round(statistics.fmean(held_history) + statistics.fmean(cached)),
        "etcd_held_bytes_per_pod_latest": round(statistics.fmean(held_latest)),
        "etcd_held_bytes_per_pod_history": round(statistics.fmean(held_history)),
        "etcd_held_mib": round(
            sum(
                len(key) + sum(held_bytes(kv) for kv in versions)
                for key, versions in cluster.etcd._history.items()
            )
            / 2**20,
            1,
        ),
    }


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=FULL_NODES)
    ap.add_argument("--pods", type=int, default=FULL_PODS)
    ap.add_argument("--json", action="store_true", help="print only the JSON object")
    ap.add_argument("--skip-nbval", action="store_true")
    ap.add_argument("--skip-widget", action="store_true")
    ap.add_argument("--clicks", type=int, default=200, help="Step clicks for the widget figure")
    ap.add_argument(
        "--no-progress", action="store_true", help="no progress bars on stderr (off when not a terminal)"
    )
    args = ap.parse_args(argv)
    progress = not args.no_progress and sys.stderr.isatty()

    result: dict[str, Any] = {"nodes": args.nodes, "pods": args.pods}
    cluster, scale = build(args.nodes, args.pods, progress=progress)
    result.update(scale)
    result["scale_peak_rss_mib"] = peak_rss_mib()
    result["scale_pods_per_s"] = round(args.pods / scale["scale_s"], 1)
    result.update(check(cluster, args.nodes, args.pods))
    result.update(bytes_per_pod(cluster))
    large = statistics.median(step_costs(cluster, workloads(args.pods)[0][0])) * 1000
    del cluster
    small = small_step_ms()
    result.update(
        step_ms_p50_small=round(small, 3),
        step_ms_p50_large=round(large, 3),
        step_ratio_large_small=round(large / small, 2),
    )
    if not args.skip_widget:
        result["widget_step_ms_p95"] = widget_p95(args.clicks)
    if not args.skip_nbval:
        result.update(nbval_figures())
    result["import_s"] = import_s()
    result["machine"] = machine()
    print(json.dumps(result, indent=None if args.json else 2))
    return result


if __name__ == "__main__":
    main()
