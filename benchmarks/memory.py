"""Where the scale scenario's memory goes: bytes held, by holder.

Run ``.venv/bin/python benchmarks/memory.py --nodes 200 --pods 6000`` (``--json`` for one JSON object).
It builds the scale scenario of ``run.py`` and then walks the objects the cluster holds with
``sys.getsizeof`` and one set of object ids shared by every holder, so an object reached from two
holders is counted once, by the first in this order:

* **etcd** — the latest version of each key and the superseded ones (``history``), each split by
  resource, with ``packed`` (the compressed bytes among them); then etcd's watch log and queues;
* **apiserver cache** — the watch cache's decoded objects by resource, then the rest of the server;
* **informers** — every informer's store and indexes, by the user (component) whose client made it;
* **cri call logs**, **cri runtimes**, **event recorders**;
* **container programs** — what runs in the Pods' containers (kube-proxy with its rule state, the
  addons' programs, the logging addon's store with the log lines it shares with the kubelets);
* **components** (scheduler, controller manager) and **kubelets**, by attribute;
* the **trace**, the **clock** (its heap of timers), the **network**, the **addons**, and whatever else
  the cluster reaches (``other``).

A holder's figure is what it alone keeps alive *beyond* what earlier holders hold: an object the
cache shares with etcd's latest version is etcd's.  The sum is below the process's RSS (the
allocator's free lists, interpreter, modules and code are not counted); ``rss_mib`` is given to
compare.  ``--tracemalloc`` also reports allocations by source file (slow: about 3 times the CPU).

Simplified: closures and bound methods are not followed (they lead back to components, which are
walked as their own holders); numpy arrays count their ``nbytes`` through ``sys.getsizeof``.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
import types
from collections import defaultdict, deque
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import build, peak_rss_mib

from kcourse.sim.etcd import held_bytes

_SKIP = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    types.GeneratorType,
)


def _slots(cls: type) -> list[str]:
    names: list[str] = []
    for klass in cls.__mro__:
        s = klass.__dict__.get("__slots__", ())
        names.extend([s] if isinstance(s, str) else s)
    return names


class Walker:
    """Deep sizes with one shared ``seen`` set: each object is counted for the first holder reaching it."""

    def __init__(self, stop: set[int]):
        self.seen: set[int] = set()
        self.stop = stop  # ids of objects that are holders of their own, walked under their own name

    def size(self, *roots: Any) -> int:
        total = 0
        stack = list(roots)
        seen, stop = self.seen, self.stop
        getsizeof = sys.getsizeof
        while stack:
            obj = stack.pop()
            i = id(obj)
            if i in seen or isinstance(obj, _SKIP):
                continue
            if i in stop and not any(obj is r for r in roots):
                continue
            seen.add(i)
            total += getsizeof(obj)
            if isinstance(obj, (str, bytes, int, float, bool, type(None))):
                continue
            if isinstance(obj, dict):  # ``dict``'s own views: a cache kept as stored holds etcd's versions
                stack.extend(dict.keys(obj))
                stack.extend(dict.values(obj))
            elif isinstance(obj, (list, tuple, set, frozenset, deque)):
                stack.extend(obj)
            else:
                d = getattr(obj, "__dict__", None)
                if isinstance(d, dict):
                    stack.append(d)
                for name in _slots(type(obj)):
                    try:
                        stack.append(object.__getattribute__(obj, name))
                    except AttributeError:
                        pass
        return total


def _attributes(obj: Any, stop: set[int]) -> list[tuple[str, Any]]:
    """An object's attributes, and one level down for those that are plain objects (a controller manager's
    controllers, a kubelet's managers), so a breakdown can name them."""
    out: list[tuple[str, Any]] = []
    for name, value in _fields(obj):
        if id(value) in stop:
            continue
        if not isinstance(value, _SKIP) and type(value).__module__.startswith("kcourse"):
            out.extend((f"{name}.{k}", v) for k, v in _fields(value) if id(v) not in stop)
        out.append((name, value))
    return out


def _fields(obj: Any) -> list[tuple[str, Any]]:
    """An object's attributes: its ``__dict__`` and its slots."""
    inner = getattr(obj, "__dict__", None)
    found = list(inner.items()) if isinstance(inner, dict) else []
    return found + [(n, getattr(obj, n)) for n in _slots(type(obj)) if n != "__dict__" and hasattr(obj, n)]


def _resource(key: str) -> str:
    """``/registry/pods/default/x`` → ``pods``; ``/registry/apiextensions.k8s.io/…`` → its group."""
    parts = key.split("/")
    if (
        len(parts) > 3 and parts[2] == "services"
    ):  # /registry/services/specs/…, /registry/services/endpoints/…
        return "endpoints" if parts[3] == "endpoints" else "services"
    return parts[2] if len(parts) > 2 else key


def _instances(*names: str) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {n: [] for n in names}
    for obj in gc.get_objects():
        n = type(obj).__name__
        if n in found:
            found[n].append(obj)
    return found


