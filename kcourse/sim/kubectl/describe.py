"""``kubectl describe``: the long, human layout with the Events at the bottom.

The text follows ``k8s.io/kubectl/pkg/describe/describe.go``: one Go
``tabwriter`` (minimum width 0, padding 2) over the whole output, so
consecutive ``Label:<TAB>value`` lines line up and a line without a tab
starts a new block; labels ``k=v`` and annotations ``k: v`` one per line;
times in RFC 1123 with a numeric zone; the Events table sorted by last
timestamp, ``<none>`` when there is none.

Simplified: pod volumes, probes and resource limits are shown in their
common forms only; the node's "Non-terminated Pods" and "Allocated
resources" sections count requests and limits of the pods the API server
knows on the node.
"""

from __future__ import annotations

from typing import Any

from ..resources import by_plural
from .describe_config import (
    describe_configmap,
    describe_namespace,
    describe_secret,
    describe_serviceaccount,
)
from .describe_generic import (
    describe_generic,
)
from .describe_nodes import (
    describe_node,
)
from .describe_pods import (
    describe_pod,
    pod_template_text,
)
from .describe_services import (
    describe_endpointslice,
    describe_service,
)
from .describe_workloads import (
    describe_daemonset,
    describe_deployment,
    describe_replicaset,
)
from .describe_writer import (
    go_tabwriter,
)

#: The describers are exported by name: a kind's registry entry may name its describer as a string.
__all__ = [
    "describe",
    "describe_configmap",
    "describe_daemonset",
    "describe_deployment",
    "describe_endpointslice",
    "describe_generic",
    "describe_namespace",
    "describe_node",
    "describe_pod",
    "describe_replicaset",
    "describe_secret",
    "describe_service",
    "describe_serviceaccount",
    "go_tabwriter",
    "pod_template_text",
]


class Context:
    """What a describer may look up besides the object (events, owned objects, pods on a node)."""

    def __init__(self, api: Any, now: float):
        self.api, self.now = api, now

    def serves(self, plural: str) -> bool:
        """Whether the API server has this resource (a describer leaves out what the server does not
        serve)."""
        from ..resources import by_plural

        return by_plural(plural) is not None

    def events_for(self, obj: dict) -> list[dict]:
        uid = obj["metadata"].get("uid")
        ns = obj["metadata"].get("namespace")
        return [
            e
            for e in self.api.items("events", ns)
            if (e.get("involvedObject") or {}).get("uid") == uid
            or (
                (e.get("involvedObject") or {}).get("name") == obj["metadata"]["name"]
                and (e.get("involvedObject") or {}).get("kind") == obj.get("kind")
                and not (e.get("involvedObject") or {}).get("uid")
            )
        ]

    def _owned(self, resource: str, owner: dict) -> list[dict]:
        uid = owner["metadata"].get("uid")
        return [
            o
            for o in self.api.items(resource, owner["metadata"].get("namespace"))
            if any(
                r.get("uid") == uid and r.get("controller")
                for r in o["metadata"].get("ownerReferences") or []
            )
        ]

    def deployment_replicasets(self, d: dict) -> tuple[list[dict], dict | None]:
        rss = self._owned("replicasets", d)
        template = (d.get("spec") or {}).get("template") or {}
        new = None
        revision = lambda rs: int(
            (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0") or 0
        )
        for rs in sorted(rss, key=revision, reverse=True):
            rs_template = dict((rs.get("spec") or {}).get("template") or {})
            labels = {
                k: v
                for k, v in ((rs_template.get("metadata") or {}).get("labels") or {}).items()
                if k != "pod-template-hash"
            }
            if labels == ((template.get("metadata") or {}).get("labels") or {}) and (
                rs_template.get("spec") or {}
            ).get("containers") == (template.get("spec") or {}).get("containers"):
                new = rs
                break
        old = [rs for rs in rss if rs is not new and (rs.get("spec") or {}).get("replicas", 0) > 0]
        return old, new

    def pod_phases(self, owner: dict) -> dict[str, int]:
        phases = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
        for p in self._owned("pods", owner):
            phase = (p.get("status") or {}).get("phase", "Pending")
            phases[phase] = phases.get(phase, 0) + 1
        return phases

    def endpoints_for(self, svc: dict) -> dict[str, str]:
        """Endpoints per port name: ``ip:port`` joined by commas."""
        ep = self.api.peek("endpoints", svc["metadata"]["name"], svc["metadata"].get("namespace"))
        out: dict[str, list[str]] = {}
        for ss in (ep or {}).get("subsets") or []:
            for p in ss.get("ports") or [{"name": "", "port": None}]:
                for a in ss.get("addresses") or []:
                    out.setdefault(p.get("name") or "", []).append(
                        a["ip"] if p.get("port") is None else f"{a['ip']}:{p['port']}"
                    )
        return {k: ",".join(v) for k, v in out.items()}

    def lease_of(self, node: str) -> dict | None:
        return self.api.peek("leases", node, "kube-node-lease")

    def pods_on(self, node: str) -> list[dict]:
        return [
            p
            for p in self.api.items("pods")
            if (p.get("spec") or {}).get("nodeName") == node
            and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
        ]


def describe(resource: str, obj: dict, api: Any, now: float) -> str:
    """The describe text of one object (ends with a newline), by the describer its kind's entry names."""
    rt = by_plural(resource)
    describer = rt.describe if rt is not None else None
    if isinstance(describer, str):
        describer = globals()[describer]
    return (describer or describe_generic)(obj, Context(api, now))
