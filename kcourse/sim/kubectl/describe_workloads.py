"""Describers of the workload kinds: Deployment, ReplicaSet and DaemonSet (``DeploymentDescriber``,
``ReplicaSetDescriber``, ``DaemonSetDescriber`` in ``pkg/describe/describe.go``).

Simplified: no StatefulSet, Job or CronJob describer; those fall back to the generic one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .describe_pods import (
    _controlled_by,
    _template,
)
from .describe_writer import (
    _annotations,
    _events,
    _labels,
    _Writer,
    rfc1123,
)
from .printers import format_labels

if TYPE_CHECKING:
    from .describe import Context


def _selector(sel: dict | None) -> str:
    from .printers import _selector_string

    return _selector_string(sel)


def describe_deployment(d: dict, ctx: Context) -> str:
    md, spec, st = d["metadata"], d.get("spec") or {}, d.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123(md.get('creationTimestamp'))}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    w.write(
        0,
        f"Replicas:\t{spec.get('replicas', 0)} desired | {st.get('updatedReplicas', 0)} updated | "
        f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
        f"{st.get('unavailableReplicas', 0)} unavailable\n",
    )
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    ru = strategy.get("rollingUpdate")
    if ru:
        w.write(
            0,
            f"RollingUpdateStrategy:\t{ru.get('maxUnavailable')} max unavailable, "
            f"{ru.get('maxSurge')} max surge\n",
        )
    _template(w, spec.get("template") or {})
    if st.get("conditions"):
        w.write(0, "Conditions:\n")
        w.write(1, "Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in st["conditions"]:
            w.write(1, f"{c['type']} \t{c['status']}\t{c.get('reason', '')}\n")
    old, new = ctx.deployment_replicasets(d)
    w.write(0, "OldReplicaSets:\t" + (", ".join(_rs_summary(r) for r in old) or "<none>") + "\n")
    w.write(0, "NewReplicaSet:\t" + (_rs_summary(new) if new else "<none>") + "\n")
    _events(w, ctx.events_for(d), ctx.now)
    return w.text()


def _rs_summary(rs: dict) -> str:
    return (
        f"{rs['metadata']['name']} ({rs.get('status', {}).get('replicas', 0)}/"
        f"{rs.get('spec', {}).get('replicas', 0)} replicas created)"
    )


def describe_replicaset(rs: dict, ctx: Context) -> str:
    md, spec, st = rs["metadata"], rs.get("spec") or {}, rs.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Namespace:\t{md.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    _controlled_by(w, rs)
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 0)} desired\n")
    phases = ctx.pod_phases(rs)
    w.write(
        0,
        f"Pods Status:\t{phases['Running']} Running / {phases['Pending']} Waiting / "
        f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed\n",
    )
    _template(w, spec.get("template") or {})
    _events(w, ctx.events_for(rs), ctx.now)
    return w.text()


def describe_daemonset(ds: dict, ctx: Context) -> str:
    md, spec, st = ds["metadata"], ds.get("spec") or {}, ds.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{md['name']}\n")
    w.write(0, f"Selector:\t{_selector(spec.get('selector'))}\n")
    node_selector = ((spec.get("template") or {}).get("spec") or {}).get("nodeSelector")
    w.write(0, f"Node-Selector:\t{format_labels(node_selector) if node_selector else '<none>'}\n")
    _labels(w, 0, "Labels", md.get("labels"))
    _annotations(w, 0, md.get("annotations"))
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    phases = ctx.pod_phases(ds)
    w.write(
        0,
        f"Pods Status:\t{phases['Running']} Running / {phases['Pending']} Waiting / "
        f"{phases['Succeeded']} Succeeded / {phases['Failed']} Failed\n",
    )
    _template(w, spec.get("template") or {})
    _events(w, ctx.events_for(ds), ctx.now)
    return w.text()
