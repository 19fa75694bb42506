"""The Node describer (``NodeDescriber`` in ``pkg/describe/describe.go``): conditions, addresses,
capacity, the non-terminated pods and their allocated resources.

Simplified: requests and limits count the pods the API server knows on the node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..quantity import format_millicores, millicores, parse_quantity
from .describe_writer import (
    GO_ZERO_TIME,
    _annotations,
    _events,
    _labels,
    _Writer,
    rfc1123,
)
from .gosort import go_sort
from .printers import node_roles, since
from .taint import taint_text

if TYPE_CHECKING:
    from .describe import Context


def describe_node(node: dict, ctx: Context) -> str:
    md, spec, st = node["metadata"], node.get("spec") or {}, node.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    roles = node_roles(node)
    w.write(0, f"Roles:\t{roles}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123(md.get('creationTimestamp'))}\n")
    taints = spec.get("taints") or []
    w.write(0, "Taints:\t")
    if not taints:
        w.write(0, "<none>\n")
    # printTaintsMultilineWithIndent sorts by "effect,key" with sort.Slice (Go's unstable sort).
    ordered = go_sort(
        taints,
        lambda a, b: (
            f"{a.get('effect', '')},{a.get('key', '')}" < f"{b.get('effect', '')},{b.get('key', '')}"
        ),
    )
    for i, t in enumerate(ordered):
        if i:
            w.write(0, "\t")
        w.write(0, f"{taint_text(t)}\n")
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    lease = ctx.lease_of(md["name"])
    w.write(0, "Lease:\n")
    w.write(1, f"HolderIdentity:\t{(lease or {}).get('spec', {}).get('holderIdentity', '<unset>')}\n")
    w.write(1, "AcquireTime:\t<unset>\n")
    renew = (lease or {}).get("spec", {}).get("renewTime")
    w.write(1, f"RenewTime:\t{rfc1123(renew[:19] + 'Z') if renew else '<unset>'}\n")
    conditions = st.get("conditions") or []
    if conditions:
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in conditions:
            # A nil metav1.Time prints as Go's zero time (the route controller sets no heartbeat).
            beat, moved = (
                rfc1123(c[k]) if c.get(k) else GO_ZERO_TIME
                for k in ("lastHeartbeatTime", "lastTransitionTime")
            )
            w.write(
                1,
                f"{c['type']} \t{c['status']} \t{beat} \t{moved} \t{c.get('reason', '')} "
                f"\t{c.get('message', '')}\n",
            )
    addresses = st.get("addresses") or []
    if addresses:
        w.write(0, "Addresses:\n")
        for a in addresses:
            w.write(1, f"{a['type']}:\t{a['address']}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for k in sorted(st[key]):
                w.write(1, f"{k}:\t{st[key][k]}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (
        ("Machine ID", "machineID"),
        ("System UUID", "systemUUID"),
        ("Boot ID", "bootID"),
        ("Kernel Version", "kernelVersion"),
        ("OS Image", "osImage"),
        ("Operating System", "operatingSystem"),
        ("Architecture", "architecture"),
        ("Container Runtime Version", "containerRuntimeVersion"),
        ("Kubelet Version", "kubeletVersion"),
        ("Kube-Proxy Version", "kubeProxyVersion"),
    ):
        w.write(1, f"{label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
        w.write(0, f"PodCIDRs:\t{','.join(spec.get('podCIDRs') or [spec['podCIDR']])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    pods = ctx.pods_on(md["name"])
    allocatable = st.get("allocatable") or {}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    # describe.go leaves an empty column after Name ("\t\t"), which widens it by the padding.
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    totals = {"cpu": [0, 0], "memory": [0, 0]}
    for p in pods:
        req, lim = _pod_resources(p)
        cells = []
        for res in ("cpu", "memory"):
            for i, amounts in enumerate((req, lim)):
                amount = amounts.get(res, 0)
                totals[res][i] += amount
                cells.append(_fraction(res, amount, allocatable.get(res)))
        w.write(
            1,
            f"{p['metadata'].get('namespace')}\t{p['metadata']['name']}\t\t{cells[0]}\t{cells[1]}\t"
            f"{cells[2]}\t{cells[3]}\t{since(p['metadata'].get('creationTimestamp'), ctx.now)}\n",
        )
    w.write(0, "Allocated resources:\n")
    w.write(1, "(Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for res in ("cpu", "memory"):
        w.write(
            1,
            f"{res}\t{_fraction(res, totals[res][0], allocatable.get(res))}\t"
            f"{_fraction(res, totals[res][1], allocatable.get(res))}\n",
        )
    w.write(1, "ephemeral-storage\t0 (0%)\t0 (0%)\n")
    _events(w, ctx.events_for(node), ctx.now)
    return w.text()


def _pod_resources(pod: dict) -> tuple[dict[str, int], dict[str, int]]:
    req: dict[str, int] = {}
    lim: dict[str, int] = {}
    for c in (pod.get("spec") or {}).get("containers") or []:
        res = c.get("resources") or {}
        for target, section in ((req, res.get("requests") or {}), (lim, res.get("limits") or {})):
            for name, value in section.items():
                if name in ("cpu", "memory"):
                    amount = millicores(value) if name == "cpu" else int(parse_quantity(value))
                    target[name] = target.get(name, 0) + amount
    return req, lim


def _fraction(resource: str, amount: int, allocatable: Any) -> str:
    if resource == "cpu":
        total = millicores(allocatable) if allocatable else 0
        text = format_millicores(amount) if amount else "0"
    else:
        total = int(parse_quantity(allocatable)) if allocatable else 0
        text = _memory(amount)
    pct = int(amount * 100 / total) if total else 0
    return f"{text} ({pct}%)"


def _memory(n: int) -> str:
    for suffix, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
