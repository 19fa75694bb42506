"""``kubectl expose``: a Service selecting what a workload or pod selects (a port of ``pkg/cmd/expose``).

Simplified: only the kinds the simulation models can be exposed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cmdutil import (
    NO_RESOURCES,
    Args,
    KubectlError,
)
from .goparse import GoError, atoi

if TYPE_CHECKING:
    from . import Kubectl


def _cmd_expose(self: Kubectl, args: Args) -> int:
    targets, _ = self._targets(args.positional)
    if not targets or not targets[0][1]:
        raise KubectlError(NO_RESOURCES)
    rt, names = targets[0]
    ns = self._namespace(args)
    client = self._client()
    obj = client.get(rt.plural, names[0], ns)
    if rt.plural == "pods":
        selector = obj["metadata"].get("labels") or {}
        ports = [
            p.get("containerPort") for c in obj["spec"].get("containers") or [] for p in c.get("ports") or []
        ]
    elif rt.plural in ("deployments", "replicasets", "daemonsets"):
        selector = (obj["spec"].get("selector") or {}).get("matchLabels") or {}
        ports = [
            p.get("containerPort")
            for c in obj["spec"]["template"]["spec"].get("containers") or []
            for p in c.get("ports") or []
        ]
    elif rt.plural == "services":
        selector = obj["spec"].get("selector") or {}
        ports = [p["port"] for p in obj["spec"].get("ports") or []]
    else:
        raise KubectlError(f"cannot expose a {rt.kind}")
    if not selector:
        raise KubectlError(
            f"couldn't retrieve selectors via --selector flag or introspection: the {rt.kind} has no labels"
        )
    port: int | None = None
    if args.get("port"):
        try:
            port = atoi(args.get("port"))
        except GoError as e:
            raise KubectlError(str(e)) from None
    port = port or (ports[0] if ports else None)
    if port is None:
        raise KubectlError(
            "couldn't find port via --port flag or introspection",
            "See 'kubectl expose -h' for help and examples\n",
        )
    target = args.get("target-port")
    service_port: dict[str, Any] = {"port": port, "protocol": args.get("protocol") or "TCP"}
    target_value: Any = int(target) if target and target.isdigit() else target or port
    service_port["targetPort"] = target_value
    name = args.get("name") or names[0]
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": obj["metadata"].get("labels") or {}},
        "spec": {"ports": [service_port], "selector": selector, "type": args.get("type") or "ClusterIP"},
    }
    client.create(svc, namespace=ns)
    self._print(f"service/{name} exposed\n")
    return 0