def breakdown(cluster: Any) -> dict[str, Any]:
    """Bytes held per holder (see the module's docstring), in MiB, plus etcd's and the cache's splits."""
    etcd, api = cluster.etcd, cluster.api
    found = _instances("Informer", "EventRecorder", "ContainerRuntime")
    components = [c for m in cluster.machines.values() for c in m.components]
    runtimes = found["ContainerRuntime"]
    stop = {
        id(o)
        for o in (
            cluster,
            etcd,
            api,
            cluster.clock,
            cluster.network,
            cluster.registry,
            cluster.events,
            cluster.addons,
            cluster.rng,
        )
    }
    stop |= {id(o) for group in found.values() for o in group}
    stop |= {id(c) for c in components} | {id(m) for m in cluster.machines.values()}
    w = Walker(stop)
    mib: dict[str, float] = {}
    detail: dict[str, dict[str, float]] = defaultdict(dict)

    def put(name: str, n: int) -> None:
        mib[name] = round(mib.get(name, 0) + n / 2**20, 1)

    by_res: dict[str, list[Any]] = defaultdict(list)
    for key, kv in etcd._latest.items():
        by_res[_resource(key)].append(kv)
    for res, kvs in sorted(by_res.items()):
        n = w.size(*kvs)
        detail["etcd_latest"][res] = round(n / 2**20, 2)
        put("etcd_latest", n)
    by_res.clear()
    packed: dict[str, int] = defaultdict(int)
    for key, versions in etcd._history.items():
        by_res[_resource(key)].append(versions)
        for kv in versions[:-1] if etcd._latest.get(key) is versions[-1] else versions:
            if not isinstance(object.__getattribute__(kv, "_value"), bytes):
                packed[_resource(key)] += held_bytes(kv)
    for res, lists in sorted(by_res.items()):
        n = w.size(*lists)
        detail["etcd_history"][res] = round(n / 2**20, 2)
        put("etcd_history", n)
    mib["etcd_history_packed_data"] = round(sum(packed.values()) / 2**20, 1)
    put("etcd_log_and_queues", w.size(etcd))
    for res, objs in sorted(api._cache.items()):
        n = w.size(objs)
        if n > 2**16:
            detail["apiserver_cache"][res] = round(n / 2**20, 2)
        put("apiserver_cache", n)
    put("apiserver_rest", w.size(api))
    informers: dict[str, int] = defaultdict(int)
    for inf in found["Informer"]:
        user = getattr(inf.client, "user", "?")
        informers[
            user.split(":")[-1] if not user.startswith("system:node:") else "kube-proxy/kubelet (nodes)"
        ] += w.size(inf)
    for user, n in sorted(informers.items()):
        detail["informers"][user] = round(n / 2**20, 2)
        put("informers", n)
    calls = sum(w.size(rt.calls) for rt in runtimes)
    put("cri_call_logs", calls)
    put("cri_runtimes", sum(w.size(rt) for rt in runtimes))
    put("event_recorders", sum(w.size(r) for r in found["EventRecorder"]))
    programs: dict[str, int] = defaultdict(
        int
    )  # what runs in the Pods' containers: kube-proxy, addons' programs
    for kubelet in (c for c in components if type(c).__name__ == "Kubelet"):
        for record in kubelet.pods.values():
            for ctr in getattr(record, "ctrs", {}).values():
                program = getattr(ctr, "program", None)
                if program is not None:
                    kind = type(program).__name__
                    for attr, value in _attributes(program, stop):
                        programs[f"{kind}.{attr}"] += w.size(value)
                    programs[f"{kind}.(itself)"] += w.size(program)
    for name, n in sorted(programs.items()):
        if n > 2**16:
            detail["container_programs"][name] = round(n / 2**20, 2)
        put("container_programs", n)
    parts: dict[tuple[str, str], int] = defaultdict(int)
    for c in components:
        kind = type(c).__name__
        for attr, value in _attributes(c, stop):
            parts[kind, attr] += w.size(value)
        parts[kind, "(itself)"] += w.size(c)
    for (kind, attr), n in sorted(parts.items()):
        holder = "kubelets" if kind == "Kubelet" else "components"
        if n > 2**16:
            detail[holder][f"{kind}.{attr}"] = round(n / 2**20, 2)
        put(holder, n)
    put("trace", w.size(cluster.events))
    put("clock", w.size(cluster.clock))
    put("network", w.size(cluster.network))
    put("addons", w.size(cluster.addons))
    put("other", w.size(cluster, *cluster.machines.values()))
    mib["total_counted"] = round(sum(v for k, v in mib.items() if k != "etcd_history_packed_data"), 1)
    return {
        "mib": mib,
        "detail": {k: dict(sorted(v.items(), key=lambda kv: -kv[1])) for k, v in detail.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--pods", type=int, default=6000)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--tracemalloc", action="store_true", help="also group allocations by source file")
    args = parser.parse_args()
    if args.tracemalloc:
        tracemalloc.start()
    cluster, figures = build(args.nodes, args.pods)
    rss = peak_rss_mib()
    cpu = time.process_time()
    out: dict[str, Any] = {
        "nodes": args.nodes,
        "pods": args.pods,
        "peak_rss_mib": rss,
        "scale_cpu_s": figures["scale_cpu_s"],
    }
    if args.tracemalloc:
        stats = tracemalloc.take_snapshot().statistics("filename")
        out["tracemalloc_mib"] = {
            str(Path(s.traceback[0].filename).resolve().relative_to(ROOT))
            if str(s.traceback[0].filename).startswith(str(ROOT))
            else s.traceback[0].filename: round(s.size / 2**20, 1)
            for s in stats[:25]
        }
        tracemalloc.stop()
    out.update(breakdown(cluster))
    out["walk_cpu_s"] = round(time.process_time() - cpu, 1)
    if args.json:
        print(json.dumps(out))
        return
    print(f"{args.nodes} nodes / {args.pods} Pods: peak RSS {rss} MiB, scale CPU {figures['scale_cpu_s']} s")
    for name, value in out["mib"].items():
        print(f"  {name:<28} {value:9.1f} MiB")
    for holder, parts in out["detail"].items():
        print(f"  {holder}: " + ", ".join(f"{k} {v}" for k, v in list(parts.items())[:8]))
    for name, value in out.get("tracemalloc_mib", {}).items():
        print(f"  tracemalloc {name:<50} {value:8.1f} MiB")


if __name__ == "__main__":
    main()
