"""``kubectl cordon``, ``uncordon`` and ``drain``: mark a node unschedulable and empty it (a port of
``pkg/cmd/drain``).

Simplified: drain deletes pods instead of posting Evictions (no PodDisruptionBudgets).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..resources import by_plural
from .cmdutil import (
    Args,
    KubectlError,
)

if TYPE_CHECKING:
    from . import Kubectl


def _node_names(self: Kubectl, args: Args, verb: str) -> list[str]:
    if args.get("selector"):
        return [n["metadata"]["name"] for n in self._list(by_plural("nodes"), None, args.get("selector"))]
    names = [p.split("/", 1)[1] if p.startswith(("node/", "nodes/")) else p for p in args.positional]
    if len(names) != 1:
        raise KubectlError(f"USAGE: {verb} NODE [flags]", f"See 'kubectl {verb} -h' for help and examples\n")
    return names


def _set_unschedulable(self: Kubectl, name: str, value: bool) -> bool:
    client = self._client()
    node = client.get("nodes", name)
    if bool((node.get("spec") or {}).get("unschedulable")) == value:
        return False
    client.patch("nodes", name, {"spec": {"unschedulable": True if value else None}}, patch_type="strategic")
    return True


def _cmd_cordon(self: Kubectl, args: Args) -> int:
    for name in self._node_names(args, "cordon"):
        changed = self._set_unschedulable(name, True)
        self._print(f"node/{name} {'cordoned' if changed else 'already cordoned'}\n")
    return 0


def _cmd_uncordon(self: Kubectl, args: Args) -> int:
    for name in self._node_names(args, "uncordon"):
        changed = self._set_unschedulable(name, False)
        self._print(f"node/{name} {'uncordoned' if changed else 'already uncordoned'}\n")
    return 0


def _cmd_drain(self: Kubectl, args: Args) -> int:
    """Cordon, then evict every pod on the node that a controller will recreate elsewhere."""
    names = self._node_names(args, "drain")
    client = self._client()
    code = 0
    for name in names:
        changed = self._set_unschedulable(name, True)
        self._print(f"node/{name} {'cordoned' if changed else 'already cordoned'}\n")
        pods = client.list("pods", field_selector=f"spec.nodeName={name}")["items"]
        to_evict, warnings, problems = [], {}, {}
        for pod in pods:
            key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            owner = next(
                (r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")), None
            )
            phase = (pod.get("status") or {}).get("phase")
            if pod["metadata"].get("annotations", {}).get("kubernetes.io/config.mirror"):
                warnings.setdefault("ignoring mirror pods", []).append(key)
                continue
            if phase in ("Succeeded", "Failed"):
                to_evict.append(pod)
                continue
            if owner is not None and owner.get("kind") == "DaemonSet":
                if args.get("ignore-daemonsets"):
                    warnings.setdefault("ignoring DaemonSet-managed Pods", []).append(key)
                else:
                    problems.setdefault(
                        "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)", []
                    ).append(key)
                continue
            if owner is None:
                if args.get("force"):
                    warnings.setdefault("deleting Pods that declare no controller", []).append(key)
                else:
                    problems.setdefault(
                        "cannot delete Pods that declare no controller (use --force to override)", []
                    ).append(key)
                    continue
            if any("emptyDir" in v for v in (pod.get("spec") or {}).get("volumes") or []):
                if args.get("delete-emptydir-data"):
                    warnings.setdefault("deleting Pods with local storage", []).append(key)
                else:
                    problems.setdefault(
                        "cannot delete Pods with local storage (use --delete-emptydir-data to override)", []
                    ).append(key)
                    continue
            to_evict.append(pod)
        if problems:
            text = ", ".join(f"{p}: {', '.join(keys)}" for p, keys in problems.items())
            if len(problems) > 1:
                text = "[" + text + "]"
            self._eprint(
                f'error: unable to drain node "{name}" due to error: {text}, continuing command...\n'
                f"There are pending nodes to be drained:\n {name}\n{text}\n"
            )
            code = 1
            continue
        if warnings:
            self._eprint(
                "Warning: " + "; ".join(f"{w}: {', '.join(keys)}" for w, keys in warnings.items()) + "\n"
            )
        grace = self._int_flag(args, "grace-period")
        for pod in to_evict:
            self._eprint(f"evicting pod {pod['metadata']['namespace']}/{pod['metadata']['name']}\n")
            client.delete(
                "pods",
                pod["metadata"]["name"],
                pod["metadata"]["namespace"],
                grace_period_seconds=None if grace is None or grace < 0 else grace,
            )
        self._wait(
            lambda to_evict=to_evict: all(
                self.api.peek("pods", p["metadata"]["name"], p["metadata"]["namespace"]) is None
                or self.api.peek("pods", p["metadata"]["name"], p["metadata"]["namespace"])["metadata"]["uid"]
                != p["metadata"]["uid"]
                for p in to_evict
            )
        )
        for pod in to_evict:
            self._print(f"pod/{pod['metadata']['name']} evicted\n")
        self._print(f"node/{name} drained\n")
    return code
