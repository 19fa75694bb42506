"""``kubectl top nodes`` and ``top pods``: usage from the metrics API (a port of ``pkg/cmd/top``).

Simplified: metrics come from the simulation's own usage model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..cri import go_duration
from ..errors import ApiError
from ..objects import parse_timestamp
from ..quantity import millicores, units
from .cmdutil import (
    METRICS_CREATION_DELAY,
    Args,
    KubectlError,
    _top_sorted,
)
from .printers import (
    tabulate,
)

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_top(self: Kubectl, args: Args) -> int:
    """``kubectl top node|pod``: the metrics.k8s.io usage, laid out as kubectl's TopCmdPrinter does."""
    if not args.positional:
        raise KubectlError("Required resource not specified.")
    if args.positional[0] not in ("node", "nodes", "no", "pod", "pods", "po"):
        raise KubectlError(
            f'unknown command "{" ".join(args.positional)}"', "See 'kubectl top -h' for help and examples\n"
        )
    sort_by = args.get("sort-by") or ""
    if sort_by not in ("", "cpu", "memory"):
        raise KubectlError("--sort-by accepts only cpu or memory")
    metrics = getattr(getattr(self.cluster, "addons", None), "metrics", None)
    if metrics is None:  # no metrics-server installed: no metrics.k8s.io APIService in discovery
        raise KubectlError("Metrics API not available")
    if not metrics.available:  # the APIService is there, its backend is not
        raise ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
    if args.positional[0].startswith("no"):
        return self._top_nodes(metrics, args, sort_by)
    return self._top_pods(metrics, args, sort_by)


def _top_nodes(self: Kubectl, metrics: Any, args: Args, sort_by: str) -> int:
    """NAME CPU(cores) CPU(%) MEMORY(bytes) MEMORY(%); percentages of allocatable, truncated."""
    name = args.positional[1] if len(args.positional) > 1 else None
    usage = {r["name"]: r for r in metrics.top_nodes() if r["cpu"] is not None}
    if name:
        if name not in usage:
            raise ApiError(404, "NotFound", f'nodemetrics.metrics.k8s.io "{name}" not found')
        nodes = [self._client().get("nodes", name)]
    else:
        nodes = self._client().list("nodes", label_selector=args.get("selector"))["items"]
    measured = [n for n in nodes if n["metadata"]["name"] in usage]
    if not measured:
        raise KubectlError("metrics not available yet")
    measured = _top_sorted(
        sorted(measured, key=lambda n: n["metadata"]["name"]), lambda n: usage[n["metadata"]["name"]], sort_by
    )
    rows = [] if args.get("no-headers") else [["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]]
    for node in measured:
        u = usage[node["metadata"]["name"]]
        alloc = (node.get("status") or {}).get("allocatable") or {}
        cpu_alloc, mem_alloc = millicores(alloc.get("cpu", "0")), units(alloc.get("memory", "0"))
        rows.append(
            [
                node["metadata"]["name"],
                f"{u['cpu']}m",
                f"{u['cpu'] * 100 // cpu_alloc}%" if cpu_alloc else "<unknown>",
                f"{u['memory'] // 2**20}Mi",
                f"{u['memory'] * 100 // mem_alloc}%" if mem_alloc else "<unknown>",
            ]
        )
    # printMissingMetricsNodeLine: nodes the metrics-server could not scrape.
    rows += [[n["metadata"]["name"]] + ["<unknown>"] * 4 for n in nodes if n not in measured]
    self._print(tabulate(rows))
    return 0


def _top_pods(self: Kubectl, metrics: Any, args: Args, sort_by: str) -> int:
    """NAME CPU(cores) MEMORY(bytes), NAMESPACE first with ``-A``."""
    all_ns = bool(args.get("all-namespaces"))
    ns = None if all_ns else self._namespace(args)
    name = args.positional[1] if len(args.positional) > 1 else None
    usage = {(r["namespace"], r["name"]): r for r in metrics.top_pods(ns)}
    if name and (ns, name) not in usage:
        raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{ns}/{name}" not found')
    client = self._client()
    if name:
        pods = [client.get("pods", name, ns)]
    else:
        pods = client.list("pods", ns, label_selector=args.get("selector"))["items"]
    key = lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])
    measured = [p for p in pods if key(p) in usage]
    if not measured:
        # verifyEmptyMetrics: pods older than two minutes should have been measured by now.
        for pod in pods:
            age = self.now - parse_timestamp(pod["metadata"]["creationTimestamp"])
            if age > METRICS_CREATION_DELAY:
                raise KubectlError(
                    f"Metrics not available for pod {key(pod)[0]}/{key(pod)[1]}, age: {go_duration(age)}"
                )
        if pods:
            raise KubectlError("metrics not available yet")
        self._eprint("No resources found\n" if all_ns else f"No resources found in {ns} namespace.\n")
        return 0
    measured = sorted(measured, key=key) if all_ns else sorted(measured, key=lambda p: p["metadata"]["name"])
    measured = _top_sorted(measured, lambda p: usage[key(p)], sort_by)
    header = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
    rows = [] if args.get("no-headers") else [["NAMESPACE", *header] if all_ns else header]
    for pod in measured:
        u = usage[key(pod)]
        row = [pod["metadata"]["name"], f"{u['cpu']}m", f"{u['memory'] // 2**20}Mi"]
        rows.append([pod["metadata"]["namespace"], *row] if all_ns else row)
    self._print(tabulate(rows))
    return 0
